"""Index pages (`/indexes/…/`): every visible study by tag, jurisdiction, year and category.

One pass over the studies fills every group, so the indexes stay linear in the collection's size.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from matrixpipe import models
from matrixpipe.publish.context import RenderContext
from matrixpipe.publish.markdown import attr, escape
from matrixpipe.publish.pages.parts import (
    CATEGORY_NAMES,
    front_matter,
    slug,
    source_html,
    year_text,
)


@dataclass(frozen=True)
class Index:
    """One index page: its file, title, intro, and how a group's anchor is made."""

    name: str
    title: str
    intro: str
    prefix: str

    @property
    def path(self) -> str:
        return f"indexes/{self.name}.md"


INDEXES = {
    "tags": Index(
        "tags", "Studies by tag", "Every published study under each of its topics.", "tag"
    ),
    "jurisdictions": Index(
        "jurisdictions",
        "Studies by jurisdiction",
        "Where each study was done, or where its guidance applies.",
        "jurisdiction",
    ),
    "years": Index("years", "Studies by year", "Newest first, by year of publication.", "year"),
    "categories": Index(
        "categories",
        "Studies by category",
        "Seminal studies, key studies, reviews and guidance, with the cells that list them.",
        "category",
    ),
}


LANDING = "indexes/index.md"
INDEX_PAGES = (*(index.path for index in INDEXES.values()), LANDING)


def index_link(kind: str, value: object) -> tuple[str, str]:
    """The docs file and anchor of one group of an index, for links from other pages."""
    index = INDEXES[kind]
    return (index.path, f"{index.prefix}-{slug(str(value))}")


def render_indexes(ctx: RenderContext) -> dict[str, str]:
    """The four index pages and their landing page, as docs path → Markdown."""
    groups: dict[str, dict[str, list[tuple[models.Study, str]]]] = {
        k: defaultdict(list) for k in INDEXES
    }
    for study in ctx.view.studies:
        for tag in study.tags:
            groups["tags"][tag].append((study, ""))
        groups["jurisdictions"][study.source.jurisdiction or "Not given"].append((study, ""))
        groups["years"][year_text(study.source)].append((study, ""))
        for cell, placement in ctx.view.placements_of(study):
            for category in placement.categories:
                groups["categories"][category].append((study, cell.key))
    order: dict[str, Callable[[str], object]] = {
        "tags": str.casefold,
        "jurisdictions": str.casefold,
        "years": lambda y: -int(y) if y.isdigit() else 1,  # n.d. last
        "categories": models.CATEGORIES.index,
    }
    pages = {INDEXES[k].path: _page(ctx, INDEXES[k], groups[k], order[k]) for k in INDEXES}
    pages[LANDING] = _landing(groups)
    return pages


def _page(
    ctx: RenderContext,
    index: Index,
    groups: dict[str, list[tuple[models.Study, str]]],
    order: Callable[[str], object],
) -> str:
    keys = sorted(groups, key=order)
    jump = " · ".join(f"[{_label(index, k)}](#{index.prefix}-{slug(k)})" for k in keys)
    parts = [
        # Out of the search index: it only repeats headlines that have pages of their own, and
        # at 10,000 studies it is megabytes that search would parse on every build.
        front_matter(title=index.title, search={"exclude": True}),
        f"# {index.title}\n\n{index.intro}\n\n",
        f"{jump}\n{{: .mp-jump }}\n\n" if jump else "No published studies yet.\n\n",
    ]
    for key in keys:
        items = sorted(groups[key], key=lambda item: (item[0].title.casefold(), item[1]))
        parts.append(f"## {_label(index, key)} {{#{index.prefix}-{slug(key)}}}\n\n<ul>")
        parts.extend(_item(ctx, index.path, study, cell) for study, cell in items)
        parts.append("</ul>\n\n")
    return "".join(parts)


def _label(index: Index, key: str) -> str:
    if index.name == "categories":
        return CATEGORY_NAMES[key][2]
    return escape(key)


def _item(ctx: RenderContext, path: str, study: models.Study, cell: str) -> str:
    """One study as an HTML list item: an index lists thousands, and MkDocs sets a raw HTML
    block aside whole instead of parsing every line as Markdown."""
    link = ctx.href(path, ctx.study_path(study.id))
    line = f'<li><a href="{attr(link)}">{html.escape(study.title)}</a> {source_html(study.source)}'
    if cell:
        line += f', in <a href="{attr(ctx.href(path, ctx.cell_path(cell)))}">cell {html.escape(cell)}</a>'
    return line + "</li>"


def _landing(groups: dict[str, dict[str, list[tuple[models.Study, str]]]]) -> str:
    rows = "\n".join(
        f"- [{index.title}]({index.name}.md): {len(groups[key])} "
        f"{'group' if len(groups[key]) == 1 else 'groups'}. {index.intro}"
        for key, index in INDEXES.items()
    )
    return (
        front_matter(title="Indexes")
        + "# Indexes\n\nBrowse every published study another way. To find a study by the words "
        "of its headline, organisation or summary, use the search box; to combine matrix, cell, "
        "category, year, jurisdiction and tag, [find studies by filter](../find.md).\n\n"
        + rows
        + "\n"
    )
