"""MkDocs starts before the study pages are written and waits at each one (a real MkDocs build)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from matrixpipe.publish.forked import Forked
from matrixpipe.publish.pagegate import PageGate


def _site(tmp_path: Path) -> tuple[Path, Path]:
    """A tiny MkDocs site: study one is an out-of-date page, study two is not written yet."""
    docs = tmp_path / "docs"
    (docs / "studies").mkdir(parents=True)
    (docs / "index.md").write_text("# Home\n")
    (docs / "studies" / "one.md").write_text("# Out of date\n")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: Gate\ndocs_dir: docs\nnot_in_nav: |\n  /studies/\n"
    )
    return tmp_path / "mkdocs.yml", docs


def _writer(docs: Path, names: list[str]) -> Callable[[Callable[[list[str]], None]], int]:
    def job(report: Callable[[list[str]], None]) -> int:
        for name in names:
            time.sleep(0.3)  # MkDocs is already waiting at the gate
            path = docs / "studies" / f"{name}.md"
            path.write_text(f"# Study {name}\n\nWritten by the child, pid {os.getpid()}.\n")
            report([f"studies/{name}.md"])
        return len(names)

    return job


def test_mkdocs_reads_each_page_only_once_the_child_has_written_it(tmp_path: Path) -> None:
    config_file, docs = _site(tmp_path)
    config = load_config(config_file=str(config_file), site_dir=str(tmp_path / "site"))

    with Forked(_writer(docs, ["one", "two"]), reports=True) as child:
        config.plugins["gate"] = PageGate(["studies/one.md", "studies/two.md"], child.reports())
        build(config)
        assert child.result() == 2

    for name in ("one", "two"):
        html = (tmp_path / "site" / "studies" / name / "index.html").read_text()
        assert f"Study {name}</h1>" in html
        assert "Written by the child" in html


def test_a_page_never_written_stops_the_build(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config_file, docs = _site(tmp_path)
    config = load_config(config_file=str(config_file), site_dir=str(tmp_path / "site"))

    with Forked(_writer(docs, ["one"]), reports=True) as child:
        config.plugins["gate"] = PageGate(["studies/one.md", "studies/two.md"], child.reports())
        with pytest.raises(Abort):
            build(config)

    assert "studies/two.md was never rendered" in caplog.text


def test_reports_arrive_in_order_and_the_result_after_them() -> None:
    def job(report: Callable[[int], None]) -> str:
        for i in range(5):
            report(i)
        return "done"

    with Forked(job, reports=True) as child:
        assert list(child.reports()) == [0, 1, 2, 3, 4]
        assert child.result() == "done"
