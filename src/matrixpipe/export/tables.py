"""Open data as CSV: one row per placement, so a spreadsheet can filter by cell and category."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matrixpipe.resolve import Listing

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
)


def placement_row(item: Listing) -> dict[str, str]:
    """One placement as CSV values; categories are joined with semicolons."""
    source, placement = item.study.source, item.placement
    matrix, _, cell = placement.cell.partition("/")
    return {
        "study_id": item.study.id,
        "title": item.study.title,
        "organisation": source.organisation or "",
        "jurisdiction": source.jurisdiction or "",
        "year": str(source.year),
        "url": source.url or "",
        "doi": source.doi or "",
        "matrix": matrix,
        "cell": cell,
        "categories": ";".join(placement.categories),
        "rank": "" if placement.rank is None else str(placement.rank),
        "note": placement.note.strip(),
    }


def placements_csv(listings: list[Listing]) -> str:
    """CSV text (RFC 4180: a header row, CRLF line ends) of the listings in the order given."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for item in listings:
        writer.writerow(placement_row(item))
    return buffer.getvalue()
