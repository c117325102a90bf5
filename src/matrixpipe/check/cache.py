"""Each entry's findings and facts, cached by content hash, so a warm check parses only what changed.

Caches are never trusted input. They live outside the repository, in the user's cache directory
(`$MATRIXPIPE_CACHE_DIR`, else `$XDG_CACHE_HOME/matrixpipe`, else `~/.cache/matrixpipe`), one
folder per collection, so no pull request can commit one. Every file is signed with a key that
is made on this machine and never leaves it (`<cache root>/key`), over matrixpipe's own source
digest: a file written elsewhere, by another version or altered on disk is ignored, unread. No
symbolic link is followed. `marshal` keeps loading fast: payloads are plain tuples and strings.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import marshal
import os
import secrets
import stat
import time
from functools import cache
from pathlib import Path
from typing import Any

from matrixpipe.check.facts import Facts
from matrixpipe.diagnostics import Diagnostic, Severity
from matrixpipe.fsutil import write_bytes_atomic

LEGACY_DIR = ".matrixpipe-cache"
"""Where versions before 0.2 kept caches inside the collection; never read now, and a file of it
tracked by Git is a finding (MP503)."""
_FILE = "entries.marshal"
_MAGIC = b"MPC1"
_KEEP_DAYS = 30
Payload = tuple[list[Diagnostic], Facts | None]
Known = tuple[list[Diagnostic], bool]
"""What the entry cache knows of a file: its findings, and whether it has facts (a valid entry):
the facts themselves are decoded only when the judge runs (`EntryCache.facts`)."""


@cache
def salt() -> str:
    """A digest of matrixpipe's own source: results of another version are never reused."""
    package = Path(__file__).resolve().parent.parent  # the whole matrixpipe package
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(package.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def content_digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def cache_root() -> Path:
    """The user's matrixpipe cache folder (made on first write)."""
    configured = os.environ.get("MATRIXPIPE_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "matrixpipe"


def cache_dir(repo: Path) -> Path:
    """The cache folder of one collection, named by a digest of its absolute path."""
    name = hashlib.blake2b(str(repo.resolve()).encode(), digest_size=8).hexdigest()
    return cache_root() / name


def _real_dir(path: Path) -> bool:
    """A folder that is no symbolic link (a link could point anywhere)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _make_dir(path: Path) -> bool:
    """Make a private folder; False if it or its parent is not a plain folder."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return False
    return _real_dir(path) and _real_dir(path.parent)


def _read_nofollow(path: Path, limit: int = 1 << 30) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        data = handle.read(limit + 1)
    return data if len(data) <= limit else None


@cache
def _key() -> bytes | None:
    """This machine's signing key, made once (32 random bytes, readable by the user only)."""
    root = cache_root()
    if not _make_dir(root):
        return None
    path = root / "key"
    key = _read_nofollow(path, 64)
    if key is not None and len(key) == 32:
        return key
    # Written under a private name and linked into place, so two processes racing to make it
    # agree on the first one.
    tmp = root / f".key.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
        )
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    except OSError:
        return None
    finally:
        tmp.unlink(missing_ok=True)
    key = _read_nofollow(path, 64)
    return key if key is not None and len(key) == 32 else None


def _signature(key: bytes, name: str, body: bytes) -> bytes:
    return hmac.new(key, f"{salt()}\0{name}\0".encode() + body, hashlib.sha256).digest()


def read_cache_file(file: Path) -> Any | None:
    """The payload of a cache file that this machine's matrixpipe of this version wrote; None if
    it is missing, damaged, foreign, from another version, or reached through a symbolic link."""
    key = _key()
    if key is None or not _real_dir(file.parent):
        return None
    data = _read_nofollow(file)
    if data is None or not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + 32:
        return None
    mac, body = data[len(_MAGIC) : len(_MAGIC) + 32], data[len(_MAGIC) + 32 :]
    if not hmac.compare_digest(mac, _signature(key, file.name, body)):
        return None
    try:
        return marshal.loads(body)
    except (ValueError, EOFError, TypeError, MemoryError, RecursionError):
        return None


def write_cache_file(file: Path, payload: Any) -> None:
    """Write a signed cache file atomically; one that cannot be written is skipped (a cache is
    never needed)."""
    key = _key()
    if key is None:
        return
    fresh = not file.parent.exists()
    if not _make_dir(file.parent):
        return
    body = marshal.dumps(payload)
    try:
        write_bytes_atomic(file, _MAGIC + _signature(key, file.name, body) + body)
    except (OSError, ValueError):
        return
    if fresh:
        _forget_old(file.parent.parent)


def _forget_old(root: Path) -> None:
    """Remove the caches of collections not used for a month (moved or deleted folders)."""
    cutoff = time.time() - _KEEP_DAYS * 86400
    try:
        folders = [p for p in root.iterdir() if _real_dir(p)]
    except OSError:
        return
    for folder in folders:
        try:
            if max((p.stat().st_mtime for p in folder.iterdir()), default=0) < cutoff:
                for p in folder.iterdir():
                    p.unlink()
                folder.rmdir()
        except OSError:
            continue


class EntryCache:
    """path → (content digest, (findings, the facts marshalled), digest of the facts); entries
    not seen in a run are dropped when it saves. The facts' digest stays the same through an
    edit that changes no fact (a comment, a reflowed line): the judge's cache is keyed by all
    of them, and while it holds, no entry's facts are decoded at all."""

    def __init__(self, repo: Path | None) -> None:
        self.file = cache_dir(repo) / _FILE if repo is not None else None
        self.old: dict[str, tuple[str, Any]] = {}
        self.new: dict[str, tuple[str, Any]] = {}
        self.dirty = False
        entries = read_cache_file(self.file) if self.file is not None else None
        if isinstance(entries, dict):
            self.old = entries

    def get(self, path: str, digest: str) -> Known | None:
        hit = self.old.get(path)
        if not isinstance(hit, tuple) or len(hit) != 3 or hit[0] != digest:
            return None
        try:  # shape-checked even though signed: a miss costs a parse, a bad hit a wrong report
            diagnostics, facts = hit[1]
            if not isinstance(facts, bytes | None) or not isinstance(hit[2], str):
                raise TypeError(path)
            known = [diagnostic_of(d) for d in diagnostics], facts is not None
        except (TypeError, ValueError):
            return None
        self.new[path] = hit
        return known

    def facts(self, path: str) -> Facts | None:
        """The facts of an entry this run knows (`get` or `put`); None if they do not decode."""
        try:
            return _facts(marshal.loads(self.new[path][1][1]))
        except (KeyError, TypeError, ValueError, EOFError):
            return None

    def put(self, path: str, digest: str, payload: Payload) -> None:
        diagnostics, facts = payload
        plain = _plain_facts(facts)
        blob = marshal.dumps(plain) if plain is not None else None
        # repr, not the marshalled bytes: marshal's output depends on which strings are shared
        # or interned, so the same facts made in a worker and in this process would differ.
        facts_digest = content_digest(repr(plain).encode())
        self.new[path] = (digest, ([plain_diagnostic(d) for d in diagnostics], blob), facts_digest)
        self.dirty = True

    def facts_key(self, *more: object) -> str:
        """A digest of the facts of every entry seen in this run (and of `more`): the same
        key, the same facts for the judge."""
        digest = hashlib.blake2b(digest_size=16)
        for path in sorted(self.new):
            digest.update(f"{path}\0{self.new[path][2]}\n".encode())
        digest.update(repr(more).encode())
        return digest.hexdigest()

    def save(self) -> None:
        """Write the cache if anything changed; a cache that cannot be written is skipped."""
        if self.file is None or (not self.dirty and len(self.new) == len(self.old)):
            return
        write_cache_file(self.file, self.new)


def plain_diagnostic(d: Diagnostic) -> tuple[Any, ...]:
    """A finding as plain values, for a cache file (`diagnostic_of` makes it again)."""
    return (d.path, d.line, d.column, d.code, d.message, d.hint, int(d.severity), d.name, d.target)


def diagnostic_of(t: tuple[Any, ...]) -> Diagnostic:
    path, line, column, code, message, hint, severity, name, target = t
    return Diagnostic(
        path, line, column, code, message, hint, Severity(severity), name, target=target
    )


def _plain_facts(facts: Facts | None) -> tuple[Any, ...] | None:
    if facts is None:
        return None
    return (*facts[:-1], tuple(plain_diagnostic(d) for d in facts.local))


def _facts(t: tuple[Any, ...]) -> Facts:
    if not isinstance(t, tuple) or len(t) != len(Facts._fields):
        raise ValueError("not the facts of an entry")
    return Facts(*t[:-1], tuple(diagnostic_of(d) for d in t[-1]))


_STATS = "stats.marshal"
_RACY_NS = 2_000_000_000


class StatIndex:
    """path → (mtime, ctime, size, inode, content digest) of each entry file when its digest was
    taken: a file whose status is the same still has that content, as in Git's index, so a warm
    check reads and digests only the files that changed. The change time cannot be set by a
    user, and a file changed in the two seconds before a run is left out of the index (it may
    change again within one tick of the clock), so a stale digest is never trusted."""

    def __init__(self, repo: Path | None) -> None:
        self.file = cache_dir(repo) / _STATS if repo is not None else None
        loaded = read_cache_file(self.file) if self.file is not None else None
        self.old: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
        self.new: dict[str, tuple[int, int, int, int, str]] = {}
        self.since = time.time_ns() - _RACY_NS

    def digest(self, full: str, path: str) -> str | None:
        """The digest of the file at `full` if its status is the one indexed, else None."""
        old = self.old.get(path)
        if not isinstance(old, tuple) or len(old) != 5 or not isinstance(old[4], str):
            return None
        try:
            info = os.stat(full, follow_symlinks=False)
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode) or old[:4] != _status(info):
            return None
        self.new[path] = old
        return old[4]

    def record(self, full: str, path: str, digest: str) -> None:
        """Index a file just read, unless it changed too recently to be sure of."""
        if self.file is None:
            return
        try:
            info = os.stat(full, follow_symlinks=False)
        except OSError:
            return
        if stat.S_ISREG(info.st_mode) and max(info.st_mtime_ns, info.st_ctime_ns) < self.since:
            self.new[path] = (*_status(info), digest)

    def save(self) -> None:
        if self.file is not None and self.new != self.old:
            write_cache_file(self.file, self.new)


def _status(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino)


_DATA = "data.marshal"


class DataCache:
    """path → (content digest, the entry's parsed data): a build assembles the collection
    from it without parsing again the files the check's cache already knew (the models are
    validated from the data, which is cheap; the YAML parse is not)."""

    def __init__(self, repo: Path) -> None:
        self.file = cache_dir(repo) / _DATA
        loaded = read_cache_file(self.file)
        self.old: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
        self.new: dict[str, tuple[str, dict[str, Any]]] = {}

    def get(self, path: str, digest: str) -> dict[str, Any] | None:
        hit = self.old.get(path)
        if (
            isinstance(hit, tuple)
            and len(hit) == 2
            and hit[0] == digest
            and isinstance(hit[1], dict)
        ):
            return hit[1]
        return None

    def put(self, path: str, digest: str, data: dict[str, Any]) -> None:
        self.new[path] = (digest, data)

    def save(self) -> None:
        if self.new.keys() != self.old.keys() or any(
            self.old.get(k, (None,))[0] != v[0] for k, v in self.new.items()
        ):
            write_cache_file(self.file, self.new)
