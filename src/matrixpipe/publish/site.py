"""Building the site: render, run MkDocs beside the render, swap the result in atomically.

MkDocs writes into a fresh folder beside the target, which replaces the old site only once
everything succeeded, so a failed build leaves the last good site in place. The parent renders
what MkDocs needs first, then runs MkDocs while a forked child writes the cell, index and study
pages (MkDocs waits at each: `pagegate`) and then the JSON API and the downloads.

A warm build reuses the previous site: when it was built with the same theme, settings and
navigation (its stamp), the fresh folder starts as hard links to it, only the pages and files
whose inputs changed are made again (`publish.incremental`), and MkDocs builds only those pages
(its dirty mode, guarded by `pagegate`). The result is byte for byte a cold build's.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from matrixpipe import progress
from matrixpipe.check.cache import content_digest, salt
from matrixpipe.check.resolve import Collection
from matrixpipe.config import Config, SiteConfig
from matrixpipe.fsutil import leftover, temporary_prefix
from matrixpipe.git.history import History
from matrixpipe.interrupt import signals_held, terminate_as_exit
from matrixpipe.publish import memo, search
from matrixpipe.publish.context import API_ROOT, DOWNLOADS_ROOT
from matrixpipe.publish.forked import Forked, ForkedError
from matrixpipe.publish.incremental import Manifest
from matrixpipe.publish.pagegate import link_tree
from matrixpipe.publish.render import (
    FirstPart,
    RenderContext,
    Rendered,
    render_context,
    render_first,
    write_headless,
    write_later,
)
from matrixpipe.publish.tree import docs_dir, mkdocs_file, overrides_layers, template_files


class Checked(Protocol):
    """What the build takes from the check: the collection, then leave to let it go (MkDocs
    needs the memory). `matrixpipe.check.run.Result` is one."""

    @property
    def collection(self) -> Collection: ...

    def release(self) -> None: ...


def build_site(
    repo: Path,
    checked: Checked,
    config: Config,
    target: Path,
    drafts: bool = False,
    history: History | None = None,
) -> list[str]:
    """Render, then build into a temporary folder beside `target` and swap it in only if MkDocs
    is clean.

    Returns MkDocs' warnings and errors; empty means the new site is in place.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh: Path | None = None
    staging: Path | None = None
    # Interrupted (Ctrl-C, or SIGTERM from a cancelled job), the temporary folders are removed
    # and the old site stays; the swap and the removal finish before a signal takes effect.
    with terminate_as_exit():
        try:
            with signals_held():
                _remove_leftovers(target)
                fresh = Path(
                    tempfile.mkdtemp(
                        prefix=temporary_prefix(target.name + ".new"), dir=target.parent
                    )
                )
                staging = Path(
                    tempfile.mkdtemp(
                        prefix=temporary_prefix(target.name + ".api"), dir=target.parent
                    )
                )
            with progress.stage("Preparing the build"):  # the collection, the last site
                stamp = site_stamp(repo, config, checked.collection, drafts)
                warm = _warm_start(repo, target, fresh, staging, stamp)
            problems, manifest = _render_and_build(
                repo, checked, config, drafts, history, (fresh, staging, target), warm, stamp
            )
            if not problems and config.site.search == search.PAGEFIND:
                # Pagefind indexes the built folder, before the swap
                with progress.stage("Indexing search (Pagefind)"):
                    problems = search.index(config.site.search, fresh)
            if problems:
                return problems
            with progress.stage("Swapping the site in"):
                fresh.chmod(0o755)
                with signals_held():
                    _swap(fresh, target)
                manifest.stamp = stamp
                manifest.save()  # only now: it describes the site in place
        finally:
            with signals_held():
                for folder in (fresh, staging):
                    if folder is not None and folder.exists():
                        shutil.rmtree(folder, ignore_errors=True)
    return []


