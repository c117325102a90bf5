"""Caches are never trusted input: the attacks of a merged pull request, replayed.

A committed `.matrixpipe-cache/` (read by matrixpipe before 0.2), a cache file planted in the
user's cache folder without this machine's key, and a cache folder that is a symbolic link:
each is ignored, and the published page stays free of script in a real browser.
"""

from __future__ import annotations

import json
import marshal
import os
from pathlib import Path
from typing import Any

import pytest

from matrixpipe.check import yamlload
from matrixpipe.check.cache import cache_dir, content_digest, salt
from matrixpipe.check.run import check
from matrixpipe.commands.build import run_build

from browser import add_site, serve_dir
from conftest import RunCli

PROBATION = "probation-alcohol-offenders-2009"
SCRIPT = '<img src="x" onerror="window.__pwned=1"><script>window.__pwned=2</script>'


def _note(repo: Path) -> str:
    """The probation study's note in cell E5, exactly as the renderer converts it."""
    text = (repo / "entries" / "studies" / f"{PROBATION}.yaml").read_text(encoding="utf-8")
    study = yamlload.to_data(yamlload.compose(text))
    return next(p["note"] for p in study["placements"] if p["cell"] == "alcohol/E5")


def _planted_render_cache(repo: Path) -> dict[str, Any]:
    """Script stored under the digest of a harmless note, as an attacker would compute it."""
    fragments = {content_digest(_note(repo).encode("utf-8")): [((), SCRIPT)]}
    return {"fragments": fragments, "citations": {}}


def _plant_everywhere(repo: Path, name: str, payload: Any) -> None:
    """The old format (stamped with the public source digest) in the repository's legacy
    folder, and in the user's cache folder both unsigned and with a forged signature."""
    old_format = marshal.dumps((salt(), payload))
    legacy = repo / ".matrixpipe-cache" / name
    legacy.parent.mkdir(exist_ok=True)
    legacy.write_bytes(old_format)
    mine = cache_dir(repo) / name
    mine.parent.mkdir(parents=True, exist_ok=True)
    mine.write_bytes(old_format)


def test_a_planted_render_cache_publishes_no_script(
    collection: Path, page: Any, run_cli: RunCli
) -> None:
    repo = add_site(collection)
    note = _note(repo)
    assert note and "[" not in note, "a plain note, whose HTML depends on its text alone"
    _plant_everywhere(repo, "render.marshal", _planted_render_cache(repo))
    assert run_cli(["check", repo]).exit_code == 0

    assert run_build(repo, None, drafts=False, color="never") == 0

    site = repo / "public"
    for path in site.rglob("*"):
        if path.suffix in (".html", ".json", ".xml"):
            assert "__pwned" not in path.read_text(encoding="utf-8"), path
    with serve_dir(site) as base:
        for url in (f"studies/{PROBATION}/", "alcohol/E5/"):
            page.goto(base + url)
            assert page.evaluate("() => window.__pwned") is None
            assert page.locator("[onerror]").count() == 0
            assert " ".join(note.split()[:4]) in page.locator("article").inner_text()


def test_a_planted_entry_cache_hides_no_error(collection: Path, run_cli: RunCli) -> None:
    """Facts of a clean stand-in stored under the digest of a hostile study."""
    study = collection / "entries" / "studies" / f"{PROBATION}.yaml"
    clean = check(collection, use_cache=False)
    assert clean.report.diagnostics == []
    text = study.read_text(encoding="utf-8").replace("status: published", "status: publishd")
    text += "unknown_key: 1\n"
    study.write_bytes(text.encode("utf-8"))
    stand_in = {
        f"entries/studies/{PROBATION}.yaml": (content_digest(text.encode("utf-8")), ([], None))
    }
    _plant_everywhere(collection, "entries.marshal", stand_in)

    result = run_cli(["check", collection, "--format", "json"])

    assert result.exit_code == 1
    codes = sorted(d["code"] for d in json.loads(result.output)["diagnostics"])
    assert codes == ["MP202", "MP205"]


@pytest.mark.parametrize("content", [b"\xfb\x00\x00\x00\x7f", b"", b"MPC1" + b"\x00" * 40])
def test_a_damaged_cache_is_no_crash(collection: Path, run_cli: RunCli, content: bytes) -> None:
    """Five bytes once made `check` ask for gigabytes and die with a MemoryError."""
    cache = cache_dir(collection) / "entries.marshal"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(content)
    result = run_cli(["check", collection])
    assert result.exit_code == 0, result.output


def test_no_symbolic_link_in_a_cache_folder_is_followed(
    collection: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # A dangling link committed where old versions wrote a .gitignore.
    legacy = collection / ".matrixpipe-cache"
    legacy.mkdir()
    (legacy / ".gitignore").symlink_to(elsewhere / "created-by-check")
    # The collection's own cache folder is a link to a folder of the attacker's choosing.
    mine = cache_dir(collection)
    mine.parent.mkdir(parents=True, exist_ok=True)
    mine.symlink_to(elsewhere, target_is_directory=True)

    assert run_cli(["check", collection]).exit_code == 0
    assert run_cli(["check", collection]).exit_code == 0

    assert os.listdir(elsewhere) == []
    assert sorted(os.listdir(legacy)) == [".gitignore"]


def test_a_file_known_by_its_status_is_read_again_when_it_changes(collection: Path) -> None:
    """A warm check skips reading a file whose status (mtime, ctime, size, inode) is the one it
    indexed. An edit that keeps the size and puts the old mtime back still changes the ctime,
    which no user can set: the edit is seen. A file changed moments before a check is not
    indexed at all. And a collection asked of such a check still holds every entry."""
    import time

    from matrixpipe.check.cache import read_cache_file

    study = collection / "entries" / "studies" / "probation-alcohol-offenders-2009.yaml"
    check(collection)  # the files were just copied: too recent to index
    assert not read_cache_file(cache_dir(collection) / "stats.marshal")
    time.sleep(2.1)
    first = check(collection)
    indexed = read_cache_file(cache_dir(collection) / "stats.marshal")
    assert f"entries/studies/{study.name}" in indexed
    assert not first.report.failing()

    warm = check(collection)  # known by status: nothing read, nothing different
    assert warm.report.diagnostics == first.report.diagnostics
    assert sorted(warm.collection.studies) == sorted(
        check(collection, use_cache=False).collection.studies
    )

    text = study.read_text()
    before = study.stat()
    broken = text.replace("year: 2009", "year: 1009", 1)
    assert len(broken) == len(text)
    study.write_text(broken)
    os.utime(study, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime
    assert study.stat().st_size == before.st_size
    assert study.stat().st_mtime_ns == before.st_mtime_ns
    found = check(collection).report
    assert found.failing(), "the edit behind the old mtime was not seen"
    assert any(d.path == f"entries/studies/{study.name}" for d in found.diagnostics)
