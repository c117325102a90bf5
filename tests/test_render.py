"""Render and build: the bundled collection becomes a clean MkDocs site, all or nothing."""

from __future__ import annotations

import re
from pathlib import Path

import git
import pytest

from matrixpipe.publish.markdown import escape
from matrixpipe.publish.sanitize import contributor_html

from browser import add_site, snapshot
from conftest import ROOT, RunCli

PROBATION = "probation-alcohol-offenders-2009"
BARRIERS = "barriers-employing-problem-drinkers-2010"
E5 = "entries/cells/alcohol/E5.md"


@pytest.fixture
def site_repo(collection: Path) -> Path:
    """The bundled collection with the repository's site layers, and a `site/pages/` for the
    tests' own hand-written pages."""
    repo = add_site(collection)
    (repo / "site" / "pages").mkdir(parents=True, exist_ok=True)
    return repo


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_bundled_collection_builds_clean_with_strict_mkdocs(
    site_repo: Path, run_cli: RunCli
) -> None:
    result = run_cli(["build", site_repo])

    assert result.exit_code == 0, result.output
    assert "mkdocs:" not in result.output
    public = site_repo / "public"
    assert (public / "index.html").is_file()
    assert (public / "alcohol" / "index.html").is_file()
    for code in ("A1", "D5", "E5"):
        assert (public / "alcohol" / code / "index.html").is_file()
    studies = sorted(p.stem for p in (site_repo / "entries" / "studies").glob("*.yaml"))
    assert len(studies) == 18
    for study in studies:
        assert (public / "studies" / study / "index.html").is_file()
    for index in ("tags", "jurisdictions", "years", "categories"):
        assert (public / "indexes" / index / "index.html").is_file()
    assert (public / "feed.atom.xml").is_file()
    assert (public / "alcohol" / "E5" / "feed.rss.xml").is_file()


def test_navigation_lists_neither_studies_nor_cells(site_repo: Path, run_cli: RunCli) -> None:
    assert run_cli(["build", site_repo]).exit_code == 0
    html = (site_repo / "public" / "index.html").read_text(encoding="utf-8")
    nav = html[html.index("md-nav--primary") : html.index("md-sidebar--secondary")]

    assert "studies/" not in nav
    assert "E5/" not in nav
    assert 'href="alcohol/"' in nav


def test_links_become_relative_links_to_generated_pages(site_repo: Path, run_cli: RunCli) -> None:
    assert run_cli(["render", site_repo]).exit_code == 0
    docs = site_repo / "site" / "docs"
    cell = (docs / "alcohol" / "E5.md").read_text(encoding="utf-8")

    # Contributor text is HTML in the page, so its links are final directory URLs.
    assert f'href="../../studies/{PROBATION}/" title="' in cell  # keeping its hover note
    assert 'href="../D5/" title="' in cell  # cell:alcohol/D5
    assert 'href="#issues"' in cell
    assert "study:" not in cell and "cell:" not in cell
    assert (docs / "about.md").is_file() and (docs / "contributors" / "contributing.md").is_file()


def test_render_removes_pages_that_are_no_longer_generated(
    site_repo: Path, run_cli: RunCli
) -> None:
    assert run_cli(["render", site_repo]).exit_code == 0
    stale = site_repo / "site" / "docs" / "studies" / "gone-2001.md"
    stale.write_text("# Gone\n", encoding="utf-8")

    assert run_cli(["render", site_repo]).exit_code == 0
    assert not stale.exists()


def test_broken_anchor_fails_before_anything_is_built(site_repo: Path, run_cli: RunCli) -> None:
    _edit(site_repo / E5, "In the\nissues [below](#issues)", "In the\nissues [below](#nope)")

    result = run_cli(["build", site_repo])

    assert result.exit_code == 1
    assert "MP302" in result.output and "#nope" in result.output
    assert not (site_repo / "public").exists()


def test_broken_link_in_a_hand_written_page_fails_the_mkdocs_build(
    site_repo: Path, run_cli: RunCli
) -> None:
    page = site_repo / "site" / "pages" / "broken.md"
    page.write_text("# Broken\n\nSee [nowhere](nowhere.md) and [there](about.md#nope).\n")

    result = run_cli(["build", site_repo])

    assert result.exit_code == 1
    assert "mkdocs: WARNING" in result.output
    assert "nowhere.md" in result.output and "#nope" in result.output
    assert not (site_repo / "public").exists()


