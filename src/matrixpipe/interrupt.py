"""Interruptions that clean up: SIGTERM unwinds like Ctrl-C, and short critical steps finish first.

Python turns SIGINT into KeyboardInterrupt, so `finally` blocks run; SIGTERM (a cancelled CI job,
`kill`, a container stopping) ends the process on the spot and leaves temporary files and folders
behind. Inside `terminate_as_exit()` it raises SystemExit(143) instead. `signals_held()` makes a
step that must not be cut in two (swapping a site in, removing a temporary folder) finish before
either signal takes effect: the signal is noted and raised again when the step is done.

Signal handlers can only be set in the main thread; elsewhere both are no-ops.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def terminate_as_exit() -> Iterator[None]:
    """Within the block, SIGTERM raises SystemExit, so `finally` blocks and cleanups run."""
    if not _main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def signals_held() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM wait: the first one is raised again at its end."""
    if not _main_thread():
        yield
        return
    held: list[int] = []
    previous = {s: signal.signal(s, lambda signum, _: held.append(signum)) for s in _SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if held:
            signal.raise_signal(held[0])
