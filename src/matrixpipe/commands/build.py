"""`matrixpipe render`, `build` and `serve`: check, render into site/docs/, then MkDocs.

A build is atomic: MkDocs writes into a fresh folder beside `--out`, which replaces the old site
only once everything succeeded, so a failed build leaves the last good site in place.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from matrixpipe.check.run import Result, check
from matrixpipe.diagnostics import ExitCode
from matrixpipe.fsutil import leftover, temporary_prefix
from matrixpipe.git.history import History, read_history
from matrixpipe.interrupt import signals_held, terminate_as_exit
from matrixpipe.publish import memo, search
from matrixpipe.publish.forked import Forked, ForkedError
from matrixpipe.publish.render import (
    RenderContext,
    Rendered,
    render,
    render_context,
    render_first,
    write_headless,
    write_later,
)
from matrixpipe.publish.tree import site_dir


def checked(repo: Path, color: str = "auto") -> Result | None:
    """Check the collection and print its findings; None if errors forbid publishing it."""
    result = _check_and_report(repo, color)
    return None if result.report.exit_code() != ExitCode.OK else result


def _check_and_report(repo: Path, color: str) -> Result:
    from matrixpipe.commands.check import reporter_for

    result = check(repo)
    if result.report.diagnostics:
        reporter_for("text", repo, color).report(result.report)
    return result


def _refuse(what: str) -> int:
    print(f"matrixpipe: {what}: fix the errors above first")
    return int(ExitCode.FINDINGS)


def run_render(repo: Path, drafts: bool, color: str = "auto") -> int:
    """`matrixpipe render`: check, then write the generated docs folder."""
    result = checked(repo, color)
    if result is None:
        return _refuse("not rendered")
    _say_rendered(repo, render(repo, render_context(repo, result, drafts)))
    return int(ExitCode.OK)


def run_build(repo: Path, out: Path | None, drafts: bool, color: str = "auto") -> int:
    """`matrixpipe build`: check, render, `mkdocs build --strict`, then swap the site in."""
    # Git walks the history (for the pages' dates) while the check reads the entries; the
    # thread has ended before anything forks.
    pool = ThreadPoolExecutor(max_workers=1)
    history = pool.submit(read_history, repo)
    try:
        result = checked(repo, color)
    finally:
        pool.shutdown(wait=True)
    if result is None:
        return _refuse("site not built")
    target = (out if out is not None else repo / "public").resolve()
    warnings = build_atomic(repo, result, target, drafts, history.result())
    if warnings:
        for line in warnings:
            print(f"mkdocs: {line}")
        print(
            f"matrixpipe: site not built: MkDocs reported {len(warnings)} problem(s); "
            f"{target} is unchanged"
        )
        return int(ExitCode.FINDINGS)
    print(f"built the site into {target}")
    return int(ExitCode.OK)


def build_atomic(
    repo: Path,
    result: Result,
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
            problems = _render_and_build(repo, result, drafts, history, fresh, staging)
            if not problems:  # search: Pagefind indexes the built folder, before the swap
                problems = search.index(result.config.site.search, fresh)
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
    result: Result,
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

    ctx = render_context(repo, result, drafts, history)
    first, later = render_first(repo, ctx)
    job = partial(_later_then_headless, repo, ctx, first.docs, staging)
    with Forked(job, reports=True) as child:
        del ctx
        result.release()
        memo.clear()
        gate = PageGate(later, child.reports())
        problems = mkdocs_build(repo, result, fresh, plugins={"matrixpipe-page-gate": gate})
        try:
            written = child.result()
        except ForkedError as exc:
            problems.append(
                f"ERROR: rendering the cell, index and study pages or the API failed:\n{exc}"
            )
            written = 0
    _say_rendered(repo, Rendered(first.docs, first.files, first.changed + written))
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


def mkdocs_overrides(result: Result) -> dict[str, Any]:
    """Site settings from matrixpipe.yml that MkDocs cannot know; everything else is mkdocs.yml."""
    site = result.config.site
    return {"site_name": site.title, "site_url": site.url}


def mkdocs_build(
    repo: Path, result: Result, into: Path, plugins: dict[str, Any] | None = None
) -> list[str]:
    """Run MkDocs (strict) through its Python API, with `plugins` added to the site's own;
    returns every warning or error it logged."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    config_file = site_dir(repo) / "mkdocs.yml"
    _no_banner()
    with _mkdocs_log() as problems:
        try:
            config = load_config(
                config_file=str(config_file),
                site_dir=str(into),
                strict=True,
                **mkdocs_overrides(result),
                **search.mkdocs_overrides(result.config.site.search, config_file),
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


def run_serve(repo: Path, drafts: bool, dev_addr: str | None, color: str = "auto") -> int:
    """`matrixpipe serve`: render, serve with live reload, re-render when entries change."""
    from mkdocs.commands.serve import serve

    from matrixpipe.publish.watch import Watcher

    def rerender() -> Result:
        # A preview renders even with errors, so the author sees the page they are fixing.
        result = _check_and_report(repo, color)
        _say_rendered(repo, render(repo, render_context(repo, result, drafts)))
        return result

    result = rerender()
    site = site_dir(repo)
    _no_banner()
    _show_mkdocs_log()
    watcher = Watcher([repo / "entries", site / "pages", repo / "matrixpipe.yml"], rerender)
    watcher.start()
    try:
        options: dict[str, Any] = {"site_name": result.config.site.title}
        if dev_addr:
            options["dev_addr"] = dev_addr
        serve(config_file=str(site / "mkdocs.yml"), livereload=True, watch_theme=True, **options)
    finally:
        watcher.stop()
    return int(ExitCode.OK)


def _no_banner() -> None:
    """Material prints a banner about MkDocs 2.0 on every build; it is no finding of ours."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


def _show_mkdocs_log() -> None:
    """`mkdocs serve` through the API logs nowhere by default; show its messages as its CLI does."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _say_rendered(repo: Path, done: Rendered) -> None:
    where = done.docs.relative_to(repo) if done.docs.is_relative_to(repo) else done.docs
    print(f"rendered {done.files} files into {where} ({done.changed} changed)")
