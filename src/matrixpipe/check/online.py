"""`check --online`: do the external links still answer? Concurrent, polite, bounded and cached.

One request per unique URL, a cap on parallel requests (and on requests to one host at a time), and
a cache of results so a second run within a day asks nobody. The links are written by strangers
and the check runs unattended in CI, so every request is bounded and confined:

- one deadline (`DEADLINE`) for the whole probe of a link: resolving the name, connecting, TLS,
  every redirect and reading the status. A per-read timeout would let a server that drips a byte
  at a time hold the check for ever.
- only public addresses are asked. A host name is resolved once and every address it gives is
  judged: loopback, private, link-local, multicast, reserved and unspecified addresses are
  refused, IPv4 carried inside IPv6 too, on every hop of a redirect. The connection goes to the
  very address that was judged, so a second look-up cannot be rebound to an internal one; HTTPS
  still verifies the certificate for the host name, sent as SNI.
- the cache lives outside the repository, in the collection's signed cache folder
  (`matrixpipe.check.cache`), so no pull request can commit a result, and every entry read back is
  shape-checked.

`MATRIXPIPE_ONLINE_ALLOW_PRIVATE` is for tests only: a comma-separated list of `address:port`
endpoints (`127.0.0.1:8123,[::1]:8123`) that may be asked although they are not public, so tests
can run servers on the loopback interface. Anything else in it allows nothing. Never set it
where links are checked for real.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import ssl
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import quote, urljoin, urlsplit

from matrixpipe import __version__
from matrixpipe.check.cache import cache_dir, read_cache_file, write_cache_file
from matrixpipe.check.resolve import ExternalLink
from matrixpipe.diagnostics import Diagnostic
from matrixpipe.rules import finding

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

CACHE_FILE = "links.marshal"
"""The link cache's name in the collection's cache folder (`matrixpipe.check.cache.cache_dir`)."""
CACHE_SECONDS = 24 * 3600
DEADLINE = 15.0
"""Seconds for the whole probe of one link, redirects and the GET after a refused HEAD included."""
MAX_REDIRECTS = 5
MAX_WORKERS = 8
PER_HOST = 2
ALLOW_ENV = "MATRIXPIPE_ONLINE_ALLOW_PRIVATE"
_AGENT = f"matrixpipe/{__version__} (link checker)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SAFE = "!#$%&'()*+,/:;=?@[]~"  # kept as written in a request target; the rest is percent-encoded
_SHOWN = 200  # characters of a server's text (an address, an error) quoted in a finding
_NOT_ASKED_HINT = (
    "matrixpipe asks only public addresses (no loopback, private, link-local, multicast or "
    "reserved ones); link to a public address"
)
_DEAD_HINT = "update the address, or link to an archived copy"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Endpoint = tuple[IPAddress, int]
Resolved = list[tuple[socket.AddressFamily, tuple[Any, ...]]]


class CacheEntry(TypedDict):
    """One link's result in the cache: its status and when it was asked (`time.time()`)."""

    status: int | str
    at: float


@dataclass(frozen=True)
class Probe:
    """What asking one link gave: an HTTP status, or what went wrong as a phrase after the URL."""

    status: int | str
    refused: bool = False
    """Not asked at all (a private address): depends on this machine, so never cached."""


def check_links_online(
    repo: Path, links: list[ExternalLink], *, deadline: float = DEADLINE
) -> list[Diagnostic]:
    """A warning at every place a dead or unaskable link is written, saying what it gave."""
    file = cache_dir(repo) / CACHE_FILE
    now = time.time()
    cache = _read_cache(file, now)
    urls = sorted({link.url for link in links})
    results = {url: Probe(cache[url]["status"]) for url in urls if url in cache}
    todo = [url for url in urls if url not in results]
    probes = _probe_all(todo, deadline, _allowed(os.environ.get(ALLOW_ENV, "")))
    for url, probe in zip(todo, probes, strict=True):
        results[url] = probe
        if not probe.refused:
            cache[url] = {"status": probe.status, "at": now}
    if any(not probe.refused for probe in probes):
        write_cache_file(file, cache)
    found = []
    for link in links:
        probe = results[link.url]
        if not _alive(probe.status):
            line, column = link.where()
            found.append(
                finding(
                    "MP313",
                    link.path,
                    line,
                    column,
                    _message(link.url, probe.status),
                    _NOT_ASKED_HINT if probe.refused else _DEAD_HINT,
                )
            )
    return found


