"""What each CLI command does, as functions that return an exit code (tests call them too)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from matrixpipe.diagnostics import ExitCode
from matrixpipe.report import GithubReporter, JsonReporter, Reporter, TextReporter


def reporter_for(fmt: str, repo: Path, color: str) -> Reporter:
    if fmt == "json":
        return JsonReporter()
    if fmt == "github":
        return GithubReporter()
    if color == "auto" and os.environ.get("NO_COLOR"):
        color = "never"
    return TextReporter(repo, color=color)


def run_check(
    repo: Path, fmt: str, strict: bool, base: str | None, online: bool, color: str
) -> int:
    """`matrixpipe check`: run every stage, report, and say whether the collection passes."""
    from matrixpipe.check.run import check

    result = check(repo, base=base, online=online)
    reporter_for(fmt, repo, color).report(result.report)
    return int(result.report.exit_code(strict))


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


def run_rules(docs_out: Path | None) -> int:
    """`matrixpipe rules`: print the registry, or write its docs page."""
    from matrixpipe.commands.rules import rules_markdown
    from matrixpipe.fsutil import write_atomic
    from matrixpipe.rules import RULES

    if docs_out is not None:
        write_atomic(docs_out, rules_markdown())
        print(f"wrote {docs_out}")
        return int(ExitCode.OK)
    for rule in RULES.values():
        print(f"{rule.code}  {rule.name:<26} {rule.level.label:<8} {rule.summary}")
    return int(ExitCode.OK)


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
