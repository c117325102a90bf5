"""Faceted search: every public study's filter values, and the "Find studies" page (`/find/`).

One function (`study_facets`) decides what a study is filed under: its matrices, cells and
categories, its year and decade, its jurisdiction's group (the collection's table, through
`PublicView.jurisdiction_group`) and its tags. With `search: pagefind` each study page carries
those values as Pagefind filters (`facet_markup`); the Find studies page carries the same
vocabulary as a JSON data block, so its selects offer exactly the values the filters hold.

The page's script (`assets/matrixpipe/find.js`) asks Pagefind with those filters when the build
runs Pagefind (the theme tells it), and otherwise filters the studies of the API
(`api/v1/studies.json`), computing each study's values from its record as `study_facets` does
here. The theme decides, not the render: `matrixpipe serve` and a plain `mkdocs build` use
Material's search even when `matrixpipe.yml` asks for Pagefind. Both match a study as a
whole: a study listed in cell B2 and marked key in another cell matches "alcohol/B2" and "Key
study" together, as Pagefind's filters can only say what a page holds.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable

from matrixpipe import models
from matrixpipe.publish.context import API_ROOT, RenderContext
from matrixpipe.publish.markdown import attr
from matrixpipe.publish.pages.indexes import LANDING
from matrixpipe.publish.pages.parts import CATEGORY_NAMES, NO_DATE, front_matter
from matrixpipe.publish.view import HOME, PublicView

FIND = "find.md"
TITLE = "Find studies"
DATA_ID = "mp-find-data"
"""The id of the page's JSON data block, which find.js reads."""

FACETS: dict[str, str] = {
    "matrix": "Matrix",
    "cell": "Cell",
    "category": "Category",
    "decade": "Decade",
    "year": "Year",
    "jurisdiction": "Jurisdiction",
    "tag": "Tag",
}
"""Filter key → its label, in the order the page offers them. The keys are Pagefind's filter
names (its UI shows them capitalised)."""

Facets = dict[str, list[str]]


def decade(year: int | None) -> str:
    """`2010s` for 2015; `n.d.` for a study without a year, as the year itself reads."""
    return f"{year // 10 * 10}s" if year is not None else NO_DATE


def _flat(text: str) -> str:
    """Whitespace runs as one space: Pagefind stores filter values so, and a select must match."""
    return " ".join(text.split())


def study_facets(view: PublicView, study: models.Study) -> Facets:
    """What one study is filed under, each facet's values readable, distinct and in order.

    A cell is its key (`alcohol/E5`), as `cell:` links and the API write it; a matrix is its
    title; a category is one study's label (`Key study`); a jurisdiction is its group in the
    collection's table (`England` → `United Kingdom`), and no value when none is given.
    """
    found: Facets = {key: [] for key in FACETS}

    def add(key: str, value: str) -> None:
        value = _flat(value)
        if value and value not in found[key]:
            found[key].append(value)

    for cell, placement in view.placements_of(study):
        add("matrix", cell.matrix.title)
        add("cell", cell.key)
        for category in models.CATEGORIES:
            if category in placement.categories:
                add("category", CATEGORY_NAMES[category][1])
    year = study.source.year
    add("decade", decade(year))
    add("year", str(year) if year is not None else NO_DATE)
    if study.source.jurisdiction:
        add("jurisdiction", view.jurisdiction_group(_flat(study.source.jurisdiction)))
    for tag in study.tags:
        add("tag", tag)
    return found


def pagefind_value(value: str) -> str:
    """A filter value as it must stand in `data-pagefind-filter`.

    Pagefind's default UI shows filter values as HTML, so the index must hold them as HTML text
    (`A &amp; B`), and Pagefind decodes an attribute's entities twice on the way in (the HTML
    parser, then its own normalising): hence three escapes. find.js escapes once to query.
    """
    return attr(html.escape(html.escape(value)))


def facet_markup(view: PublicView, study: models.Study) -> str:
    """A study's Pagefind filters: one empty hidden element per value, with no text to index."""
    spans = "".join(
        f'<span data-pagefind-filter="{key}:{pagefind_value(value)}"></span>'
        for key, values in study_facets(view, study).items()
        for value in values
    )
    return f'<div class="mp-facets" hidden data-pagefind-ignore>{spans}</div>\n\n'


