"""The home page (`/`) and matrix pages (`/<matrix>/`): each matrix as its 5×5 grid.

The grid is a plain Markdown table, so MkDocs checks every cell link; each cell shows its code,
its name and how many studies of each category it lists, and an empty cell says so.
"""

from __future__ import annotations

import html

from matrixpipe import models
from matrixpipe.publish.context import DOWNLOADS_ROOT, RenderContext
from matrixpipe.publish.markdown import attr, escape, fragment, plain_text
from matrixpipe.publish.pages.find import FIND
from matrixpipe.publish.pages.indexes import INDEXES
from matrixpipe.publish.pages.parts import badge, front_matter, legend, long_date
from matrixpipe.publish.pages.whatsnew import TITLE as WHATS_NEW_TITLE
from matrixpipe.publish.pages.whatsnew import WHATS_NEW
from matrixpipe.publish.tables import GAP_LABELS
from matrixpipe.publish.view import Cell, Urls


def render_matrix(ctx: RenderContext, matrix: models.Matrix) -> str:
    """The page of one matrix: its description and its grid."""
    path = ctx.matrix_path(matrix.id)
    description = fragment(matrix.description, ctx.resolver(path))
    return (
        front_matter(
            title=matrix.title,
            description=plain_text(matrix.description, 200) or None,
            hide=["navigation", "toc"],
        )
        + f"# {escape(matrix.title)}\n\n"
        + (description + "\n\n" if description else "")
        + audiences(ctx, matrix, path, level=2)
        + "## The grid {#mp-grid}\n\n"
        + '=== "Studies"\n\n'
        + _indent(legend() + "\n" + grid(ctx, matrix, path))
        + '=== "Gaps in the evidence"\n\n'
        + _indent(gap_view(ctx, matrix, path))
    )


def _label(name: str) -> str:
    """A row or column name for the grid: it may break after a slash, never mid-word."""
    return escape(name).replace("/", "/<wbr>")


def _indent(markdown: str) -> str:
    """Markdown as the content of a tab (four spaces in)."""
    return "".join(f"    {line}" if line.strip() else line for line in markdown.splitlines(True))


GAP_MARKS = {"no_studies": "∅", "no_synthesis": "◇", "no_bite": "✎"}
"""A symbol per gap, beside its words: the gap view never relies on colour."""


def gap_view(ctx: RenderContext, matrix: models.Matrix, path: str) -> str:
    """The evidence-gap map: per cell, its counts by category and its gaps, with a legend and
    the same facts as a CSV shaped like the grid."""
    legend_items = " ".join(
        f'<span class="mp-gap mp-gap--{key}">{GAP_MARKS[key]} {label}</span>'
        for key, label in GAP_LABELS.items()
    )
    csv_href = ctx.href(path, f"{DOWNLOADS_ROOT}/{Urls.matrix_gaps(matrix.id)}")
    header = "| Kind of care \\ Level | " + " | ".join(
        f"**{c.code}**<br>{_label(c.name)}" for c in matrix.columns
    )
    lines = [header + " |", "|" + " --- |" * (len(matrix.columns) + 1)]
    for row in matrix.rows:
        cells = [
            _gap_cell(ctx, ctx.view.cells[f"{matrix.id}/{column.code}{row.code}"], path)
            for column in matrix.columns
        ]
        lines.append(f"| **{row.code}**<br>{_label(row.name)} | " + " | ".join(cells) + " |")
    return (
        f'<p class="mp-gap-legend">{legend_items}</p>\n\n'
        + "\n".join(lines)
        + "\n\n"
        + f'<p class="mp-downloads"><a href="{attr(csv_href)}">Download the gap map (CSV)</a></p>\n\n'
    )


def _gap_cell(ctx: RenderContext, cell: Cell, path: str) -> str:
    counts = " ".join(
        f"{badge(c)}&nbsp;{cell.counts[c]}" for c in models.CATEGORIES if cell.counts[c]
    )
    gaps = "".join(
        f'<span class="mp-gap mp-gap--{key}">{GAP_MARKS[key]} {label}</span>'
        for key, label in GAP_LABELS.items()
        if cell.gaps[key]
    )
    link = ctx.link(path, ctx.cell_path(cell.key))
    tally = f'<span class="mp-cell__counts">{counts}</span>' if counts else ""
    return f"[**{cell.code}**]({link}){{ .mp-cell .mp-gap-cell }}{tally}{gaps}"


