"""`check --online`: do the external links still answer? Concurrent, polite and cached.

One request per unique URL, a cap on parallel requests (and on requests to one host at a time),
timeouts, and a cache of results in `.matrixpipe-cache/` so a second run within a day asks nobody.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from matrixpipe import __version__
from matrixpipe.diagnostics import Diagnostic
from matrixpipe.fsutil import write_atomic
from matrixpipe.resolve import ExternalLink
from matrixpipe.rules import finding

CACHE_FILE = Path(".matrixpipe-cache") / "links.json"
CACHE_SECONDS = 24 * 3600
MAX_WORKERS = 8
PER_HOST = 2
TIMEOUT = 10.0
_AGENT = f"matrixpipe/{__version__} (link checker)"


def check_links_online(repo: Path, links: list[ExternalLink]) -> list[Diagnostic]:
    """A warning at every place a dead link is written, with the status it gave."""
    cache_path = repo / CACHE_FILE
    cache = _read_cache(cache_path)
    now = time.time()
    urls = sorted({link.url for link in links})
    todo = [u for u in urls if now - cache.get(u, {}).get("at", 0) > CACHE_SECONDS]
    for url, status in zip(todo, _probe_all(todo), strict=True):
        cache[url] = {"status": status, "at": now}
    if todo:
        write_atomic(cache_path, json.dumps(cache, indent=1, sort_keys=True))
    found = []
    for link in links:
        status = cache[link.url]["status"]
        if not _alive(status):
            line, column = link.where()
            found.append(
                finding(
                    "MP313",
                    link.path,
                    line,
                    column,
                    f"{link.url} answered {_describe(status)}",
                    "update the address, or link to an archived copy",
                )
            )
    return found


def _probe_all(urls: list[str]) -> list[int | str]:
    hosts: dict[str, threading.Semaphore] = defaultdict(lambda: threading.Semaphore(PER_HOST))
    for url in urls:  # create every semaphore before the threads start
        hosts[urlsplit(url).netloc.lower()]

    def probe(url: str) -> int | str:
        with hosts[urlsplit(url).netloc.lower()]:
            return _probe(url)

    with ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
        return list(pool.map(probe, urls))


def _probe(url: str) -> int | str:
    """The HTTP status of a HEAD request (GET if HEAD is refused), or the network error."""
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method, headers={"User-Agent": _AGENT})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            if method == "HEAD" and exc.code in (403, 405, 501):
                continue
            return int(exc.code)
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            return f"error: {reason}"
    return "error: no answer"  # pragma: no cover - the loop always returns


def _alive(status: int | str) -> bool:
    return isinstance(status, int) and status < 400


def _describe(status: int | str) -> str:
    return f"HTTP {status}" if isinstance(status, int) else str(status)


def _read_cache(path: Path) -> dict[str, dict[str, float | int | str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
