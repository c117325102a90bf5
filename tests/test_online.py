"""`check --online` against real HTTP(S) servers on 127.0.0.1 (never the internet).

The checker refuses private addresses, so every test that wants a server asked names that server
in MATRIXPIPE_ONLINE_ALLOW_PRIVATE (`allow`), and only that one.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from matrixpipe.check.cache import cache_dir, write_cache_file
from matrixpipe.check.online import (
    ALLOW_ENV,
    CACHE_FILE,
    CACHE_SECONDS,
    MAX_REDIRECTS,
    check_links_online,
    is_public,
)
from matrixpipe.check.resolve import ExternalLink

from conftest import RunCli

STUDY = "entries/studies/probation-alcohol-offenders-2009.yaml"
NOT_ASKED = re.compile(r"^(\S+) was not checked: it resolves to a private address \((.+)\)$")
DRIP_SECONDS = 0.5


class Server(ThreadingHTTPServer):
    """A real HTTP(S) server on 127.0.0.1 that records every connection and request."""

    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.port = int(self.server_address[1])
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.connections = 0
        self.requests: list[tuple[str, str]] = []
        self.hosts: list[str | None] = []
        self.redirects: dict[str, str] = {}
        self.dripped = 0
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.connections += 1
        return True


class _Handler(BaseHTTPRequestHandler):
    """/ok answers 200, /gone 404, /no-head refuses HEAD (405) but answers GET, a path in
    `server.redirects` answers 302 to its target, /drip sends its answer a byte at a time."""

    server: Server

    def _answer(self) -> None:
        self.server.requests.append((self.command, self.path))
        self.server.hosts.append(self.headers.get("Host"))
        if self.path == "/drip":
            self._drip()
            return
        if self.path in self.server.redirects:
            self.send_response(302)
            self.send_header("Location", self.server.redirects[self.path])
        elif self.path == "/no-head" and self.command == "HEAD":
            self.send_response(405)
        else:
            self.send_response(404 if self.path == "/gone" else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _drip(self) -> None:
        """Every byte comes well within any per-read timeout; the whole answer takes 20 s."""
        self.close_connection = True
        try:
            for byte in b"HTTP/1.1 200 OK\r\nX-Drip: " + b"." * 10 + b"\r\n\r\n":
                self.wfile.write(bytes([byte]))
                self.server.dripped += 1
                time.sleep(DRIP_SECONDS)
        except OSError:  # the checker gave up and closed the connection
            pass

    do_HEAD = do_GET = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(tls: ssl.SSLContext | None = None) -> Iterator[Server]:
    httpd = Server(tls)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    yield from _serve()


@pytest.fixture
def other() -> Iterator[Server]:
    """A second server, on another port: one that must never be asked."""
    yield from _serve()


@pytest.fixture(autouse=True)
def no_allowance(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test inherits an allowance from the environment it runs in."""
    monkeypatch.delenv(ALLOW_ENV, raising=False)


Allow = Callable[..., None]


@pytest.fixture
def allow(monkeypatch: pytest.MonkeyPatch) -> Allow:
    """Let the checker ask these servers (and no other private address)."""

    def set_allowed(*servers: Server) -> None:
        monkeypatch.setenv(ALLOW_ENV, ",".join(f"127.0.0.1:{s.port}" for s in servers))

    return set_allowed


def _study_with_links(collection: Path, base: str) -> Path:
    path = collection / STUDY
    text = path.read_text().replace("  year: 2009\n", f"  year: 2009\n  url: {base}/ok\n", 1)
    text = text.replace(
        "summary: |\n",
        f"summary: |\n  See [the report]({base}/gone), [again]({base}/gone) and [this]({base}/no-head).\n",
        1,
    )
    path.write_text(text)
    return path


def _links(*urls: str) -> list[ExternalLink]:
    return [ExternalLink(url, STUDY, lambda: (1, 1)) for url in urls]


def _messages(found: list[Any]) -> list[str]:
    assert all(d.code == "MP313" for d in found)
    return [d.message for d in found]


