"""The command line: parse arguments, call one stage function, turn its result into an exit code.

Command modules are imported inside each command so `matrixpipe --help` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from matrixpipe.diagnostics import ExitCode
from matrixpipe.errors import ContentError, MatrixpipeError

F = TypeVar("F", bound=Callable[..., Any])

_REPO = click.argument(
    "repo", type=click.Path(file_okay=False, path_type=Path), default=".", required=False
)
_COLOR = click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text output; NO_COLOR in the environment means never.",
)
_QUIET = click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Show no progress (on a terminal a live display, elsewhere a line per stage); "
    "findings, errors and the closing summary are still printed.",
)


def _progress(quiet: bool, color: str = "auto") -> Any:
    """The command's progress display (`matrixpipe.progress`), for a `with` block."""
    from matrixpipe.progress import shown

    return shown(quiet, color)


def _fails_cleanly(func: F) -> F:
    """Turn a MatrixpipeError into a one-line message and exit code 2 (1 for content that
    cannot be published), never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MatrixpipeError as exc:
            click.echo(f"matrixpipe: error: {exc}", err=True)
            content = isinstance(exc, ContentError)
            sys.exit(ExitCode.FINDINGS if content else ExitCode.FAILURE)

    return wrapper  # type: ignore[return-value]


class _Commands(click.Group):
    """The command group: an unexpected failure is one line and exit code 2 (never 1, the code
    for content findings); `matrixpipe --debug …` shows its traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except (SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if ctx.meta.get("matrixpipe.debug"):
                raise
            what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            click.echo(f"matrixpipe: internal error: {what[:300]}", err=True)
            click.echo(
                "matrixpipe: this is a bug in matrixpipe; run the command again with "
                "`matrixpipe --debug …` for the traceback, and report it",
                err=True,
            )
            ctx.exit(int(ExitCode.FAILURE))


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="matrixpipe")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """matrixpipe: publish a curated evidence collection from Git.

    Entries live in entries/ as YAML and Markdown; matrixpipe checks them, renders the site and
    exports the data.
    """
    ctx.meta["matrixpipe.debug"] = debug


@cli.command()
@_REPO
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="How to report findings. github: workflow annotations, those on the lines --base "
    "changed first, up to GitHub's 10 errors, 10 warnings and 10 notices per step; every "
    "finding also goes to the job summary ($GITHUB_STEP_SUMMARY) when it is set.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Fail on warnings too, and on findings that were already there before --base.",
)
@click.option(
    "--base",
    metavar="REF",
    help="Judge the change since this Git ref (e.g. "
    "origin/main): link integrity, and only changed files fail the run.",
)
@click.option("--online", is_flag=True, help="Also check that external links answer.")
@_COLOR
@_fails_cleanly
def check(repo: Path, fmt: str, strict: bool, base: str | None, online: bool, color: str) -> None:
    """Check every entry in REPO against the schemas and each other.

    Exit codes: 0 no problems, 1 findings, 2 usage or internal failure.

    Example:

        matrixpipe check . --format github --base origin/main
    """
    from matrixpipe.commands.check import run_check

    sys.exit(run_check(repo, fmt, strict, base, online, color))


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schema"),
    show_default=True,
    help="Folder for the schema files.",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 if the files in --out are stale.",
)
@_fails_cleanly
def schema(out: Path, check_only: bool) -> None:
    """Write the JSON Schemas of entries, generated from the content model.

    Example:

        matrixpipe schema --check
    """
    from matrixpipe.commands.schema import run_schema

    sys.exit(run_schema(out, check_only))


@cli.command()
@click.option(
    "--docs",
    "docs_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the rules reference page (Markdown) to this file.",
)
def rules(docs_out: Path | None) -> None:
    """List every rule with its code, name and default level.

    Example:

        matrixpipe rules --docs src/matrixpipe/template/site/pages/contributors/rules.md
    """
    from matrixpipe.commands.rules import run_rules

    sys.exit(run_rules(docs_out))


@cli.command()
@_REPO
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_fails_cleanly
def redirects(repo: Path, fmt: str) -> None:
    """List every renamed id (old → new) found in the Git history of REPO.

    The site keeps a redirect page at each old URL.

    Example:

        matrixpipe redirects --format json
    """
    from matrixpipe.commands.redirects import run_redirects

    sys.exit(run_redirects(repo, fmt))


