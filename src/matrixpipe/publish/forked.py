"""One job run in a forked child process while the parent does other work, so both cores help.

Fork shares the parent's memory copy-on-write: the child needs no pickled copy of the collection,
and the parent may drop its own references once the child is started. The job may report
progress as it goes (`Forked(job, reports=True)` calls `job(report)`), so the parent can use
each part of the work as soon as it is done. Where fork is unavailable (Windows), the job runs
in the parent when its reports or its result are first asked for.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

from matrixpipe.errors import MatrixpipeError

_REPORT, _DONE, _FAILED, _RAISED = "report", "done", "failed", "raised"


class ForkedError(MatrixpipeError):
    """The forked job failed unexpectedly; the message carries its traceback. A MatrixpipeError
    of the job (a user's problem, with its own message) is raised again as itself."""


class Forked:
    """`with Forked(job) as f: …; f.result()`: the job runs while the `with` body does."""

    def __init__(self, job: Callable[..., Any], reports: bool = False) -> None:
        self._job: Callable[..., Any] | None = job
        self._reports = reports
        self._process: multiprocessing.process.BaseProcess | None = None
        self._reader: Connection | None = None
        self._inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._end: tuple[str, Any] | None = None
        self._stream: Iterator[Any] | None = None

    def __enter__(self) -> Forked:
        if "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            self._reader, writer = context.Pipe(duplex=False)
            self._process = context.Process(
                target=_child, args=(self._job, self._reports, writer), daemon=True
            )
            self._process.start()  # the parent's Process forgets the job's arguments here
            writer.close()
            self._job = None
            threading.Thread(target=self._receive, daemon=True).start()
        return self

    def _receive(self) -> None:
        """Take every message off the pipe as it comes: a child that is done sends its result
        and exits at once, its memory freed, even if the parent asks for it much later (a
        result bigger than the pipe's buffer would otherwise hold the child until then)."""
        assert self._reader is not None and self._process is not None
        while True:
            try:
                kind, value = self._reader.recv()
            except EOFError:
                self._process.join()
                kind = _FAILED
                value = f"the job ended without a result (exit {self._process.exitcode})"
            self._inbox.put((kind, value))
            if kind != _REPORT:
                self._reader.close()
                return

    def reports(self) -> Iterator[Any]:
        """Each value the job reports, as it comes; ends when the job has ended. Calls share
        one stream: a report is seen once."""
        if self._stream is None:
            self._stream = self._messages()
        return self._stream

    def _messages(self) -> Iterator[Any]:
        if self._process is None:
            yield from self._run_here()
            return
        while self._end is None:
            kind, value = self._inbox.get()
            if kind == _REPORT:
                yield value
            else:
                self._end = (kind, value)
                self._process.join()

    def _run_here(self) -> Iterator[Any]:
        job, self._job = self._job, None
        assert job is not None
        reported: list[Any] = []
        try:
            value = job(reported.append) if self._reports else job()
            self._end = (_DONE, value)
        except MatrixpipeError as exc:
            self._end = (_RAISED, exc)
        except Exception:
            self._end = (_FAILED, traceback.format_exc())
        yield from reported

    def result(self) -> Any:
        """Wait for the job (passing over any reports not yet read); its return value, or
        ForkedError if it failed or died."""
        for _ in self.reports():
            pass
        assert self._end is not None
        kind, value = self._end
        if kind == _RAISED:
            raise value
        if kind != _DONE:
            raise ForkedError(value)
        return value

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Stop a job still running (the parent failed or was interrupted): nothing outlives it."""
        process = self._process
        if process is not None and process.is_alive():
            process.terminate()
            process.join()


def _child(job: Callable[..., Any], reports: bool, writer: Connection) -> None:
    # Ctrl-C reaches the whole process group: the parent decides, and stops the child itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        value = job(lambda report: writer.send((_REPORT, report))) if reports else job()
        writer.send((_DONE, value))
    except MatrixpipeError as exc:
        writer.send((_RAISED, exc))
    except Exception:
        writer.send((_FAILED, traceback.format_exc()))
    finally:
        writer.close()