def audiences(ctx: RenderContext, matrix: models.Matrix, path: str, level: int) -> str:
    """ "Start here if you are …": each kind of reader, with links to the cells that suit them."""
    if not matrix.audiences:
        return ""
    anchor = "mp-start" if level == 2 else f"mp-start-{matrix.id}"
    items = []
    for audience in matrix.audiences:
        cells = " · ".join(
            f'<a href="{attr(ctx.href(path, ctx.cell_path(f"{matrix.id}/{code}")))}" '
            f'title="{attr(ctx.view.cells[f"{matrix.id}/{code}"].name)}">{code}</a>'
            for code in audience.cells()
        )
        note = f" {html.escape(audience.note)}" if audience.note else ""
        items.append(f"<li><strong>{html.escape(audience.role)}</strong>:{note} Cells {cells}</li>")
    heading = f"{'#' * level} Start here if you are … {{#{anchor}}}\n\n"
    return heading + f'<ul class="mp-audiences">{"".join(items)}</ul>\n\n'


def render_home(ctx: RenderContext, latest: list[tuple[str, list[tuple[str, str]]]]) -> str:
    """The home page: every matrix's grid, the indexes, the latest changes and the feeds.

    Args:
        latest: the newest additions and changes by day (`latest_changes`), newest first.
    """
    path = "index.md"
    parts = [
        front_matter(title="Home", hide=["navigation", "toc"]),
        f"# {escape(ctx.site.title)}\n\n",
        "Each matrix maps the research on one kind of problem: its columns are the levels of the "
        "treatment system, from single interventions to whole systems, and its rows the kinds of "
        "care. Open a cell for the studies that matter most there and the bite, a short essay "
        "on what they mean in practice.\n\n",
        legend(),
        "\n",
    ]
    for matrix in ctx.view.matrices:
        link = ctx.link(path, ctx.matrix_path(matrix.id))
        parts.append(f"## [{escape(matrix.title)}]({link}) {{#{matrix.id}}}\n\n")
        parts.append(audiences(ctx, matrix, path, level=3))
        parts.append(grid(ctx, matrix, path))
    parts.append("## Browse and follow {#mp-browse}\n\n")
    parts.extend(f"- [{index.title}]({index.path})\n" for index in INDEXES.values())
    parts.append(f"- [Find studies by filter]({FIND}): matrix, cell, category, year, place, tag\n")
    parts.append(
        '- Follow additions and changes: [Atom feed](feed.atom.xml){ type="application/atom+xml" }'
        ' or [RSS feed](feed.rss.xml){ type="application/rss+xml" }\n'
        f"- [{WHATS_NEW_TITLE} in each edition]({WHATS_NEW})\n\n"
    )
    if latest:
        parts.append("## Latest additions and changes {#mp-latest}\n\n")
        for when, items in latest:
            links = "; ".join(f"[{escape(t)}]({ctx.link(path, target)})" for t, target in items)
            parts.append(f"- **{when}**: {links}\n")
        parts.append("\n")
    return "".join(parts)


def grid(ctx: RenderContext, matrix: models.Matrix, path: str) -> str:
    """The 5×5 grid as a Markdown table: columns A–E across, rows 1–5 down."""
    header = "| Kind of care \\ Level | " + " | ".join(
        f"**{c.code}**<br>{_label(c.name)}" for c in matrix.columns
    )
    lines = [header + " |", "|" + " --- |" * (len(matrix.columns) + 1)]
    for row in matrix.rows:
        cells = [
            _cell(ctx, ctx.view.cells[f"{matrix.id}/{column.code}{row.code}"], path)
            for column in matrix.columns
        ]
        lines.append(f"| **{row.code}**<br>{_label(row.name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n"


def _cell(ctx: RenderContext, page: Cell, path: str) -> str:
    counts = {c: page.counts[c] for c in models.CATEGORIES}
    link = ctx.link(path, ctx.cell_path(page.key))
    empty = not any(counts.values())
    name = f'<span class="mp-cell__name">{escape(page.name)}</span>'
    cls = ".mp-cell .mp-cell--empty" if empty else ".mp-cell"
    label = f"[**{page.code}**{name}]({link}){{ {cls} }}"
    if empty:
        return f'{label}<span class="mp-cell__none">no studies yet</span>'
    tally = " ".join(f"{badge(c, plural=True)}&nbsp;{n}" for c, n in counts.items() if n)
    return f'{label}<span class="mp-cell__counts">{tally}</span>'


def latest_changes(ctx: RenderContext, limit: int = 8) -> list[tuple[str, list[tuple[str, str]]]]:
    """The newest additions and changes among public studies, from Git dates, grouped by day
    (one line per date, so a day's batch of studies is one line, not eight of the same date):
    (date, [(title, docs path)]), newest first."""
    dated = []
    for study in ctx.view.studies:
        dates = ctx.dates(ctx.study_file(study.id))
        if dates is not None:
            dated.append((dates.updated, study.title, ctx.study_path(study.id)))
    dated.sort(key=lambda item: (item[0], item[2]), reverse=True)
    groups: dict[str, list[tuple[str, str]]] = {}
    for when, title, target in dated[:limit]:
        groups.setdefault(long_date(when), []).append((title, target))
    return list(groups.items())
