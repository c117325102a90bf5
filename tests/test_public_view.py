"""Only published entries reach the public outputs, and every output agrees with the others.

One collection holds each kind of unpublished content, each with words of its own: a `review`
cell with a title and a bite, a `draft` study linked from nowhere, a published study placed in a
`draft` cell (listed: the view's rule), and a published study withdrawn from a cell on a branch
(built on `main` first, so caches and the previous site hold its words). The whole public output
(every HTML, XML, JSON, CSV, BibTeX, RIS file and the search index) is searched for those words;
the grid, the cell pages, the API and the CSV must agree on every cell's counts; every API `url`
must be a page of the site, and every cell and study page must have its API record.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path

import git
import pytest

from matrixpipe import models
from matrixpipe.commands.build import run_build

from browser import add_site
from conftest import commit_all

REVIEW_CELL = "alcohol/A1"
DRAFT_CELL = "alcohol/B2"
SECRET = {
    "review-cell-title": "zanzibarquux",
    "review-cell-bite": "flibbertigibbet",
    "draft-study-title": "quonsetwhirl",
    "draft-study-summary": "snollygosterish",
    "draft-study-note": "bumbershootery",
    "draft-cell-title": "hushhushcell",
    "draft-cell-bite": "cattywampusbite",
    "withdrawn-note": "lollygagnote",
}
PUBLIC = {"placed-in-draft-cell": "kerfufflepublic"}


def _study(study_id: str, title: str, status: str, summary: str, placements: str) -> str:
    return (
        f"id: {study_id}\ntitle: {title}\nstatus: {status}\n"
        "source:\n  organisation: Test Office\n  year: 2019\n"
        f"summary: {summary}\nplacements:\n{placements}"
    )


def _placement(cell: str, note: str, category: str = "key") -> str:
    return f"  - cell: {cell}\n    categories: [{category}]\n    note: {note}\n"


def _cell(key: str, status: str, title: str, bite: str) -> str:
    matrix, code = key.split("/")
    return (
        f"---\nmatrix: {matrix}\ncell: {code}\nstatus: {status}\ntitle: {title}\n---\n\n"
        f"## About {{#about}}\n\n{bite}\n"
    )


def _write(repo: Path, path: str, text: str) -> None:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    from conftest import ENTRIES

    repo_dir = tmp_path_factory.mktemp("view") / "collection"
    shutil.copytree(ENTRIES, repo_dir / "entries")
    add_site(repo_dir)
    s = SECRET
    _write(
        repo_dir,
        f"entries/cells/{REVIEW_CELL}.md",
        _cell(REVIEW_CELL, "review", f"The {s['review-cell-title']} cell", s["review-cell-bite"]),
    )
    _write(
        repo_dir,
        f"entries/cells/{DRAFT_CELL}.md",
        _cell(DRAFT_CELL, "draft", f"The {s['draft-cell-title']} cell", s["draft-cell-bite"]),
    )
    _write(
        repo_dir,
        "entries/studies/draft-only-2020.yaml",
        _study(
            "draft-only-2020",
            f"A {s['draft-study-title']} headline",
            "draft",
            f"Words of {s['draft-study-summary']}.",
            _placement("alcohol/E5", f"A {s['draft-study-note']} note."),
        ),
    )
    _write(
        repo_dir,
        "entries/studies/placed-in-draft-cell-2019.yaml",
        _study(
            "placed-in-draft-cell-2019",
            "A study listed in a draft cell",
            "published",
            "Published words.",
            _placement(DRAFT_CELL, f"A {PUBLIC['placed-in-draft-cell']} note."),
        ),
    )
    _write(
        repo_dir,
        "entries/studies/withdrawn-from-c3-2018.yaml",
        _study(
            "withdrawn-from-c3-2018",
            "A study listed in two cells, then in one",
            "published",
            "Published words.",
            _placement("alcohol/E5", "Stays in E5.")
            + _placement("alcohol/C3", f"A {s['withdrawn-note']} note.", "review"),
        ),
    )
    repo = git.Repo.init(repo_dir, initial_branch="main")
    with repo.config_writer() as cfg:
        cfg.set_value("user", "name", "Test Editor").set_value("user", "email", "e@example.org")
    commit_all(repo, "A collection with unpublished content")
    assert run_build(repo_dir, None, drafts=False, color="never") == 0
    # The withdrawal lands: on a branch, the study leaves cell C3.
    repo.git.checkout("-b", "withdraw")
    path = repo_dir / "entries/studies/withdrawn-from-c3-2018.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("  - cell: alcohol/C3")], encoding="utf-8")
    commit_all(repo, "Withdraw the study from C3")
    assert run_build(repo_dir, None, drafts=False, color="never") == 0
    return repo_dir / "public"


def _text_files(site: Path) -> dict[str, str]:
    suffixes = {".html", ".xml", ".json", ".csv", ".bib", ".ris", ".js", ".txt"}
    return {
        p.relative_to(site).as_posix(): p.read_text(encoding="utf-8", errors="replace")
        for p in site.rglob("*")
        if p.is_file() and (p.suffix in suffixes or p.name.endswith(".csl.json"))
    }


def test_no_unpublished_word_reaches_any_public_file(site: Path) -> None:
    files = _text_files(site)
    assert "search/search_index.json" in files and "downloads/matrixpipe.bib" in files
    assert len(files) > 200
    leaks = {
        what: sorted(name for name, text in files.items() if word in text.lower())
        for what, word in SECRET.items()
    }
    assert leaks == {what: [] for what in SECRET}


def test_a_published_study_in_a_draft_cell_is_listed_everywhere(site: Path) -> None:
    word = PUBLIC["placed-in-draft-cell"]
    assert word in (site / DRAFT_CELL / "index.html").read_text()
    assert word in (site / "studies" / "placed-in-draft-cell-2019" / "index.html").read_text()
    assert word in (site / "api/v1/cells" / f"{DRAFT_CELL}.json").read_text()
    page = (site / DRAFT_CELL / "index.html").read_text()
    assert "This cell has no published text yet." in page
    assert "Alcohol Treatment Matrix cell B2: Practitioners; Generic and cross-cutting" in page


_GRID_CELL = re.compile(
    r'<a class="mp-cell[^"]*" href="(?P<code>[A-E][1-5])/">.*?</a>'
    r'<span class="mp-cell__(?:counts|none)">(?P<counts>.*?)</span>'
)
_GRID_COUNT = re.compile(r"mp-badge--(\w+)[^>]*>\w</abbr>&nbsp;(\d+)")
_LISTING = re.compile(r'<ul class="mp-listing">(.*?)</ul>', re.S)
_ITEM_BADGES = re.compile(r"<li><p>((?:<abbr class=\"mp-badge mp-badge--\w+\"[^>]*>\w</abbr> ?)+)")


def _grid(site: Path, matrix: str) -> dict[str, Counter[str]]:
    page = (site / matrix / "index.html").read_text(encoding="utf-8")
    return {
        f"{matrix}/{m['code']}": Counter({c: int(n) for c, n in _GRID_COUNT.findall(m["counts"])})
        for m in _GRID_CELL.finditer(page)
    }


def _cell_page(site: Path, key: str) -> Counter[str]:
    page = (site / key / "index.html").read_text(encoding="utf-8")
    listing = _LISTING.search(page)
    counts: Counter[str] = Counter()
    for badges in _ITEM_BADGES.findall(listing.group(1) if listing else ""):
        counts.update(re.findall(r"mp-badge--(\w+)", badges))
    return counts


def test_grid_cell_pages_api_and_csv_agree_on_every_count(site: Path) -> None:
    rows = list(csv.DictReader(io.StringIO((site / "downloads/matrixpipe.csv").read_text())))
    by_csv: dict[str, Counter[str]] = {}
    for row in rows:
        by_csv.setdefault(f"{row['matrix']}/{row['cell']}", Counter()).update(
            row["categories"].split(";")
        )
    for matrix in ("alcohol", "drug"):
        grid = _grid(site, matrix)
        api = json.loads((site / f"api/v1/matrices/{matrix}.json").read_text())
        assert len(grid) == len(api["cells"]) == 25
        for cell in api["cells"]:
            key = cell["key"]
            from_api = Counter({c: n for c, n in cell["counts"].items() if c != "total" and n})
            record = json.loads((site / "api/v1/cells" / f"{key}.json").read_text())
            from_record = Counter({c: n for c, n in record["counts"].items() if c != "total" and n})
            assert grid[key] == from_api == from_record == _cell_page(site, key)
            assert from_api == by_csv.get(key, Counter()), key
            assert record["counts"]["total"] == len(record["placements"])
    assert _grid(site, "alcohol")[DRAFT_CELL] == Counter(key=1)
    assert _grid(site, "alcohol")["alcohol/C3"] == Counter()


def test_every_api_url_is_a_page_and_every_page_has_its_record(site: Path) -> None:
    api = site / "api/v1"
    urls: set[str] = set()
    for path in api.rglob("*.json"):
        if "schema" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        urls.update(re.findall(r'"url": "(https://example\.org/[^"#]*)', text))
    assert len(urls) >= 2 + 50 + 20  # matrices, cells, studies
    for url in sorted(urls):
        rel = url.removeprefix("https://example.org/")
        assert (site / rel / "index.html").is_file() or (site / rel).is_file(), url
    for matrix in ("alcohol", "drug"):
        for column in models.COLUMN_CODES:
            for row in models.ROW_CODES:
                key = f"{matrix}/{column}{row}"
                assert (site / key / "index.html").is_file()
                assert (api / "cells" / f"{key}.json").is_file(), key
    for page in (site / "studies").iterdir():
        if (page / "index.html").is_file() and "Moved:" not in (page / "index.html").read_text():
            assert (api / "studies" / f"{page.name}.json").is_file(), page.name
