"""What every export shares: which entries are public, their site URLs, and stable file output.

Exports are caches and diffs for re-users, so the same commit must give the same bytes: JSON has
sorted keys and no timestamps, files are listed in sorted order and written atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matrixpipe.fsutil import write_atomic

if TYPE_CHECKING:
    from matrixpipe import models
    from matrixpipe.check.resolve import CellPage, Collection, Listing

API_VERSION = 1


def dump_json(data: Any) -> str:
    """The one JSON text form of every export: sorted keys, UTF-8, two-space indent, final newline."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


def write_files(out_dir: Path, files: dict[str, str]) -> list[Path]:
    """Write `relative path → text` under `out_dir`, each atomically, in sorted order."""
    written = []
    for name in sorted(files):
        path = out_dir / name
        write_atomic(path, files[name])
        written.append(path)
    return written


def prune(out_dir: Path, written: list[Path], patterns: tuple[str, ...]) -> list[Path]:
    """Delete files matching `patterns` that this run did not write: an unpublished study's file
    must not linger in a re-used export folder. Only our own file patterns are touched."""
    keep = {p.resolve() for p in written}
    removed = []
    for pattern in patterns:
        for path in sorted(out_dir.glob(pattern)):
            if path.is_file() and path.resolve() not in keep:
                path.unlink()
                removed.append(path)
    return removed


@dataclass(frozen=True)
class Urls:
    """Site URLs, which the pipeline keeps stable: `/<matrix>/<CODE>/` and `/studies/<id>/`."""

    base_url: str = ""

    def site(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def study(self, study_id: str, anchor: str | None = None) -> str:
        return self.site(f"/studies/{study_id}/") + (f"#{anchor}" if anchor else "")

    def cell(self, key: str, anchor: str | None = None) -> str:
        return self.site(f"/{key}/") + (f"#{anchor}" if anchor else "")

    def matrix(self, matrix_id: str) -> str:
        return self.site(f"/{matrix_id}/")


def is_visible(status: str, drafts: bool) -> bool:
    """Only published entries reach the public outputs; a preview (`drafts`) shows every entry."""
    return drafts or status == "published"


def visible_listings(page: CellPage, drafts: bool) -> list[Listing]:
    """A cell's listings in editorial order, without the studies the public may not see."""
    return [item for item in page.listings if is_visible(item.study.status, drafts)]


def visible_cells(collection: Collection, drafts: bool) -> list[CellPage]:
    """Cells that get a page: a visible bite or at least one visible listing, sorted by key."""
    return [
        page
        for key, page in sorted(collection.cells.items())
        if is_visible(page.status, drafts) and (page.entry or visible_listings(page, drafts))
    ]


def visible_studies(collection: Collection, drafts: bool) -> list[models.Study]:
    """Studies by id, without those the public may not see."""
    return [
        study for _, study in sorted(collection.studies.items()) if is_visible(study.status, drafts)
    ]


def visible_placements(collection: Collection, drafts: bool) -> list[Listing]:
    """Every visible listing of every visible cell: one per placement, in cell then editorial order."""
    return [
        item
        for page in visible_cells(collection, drafts)
        for item in visible_listings(page, drafts)
    ]