def is_public(ip: IPAddress) -> bool:
    """Whether an address may be asked: global unicast only. An IPv4 address inside an IPv6 one
    (IPv4-mapped, NAT64, 6to4) is judged as well, since that is where the packets go."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF))
        if ip.sixtofour is not None and not is_public(ip.sixtofour):
            return False
    flags = (ip.is_private, ip.is_loopback, ip.is_link_local, ip.is_multicast, ip.is_reserved)
    return ip.is_global and not ip.is_unspecified and not any(flags)


def _allowed(value: str) -> frozenset[Endpoint]:
    """The endpoints named by MATRIXPIPE_ONLINE_ALLOW_PRIVATE (tests only); an item that is not
    `address:port` allows nothing, so a mistake fails closed."""
    endpoints: set[Endpoint] = set()
    for item in value.split(","):
        address, _, port = item.strip().rpartition(":")
        try:
            endpoints.add(
                (ipaddress.ip_address(address.removeprefix("[").removesuffix("]")), int(port))
            )
        except ValueError:
            continue
    return frozenset(endpoints)


def _probe_all(urls: list[str], seconds: float, allowed: frozenset[Endpoint]) -> list[Probe]:
    if not urls:
        return []
    tls = ssl.create_default_context()  # certificates and host names verified
    tls.sslsocket_class = _DeadlineSSLSocket
    hosts: dict[str, threading.Semaphore] = defaultdict(lambda: threading.Semaphore(PER_HOST))
    for url in urls:  # create every semaphore before the threads start
        hosts[urlsplit(url).netloc.lower()]

    def probe(url: str) -> Probe:
        with hosts[urlsplit(url).netloc.lower()]:
            return _probe(url, seconds, allowed, tls)

    with ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
        return list(pool.map(probe, urls))


class _Refused(Exception):
    """A hop resolves to an address that must not be asked."""

    def __init__(self, hop: str, address: IPAddress) -> None:
        super().__init__(hop, address)
        self.hop = hop
        self.address = address


class _Unreachable(Exception):
    """A link that cannot be asked, for a reason given as a phrase."""


def _probe(url: str, seconds: float, allowed: frozenset[Endpoint], tls: ssl.SSLContext) -> Probe:
    """The status of a HEAD request (GET if HEAD is refused), redirects followed, all within one
    deadline."""
    deadline = time.monotonic() + seconds
    try:
        for method in ("HEAD", "GET"):
            status = _follow(method, url, deadline, allowed, tls)
            if method == "GET" or status not in (403, 405, 501):
                return Probe(status)
    except _Refused as exc:
        via = "" if exc.hop == url else f"redirects to {_shown(exc.hop)}, which "
        return Probe(
            f"was not checked: it {via}resolves to a private address ({exc.address})", refused=True
        )
    except _Unreachable as exc:
        return Probe(f"could not be reached: {exc}")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if isinstance(exc, TimeoutError) or time.monotonic() >= deadline:
            return Probe(f"timed out: it did not answer within {seconds:g} s")
        return Probe(f"could not be reached: {_shown(str(exc) or type(exc).__name__)}")
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns


def _follow(
    method: str, url: str, deadline: float, allowed: frozenset[Endpoint], tls: ssl.SSLContext
) -> int:
    """The final status of a request, every hop judged afresh before it is asked."""
    hop = url
    for _ in range(MAX_REDIRECTS + 1):
        status, location = _ask(method, hop, deadline, allowed, tls)
        if status not in _REDIRECTS or location is None:
            return status
        hop = urljoin(hop, location.strip())
        if urlsplit(hop).scheme not in ("http", "https"):
            raise _Unreachable(f"it redirects to {_shown(hop)}, which is not an http(s) address")
    raise _Unreachable(f"more than {MAX_REDIRECTS} redirects")


def _ask(
    method: str, url: str, deadline: float, allowed: frozenset[Endpoint], tls: ssl.SSLContext
) -> tuple[int, str | None]:
    """One request to one judged address: its status and where it redirects to."""
    parts = urlsplit(url)
    host, secure = parts.hostname, parts.scheme == "https"
    if parts.scheme not in ("http", "https") or not host:
        raise _Unreachable("it is not an http(s) address with a host")
    port = parts.port or (443 if secure else 80)
    addresses = _resolve(host, port, deadline)
    for _, sockaddr in addresses:
        address = ipaddress.ip_address(sockaddr[0])
        if not is_public(address) and (address, port) not in allowed:
            raise _Refused(url, address)
    target = quote(parts.path or "/", safe=_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_SAFE)
    connection = _Connection(host, port, addresses, deadline, tls if secure else None)
    try:
        connection.request(
            method, target, headers={"User-Agent": _AGENT, "Accept": "*/*", "Connection": "close"}
        )
        with connection.getresponse() as response:  # the body is never read
            return response.status, response.getheader("Location")
    finally:
        connection.close()


def _resolve(host: str, port: int, deadline: float) -> Resolved:
    """Every TCP address of a host, looked up once. The look-up cannot be interrupted, so it runs
    in a helper thread that is abandoned if it outlasts the deadline."""
    box: list[Any] = []

    def look_up() -> None:
        try:
            box.append(socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, socket.IPPROTO_TCP))
        except (OSError, UnicodeError) as exc:  # UnicodeError: a name IDNA cannot encode
            box.append(exc)

    thread = threading.Thread(target=look_up, name="matrixpipe-resolve", daemon=True)
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()))
    if not box:
        raise TimeoutError(f"resolving {host}")
    if isinstance(box[0], Exception):
        raise box[0]
    found: Resolved = []
    for family, _, _, _, sockaddr in box[0]:
        if family in (socket.AF_INET, socket.AF_INET6) and (family, sockaddr) not in found:
            found.append((family, sockaddr))
    if not found:
        raise _Unreachable(f"{_shown(host)} has no internet address")
    return found


class _DeadlineSocket(socket.socket):
    """A socket whose every wait ends by one deadline (monotonic clock): each read, write or
    connect may take only the time that is left of the whole request."""

    deadline: float = 0.0  # set before use; unset, every operation times out at once

    def arm(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        self.settimeout(left)

    def recv_into(self, *args: Any, **kwargs: Any) -> int:
        self.arm()
        return super().recv_into(*args, **kwargs)

    def recv(self, *args: Any, **kwargs: Any) -> bytes:
        self.arm()
        return super().recv(*args, **kwargs)

    def sendall(self, data: ReadableBuffer, flags: int = 0) -> None:
        self.arm()
        super().sendall(data, flags)


class _DeadlineSSLSocket(_DeadlineSocket, ssl.SSLSocket):
    """The TLS socket of a `_Connection` (set as the context's `sslsocket_class`)."""


class _Connection(http.client.HTTPConnection):
    """HTTP or HTTPS to addresses already resolved and judged: no second look-up that could be
    rebound between the judgement and the connection. TLS verifies the certificate for the host
    name of the link, which it also sends as SNI."""

    def __init__(
        self,
        host: str,
        port: int,
        addresses: Resolved,
        deadline: float,
        tls: ssl.SSLContext | None,
    ) -> None:
        super().__init__(host, port)
        self.default_port = 443 if tls else 80  # so the Host header names no default port
        self.addresses = addresses
        self.deadline = deadline
        self.tls = tls

    def connect(self) -> None:
        sock = self._connect_any()
        if self.tls is not None:
            try:
                sock = self.tls.wrap_socket(
                    sock, server_hostname=self.host, do_handshake_on_connect=False
                )
                sock.deadline = self.deadline
                sock.arm()
                sock.do_handshake()
            except BaseException:
                sock.close()
                raise
        self.sock = sock

    def _connect_any(self) -> _DeadlineSocket:
        """A connected socket to the first judged address that answers."""
        error: OSError = OSError("no address")
        for family, sockaddr in self.addresses:
            sock = _DeadlineSocket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.deadline = self.deadline
            try:
                sock.arm()
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                if isinstance(exc, TimeoutError):
                    raise
                error = exc
                continue
            return sock
        raise error


def _alive(status: int | str) -> bool:
    return isinstance(status, int) and status < 400


def _message(url: str, status: int | str) -> str:
    return f"{url} answered HTTP {status}" if isinstance(status, int) else f"{url} {status}"


def _shown(text: str) -> str:
    """A server's text cut to a length fit for a finding."""
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _read_cache(file: Path, now: float) -> dict[str, CacheEntry]:
    """The fresh, well-formed entries of the link cache: url → {status: int | str, at: float}.
    Checked though signed: a bad entry costs a request, a trusted one a wrong report."""
    data = read_cache_file(file)
    if not isinstance(data, dict):
        return {}
    fresh: dict[str, CacheEntry] = {}
    for url, entry in data.items():
        if not isinstance(url, str) or not isinstance(entry, dict):
            continue
        status, at = entry.get("status"), entry.get("at")
        known = (type(status) is int and 100 <= status <= 999) or (
            type(status) is str and 0 < len(status) <= 1000
        )
        if known and type(at) is float and now - CACHE_SECONDS <= at <= now:
            fresh[url] = {"status": status, "at": at}
    return fresh
