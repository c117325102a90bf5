"""Atom and RSS feeds: valid, linked from the pages, and dated from Git history."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from browser import add_site
from conftest import RunCli

PROBATION = "probation-alcohol-offenders-2009"
FIRST = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
SECOND = datetime(2024, 3, 5, 10, 30, tzinfo=UTC)


def _commit(repo: Path, message: str, when: datetime) -> None:
    """Commit everything with a known author and committer date."""
    stamp = when.isoformat()
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    subprocess.run(["git", "add", "--all", "entries"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo, env=env, check=True)


@pytest.fixture
def dated(collection: Path) -> Path:
    """The bundled collection in Git: added on FIRST, the probation study changed on SECOND."""
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=collection, check=True)
    for key, value in (("user.name", "Test Editor"), ("user.email", "editor@example.org")):
        subprocess.run(["git", "config", key, value], cwd=collection, check=True)
    _commit(collection, "Add the collection", FIRST)
    study = collection / "entries" / "studies" / f"{PROBATION}.yaml"
    study.write_text(study.read_text().replace("six case-study areas", "six case study areas"))
    _commit(collection, "Reword the probation summary", SECOND)
    return add_site(collection)


def _parse(path: Path) -> feedparser.FeedParserDict:
    feed = feedparser.parse(path.read_text(encoding="utf-8"))
    assert feed.bozo == 0, f"{path}: {feed.get('bozo_exception')}"
    return feed


def _when(struct: object) -> datetime:
    return datetime(*struct[:6], tzinfo=UTC)  # type: ignore[index]


def test_site_feeds_are_valid_and_carry_git_dates(dated: Path, run_cli: RunCli) -> None:
    assert run_cli(["render", dated]).exit_code == 0
    docs = dated / "site" / "docs"

    atom = _parse(docs / "feed.atom.xml")
    rss = _parse(docs / "feed.rss.xml")

    assert atom.version == "atom10" and rss.version == "rss20"
    newest = atom.entries[0]
    assert newest.link == f"https://example.org/studies/{PROBATION}/"
    assert _when(newest.updated_parsed) == SECOND
    assert _when(newest.published_parsed) == FIRST
    assert _when(atom.feed.updated_parsed) == SECOND
    assert all(_when(e.updated_parsed) == FIRST for e in atom.entries[1:])
    assert len(atom.entries) == 19  # 18 studies and the E5 bite
    assert rss.entries[0].link == newest.link
    assert _when(rss.entries[0].published_parsed) == SECOND


def test_each_cell_has_its_own_feed(dated: Path, run_cli: RunCli) -> None:
    assert run_cli(["render", dated]).exit_code == 0
    docs = dated / "site" / "docs" / "alcohol"

    e5 = _parse(docs / "E5" / "feed.atom.xml")
    d5 = _parse(docs / "D5" / "feed.rss.xml")

    assert e5.feed.link == "https://example.org/alcohol/E5/"
    links = {e.link for e in e5.entries}
    assert f"https://example.org/studies/{PROBATION}/" in links
    assert "https://example.org/alcohol/E5/" in links  # the bite itself
    assert _when(e5.entries[0].updated_parsed) == SECOND
    assert d5.entries == []


def test_uncommitted_entries_stay_out_of_the_feeds(collection: Path, run_cli: RunCli) -> None:
    repo = add_site(collection)  # not a Git repository: nothing has a date
    assert run_cli(["render", repo]).exit_code == 0

    atom = _parse(repo / "site" / "docs" / "feed.atom.xml")

    assert atom.entries == []


def test_pages_link_their_feeds(dated: Path, run_cli: RunCli) -> None:
    assert run_cli(["build", dated]).exit_code == 0
    public = dated / "public"

    home = (public / "index.html").read_text(encoding="utf-8")
    cell = (public / "alcohol" / "E5" / "index.html").read_text(encoding="utf-8")

    assert '<link rel="alternate" type="application/atom+xml"' in home
    assert 'href="feed.atom.xml"' in home and 'href="feed.rss.xml"' in home
    assert 'type="application/atom+xml" title="Alcohol Treatment Matrix cell E5' in cell
    assert 'href="feed.atom.xml"' in cell  # the cell's own feed, in its folder
    assert (public / "alcohol" / "E5" / "feed.atom.xml").is_file()
