"""Stable file output for every export (what is public and where it lives is `publish.view`'s).

Exports are caches and diffs for re-users, so the same commit must give the same bytes: JSON has
sorted keys and no timestamps, files are listed in sorted order and written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from matrixpipe.fsutil import write_atomic

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
