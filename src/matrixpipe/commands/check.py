"""`matrixpipe check`: every stage, reported; the exit code says whether the collection passes.

Each module of `commands/` is one CLI command, as a function that returns an exit code (the
tests call them too); `cli.py` only parses arguments."""

from __future__ import annotations

from pathlib import Path

from matrixpipe.report import reporter


def run_check(
    repo: Path, fmt: str, strict: bool, base: str | None, online: bool, color: str
) -> int:
    """`matrixpipe check`: run every stage, report, and say whether the collection passes."""
    from matrixpipe.check.run import check

    result = check(repo, base=base, online=online)
    reporter(fmt, repo, color).report(result.report)
    return int(result.report.exit_code(strict))
