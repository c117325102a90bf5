"""Work shared with a forked child: its result, its failures, its end, and the render it halves."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

import matrixpipe.publish.render as render_module
from matrixpipe.check.run import check
from matrixpipe.git.history import read_history
from matrixpipe.publish.forked import Forked, ForkedError
from matrixpipe.publish.render import render, render_context

from browser import ROOT, add_site, snapshot

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate


def test_the_job_runs_in_another_process_and_returns_its_result() -> None:
    with Forked(os.getpid) as job:
        child = job.result()

    assert isinstance(child, int) and child != os.getpid()


def test_a_failing_job_is_reported_with_its_traceback() -> None:
    def fail() -> None:
        raise ValueError("no such cell")

    with Forked(fail) as job, pytest.raises(ForkedError, match="ValueError: no such cell"):
        job.result()


def test_a_child_that_dies_is_reported() -> None:
    with Forked(lambda: os._exit(3)) as job, pytest.raises(ForkedError, match="exit 3"):
        job.result()


def test_leaving_early_stops_the_child(tmp_path: Path) -> None:
    marker = tmp_path / "finished"

    def slow() -> None:
        time.sleep(20)
        marker.write_text("the child outlived its parent's block")

    start = time.monotonic()
    with Forked(slow):
        pass

    assert time.monotonic() - start < 10
    time.sleep(0.2)
    assert not marker.exists()


def test_a_shared_render_writes_the_same_docs_as_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = add_site(generate(40, tmp_path / "collection"))
    result = check(repo)
    ctx = render_context(result.collection, result.config, history=read_history(repo))
    docs = repo / "site" / "docs"
    alone = render(repo, ctx)
    expected = snapshot(docs)
    shutil.rmtree(docs)
    (docs / "studies").mkdir(parents=True)
    (docs / "studies" / "stale.md").write_text("# A study that is gone\n")

    monkeypatch.setattr(render_module, "SHARED_RENDER", 1)
    shared = render(repo, ctx)

    assert snapshot(docs) == expected
    assert shared.files == alone.files == len(expected)
    assert shared.changed == len(expected) + 1  # every file written, the stale one removed
