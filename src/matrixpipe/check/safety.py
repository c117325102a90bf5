"""Content safety checks on contributor text: raw HTML, attribute lists, invisible characters.

The renderer sanitises its output as well; these checks exist so a contributor hears about the
problem at the spot where they wrote it, instead of finding text silently missing on the site.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from matrixpipe.check.links import without_code

# Zero-width and bidirectional controls: the "Trojan Source" characters.
INVISIBLE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?=[\s/>])[^<>\n]{0,2000}>|<!--|<\?|<!\[CDATA\[")
_ATTR_LIST = re.compile(r"\{:?[ \t]*([^{}\n]{0,2000})\}")
_SAFE_ATTR = re.compile(r"^(?:#[A-Za-z][A-Za-z0-9_-]*|\.[A-Za-z0-9_-]+|[ \t])*$")
_CLASS_TOKEN = re.compile(r"(?:^|[ \t])\.([^\s{}]*)")
_STRIP = re.compile(r"[\x00-\x20\x7f]+")
MAX_LINKS = 200
"""Links, and openings of links (`[`) and autolinks (`<https:`), per Markdown field. Python-Markdown
scans ahead from every unmatched opening, so their number times the field's length bounds its work."""
MAX_MARKDOWN = 64 * 1024
"""Characters in one Markdown field: a bite of a few pages is a tenth of it."""
MAX_DEPTH = 16
"""Nesting of lists and block quotes: real entries use three; hundreds exhaust the converter."""

ADMONITIONS = frozenset(
    {"note", "abstract", "summary", "tldr", "info", "todo", "tip", "hint", "important"}
    | {"success", "check", "done", "question", "help", "faq", "warning", "caution", "attention"}
    | {"failure", "fail", "missing", "danger", "error", "bug", "example", "quote", "cite"}
)
"""Material's admonition types: the only classes a contributor may set (`{: .note }`). Theme
classes (`md-*`) could restyle the page itself, e.g. cover it with a fake consent dialog."""


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
    """Attribute lists (`{...}`) that set anything besides ids and the allowed classes."""
    spots = []
    for m in _ATTR_LIST.finditer(without_code(text)):
        # Only `#id` (starting with a letter, so it cannot shadow a script global such as
        # `window.__config`) and `.class` tokens naming an admonition type are allowed.
        body = m.group(1)
        unsafe = ("=" in body or "#" in body) and not _SAFE_ATTR.match(body)
        classes = _CLASS_TOKEN.findall(body) if "." in body else []
        if unsafe or any(c not in ADMONITIONS for c in classes):
            spots.append(Spot(m.start(), m.group()[:40]))
    return spots


_NESTING = re.compile(r"(?:[ \t]*(?:[-*+]|\d{1,9}[.)]|>)(?=[ \t]|$))+")
_MARKER = re.compile(r"[-*+>]|\d{1,9}[.)]")


def too_deep(text: str) -> Spot | None:
    """The first line nested deeper than MAX_DEPTH: list markers and quote marks at its start,
    plus its indentation in steps of four (a tab is four)."""
    for m in re.finditer(r"^[^\n]*", without_code(text), re.M):
        line = m.group()
        if not line or line[0] not in " \t-*+>0123456789":
            continue
        indent = len(line) - len(line.lstrip(" \t"))
        width = len(line[:indent].expandtabs(4))
        markers = _NESTING.match(line)
        depth = width // 4 + (len(_MARKER.findall(markers.group())) if markers else 0)
        if depth > MAX_DEPTH:
            return Spot(m.start(), line.strip()[:40])
    return None


_OPENING = re.compile(r"\[|<[A-Za-z][A-Za-z0-9+.-]{0,31}:")


def openings(text: str) -> list[int]:
    """Offsets of every `[` and every `<scheme:` outside code, complete links or not."""
    return [m.start() for m in _OPENING.finditer(without_code(text))]


def link_scheme(target: str) -> str:
    """The scheme a browser would see: entities decoded, whitespace and controls removed.

    `jav&#x09;ascript:` and ` JaVaScRiPt:` both come out as `javascript`.
    """
    cleaned = _STRIP.sub("", html.unescape(target))
    scheme, colon, _ = cleaned.partition(":")
    if not colon or "/" in scheme or "#" in scheme or "?" in scheme:
        return ""
    return scheme.lower()


@dataclass(frozen=True)
class Excess:
    """A Markdown field beyond the bounds on the work it can cause: which rule, and where."""

    code: str
    offset: int
    snippet: str
    message: str
    hint: str


def excess(text: str) -> Excess | None:
    """The first bound a Markdown field breaks: its length (MP414), its nesting (MP413), or its
    openings of links, which the converter scans ahead from (MP409). Within all three, any field
    converts in well under a second; the renderer's guard stops the rest (`sanitize`)."""
    if len(text) > MAX_MARKDOWN:
        lead = len(text) - len(text.lstrip())
        return Excess(
            "MP414",
            lead,
            text[lead : lead + 40],
            f"{len(text):,} characters in one Markdown field (at most {MAX_MARKDOWN:,})",
            "shorten it, or split the text over sections or entries",
        )
    deep = too_deep(text)
    if deep is not None:
        return Excess(
            "MP413",
            deep.offset,
            deep.text,
            f"lists or quotes nested more than {MAX_DEPTH} levels deep",
            "flatten the list: entries need two or three levels at most",
        )
    opened = openings(text)
    if len(opened) > MAX_LINKS:
        nth = opened[MAX_LINKS]
        return Excess(
            "MP409",
            nth,
            text[nth : nth + 20],
            f"{len(opened)} links or openings of links (`[`, `<https:`) in one field (at most "
            f"{MAX_LINKS})",
            "split the text, or link to a page that lists the documents; write literal "
            "brackets inside `code`",
        )
    return None
