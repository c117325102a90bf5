"""Markdown helpers: plain text made safe for Markdown, and contributor Markdown made publishable.

Contributor fields (bites, notes, summaries, key points, matrix descriptions) never reach MkDocs
as Markdown. Each is converted on its own by `matrixpipe.publish.sanitize.contributor_html` (the one
converter the site, the feeds and the API share) and placed in the page as one raw HTML block on
one line at column 0, so an unclosed fence, comment or front matter in one fragment cannot swallow
or change what follows, and MkDocs' own extensions never see contributor text. Only a bite's
headings stay Markdown (escaped text, with their `{#anchor}`), so the table of contents and the
permalinks keep working.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from matrixpipe.check.links import without_code
from matrixpipe.publish.sanitize import CLASSES, SAFE_ID, Resolve, contributor_html

# Python-Markdown's backslash-escapable characters that can change meaning mid-line, plus `|`
# (tables). `<`, `>` and `&` become entities instead, so no text can turn into raw HTML.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|])")


def escape(text: str) -> str:
    """Plain text (a title, an organisation) as Markdown that renders exactly as written."""
    flat = " ".join(text.split())
    return _SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def attr(text: str) -> str:
    """Text for a double-quoted HTML attribute or Markdown link title."""
    return html.escape(" ".join(text.split()), quote=True)


_LINK_TEXT = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_MARKS = re.compile(r"[*_`#>]|\{[^}\n]*\}")


def plain_text(markdown: str, limit: int = 0) -> str:
    """Rough plain text of a Markdown fragment, for page descriptions (escaped as they are
    placed: see `parts.front_matter`)."""
    return shorten(" ".join(_MARKS.sub("", _LINK_TEXT.sub(r"\1", markdown)).split()), limit)


def shorten(text: str, limit: int = 0) -> str:
    """`text` cut at a word to at most `limit` characters (0: no limit), marked with '…'."""
    if limit and len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return text


def one_line(html_text: str) -> str:
    """HTML on a single line: newlines and tabs as character references, which mean the same.

    Python-Markdown runs its fence preprocessor before it sets raw HTML aside, so a line of code
    that starts with ``` inside a raw block would be read as a fence; on one line none can.
    """
    return html_text.replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#9;")


def html_block(html_text: str, css_class: str = "mp-md") -> str:
    """Sanitised HTML as a raw HTML block: one `<div>` on one line, or "" for no HTML."""
    return f'<div class="{css_class}">{one_line(html_text)}</div>' if html_text else ""


def unwrap_paragraph(html_text: str) -> str:
    """The content of HTML that is one plain paragraph, so a short note sits in a list item as
    Markdown would put it; any other HTML is returned as it is."""
    if html_text.startswith("<p>") and html_text.endswith("</p>") and html_text.count("<p") == 1:
        return html_text[3:-4]
    return html_text


def fragment(text: str, resolve: Resolve, css_class: str = "mp-md") -> str:
    """One contributor fragment, sanitised, as a raw HTML block ready to place at column 0."""
    return html_block(contributor_html(text, resolve), css_class)


# A heading line as Python-Markdown reads it: hashes at column 0, trailing hashes dropped, then an
# attribute list after a space (markdown.extensions.attr_list.AttrListTreeprocessor.HEADER_RE).
_HEADING = re.compile(r"(?P<hashes>#{1,6})(?P<text>.*?)#*[ \t]*")
_HEADING_ATTRS = re.compile(r"[ \t]+\{:?[ \t]*(?P<attrs>[^}\n \t][^}\n]*?)[ \t]*\}[ \t]*$")
_CLASS = re.compile(r"\.([A-Za-z][A-Za-z0-9_-]{0,79})")


def bite_markdown(bite: str, resolve: Resolve) -> str:
    """A bite as page Markdown: its headings as Markdown headings (with their anchors, for the
    table of contents and permalinks), the text between them as sanitised HTML blocks.

    Headings are found as the check finds anchors: at column 0, outside fenced code and code
    spans; a `#` line inside an unclosed fence stays in that fence's fragment.
    """
    text = bite.strip("\n")
    lines, plain = text.split("\n"), without_code(text).split("\n")
    parts: list[str] = []
    chunk: list[str] = []

    def flush() -> None:
        block = fragment("\n".join(chunk), resolve)
        if block:
            parts.append(block + "\n\n")
        chunk.clear()

    for line, blanked in zip(lines, plain, strict=True):
        m = _HEADING.fullmatch(line) if blanked.startswith("#") else None
        if m is None:
            chunk.append(line)
            continue
        flush()
        parts.append(heading(len(m.group("hashes")), m.group("text"), resolve))
    flush()
    return "".join(parts)


def heading(level: int, written: str, resolve: Resolve) -> str:
    """One bite heading as Markdown: sanitised text (code spans stay code; links, emphasis and
    anything else become their text), and only a safe id and classes kept."""
    attrs = _HEADING_ATTRS.search(written)
    tokens = attrs.group("attrs").split() if attrs else []
    text = written[: attrs.start()] if attrs else written
    anchor = next((t[1:] for t in tokens if t.startswith("#") and SAFE_ID.fullmatch(t[1:])), "")
    classes = [m.group(1) for t in tokens if (m := _CLASS.fullmatch(t)) and m.group(1) in CLASSES]
    title = heading_text(text, resolve) or escape(anchor) or "Section"
    marks = " ".join([f"#{anchor}"] * bool(anchor) + [f".{c}" for c in classes])
    return f"{'#' * level} {title}{f' {{ {marks} }}' if marks else ''}\n\n"


class _HeadingText(HTMLParser):
    """Sanitised HTML → Markdown heading text: code stays code, everything else is plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.code: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "code" and self.code is None:
            self.code = []
        elif tag in ("br", "p", "li", "td", "th", "dt", "dd", "div"):
            self.handle_data(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "code" and self.code is not None:
            self.parts.append(code_span(" ".join("".join(self.code).split())))
            self.code = None

    def handle_data(self, data: str) -> None:
        if self.code is not None:
            self.code.append(data)
        else:
            flat = re.sub(r"\s+", " ", data)
            self.parts.append(_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False)))


def heading_text(text: str, resolve: Resolve) -> str:
    """The Markdown of a heading's text, made from its sanitised HTML."""
    parser = _HeadingText()
    parser.feed(contributor_html(text.strip(), resolve))
    parser.close()
    return " ".join("".join(parser.parts).split())


def code_span(code: str) -> str:
    """`code` as a Markdown code span, fenced by more backticks than it contains."""
    if not code:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{fence}{pad}{code}{pad}{fence}"
