"""Editions and What's new: what each edition added, moved, re-categorised and withdrawn, and
which bites changed; the cells' "last reviewed" line and the preview-only stale-cell warning.

The site is the bundled collection in a real Git repository, tagged `v1`; then one commit adds a
study, withdraws one, deletes one, moves one, re-categorises one, renames one, sends one back to
draft and rewrites the E5 bite (tag `v2`); a last commit, after the newest edition, adds a study
and a D5 bite. It is built for the public and as a preview, and read as HTML and in Chromium.
The comparison itself is tested on plain states, and on small repositories for renames, dates
and the number of files parsed.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import git
import pytest

from matrixpipe.check.run import check
from matrixpipe.commands.build import run_build
from matrixpipe.config import load_config
from matrixpipe.git import editions
from matrixpipe.git.editions import Period, State, StudyState, compare, read_periods
from matrixpipe.git.history import read_history

from browser import add_site, axe_source, describe, serious_violations, serve_dir
from conftest import ENTRIES, ROOT, RunCli, commit_all

NEW = "new-community-sentences-2021"
LATE = "late-arrival-2022"
WITHDRAWN = "barriers-employing-problem-drinkers-2010"
DELETED = "non-coerced-treatment-crime-2008"
MOVED = "drink-drive-deaths-community-2005"
RECATEGORISED = "drink-driver-management-canada-2004"
RENAMED_FROM = "networking-evidence-based-practices-2008"
RENAMED_TO = "networking-evidence-practices-2008"
DRAFTED = "wales-family-substance-use-support-2014"
DRAFTED_TITLE = "Wales takes integrated family support nationwide"
TODAY = dt.datetime.now(dt.UTC).date()


def _study(study_id: str, title: str, cell: str = "alcohol/E5", category: str = "key") -> str:
    return (
        f"id: {study_id}\ntitle: {title}\nstatus: published\n"
        "source:\n  organisation: Test Office\n  jurisdiction: England\n  year: 2021\n"
        f"summary: What it found.\nplacements:\n  - cell: {cell}\n    categories: [{category}]\n"
        "    note: Why it matters here.\n"
    )


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _init(root: Path) -> git.Repo:
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as cfg:
        cfg.set_value("user", "name", "Test Editor")
        cfg.set_value("user", "email", "editor@example.org")
    return repo


def _configure(root: Path, text: str) -> None:
    config = root / "matrixpipe.yml"
    before = config.read_text(encoding="utf-8") if config.is_file() else ""
    config.write_text(before + text, encoding="utf-8")


def make_edition_repo(root: Path) -> git.Repo:
    """The scenario of this module's docstring, in a fresh repository at `root`."""
    shutil.copytree(ENTRIES, root / "entries")
    shutil.copy(ROOT / "matrixpipe.yml", root / "matrixpipe.yml")
    add_site(root)
    repo = _init(root)
    commit_all(repo, "The bundled collection")
    repo.create_tag("v1")

    studies = root / "entries" / "studies"
    (studies / f"{NEW}.yaml").write_text(_study(NEW, "Community sentences with treatment"))
    _edit(
        studies / f"{WITHDRAWN}.yaml",
        "status: published",
        "status: withdrawn\nwithdrawn_reason: Superseded by a national survey.",
    )
    (studies / f"{DELETED}.yaml").unlink()
    _edit(studies / f"{MOVED}.yaml", "cell: alcohol/E5", "cell: alcohol/D5")
    _edit(
        studies / f"{RECATEGORISED}.yaml", "categories: [review]", "categories: [review, guidance]"
    )
    _edit(studies / f"{DRAFTED}.yaml", "status: published", "status: draft")
    repo.git.mv(f"entries/studies/{RENAMED_FROM}.yaml", f"entries/studies/{RENAMED_TO}.yaml")
    _edit(studies / f"{RENAMED_TO}.yaml", f"id: {RENAMED_FROM}", f"id: {RENAMED_TO}")
    cell = root / "entries" / "cells" / "alcohol" / "E5.md"
    _edit(cell, "status: published\n", "status: published\nreviewed: 2000-01-01\n")
    cell.write_text(cell.read_text(encoding="utf-8") + "\nA sentence added in 2020.\n")
    commit_all(repo, "The second edition")
    repo.create_tag("v2")

    (studies / f"{LATE}.yaml").write_text(_study(LATE, "A late arrival", "alcohol/D5", "review"))
    (root / "entries" / "cells" / "alcohol" / "D5.md").write_text(
        "---\nmatrix: alcohol\ncell: D5\nstatus: published\n"
        f"reviewed: {TODAY.isoformat()}\n---\n\n## About {{#about}}\n\nA bite for D5.\n"
    )
    commit_all(repo, "After the second edition")
    _configure(
        root,
        "editions:\n  - name: First edition\n    ref: v1\n  - name: Second edition\n    ref: v2\n"
        "site:\n  review_after_days: 365\n",
    )
    return repo