def _render_and_build(
    repo: Path,
    checked: Checked,
    config: Config,
    drafts: bool,
    history: History | None,
    folders: tuple[Path, Path, Path],
    warm: bool,
    stamp: str,
) -> tuple[list[str], Manifest]:
    """Render the pages MkDocs needs first, then run MkDocs while a forked child writes the
    cell, index and study pages whose inputs changed (MkDocs waits at each one it reaches
    first: `PageGate`), then the JSON API and the downloads (thousands of small files MkDocs
    would only copy) into `staging`; all of it ends up in `fresh`. The parent drops the
    collection before MkDocs runs: MkDocs needs the memory. Returns MkDocs' problems and the
    manifest of the API and downloads made (saved once the site is in place)."""
    from matrixpipe.publish.pagegate import PageGate

    fresh, staging, target = folders
    with progress.stage("Rendering the first pages"):  # home, matrices, feeds; what changed
        ctx = render_context(checked.collection, config, drafts, history)
        first = render_first(repo, ctx)
        manifest = Manifest.of(repo, target, use=warm, stamp=stamp)
    job = partial(_later_then_headless, repo, ctx, first, staging, manifest)
    epoch = _source_date(ctx)
    with Forked(job, reports=True) as child:
        del ctx, job  # the child has them; Forked keeps the job only where it cannot fork
        checked.release()
        memo.clear()
        gate = PageGate(first.pending, child.reports(), dirty=warm, previous=target)
        with _source_date_epoch(epoch):
            problems = mkdocs_build(
                repo, config.site, fresh, plugins={"matrixpipe-page-gate": gate}, dirty=warm
            )
        try:
            with progress.stage("Writing the API and downloads"):  # the child's second part
                written, made = child.result()
        except ForkedError as exc:
            problems.append(
                f"ERROR: rendering the cell, index and study pages or the API failed:\n{exc}"
            )
            written, made = 0, {}
    manifest.new = made
    rendered = first.rendered
    say_rendered(repo, Rendered(rendered.docs, rendered.files, rendered.changed + written))
    return problems or _move_in(staging, fresh), manifest


def _later_then_headless(
    repo: Path,
    ctx: RenderContext,
    first: FirstPart,
    staging: Path,
    manifest: Manifest,
    report: Callable[[list[str]], None],
) -> tuple[int, dict[str, tuple[str, int]]]:
    """The forked child's job: the cell, index and study pages (reported as they are current),
    then the API and the downloads, then the memos (the child holds them all); how many files
    it wrote, and the keys of the API and downloads for the site's manifest."""
    written = write_later(first.later, first.rendered.docs, first.manifest, report)
    first.manifest.save()
    _, made = write_headless(ctx, first.keys, staging, manifest)
    memo.save(repo)
    return written + made, manifest.new


def site_stamp(repo: Path, config: Config, collection: Collection, drafts: bool) -> str:
    """What every page of a built site depends on beyond its own source: matrixpipe and the
    theme's versions, `mkdocs.yml`, the theme overrides and the hand-written pages (of the
    package and of the collection: `tree.template_files`), the site settings (its address
    too), preview or public, and the matrices (the navigation). A warm build reuses the
    previous site only when its stamp is this one."""
    from importlib.metadata import version

    parts: list[object] = [
        salt(),
        version("mkdocs"),
        version("mkdocs-material"),
        config.site.model_dump_json(),
        drafts,
        sorted((m.id, m.title) for m in collection.matrices.values()),
    ]
    for name, path in template_files(repo):
        parts.append((name, content_digest(path.read_bytes())))
    return content_digest(repr(parts).encode())


def _warm_start(repo: Path, target: Path, fresh: Path, staging: Path, stamp: str) -> bool:
    """Start the fresh site from hard links to the previous one (the API and downloads into
    `staging`), when the previous site exists with a manifest of the same stamp."""
    if not (target.is_dir() and Manifest.of(repo, target, stamp=stamp).trusted):
        return False
    link_tree(target, fresh, skip=(API_ROOT.split("/")[0], DOWNLOADS_ROOT, "pagefind"))
    for folder in (API_ROOT.split("/")[0], DOWNLOADS_ROOT):
        if (target / folder).is_dir():
            link_tree(target / folder, staging / folder)
    return True


def _source_date(ctx: RenderContext) -> int:
    """The collection's newest change (Git), as the site's build date: two builds of one tree
    write the same sitemap."""
    newest = max((d.updated for d in ctx.history.dates.values()), default=None)
    return int(newest.timestamp()) if newest is not None else 0


