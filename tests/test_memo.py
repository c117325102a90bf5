"""The render's memos kept between runs: reused when the inputs are the same, never otherwise."""

from __future__ import annotations

import hashlib
import hmac
import marshal
import os
import shutil
import subprocess
import sys
from pathlib import Path

from matrixpipe.check.cache import cache_dir, cache_root, read_cache_file, salt, write_cache_file

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


def _memos(repo: Path) -> dict[str, dict[str, object]]:
    memos = read_cache_file(cache_dir(repo) / "render.marshal")
    assert isinstance(memos, dict), "the render saved its memos"
    return memos


def test_citations_come_from_the_cache_until_their_study_changes(collection: Path) -> None:
    repo = add_site(collection)
    _render(repo)
    memos = _memos(repo)
    studies = len(list((repo / "site" / "docs" / "studies").glob("*.md")))
    assert len(memos["citations"]) == studies > 0
    assert memos["fragments"], "contributor fragments are remembered too"

    memos["citations"] = dict.fromkeys(memos["citations"], PLANTED)
    write_cache_file(cache_dir(repo) / "render.marshal", memos)
    entry = repo / "entries" / "studies" / f"{PROBATION}.yaml"
    entry.write_text(entry.read_text().replace("  year: 2009", "  year: 2010", 1))
    shutil.rmtree(repo / "site" / "docs")  # every page made again, from the memos
    _render(repo)

    pages = {p.stem: p.read_text() for p in (repo / "site" / "docs" / "studies").glob("*.md")}
    assert PLANTED not in pages.pop(PROBATION), "a changed study is formatted afresh"
    assert [name for name, page in pages.items() if PLANTED not in page] == []


def _planted_without_the_key(repo: Path, salt: str) -> None:
    """The memos with every citation planted, in a file signed for `salt` (another version)."""
    memos = _memos(repo)
    memos["citations"] = dict.fromkeys(memos["citations"], PLANTED)
    body = marshal.dumps(memos)
    file = cache_dir(repo) / "render.marshal"
    key = (cache_root() / "key").read_bytes()
    mac = hmac.new(key, f"{salt}\0{file.name}\0".encode() + body, hashlib.sha256).digest()
    file.write_bytes(b"MPC1" + mac + body)


def test_a_cache_of_another_version_is_ignored(collection: Path) -> None:
    repo = add_site(collection)
    _render(repo)
    _planted_without_the_key(repo, salt="another version")
    shutil.rmtree(repo / "site" / "docs")  # so every page is made again

    _render(repo)

    page = (repo / "site" / "docs" / "studies" / f"{PROBATION}.md").read_text()
    assert PLANTED not in page
    assert "[UK] Ministry of Justice. (2009)." in page


def test_a_cache_signed_elsewhere_or_unsigned_is_ignored(collection: Path) -> None:
    """What a committed or copied cache would be: the digest of the public source is no key."""
    repo = add_site(collection)
    _render(repo)
    file = cache_dir(repo) / "render.marshal"
    memos = _memos(repo)
    memos["citations"] = dict.fromkeys(memos["citations"], PLANTED)
    body = marshal.dumps(memos)
    forged = hmac.new(b"k" * 32, f"{salt()}\0{file.name}\0".encode() + body, hashlib.sha256)
    for content in (b"MPC1" + forged.digest() + body, marshal.dumps((salt(), memos))):
        file.write_bytes(content)
        shutil.rmtree(repo / "site" / "docs")  # so every page is made again
        _render(repo)
        page = (repo / "site" / "docs" / "studies" / f"{PROBATION}.md").read_text()
        assert PLANTED not in page


def test_a_damaged_cache_is_ignored(collection: Path) -> None:
    repo = add_site(collection)
    cache = cache_dir(repo) / "render.marshal"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"\x00 not marshal data")

    _render(repo)

    assert (
        "[UK] Ministry of Justice. (2009)."
        in (repo / "site" / "docs" / "studies" / f"{PROBATION}.md").read_text()
    )