def test_dead_links_are_warnings_with_their_status(
    collection: Path, server: Server, allow: Allow, run_cli: RunCli
) -> None:
    allow(server)
    path = _study_with_links(collection, server.base)
    result = run_cli(["check", collection, "--online", "--format", "json"])
    assert result.exit_code == 0  # dead links are warnings: they break out there, not in a PR
    dead = [d for d in json.loads(result.output)["diagnostics"] if d["code"] == "MP313"]
    lines = [i for i, line in enumerate(path.read_text().splitlines(), 1) if "/gone" in line]
    assert [(d["line"], d["severity"]) for d in dead] == [(lines[0], "warning")] * 2
    assert all(f"{server.base}/gone answered HTTP 404" == d["message"] for d in dead)
    # One request per unique URL; HEAD first, GET only where HEAD is refused.
    assert sorted(server.requests) == [
        ("GET", "/no-head"),
        ("HEAD", "/gone"),
        ("HEAD", "/no-head"),
        ("HEAD", "/ok"),
    ]
    assert run_cli(["check", collection, "--online", "--strict"]).exit_code == 1


def test_results_are_cached_outside_the_repository(
    collection: Path, server: Server, allow: Allow, run_cli: RunCli
) -> None:
    allow(server)
    _study_with_links(collection, server.base)
    run_cli(["check", collection, "--online"])
    asked = len(server.requests)
    assert asked == 4
    again = run_cli(["check", collection, "--online"])
    assert "MP313" in again.output
    assert len(server.requests) == asked  # the second run asked nobody
    assert (cache_dir(collection) / CACHE_FILE).is_file()
    assert not (collection / ".matrixpipe-cache").exists()


def test_a_link_cache_in_the_repository_is_ignored(
    collection: Path, server: Server, allow: Allow, run_cli: RunCli
) -> None:
    """A committed cache could call a dead link alive for ever, or crash the check."""
    allow(server)
    _study_with_links(collection, server.base)
    legacy = collection / ".matrixpipe-cache" / "links.json"
    legacy.parent.mkdir()
    alive = {"status": 200, "at": time.time()}
    legacy.write_text(json.dumps({f"{server.base}/gone": alive, f"{server.base}/ok": 5}))
    result = run_cli(["check", collection, "--online", "--format", "json"])
    dead = [d["message"] for d in json.loads(result.output)["diagnostics"] if d["code"] == "MP313"]
    assert dead == [f"{server.base}/gone answered HTTP 404"] * 2
    assert ("HEAD", "/gone") in server.requests
    assert ("HEAD", "/ok") in server.requests


@pytest.mark.parametrize(
    "bad",  # a float `at` is counted from "now"
    [
        5,
        "alive",
        {"status": 200},
        {"status": True, "at": 0.0},
        {"status": [200], "at": 0.0},
        {"status": 200, "at": "today"},
        {"status": 200, "at": 1},
        {"status": 99, "at": 0.0},
        {"status": "", "at": 0.0},
        {"status": "x" * 5000, "at": 0.0},
        {"status": 200, "at": float(CACHE_SECONDS)},  # a day in the future: fresh for ever
        {"status": 200, "at": -float(CACHE_SECONDS) - 60},  # more than a day old
    ],
    ids=lambda bad: repr(bad)[:40],
)
def test_a_malformed_cache_entry_is_ignored(
    tmp_path: Path, server: Server, allow: Allow, bad: Any
) -> None:
    """Even in a signed cache each entry is shape-checked: a bad one is asked again, no crash;
    the good ones beside it are still reused."""
    allow(server)
    now = time.time()
    if isinstance(bad, dict) and isinstance(bad.get("at"), float):
        bad = {**bad, "at": now + bad["at"]}
    payload = {
        f"{server.base}/ok": bad,
        f"{server.base}/gone": {"status": 404, "at": now - 60},
        7: {"status": 200, "at": now},
    }
    write_cache_file(cache_dir(tmp_path) / CACHE_FILE, payload)
    found = check_links_online(tmp_path, _links(f"{server.base}/ok", f"{server.base}/gone"))
    assert _messages(found) == [f"{server.base}/gone answered HTTP 404"]
    assert server.requests == [("HEAD", "/ok")]  # /gone came from the cache


