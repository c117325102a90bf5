"""`matrixpipe check`: every stage, reported; the exit code says whether the collection passes.

Each module of `commands/` is one CLI command, as a function that returns an exit code (the
tests call them too); `cli.py` only parses arguments."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from matrixpipe.report import ChangedLines, reporter

_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)


def run_check(
    repo: Path, fmt: str, strict: bool, base: str | None, online: bool, color: str
) -> int:
    """`matrixpipe check`: run every stage, report, and say whether the collection passes."""
    from matrixpipe.check.run import check

    result = check(repo, base=base, online=online)
    changed = changed_lines(repo, base) if base is not None and fmt == "github" else None
    reporter(fmt, repo, color, changed=changed).report(result.report)
    return int(result.report.exit_code(strict))


def changed_lines(repo: Path, ref: str) -> ChangedLines:
    """The lines of the collection's files that the change since `ref` added or changed: one
    `git diff --unified=0` from the merge base of `ref` and HEAD to the working tree (the change
    `git.change.read_change` judges: commits, uncommitted edits, renames followed), plus every
    line of each untracked file. Paths are relative to `repo`, as the findings' are."""
    from matrixpipe.git.history import _prefix, open_repo

    repository = open_repo(repo)
    if repository is None:  # the check with --base has already said so
        return {}
    prefix = _prefix(repository, repo)
    scope = [f"{prefix}entries", f"{prefix}matrixpipe.yml"]
    base = repository.git.merge_base(ref, "HEAD").strip()
    found: ChangedLines = {}
    for diff in repository.commit(base).diff(
        None, paths=scope, create_patch=True, unified=0, no_textconv=True
    ):
        if diff.b_path is None or not diff.b_path.startswith(prefix):
            continue  # deleted: no line of it is left to annotate
        patch = diff.diff if isinstance(diff.diff, bytes) else str(diff.diff).encode()
        ranges = []
        for m in _HUNK.finditer(patch):
            first, count = int(m[1]), int(m[2] if m[2] is not None else 1)
            if count:  # `+n,0`: lines were only removed here
                ranges.append((first, first + count - 1))
        if ranges:
            found[diff.b_path[len(prefix) :]] = sorted(ranges)
    untracked = repository.git.ls_files("-z", "--others", "--exclude-standard", "--", *scope)
    for path in filter(None, untracked.split("\0")):
        found[path[len(prefix) :]] = [(1, sys.maxsize)]
    return found