@pytest.fixture(scope="module")
def edition_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scenario built twice: the public site into public/, a preview into preview/."""
    root = tmp_path_factory.mktemp("editions") / "collection"
    make_edition_repo(root)
    assert run_build(root, None, drafts=False, color="never") == 0
    assert run_build(root, root / "preview", drafts=True, color="never") == 0
    return root


def _sections(html: str) -> dict[str, str]:
    """The What's new page's HTML by section: each h2's id → the HTML up to the next h2."""
    article = html[html.index("<article") : html.index("</article>")]
    parts = re.split(r'<h2 id="([^"]+)"', article)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def _list(section: str, kind: str) -> str:
    """One list of a section ("added", "withdrawn", …): the HTML from its h3 to the next."""
    found = re.search(rf'<h3 id="[^"]*-{kind}">(.*?)(?=<h3|$)', section, re.S)
    return found.group(1) if found else ""


def _study_href(study_id: str) -> str:
    return f'href="../studies/{study_id}/"'


# -- the comparison, on plain states ---------------------------------------------------------


def _state(title: str, status: str = "published", **cells: tuple[str, ...]) -> StudyState:
    return StudyState(title, status, tuple((f"alcohol/{k}", v) for k, v in cells.items()))


def test_compare_finds_each_kind_of_change() -> None:
    before = State(
        {
            "gone": _state("Gone", E5=("key",)),
            "withdrawn": _state("Withdrawn", E5=("key",)),
            "moved": _state("Moved", E5=("key",)),
            "recat": _state("Recat", E5=("review",)),
            "drafted": _state("Drafted", E5=("key",)),
            "was-draft": _state("Was draft", "draft", E5=("key",)),
        },
        {"alcohol/E5": "Old bite.", "alcohol/A1": "Same bite."},
    )
    after = State(
        {
            "withdrawn": _state("Withdrawn", "withdrawn", E5=("key",)),
            "moved": _state("Moved", D5=("key",)),
            "recat": _state("Recat", E5=("guidance", "review")),
            "drafted": _state("Drafted", "draft", E5=("key",)),
            "was-draft": _state("Was draft", E5=("key",)),
            "new": _state("New", E5=("seminal",)),
        },
        {"alcohol/E5": "New bite.", "alcohol/A1": "Same bite.", "alcohol/B2": "First bite."},
    )

    changes = compare(before, after)

    assert [c.id for c in changes.added] == ["new", "was-draft"]
    assert [c.id for c in changes.withdrawn] == ["gone", "withdrawn"]
    assert [(c.id, c.left, c.joined) for c in changes.moved] == [
        ("moved", ["alcohol/E5"], ["alcohol/D5"])
    ]
    assert [(c.id, c.recategorised) for c in changes.recategorised] == [
        ("recat", [("alcohol/E5", ("review",), ("guidance", "review"))])
    ]
    assert changes.bites == ["alcohol/B2", "alcohol/E5"]
    assert changes.withdrawn[0].title == "Gone"  # a deleted study keeps its last title


def test_compare_ignores_drafts_order_and_unchanged_entries() -> None:
    same = _state("Same", E5=("key", "guidance"))
    before = State({"same": same, "draft": _state("Draft", "draft", E5=("key",))}, {"x/A1": ""})
    after = State(
        {"same": StudyState("Same", "published", same.cells), "draft": _state("Draft", "review")},
        {},
    )

    assert not compare(before, after)
    assert not compare(State(), State({"draft": _state("Draft", "draft")}))


# -- the comparison on real repositories -----------------------------------------------------


def _periods(root: Path) -> list[Period]:
    result = check(root, publish=True)
    return read_periods(result.collection, load_config(root).editions, read_history(root))


