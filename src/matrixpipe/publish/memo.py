"""The render's slowest pure results, kept between runs: a rebuild recomputes only what changed.

A study page's citation (citeproc-py, about a millisecond each) and each contributor fragment's
sanitised HTML depend only on their inputs, so they are memoised by those inputs and saved in
`render.marshal` in the collection's cache folder (`matrixpipe.check.cache`: outside the repository,
signed with this machine's key, so sanitised HTML is only ever taken from this machine and this
version). Only what a run used is saved, so the file follows the collection instead of growing
with its history.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from matrixpipe.check.cache import cache_dir, content_digest, read_cache_file, write_cache_file

V = TypeVar("V")
_FILE = "render.marshal"
Payload = dict[str, dict[str, Any]]


class Memo(Generic[V]):
    """key → value for one pure function; keys are digests of its inputs."""

    def __init__(self, name: str, valid: Callable[[Any], bool], limit: int = 500_000) -> None:
        self.name = name
        self.valid = valid
        """Whether a value read back from the cache has the shape this memo stores."""
        self.limit = limit
        # Modules import lazily: a memo made after the cache was loaded takes its share then.
        self.data: dict[str, V] = {}
        self.take(_UNCLAIMED.pop(name, {}))
        self.used: set[str] = set()
        MEMOS[name] = self

    @staticmethod
    def key(text: str) -> str:
        return content_digest(text.encode("utf-8"))

    def get(self, key: str) -> V | None:
        value = self.data.get(key)
        if value is not None:
            self.used.add(key)
        return value

    def take(self, values: dict[Any, Any], used: bool = False) -> None:
        """Take in values from the cache file or another process, each checked for shape."""
        good = {k: v for k, v in values.items() if isinstance(k, str) and self.valid(v)}
        self.data.update(good)
        if used:
            self.used.update(good)

    def put(self, key: str, value: V) -> None:
        if len(self.data) >= self.limit:
            self.data.clear()
            self.used.clear()
        self.data[key] = value
        self.used.add(key)


MEMOS: dict[str, Memo[Any]] = {}
_UNCLAIMED: Payload = {}
_LOADED: set[Path] = set()
"""The cache files read into the memos by this process (`load`)."""


def load(repo: Path) -> None:
    """Fill the memos from the repository's cache file, if it is there and of this version;
    once per process and collection (`serve` renders after every edit: its memos are the
    file's already, and reading it again would make them all anew)."""
    file = cache_dir(repo) / _FILE
    if file in _LOADED:
        return
    _LOADED.add(file)
    payload = read_cache_file(file)
    if isinstance(payload, dict):
        absorb(payload, used=False)


def used() -> Payload:
    """What this process used or computed, by memo (for the cache file, or for a forked
    child to hand its results back to the parent)."""
    return {
        name: {key: memo.data[key] for key in memo.used if key in memo.data}
        for name, memo in MEMOS.items()
    }


def absorb(payload: Payload, used: bool = True) -> None:
    """Take in another run's or another process's results."""
    for name, values in payload.items():
        if not isinstance(name, str) or not isinstance(values, dict):
            continue
        memo = MEMOS.get(name)
        if memo is None:
            _UNCLAIMED.setdefault(name, {}).update(values)
            continue
        memo.take(values, used)


def clear() -> None:
    """Forget everything (the memory is needed elsewhere; the cache file stays)."""
    _UNCLAIMED.clear()
    _LOADED.clear()
    for memo in MEMOS.values():
        memo.data.clear()
        memo.used.clear()


def save(repo: Path) -> None:
    """Write what this run used; a cache that cannot be written is skipped."""
    write_cache_file(cache_dir(repo) / _FILE, used())
