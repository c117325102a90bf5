"""`matrixpipe serve` for real: a subprocess serving the bundled collection on a free port.

An edit to a study shows on its page after one rebuild (the render's own writes start none),
and the page being viewed reloads itself in Chromium.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from matrixpipe.publish.serve import Session

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


# -- the session in this process: what the start leaves for later, and the search index ---------


@pytest.fixture
def session(collection: Path) -> Iterator[Session]:
    repo = add_site(collection)
    started = Session(repo, False, lambda result: None, "http://127.0.0.1:8000/")
    try:
        started.build_all()
        yield started
    finally:
        started.close()


def test_the_start_leaves_study_pages_for_later_and_builds_one_asked_for(
    session: Session,
) -> None:
    """The start builds the pages in the navigation; a study page is built when a browser asks
    for it, and the rest behind the served site builds the others."""
    page = session.site / "studies" / PROBATION / "index.html"
    assert (session.site / "index.html").is_file() and not page.exists()

    session.build_on_demand(f"/studies/{PROBATION}/")

    assert "Probation struggling" in page.read_text(encoding="utf-8")
    other = next(
        p for p in (session.repo / "entries" / "studies").glob("*.yaml") if p.stem != PROBATION
    )
    assert not (session.site / "studies" / other.stem / "index.html").exists()
    session.start_rest()
    assert session.behind is not None
    session.behind.join()
    built = {p.parent.name for p in (session.site / "studies").glob("*/index.html")}
    assert built == {
        p.stem for p in (session.repo / "entries" / "studies").glob("*.yaml") if _public(p)
    }


def _public(path: Path) -> bool:
    return "status: draft" not in path.read_text(encoding="utf-8")


def test_the_search_index_made_behind_is_the_one_a_build_makes(
    session: Session, tmp_path: Path
) -> None:
    """The index `serve` writes page by page, behind the served site, has the entries, in the
    order, of a whole MkDocs build of the same pages."""
    from mkdocs.commands.build import build

    from matrixpipe.publish.pagegate import PageGate
    from matrixpipe.publish.site import load_mkdocs_config

    session.start_rest()
    assert session.behind is not None
    session.behind.join()
    assert session.result is not None
    config = load_mkdocs_config(
        session.repo,
        session.result.config.site,
        tmp_path / "whole",
        preview=True,
        site_url=session.url,
    )
    config.plugins["gate"] = PageGate([], iter(()))
    build(config)

    def index(site: Path) -> Any:
        return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))

    lazy, whole = index(session.site), index(tmp_path / "whole")
    assert any(f"studies/{PROBATION}/" in doc["location"] for doc in lazy["docs"])
    assert lazy == whole


def test_an_edit_updates_the_api_record_without_touching_the_linked_copy(
    session: Session,
) -> None:
    """Files MkDocs would copy are hard links to the rendered ones; the render replaces a file,
    so the served record changes and the one linked before is left as it was."""
    served = session.site / "api" / "v1" / "studies" / f"{PROBATION}.json"
    rendered = session.repo / "site" / "docs" / "api" / "v1" / "studies" / f"{PROBATION}.json"
    assert served.stat().st_ino == rendered.stat().st_ino
    _edit_title(session.repo, "Probation records linked")

    session.rebuild()
    assert session.behind is not None
    session.behind.join()

    assert "Probation records linked" in served.read_text(encoding="utf-8")
    assert "Probation records linked" in rendered.read_text(encoding="utf-8")
