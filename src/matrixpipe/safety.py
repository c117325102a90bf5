"""Content safety checks on contributor text: raw HTML, attribute lists, invisible characters.

The renderer sanitises its output as well; these checks exist so a contributor hears about the
problem at the spot where they wrote it, instead of finding text silently missing on the site.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from matrixpipe.markdown_links import without_code

# Zero-width and bidirectional controls: the "Trojan Source" characters.
INVISIBLE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?=[\s/>])[^<>\n]{0,2000}>|<!--|<\?|<!\[CDATA\[")
_ATTR_LIST = re.compile(r"\{:?[ \t]*([^{}\n]{0,2000})\}")
_SAFE_ATTR = re.compile(r"^(?:#[A-Za-z][A-Za-z0-9_-]*|\.[A-Za-z0-9_-]+|[ \t])*$")
_STRIP = re.compile(r"[\x00-\x20\x7f]+")
MAX_LINKS = 200


@dataclass(frozen=True)
class Spot:
    """Something unsafe found in a text: where (offset) and what."""

    offset: int
    text: str


def invisible(text: str) -> Spot | None:
    """The first invisible or bidirectional control character, if any."""
    m = INVISIBLE.search(text)
    return Spot(m.start(), f"U+{ord(m.group()):04X}") if m else None


_INCLUDE = re.compile(r"^[ \t]*;?-{1,2}8<-{1,2}", re.M)


def includes(text: str) -> list[Spot]:
    """pymdownx.snippets include lines (`--8<-- "file"`) written outside code."""
    return [Spot(m.start(), m.group().strip()) for m in _INCLUDE.finditer(without_code(text))]


def raw_html(text: str) -> list[Spot]:
    """HTML tags and comments written outside code."""
    return [Spot(m.start(), m.group()[:40]) for m in _TAG.finditer(without_code(text))]


def unsafe_attributes(text: str) -> list[Spot]:
    """Attribute lists (`{...}`) that set anything besides ids and classes."""
    spots = []
    for m in _ATTR_LIST.finditer(without_code(text)):
        # Only `#id` (starting with a letter, so it cannot shadow a script global such as
        # `window.__config`) and `.class` tokens are allowed.
        body = m.group(1)
        if ("=" in body or "#" in body) and not _SAFE_ATTR.match(body):
            spots.append(Spot(m.start(), m.group()[:40]))
    return spots


def link_scheme(target: str) -> str:
    """The scheme a browser would see: entities decoded, whitespace and controls removed.

    `jav&#x09;ascript:` and ` JaVaScRiPt:` both come out as `javascript`.
    """
    cleaned = _STRIP.sub("", html.unescape(target))
    scheme, colon, _ = cleaned.partition(":")
    if not colon or "/" in scheme or "#" in scheme or "?" in scheme:
        return ""
    return scheme.lower()
