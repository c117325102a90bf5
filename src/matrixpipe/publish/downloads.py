"""Files a reader takes away: one study, one cell or the whole collection, in every format.

Study and cell pages link to these through the view's URL scheme (`Urls.study_downloads`,
`Urls.cell_downloads`), so the pages and the files cannot disagree; what is in them is the
view's too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matrixpipe.publish.files import prune, write_files
from matrixpipe.publish.incremental import Keys, Output
from matrixpipe.publish.references import bibtex, csl_json, ris
from matrixpipe.publish.tables import gaps_csv, placements_csv
from matrixpipe.publish.view import COLLECTION_NAME, REFERENCE_FORMATS, Urls

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
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
    for output in download_outputs(view, None, out.__getitem__):
        out[output.path] = output.make()
    return out


def download_outputs(
    view: PublicView, keys: Keys | None, text: Callable[[str], str]
) -> Iterator[Output]:
    """Every download as an `Output`: a study's files keyed by its inputs, a cell's by the
    cell's, the collection's and the gap maps made every run. Files of several studies are
    their single-study files joined (read back with `text` once written), so each study is
    formatted once: BibTeX and RIS by a blank line (a test holds the libraries to that),
    CSL-JSON as one array."""
    for study in view.studies:
        key = keys.study(study) if keys else None
        for ext, path in Urls.study_downloads(study.id).items():
            yield Output(path, key, lambda e=ext, s=study: reference_file(e, view, [s]))

    def joined(ext: str, studies: list[models.Study]) -> str:
        parts = [text(Urls.study_downloads(s.id)[ext]) for s in studies]
        return join_csl(parts) if ext == "csl.json" else "\n".join(parts)

    for key, cell in view.cells.items():
        if not cell.listings:
            continue
        paths = Urls.cell_downloads(key)
        cell_key = keys.cell(cell) if keys else None
        yield Output(paths["csv"], cell_key, lambda c=cell: placements_csv(list(c.listings)))
        for ext in REFERENCE_FORMATS:
            yield Output(
                paths[ext],
                cell_key,
                lambda e=ext, c=cell: joined(e, view.studies_of(c.listings)),
            )
    for matrix in view.matrices:
        yield Output(Urls.matrix_gaps(matrix.id), None, lambda m=matrix: gaps_csv(m, view.cells))
    whole = Urls.collection_downloads()
    yield Output(whole["csv"], None, lambda: placements_csv(view.placements()))
    for ext in REFERENCE_FORMATS:
        yield Output(whole[ext], None, lambda e=ext: joined(e, view.studies))


def join_csl(files: list[str]) -> str:
    """CSL-JSON files of one study each (`csl_json([item])`) as one file of them all, byte for
    byte what `csl_json` writes for every item at once."""
    if not files:
        return csl_json([])
    return "[\n" + ",\n".join(f[2:-3] for f in files) + "\n]\n"


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
