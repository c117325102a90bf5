"""`matrixpipe redirects`: every renamed id, from one walk of the Git history."""

from __future__ import annotations

from pathlib import Path

from matrixpipe.diagnostics import ExitCode


def run_redirects(repo: Path, fmt: str) -> int:
    """`matrixpipe redirects`: every renamed id from one walk of the history."""
    import json

    from matrixpipe.git.history import read_history

    found = read_history(repo).redirects
    if fmt == "json":
        rows = [{"kind": r.kind, "old": r.old, "new": r.new} for r in found]
        print(json.dumps({"version": 1, "redirects": rows}, indent=2))
    else:
        for r in found:
            print(f"{r.kind} {r.old} -> {r.new}")
    return int(ExitCode.OK)
