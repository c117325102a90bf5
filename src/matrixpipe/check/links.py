"""Find the links and anchors in a piece of contributor Markdown, with their offsets.

A small scanner rather than a full Markdown parse: links are all the resolve stage needs, and
the offsets must be exact so a finding points at the link itself. Code spans and fenced code are
blanked out first (offsets kept), so an example link inside code is not judged. Every pattern is
linear: its alternatives never overlap, so no input makes it backtrack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"[ ]{0,3}(`{3,}|~{3,})")
_TICKS = re.compile(r"`+")
_INLINE = re.compile(
    r"!?\[(?:[^\[\]\n\\]|\\.|\[[^\[\]\n]*\])*\]"  # [text], one level of nested brackets
    r"\([ \t]*(?P<target><[^<>\n]*>|(?:[^\s()\\]|\\.|\([^\s()]*\))*)"  # (target
    r"(?:[ \t]+(?P<title>\"[^\"\n]*\"|'[^'\n]*'))?[ \t]*\)"  # "title")
)
_REFDEF = re.compile(r"^[ ]{0,3}\[[^\]\n]+\]:[ \t]*(?P<target><[^<>\n]*>|\S+)", re.M)
_AUTOLINK = re.compile(r"<(?P<target>[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>")
_HEADING = re.compile(
    r"^(?P<hashes>#{1,6})[ \t]+(?P<text>[^\n]*?)[ \t]*\{[ \t]*#(?P<anchor>[^\s}]+)[^}\n]*\}[ \t]*$",
    re.M,
)


@dataclass(frozen=True)
class Link:
    """A link found in Markdown: its target as written and the offset of the target."""

    target: str
    offset: int
    title: str | None = None
    lead: str = ""
    """The characters just before the target (`](`, `<`): they tell the target from link text."""


@dataclass(frozen=True)
class Heading:
    """A heading with an explicit `{#anchor}`."""

    anchor: str
    text: str
    level: int
    offset: int


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def _without_fences(text: str) -> str:
    """Blank fenced blocks line by line; an unclosed fence runs to the end, as in CommonMark."""
    out: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
            out.append(_blank(line))
        elif fence is not None:
            if (
                m
                and m.group(1)[0] == fence[0]
                and len(m.group(1)) >= len(fence)
                and not line[m.end() :].strip()
            ):
                fence = None
            out.append(_blank(line))
        else:
            out.append(line)
    return "\n".join(out)


def _without_spans(text: str) -> str:
    """Blank code spans: a run of backticks closes at the next run of the same length."""
    parts: list[str] = []
    done = 0
    open_run: re.Match[str] | None = None
    for run in _TICKS.finditer(text):
        if open_run is None:
            open_run = run
        elif len(run.group()) == len(open_run.group()):
            parts.append(text[done : open_run.start()])
            parts.append(_blank(text[open_run.start() : run.end()]))
            done = run.end()
            open_run = None
    parts.append(text[done:])
    return "".join(parts)


def without_code(text: str) -> str:
    """The text with fenced code and code spans replaced by spaces (same length, same lines)."""
    return _without_spans(_without_fences(text))


def find_links(text: str) -> list[Link]:
    """Every inline link, image, reference definition and autolink, in order of appearance."""
    plain = without_code(text)
    links: list[Link] = []
    for pattern in (_INLINE, _REFDEF, _AUTOLINK):
        for m in pattern.finditer(plain):
            target = m.group("target")
            offset = m.start("target")
            if target.startswith("<") and target.endswith(">"):
                target, offset = target[1:-1], offset + 1
            title = m.groupdict().get("title")
            lead = text[max(0, offset - 2) : offset]
            links.append(Link(target, offset, title[1:-1] if title else None, lead))
    return sorted(links, key=lambda link: link.offset)


def find_headings(text: str) -> list[Heading]:
    """Headings that carry an explicit anchor, such as `## Issues {#issues}`."""
    plain = without_code(text)
    return [
        Heading(m.group("anchor"), m.group("text"), len(m.group("hashes")), m.start("anchor"))
        for m in _HEADING.finditer(plain)
    ]