def vocabulary(ctx: RenderContext) -> dict[str, object]:
    """What find.js needs: every facet's values among the public studies, in reading order,
    and how to compute a study's values from its API record (matrix titles, category labels,
    the jurisdiction table for the names in use)."""
    view = ctx.view
    seen: Facets = {key: [] for key in FACETS}
    jurisdictions: dict[str, str] = {}
    for study in view.studies:
        for key, values in study_facets(view, study).items():
            seen[key].extend(v for v in values if v not in seen[key])
        name = study.source.jurisdiction
        if name:
            jurisdictions[name] = _flat(view.jurisdiction_group(_flat(name)))
    matrices = {m.id: _flat(m.title) for m in view.matrices}
    order: dict[str, Callable[[str], object]] = {
        "matrix": list(matrices.values()).index,
        "cell": list(view.cells).index,
        "category": [CATEGORY_NAMES[c][1] for c in models.CATEGORIES].index,
        "decade": _newest_first,
        "year": _newest_first,
        "jurisdiction": str.casefold,
        "tag": str.casefold,
    }
    facets = []
    for key, label in FACETS.items():
        options = []
        for value in sorted(seen[key], key=order[key]):
            option: dict[str, str] = {"value": value, "text": value}
            if key == "cell":
                cell = view.cells[value]
                option["text"] = f"{cell.code}: {_flat(cell.name)}"
                option["group"] = matrices[cell.matrix.id]
            options.append(option)
        facets.append({"key": key, "label": label, "options": options})
    return {
        "api": ctx.href(FIND, f"{API_ROOT}/studies.json"),
        "pagefind": ctx.href(FIND, "pagefind/pagefind.js"),
        "root": ctx.href(FIND, HOME),
        "studies": ctx.href(FIND, "studies/index.md"),
        "no_date": NO_DATE,
        "matrices": matrices,
        "categories": {c: CATEGORY_NAMES[c][1] for c in models.CATEGORIES},
        "jurisdictions": jurisdictions,
        "facets": facets,
    }


def _newest_first(value: str) -> tuple[int, int]:
    """Years and decades newest first, `n.d.` last."""
    digits = value.removesuffix("s")
    return (0, -int(digits)) if digits.isdigit() else (1, 0)


def render_find(ctx: RenderContext) -> str:
    """The Markdown of the Find studies page: the filters' form (a select per facet), a live
    region for the results, and the vocabulary as JSON; find.js does the rest."""
    data = json.dumps(vocabulary(ctx), ensure_ascii=False, separators=(",", ":"))
    # No `</` may end the script element early; `<\/` is the same JSON.
    data = data.replace("</", "<\\/")
    selects = "".join(
        f'<div class="mp-find__field"><label for="mp-find-{key}">{label}</label>'
        f'<select id="mp-find-{key}" name="{key}" data-mp-facet="{key}">'
        '<option value="">Any</option></select></div>'
        for key, label in FACETS.items()
    )
    indexes = ctx.href(FIND, LANDING)
    return "".join(
        [
            front_matter(
                title=TITLE,
                description="Every published study by matrix, cell, category, year, "
                "jurisdiction and tag.",
                search={"exclude": True},
            ),
            f"# {TITLE}\n\n",
            "Pick one or more filters: they combine, so each one you add narrows the list. To "
            "find a study by the words of its headline or summary, use the search box.\n\n",
            '<form class="mp-find" id="mp-find" aria-label="Filter the studies" hidden>'
            f'<div class="mp-find__fields">{selects}</div>'
            '<p class="mp-find__actions"><button type="reset" class="md-button">'
            "Clear the filters</button></p></form>\n\n",
            '<div class="mp-find__results" id="mp-find-results" aria-live="polite">'
            '<p class="mp-find__status" id="mp-find-status">'
            "Choosing filters needs JavaScript. Without it, browse the "
            f'<a href="{attr(indexes)}">indexes</a> by tag, jurisdiction, year and category.'
            '</p><ul class="mp-find__list" id="mp-find-list"></ul></div>\n\n',
            f'<script type="application/json" id="{DATA_ID}">{data}</script>\n',
        ]
    )
