"""Stage 4, render: the public view as plain Markdown pages, feeds, redirects, the API and
the downloads.

The pipeline renders; MkDocs only turns Markdown into HTML. Everything here writes files into the
generated docs folder `site/docs/`, which MkDocs turns into the site with the site template
(`publish.tree`; `matrixpipe render` also writes `site/mkdocs.rendered.yml` for a plain
`mkdocs build` or Zensical): no logic lives in MkDocs plugins. Every file is an `Output`; a
study's and a cell's carry the digest of their inputs, and only those whose inputs changed are
made again (`publish.incremental`). `matrixpipe build` renders in two parts, `render_first`
and then `write_later` beside MkDocs (`publish.site`), and writes the API and the downloads
straight into the built site.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

from matrixpipe import progress
from matrixpipe.check.resolve import Collection
from matrixpipe.config import Config
from matrixpipe.git.editions import read_periods
from matrixpipe.git.history import History
from matrixpipe.publish import memo
from matrixpipe.publish.context import API_ROOT, DOWNLOADS_ROOT, RenderContext
from matrixpipe.publish.feeds import render_feeds
from matrixpipe.publish.forked import Forked
from matrixpipe.publish.incremental import Keys, Manifest, Output, pending, read_text, write_outputs
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
    clash_message,
    docs_dir,
    hand_written,
    remove_stale,
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


# From this many study pages to make, a forked child makes half of them.
SHARED_RENDER = 1000


@dataclass(frozen=True)
class Rendered:
    """What a render produced: where, how many files, how many of them changed."""

    docs: Path
    files: int
    changed: int
    written: tuple[str, ...] = ()
    """The docs paths written or removed (`matrixpipe serve` rebuilds those pages alone)."""


def first_outputs(ctx: RenderContext) -> Iterator[Output]:
    """The home page, the matrices, What's new, Find studies, the feeds and the redirects:
    what MkDocs needs first. Each reads the whole collection: made every run."""
    yield Output("index.md", None, lambda: render_home(ctx, latest_changes(ctx)))
    for matrix in ctx.view.matrices:
        yield Output(ctx.matrix_path(matrix.id), None, lambda m=matrix: render_matrix(ctx, m))
    yield Output(WHATS_NEW, None, lambda: render_whats_new(ctx))
    yield Output(FIND, None, lambda: render_find(ctx))  # the faceted search page
    for path, text in render_feeds(ctx).items():
        yield Output(path, None, lambda t=text: t)
    for path, text in render_redirects(ctx).items():
        yield Output(path, None, lambda t=text: t)


def later_outputs(ctx: RenderContext, keys: Keys) -> list[Output]:
    """The cell pages and the study pages, keyed by their inputs, and the index pages."""
    cells = [
        Output(ctx.cell_path(key), keys.cell(cell), lambda c=cell: render_cell(ctx, c))
        for key, cell in ctx.view.cells.items()
    ]
    indexes = cache(partial(render_indexes, ctx))  # one pass makes them all, when first asked
    studies = [
        Output(ctx.study_path(s.id), keys.study(s), lambda s=s: render_study(ctx, s))
        for s in ctx.view.study_pages
    ]
    return [*cells, *(Output(p, None, lambda p=p: indexes()[p]) for p in INDEX_PAGES), *studies]


def later_paths(ctx: RenderContext) -> list[str]:
    """The docs paths of the cell, index and study pages, without rendering them."""
    return [
        *(ctx.cell_path(key) for key in ctx.view.cells),
        *INDEX_PAGES,
        *(ctx.study_path(study.id) for study in ctx.view.study_pages),
    ]


def headless_outputs(ctx: RenderContext, keys: Keys, root: Path) -> Iterator[Output]:
    """The JSON API under `api/v1/` and the downloads under `downloads/`, as outputs relative
    to `root`; the files made of many others read theirs back from `root`."""
    from matrixpipe.publish.api import api_outputs
    from matrixpipe.publish.downloads import download_outputs

    for prefix, outputs in (
        (API_ROOT, api_outputs(ctx.view, ctx.site.title, keys, read_text(root / API_ROOT))),
        (DOWNLOADS_ROOT, download_outputs(ctx.view, keys, read_text(root / DOWNLOADS_ROOT))),
    ):
        for output in outputs:
            yield Output(f"{prefix}/{output.path}", output.key, output.make)


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


def render(
    repo: Path,
    ctx: RenderContext,
    clean: bool = False,
    keys: Keys | None = None,
    stop: threading.Event | None = None,
) -> Rendered:
    """Render into `<repo>/site/docs/`, with the hand-written pages, the JSON API and the
    downloads, so a plain `mkdocs build` or Zensical builds it all.

    Only the files whose inputs changed since the last render are made (`clean`: all). Many
    study pages to make are shared with a forked child: half each, on two cores. Citations and
    contributor HTML are memoised between runs (`publish.memo`). `keys`: those of this
    context already computed (`serve`). `stop`: once set, the render ends before its next file
    (`Stopped`), its manifest unsaved, so the next render makes again whatever it skipped.
    """
    step = progress.stage("Rendering pages")
    memo.load(repo)
    firsts = list(first_outputs(ctx))
    docs, pages = _docs_and_pages(repo, [*later_paths(ctx), *(o.path for o in firsts)])
    manifest = Manifest.of(repo, docs, use=not clean)
    keys = keys if keys is not None else Keys(ctx)
    record: list[str] = []
    try:
        rendered = _render(ctx, firsts, docs, pages, manifest, keys, record, stop, step)
    except Stopped as stopped:
        stopped.written = tuple(record)
        raise
    manifest.save()
    memo.save(repo)
    return rendered


def _render(
    ctx: RenderContext,
    firsts: list[Output],
    docs: Path,
    pages: dict[str, bytes],
    manifest: Manifest,
    keys: Keys,
    record: list[str],
    stop: threading.Event | None,
    step: progress.Stage,
) -> Rendered:
    """The render's files; `step` counts the pages (those of a forked child once it is done)."""
    tree, changed = write_changed(pages.items(), docs, record)
    first, more = write_outputs(step.counted(_until(stop, firsts)), docs, manifest, record)
    later = later_outputs(ctx, keys)
    todo = list(pending(later, docs, manifest))
    step.total = len(firsts) + len(later)
    if len(todo) >= SHARED_RENDER:
        theirs = todo[1::2]
        with Forked(partial(_write_share, docs, theirs)) as other:
            mine, written = write_outputs(
                step.counted(_except(later, theirs)), docs, manifest, record
            )
            their_written, their_manifest, their_memos = other.result()
        step.advance(len(theirs))
        memo.absorb(their_memos)
        manifest.new.update(their_manifest)
        mine |= {o.path for o in theirs}
        written += len(their_written)
        record += their_written
    else:
        mine, written = write_outputs(step.counted(_until(stop, later)), docs, manifest, record)
    step.finish()
    with progress.stage("Writing the API and downloads") as files:
        headless_files = files.counted(_until(stop, headless_outputs(ctx, keys, docs)))
        headless, made = write_outputs(headless_files, docs, manifest, record)
    tree |= first | mine | headless
    changed += more + written + made + remove_stale(docs, tree, record)
    return Rendered(docs, len(tree), changed, tuple(record))


