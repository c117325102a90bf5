"""`matrixpipe schema`: write the JSON Schemas, or say which are out of date."""

from __future__ import annotations

import sys
from pathlib import Path

from matrixpipe.diagnostics import ExitCode


def run_schema(out: Path, check_only: bool) -> int:
    """`matrixpipe schema`: write the entry schemas, or check that they are up to date."""
    from matrixpipe.fsutil import write_atomic
    from matrixpipe.models.schemas import expected_files, stale_files

    stale = stale_files(out)
    if check_only:
        for name in stale:
            print(f"{out / name}: out of date; run `matrixpipe schema`", file=sys.stderr)
        return int(ExitCode.FINDINGS if stale else ExitCode.OK)
    for name, text in expected_files().items():
        if name in stale:
            write_atomic(out / name, text)
            print(f"wrote {out / name}")
    return int(ExitCode.OK)
