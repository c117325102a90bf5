"""Incremental render and warm builds: only what changed is made, and the result is byte for
byte what a cold run makes.

Each test edits a real collection the way an editor would (a study, a cell's bite, a matrix,
the site settings, a deletion, a rename in Git), renders it incrementally, and compares the
docs folder with a cold render of a copy of the same files (its own path, so its own empty
caches): the trees must be identical, and the incremental run must have written exactly the
files that differ from the render before the edit.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import git
import pytest

from matrixpipe.check.cache import cache_dir
from matrixpipe.commands.build import run_build

from browser import add_site, snapshot
from conftest import RunCli, commit_all

PROBATION = "probation-alcohol-offenders-2009"
UNREFERENCED = "barriers-employing-problem-drinkers-2010"


@pytest.fixture
def repo(collection: Path) -> Path:
    root = add_site(collection)
    repository = git.Repo.init(root, initial_branch="main")
    with repository.config_writer() as cfg:
        cfg.set_value("user", "name", "Test Editor").set_value("user", "email", "e@example.org")
    commit_all(repository, "The collection")
    return root


def _render(run_cli: RunCli, root: Path) -> dict[str, str]:
    result = run_cli(["render", root])
    assert result.exit_code == 0, result.output
    return snapshot(root / "site" / "docs")


def _cold(run_cli: RunCli, root: Path, tmp_path: Path) -> dict[str, str]:
    """A cold render of the same files in another folder (its own empty caches)."""
    copy = tmp_path / "cold"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("docs", "public", ".git"))
    shutil.copytree(root / ".git", copy / ".git")
    return _render(run_cli, copy)


def _times(docs: Path) -> dict[str, int]:
    return {
        p.relative_to(docs).as_posix(): p.stat().st_mtime_ns for p in docs.rglob("*") if p.is_file()
    }


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


EDITS = {
    "study": (
        f"entries/studies/{PROBATION}.yaml",
        "title: Probation struggling",
        "title: Probation still struggling",
    ),
    "bite": (
        "entries/cells/alcohol/E5.md",
        "## What is this cell about? {#about}",
        "## What this cell covers {#about}",
    ),
    "matrix": (
        "entries/matrices/alcohol.yaml",
        "    name: Practitioners",
        "    name: Practitioners and teams",
    ),
    "config": (
        "matrixpipe.yml",
        "jurisdictions:",
        "site:\n  title: Renamed collection\njurisdictions:",
    ),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edit_remakes_exactly_what_it_changes(
    repo: Path, run_cli: RunCli, tmp_path: Path, edit: str
) -> None:
    docs = repo / "site" / "docs"
    before = _render(run_cli, repo)
    times = _times(docs)
    path, old, new = EDITS[edit]
    if edit == "config" and not (repo / "matrixpipe.yml").exists():
        (repo / "matrixpipe.yml").write_text("jurisdictions: {}\n")
        before = _render(run_cli, repo)
        times = _times(docs)
    _edit(repo / path, old, new)

    after = _render(run_cli, repo)

    assert after == _cold(run_cli, repo, tmp_path)
    differing = {p for p in after if before.get(p) != after[p]} | (set(before) - set(after))
    touched = {p for p, t in _times(docs).items() if times.get(p) != t}
    assert differing, "the edit must change something"
    assert touched == differing - (set(before) - set(after))
    if edit == "study":
        assert f"studies/{PROBATION}.md" in touched
        assert "alcohol/E5.md" in touched  # its cell lists it
        assert f"studies/{UNREFERENCED}.md" not in touched
        assert len([p for p in touched if p.startswith("studies/")]) == 1


def test_deleting_or_renaming_a_study_removes_its_page_and_redirects(
    repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    docs = repo / "site" / "docs"
    _render(run_cli, repo)
    repository = git.Repo(repo)
    old = repo / "entries" / "studies" / f"{UNREFERENCED}.yaml"
    new_id = "barriers-to-employing-problem-drinkers-2010"
    text = old.read_text().replace(f"id: {UNREFERENCED}", f"id: {new_id}")
    old.unlink()
    (repo / "entries" / "studies" / f"{new_id}.yaml").write_text(text)
    commit_all(repository, "Rename a study")

    after = _render(run_cli, repo)

    assert f"studies/{UNREFERENCED}.md" not in after
    assert f"studies/{new_id}.md" in after
    assert f"studies/{UNREFERENCED}/index.html" in after  # the redirect page
    assert f"api/v1/studies/{UNREFERENCED}.json" not in after
    assert after == _cold(run_cli, repo, tmp_path)
    assert not (docs / "studies" / f"{UNREFERENCED}.md").exists()


def test_a_damaged_or_foreign_manifest_means_a_full_render(repo: Path, run_cli: RunCli) -> None:
    docs = repo / "site" / "docs"
    first = _render(run_cli, repo)
    page = docs / "studies" / f"{PROBATION}.md"
    original = page.read_bytes()
    tampered = original.replace(b"Probation", b"Xrobation", 1)
    assert len(tampered) == len(original) and tampered != original
    manifests = list(cache_dir(repo).glob("manifest-*.marshal"))
    assert manifests
    for damage in (b"\x00garbage", b"MPC1" + os.urandom(40)):
        page.write_bytes(tampered)  # same size: only a full render notices
        for manifest in manifests:
            manifest.write_bytes(damage)
        assert _render(run_cli, repo) == first
        assert page.read_bytes() == original


def _build(root: Path, out: Path) -> dict[str, str]:
    assert run_build(root, out, drafts=False, color="never") == 0
    return snapshot(out)


def test_a_warm_build_is_a_cold_build_byte_for_byte(repo: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    _build(repo, site)
    previous = {p.relative_to(site).as_posix(): p.stat().st_ino for p in site.rglob("*.html")}
    _edit(repo / EDITS["study"][0], EDITS["study"][1], EDITS["study"][2])
    (repo / "entries" / "studies" / f"{UNREFERENCED}.yaml").unlink()

    warm = _build(repo, site)

    reused = {
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if previous.get(p.relative_to(site).as_posix()) == p.stat().st_ino
    }
    assert "alcohol/D4/index.html" in reused, "the pages that did not change are the old ones"
    assert f"studies/{PROBATION}/index.html" not in reused
    assert f"studies/{UNREFERENCED}/index.html" not in warm
    copy = tmp_path / "cold"
    shutil.copytree(repo, copy, ignore=shutil.ignore_patterns("docs", "public"))
    cold = _build(copy, tmp_path / "cold-site")
    assert warm == cold


def test_two_builds_of_one_tree_are_identical(repo: Path, tmp_path: Path) -> None:
    first = _build(repo, tmp_path / "one")
    shutil.rmtree(cache_dir(repo))
    shutil.rmtree(repo / "site" / "docs")
    assert _build(repo, tmp_path / "two") == first


# -- keys carried from one run to the next (serve) ----------------------------------------------

NOMS = "noms-problem-drinking-offenders-2010"
AUSTRALIA = "criminal-justice-treatment-partnership-australia-2005"

KEY_EDITS: list[tuple[str, str, str]] = [
    # a study names another (related) and links to a third and to a cell section
    (
        f"entries/studies/{NOMS}.yaml",
        "related:\n",
        f"related:\n  - label: the probation study\n    study: {PROBATION}\n",
    ),
    (
        f"entries/studies/{UNREFERENCED}.yaml",
        "summary: |\n",
        f"summary: |\n  See [the review](study:{AUSTRALIA}) and [the cell](cell:alcohol/E5#about).\n",
    ),
    # the studies they name change: a title, then a status that takes a page away
    (f"entries/studies/{PROBATION}.yaml", "title: Probation struggling", "title: Probation still"),
    (f"entries/studies/{AUSTRALIA}.yaml", "status: published", "status: draft"),
    # the cell's section that a study links to is renamed; then the matrix changes
    (
        "entries/cells/alcohol/E5.md",
        "## What is this cell about? {#about}",
        "## What this cell covers {#covers}",
    ),
    (
        "entries/matrices/alcohol.yaml",
        "    name: Practitioners",
        "    name: Practitioners and teams",
    ),
    # the cell points readers to a cell of the other matrix, whose names then change
    (
        "entries/cells/alcohol/E5.md",
        "status: published\n",
        "status: published\nsee_also: [cell:drug/E5]\n",
    ),
    ("entries/matrices/drug.yaml", "title: Drug Treatment Matrix", "title: Drugs Matrix"),
]


def _context(root: Path) -> object:
    from matrixpipe.check.run import check
    from matrixpipe.git.history import read_history
    from matrixpipe.publish.render import render_context

    result = check(root, publish=True)
    return render_context(result.collection, result.config, False, read_history(root))


def test_keys_carried_from_the_run_before_are_the_fresh_keys(repo: Path) -> None:
    """`serve` keeps each page's key when nothing it reads changed: after every kind of edit,
    each key so kept must be the key a fresh computation gives, and the keys of the pages that
    read the edited entry must have been computed again."""
    from matrixpipe.publish.incremental import Keys

    def all_keys(keys: Keys, ctx: object) -> dict[str, str]:
        view = ctx.view  # type: ignore[attr-defined]
        found = {f"study:{s.id}": keys.study(s) for s in view.study_pages}
        found.update({f"cell:{k}": keys.cell(c) for k, c in view.cells.items()})
        return found

    ctx = _context(repo)
    before = Keys(ctx)  # type: ignore[arg-type]
    previous = all_keys(before, ctx)
    for path, old, new in KEY_EDITS:
        _edit(repo / path, old, new)
        ctx = _context(repo)
        carried = Keys(ctx, before=before)  # type: ignore[arg-type]
        got = all_keys(carried, ctx)
        assert got == all_keys(Keys(ctx), ctx), path  # type: ignore[arg-type]
        changed = {page for page, key in got.items() if previous.get(page) != key}
        assert changed, f"{path}: the edit must change some page's key"
        kept = {page for page, key in got.items() if previous.get(page) == key}
        assert kept, f"{path}: pages that read nothing edited keep their keys"
        before, previous = carried, got
    # Committing the edits changes no entry, only the Git dates of the pages that show them.
    repository = git.Repo(repo)
    repository.git.add("--all")
    later = "2030-01-02T03:04:05"  # another day than the first commit's, however fast
    repository.index.commit("The edits", author_date=later, commit_date=later)
    ctx = _context(repo)
    got = all_keys(Keys(ctx, before=before), ctx)  # type: ignore[arg-type]
    assert got == all_keys(Keys(ctx), ctx)  # type: ignore[arg-type]
    assert got != previous


def test_a_stopped_render_leaves_nothing_the_next_render_misses(
    repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    """`serve` stops the render behind a reload when a newer edit comes: the render ends
    before its next file, says what it had written, and the next render completes the tree."""
    import threading

    from matrixpipe.publish.render import Stopped, render

    _render(run_cli, repo)
    _edit(repo / EDITS["study"][0], *EDITS["study"][1:])
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped) as stopped:
        render(repo, _context(repo), stop=stop)  # type: ignore[arg-type]
    assert isinstance(stopped.value.written, tuple)
    assert _render(run_cli, repo) == _cold(run_cli, repo, tmp_path)
