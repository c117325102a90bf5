"""Nothing lost when a run is interrupted: Ctrl-C (SIGINT) or a cancelled CI job (SIGTERM).

`matrixpipe build` writes the new site into a temporary folder beside --out and swaps it in only
when everything succeeded; interrupted halfway, the previous site must stay byte for byte and no
temporary folder may be left behind. `matrixpipe fmt` writes each entry atomically; killed at any
moment, every entry is its original bytes or its fully formatted bytes, never a truncated mix.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matrixpipe.commands.build import run_build
from matrixpipe.edit.fmt import format_text

from browser import ROOT, add_site, snapshot

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate

STUDIES = 120  # MkDocs takes a few seconds on these: time to interrupt it halfway


def _env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}


def _matrixpipe(*args: str | Path, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "matrixpipe", *map(str, args)],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def _writing(parent: Path) -> bool:
    """MkDocs has begun writing into the temporary folder of the new site."""
    return any(p.is_file() for folder in parent.glob(".site.new.mp*") for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A generated collection with its site folder, built once into out/site."""
    repo = add_site(generate(STUDIES, tmp_path_factory.mktemp("interrupt") / "collection"))
    out = repo / "out" / "site"
    assert run_build(repo, out, drafts=False, color="never") == 0
    return repo, out


@pytest.mark.parametrize(
    "signals",
    [(signal.SIGINT,), (signal.SIGTERM,), (signal.SIGINT, signal.SIGTERM)],
    ids=["sigint", "sigterm", "sigint-then-sigterm"],
)
def test_interrupted_build_keeps_the_previous_site(
    built: tuple[Path, Path], signals: tuple[signal.Signals, ...]
) -> None:
    repo, out = built
    before = snapshot(out)
    assert "index.html" in before

    assert sorted(p.name for p in out.parent.iterdir()) == ["site"]
    proc = _matrixpipe("build", repo, "--out", out, cwd=repo)
    try:
        _wait_for(lambda: _writing(out.parent), 60, "MkDocs to write pages")
        for i, sig in enumerate(signals):
            if i:
                time.sleep(0.02)  # the second arrives while the first is being handled
            proc.send_signal(sig)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert "built the site" not in output, "the build finished before it was interrupted"
    assert proc.returncode != 0
    assert snapshot(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"], output


@pytest.fixture(scope="module")
def unformatted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[Path, bytes]]:
    """A generated collection whose studies `fmt` would all rewrite, with their formatted bytes."""
    repo = generate(300, tmp_path_factory.mktemp("fmt") / "collection")
    formatted: dict[Path, bytes] = {}
    for path in sorted((repo / "entries" / "studies").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        formatted[path] = format_text(text, "study").encode("utf-8")
        assert formatted[path] != text.encode("utf-8"), path
    return repo, formatted


def test_fmt_killed_at_random_moments_never_truncates_an_entry(
    unformatted: tuple[Path, dict[Path, bytes]],
) -> None:
    repo, formatted = unformatted
    originals = {path: path.read_bytes() for path in formatted}
    rng = random.Random(8)
    outcomes = []
    for run in range(6):
        for path, data in originals.items():
            path.write_bytes(data)
        proc = _matrixpipe("fmt", cwd=repo)
        try:
            if run % 2:  # a moment anywhere in the run
                time.sleep(rng.uniform(0.05, 2.0))
            else:  # a moment while files are being written
                assert proc.stdout is not None
                line = proc.stdout.readline()
                assert line.startswith("reformatted"), line
                time.sleep(rng.uniform(0.0, 0.3))
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        done = 0
        for path, original in originals.items():
            now = path.read_bytes()
            assert now in (original, formatted[path]), f"run {run}: {path.name} is neither"
            done += now == formatted[path]
        outcomes.append(done)
        entries = {p.name for p in (repo / "entries" / "studies").glob("*.yaml")}
        assert entries == {p.name for p in originals}
    assert any(0 < n < len(originals) for n in outcomes), outcomes  # some runs were cut mid-way


def test_a_build_killed_outright_leaves_nothing_the_next_build_keeps(
    built: tuple[Path, Path],
) -> None:
    """SIGKILL cannot be handled: the half-built folder stays until the next build removes it."""
    repo, out = built
    proc = _matrixpipe("build", repo, "--out", out, cwd=repo)
    try:
        _wait_for(lambda: _writing(out.parent), 60, "MkDocs to write pages")
        proc.kill()
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    time.sleep(0.5)  # the forked child notices its parent is gone
    assert any(p.name.startswith(".site.new.mp") for p in out.parent.iterdir())

    assert run_build(repo, out, drafts=False, color="never") == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"]


def test_fmt_killed_outright_leaves_no_file_the_next_check_sees(
    unformatted: tuple[Path, dict[Path, bytes]],
) -> None:
    """A write cut by SIGKILL between its temporary file and the rename (a real kill -9 of the
    process, at the moment of the rename) leaves `.<name>.mp<pid>-….tmp` in entries/; the next
    run removes it, and the check never reports it as a stray file (MP107)."""
    repo, formatted = unformatted
    study = next(iter(formatted))
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, signal, sys\n"
            "from pathlib import Path\n"
            "from matrixpipe import fsutil\n"
            "fsutil.os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)\n"
            "fsutil.write_bytes_atomic(Path(sys.argv[1]), b'half done')\n",
            str(study),
        ],
        env=_env(),
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    leftovers = list(study.parent.glob(f".{study.name}.mp*.tmp"))
    assert len(leftovers) == 1

    checked = _matrixpipe("check", repo, "--format", "json", cwd=repo)
    output, _ = checked.communicate(timeout=120)
    assert "MP107" not in output
    assert not leftovers[0].exists()
