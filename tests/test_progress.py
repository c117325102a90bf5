"""Progress of `build`, `render`, `export` and `import` (`matrixpipe.progress`).

On a terminal a live display shows the stages and is erased when they end, on success, error
or Ctrl-C alike; elsewhere (CI logs, pipes) one plain line per stage, with its count and
seconds, no carriage returns and no colour; with `--quiet` nothing at all. Everything else the
commands print, and their exit codes, stay what they were. Each command runs for real, in its
own process: on pipes, or on a pseudo-terminal (`pty`) read as a terminal would show it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from matrixpipe import progress
from matrixpipe.publish.forked import Forked

from conftest import ROOT

ZOTERO = ROOT / "tests" / "data" / "zotero"
STAGE = re.compile(
    r"^(?P<name>.+?) \((?:(?P<count>[\d,]+(?:/[\d,]+)?), )?(?P<how>stopped after )?"
    r"\d+\.\d s\)$"
)
BUILD_STAGES = [
    "Preparing the build",
    "Rendering the first pages",
    "MkDocs: reading pages",
    "MkDocs: writing pages",
    "Writing the API and downloads",
    "Swapping the site in",
]
COLUMNS = 250


def _env(**extra: str) -> dict[str, str]:
    """The environment of a user who asked for nothing: no colour forced or refused."""
    skip = ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
    env = {k: v for k, v in os.environ.items() if k not in skip and k not in ("COLUMNS", "LINES")}
    return {**env, "PYTHONUNBUFFERED": "1", "TERM": "xterm-256color", **extra}


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`matrixpipe ARGS…` with its output on pipes."""
    return subprocess.run(
        [sys.executable, "-m", "matrixpipe", *map(str, args)],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _files(repo: Path) -> int:
    return sum(1 for p in (repo / "entries").rglob("*") if p.is_file())


def _stages(stderr: str) -> list[re.Match[str]]:
    """The stage lines of `stderr` (every line but matrixpipe's own messages), each parsed."""
    lines = [line for line in stderr.splitlines() if not line.startswith("matrixpipe: ")]
    parsed = [STAGE.match(line) for line in lines]
    assert all(parsed), stderr
    return [m for m in parsed if m is not None]


def _plain(stderr: str) -> None:
    assert "\r" not in stderr, repr(stderr)
    assert "\x1b" not in stderr, repr(stderr)


def _copy(repo: Path, name: str) -> Path:
    other = repo.parent / name
    shutil.rmtree(other, ignore_errors=True)
    shutil.copytree(repo, other)
    return other


def _quiet_run(
    repo: Path, command: list[str | Path]
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """The command run on two copies of `repo`, with and without --quiet."""
    other = _copy(repo, "quiet")
    loud = _run(*[repo if a == "REPO" else a for a in command], cwd=repo)
    quiet = _run(*[other if a == "REPO" else a for a in command], "--quiet", cwd=other)
    return loud, quiet


# -- without a terminal: one line per stage; --quiet: nothing more than before ---------------


def test_build_logs_one_line_per_stage_and_quiet_adds_nothing(collection: Path) -> None:
    loud, quiet = _quiet_run(collection, ["build", "REPO"])

    assert loud.returncode == quiet.returncode == 0, loud.stdout + loud.stderr
    _plain(loud.stderr)
    stages = _stages(loud.stderr)
    assert [m["name"] for m in stages] == [f"Checking {_files(collection)} files", *BUILD_STAGES]
    by_name = {m["name"]: m for m in stages}
    for name in ("MkDocs: reading pages", "MkDocs: writing pages"):
        done, total = by_name[name]["count"].split("/")
        assert done == total and int(total.replace(",", "")) > 50, by_name[name].group()
    assert not any(m["how"] for m in stages)
    # The summary lines on stdout are those of before; --quiet prints only what it always did.
    assert loud.stdout == quiet.stdout.replace(str(collection.parent / "quiet"), str(collection))
    assert loud.stdout.splitlines()[0].startswith("rendered ")
    assert loud.stdout.splitlines()[-1].startswith("built the site into ")
    assert quiet.stderr.splitlines() == [
        line for line in loud.stderr.splitlines() if line.startswith("matrixpipe: ")
    ]
    assert all(line.startswith("matrixpipe: warning: ") for line in quiet.stderr.splitlines())


def test_render_logs_its_stages_with_counts(collection: Path) -> None:
    loud, quiet = _quiet_run(collection, ["render", "REPO"])

    assert loud.returncode == quiet.returncode == 0, loud.stdout + loud.stderr
    _plain(loud.stderr)
    stages = _stages(loud.stderr)
    assert [m["name"] for m in stages] == [
        f"Checking {_files(collection)} files",
        "Reading the collection",
        "Rendering pages",
        "Writing the API and downloads",
    ]
    done, total = stages[2]["count"].split("/")
    assert done == total
    assert int(stages[3]["count"]) > 50  # a file count, no total
    assert loud.stdout == quiet.stdout
    assert quiet.stderr == ""


def test_export_logs_its_stages_and_keeps_stdout_for_the_data(collection: Path) -> None:
    out = collection.parent / "api"
    loud, quiet = _quiet_run(collection, ["export", "REPO", "--format", "json", "--out", out])

    assert loud.returncode == quiet.returncode == 0, loud.stderr
    assert [m["name"] for m in _stages(loud.stderr)] == [
        f"Checking {_files(collection)} files",
        "Reading the collection",
        "Writing the JSON API",
    ]
    assert loud.stdout == quiet.stdout == f"wrote 77 files to {out}\n"
    assert quiet.stderr == ""

    loud, quiet = _quiet_run(collection, ["export", "REPO", "--format", "bibtex", "--out", "-"])

    assert loud.returncode == quiet.returncode == 0, loud.stderr
    assert loud.stdout == quiet.stdout
    assert loud.stdout.startswith("@")
    _plain(loud.stderr)
    assert [m["name"] for m in _stages(loud.stderr)][-1] == "Exporting 18 studies"
    assert quiet.stderr == ""


def test_import_logs_its_stages_before_its_own_summary(collection: Path) -> None:
    loud, quiet = _quiet_run(collection, ["import", ZOTERO / "library.ris", "REPO", "--dry-run"])

    assert loud.returncode == quiet.returncode == 0, loud.stderr
    assert loud.stdout == quiet.stdout.replace(str(collection.parent / "quiet"), str(collection))
    summary = quiet.stderr.splitlines()
    assert summary == [summary[0]] and summary[0].startswith("would import ")
    *stages, last = loud.stderr.splitlines()
    assert last == summary[0]
    assert [m["name"] for m in _stages("\n".join(stages))] == [
        f"Checking {_files(collection)} files",
        "Reading library.ris",
        "Importing records",
    ]
    assert _stages("\n".join(stages))[-1]["count"] == "4/4"


def test_a_failing_stage_says_so_and_the_exit_code_is_unchanged(collection: Path) -> None:
    """A hand-written page on a generated page's path stops the build (exit 2) in its render."""
    (collection / "site" / "pages" / "alcohol").mkdir(parents=True)
    (collection / "site" / "pages" / "alcohol" / "E5.md").write_text("# Mine\n")
    loud, quiet = _quiet_run(collection, ["build", "REPO"])

    assert loud.returncode == quiet.returncode == 2
    error = "site/pages/alcohol/E5.md has the path of a generated page"
    assert error in loud.stderr and error in quiet.stderr
    stages = _stages(loud.stderr)
    assert [m["name"] for m in stages][-1] == "Rendering the first pages"
    assert stages[-1]["how"] == "stopped after "
    assert not _stages(quiet.stderr)


def test_findings_still_fail_the_build_with_exit_1(collection: Path) -> None:
    case = ROOT / "tests" / "cases" / "mp304-javascript-link"
    shutil.rmtree(collection / "entries")
    shutil.copytree(case / "entries", collection / "entries")
    loud, quiet = _quiet_run(collection, ["build", "REPO"])

    assert loud.returncode == quiet.returncode == 1
    assert loud.stdout == quiet.stdout.replace(str(collection.parent / "quiet"), str(collection))
    assert "MP304" in loud.stdout
    assert [m["name"] for m in _stages(loud.stderr)] == [f"Checking {_files(collection)} files"]


# -- on a terminal: a live display, erased ---------------------------------------------------


def _in_terminal(
    *args: str | Path, cwd: Path, interrupt_when: Callable[[str], bool] | None = None
) -> tuple[int, str]:
    """`matrixpipe ARGS…` with a pseudo-terminal as its stdin, stdout and stderr; its exit
    code and everything it wrote. `interrupt_when`: once the output so far meets it, Ctrl-C
    (SIGINT to the process group, as a terminal sends it)."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, COLUMNS, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "matrixpipe", *map(str, args)],
        cwd=cwd,
        env=_env(),
        stdin=child,
        stdout=child,
        stderr=child,
        start_new_session=True,
    )
    os.close(child)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 600
    interrupted = False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.05)
            if ready:
                try:
                    data = os.read(main, 65536)
                except OSError as exc:  # EIO: the terminal's other side is closed
                    if exc.errno != errno.EIO:
                        raise
                    data = b""
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
            text = b"".join(chunks).decode("utf-8", "replace")
            if interrupt_when is not None and not interrupted and interrupt_when(text):
                os.killpg(proc.pid, signal.SIGINT)
                interrupted = True
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main)
    return code, b"".join(chunks).decode("utf-8", "replace")


_CONTROL = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\r|\n|.", re.S)


def _screen(raw: str) -> list[str]:
    """What a terminal shows once `raw` is written to it: text, carriage returns, new lines,
    colours, erasing lines, moving the cursor up, showing and hiding it (all rich sends)."""
    rows: list[list[str]] = [[]]
    row = col = 0
    for token in _CONTROL.finditer(raw):
        text, params, command = token.group(), token.group(1), token.group(2)
        if text == "\r":
            col = 0
        elif text == "\n":
            row += 1
            rows.extend([] for _ in range(row + 1 - len(rows)))
        elif command is not None:
            n = int(params) if params.isdigit() else None
            if command in "mhl":  # colours; the cursor shown or hidden
                continue
            if command == "K":  # erase: to the line's end, from its start, or all of it
                if n in (None, 0):
                    del rows[row][col:]
                elif n == 1:
                    rows[row][: col + 1] = [" "] * min(col + 1, len(rows[row]))
                else:
                    rows[row].clear()
            elif command == "A":
                row = max(0, row - (n or 1))
            elif command == "B":
                row += n or 1
                rows.extend([] for _ in range(row + 1 - len(rows)))
            elif command == "G":
                col = (n or 1) - 1
            else:
                raise AssertionError(f"unexpected terminal control {text!r}")
        else:
            line = rows[row]
            line.extend(" " for _ in range(col + 1 - len(line)))
            line[col] = text
            col += 1
    shown = ["".join(line).rstrip() for line in rows]
    while shown and not shown[-1]:
        shown.pop()
    return shown


def _cursor_shown(raw: str) -> bool:
    return raw.rfind("\x1b[?25l") <= raw.rfind("\x1b[?25h")


def test_screen_reading_follows_rich() -> None:
    assert _screen("a\r\nbc\x1b[31mx\x1b[0m\rB") == ["a", "Bcx"]
    assert _screen(
        "keep\r\n\x1b[?25l\r\x1b[2Kspin 1\r\x1b[2Kspin 2\r\x1b[2K\x1b[?25h\rdone\r\n"
    ) == [
        "keep",
        "done",
    ]


def test_a_terminal_shows_the_progress_and_keeps_only_the_output(collection: Path) -> None:
    quiet = _run("build", _copy(collection, "quiet"), "--quiet", cwd=collection)
    code, raw = _in_terminal("build", collection, cwd=collection)

    assert code == quiet.returncode == 0, raw
    assert any(name in raw for name in BUILD_STAGES), raw  # the live display showed
    assert _cursor_shown(raw)
    expected = [
        line.replace(str(collection.parent / "quiet"), str(collection))
        for line in quiet.stderr.splitlines() + quiet.stdout.splitlines()
    ]
    assert _screen(raw) == expected, raw
    assert not STAGE.search(raw.replace("\r", "\n")), "a plain stage line on a terminal"


def test_a_terminal_display_is_erased_on_ctrl_c(collection: Path) -> None:
    code, raw = _in_terminal(
        "build", collection, cwd=collection, interrupt_when=lambda text: "MkDocs: " in text
    )

    assert "MkDocs: " in raw
    assert "built the site" not in raw, "the build finished before Ctrl-C"
    assert code not in (0, None)
    assert _cursor_shown(raw)
    shown = _screen(raw)
    assert not [line for line in shown if "MkDocs: " in line or "━" in line], shown
    assert not (collection / "public").exists()


def test_quiet_on_a_terminal_shows_nothing_more(collection: Path) -> None:
    code, raw = _in_terminal("render", collection, "--quiet", cwd=collection)

    assert code == 0, raw
    assert "\x1b" not in raw, raw
    shown = _screen(raw)
    assert len(shown) == 2 and shown[0].startswith("rendered "), shown
    assert shown[1] == "wrote site/mkdocs.rendered.yml"


# -- the display and forks ---------------------------------------------------------------------


def _pid() -> int:
    return os.getpid()


def _drain(fd: int) -> None:
    """Read what is drawn, so that drawing never waits for a full terminal buffer."""
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def test_a_fork_inherits_no_drawing_thread(tmp_path: Path) -> None:
    """The redrawing thread stops around each fork and starts again after it; the child
    draws nothing (its stages are no-ops)."""
    main, child = pty.openpty()
    stream = open(child, "w", encoding="utf-8", closefd=True)  # noqa: SIM115
    threading.Thread(target=_drain, args=(main,), daemon=True).start()
    try:
        with progress.shown(False, stream=stream) as display:
            assert isinstance(display, progress.Terminal)
            with progress.stage("Working", total=3) as step:
                time.sleep(3 * progress.REFRESH_SECONDS)
                assert display.ticker is not None and display.ticker.is_alive()
                with Forked(_pid) as job:
                    assert job.result() != os.getpid()
                assert display.ticker is not None and display.ticker.is_alive()
                step.advance(3)
                time.sleep(3 * progress.REFRESH_SECONDS)
            assert display.ticker is None
    finally:
        stream.close()
        os.close(main)


def test_outside_a_command_stages_show_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.stage("Rendering pages", total=2) as step:
        step.advance(2)
    assert capsys.readouterr() == ("", "")