class Stopped(Exception):
    """A render was asked to stop (`serve`: a newer edit came); `written`: the docs paths it
    had written or removed by then."""

    written: tuple[str, ...] = ()


def _until(stop: threading.Event | None, outputs: Iterable[Output]) -> Iterator[Output]:
    for output in outputs:
        if stop is not None and stop.is_set():
            raise Stopped
        yield output


def render_changed_pages(repo: Path, ctx: RenderContext, keys: Keys) -> list[str]:
    """Write the study and cell pages whose inputs changed, and nothing else: `serve` shows
    an edit with these first, then renders the rest (`render`) behind the reload."""
    docs = docs_dir(repo)
    manifest = Manifest.of(repo, docs)
    keyed = [o for o in later_outputs(ctx, keys) if o.key is not None]
    written: list[str] = []
    write_outputs(pending(keyed, docs, manifest), docs, Manifest(None), written)
    return written


def _except(outputs: list[Output], theirs: list[Output]) -> list[Output]:
    skip = {o.path for o in theirs}
    return [o for o in outputs if o.path not in skip]


def _write_share(
    docs: Path, share: list[Output]
) -> tuple[list[str], dict[str, tuple[str, int]], memo.Payload]:
    manifest = Manifest(None)
    written: list[str] = []
    write_outputs(share, docs, manifest, written)
    return written, manifest.new, memo.used()


