"""One job run in a forked child process while the parent does other work, so both cores help.

Fork shares the parent's memory copy-on-write: the child needs no pickled copy of the collection,
and the parent may drop its own references once the child is started. Where fork is unavailable
(Windows), the job runs in the parent when its result is asked for.
"""

from __future__ import annotations

import multiprocessing
import signal
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Generic, TypeVar

from matrixpipe.errors import MatrixpipeError

T = TypeVar("T")


class ForkedError(MatrixpipeError):
    """The forked job failed; the message carries its traceback."""


class Forked(Generic[T]):
    """`with Forked(job) as f: …; f.result()`: the job runs while the `with` body does."""

    def __init__(self, job: Callable[[], T]) -> None:
        self._job: Callable[[], T] | None = job
        self._process: multiprocessing.process.BaseProcess | None = None
        self._reader: Connection | None = None

    def __enter__(self) -> Forked[T]:
        if "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            self._reader, writer = context.Pipe(duplex=False)
            self._process = context.Process(target=_child, args=(self._job, writer), daemon=True)
            self._process.start()  # the parent's Process forgets the job's arguments here
            writer.close()
            self._job = None
        return self

    def result(self) -> T:
        """Wait for the job; its return value, or ForkedError if it failed or died."""
        if self._process is None:
            assert self._job is not None
            job, self._job = self._job, None
            return job()
        assert self._reader is not None
        try:
            ok, value = self._reader.recv()
        except EOFError:
            self._process.join()
            code = self._process.exitcode
            raise ForkedError(f"the job ended without a result (exit {code})") from None
        finally:
            self._reader.close()
        self._process.join()
        if not ok:
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


def _child(job: Callable[[], object], writer: Connection) -> None:
    # Ctrl-C reaches the whole process group: the parent decides, and stops the child itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        writer.send((True, job()))
    except Exception:
        writer.send((False, traceback.format_exc()))
    finally:
        writer.close()
