"""Progress of the long commands: what stage they are at, shown on a terminal, logged in CI.

The stages call two things only: `stage(name, total)`, which returns a `Stage` (a context
manager, or ended by `finish()`), and its `advance(n)` (or `counted(items)`). How a stage
shows is chosen once per command (`shown`) and kept in a context variable, so the check and
publish code knows nothing of terminals:

- on a terminal (stderr is one): a rich display of the running stages with their counts,
  redrawn by a thread of its own, and erased when the last stage ends, on error or Ctrl-C too;
- elsewhere (CI logs, pipes): one plain line per stage as it ends, with its count and seconds;
- `--quiet`, and any code run outside a command (`serve`, the tests' calls): nothing.

Advancing only adds to a number; the terminal display reads it when it redraws (ten times a
second), so a loop over 10,000 files pays nothing for being counted. The redrawing thread stops
around every fork (`os.register_at_fork`): a forked child never inherits it half-way through
a write, and draws nothing itself (a display belongs to the process that made it).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from rich.console import Console

T = TypeVar("T")

REFRESH_SECONDS = 0.1


class Stage:
    """One stage of a command: its name, how many of its `total` are `done` (counts, when it
    has any) and when it started. Shown from creation until `finish()` (or the end of its
    `with` block)."""

    __slots__ = ("_display", "_open", "done", "name", "started", "total")

    def __init__(self, display: Display, name: str, total: int | None = None) -> None:
        self._display = display
        self._open = True
        self.name = name
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        display.begin(self)

    def advance(self, n: int = 1) -> None:
        self.done += n

    def counted(self, items: Iterable[T]) -> Iterator[T]:
        """`items`, each counted as it is taken."""
        for item in items:
            self.done += 1
            yield item

    def finish(self, failed: bool = False) -> None:
        """End the stage (again: nothing)."""
        if self._open:
            self._open = False
            self._display.end(self, failed)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def __enter__(self) -> Stage:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.finish(failed=kind is not None)


class Display:
    """Shows nothing (`--quiet`, or outside a command)."""

    def begin(self, stage: Stage) -> None:
        pass

    def end(self, stage: Stage, failed: bool) -> None:
        pass

    def close(self) -> None:
        """Erase what is shown; after an error, stages never finished are ended here."""


SILENT = Display()
_current: ContextVar[Display] = ContextVar("matrixpipe_progress", default=SILENT)


def stage(name: str, total: int | None = None) -> Stage:
    """Start a stage of the running command (`with stage(...) as s: ... s.advance()`)."""
    return Stage(_current.get(), name, total)


def checking(repo: Path) -> Stage:
    """The check's stage, named with how many files it reads (counted only when shown)."""
    if _current.get() is SILENT:
        return stage("Checking the entries")
    from matrixpipe.check.load import discover

    return stage(f"Checking {count(len(discover(repo)), 'file')}")