def test_failed_build_leaves_the_previous_site_untouched(site_repo: Path, run_cli: RunCli) -> None:
    out = site_repo / "out" / "site"
    assert run_cli(["build", site_repo, "--out", out]).exit_code == 0
    before = snapshot(out)
    assert "index.html" in before

    _edit(site_repo / E5, "## Highlighted study", "Changed text.\n\n## Highlighted study")
    (site_repo / "site" / "pages" / "broken.md").write_text("[x](missing.md)\n")
    assert run_cli(["build", site_repo, "--out", out]).exit_code == 1
    assert snapshot(out) == before

    _edit(site_repo / E5, "issues [below](#issues)", "issues [below](#nope)")
    assert run_cli(["build", site_repo, "--out", out]).exit_code == 1
    assert snapshot(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"]  # no temporary folders left


def test_a_good_build_replaces_the_previous_site(site_repo: Path, run_cli: RunCli) -> None:
    out = site_repo / "public"
    assert run_cli(["build", site_repo]).exit_code == 0
    (out / "leftover.txt").write_text("from an older build")
    _edit(site_repo / E5, "## Highlighted study", "A new paragraph.\n\n## Highlighted study")

    assert run_cli(["build", site_repo]).exit_code == 0
    assert not (out / "leftover.txt").exists()
    assert "A new paragraph." in (out / "alcohol" / "E5" / "index.html").read_text()
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".public")) == []


def _make_drafts(repo: Path) -> None:
    _edit(repo / f"entries/studies/{BARRIERS}.yaml", "status: published", "status: draft")
    (repo / "entries/cells/alcohol/A1.md").write_text(
        "---\nmatrix: alcohol\ncell: A1\nstatus: review\n---\n\n"
        "## What is this cell about? {#about}\n\nA bite still in review.\n",
        encoding="utf-8",
    )


def test_public_build_leaves_drafts_out(site_repo: Path, run_cli: RunCli) -> None:
    _make_drafts(site_repo)

    assert run_cli(["build", site_repo]).exit_code == 0
    public = site_repo / "public"
    assert not (public / "studies" / BARRIERS).exists()
    cell = (public / "alcohol" / "E5" / "index.html").read_text(encoding="utf-8")
    assert BARRIERS not in cell
    a1 = (public / "alcohol" / "A1" / "index.html").read_text(encoding="utf-8")
    assert "A bite still in review" not in a1
    assert "not on the public site" not in cell + a1
    assert BARRIERS not in (public / "indexes" / "tags" / "index.html").read_text()


def test_preview_build_shows_drafts_with_a_banner(site_repo: Path, run_cli: RunCli) -> None:
    _make_drafts(site_repo)

    assert run_cli(["build", site_repo, "--drafts"]).exit_code == 0
    public = site_repo / "public"
    study = (public / "studies" / BARRIERS / "index.html").read_text(encoding="utf-8")
    assert "Draft: not on the public site" in study
    assert 'class="admonition warning"' in study
    assert f"studies/{BARRIERS}/" in (public / "alcohol" / "E5" / "index.html").read_text()
    a1 = (public / "alcohol" / "A1" / "index.html").read_text(encoding="utf-8")
    assert "A bite still in review" in a1 and "In review: not on the public site" in a1


def test_renamed_study_gets_a_redirect_page(git_collection: git.Repo, run_cli: RunCli) -> None:
    root = add_site(Path(git_collection.working_tree_dir or ""))
    new = "probation-alcohol-misusing-offenders-2009"
    old_path = root / f"entries/studies/{PROBATION}.yaml"
    text = old_path.read_text().replace(f"id: {PROBATION}", f"id: {new}")
    old_path.unlink()
    (root / f"entries/studies/{new}.yaml").write_text(text)
    bite = root / E5
    bite.write_text(bite.read_text().replace(f"study:{PROBATION}", f"study:{new}"))
    git_collection.git.add("--all", "entries")
    git_collection.index.commit("Rename the probation study")

    result = run_cli(["build", root])

    assert result.exit_code == 0, result.output
    page = root / "public" / "studies" / PROBATION / "index.html"
    html = page.read_text(encoding="utf-8")
    assert f'content="0; url=../{new}/"' in html
    assert f'<link rel="canonical" href="https://example.org/studies/{new}/">' in html
    assert f'<a href="../{new}/">' in html
    assert (root / "public" / "studies" / new / "index.html").is_file()


def test_study_page_shows_git_dates(git_collection: git.Repo, run_cli: RunCli) -> None:
    root = add_site(Path(git_collection.working_tree_dir or ""))
    assert run_cli(["render", root]).exit_code == 0
    page = (root / "site" / "docs" / "studies" / f"{PROBATION}.md").read_text()
    when = git_collection.head.commit.committed_datetime
    assert f"Added on {when.day} {when:%B %Y}." in page


