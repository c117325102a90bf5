"""One pass over the entries: the build reads and validates each entry file once.

The check reads every file (to hash it) and validates what its cache does not know; the build
assembles the collection from that work, parsing only the files whose findings came from the
cache, from the bytes already read. The counters wrap the real functions of `check.run`.
"""

from __future__ import annotations

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