def _small_repo(root: Path) -> git.Repo:
    """The bundled collection without the site, committed and tagged `v1`."""
    shutil.copytree(ENTRIES, root / "entries")
    repo = _init(root)
    commit_all(repo, "The bundled collection")
    repo.create_tag("v1")
    return repo


@pytest.mark.parametrize("rewritten", [False, True], ids=["renamed", "renamed-then-rewritten"])
def test_a_renamed_study_is_the_same_study(tmp_path: Path, rewritten: bool) -> None:
    """Renamed between two editions, a study is neither added nor withdrawn, even when it was
    then rewritten so much that `git diff -M` between the editions cannot pair the files (the
    history walk's redirects still do)."""
    root = tmp_path / "collection"
    repo = _small_repo(root)
    old, new = root / f"entries/studies/{RENAMED_FROM}.yaml", f"entries/studies/{RENAMED_TO}.yaml"
    repo.git.mv(old.relative_to(root).as_posix(), new)
    _edit(root / new, f"id: {RENAMED_FROM}", f"id: {RENAMED_TO}")
    commit_all(repo, "Rename")
    if rewritten:
        (root / new).write_text(
            _study(
                RENAMED_TO, "Practice networks spread evidence-based treatment", category="review"
            )
        )
        commit_all(repo, "Rewrite")
    repo.create_tag("v2")
    pairs = repo.git.diff("--name-status", "-M", "v1", "v2")
    assert pairs.startswith("D\t" if rewritten else "R"), pairs  # no pair: only history knows
    _configure(root, "editions:\n  - {name: One, ref: v1}\n  - {name: Two, ref: v2}\n")

    since_last, second, first = _periods(root)

    assert second.until is not None and second.until.name == "Two"
    assert (second.changes.added, second.changes.withdrawn) == ([], [])
    assert [c.id for c in second.changes.recategorised] == ([RENAMED_TO] if rewritten else [])
    assert RENAMED_TO in [c.id for c in first.changes.added]  # known by its current id
    assert RENAMED_FROM not in [c.id for c in first.changes.added]
    assert not since_last.changes


def test_only_the_files_that_changed_between_editions_are_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three editions of 18 studies, one study changed in each step: the files parsed from Git
    are those, never every study at every edition (the rest is the checked collection's)."""
    root = tmp_path / "collection"
    repo = _small_repo(root)
    studies = root / "entries" / "studies"
    _edit(studies / f"{MOVED}.yaml", "cell: alcohol/E5", "cell: alcohol/D5")
    commit_all(repo, "Move")
    repo.create_tag("v2")
    _edit(studies / f"{RECATEGORISED}.yaml", "categories: [review]", "categories: [guidance]")
    commit_all(repo, "Re-categorise")
    repo.create_tag("v3")
    _configure(root, "editions:\n" + "".join(f"  - {{name: E{n}, ref: v{n}}}\n" for n in (1, 2, 3)))
    parsed: Counter[str] = Counter()
    parse = editions.parse_entry

    def counted(path: str, kind: Any, raw: bytes) -> Any:
        parsed[path] += 1
        return parse(path, kind, raw)

    monkeypatch.setattr(editions, "parse_entry", counted)
    periods = _periods(root)

    assert len(list(studies.glob("*.yaml"))) == 18
    assert set(parsed) == {f"entries/studies/{MOVED}.yaml", f"entries/studies/{RECATEGORISED}.yaml"}
    assert sum(parsed.values()) <= 4  # each blob once: v1 and v2 of one, v2 and v3 of the other
    assert [len(p.changes.added) for p in periods] == [0, 0, 0, 18]
    assert [c.id for c in periods[1].changes.recategorised] == [RECATEGORISED]
    assert [c.id for c in periods[2].changes.moved] == [MOVED]


def test_a_date_edition_is_the_branch_at_the_end_of_that_day(tmp_path: Path) -> None:
    root = tmp_path / "collection"
    shutil.copytree(ENTRIES, root / "entries")
    repo = _init(root)
    repo.git.add("--all")
    early = dt.datetime(2020, 3, 1, 23, 0, tzinfo=dt.UTC)
    repo.index.commit("Early", author_date=early, commit_date=early)
    (root / f"entries/studies/{NEW}.yaml").write_text(_study(NEW, "Community sentences"))
    repo.git.add("--all")
    later = dt.datetime(2020, 3, 2, 0, 30, tzinfo=dt.UTC)
    repo.index.commit("Next day", author_date=later, commit_date=later)
    _configure(root, "editions:\n  - name: Spring 2020\n    date: 2020-03-01\n")

    since_last, first = _periods(root)

    assert first.until is not None and first.until.day == dt.date(2020, 3, 1)
    assert len(first.changes.added) == 18
    assert [c.id for c in since_last.changes.added] == [NEW]


# -- the settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edition", "message"),
    [
        ("{name: Both, ref: v1, date: 2020-01-01}", "edition 'Both': give exactly one of"),
        ("{name: Neither}", "edition 'Neither': give exactly one of"),
    ],
)
def test_a_malformed_edition_is_a_one_line_config_error(
    collection: Path, run_cli: RunCli, edition: str, message: str
) -> None:
    _configure(collection, f"editions:\n  - {edition}\n")

    result = run_cli(["check", collection])

    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"matrixpipe: error: matrixpipe.yml: {message} `ref` (a tag or commit) or `date` "
        "(YYYY-MM-DD)"
    ]


