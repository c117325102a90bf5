"""Judge a change against a base ref: what it touched, and what it broke (link integrity).

A finding is "already there" only if the base itself had it: the base's tree is checked too
(once, from history), and a finding of the change that the base did not have fails the run,
wherever it sits; a status flipped to draft in one file can break a link in an untouched one.
A reference to an entry the change deleted or renamed fails wherever it sits, because the change
is what broke it: that is Plone's "link integrity".
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import git

from matrixpipe.check.load import entry_ref
from matrixpipe.diagnostics import Diagnostic
from matrixpipe.errors import RepoError
from matrixpipe.git.history import _prefix, name_status, open_repo, require_full_history
from matrixpipe.rules import RULES, finding


@dataclass
class Change:
    """What a change did to `entries/` since the merge base with the base ref."""

    base: str
    changed: set[str] = field(default_factory=set)
    """Current paths added, modified or renamed (including uncommitted and untracked files)."""
    deleted: dict[str, str] = field(default_factory=dict)
    """`kind:id` of each entry that is gone → the path it had."""
    renamed: dict[str, str] = field(default_factory=dict)
    """`kind:old-id` → the new id, for entries renamed by the change."""
    unpublished: dict[str, str] = field(default_factory=dict)
    """`study:<id>` → the path of each study that was published at the base and that the
    change deleted outright (its URL would answer 404)."""
    old_paths: dict[str, str] = field(default_factory=dict)
    """Current path → the path it had at the base, for files the change moved."""
    before: set[tuple[str, str, str]] = field(default_factory=set)
    """The base's own findings, as (path, code, message)."""


def read_change(repo: Path, ref: str, findings: bool = False) -> Change:
    """Compare the working tree with the merge base of `ref` and HEAD, following renames; with
    `findings`, also check the base's tree for what was already wrong there."""
    repository = open_repo(repo)
    if repository is None:
        raise RepoError(f"{repo}: --base needs a Git repository")
    require_full_history(repository)
    try:
        base = repository.git.merge_base(ref, "HEAD").strip()
    except git.GitCommandError:
        raise RepoError(
            f"cannot find the base '{ref}' in this repository; fetch it first "
            "(in GitHub Actions: actions/checkout with `fetch-depth: 0`)"
        ) from None
    prefix = _prefix(repository, repo)
    scope = f"{prefix}entries"
    diff = repository.git.diff("-z", "-M", "--name-status", base, "--", scope)
    change = Change(base)
    for status, old, new in name_status(diff):
        _record(change, status, old[len(prefix) :], new[len(prefix) :])
    untracked = repository.git.ls_files("-z", "--others", "--exclude-standard", "--", scope)
    change.changed.update(p[len(prefix) :] for p in untracked.split("\0") if p)
    if findings:
        change.before = base_findings(repository, base, prefix)
        change.unpublished = _published_at(repository, base, prefix, change.deleted)
    return change


def _published_at(
    repository: git.Repo, base: str, prefix: str, deleted: dict[str, str]
) -> dict[str, str]:
    """Of the studies the change deleted, those that were published at the base."""
    from matrixpipe.check import yamlload

    out = {}
    for ref, path in deleted.items():
        if not ref.startswith("study:"):
            continue
        try:
            text = repository.git.show(f"{base}:{prefix}{path}")
            data = yamlload.to_data(yamlload.compose(text))
        except (git.GitCommandError, yamlload.YamlError):
            continue
        if isinstance(data, dict) and data.get("status") == "published":
            out[ref] = path
    return out


def base_findings(repository: git.Repo, base: str, prefix: str) -> set[tuple[str, str, str]]:
    """The findings of the collection as it was at `base`, as (path, code, message)."""
    from matrixpipe.check.run import check

    with base_tree(repository, base, prefix) as root:
        if root is None:
            return set()
        found = check(root, use_cache=False).report.diagnostics
    return {(d.path, d.code, d.message) for d in found}


@contextmanager
def base_tree(repository: git.Repo, base: str, prefix: str) -> Iterator[Path | None]:
    """The collection as it was at `base` (its entries and matrixpipe.yml, read from history
    into a temporary folder, removed afterwards); None if it had no entries yet."""
    wanted = [
        f"{prefix}{name}"
        for name in ("entries", "matrixpipe.yml")
        if _exists(repository, f"{base}:{prefix}{name}")
    ]
    if f"{prefix}entries" not in wanted:
        yield None
        return
    archive = subprocess.run(
        ["git", "archive", "--format=tar", base, "--", *wanted],
        cwd=repository.working_tree_dir,
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise RepoError(f"cannot read the base {base[:12]}: {archive.stderr.decode()[:200]}")
    with tempfile.TemporaryDirectory(prefix="matrixpipe-base-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp) / prefix


def _exists(repository: git.Repo, spec: str) -> bool:
    try:
        repository.git.cat_file("-e", spec)
    except git.GitCommandError:
        return False
    return True


def _record(change: Change, status: str, old: str, new: str) -> None:
    if status == "D":
        ref = entry_ref(old)
        if ref:
            change.deleted[f"{ref[0]}:{ref[1]}"] = old
        return
    change.changed.add(new)
    if old != new:
        change.old_paths[new] = old
    if status == "R":
        old_ref, new_ref = entry_ref(old), entry_ref(new)
        if old_ref and new_ref and old_ref != new_ref:
            change.renamed[f"{old_ref[0]}:{old_ref[1]}"] = new_ref[1]


def judge(diagnostics: list[Diagnostic], change: Change) -> list[Diagnostic]:
    """Mark the findings the base had too as baseline, and turn references to deleted or renamed
    entries into link-integrity errors."""
    out = []
    for d in diagnostics:
        if d.target in change.renamed:
            new = change.renamed[d.target]
            kind, old = d.target.split(":", 1)
            d = _integrity(
                d,
                "MP502",
                f"{kind} '{old}' was renamed to '{new}' by this change, "
                "but is still referenced here",
                f"point the link at '{new}'",
            )
        elif d.target in change.deleted:
            kind, old = d.target.split(":", 1)
            d = _integrity(
                d,
                "MP501",
                f"{kind} '{old}' was deleted by this change "
                f"({change.deleted[d.target]}), but is still referenced here",
                "remove or retarget this reference, or keep the entry",
            )
        elif (change.old_paths.get(d.path, d.path), d.code, d.message) in change.before:
            d = replace(d, baseline=True)
        out.append(d)
    for ref, path in sorted(change.unpublished.items()):
        out.append(
            finding(
                "MP504",
                path,
                None,
                None,
                f"published study '{ref.partition(':')[2]}' was deleted by this change: its page "
                "and its links from elsewhere would answer 404",
                "keep the file with `status: withdrawn` and a `withdrawn_reason` (its page "
                "stays, as a notice), or rename it (the old address redirects)",
            )
        )
    return out


def _integrity(d: Diagnostic, code: str, message: str, hint: str) -> Diagnostic:
    rule = RULES[code]
    return replace(d, code=code, name=rule.name, severity=rule.level, message=message, hint=hint)
