"""Building the site: render, run MkDocs beside the render, swap the result in atomically.

MkDocs writes into a fresh folder beside the target, which replaces the old site only once
everything succeeded, so a failed build leaves the last good site in place. The parent renders
what MkDocs needs first, then runs MkDocs while a forked child writes the cell, index and study
pages (MkDocs waits at each: `pagegate`) and then the JSON API and the downloads.
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

from matrixpipe.check.resolve import Collection
from matrixpipe.config import Config, SiteConfig
from matrixpipe.fsutil import leftover, temporary_prefix
from matrixpipe.git.history import History
from matrixpipe.interrupt import signals_held, terminate_as_exit
from matrixpipe.publish import memo, search
from matrixpipe.publish.forked import Forked, ForkedError
from matrixpipe.publish.render import (
    RenderContext,
    Rendered,
    render_context,
    render_first,
    write_headless,
    write_later,
)
from matrixpipe.publish.tree import site_dir


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
            problems = _render_and_build(repo, checked, config, drafts, history, fresh, staging)
            if not problems:  # search: Pagefind indexes the built folder, before the swap
                problems = search.index(config.site.search, fresh)
            if problems:
                return problems
            fresh.chmod(0o755)
            with signals_held():
                _swap(fresh, target)
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
    fresh: Path,
    staging: Path,
) -> list[str]:
    """Render the pages MkDocs needs first, then run MkDocs while a forked child writes the
    cell, index and study pages (MkDocs waits at each one it reaches first: `PageGate`), then the
    JSON API and the downloads (thousands of small files MkDocs would only copy) into `staging`;
    all of it ends up in `fresh`. The parent drops the collection before MkDocs runs: MkDocs
    needs the memory."""
    from matrixpipe.publish.pagegate import PageGate

    ctx = render_context(checked.collection, config, drafts, history)
    first, later = render_first(repo, ctx)
    job = partial(_later_then_headless, repo, ctx, first.docs, staging)
    with Forked(job, reports=True) as child:
        del ctx, job  # the child has them; Forked keeps the job only where it cannot fork
        checked.release()
        memo.clear()
        gate = PageGate(later, child.reports())
        problems = mkdocs_build(repo, config.site, fresh, plugins={"matrixpipe-page-gate": gate})
        try:
            written = child.result()
        except ForkedError as exc:
            problems.append(
                f"ERROR: rendering the cell, index and study pages or the API failed:\n{exc}"
            )
            written = 0
    say_rendered(repo, Rendered(first.docs, first.files, first.changed + written))
    return problems or _move_in(staging, fresh)


def _later_then_headless(
    repo: Path, ctx: RenderContext, docs: Path, staging: Path, report: Callable[[list[str]], None]
) -> int:
    """The forked child's job: the cell, index and study pages (reported as they are written),
    then the API and the downloads, then the memos (the child holds them all); how many pages
    changed."""
    written = write_later(ctx, docs, report)
    write_headless(ctx, staging)
    memo.save(repo)
    return written


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


def mkdocs_build(
    repo: Path, site: SiteConfig, into: Path, plugins: dict[str, Any] | None = None
) -> list[str]:
    """Run MkDocs (strict) through its Python API, with `plugins` added to the site's own;
    returns every warning or error it logged."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    config_file = site_dir(repo) / "mkdocs.yml"
    no_banner()
    with _mkdocs_log() as problems:
        try:
            config = load_config(
                config_file=str(config_file),
                site_dir=str(into),
                strict=True,
                **mkdocs_overrides(site),
                **search.mkdocs_overrides(site.search, config_file),
            )
            for name, plugin in (plugins or {}).items():
                config.plugins[name] = plugin
            build(config)
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