def test_offline_by_default(
    collection: Path, server: Server, allow: Allow, run_cli: RunCli
) -> None:
    allow(server)
    _study_with_links(collection, server.base)
    assert run_cli(["check", collection]).exit_code == 0
    assert server.connections == 0


def test_a_link_to_a_private_address_is_not_asked(
    collection: Path, server: Server, allow: Allow, run_cli: RunCli
) -> None:
    _study_with_links(collection, server.base)
    result = run_cli(["check", collection, "--online", "--format", "json"])
    found = [d for d in json.loads(result.output)["diagnostics"] if d["code"] == "MP313"]
    assert {d["message"] for d in found} == {
        f"{server.base}/{path} was not checked: it resolves to a private address (127.0.0.1)"
        for path in ("ok", "gone", "no-head")
    }
    assert all(d["hint"].startswith("matrixpipe asks only public addresses") for d in found)
    assert server.connections == 0
    # A refusal is not cached: allowed (as in the tests), the same links are asked.
    allow(server)
    run_cli(["check", collection, "--online"])
    assert len(server.requests) == 4


PRIVATE = [
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "https://[fe80::1]/",
    "https://[fc00::1]/",
    "https://[ff02::1]/",
    "http://[::]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://[2002:a00:1::]/",  # 6to4 of 10.0.0.1
]
LOOPBACK = [  # {port} is a live server's, which must see no connection
    "http://127.0.0.1:{port}/ok",
    "http://127.1:{port}/ok",  # resolved, not pattern-matched
    "http://2130706433:{port}/ok",  # 127.0.0.1 as one number
    "http://localhost:{port}/ok",
    "http://0.0.0.0:{port}/ok",
    "http://[::1]:{port}/ok",
    "http://[::ffff:127.0.0.1]:{port}/ok",
    "http://[::ffff:7f00:1]:{port}/ok",
]


