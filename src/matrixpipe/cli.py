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
from matrixpipe.errors import MatrixpipeError

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


def _fails_cleanly(func: F) -> F:
    """Turn a MatrixpipeError into a one-line message and exit code 2, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MatrixpipeError as exc:
            click.echo(f"matrixpipe: error: {exc}", err=True)
            sys.exit(ExitCode.FAILURE)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="matrixpipe")
def cli() -> None:
    """matrixpipe: publish a curated evidence collection from Git.

    Entries live in entries/ as YAML and Markdown; matrixpipe checks them, renders the site and
    exports the data.
    """


@cli.command()
@_REPO
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="How to report findings.",
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
    from matrixpipe.commands import run_check

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
    from matrixpipe.commands import run_schema

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

        matrixpipe rules --docs site/docs/rules.md
    """
    from matrixpipe.commands import run_rules

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
    from matrixpipe.commands import run_redirects

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
    from matrixpipe.summary import pr_summary

    click.echo(pr_summary(repo, base), nl=False)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="matrixpipe")
