"""Stage 4, render: the resolved collection as plain Markdown pages, feeds and redirects.

The pipeline renders; MkDocs only turns Markdown into HTML. Everything here writes files into the
generated docs folder `site/docs/`, which a plain `mkdocs build -f site/mkdocs.yml` (or Zensical)
turns into the site: no logic lives in MkDocs plugins.
"""

from __future__ import annotations

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
    """Every generated file, as docs path → text. Linear in the size of the collection."""
    c = ctx.collection
    files = {"index.md": render_home(ctx, latest_changes(ctx))}
    for matrix in c.matrices.values():
        files[ctx.matrix_path(matrix.id)] = render_matrix(ctx, matrix)
    for page in c.cells.values():
        files[ctx.cell_path(page.key)] = render_cell(ctx, page)
    for study in ctx.studies():
        files[ctx.study_path(study.id)] = render_study(ctx, study)
    files.update(render_indexes(ctx))
    files.update(render_feeds(ctx))
    files.update(render_redirects(ctx))
    files.update(headless_files(ctx))
    return files


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
    tree = merge(render_pages(ctx), hand_written(site / "pages"))
    docs = site / "docs"
    return Rendered(docs, len(tree), sync(tree, docs))