def test_an_edition_naming_no_commit_stops_the_build(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    root = Path(git_collection.working_tree_dir or "")
    add_site(root)
    _configure(root, "editions:\n  - {name: Lost, ref: v1999}\n")

    result = run_cli(["build", root])

    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        "matrixpipe: error: matrixpipe.yml: edition 'Lost': no commit 'v1999' in this "
        "repository (fetch its tags: actions/checkout with `fetch-tags: true`)"
    )
    assert not (root / "public").exists()


def test_without_editions_the_page_lists_everything_since_the_beginning(
    collection: Path, run_cli: RunCli
) -> None:
    """No Git and no editions: one section, every public study, and the home page links it."""
    add_site(collection)
    _edit(collection / f"entries/studies/{DRAFTED}.yaml", "status: published", "status: draft")

    assert run_cli(["render", collection]).exit_code == 0

    docs = collection / "site" / "docs"
    page = (docs / "whats-new.md").read_text(encoding="utf-8")
    assert page.count("\n## ") == 1 and "## Since the beginning {#mp-since-beginning}" in page
    assert "### Added (17)" in page
    assert f'href="../studies/{MOVED}/"' in page and f"studies/{DRAFTED}" not in page
    assert "[What’s new in each edition](whats-new.md)" in (docs / "index.md").read_text()


# -- the built site --------------------------------------------------------------------------


def test_whats_new_lists_what_the_second_edition_changed(edition_site: Path) -> None:
    html = (edition_site / "public" / "whats-new" / "index.html").read_text(encoding="utf-8")
    sections = _sections(html)
    assert list(sections) == [
        "mp-since-last",
        "mp-edition-second-edition",
        "mp-edition-first-edition",
    ]
    second = sections["mp-edition-second-edition"]

    assert _study_href(NEW) in _list(second, "added")
    assert "Community sentences with treatment" in _list(second, "added")
    withdrawn = _list(second, "withdrawn")
    assert _study_href(WITHDRAWN) in withdrawn  # its notice page
    assert "Non-coerced treatment linked to the largest falls in crime" in withdrawn
    assert "removed from the collection" in withdrawn and _study_href(DELETED) not in html
    moved = _list(second, "moved")
    assert _study_href(MOVED) in moved
    assert re.search(
        r'from <a href="\.\./alcohol/E5/">.*?</a> to <a href="\.\./alcohol/D5/">', moved
    )
    assert _study_href(RECATEGORISED) in _list(second, "recategorised")
    assert "review → review and guidance" in _list(second, "recategorised")
    assert 'href="../alcohol/E5/"' in _list(second, "bites")
    # A renamed study is the same study; one back in draft is named nowhere.
    assert RENAMED_TO not in second and RENAMED_FROM not in second
    assert DRAFTED not in html and DRAFTED_TITLE not in html