@cli.command()
@_REPO
@click.option(
    "--base", metavar="REF", required=True, help="The pull request's base, e.g. origin/main."
)
@_fails_cleanly
def summary(repo: Path, base: str) -> None:
    """Describe what the change since REF does, as Markdown for a pull request's job summary.

    Example:

        matrixpipe summary --base origin/main >> "$GITHUB_STEP_SUMMARY"
    """
    from matrixpipe.commands.summary import pr_summary

    click.echo(pr_summary(repo, base), nl=False)


_IN_REPO = click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The collection's root folder.",
)
# Spelled out rather than imported from matrixpipe.models.entries, to keep `--help` fast; a test keeps
# them equal.
_SOURCE_TYPES = ["report", "journal-article", "review", "guidance", "book", "chapter"]
_SOURCE_TYPES += ["web-page", "dataset", "other"]
_RANK = click.option(
    "--rank",
    type=click.IntRange(1, 9999),
    help="Editorial order within the cell's category; lower comes first.",
)
_STATUS = click.option(
    "--status",
    type=click.Choice(["draft", "review", "published"]),
    default="draft",
    show_default=True,
    help="Editorial state of the new entry.",
)


@cli.group()
def new() -> None:
    """Start a new entry from a scaffold that passes `matrixpipe check`."""


@new.command("study")
@click.option("--title", help="The headline readers see in the cell listing.")
@click.option("--year", type=click.IntRange(1900, 2100), help="Year of publication.")
@click.option("--cell", metavar="MATRIX/CODE", help="Where the study is listed, e.g. alcohol/E5.")
@click.option(
    "--category",
    "categories",
    multiple=True,
    type=click.Choice(["seminal", "key", "review", "guidance"]),
    help="Its category in that cell; repeat for more than one.",
)
@click.option("--note", help="Markdown: why the study matters in that cell, in your own words.")
@click.option("--organisation", help="The publishing or commissioning body.")
@click.option("--jurisdiction", help="Where the study was done or the guidance applies.")
@click.option("--url", help="Link to the document (http or https).")
@click.option("--doi", help="The DOI, without https://doi.org/.")
@click.option("--author", "authors", multiple=True, help='"Family, Given"; repeatable.')
@click.option(
    "--type",
    "source_type",
    type=click.Choice(_SOURCE_TYPES),
    help="What kind of document it is.  [default: report]",
)
@click.option("--summary", help="Markdown: what the document found.")
@_RANK
@click.option(
    "--related",
    metavar="STUDY_ID",
    multiple=True,
    help='A study of the collection to show under "See also"; repeatable.',
)
@click.option(
    "--related-label",
    metavar="TEXT",
    default="related study",
    show_default=True,
    help='How every --related study reads after "See also"; edit the file to word each one.',
)
@click.option("--id", "study_id", help="The id and file name; proposed from the title and year.")
@_STATUS
@_IN_REPO
@_fails_cleanly
def new_study(repo: Path, study_id: str | None, **values: Any) -> None:
    """Write entries/studies/<id>.yaml, asking on a terminal for what the options leave out.

    Without a terminal (CI, scripts) it never asks, so --title, --year, --cell, --category and
    --note are required there. An existing file is never overwritten: to list a study that is
    already in the collection in another cell, use `matrixpipe place`.

    Example:

    \b
        matrixpipe new study --title "Probation and alcohol" --year 2009 \\
            --cell alcohol/E5 --category key --note "A national survey." \\
            --related prisons-alcohol-unmet-need-2010 --related-label "the same gap in prisons"
    """
    from matrixpipe.edit.new import StudyAnswers, run_new_study

    values.update(
        categories=list(values["categories"]),
        authors=list(values["authors"]),
        related=list(values["related"]),
    )
    sys.exit(run_new_study(repo, StudyAnswers(id=study_id, **values)))


@new.command("cell")
@click.argument("ref", metavar="MATRIX/CODE")
@_STATUS
@_IN_REPO
@_fails_cleanly
def new_cell(ref: str, status: str, repo: Path) -> None:
    """Write entries/cells/<matrix>/<CODE>.md with the four anchored sections of a bite.

    Example:

        matrixpipe new cell alcohol/D5
    """
    from matrixpipe.edit.new import run_new_cell

    sys.exit(run_new_cell(repo, ref, status))


