"""`matrixpipe render`, `build` and `serve`: check, then publish (`matrixpipe.publish`).

The commands wire the stages together: the check's collection goes to the render (or the site
build, `publish.site`), with the site settings and the Git history read beside the check.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from matrixpipe.check.run import Result, check
from matrixpipe.diagnostics import ExitCode
from matrixpipe.git.history import read_history
from matrixpipe.publish.render import render, render_context
from matrixpipe.publish.site import build_site, say_rendered, show_mkdocs_log
from matrixpipe.publish.tree import site_dir


def checked(repo: Path, color: str = "auto") -> Result | None:
    """Check the collection and print its findings; None if errors forbid publishing it."""
    result = _check_and_report(repo, color)
    return None if result.report.exit_code() != ExitCode.OK else result


def _check_and_report(repo: Path, color: str) -> Result:
    from matrixpipe.report import reporter

    result = check(repo, publish=True)
    if result.report.diagnostics:
        reporter("text", repo, color).report(result.report)
    return result


def _refuse(what: str) -> int:
    print(f"matrixpipe: {what}: fix the errors above first")
    return int(ExitCode.FINDINGS)


def run_render(repo: Path, drafts: bool, color: str = "auto") -> int:
    """`matrixpipe render`: check, then write the generated docs folder."""
    result = checked(repo, color)
    if result is None:
        return _refuse("not rendered")
    ctx = render_context(result.collection, result.config, drafts, read_history(repo))
    say_rendered(repo, render(repo, ctx))
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
    warnings = build_site(repo, result, result.config, target, drafts, history.result())
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


def run_serve(repo: Path, drafts: bool, dev_addr: str | None, color: str = "auto") -> int:
    """`matrixpipe serve`: build, serve with live reload, rebuild what an edit changes."""
    from matrixpipe.publish.serve import serve
    from matrixpipe.report import reporter

    def report(result: Result) -> None:
        if result.report.diagnostics:
            reporter("text", repo, color).report(result.report)

    site_dir(repo)  # a clear error before anything starts
    show_mkdocs_log()
    serve(repo, drafts, report, dev_addr or "127.0.0.1:8000")
    return int(ExitCode.OK)
