"""Files a reader takes away: one study, one cell or the whole collection, in every format.

Study and cell pages link to these through the view's URL scheme (`Urls.study_downloads`,
`Urls.cell_downloads`), so the pages and the files cannot disagree; what is in them is the
view's too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matrixpipe.publish.files import prune, write_files
from matrixpipe.publish.references import bibtex, csl_json, ris
from matrixpipe.publish.tables import gaps_csv, placements_csv
from matrixpipe.publish.view import COLLECTION_NAME, REFERENCE_FORMATS, Urls

if TYPE_CHECKING:
    from pathlib import Path

    from matrixpipe import models
    from matrixpipe.publish.view import PublicView

OWN_FILES = (
    f"{COLLECTION_NAME}.*",
    "studies/*.bib",
    "studies/*.ris",
    "studies/*.csl.json",
    "cells/*/*.bib",
    "cells/*/*.ris",
    "cells/*/*.csl.json",
    "cells/*/*.csv",
    "matrices/*-gaps.csv",
)


def reference_file(ext: str, view: PublicView, studies: list[models.Study]) -> str:
    """One reference-manager file (`bib`, `ris` or `csl.json`) of some studies."""
    if ext == "csl.json":
        return csl_json([view.csl(s) for s in studies])
    return {"bib": bibtex, "ris": ris}[ext](studies)


def download_files(view: PublicView) -> dict[str, str]:
    """Every download as `relative path → text`."""
    out: dict[str, str] = {}
    one = {
        ext: {s.id: reference_file(ext, view, [s]) for s in view.studies} for ext in ("bib", "ris")
    }
    for study in view.studies:
        for ext, path in Urls.study_downloads(study.id).items():
            out[path] = one[ext][study.id] if ext in one else reference_file(ext, view, [study])
    for key, cell in view.cells.items():
        if not cell.listings:
            continue
        paths = Urls.cell_downloads(key)
        out[paths["csv"]] = placements_csv(list(cell.listings))
        for ext in REFERENCE_FORMATS:
            out[paths[ext]] = _joined(ext, view, view.studies_of(cell.listings), one)
    for matrix in view.matrices:
        out[Urls.matrix_gaps(matrix.id)] = gaps_csv(matrix, view.cells)
    whole = Urls.collection_downloads()
    out[whole["csv"]] = placements_csv(view.placements())
    for ext in REFERENCE_FORMATS:
        out[whole[ext]] = _joined(ext, view, view.studies, one)
    return out


def _joined(
    ext: str, view: PublicView, studies: list[models.Study], single: dict[str, dict[str, str]]
) -> str:
    """A file of several studies. BibTeX and RIS files are their single-study files joined by a
    blank line (a test holds the libraries to that), so each study is written once, not three
    times; CSL-JSON is one array."""
    if ext not in single:
        return reference_file(ext, view, studies)
    return "\n".join(single[ext][s.id] for s in studies)


def write_downloads(view: PublicView, out_dir: Path, prune_stale: bool = False) -> list[Path]:
    """Write every download into `out_dir` (e.g. `<site>/downloads/`); return the paths.

    Per study `studies/<id>.bib|.ris|.csl.json`, per cell with listings
    `cells/<matrix>/<CODE>.csv|.bib|.ris|.csl.json`, and the whole collection as
    `matrixpipe.csv|.bib|.ris|.csl.json`.
    """
    written = write_files(out_dir, download_files(view))
    if prune_stale:
        prune(out_dir, written, OWN_FILES)
    return written
