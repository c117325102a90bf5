"""Files a reader takes away: one study, one cell or the whole collection, in every format.

Study and cell pages link to these; `study_downloads` and `cell_downloads` give the paths, so
the pages and the files cannot disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matrixpipe.publish.files import (
    prune,
    visible_cells,
    visible_listings,
    visible_placements,
    visible_studies,
    write_files,
)
from matrixpipe.publish.references import bibtex, csl_json, ris
from matrixpipe.publish.tables import placements_csv

if TYPE_CHECKING:
    from pathlib import Path

    from matrixpipe import models
    from matrixpipe.check.resolve import Collection, Listing

COLLECTION_NAME = "matrixpipe"
REFERENCE_FORMATS = {"bib": bibtex, "ris": ris, "csl.json": csl_json}
OWN_FILES = (
    f"{COLLECTION_NAME}.*",
    "studies/*.bib",
    "studies/*.ris",
    "studies/*.csl.json",
    "cells/*/*.bib",
    "cells/*/*.ris",
    "cells/*/*.csl.json",
    "cells/*/*.csv",
)


def study_downloads(study_id: str) -> dict[str, str]:
    """Format (`bib`, `ris`, `csl.json`) → path of a study's file, relative to the downloads folder."""
    return {ext: f"studies/{study_id}.{ext}" for ext in REFERENCE_FORMATS}


def cell_downloads(key: str) -> dict[str, str]:
    """Format (`csv`, `bib`, `ris`, `csl.json`) → path of a cell's file (`key` is `alcohol/E5`)."""
    return {ext: f"cells/{key}.{ext}" for ext in ("csv", *REFERENCE_FORMATS)}


def collection_downloads() -> dict[str, str]:
    """Format → path of the whole collection's file."""
    return {ext: f"{COLLECTION_NAME}.{ext}" for ext in ("csv", *REFERENCE_FORMATS)}


def studies_of(listings: list[Listing]) -> list[models.Study]:
    """The distinct studies of some listings, in listing order."""
    seen: dict[str, models.Study] = {}
    for item in listings:
        seen.setdefault(item.study.id, item.study)
    return list(seen.values())


def download_files(collection: Collection, drafts: bool = False) -> dict[str, str]:
    """Every download as `relative path → text`."""
    out: dict[str, str] = {}
    studies = visible_studies(collection, drafts)
    one = {ext: {s.id: write([s]) for s in studies} for ext, write in REFERENCE_FORMATS.items()}
    for study in studies:
        for ext, path in study_downloads(study.id).items():
            out[path] = one[ext][study.id]
    for page in visible_cells(collection, drafts):
        listings = visible_listings(page, drafts)
        paths = cell_downloads(page.key)
        out[paths["csv"]] = placements_csv(listings)
        for ext in REFERENCE_FORMATS:
            out[paths[ext]] = _joined(ext, studies_of(listings), one[ext])
    whole = collection_downloads()
    out[whole["csv"]] = placements_csv(visible_placements(collection, drafts))
    for ext in REFERENCE_FORMATS:
        out[whole[ext]] = _joined(ext, studies, one[ext])
    return out


def _joined(ext: str, studies: list[models.Study], single: dict[str, str]) -> str:
    """A file of several studies. BibTeX and RIS files are their single-study files joined by a
    blank line (a test holds the libraries to that), so each study is written once, not three
    times; CSL-JSON is one array."""
    write = REFERENCE_FORMATS[ext]
    if ext == "csl.json":
        return write(studies)
    return "\n".join(single.get(s.id) or write([s]) for s in studies)


def write_downloads(
    collection: Collection, out_dir: Path, drafts: bool = False, prune_stale: bool = False
) -> list[Path]:
    """Write every download into `out_dir` (e.g. `<site>/downloads/`); return the paths.

    Per study `studies/<id>.bib|.ris|.csl.json`, per cell `cells/<matrix>/<CODE>.csv|.bib|.ris|
    .csl.json`, and the whole collection as `matrixpipe.csv|.bib|.ris|.csl.json`.
    """
    written = write_files(out_dir, download_files(collection, drafts))
    if prune_stale:
        prune(out_dir, written, OWN_FILES)
    return written
