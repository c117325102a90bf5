"""`matrixpipe export`: the API, the downloads, or one file for the whole collection, a cell or a study."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from matrixpipe import progress
from matrixpipe.diagnostics import ExitCode
from matrixpipe.errors import MatrixpipeError
from matrixpipe.publish.view import PublicView, Urls

if TYPE_CHECKING:
    from matrixpipe import models
    from matrixpipe.check.resolve import Listing
    from matrixpipe.config import SiteConfig

FOLDER_FORMATS = ("json", "downloads")
FILE_FORMATS = ("csv", "csl-json", "bibtex", "ris")


def run_export(
    repo: Path,
    fmt: str,
    out: Path,
    study: str | None = None,
    cell: str | None = None,
    drafts: bool = False,
    base_url: str = "",
) -> int:
    """Check `repo`, then export it; a collection with errors is not exported (exit 1)."""
    from matrixpipe.check.run import check

    if study and cell:
        raise MatrixpipeError("give --study or --cell, not both")
    if fmt in FOLDER_FORMATS and (study or cell):
        raise MatrixpipeError(f"--study and --cell narrow a one-file export; {fmt} writes a folder")
    with progress.checking(repo):
        result = check(repo, publish=True)
    failing = result.report.failing()
    if failing:
        click.echo(
            f"matrixpipe: error: the collection has {len(failing)} error(s); "
            "run `matrixpipe check` and fix them first",
            err=True,
        )
        return int(ExitCode.FINDINGS)
    with progress.stage("Reading the collection"):
        view = PublicView(result.collection, drafts, Urls(base_url), result.config.jurisdictions)
    if fmt in FOLDER_FORMATS:
        return _export_folder(view, result.config.site, fmt, out)
    studies, listings = _selection(view, study, cell)
    with progress.stage(f"Exporting {progress.count(len(studies), 'study', 'studies')}"):
        text = _file_text(fmt, view, studies, listings)
    if str(out) == "-":
        click.echo(text, nl=False)
        return int(ExitCode.OK)
    if out.is_dir():
        raise MatrixpipeError(f"{out} is a folder; --out names the file for {fmt}")
    from matrixpipe.fsutil import write_atomic

    write_atomic(out, text)
    click.echo(f"wrote {out} ({len(studies)} studies)")
    return int(ExitCode.OK)


def _export_folder(view: PublicView, site: SiteConfig, fmt: str, out: Path) -> int:
    if out.exists() and not out.is_dir():
        raise MatrixpipeError(f"{out} is a file; --out names a folder for {fmt}")
    if fmt == "json":
        from matrixpipe.publish.api import write_api

        with progress.stage("Writing the JSON API") as step:
            written = write_api(view, out, prune_stale=True, title=site.title)
            step.advance(len(written))
    else:
        from matrixpipe.publish.downloads import write_downloads

        with progress.stage("Writing the downloads") as step:
            written = write_downloads(view, out, prune_stale=True)
            step.advance(len(written))
    click.echo(f"wrote {len(written)} files to {out}")
    return int(ExitCode.OK)


def _selection(
    view: PublicView, study: str | None, cell: str | None
) -> tuple[list[models.Study], list[Listing]]:
    """The studies and placements to export: all, one study's, or one cell's."""
    collection = view.collection
    if study is not None:
        found = view.study(study)
        if found is None and study in collection.studies:
            status = collection.studies[study].status
            raise MatrixpipeError(f"study '{study}' is {status}; add --drafts to export it")
        if found is None:
            close = difflib.get_close_matches(study, list(collection.studies), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise MatrixpipeError(f"there is no study '{study}'{hint}")
        return [found], [item for item in view.placements() if item.study.id == study]
    if cell is not None:
        page = view.cells.get(cell)
        if page is None:
            raise MatrixpipeError(f"there is no cell '{cell}'; write it as <matrix>/<CODE>")
        return view.studies_of(page.listings), list(page.listings)
    return view.studies, view.placements()


def _file_text(
    fmt: str, view: PublicView, studies: list[models.Study], listings: list[Listing]
) -> str:
    from matrixpipe.publish.downloads import reference_file
    from matrixpipe.publish.tables import placements_csv

    if fmt == "csv":
        return placements_csv(listings)
    return reference_file(
        {"csl-json": "csl.json", "bibtex": "bib", "ris": "ris"}[fmt], view, studies
    )
