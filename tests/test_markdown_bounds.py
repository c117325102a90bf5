"""Bounded work for every Markdown field: the shapes that once stalled or crashed a build.

The check refuses them at their line (MP409, MP413, MP414). With those rules lowered to warnings,
the renderer's guard stops the run with one line and exit code 1, never a traceback or a stall.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from browser import add_site
from conftest import RunCli

PROBATION = "probation-alcohol-offenders-2009"
LOWERED = "rules:\n  markdown-too-deep: warning\n  too-many-links: warning\n"


def _set_note(repo: Path, note: str) -> None:
    path = repo / "entries" / "studies" / f"{PROBATION}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("note:"))
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    end = at + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith(indent + "  ")):
        end += 1
    block = "".join(f"{indent}  {line}\n" for line in note.split("\n"))
    lines[at:end] = [f"{indent}note: |\n", block]
    path.write_text("".join(lines), encoding="utf-8")


def _bite(repo: Path, extra: str) -> None:
    bite = repo / "entries" / "cells" / "alcohol" / "E5.md"
    bite.write_text(bite.read_text(encoding="utf-8") + "\n" + extra + "\n", encoding="utf-8")


def test_a_deep_list_is_refused_at_its_line(collection: Path, run_cli: RunCli) -> None:
    _set_note(collection, "- " * 600 + "x")
    result = run_cli(["check", collection])
    assert result.exit_code == 1
    assert "MP413 lists or quotes nested more than 16 levels deep" in result.output


def test_indented_levels_in_a_bite_are_refused(collection: Path, run_cli: RunCli) -> None:
    _bite(collection, "\n".join("  " * i + "- level" for i in range(200)))
    result = run_cli(["check", collection])
    assert result.exit_code == 1
    assert "entries/cells/alcohol/E5.md:" in result.output and "MP413" in result.output


def test_a_run_of_unclosed_autolinks_is_refused_quickly(collection: Path) -> None:
    _bite(collection, "<https://a" * 45_000)  # 450 KB: it took Python-Markdown 545 s
    done = subprocess.run(
        [sys.executable, "-m", "matrixpipe", "check", str(collection), "--color", "never"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "MP414" in done.stdout, done.stdout


def test_with_the_rules_lowered_the_guard_stops_the_run_in_one_line(
    collection: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    add_site(collection)
    (collection / "matrixpipe.yml").write_text(LOWERED, encoding="utf-8")
    _set_note(collection, "- " * 600 + "x")
    assert run_cli(["check", collection]).exit_code == 0  # a warning only

    exported = run_cli(["export", collection, "--format", "json", "--out", tmp_path / "api"])
    assert exported.exit_code == 1
    assert "Traceback" not in exported.output
    assert "could not be converted: its lists or quotes are nested too deeply" in exported.output

    built = subprocess.run(
        [sys.executable, "-m", "matrixpipe", "build", str(collection), "--color", "never"],
        cwd=collection,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 1, built.stdout + built.stderr
    assert "Traceback" not in built.stdout + built.stderr
    assert "could not be converted" in built.stderr
    assert not (collection / "public").exists()
