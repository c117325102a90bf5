"""One pass over the entries: the build reads and validates each entry file once, and a warm
check judges again only when a fact changed.

The check reads every file (to hash it) and validates what its cache does not know; the build
assembles the collection from that work, parsing only the files whose findings came from the
cache, from the bytes already read. The counters wrap the real functions of `check.run`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from matrixpipe.check import run
from matrixpipe.commands.build import run_build

from browser import add_site
from conftest import RunCli


def _entry_files(repo: Path) -> Counter[str]:
    return Counter(
        p.relative_to(repo).as_posix() for p in (repo / "entries").rglob("*") if p.is_file()
    )


def _count(monkeypatch: pytest.MonkeyPatch) -> tuple[Counter[str], Counter[str]]:
    reads: Counter[str] = Counter()
    validations: Counter[str] = Counter()
    read, validate = run.read_entry_bytes, run.validate_document

    def counted_read(repo: Path, path: str, kind: Any) -> Any:
        reads[path] += 1
        return read(repo, path, kind)

    def counted_validate(doc: Any) -> Any:
        validations[doc.path] += 1
        return validate(doc)

    monkeypatch.setattr(run, "read_entry_bytes", counted_read)
    monkeypatch.setattr(run, "validate_document", counted_validate)
    return reads, validations


@pytest.mark.parametrize("warm", [True, False], ids=["after-a-warm-check", "cold"])
def test_build_reads_and_validates_each_entry_file_once(
    collection: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, warm: bool
) -> None:
    repo = add_site(collection)
    if warm:
        assert run_cli(["check", repo]).exit_code == 0  # the cache knows every file now
    reads, validations = _count(monkeypatch)

    assert run_build(repo, None, drafts=False, color="never") == 0

    files = _entry_files(repo)
    assert len(files) == 21
    assert reads == files
    assert validations == files


def test_a_warm_check_validates_nothing(
    collection: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(["check", collection]).exit_code == 0
    reads, validations = _count(monkeypatch)
    assert run_cli(["check", collection]).exit_code == 0
    assert reads == _entry_files(collection)
    assert validations == Counter()


def _judgements(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    judge = run.judge

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return judge(*args, **kwargs)

    monkeypatch.setattr(run, "judge", counted)
    return calls


@pytest.mark.parametrize("pooled", [False, True], ids=["in-process", "first-run-in-workers"])
def test_an_edit_that_changes_no_fact_is_not_judged_again(
    collection: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, pooled: bool
) -> None:
    """A comment added to a study changes its bytes, not its facts: the judge's findings of
    the run before stand, and the report is the same, though the first run's facts were made
    in worker processes (a large cold run) and the second's here."""
    if pooled:
        monkeypatch.setattr(run, "POOL_THRESHOLD", 1)
    first = run_cli(["check", collection])
    monkeypatch.setattr(run, "POOL_THRESHOLD", 10**9)
    calls = _judgements(monkeypatch)
    study = collection / "entries" / "studies" / "barriers-employing-problem-drinkers-2010.yaml"
    study.write_text(study.read_text(encoding="utf-8") + "# checked again\n", encoding="utf-8")

    again = run_cli(["check", collection])

    assert calls == [] and again.output == first.output


def test_a_judged_finding_follows_its_line_when_its_file_changes(
    collection: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The judge's findings are kept only while their files are the same bytes: a comment line
    added above a near-duplicate title moves the finding down a line."""
    source = collection / "entries" / "studies" / "barriers-employing-problem-drinkers-2010.yaml"
    copy = source.with_name("zz-barriers-copy-2010.yaml")
    copy.write_text(
        source.read_text(encoding="utf-8").replace(source.stem, copy.stem), encoding="utf-8"
    )
    first = run_cli(["check", collection, "--format", "json"])
    calls = _judgements(monkeypatch)
    copy.write_text("# a note\n" + copy.read_text(encoding="utf-8"), encoding="utf-8")

    again = run_cli(["check", collection, "--format", "json"])

    def title_line(output: str) -> int:
        found = [d for d in json.loads(output)["diagnostics"] if d["code"] == "MP308"]
        assert [d["path"] for d in found] == [f"entries/studies/{copy.name}"]
        return int(found[0]["line"])

    assert calls == [1]
    assert title_line(again.output) == title_line(first.output) + 1
