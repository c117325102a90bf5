"""The exit code contract: 0 clean, 1 content findings, 2 usage or internal failure.

An internal failure (a bug in matrixpipe, not a contributor's mistake) is one line and exit
code 2, never a traceback and never 1, which CI would read as "the content has problems";
`matrixpipe --debug` shows the traceback. The failing command is a real one added to the real
command group in a real process: matrixpipe has no bug to provoke on purpose.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import RunCli

_BUGGY = """
import click
from matrixpipe.cli import cli

@cli.command("explode")
@click.argument("key")
def explode(key: str) -> None:
    {}[key]

cli(prog_name="matrixpipe")
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _BUGGY, *args], capture_output=True, text=True, check=False
    )


def test_an_internal_failure_is_one_line_and_exit_2() -> None:
    done = _run("explode", "missing-key")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0] == "matrixpipe: internal error: KeyError: 'missing-key'"
    assert "--debug" in done.stderr
    assert done.stdout == ""


def test_debug_shows_the_traceback() -> None:
    done = _run("--debug", "explode", "missing-key")
    assert done.returncode == 1  # Python's own exit code for an uncaught exception
    assert "Traceback (most recent call last)" in done.stderr
    assert "KeyError: 'missing-key'" in done.stderr


def test_usage_errors_are_2_and_findings_are_1(run_cli: RunCli, tmp_path: Path) -> None:
    assert run_cli(["check", tmp_path]).exit_code == 2  # no entries/ folder: usage
    assert run_cli(["no-such-command"]).exit_code == 2
    cases = Path(__file__).resolve().parent / "cases"
    assert run_cli(["check", cases / "mp304-javascript-link"]).exit_code == 1
    assert run_cli(["check", cases / "ok-rules-config"]).exit_code == 0