@pytest.mark.parametrize("url", PRIVATE + LOOPBACK)
def test_private_address_classes_are_refused(tmp_path: Path, server: Server, url: str) -> None:
    url = url.format(port=server.port)
    [message] = _messages(check_links_online(tmp_path, _links(url), deadline=5.0))
    match = NOT_ASKED.match(message)
    assert match is not None, message  # not "timed out" nor "could not be reached"
    assert match[1] == url
    assert not is_public(ipaddress.ip_address(match[2]))
    assert server.connections == 0


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ],
)
def test_public_addresses_may_be_asked(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_an_allowance_names_one_endpoint(
    tmp_path: Path, server: Server, other: Server, allow: Allow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test hook lets exactly the named address and port through, and fails closed."""
    allow(server)
    found = check_links_online(tmp_path, _links(f"{server.base}/ok", f"{other.base}/ok"))
    assert [NOT_ASKED.match(m) is not None for m in _messages(found)] == [True]
    assert (server.connections, other.connections) == (1, 0)
    monkeypatch.setenv(ALLOW_ENV, "1")  # not an endpoint: allows nothing
    found = check_links_online(tmp_path / "again", _links(f"{other.base}/ok"))
    assert NOT_ASKED.match(_messages(found)[0])
    assert other.connections == 0


@pytest.mark.parametrize(
    ("target", "address"),
    [
        ("http://127.0.0.1:{port}/ok", "127.0.0.1"),
        ("http://localhost:{port}/ok", "127.0.0.1"),
        ("http://[::ffff:127.0.0.1]:{port}/ok", "::ffff:7f00:1"),
        ("https://127.0.0.2:{port}/ok", "127.0.0.2"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
    ],
)
def test_a_redirect_to_a_private_address_is_refused(
    tmp_path: Path, server: Server, other: Server, allow: Allow, target: str, address: str
) -> None:
    """The first hop is allowed (it stands for a public host); the hop it redirects to is judged
    afresh and refused before any connection."""
    allow(server)
    target = target.format(port=other.port)
    server.redirects["/hop"] = target
    found = check_links_online(tmp_path, _links(f"{server.base}/hop"))
    assert _messages(found) == [
        f"{server.base}/hop was not checked: it redirects to {target}, "
        f"which resolves to a private address ({address})"
    ]
    assert found[0].hint is not None and found[0].hint.startswith("matrixpipe asks only public")
    assert server.requests == [("HEAD", "/hop")]
    assert other.connections == 0


def test_redirects_are_followed(
    tmp_path: Path, server: Server, other: Server, allow: Allow
) -> None:
    allow(server, other)
    server.redirects.update(
        {
            "/moved": "/gone",  # relative
            "/away": f"{other.base}/ok",  # another allowed server
            "/loop": "/loop",
            "/file": "file:///etc/passwd",
        }
    )
    urls = [f"{server.base}{path}" for path in ("/moved", "/away", "/loop", "/file")]
    found = check_links_online(tmp_path, _links(*urls))
    assert _messages(found) == [
        f"{server.base}/moved answered HTTP 404",
        f"{server.base}/loop could not be reached: more than {MAX_REDIRECTS} redirects",
        f"{server.base}/file could not be reached: it redirects to file:///etc/passwd, "
        "which is not an http(s) address",
    ]
    assert ("HEAD", "/gone") in server.requests
    assert other.requests == [("HEAD", "/ok")]
    assert server.requests.count(("HEAD", "/loop")) == MAX_REDIRECTS + 1


def test_a_dripping_server_is_cut_off_at_the_deadline(
    tmp_path: Path, server: Server, allow: Allow
) -> None:
    """A byte every half second never trips a per-read timeout; the request's deadline ends it."""
    allow(server)
    url = f"{server.base}/drip"
    started = time.monotonic()
    found = check_links_online(tmp_path, _links(url), deadline=2.0)
    took = time.monotonic() - started
    assert _messages(found) == [f"{url} timed out: it did not answer within 2 s"]
    assert 1.9 <= took < 3.5
    assert server.dripped >= 3  # the server was answering, slowly, when it was cut off
    assert server.requests == [("HEAD", "/drip")]


# --- HTTPS: a test certificate authority, trusted through SSL_CERT_FILE -------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA and a certificate for the name `localhost` (no IP address), made with openssl."""
    folder = tmp_path_factory.mktemp("tls")
    command = shutil.which("openssl")
    if command is None:
        pytest.fail("openssl is not installed: install it with `apt-get install openssl`")

    def openssl(*args: str) -> None:
        subprocess.run([command, *args], cwd=folder, check=True, capture_output=True)

    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=matrixpipe test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    openssl("req", *key, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost")
    (folder / "leaf.ext").write_text(
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
        "keyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n"
    )
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext")  # fmt: skip
    return folder


@pytest.fixture
def tls_server(
    certificates: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Server, list[str | None]]]:
    """An HTTPS server for `localhost` whose CA the checker trusts; and the SNI names it saw."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates / "ca.pem"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates / "leaf.pem", certificates / "leaf.key")
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    for httpd in _serve(context):
        yield httpd, names


def test_https_to_the_judged_address_verifies_the_host_name(
    tmp_path: Path, tls_server: tuple[Server, list[str | None]], allow: Allow
) -> None:
    """The connection goes to the address judged, yet TLS sends and verifies the link's host."""
    server, names = tls_server
    allow(server)
    url = f"https://localhost:{server.port}"
    found = check_links_online(tmp_path, _links(f"{url}/ok", f"{url}/gone"))
    assert _messages(found) == [f"{url}/gone answered HTTP 404"]
    assert sorted(server.requests) == [("HEAD", "/gone"), ("HEAD", "/ok")]
    assert set(names) == {"localhost"}
    assert set(server.hosts) == {f"localhost:{server.port}"}


def test_https_with_a_certificate_for_another_name_is_not_trusted(
    tmp_path: Path, tls_server: tuple[Server, list[str | None]], allow: Allow
) -> None:
    server, _ = tls_server
    allow(server)
    url = f"https://127.0.0.1:{server.port}/ok"  # the certificate names localhost only
    [message] = _messages(check_links_online(tmp_path, _links(url)))
    assert message.startswith(f"{url} could not be reached: [SSL: CERTIFICATE_VERIFY_FAILED]")
    assert "mismatch" in message
    assert server.requests == []
