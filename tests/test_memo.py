"""The render's memos kept between runs: reused when the inputs are the same, never otherwise."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path

from browser import add_site

PLANTED = "Planted, so the test can tell a reused citation from a fresh one."
PROBATION = "probation-alcohol-offenders-2009"


def _render(repo: Path) -> None:
    """A real run in its own process: nothing is remembered in memory between two of them."""
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "matrixpipe", "render", str(repo)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_citations_come_from_the_cache_until_their_study_changes(collection: Path) -> None:
    repo = add_site(collection)
    _render(repo)
    cache = repo / ".matrixpipe-cache" / "render.marshal"
    version, memos = marshal.loads(cache.read_bytes())
    studies = len(list((repo / "site" / "docs" / "studies").glob("*.md")))
    assert len(memos["citations"]) == studies > 0
    assert memos["fragments"], "contributor fragments are remembered too"

    memos["citations"] = dict.fromkeys(memos["citations"], PLANTED)
    cache.write_bytes(marshal.dumps((version, memos)))
    entry = repo / "entries" / "studies" / f"{PROBATION}.yaml"
    entry.write_text(entry.read_text().replace("  year: 2009", "  year: 2010", 1))
    _render(repo)

    pages = {p.stem: p.read_text() for p in (repo / "site" / "docs" / "studies").glob("*.md")}
    assert PLANTED not in pages.pop(PROBATION), "a changed study is formatted afresh"
    assert [name for name, page in pages.items() if PLANTED not in page] == []


def test_a_cache_of_another_version_is_ignored(collection: Path) -> None:
    repo = add_site(collection)
    _render(repo)
    cache = repo / ".matrixpipe-cache" / "render.marshal"
    _, memos = marshal.loads(cache.read_bytes())
    memos["citations"] = dict.fromkeys(memos["citations"], PLANTED)
    cache.write_bytes(marshal.dumps(("another version", memos)))

    _render(repo)

    page = (repo / "site" / "docs" / "studies" / f"{PROBATION}.md").read_text()
    assert PLANTED not in page
    assert "[UK] Ministry of Justice. (2009)." in page


def test_a_damaged_cache_is_ignored(collection: Path) -> None:
    repo = add_site(collection)
    cache = repo / ".matrixpipe-cache" / "render.marshal"
    cache.parent.mkdir()
    cache.write_bytes(b"\x00 not marshal data")

    _render(repo)

    assert (
        "[UK] Ministry of Justice. (2009)."
        in (repo / "site" / "docs" / "studies" / f"{PROBATION}.md").read_text()
    )