def test_whats_new_lists_changes_since_the_newest_edition_and_the_first_editions_studies(
    edition_site: Path,
) -> None:
    html = (edition_site / "public" / "whats-new" / "index.html").read_text(encoding="utf-8")
    sections = _sections(html)
    since = sections["mp-since-last"]
    assert _study_href(LATE) in _list(since, "added") and NEW not in since
    assert 'href="../alcohol/D5/"' in _list(since, "bites")
    first = _list(sections["mp-edition-first-edition"], "added")
    assert first.count("<li>") == 17  # the bundled 18, less the one back in draft
    assert _study_href(RENAMED_TO) in first and _study_href(WITHDRAWN) in first
    assert "Non-coerced treatment" in first and _study_href(DELETED) not in first


def test_the_home_and_about_pages_link_to_whats_new(edition_site: Path) -> None:
    public = edition_site / "public"
    assert 'href="whats-new/"' in (public / "index.html").read_text(encoding="utf-8")
    assert 'href="../whats-new/"' in (public / "about" / "index.html").read_text(encoding="utf-8")


def test_cells_say_when_they_were_last_reviewed(edition_site: Path) -> None:
    e5 = (edition_site / "public" / "alcohol" / "E5" / "index.html").read_text(encoding="utf-8")
    d5 = (edition_site / "public" / "alcohol" / "D5" / "index.html").read_text(encoding="utf-8")
    a1 = (edition_site / "public" / "alcohol" / "A1" / "index.html").read_text(encoding="utf-8")
    assert "Last reviewed 1 January 2000." in e5
    assert f"Last reviewed {TODAY.day} {TODAY:%B %Y}." in d5
    assert "Last reviewed" not in a1  # no cell file: nothing to say


def test_the_stale_cell_warning_is_in_the_preview_only(edition_site: Path) -> None:
    def cell(build: str, code: str) -> str:
        return (edition_site / build / "alcohol" / code / "index.html").read_text(encoding="utf-8")

    assert "Due for review" in cell("preview", "E5")
    assert "more than 365 days ago" in cell("preview", "E5")
    assert "Due for review" not in cell("preview", "D5")  # reviewed today
    assert "Due for review" not in cell("public", "E5")
    assert "review_after_days" not in cell("public", "E5")
    warning = re.search(r'<div class="admonition warning mp-stale"[^>]*>', cell("preview", "E5"))
    assert (
        warning
        and "data-search-exclude" in warning.group()
        and "data-pagefind-ignore" in warning.group()
    )


# -- in Chromium -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_url(edition_site: Path) -> Iterator[str]:
    with serve_dir(edition_site / "public") as url:
        yield url


@pytest.mark.browser
def test_whats_new_in_chromium_links_to_the_added_and_withdrawn_studies(
    page: Any, base_url: str
) -> None:
    from playwright.sync_api import expect

    page.goto(base_url)
    page.get_by_role("link", name="What’s new in each edition").click()
    expect(page).to_have_url(base_url + "whats-new/")
    expect(page.locator("h1")).to_contain_text("What’s new")
    second = page.locator("#mp-edition-second-edition-added + ul")
    second.get_by_role("link", name="Community sentences with treatment").click()
    expect(page).to_have_url(base_url + f"studies/{NEW}/")
    expect(page.locator("h1")).to_contain_text("Community sentences with treatment")
    page.go_back()
    page.locator("#mp-edition-second-edition-withdrawn + ul a").first.click()
    expect(page).to_have_url(base_url + f"studies/{WITHDRAWN}/")
    expect(page.locator("article")).to_contain_text("Superseded by a national survey.")
    page.wait_for_load_state("networkidle")


@pytest.mark.browser
def test_whats_new_has_no_serious_accessibility_violations(page: Any, base_url: str) -> None:
    page.goto(base_url + "whats-new/")

    violations = serious_violations(page, axe_source())

    assert violations == [], describe(violations)


@pytest.mark.browser
def test_every_link_on_whats_new_answers(page: Any, base_url: str) -> None:
    response = page.goto(base_url + "whats-new/")
    assert response is not None and response.ok
    hrefs = page.locator("article a[href]").evaluate_all(
        "els => els.map(a => a.getAttribute('href'))"
    )
    targets = {urljoin(page.url, h).split("#")[0] for h in hrefs if not h.startswith("#")}
    assert {urljoin(base_url, f"studies/{s}/") for s in (NEW, LATE, WITHDRAWN)} <= targets
    assert {urljoin(base_url, f"alcohol/{c}/") for c in ("D5", "E5")} <= targets
    for target in sorted(targets):
        assert page.request.get(target).ok, target
    page.wait_for_load_state("networkidle")