@cli.command()
@click.argument("study_id", metavar="STUDY_ID")
@click.argument("cell", metavar="MATRIX/CODE")
@click.option(
    "--category",
    "categories",
    multiple=True,
    required=True,
    metavar="CATEGORY",
    help="seminal, key, review or guidance: its category in that cell; repeat for more than one.",
)
@click.option(
    "--note", required=True, help="Markdown: why the study matters in that cell, in your own words."
)
@click.option("--headline", help="What that cell shows for the study, if not its title.")
@_RANK
@_IN_REPO
@_fails_cleanly
def place(
    study_id: str,
    cell: str,
    categories: tuple[str, ...],
    note: str,
    headline: str | None,
    rank: int | None,
    repo: Path,
) -> None:
    """List the study STUDY_ID in one more cell: add a placement to its file.

    The file keeps its comments, key order and layout; the new placement comes last, laid out as
    `matrixpipe fmt` would. A cell the study is already listed in, an unknown study or cell and
    an unknown category are refused (exit code 1) and nothing is written.

    Example:

    \b
        matrixpipe place probation-alcohol-offenders-2009 alcohol/D5 --category key \\
            --note "How probation areas commission treatment." \\
            --headline "Probation areas left to buy treatment alone"
    """
    from matrixpipe.edit.place import Placing, run_place
    from matrixpipe.interrupt import terminate_as_exit

    request = Placing(study_id, cell, list(categories), note, headline, rank)
    with terminate_as_exit():  # a SIGTERM mid-write still removes the temporary file
        code = run_place(repo, request)
    sys.exit(code)


@cli.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--check", "check_only", is_flag=True, help="Write nothing; exit 1 if a file differs."
)
@_fails_cleanly
def fmt_command(paths: tuple[Path, ...], check_only: bool) -> None:
    """Rewrite entry files in one canonical layout, keeping every comment and value.

    Keys in schema order, two-space indentation, lines up to 100 characters, Markdown blocks left
    as written. With no PATHS, everything under entries/.

    Example:

        matrixpipe fmt --check
    """
    from matrixpipe.edit.fmt import run_fmt
    from matrixpipe.interrupt import terminate_as_exit

    with terminate_as_exit():  # a SIGTERM mid-write still removes the temporary file
        code = run_fmt(list(paths), check_only)
    sys.exit(code)


_DRAFTS = click.option(
    "--drafts", is_flag=True, help="Preview: include draft and review entries, marked as such."
)


