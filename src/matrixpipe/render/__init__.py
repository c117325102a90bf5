"""Stage 4, render: the resolved collection as plain Markdown pages, feeds and redirects.

The pipeline renders; MkDocs only turns Markdown into HTML. Everything here writes files into the
generated docs folder `site/docs/`, which a plain `mkdocs build -f site/mkdocs.yml` (or Zensical)
turns into the site: no logic lives in MkDocs plugins.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from matrixpipe.check import Result
from matrixpipe.history import History
from matrixpipe.render.cells import render_cell
from matrixpipe.render.context import API_ROOT, DOWNLOADS_ROOT, RenderContext
from matrixpipe.render.feeds import render_feeds
from matrixpipe.render.grid import latest_changes, render_home, render_matrix
from matrixpipe.render.indexes import render_indexes
from matrixpipe.render.markdown import bite_markdown, fragment
from matrixpipe.render.redirects import render_redirects
from matrixpipe.render.studies import citation, render_study
from matrixpipe.render.tree import hand_written, merge, site_dir, sync

__all__ = [
    "RenderContext",
    "Rendered",
    "bite_markdown",
    "citation",
    "fragment",
    "render",
    "render_pages",
]


@dataclass(frozen=True)
class Rendered:
    """What a render produced: where, how many files, how many of them changed."""

    docs: Path
    files: int
    changed: int


def render_pages(ctx: RenderContext) -> dict[str, str]:
    """Every generated file, as docs path → text (for tests; `render` streams them)."""
    return dict(iter_pages(ctx))


def iter_pages(ctx: RenderContext) -> Iterator[tuple[str, str]]:
    """Every generated file as (docs path, text), one at a time: linear in time, and the whole
    site is never held in memory at once."""
    c = ctx.collection
    yield "index.md", render_home(ctx, latest_changes(ctx))
    for matrix in c.matrices.values():
        yield ctx.matrix_path(matrix.id), render_matrix(ctx, matrix)
    for page in c.cells.values():
        yield ctx.cell_path(page.key), render_cell(ctx, page)
    for study in ctx.studies():
        yield ctx.study_path(study.id), render_study(ctx, study)
    yield from render_indexes(ctx).items()
    yield from render_feeds(ctx).items()
    yield from render_redirects(ctx).items()
    yield from headless_files(ctx).items()


def headless_files(ctx: RenderContext) -> dict[str, str]:
    """The JSON API under `api/v1/` and the reference-manager downloads under `downloads/`."""
    from matrixpipe.export.api import api_files
    from matrixpipe.export.downloads import download_files

    api = api_files(ctx.collection, ctx.site.url.rstrip("/"), ctx.drafts, ctx.site.title)
    files = {f"{API_ROOT}/{path}": text for path, text in api.items()}
    downloads = download_files(ctx.collection, ctx.drafts)
    files.update({f"{DOWNLOADS_ROOT}/{path}": text for path, text in downloads.items()})
    return files


def render(
    repo: Path, result: Result, drafts: bool = False, history: History | None = None
) -> Rendered:
    """Render a checked collection into `<repo>/site/docs/`, with the hand-written pages."""
    from matrixpipe.history import read_history

    site = site_dir(repo)
    ctx = RenderContext(
        result.collection,
        result.config.site,
        drafts=drafts,
        history=history if history is not None else read_history(repo),
    )
    docs = site / "docs"
    files, changed = sync(merge(iter_pages(ctx), hand_written(site / "pages")), docs)
    return Rendered(docs, files, changed)