def count(n: int, one: str, many: str | None = None) -> str:
    """'1 file', '10,000 files'."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def _counts(stage: Stage) -> str:
    if stage.total is not None:
        return f"{stage.done:,}/{stage.total:,}"
    return f"{stage.done:,}" if stage.done else ""


class Lines(Display):
    """One plain line per stage as it ends, on `stream`: its name, count and seconds."""

    def __init__(self, stream: IO[str], color: str = "auto") -> None:
        self.console = _console(stream, color)
        self.pid = os.getpid()
        self.open: list[Stage] = []

    def begin(self, stage: Stage) -> None:
        self.open.append(stage)

    def end(self, stage: Stage, failed: bool) -> None:
        if stage in self.open:
            self.open.remove(stage)
        if os.getpid() != self.pid:
            return
        from rich.text import Text

        counts = _counts(stage)
        how = f"stopped after {stage.seconds:.1f} s" if failed else f"{stage.seconds:.1f} s"
        line = Text(stage.name)
        line.append(f" ({counts}, {how})" if counts else f" ({how})", style="dim")
        self.console.print(line)

    def close(self) -> None:
        for left in list(self.open)[::-1]:
            left.finish(failed=True)


class Terminal(Display):
    """A rich display of the running stages on a terminal, erased when the last one ends.
    It first shows a tenth of a second after a stage starts: a shorter one never flickers."""

    def __init__(self, stream: IO[str], color: str = "auto") -> None:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.tasks: dict[Stage, int] = {}
        self.ticker: _Ticker | None = None
        self.showing = False
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[counts]}", markup=False),
            TimeElapsedColumn(),
            console=_console(stream, color),
            auto_refresh=False,  # the ticker redraws, and stops around forks
            transient=True,
            redirect_stdout=False,  # printing between stages goes where it always went
            redirect_stderr=False,
        )

    def begin(self, stage: Stage) -> None:
        if os.getpid() != self.pid:
            return
        with self.lock:
            task = self.progress.add_task(stage.name, total=stage.total, counts="")
            self.tasks[stage] = task
            _live.add(self)
        self._resume()

    def end(self, stage: Stage, failed: bool) -> None:
        if os.getpid() != self.pid:
            return
        with self.lock:
            task = self.tasks.pop(stage, None)
            if task is not None:
                self.progress.remove_task(task)  # type: ignore[arg-type]
            last = not self.tasks
        if last:
            self._stop()

    def close(self) -> None:
        if os.getpid() != self.pid:
            return
        with self.lock:
            self.tasks.clear()
        self._stop()

    def _stop(self) -> None:
        self._pause()
        with self.lock:
            if not self.tasks:
                _live.discard(self)
                if self.showing:
                    self.showing = False
                    self.progress.stop()  # transient: erases the display, shows the cursor

    def tick(self) -> None:
        """Copy each stage's counts to its task and redraw; the first time, start showing."""
        with self.lock:
            if not self.tasks:
                return
            for stage, task in self.tasks.items():
                self.progress.update(
                    task,  # type: ignore[arg-type]
                    completed=stage.done,
                    total=stage.total,
                    counts=_counts(stage),
                )
            if self.showing:
                self.progress.refresh()
            else:
                self.showing = True
                self.progress.start()  # hides the cursor, and draws

    def _pause(self) -> None:
        """Stop the redrawing thread (and wait for it): before a fork, or at the end."""
        ticker, self.ticker = self.ticker, None
        if ticker is not None:
            ticker.stopping.set()
            if ticker is not threading.current_thread():
                ticker.join()

    def _resume(self) -> None:
        if self.ticker is None and self.tasks and os.getpid() == self.pid:
            self.ticker = _Ticker(self)
            self.ticker.start()


class _Ticker(threading.Thread):
    def __init__(self, display: Terminal) -> None:
        super().__init__(name="matrixpipe-progress", daemon=True)
        self.display = display
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(REFRESH_SECONDS):
            self.display.tick()


_live: set[Terminal] = set()
"""The terminal displays showing now (one at most, in practice)."""


def _before_fork() -> None:
    for display in list(_live):
        display._pause()


def _after_fork_in_parent() -> None:
    for display in list(_live):
        display._resume()


def _after_fork_in_child() -> None:
    _live.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )


def _console(stream: IO[str], color: str) -> Console:
    from rich.console import Console

    return Console(
        file=stream,
        force_terminal={"always": True, "never": False}.get(color),
        # rich reads NO_COLOR itself; an explicit --color always must win over it.
        no_color={"always": False, "never": True}.get(color),
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )


def display_for(quiet: bool, color: str = "auto", stream: IO[str] | None = None) -> Display:
    """Nothing with `quiet`; a live display if `stream` (stderr) is a terminal that can
    move its cursor; plain lines otherwise."""
    stream = stream if stream is not None else sys.stderr
    if quiet:
        return SILENT
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):
        terminal = False
    if terminal and os.environ.get("TERM", "") != "dumb":
        return Terminal(stream, color)
    return Lines(stream, color)


@contextmanager
def shown(quiet: bool, color: str = "auto", stream: IO[str] | None = None) -> Iterator[Display]:
    """Within the block, the command's stages show as `display_for` chooses. A terminal's
    display is erased however the block ends: SIGTERM unwinds like Ctrl-C meanwhile."""
    from matrixpipe.interrupt import terminate_as_exit

    display = display_for(quiet, color, stream)
    token = _current.set(display)
    try:
        with terminate_as_exit() if isinstance(display, Terminal) else nullcontext():
            yield display
    finally:
        try:
            display.close()
        finally:
            _current.reset(token)