def _site_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An absolute http(s) URL, with the trailing slash added; a usage error (exit 2) if not."""
    if not value:
        return None
    from matrixpipe.config import site_url

    try:
        return site_url(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


_SITE_URL = click.option(
    "--site-url",
    metavar="URL",
    envvar="MATRIXPIPE_SITE_URL",
    show_envvar=True,
    callback=_site_url,
    help="Where the site is published (absolute http(s) URL), instead of site.url in "
    "matrixpipe.yml: the feeds, the API's URLs, the sitemap and the canonical links use it.",
)


@cli.command()
@_REPO
@_DRAFTS
@_SITE_URL
@_COLOR
@_QUIET
@_fails_cleanly
def render(repo: Path, drafts: bool, site_url: str | None, color: str, quiet: bool) -> None:
    """Check REPO, then write the site's Markdown pages, feeds and redirects into site/docs/.

    Beside them it writes a plain MkDocs project (site/mkdocs.rendered.yml and the merged theme
    overrides in site/theme/), so MkDocs or Zensical can build the site without matrixpipe.

    Example:

        matrixpipe render && mkdocs build -f site/mkdocs.rendered.yml
    """
    from matrixpipe.commands.build import run_render

    with _progress(quiet, color):
        code = run_render(repo, drafts, color, site_url)
    sys.exit(code)


@cli.command()
@_REPO
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the site goes (default: public/ in REPO); replaced only by a clean build.",
)
@_DRAFTS
@_SITE_URL
@click.option(
    "--strict",
    is_flag=True,
    help="Fail on warnings too: the check's, and a site address that is still the placeholder.",
)
@_COLOR
@_QUIET
@_fails_cleanly
def build(
    repo: Path,
    out: Path | None,
    drafts: bool,
    site_url: str | None,
    strict: bool,
    color: str,
    quiet: bool,
) -> None:
    """Check, render and build the site with `mkdocs build --strict`, all or nothing.

    Exit codes: 0 built, 1 findings or MkDocs warnings (the old site is kept), 2 could not run.

    Example:

        matrixpipe build --out public --site-url https://example.github.io/collection/
    """
    from matrixpipe.commands.build import run_build

    with _progress(quiet, color):
        code = run_build(repo, out, drafts, color, site_url, strict)
    sys.exit(code)


@cli.command()
@_REPO
@_DRAFTS
@click.option(
    "-a", "--dev-addr", metavar="IP:PORT", help="Where to serve (default 127.0.0.1:8000)."
)
@_COLOR
@_fails_cleanly
def serve(repo: Path, drafts: bool, dev_addr: str | None, color: str) -> None:
    """Preview the site with live reload; editing an entry re-renders it.

    Example:

        matrixpipe serve --drafts
    """
    from matrixpipe.commands.build import run_serve

    sys.exit(run_serve(repo, drafts, dev_addr, color))


@cli.command("init")
@click.argument(
    "folder", type=click.Path(file_okay=False, path_type=Path), default=".", required=False
)
@click.option(
    "--repo",
    "repo_name",
    metavar="OWNER/NAME",
    help="The GitHub repository (default: from the Git remote `origin`).",
)
@click.option("--example", is_flag=True, help="Add an example study and the cell it is in.")
@_fails_cleanly
def init_command(folder: Path, repo_name: str | None, example: bool) -> None:
    """Start a new collection in FOLDER that checks and builds at once.

    Writes entries/ with the alcohol and drug matrices, matrixpipe.yml (every setting
    explained), schema/, requirements.txt, .github/ (workflows, issue forms, pull request
    template, CODEOWNERS, Dependabot), CONTRIBUTING.md, .pre-commit-config.yaml, .vscode/ and
    .gitignore. It never overwrites: if any of these files exists, it lists them and writes
    nothing (exit 1). No site/ folder is needed: the site template comes with matrixpipe.

    Example:

        matrixpipe init --example --repo my-org/my-matrices
    """
    from matrixpipe.edit.init import run_init

    sys.exit(run_init(folder, repo_name, example))


@cli.command("export")
@_REPO
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "csl-json", "bibtex", "ris", "downloads"]),
    required=True,
    help="json: the API (a folder); downloads: every per-study and per-cell file (a folder); "
    "the others: one file.",
)
@click.option(
    "--out", type=click.Path(path_type=Path), required=True, help="Folder or file; - for stdout."
)
@click.option("--study", "study_id", metavar="ID", help="Only this study.")
@click.option("--cell", metavar="MATRIX/CODE", help="Only the studies listed in this cell.")
@click.option("--drafts", "with_drafts", is_flag=True, help="Include draft and review entries.")
@click.option("--base-url", default="", help="What the API's site URLs start with.")
@_QUIET
@_fails_cleanly
def export_command(
    repo: Path,
    fmt: str,
    out: Path,
    study_id: str | None,
    cell: str | None,
    with_drafts: bool,
    base_url: str,
    quiet: bool,
) -> None:
    """Export the published collection in REPO: JSON API, CSV, CSL-JSON, BibTeX or RIS.

    Example:

        matrixpipe export --format bibtex --cell alcohol/E5 --out e5.bib
    """
    from matrixpipe.commands.export import run_export

    with _progress(quiet):
        code = run_export(repo, fmt, out, study_id, cell, with_drafts, base_url)
    sys.exit(code)


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_REPO
@click.option("--format", "fmt", type=click.Choice(["ris", "bibtex", "csl-json"]))
@click.option("--cell", metavar="MATRIX/CODE", help="Place every imported study in this cell.")
@click.option("--category", type=click.Choice(["seminal", "key", "review", "guidance"]))
@click.option("--dry-run", is_flag=True, help="Write nothing; say what would be written.")
@_QUIET
@_fails_cleanly
def import_command(
    file: Path,
    repo: Path,
    fmt: str | None,
    cell: str | None,
    category: str | None,
    dry_run: bool,
    quiet: bool,
) -> None:
    """Import a Zotero, EndNote or Mendeley export (RIS, BibTeX, CSL-JSON) as draft studies.

    Records already in the collection (same DOI, URL or title) are skipped. Exit codes: 0 all
    imported or skipped, 1 some record could not be read, 2 usage error.

    Example:

        matrixpipe import library.ris --cell alcohol/E5 --category key --dry-run
    """
    from matrixpipe.edit.importer import Target, run_import

    with _progress(quiet):
        code = run_import(file, repo, fmt, Target(cell, category), dry_run)
    sys.exit(code)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="matrixpipe")
