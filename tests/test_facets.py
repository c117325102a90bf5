"""Faceted search, rendered: the filters each study page gives Pagefind, and the vocabulary the
Find studies page offers, both read from the same public view.

The collection is the bundled one plus studies in alcohol/B2 and alcohol/C3 (three cells filled)
with different categories, years and jurisdictions, one of them listed in both cells, and a
jurisdiction group whose name carries HTML (`Isles & <i>Islands</i>`), as a collection's table
may: Pagefind's default UI shows filter values as HTML, so that name must reach it as text.
tests/test_facets_browser.py builds the same collection and searches it in Chromium.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from matrixpipe.check.run import check
from matrixpipe.git.history import History
from matrixpipe.publish.context import RenderContext
from matrixpipe.publish.pages.find import (
    DATA_ID,
    FACETS,
    FIND,
    decade,
    render_find,
    study_facets,
)
from matrixpipe.publish.pages.studies import render_study
from matrixpipe.publish.render import first_outputs, render_context

from conftest import ENTRIES, ROOT

HOSTILE_GROUP = "Isles & <i>Islands</i>"
ALCOHOL = "Alcohol Treatment Matrix"
WORD = "quokka"
"""In the summary of every added study and in no bundled one: the Pagefind UI needs a word."""

# id → (placements as (cell, categories), year, jurisdiction, tags)
ADDED: dict[str, tuple[list[tuple[str, list[str]]], int | None, str, list[str]]] = {
    "b2-review-scotland-2015": ([("alcohol/B2", ["review"])], 2015, "Scotland", ["prisons"]),
    "b2-key-usa-2003": ([("alcohol/B2", ["key"])], 2003, "USA", ["families"]),
    "b2-key-england-2019": ([("alcohol/B2", ["key", "guidance"])], 2019, "England", ["prisons"]),
    "c3-key-canada-undated": ([("alcohol/C3", ["key"])], None, "Canada", []),
    "c3-guidance-australia-2012": ([("alcohol/C3", ["guidance"])], 2012, "Australia", ["families"]),
    "two-cells-jersey-2016": (
        [("alcohol/B2", ["review"]), ("alcohol/C3", ["key"])],
        2016,
        "Jersey",
        ["prisons"],
    ),
}
WITHDRAWN = "barriers-employing-problem-drinkers-2010"


def _study_yaml(study_id: str) -> str:
    placements, year, jurisdiction, tags = ADDED[study_id]
    lines = [
        f"id: {study_id}",
        f"title: A study of {study_id.replace('-', ' ')}",
        "status: published",
        "source:",
        "  organisation: Test Office",
        f"  jurisdiction: {jurisdiction}",
        *([f"  year: {year}"] if year is not None else []),
        f"summary: What the {WORD} outreach found.",
        f"tags: [{', '.join(tags)}]",
        "placements:",
    ]
    for cell, categories in placements:
        lines += [
            f"  - cell: {cell}",
            f"    categories: [{', '.join(categories)}]",
            "    note: Why it matters here.",
        ]
    return "\n".join(lines) + "\n"


def make_collection(root: Path, engine: str) -> Path:
    """The bundled entries, the added studies, one withdrawn study, and matrixpipe.yml with the
    bundled jurisdictions table (plus the hostile group) and `site: {search: <engine>}`."""
    shutil.copytree(ENTRIES, root / "entries")
    studies = root / "entries" / "studies"
    for study_id in ADDED:
        (studies / f"{study_id}.yaml").write_text(_study_yaml(study_id), encoding="utf-8")
    withdrawn = studies / f"{WITHDRAWN}.yaml"
    withdrawn.write_text(
        withdrawn.read_text(encoding="utf-8").replace(
            "status: published", "status: withdrawn\nwithdrawn_reason: Superseded.", 1
        ),
        encoding="utf-8",
    )
    config = yaml.safe_load((ROOT / "matrixpipe.yml").read_text(encoding="utf-8")) or {}
    config.setdefault("jurisdictions", {})[HOSTILE_GROUP] = ["Jersey"]
    config["site"] = {**config.get("site", {}), "search": engine}
    (root / "matrixpipe.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def contexts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RenderContext]:
    """The render context of the collection with each search engine, by engine."""
    out = {}
    for engine in ("pagefind", "material"):
        repo = make_collection(tmp_path_factory.mktemp(engine) / "collection", engine)
        result = check(repo, publish=True)
        assert result.report.failing() == []
        out[engine] = render_context(result.collection, result.config, False, History())
    return out


@pytest.fixture(params=["pagefind", "material"])
def ctx(request: pytest.FixtureRequest, contexts: dict[str, RenderContext]) -> RenderContext:
    return contexts[request.param]


class _Filters(HTMLParser):
    """Every `data-pagefind-filter` of a page, as Pagefind reads it: the HTML parser decodes the
    attribute, and Pagefind's own normalising decodes it once more."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, list[str]] = {}
        self.raw: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "data-pagefind-filter" and value is not None:
                self.raw.append(value)
                key, _, stored = value.partition(":")
                self.found.setdefault(key, []).append(html.unescape(" ".join(stored.split())))


def pagefind_filters(page: str) -> dict[str, list[str]]:
    """A page's filters as Pagefind's index holds them (HTML text, as its UI shows them)."""
    parser = _Filters()
    parser.feed(page)
    return parser.found


