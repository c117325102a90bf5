"""Facts from Git history: when each entry was added and last changed, and which ids were renamed.

One `git log` walk over the whole history serves every entry (never one call per file); paths are
read NUL-separated (`-z`), so no file name can be cut short or hide from the walk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import git

from matrixpipe.check.load import entry_ref
from matrixpipe.errors import RepoError

_RECORD, _FIELD = "\x1e", "\x1f"


@dataclass(frozen=True)
class EntryDates:
    """When an entry first appeared (following renames) and when it last changed."""

    added: datetime
    updated: datetime


@dataclass(frozen=True)
class Redirect:
    """An id that was renamed: old URLs of `old` should land on `new`."""

    kind: str
    old: str
    new: str


@dataclass
class History:
    """Dates per current path, and redirects from every renamed id to its current one."""

    dates: dict[str, EntryDates] = field(default_factory=dict)
    redirects: list[Redirect] = field(default_factory=list)
    repo: Path | None = None
    """The collection whose history this is, when it has one: the editions (`git.editions`)
    read more from the same repository."""


def open_repo(repo: Path) -> git.Repo | None:
    """The Git repository whose top level is `repo`'s, or None if `repo` is not in one."""
    try:
        return git.Repo(repo, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def require_full_history(repository: git.Repo) -> None:
    """Stop with a clear message in a shallow clone: dates and renames need the whole history."""
    if repository.git.rev_parse("--is-shallow-repository").strip() == "true":
        raise RepoError(
            "this is a shallow clone, but matrixpipe needs the whole Git history; "
            "fetch it with `git fetch --unshallow` (in GitHub Actions: actions/checkout with "
            "`fetch-depth: 0`)"
        )


def read_history(repo: Path) -> History:
    """Walk the history of `entries/` once; an empty History if `repo` is not a Git repository."""
    repository = open_repo(repo)
    if repository is None or not repository.head.is_valid():
        return History()
    require_full_history(repository)
    prefix = _prefix(repository, repo)
    log = repository.git.log(
        "-z", "-M", "--name-status", f"--format={_RECORD}%H{_FIELD}%ct", "--", f"{prefix}entries"
    )
    history = _walk(log, prefix, existing={p for p in _tracked(repository, prefix)})
    history.repo = repo
    return history


def _prefix(repository: git.Repo, repo: Path) -> str:
    top = Path(repository.working_tree_dir or repo).resolve()
    rel = repo.resolve().relative_to(top).as_posix()
    return "" if rel == "." else rel + "/"


def _tracked(repository: git.Repo, prefix: str) -> list[str]:
    out = repository.git.ls_files("-z", "--", f"{prefix}entries")
    return [p for p in out.split("\0") if p]


def name_status(output: str) -> Iterator[tuple[str, str, str]]:
    """(status letter, old path, new path) from `--name-status -z` output (renames: R, old, new)."""
    tokens = output.split("\0")
    i = 0
    while i < len(tokens) and tokens[i]:
        status = tokens[i]
        if status[0] in "RC":
            yield status[0], tokens[i + 1], tokens[i + 2]
            i += 3
        else:
            yield status[0], tokens[i + 1], tokens[i + 1]
            i += 2


def _walk(log: str, prefix: str, existing: set[str]) -> History:
    """Newest commit first: follow each current path back through its renames."""
    current: dict[str, str] = {}  # a path as it was then → the path it has now
    added: dict[str, datetime] = {}
    updated: dict[str, datetime] = {}
    renames: list[tuple[str, str]] = []
    for record in log.split(_RECORD)[1:]:
        header, _, body = record.partition("\0")
        when = datetime.fromtimestamp(int(header.split(_FIELD)[1]), tz=UTC)
        for status, old, new in name_status(body.lstrip("\n")):
            now = current.get(new, new)
            if status == "D":
                continue
            updated.setdefault(now, when)
            added[now] = when
            if status == "R":
                current[old] = now
                renames.append((old, now))
    dates = {
        path[len(prefix) :]: EntryDates(added[path], updated[path])
        for path in updated
        if path in existing
    }
    return History(dates, _redirects(renames, prefix, existing))


def _redirects(renames: list[tuple[str, str]], prefix: str, existing: set[str]) -> list[Redirect]:
    found: dict[tuple[str, str], Redirect] = {}
    for old, new in renames:
        if new not in existing or old in existing:
            continue
        old_ref, new_ref = entry_ref(old[len(prefix) :]), entry_ref(new[len(prefix) :])
        if old_ref and new_ref and old_ref[0] == new_ref[0] and old_ref[1] != new_ref[1]:
            found[(old_ref[0], old_ref[1])] = Redirect(old_ref[0], old_ref[1], new_ref[1])
    return sorted(found.values(), key=lambda r: (r.kind, r.old))
