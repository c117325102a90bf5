"""The coverage-guided harnesses of fuzz/ (atheris, libFuzzer), run for a bounded time.

Each gets a fresh seed corpus from the bundled collection and 20 seconds; libFuzzer stops at the
first crash, uncaught exception or input slower than 5 s, and exits non-zero. Longer runs are
for a release (fuzz/README.md).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

SUPPORTED = platform.system() == "Linux" and platform.machine() == "x86_64"


@pytest.mark.skipif(not SUPPORTED, reason="atheris ships wheels for x86-64 Linux only")
@pytest.mark.parametrize(
    ("harness", "corpus", "dictionary"),
    [("fuzz_markdown.py", "markdown", "markdown.dict"), ("fuzz_loader.py", "loader", "yaml.dict")],
)
def test_harness_finds_nothing_in_twenty_seconds(
    harness: str, corpus: str, dictionary: str, tmp_path: Path
) -> None:
    pytest.importorskip("atheris", reason='install the test extra: pip install -e ".[test]"')
    subprocess.run(
        [sys.executable, str(ROOT / "fuzz" / "make_corpus.py"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    seeds = tmp_path / corpus
    assert any(seeds.iterdir())
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "fuzz" / harness),
            f"-dict={ROOT / 'fuzz' / dictionary}",
            "-max_total_time=20",
            "-timeout=5",
            "-rss_limit_mb=2048",
            "-max_len=65536",
            f"-artifact_prefix={tmp_path}/",
            str(seeds),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    tail = (done.stdout + done.stderr)[-3000:]
    assert done.returncode == 0, tail
    assert "Done" in tail and "runs in" in tail, tail
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("timeout-*")), tail