def shown(filters: dict[str, list[str]]) -> dict[str, list[str]]:
    """What a reader sees of those values in Pagefind's UI: the HTML text, as text."""
    return {key: [html.unescape(v) for v in values] for key, values in filters.items()}


EXPECTED: dict[str, dict[str, list[str]]] = {
    "b2-review-scotland-2015": {
        "matrix": [ALCOHOL],
        "cell": ["alcohol/B2"],
        "category": ["Review"],
        "decade": ["2010s"],
        "year": ["2015"],
        "jurisdiction": ["United Kingdom"],
        "tag": ["prisons"],
    },
    "c3-key-canada-undated": {
        "matrix": [ALCOHOL],
        "cell": ["alcohol/C3"],
        "category": ["Key study"],
        "decade": ["n.d."],
        "year": ["n.d."],
        "jurisdiction": ["Canada"],
    },
    "two-cells-jersey-2016": {
        "matrix": [ALCOHOL],
        "cell": ["alcohol/B2", "alcohol/C3"],
        "category": ["Review", "Key study"],
        "decade": ["2010s"],
        "year": ["2016"],
        "jurisdiction": [HOSTILE_GROUP],
        "tag": ["prisons"],
    },
    "b2-key-england-2019": {
        "matrix": [ALCOHOL],
        "cell": ["alcohol/B2"],
        "category": ["Key study", "Guidance"],
        "decade": ["2010s"],
        "year": ["2019"],
        "jurisdiction": ["United Kingdom"],
        "tag": ["prisons"],
    },
}


@pytest.mark.parametrize("study_id", list(EXPECTED))
def test_a_study_page_carries_exactly_its_filter_values(ctx: RenderContext, study_id: str) -> None:
    study = ctx.view.study(study_id)
    assert study is not None
    page = render_study(ctx, study)

    filters = pagefind_filters(page)

    if ctx.site.search == "material":
        assert filters == {}  # Material's search has no filters: the pages stay as they were
        return
    assert shown(filters) == EXPECTED[study_id]
    assert {k: v for k, v in study_facets(ctx.view, study).items() if v} == EXPECTED[study_id]
    # Hidden, inside the article, and nothing in them for Pagefind to index as words.
    block = re.search(r'<div class="mp-facets" hidden data-pagefind-ignore>(.*?)</div>', page)
    assert block is not None and re.sub(r"<[^>]*>", "", block.group(1)) == ""
    assert page.index("# ") < block.start() < page.index("## The document")


def test_a_jurisdiction_group_with_markup_reaches_pagefind_as_text(
    contexts: dict[str, RenderContext],
) -> None:
    ctx = contexts["pagefind"]
    study = ctx.view.study("two-cells-jersey-2016")
    assert study is not None

    filters = pagefind_filters(render_study(ctx, study))

    # The index holds HTML text, which Pagefind's UI (`{@html value}`) shows as the name.
    assert filters["jurisdiction"] == [html.escape(HOSTILE_GROUP)]
    assert "<i>" not in json.dumps(filters)


def test_withdrawn_notices_carry_no_filters(ctx: RenderContext) -> None:
    withdrawn = next(s for s in ctx.view.withdrawn if s.id == WITHDRAWN)
    assert pagefind_filters(render_study(ctx, withdrawn)) == {}


def _data_block(page: str) -> dict[str, object]:
    found = re.search(rf'<script type="application/json" id="{DATA_ID}">(.*?)</script>', page)
    assert found is not None
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_the_find_page_offers_exactly_the_values_the_study_pages_carry(
    ctx: RenderContext,
) -> None:
    page = render_find(ctx)
    data = _data_block(page)

    union: dict[str, set[str]] = {key: set() for key in FACETS}
    for study in ctx.view.studies:
        for key, values in study_facets(ctx.view, study).items():
            union[key].update(values)
    facets = {f["key"]: f for f in data["facets"]}  # type: ignore[attr-defined]
    assert list(facets) == list(FACETS)
    for key in FACETS:
        assert {o["value"] for o in facets[key]["options"]} == union[key], key
    assert [o["value"] for o in facets["decade"]["options"]][-1] == "n.d."  # newest first
    assert [o["value"] for o in facets["cell"]["options"]] == [
        "alcohol/B2",
        "alcohol/C3",
        "alcohol/E5",
    ]
    # The table the page maps API records with is the view's: Jersey is filed under the group.
    assert data["jurisdictions"]["Jersey"] == HOSTILE_GROUP  # type: ignore[index]
    assert data["jurisdictions"]["Scotland"] == "United Kingdom"  # type: ignore[index]
    assert WITHDRAWN not in page
    assert data["api"] == "../api/v1/studies.json" and data["studies"] == "../studies/"


def test_the_find_page_is_labelled_kept_out_of_search_and_rendered_first(
    ctx: RenderContext,
) -> None:
    page = next(o.make() for o in first_outputs(ctx) if o.path == FIND)

    assert 'search: {"exclude": true}' in page
    assert "# Find studies\n" in page
    for key in FACETS:
        assert f'<label for="mp-find-{key}">' in page and f'<select id="mp-find-{key}"' in page
    assert 'aria-live="polite"' in page
    # The data block cannot close its script element early, whatever a title holds.
    block = page[page.index(f'id="{DATA_ID}">') :]
    assert block.count("</") == 1


@pytest.mark.parametrize(
    ("year", "expected"), [(2015, "2010s"), (2000, "2000s"), (1999, "1990s"), (None, "n.d.")]
)
def test_decade(year: int | None, expected: str) -> None:
    assert decade(year) == expected
