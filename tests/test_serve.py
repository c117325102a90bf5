"""`matrixpipe serve` for real: a subprocess serving the bundled collection on a free port.

An edit to a study shows on its page after one rebuild (the render's own writes start none),
and the page being viewed reloads itself in Chromium.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from browser import add_site

PROBATION = "probation-alcohol-offenders-2009"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():  # type: ignore[operator]
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def served(collection: Path, tmp_path: Path) -> Iterator[tuple[Path, str, Path]]:
    repo = add_site(collection)
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "matrixpipe", "serve", str(repo), "-a", f"127.0.0.1:{port}"],
            cwd=repo,
            env={**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}/"
        try:
            _wait(lambda: "Alcohol" in _get(base), 120, "the server to start")
            yield repo, base, log
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _edit_title(repo: Path, new: str) -> None:
    path = repo / "entries" / "studies" / f"{PROBATION}.yaml"
    lines = path.read_text().splitlines(keepends=True)
    lines = [f"title: {new}\n" if line.startswith("title:") else line for line in lines]
    path.write_text("".join(lines))


def test_an_edit_shows_after_one_rebuild(served: tuple[Path, str, Path]) -> None:
    repo, base, log = served
    url = f"{base}studies/{PROBATION}/"
    assert "Probation struggling" in _get(url)
    before = log.read_text().count("Detected file changes")

    _edit_title(repo, "Probation services still struggling with drink")

    _wait(lambda: "Probation services still struggling" in _get(url), 60, "the edit")
    _wait(
        lambda: "Probation services still struggling" in _get(base + "alcohol/E5/"), 60, "its cell"
    )
    time.sleep(2)  # anything the render's own writes would start has started by now
    text = log.read_text()
    assert text.count("Detected file changes") - before == 1, text[-2000:]
    assert "Traceback" not in text


@pytest.mark.browser
def test_the_page_being_viewed_reloads(served: tuple[Path, str, Path], page: Page) -> None:
    repo, base, _ = served
    page.goto(f"{base}studies/{PROBATION}/")
    heading = page.locator("h1")
    assert "Probation struggling" in heading.inner_text()

    _edit_title(repo, "Probation reloaded in the browser")

    page.wait_for_function(
        "() => document.querySelector('h1').textContent.includes('reloaded in the browser')",
        timeout=60_000,
    )
