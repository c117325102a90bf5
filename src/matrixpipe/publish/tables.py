"""Open data as CSV: one row per placement, so a spreadsheet can filter by cell and category."""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matrixpipe import models
    from matrixpipe.check.resolve import Listing
    from matrixpipe.publish.view import Cell

COLUMNS = (
    "study_id",
    "title",
    "organisation",
    "jurisdiction",
    "year",
    "url",
    "doi",
    "matrix",
    "cell",
    "categories",
    "rank",
    "note",
    "headline",
    "container",
)
"""New columns go at the end, so a reader's spreadsheet formulas keep their columns."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (the
OWASP CSV-injection list, plus the full-width forms that some Excel locales accept too)."""
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def csv_cell(value: str) -> str:
    """A value a spreadsheet shows as text and never runs: a title such as `=HYPERLINK(…)` gets
    a leading `'` (OWASP's rule). A plain number such as `-3` is left alone: it is no formula,
    and quoting it would turn a number into text."""
    if value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def placement_row(item: Listing) -> dict[str, str]:
    """One placement as CSV values; categories are joined with semicolons."""
    source, placement = item.study.source, item.placement
    matrix, _, cell = placement.cell.partition("/")
    return {
        "study_id": item.study.id,
        "title": item.study.title,
        "headline": item.placement.headline or "",
        "organisation": source.organisation or "",
        "jurisdiction": source.jurisdiction or "",
        "year": "" if source.year is None else str(source.year),
        "url": source.url or "",
        "doi": source.doi or "",
        "matrix": matrix,
        "cell": cell,
        "categories": ";".join(placement.categories),
        "rank": "" if placement.rank is None else str(placement.rank),
        "note": placement.note.strip(),
        "container": source.container or "",
    }


def placements_csv(listings: list[Listing]) -> str:
    """CSV text (RFC 4180: a header row, CRLF line ends) of the listings in the order given.

    Every CSV matrixpipe writes comes from here, so every cell goes through `csv_cell` here.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for item in listings:
        writer.writerow({key: csv_cell(value) for key, value in placement_row(item).items()})
    return buffer.getvalue()


GAP_LABELS = {
    "no_studies": "no studies",
    "no_synthesis": "no review or guidance",
    "no_bite": "no published bite",
}
"""How each gap reads, on the gap view and in its CSV."""


def gap_summary(cell: Cell) -> str:
    """One cell of the gap map as text: `18 studies: K8 R3 G8; gaps: no published bite`."""
    counts = cell.counts
    letters = " ".join(
        f"{c[0].upper()}{counts[c]}" for c in ("seminal", "key", "review", "guidance") if counts[c]
    )
    text = f"{counts['total']} {'study' if counts['total'] == 1 else 'studies'}"
    text += f": {letters}" if letters else ""
    gaps = [label for key, label in GAP_LABELS.items() if cell.gaps[key]]
    return text + (f"; gaps: {', '.join(gaps)}" if gaps else "")


def gaps_csv(matrix: models.Matrix, cells: dict[str, Cell]) -> str:
    """The gap map of one matrix as a CSV shaped like its grid: a row per kind of care, a column
    per level of the system, each cell its counts and its gaps (`gap_summary`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", *(f"{c.code} {c.name}" for c in matrix.columns)])
    for row in matrix.rows:
        writer.writerow(
            [
                csv_cell(f"{row.code} {row.name}"),
                *(
                    csv_cell(gap_summary(cells[f"{matrix.id}/{c.code}{row.code}"]))
                    for c in matrix.columns
                ),
            ]
        )
    return buffer.getvalue()
