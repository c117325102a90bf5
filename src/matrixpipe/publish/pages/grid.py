"""The home page (`/`) and matrix pages (`/<matrix>/`): each matrix as its 5×5 grid.

The grid is a plain Markdown table, so MkDocs checks every cell link; each cell shows its code,
its name and how many studies of each category it lists, and an empty cell says so.
"""

from __future__ import annotations

from matrixpipe import models
from matrixpipe.publish.context import RenderContext
from matrixpipe.publish.markdown import escape, fragment, plain_text
from matrixpipe.publish.pages.indexes import INDEXES
from matrixpipe.publish.pages.parts import badge, front_matter, legend, long_date
from matrixpipe.publish.view import Cell


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
        + legend()
        + "\n"
        + grid(ctx, matrix, path)
    )


def render_home(ctx: RenderContext, latest: list[tuple[str, str, str]]) -> str:
    """The home page: every matrix's grid, the indexes, the latest changes and the feeds.

    Args:
        latest: (date, title, docs path) of the newest additions and changes, newest first.
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
        parts.append(grid(ctx, matrix, path))
    parts.append("## Browse and follow {#mp-browse}\n\n")
    parts.extend(f"- [{index.title}]({index.path})\n" for index in INDEXES.values())
    parts.append(
        '- Follow additions and changes: [Atom feed](feed.atom.xml){ type="application/atom+xml" }'
        ' or [RSS feed](feed.rss.xml){ type="application/rss+xml" }\n\n'
    )
    if latest:
        parts.append("## Latest additions and changes {#mp-latest}\n\n")
        parts.extend(
            f"- {when}: [{escape(title)}]({ctx.link(path, target)})\n"
            for when, title, target in latest
        )
        parts.append("\n")
    return "".join(parts)


def grid(ctx: RenderContext, matrix: models.Matrix, path: str) -> str:
    """The 5×5 grid as a Markdown table: columns A–E across, rows 1–5 down."""
    header = "| Kind of care \\ Level | " + " | ".join(
        f"**{c.code}**<br>{escape(c.name)}" for c in matrix.columns
    )
    lines = [header + " |", "|" + " --- |" * (len(matrix.columns) + 1)]
    for row in matrix.rows:
        cells = [
            _cell(ctx, ctx.view.cells[f"{matrix.id}/{column.code}{row.code}"], path)
            for column in matrix.columns
        ]
        lines.append(f"| **{row.code}**<br>{escape(row.name)} | " + " | ".join(cells) + " |")
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


def latest_changes(ctx: RenderContext, limit: int = 8) -> list[tuple[str, str, str]]:
    """The newest additions and changes among visible studies, from Git dates."""
    dated = []
    for study in ctx.view.studies:
        dates = ctx.dates(ctx.study_file(study.id))
        if dates is not None:
            dated.append((dates.updated, study.title, ctx.study_path(study.id)))
    dated.sort(key=lambda item: item[0], reverse=True)
    return [(long_date(when), title, target) for when, title, target in dated[:limit]]
