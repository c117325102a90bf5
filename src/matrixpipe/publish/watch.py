"""A small polling watcher for `matrixpipe serve`: re-render when an entry or page changes.

Polling (stat only, once a second) needs no extra dependency and sees every kind of change the
same way on every platform; MkDocs' own watcher then sees the re-rendered docs and reloads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

Snapshot = dict[str, tuple[int, int]]


def snapshot(paths: list[Path]) -> Snapshot:
    """(modification time, size) of every file under `paths`."""
    found: Snapshot = {}
    for root in paths:
        files = [root] if root.is_file() else (root.rglob("*") if root.is_dir() else [])
        for path in files:
            try:
                stat = path.stat()
            except OSError:  # removed while we looked
                continue
            if path.is_file():
                found[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return found


class Watcher:
    """Calls `on_change` from a background thread whenever a file under `paths` changes."""

    def __init__(
        self, paths: list[Path], on_change: Callable[[], Any], interval: float = 1.0
    ) -> None:
        self.paths = paths
        self.on_change = on_change
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="matrixpipe-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        last = snapshot(self.paths)
        while not self._stop.wait(self.interval):
            now = snapshot(self.paths)
            if now != last:
                last = now
                try:
                    self.on_change()
                except Exception as exc:  # keep serving; the next save may fix it
                    print(f"matrixpipe: re-render failed: {exc}")
