"""`matrixpipe export`: the API, the downloads, or one file for the whole collection, a cell or a study."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from matrixpipe.diagnostics import ExitCode
from matrixpipe.errors import MatrixpipeError
from matrixpipe.publish.files import (
    is_visible,
    visible_listings,
    visible_placements,
    visible_studies,
)

if TYPE_CHECKING:
    from matrixpipe import models
    from matrixpipe.check.resolve import Collection, Listing
    from matrixpipe.check.run import Result

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
    result = check(repo)
    failing = result.report.failing()
    if failing:
        click.echo(
            f"matrixpipe: error: the collection has {len(failing)} error(s); "
            "run `matrixpipe check` and fix them first",
            err=True,
        )
        return int(ExitCode.FINDINGS)
    if fmt in FOLDER_FORMATS:
        return _export_folder(result, fmt, out, drafts, base_url)
    studies, listings = _selection(result.collection, study, cell, drafts)
    text = _file_text(fmt, studies, listings)
    if str(out) == "-":
        click.echo(text, nl=False)
        return int(ExitCode.OK)
    if out.is_dir():
        raise MatrixpipeError(f"{out} is a folder; --out names the file for {fmt}")
    from matrixpipe.fsutil import write_atomic

    write_atomic(out, text)
    click.echo(f"wrote {out} ({len(studies)} studies)")
    return int(ExitCode.OK)


def _export_folder(result: Result, fmt: str, out: Path, drafts: bool, base_url: str) -> int:
    if out.exists() and not out.is_dir():
        raise MatrixpipeError(f"{out} is a file; --out names a folder for {fmt}")
    if fmt == "json":
        from matrixpipe.publish.api import write_api

        title = result.config.site.title
        written = write_api(result.collection, out, base_url, drafts, prune_stale=True, title=title)
    else:
        from matrixpipe.publish.downloads import write_downloads

        written = write_downloads(result.collection, out, drafts, prune_stale=True)
    click.echo(f"wrote {len(written)} files to {out}")
    return int(ExitCode.OK)


def _selection(
    collection: Collection, study: str | None, cell: str | None, drafts: bool
) -> tuple[list[models.Study], list[Listing]]:
    """The studies and placements to export: all, one study's, or one cell's."""
    from matrixpipe.publish.downloads import studies_of

    placements = visible_placements(collection, drafts)
    if study is not None:
        found = collection.studies.get(study)
        if found is None:
            close = difflib.get_close_matches(study, list(collection.studies), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise MatrixpipeError(f"there is no study '{study}'{hint}")
        if not is_visible(found.status, drafts):
            raise MatrixpipeError(f"study '{study}' is {found.status}; add --drafts to export it")
        return [found], [item for item in placements if item.study.id == study]
    if cell is not None:
        page = collection.cells.get(cell)
        if page is None:
            raise MatrixpipeError(f"there is no cell '{cell}'; write it as <matrix>/<CODE>")
        if not is_visible(page.status, drafts):
            raise MatrixpipeError(f"cell {cell} is {page.status}; add --drafts to export it")
        listings = visible_listings(page, drafts)
        return studies_of(listings), listings
    return visible_studies(collection, drafts), placements


def _file_text(fmt: str, studies: list[models.Study], listings: list[Listing]) -> str:
    from matrixpipe.publish.references import bibtex, csl_json, ris
    from matrixpipe.publish.tables import placements_csv

    if fmt == "csv":
        return placements_csv(listings)
    return {"csl-json": csl_json, "bibtex": bibtex, "ris": ris}[fmt](studies)