@dataclass
class FirstPart:
    """What `render_first` did: the docs folder, the later pages still to write (their
    outputs, and the paths MkDocs must wait for), and the manifest both parts fill."""

    rendered: Rendered
    later: list[Output]
    pending: list[str]
    manifest: Manifest
    keys: Keys


def render_first(repo: Path, ctx: RenderContext, clean: bool = False) -> FirstPart:
    """Render what MkDocs needs first (`first_outputs`) into `<repo>/site/docs/`, with the
    hand-written pages, and remove whatever is no longer generated; `write_later` then writes
    the cell, index and study pages whose inputs changed while MkDocs runs (`pagegate`)."""
    memo.load(repo)
    firsts = list(first_outputs(ctx))
    docs, pages = _docs_and_pages(repo, [*later_paths(ctx), *(o.path for o in firsts)])
    manifest = Manifest.of(repo, docs, use=not clean)
    keys = Keys(ctx)
    tree, changed = write_changed(pages.items(), docs)
    first, more = write_outputs(firsts, docs, manifest)
    later = later_outputs(ctx, keys)
    todo = [o.path for o in pending(later, docs, manifest)]
    tree |= first | {o.path for o in later}
    changed += more + remove_stale(docs, tree)
    return FirstPart(Rendered(docs, len(tree), changed), later, todo, manifest, keys)


def write_later(
    outputs: Iterable[Output],
    docs: Path,
    manifest: Manifest,
    report: Callable[[list[str]], None],
    batch: int = 50,
) -> int:
    """Write each later page whose inputs changed, reporting every path once it is current,
    in batches; how many were written."""
    written = 0
    done: list[str] = []
    for output in outputs:
        written += write_outputs([output], docs, manifest)[1]
        done.append(output.path)
        if len(done) >= batch:
            report(done)
            done = []
    if done:
        report(done)
    return written


def _docs_and_pages(repo: Path, apart: list[str]) -> tuple[Path, dict[str, bytes]]:
    """The docs folder (made if missing) and the hand-written pages (the packaged defaults
    with the collection's `site/pages/` on top), none on the path of a generated page."""
    docs = docs_dir(repo)
    docs.mkdir(parents=True, exist_ok=True)
    pages = hand_written(repo)
    for path in apart:
        if path in pages:
            raise SiteError(clash_message(repo, path))
    return docs, pages


def write_headless(
    ctx: RenderContext, keys: Keys, into: Path, manifest: Manifest
) -> tuple[set[str], int]:
    """Write the JSON API and the downloads into `into` (the new site, or a folder beside it),
    making only what changed; (every path, how many written). Files left from an earlier build
    that are no longer made are removed."""
    tree, written = write_outputs(headless_outputs(ctx, keys, into), into, manifest)
    for root in (API_ROOT, DOWNLOADS_ROOT):
        if (into / root).is_dir():
            written += remove_stale(
                into / root, {p[len(root) + 1 :] for p in tree if p.startswith(root + "/")}
            )
    return tree, written