@contextmanager
def _source_date_epoch(epoch: int) -> Iterator[None]:
    """MkDocs dates the sitemap by SOURCE_DATE_EPOCH (reproducible builds), else by today."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def _move_in(staging: Path, fresh: Path) -> list[str]:
    """Move the API's and the downloads' folders into the built site (renames, not copies)."""
    for folder in sorted(staging.iterdir()):
        if (fresh / folder.name).exists():
            return [
                f"ERROR: the built site already has {folder.name}/, where matrixpipe writes the "
                f"JSON API or the downloads; rename site/pages/{folder.name}/"
            ]
        os.replace(folder, fresh / folder.name)
    return []


def _remove_leftovers(target: Path) -> None:
    """Remove the folders of builds that were killed outright (SIGKILL) beside `target`."""
    for path in target.parent.glob(f".{glob.escape(target.name)}.*"):
        if path.is_dir() and not path.is_symlink() and leftover(path):
            shutil.rmtree(path, ignore_errors=True)


def _swap(fresh: Path, target: Path) -> None:
    """Move the old site aside, move the new one in, then delete the old one."""
    old = target.with_name(f"{temporary_prefix(target.name + '.old')}{uuid.uuid4().hex[:8]}")
    if target.exists():
        os.replace(target, old)
    try:
        os.replace(fresh, target)
    except OSError:
        if old.exists():
            os.replace(old, target)
        raise
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def mkdocs_overrides(site: SiteConfig) -> dict[str, Any]:
    """Site settings from matrixpipe.yml that MkDocs cannot know; everything else is mkdocs.yml."""
    return {"site_name": site.title, "site_url": site.url}


def load_mkdocs_config(
    repo: Path, site: SiteConfig, into: Path, preview: bool = False, **settings: Any
) -> Any:
    """The site's MkDocs config, with matrixpipe.yml's settings and the search engine's on top
    (and `settings` last): the one place that knows where the config and its folders are. A
    preview keeps Material's search: Pagefind indexes a finished site, which a preview never is.

    The config is the collection's `site/mkdocs.yml` or else the packaged one
    (`tree.mkdocs_file`); the docs folder is always the generated `site/docs/`; the theme's
    template folders are the collection's `site/overrides/`, the config's own `custom_dir`,
    then the packaged overrides, before Material's (`tree.overrides_layers`)."""
    from mkdocs.config import load_config

    config_file = mkdocs_file(repo)
    config = load_config(
        config_file=str(config_file),
        docs_dir=str(docs_dir(repo).absolute()),  # else relative to the config's folder
        site_dir=str(into.absolute()),
        **{
            **mkdocs_overrides(site),
            **({} if preview else search.mkdocs_overrides(site.search, config_file)),
            **settings,
        },
    )
    config.theme.dirs = theme_dirs(config.theme.dirs, config.theme.custom_dir, repo)
    return config


def theme_dirs(dirs: list[str], custom_dir: str | None, repo: Path) -> list[str]:
    """MkDocs' template folders, first wins: the collection's overrides, the config's own
    `custom_dir`, the packaged overrides, then the theme's (each folder once)."""
    *own, packaged = overrides_layers(repo)
    order = [*own, *([Path(custom_dir)] if custom_dir else []), packaged, *map(Path, dirs)]
    seen: dict[Path, str] = {}
    for folder in order:
        seen.setdefault(folder.resolve(), str(folder))
    return list(seen.values())


def mkdocs_build(
    repo: Path,
    site: SiteConfig,
    into: Path,
    plugins: dict[str, Any] | None = None,
    dirty: bool = False,
) -> list[str]:
    """Run MkDocs (strict) through its Python API, with `plugins` added to the site's own;
    returns every warning or error it logged."""
    from mkdocs.commands.build import build
    from mkdocs.exceptions import MkDocsException

    no_banner()
    with _mkdocs_log() as problems:
        try:
            config = load_mkdocs_config(repo, site, into, strict=True)
            for name, plugin in (plugins or {}).items():
                config.plugins[name] = plugin
            build(config, dirty=dirty)
        except MkDocsException as exc:
            if not problems:
                problems.append(str(exc))
    return problems


class _Collect(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(f"{record.levelname}: {record.getMessage()}")


@contextmanager
def _mkdocs_log() -> Iterator[list[str]]:
    """Collect MkDocs' warnings instead of letting them reach the root logger."""
    problems: list[str] = []
    logger = logging.getLogger("mkdocs")
    handler = _Collect(problems)
    old_propagate, old_level = logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield problems
    finally:
        logger.removeHandler(handler)
        logger.propagate, logger.level = old_propagate, old_level


def no_banner() -> None:
    """Material prints a banner about MkDocs 2.0 on every build; it is no finding of ours."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


def show_mkdocs_log() -> None:
    """`mkdocs serve` through the API logs nowhere by default; show its messages as its CLI does."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def say_rendered(repo: Path, done: Rendered) -> None:
    where = done.docs.relative_to(repo) if done.docs.is_relative_to(repo) else done.docs
    print(f"rendered {done.files} files into {where} ({done.changed} changed)")
