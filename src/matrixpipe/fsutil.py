"""Atomic writes: a file is either its old self or fully its new self, never half written."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_TEMPORARY = re.compile(r"^\..+\.mp(?P<pid>\d+)-[A-Za-z0-9_]+(?:\.tmp)?$")
"""The names of temporary files and folders: `.<name>.mp<pid>-<random>[.tmp]`, so that one whose
process has ended can be told and removed (`leftover`)."""


def temporary_prefix(name: str) -> str:
    """The start of a temporary file's or folder's name beside `name`, naming this process."""
    return f".{name}.mp{os.getpid()}-"


def write_atomic(path: Path, text: str) -> None:
    """Write `text` (UTF-8, LF line ends) atomically; see write_bytes_atomic."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it over `path`.

    The rename is atomic, so an interrupted run (a crash, SIGINT, SIGTERM) leaves either the old
    file or the new one, never a truncated mix. A run killed outright (SIGKILL) leaves its
    temporary file, named for its process: `leftover` tells such files, and the next run's
    discovery of the entries removes them.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temporary_prefix(path.name), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def leftover(path: Path) -> bool:
    """A temporary file or folder whose process has ended (killed mid-write)."""
    m = _TEMPORARY.match(path.name)
    if m is None:
        return False
    try:
        os.kill(int(m.group("pid")), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError):
        return False
    return False


def remove_leftovers(folder: Path, names: list[str]) -> list[str]:
    """Remove the leftover temporary files among `names` in `folder`; the names that remain."""
    kept = []
    for name in names:
        if name.endswith(".tmp") and leftover(folder / name):
            (folder / name).unlink(missing_ok=True)
        else:
            kept.append(name)
    return kept
