"""Stage 4, render: the resolved collection as plain Markdown pages, feeds and redirects.

The pipeline renders; MkDocs only turns Markdown into HTML. Everything here writes files into the
generated docs folder `site/docs/`, which a plain `mkdocs build -f site/mkdocs.yml` (or Zensical)
turns into the site: no logic lives in MkDocs plugins. `matrixpipe build` renders in two parts,
`render_first` and then `write_later` beside MkDocs (see `matrixpipe.commands.build`), and writes the API
and the downloads straight into the built site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import chain
from pathlib import Path

from matrixpipe.check.resolve import Collection
from matrixpipe.config import Config
from matrixpipe.git.editions import read_periods
from matrixpipe.git.history import History
from matrixpipe.publish import memo
from matrixpipe.publish.context import API_ROOT, DOWNLOADS_ROOT, RenderContext
from matrixpipe.publish.feeds import render_feeds
from matrixpipe.publish.forked import Forked
from matrixpipe.publish.markdown import bite_markdown, fragment
from matrixpipe.publish.pages.cells import render_cell
from matrixpipe.publish.pages.find import FIND, render_find
from matrixpipe.publish.pages.grid import latest_changes, render_home, render_matrix
from matrixpipe.publish.pages.indexes import INDEX_PAGES, render_indexes
from matrixpipe.publish.pages.studies import render_study
from matrixpipe.publish.pages.whatsnew import WHATS_NEW, render_whats_new
from matrixpipe.publish.redirects import render_redirects
from matrixpipe.publish.tree import (
    SiteError,
    hand_written,
    merge,
    remove_stale,
    site_dir,
    write_changed,
)
from matrixpipe.publish.view import PublicView, Urls

__all__ = [
    "RenderContext",
    "Rendered",
    "bite_markdown",
    "fragment",
    "render",
    "render_context",
    "render_first",
    "write_headless",
    "write_later",
]


ALL = slice(None)
# From this many visible studies, a forked child renders half of the study pages.
SHARED_RENDER = 1000


@dataclass(frozen=True)
class Rendered:
    """What a render produced: where, how many files, how many of them changed."""

    docs: Path
    files: int
    changed: int


def iter_pages(ctx: RenderContext, studies: slice = ALL) -> Iterator[tuple[str, str]]:
    """Every generated file as (docs path, text), one at a time: linear in time, and the whole
    site is never held in memory at once. `studies` picks the share of the study pages this
    stream renders."""
    yield from iter_first(ctx)
    yield from iter_listings(ctx)
    yield from iter_studies(ctx, studies)
    yield from headless_files(ctx)


def iter_first(ctx: RenderContext) -> Iterator[tuple[str, str]]:
    """The home page, the matrices, What's new, the feeds and the redirects: what MkDocs
    needs first."""
    yield "index.md", render_home(ctx, latest_changes(ctx))
    for matrix in ctx.view.matrices:
        yield ctx.matrix_path(matrix.id), render_matrix(ctx, matrix)
    yield WHATS_NEW, render_whats_new(ctx)
    yield FIND, render_find(ctx)  # the faceted search page
    yield from render_feeds(ctx).items()
    yield from render_redirects(ctx).items()


def iter_listings(ctx: RenderContext) -> Iterator[tuple[str, str]]:
    """The cell pages and the index pages, which list the studies."""
    for key, cell in ctx.view.cells.items():
        yield ctx.cell_path(key), render_cell(ctx, cell)
    yield from render_indexes(ctx).items()


def later_paths(ctx: RenderContext) -> list[str]:
    """The docs paths of `iter_listings` and `iter_studies`, without rendering them."""
    return [
        *(ctx.cell_path(key) for key in ctx.view.cells),
        *INDEX_PAGES,
        *(ctx.study_path(study.id) for study in ctx.view.study_pages),
    ]


def iter_studies(ctx: RenderContext, share: slice = ALL) -> Iterator[tuple[str, str]]:
    """The pages of a share of the visible studies, as (docs path, text)."""
    for study in ctx.view.study_pages[share]:
        yield ctx.study_path(study.id), render_study(ctx, study)


def headless_files(ctx: RenderContext) -> Iterator[tuple[str, str]]:
    """The JSON API under `api/v1/` and the reference-manager downloads under `downloads/`, as
    (docs path, text). One set is let go before the next is made: at 10,000 studies each holds
    a few hundred megabytes of text."""
    from matrixpipe.publish.api import api_files
    from matrixpipe.publish.downloads import download_files

    api = api_files(ctx.view, ctx.site.title)
    yield from ((f"{API_ROOT}/{path}", text) for path, text in api.items())
    del api
    downloads = download_files(ctx.view)
    yield from ((f"{DOWNLOADS_ROOT}/{path}", text) for path, text in downloads.items())


def render_context(
    collection: Collection, config: Config, drafts: bool = False, history: History | None = None
) -> RenderContext:
    """What every page renderer needs, built once: the public view (a preview's with `drafts`)
    under the site's address, the site settings, the Git dates, and what each edition changed
    (an edition naming no commit stops here: a config error)."""
    view = PublicView(collection, drafts, Urls(config.site.url), config.jurisdictions)
    history = history if history is not None else History()
    periods = read_periods(collection, config.editions, history)
    return RenderContext(view, config.site, history, periods)


def render(repo: Path, ctx: RenderContext) -> Rendered:
    """Render into `<repo>/site/docs/`, with the hand-written pages, the JSON API and the
    downloads, so a plain `mkdocs build` or Zensical builds it all.

    A large collection's study pages are shared with a forked child: half each, on two cores.
    Citations and contributor HTML are memoised between runs (`matrixpipe.publish.memo`); the memos are
    saved here, and by `matrixpipe build` once its API is written.
    """
    memo.load(repo)
    docs, pages = _docs_and_pages(repo, later_paths(ctx))
    if len(ctx.view.studies) < SHARED_RENDER:
        tree, changed = write_changed(merge(iter_pages(ctx), pages), docs)
    else:
        child = partial(_write_studies, ctx, docs, slice(1, None, 2))
        with Forked(child) as other:
            mine = iter_pages(ctx, studies=slice(0, None, 2))
            tree, changed = write_changed(merge(mine, pages), docs)
            their_tree, their_changed, their_memos = other.result()
        memo.absorb(their_memos)
        tree |= their_tree
        changed += their_changed
    changed += remove_stale(docs, tree)
    memo.save(repo)
    return Rendered(docs, len(tree), changed)


def render_first(repo: Path, ctx: RenderContext) -> tuple[Rendered, list[str]]:
    """Render what MkDocs needs first (`iter_first`) into `<repo>/site/docs/`, with the
    hand-written pages, and remove whatever is no longer generated; `write_later` then writes
    the cell, index and study pages while MkDocs runs (see `matrixpipe.publish.pagegate`).

    Returns what is rendered once `write_later` is done, and the paths it will write.
    """
    memo.load(repo)
    later = later_paths(ctx)
    docs, pages = _docs_and_pages(repo, later)
    tree, changed = write_changed(merge(iter_first(ctx), pages), docs)
    tree.update(later)
    changed += remove_stale(docs, tree)
    return Rendered(docs, len(tree), changed), later


def write_later(
    ctx: RenderContext, docs: Path, report: Callable[[list[str]], None], batch: int = 50
) -> int:
    """Write each cell, index and study page that changed, reporting the paths done in
    batches; how many were written."""
    changed = 0
    done: list[str] = []
    for path, text in chain(iter_listings(ctx), iter_studies(ctx)):
        changed += write_changed([(path, text.encode("utf-8"))], docs)[1]
        done.append(path)
        if len(done) >= batch:
            report(done)
            done = []
    if done:
        report(done)
    return changed


def _docs_and_pages(repo: Path, apart: list[str]) -> tuple[Path, dict[str, bytes]]:
    """The docs folder (made if missing) and the hand-written pages, none on the path of a
    page written apart from them (a cell, index or study page)."""
    site = site_dir(repo)
    docs = site / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    pages = hand_written(site / "pages")
    for path in apart:
        if path in pages:
            raise SiteError(
                f"site/pages/{path} has the path of a generated page; rename or remove it"
            )
    return docs, pages


def _write_studies(
    ctx: RenderContext, docs: Path, share: slice
) -> tuple[set[str], int, memo.Payload]:
    pages = ((path, text.encode("utf-8")) for path, text in iter_studies(ctx, share))
    return (*write_changed(pages, docs), memo.used())


def write_headless(ctx: RenderContext, into: Path) -> int:
    """Write the JSON API and the downloads into an empty folder; how many files."""
    made: set[Path] = set()
    count = 0
    for rel, text in headless_files(ctx):
        path = into / rel
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_bytes(text.encode("utf-8"))
        count += 1
    return count