def test_grid_shows_counts_and_marks_empty_cells(site_repo: Path, run_cli: RunCli) -> None:
    assert run_cli(["render", site_repo]).exit_code == 0
    home = (site_repo / "site" / "docs" / "index.md").read_text(encoding="utf-8")
    row5 = next(line for line in home.splitlines() if "Safeguarding the community |" in line)

    e5 = row5.rsplit(" | ", 1)[-1]
    assert "(alcohol/E5.md)" in e5
    assert 'title="Key studies">K</abbr>&nbsp;8' in e5
    assert 'title="Reviews">R</abbr>&nbsp;3' in e5
    assert 'title="Guidance">G</abbr>&nbsp;8' in e5  # seven, plus the Key and Guidance study
    assert row5.count("no studies yet") == 4


def test_indexes_group_every_study(site_repo: Path, run_cli: RunCli) -> None:
    assert run_cli(["render", site_repo]).exit_code == 0
    indexes = site_repo / "site" / "docs" / "indexes"

    tags = (indexes / "tags.md").read_text(encoding="utf-8")
    years = (indexes / "years.md").read_text(encoding="utf-8")
    categories = (indexes / "categories.md").read_text(encoding="utf-8")

    assert "## probation {#tag-probation}" in tags
    assert tags.count(f'href="../../studies/{PROBATION}/"') == 4  # one per tag
    assert years.index("{#year-2016}") < years.index("{#year-2004}")
    assert categories.count('in <a href="../../alcohol/E5/">cell alcohol/E5</a>') == 19


def test_hand_written_page_may_not_replace_a_generated_one(
    site_repo: Path, run_cli: RunCli
) -> None:
    (site_repo / "site" / "pages" / "index.md").write_text("# Mine\n")

    result = run_cli(["render", site_repo])

    assert result.exit_code == 2
    assert "site/pages/index.md" in result.output


def test_hand_written_page_may_not_replace_a_cell_page(site_repo: Path, run_cli: RunCli) -> None:
    """Cell, index and study pages are written apart from the hand-written ones (during the
    build, by a forked child): a clash is still refused, by render and build alike."""
    (site_repo / "site" / "pages" / "alcohol").mkdir()
    (site_repo / "site" / "pages" / "alcohol" / "E5.md").write_text("# Mine\n")

    for command in ("render", "build"):
        result = run_cli([command, site_repo])

        assert result.exit_code == 2, result.output
        assert "site/pages/alcohol/E5.md has the path of a generated page" in result.output
    assert not (site_repo / "public").exists()


# -- contributor Markdown, fragment by fragment ----------------------------------------------


def _resolve(target: str) -> str | None:
    return {
        "study:a-2001": "../../studies/a-2001/",
        "cell:alcohol/D5": "../D5/",
        "cell:alcohol/E5#issues": "#issues",
    }.get(target)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[a](study:a-2001)", '<a href="../../studies/a-2001/">a</a>'),
        ('[a](study:a-2001 "note")', '<a href="../../studies/a-2001/" title="note">a</a>'),
        ("[cell D5's bite](cell:alcohol/D5)", '<a href="../D5/">cell D5\'s bite</a>'),
        ("[Issues](cell:alcohol/E5#issues)", '<a href="#issues">Issues</a>'),
        (
            "[here](#issues) and [web](https://example.org)",
            '<a href="#issues">here</a> and '
            '<a href="https://example.org" rel="noopener noreferrer">web</a>',
        ),
        ("see <study:a-2001>", 'see <a href="../../studies/a-2001/">study:a-2001</a>'),
        ("`[a](study:a-2001)` stays code", "<code>[a](study:a-2001)</code> stays code"),
        ("[draft *one*](study:hidden-2002 'n') here", "draft <em>one</em> here"),
        ("![chart](study:hidden-2002)", "chart"),
    ],
)
def test_contributor_links_become_site_urls(text: str, expected: str) -> None:
    assert contributor_html(text, _resolve) == f"<p>{expected}</p>"


def test_escape_keeps_plain_text_plain() -> None:
    assert escape("[UK] <b>Min*istry* & co | x_y") == (
        r"\[UK\] &lt;b&gt;Min\*istry\* &amp; co \| x\_y"
    )
    assert re.fullmatch(r"[^\n]*", escape("two\nlines"))


def test_the_rules_page_is_the_registry_as_generated() -> None:
    """The rules page is generated (`matrixpipe rules --docs …`); it must not drift."""
    from matrixpipe.commands.rules import RULES_PAGE, rules_markdown

    assert (ROOT / RULES_PAGE).read_text(encoding="utf-8") == rules_markdown()
