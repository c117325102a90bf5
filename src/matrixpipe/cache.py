"""Each entry's findings and facts, cached by content hash, so a warm check parses only what changed.

The cache lives in `.matrixpipe-cache/` (ignored by Git, safe to delete at any time). It is keyed
by a digest of matrixpipe's own source, so a new version never reads an old cache. `marshal` keeps
loading fast: the payload is plain tuples and strings, never objects.
"""

from __future__ import annotations

import hashlib
import marshal
from functools import cache
from pathlib import Path
from typing import Any

from matrixpipe.diagnostics import Diagnostic, Severity
from matrixpipe.facts import Facts
from matrixpipe.fsutil import write_bytes_atomic

CACHE_DIR = ".matrixpipe-cache"
_FILE = "entries.marshal"
Payload = tuple[list[Diagnostic], Facts | None]


@cache
def salt() -> str:
    """A digest of matrixpipe's own source: results of another version are never reused."""
    package = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(package.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def content_digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def read_cache_file(file: Path) -> Any | None:
    """The payload of a cache file this version of matrixpipe wrote; None if it is missing,
    damaged or from another version."""
    try:
        version, payload = marshal.loads(file.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return payload if version == salt() else None


def write_cache_file(file: Path, payload: Any) -> None:
    """Write a cache file atomically, stamped with this version; one that cannot be written is
    skipped (a cache is never needed)."""
    try:
        write_bytes_atomic(file, marshal.dumps((salt(), payload)))
        ignore = file.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")
    except OSError:
        pass


class EntryCache:
    """path → (content digest, payload); entries not seen in a run are dropped when it saves."""

    def __init__(self, repo: Path | None) -> None:
        self.file = repo / CACHE_DIR / _FILE if repo is not None else None
        self.old: dict[str, tuple[str, Any]] = {}
        self.new: dict[str, tuple[str, Any]] = {}
        self.dirty = False
        entries = read_cache_file(self.file) if self.file is not None else None
        if isinstance(entries, dict):
            self.old = entries

    def get(self, path: str, digest: str) -> Payload | None:
        hit = self.old.get(path)
        if hit is None or hit[0] != digest:
            return None
        self.new[path] = hit
        diagnostics, facts = hit[1]
        return [_diagnostic(d) for d in diagnostics], _facts(facts) if facts else None

    def put(self, path: str, digest: str, payload: Payload) -> None:
        diagnostics, facts = payload
        self.new[path] = (digest, ([_plain(d) for d in diagnostics], _plain_facts(facts)))
        self.dirty = True

    def save(self) -> None:
        """Write the cache if anything changed; a cache that cannot be written is skipped."""
        if self.file is None or (not self.dirty and len(self.new) == len(self.old)):
            return
        write_cache_file(self.file, self.new)


def _plain(d: Diagnostic) -> tuple[Any, ...]:
    return (d.path, d.line, d.column, d.code, d.message, d.hint, int(d.severity), d.name, d.target)


def _diagnostic(t: tuple[Any, ...]) -> Diagnostic:
    path, line, column, code, message, hint, severity, name, target = t
    return Diagnostic(
        path, line, column, code, message, hint, Severity(severity), name, target=target
    )


def _plain_facts(facts: Facts | None) -> tuple[Any, ...] | None:
    if facts is None:
        return None
    return (*facts[:-1], tuple(_plain(d) for d in facts.local))


def _facts(t: tuple[Any, ...]) -> Facts:
    return Facts(*t[:-1], tuple(_diagnostic(d) for d in t[-1]))
