"""Helpers for tests of the built site: a collection with its site folder, a local web server,
headless Chromium, console-error capture and axe-core accessibility checks."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` by its relative path, as a SHA-256: two equal snapshots mean
    the same files with the same bytes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def add_site(repo: Path) -> Path:
    """Give a copied collection what this repository's `site/` overrides of the packaged site
    template (its own mkdocs.yml, theme overrides or pages), if anything: none today, as a
    collection needs no `site/` folder at all."""
    for name in ("mkdocs.yml", "overrides", "pages"):
        layer = ROOT / "site" / name
        if layer.is_file():
            (repo / "site").mkdir(exist_ok=True)
            shutil.copy(layer, repo / "site" / name)
        elif layer.is_dir():
            shutil.copytree(layer, repo / "site" / name, dirs_exist_ok=True)
    return repo


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_dir(
    folder: Path, handler: type[SimpleHTTPRequestHandler] = QuietHandler, path: str = "/"
) -> Iterator[str]:
    """Serve a built site on 127.0.0.1 (a free port) from a thread; yields its base URL (the
    `handler` decides which `path` the site lives under)."""
    handler_of = functools.partial(handler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_of)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def axe_source() -> str:
    """axe-core's script, installed from npm (package.json)."""
    if not AXE.is_file():
        raise AssertionError(
            f"{AXE} is missing: run `npm ci` in {ROOT} to install axe-core for the browser tests"
        )
    return AXE.read_text(encoding="utf-8")


def serious_violations(page: Any, source: str) -> list[dict[str, Any]]:
    """Run axe-core on the open page; the violations of impact serious or critical."""
    page.add_script_tag(content=source)
    result = page.evaluate("async () => await axe.run(document)")
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    """Violations as readable lines for an assertion message."""
    lines = []
    for v in violations:
        targets = ", ".join(str(n["target"]) for n in v["nodes"][:3])
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} at {targets}")
    return "\n".join(lines)


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot into test-artifacts/ for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def update_docs_screenshot(page: Any, name: str) -> Path | None:
    """With MATRIXPIPE_UPDATE_SCREENSHOTS=1, refresh the README's screenshot in docs/images/."""
    if os.environ.get("MATRIXPIPE_UPDATE_SCREENSHOTS") != "1":
        return None
    path = ROOT / "docs" / "images" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    return path
