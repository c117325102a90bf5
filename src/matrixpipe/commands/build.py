"""`matrixpipe render`, `build` and `serve`: check, then publish (`matrixpipe.publish`).

The commands wire the stages together: the check's collection goes to the render (or the site
build, `publish.site`), with the site settings and the Git history read beside the check. The
site's address is `site.url` of matrixpipe.yml unless `--site-url` or $MATRIXPIPE_SITE_URL
gives another (`config.with_site_url`); a build with the placeholder address warns, and fails
with `--strict`.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from matrixpipe import progress
from matrixpipe.check.run import Result, check
from matrixpipe.config import PLACEHOLDER_URL, SITE_URL_ENV, Config, with_site_url
from matrixpipe.diagnostics import ExitCode
from matrixpipe.git.history import read_history
from matrixpipe.publish.render import render, render_context
from matrixpipe.publish.site import build_site, say_rendered, show_mkdocs_log


def checked(repo: Path, color: str = "auto", strict: bool = False) -> Result | None:
    """Check the collection and print its findings; None if errors (or, `strict`, warnings)
    forbid publishing it."""
    result = _check_and_report(repo, color)
    return None if result.report.exit_code(strict) != ExitCode.OK else result


def placeholder_warning(config: Config) -> str | None:
    """The warning for a site still at the placeholder address, if it is."""
    if not config.site.placeholder_url:
        return None
    return (
        f"matrixpipe: warning: the site's address is the placeholder {PLACEHOLDER_URL}: the "
        "feeds, the API's URLs, the sitemap and the canonical links point there; set site.url "
        f"in matrixpipe.yml, or pass --site-url URL (or ${SITE_URL_ENV})"
    )


def _check_and_report(repo: Path, color: str) -> Result:
    from matrixpipe.report import reporter

    with progress.checking(repo):
        result = check(repo, publish=True)
    if result.report.diagnostics:
        reporter("text", repo, color).report(result.report)
    return result


def _refuse(what: str) -> int:
    print(f"matrixpipe: {what}: fix the errors above first")
    return int(ExitCode.FINDINGS)


def run_render(repo: Path, drafts: bool, color: str = "auto", site_url: str | None = None) -> int:
    """`matrixpipe render`: check, then write the generated docs folder, and the plain MkDocs
    project beside it (`publish.plain`)."""
    from matrixpipe.publish.plain import write_plain_project

    result = checked(repo, color)
    if result is None:
        return _refuse("not rendered")
    config = with_site_url(result.config, site_url)
    with progress.stage("Reading the collection"):
        ctx = render_context(result.collection, config, drafts, read_history(repo))
    say_rendered(repo, render(repo, ctx))
    written = write_plain_project(repo, config.site)
    print(f"wrote {written.relative_to(repo) if written.is_relative_to(repo) else written}")
    return int(ExitCode.OK)


def run_build(
    repo: Path,
    out: Path | None,
    drafts: bool,
    color: str = "auto",
    site_url: str | None = None,
    strict: bool = False,
) -> int:
    """`matrixpipe build`: check, render, `mkdocs build --strict`, then swap the site in.
    `strict`: the check's warnings and a placeholder site address fail the build too."""
    # Git walks the history (for the pages' dates) while the check reads the entries; the
    # thread has ended before anything forks.
    pool = ThreadPoolExecutor(max_workers=1)
    history = pool.submit(read_history, repo)
    try:
        result = checked(repo, color, strict)
    finally:
        pool.shutdown(wait=True)
    if result is None:
        return _refuse("site not built")
    config = with_site_url(result.config, site_url)
    warning = placeholder_warning(config)
    if warning is not None:
        print(warning, file=sys.stderr)
        if strict:
            print("matrixpipe: site not built: --strict fails on warnings")
            return int(ExitCode.FINDINGS)
    target = (out if out is not None else repo / "public").resolve()
    warnings = build_site(repo, result, config, target, drafts, history.result())
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

    show_mkdocs_log()
    serve(repo, drafts, report, dev_addr or "127.0.0.1:8000")
    return int(ExitCode.OK)
