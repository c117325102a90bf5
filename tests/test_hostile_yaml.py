"""Hostile YAML is refused quickly and cheaply, in a process of its own (a crash would show)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ENTRIES

BOMB = """id: bomb
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""

# Runs one check in a fresh interpreter and reports the check's own time and the peak memory.
PROBE = """
import json, sys, time
from pathlib import Path
from matrixpipe.check.run import check
start = time.perf_counter()
result = check(Path(sys.argv[1]))
elapsed = time.perf_counter() - start
codes = sorted({d.code for d in result.report.diagnostics})
# VmHWM is this process's own peak (ru_maxrss would include the forking parent's).
status = Path("/proc/self/status").read_text()
peak_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"seconds": elapsed, "peak_mb": peak_mb, "codes": codes}))
"""


def _collection(tmp_path: Path, name: str, text: str) -> Path:
    repo = tmp_path / "c"
    shutil.copytree(ENTRIES / "matrices", repo / "entries" / "matrices")
    (repo / "entries" / "studies").mkdir(parents=True)
    (repo / "entries" / "studies" / f"{name}.yaml").write_text(text)
    return repo


@pytest.mark.parametrize(
    ("name", "text", "code"),
    [
        ("bomb", BOMB, "MP401"),
        ("deep", "id: deep\nx: " + "[" * 100_000 + "]" * 100_000 + "\n", "MP403"),
        (
            "deep-maps",
            "id: deep-maps\nx: " + "{a: " * 100_000 + "1" + "}" * 100_000 + "\n",
            "MP403",
        ),
    ],
    ids=["alias-bomb", "deep-lists", "deep-maps"],
)
def test_attack_is_rejected_in_under_a_second_and_200_mb(
    tmp_path: Path, name: str, text: str, code: str
) -> None:
    repo = _collection(tmp_path, name, text)
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(repo)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr  # a segfault would show as -11 here
    probe = json.loads(run.stdout)
    assert probe["codes"] == [code]
    assert probe["seconds"] < 1.0
    assert probe["peak_mb"] < 200
