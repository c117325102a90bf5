"""`check --online` against a real HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conftest import RunCli

REQUESTS: list[tuple[str, str]] = []


class _Handler(BaseHTTPRequestHandler):
    """/ok answers 200, /gone 404, /no-head refuses HEAD (405) but answers GET."""

    def _answer(self) -> None:
        REQUESTS.append((self.command, self.path))
        if self.path == "/no-head" and self.command == "HEAD":
            self.send_response(405)
        else:
            self.send_response(404 if self.path == "/gone" else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    REQUESTS.clear()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _study_with_links(collection: Path, base: str) -> Path:
    path = collection / "entries/studies/probation-alcohol-offenders-2009.yaml"
    text = path.read_text().replace("  year: 2009\n", f"  year: 2009\n  url: {base}/ok\n", 1)
    text = text.replace(
        "summary: |\n",
        f"summary: |\n  See [the report]({base}/gone), [again]({base}/gone) and [this]({base}/no-head).\n",
        1,
    )
    path.write_text(text)
    return path


def test_dead_links_are_warnings_with_their_status(
    collection: Path, server: str, run_cli: RunCli
) -> None:
    path = _study_with_links(collection, server)
    result = run_cli(["check", collection, "--online", "--format", "json"])
    assert result.exit_code == 0  # dead links are warnings: they break out there, not in a PR
    dead = [d for d in json.loads(result.output)["diagnostics"] if d["code"] == "MP313"]
    lines = [i for i, line in enumerate(path.read_text().splitlines(), 1) if "/gone" in line]
    assert [(d["line"], d["severity"]) for d in dead] == [(lines[0], "warning")] * 2
    assert all(f"{server}/gone answered HTTP 404" == d["message"] for d in dead)
    # One request per unique URL; HEAD first, GET only where HEAD is refused.
    assert sorted(REQUESTS) == [
        ("GET", "/no-head"),
        ("HEAD", "/gone"),
        ("HEAD", "/no-head"),
        ("HEAD", "/ok"),
    ]
    assert run_cli(["check", collection, "--online", "--strict"]).exit_code == 1


def test_results_are_cached(collection: Path, server: str, run_cli: RunCli) -> None:
    _study_with_links(collection, server)
    run_cli(["check", collection, "--online"])
    asked = len(REQUESTS)
    again = run_cli(["check", collection, "--online"])
    assert "MP313" in again.output
    assert len(REQUESTS) == asked  # the second run asked nobody
    assert (collection / ".matrixpipe-cache" / "links.json").is_file()


def test_offline_by_default(collection: Path, server: str, run_cli: RunCli) -> None:
    _study_with_links(collection, server)
    assert run_cli(["check", collection]).exit_code == 0
    assert REQUESTS == []
