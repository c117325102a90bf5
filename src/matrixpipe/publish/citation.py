"""A study's formatted reference, from citeproc-py and the bundled CSL style (APA).

The same CSL-JSON item the downloads carry goes through a real CSL processor, so the reference on
the site matches what a reader's reference manager would produce from the download.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from matrixpipe.publish.memo import Memo

if TYPE_CHECKING:
    from citeproc import CitationStylesStyle

STYLE = "apa"
_ESCAPED = ("title", "publisher", "genre", "URL", "DOI", "container-title")
_NAMES = ("author", "editor")
"""Name variables the style prints (the author, or an editor in its place)."""


def style_path() -> str:
    """Where the bundled CSL file lives (inside the installed package)."""
    return str(files("matrixpipe") / "data" / "csl" / f"{STYLE}.csl")


@cache
def load_style(validate: bool = False) -> CitationStylesStyle:
    """The parsed style, once per process (`validate` checks it against the CSL 1.0 schema)."""
    from citeproc import CitationStylesStyle

    return CitationStylesStyle(style_path(), validate=validate)


def format_reference(item: dict[str, Any], as_html: bool) -> str:
    """Format one CSL-JSON item as a bibliography entry."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    if as_html:
        item = _escaped(item)
    source = CiteProcJSON([item])
    bibliography = CitationStylesBibliography(
        load_style(), source, formatter.html if as_html else formatter.plain
    )
    bibliography.register(Citation([CitationItem(item["id"])]))
    return str(bibliography.bibliography()[0])


def _escaped(item: dict[str, Any]) -> dict[str, Any]:
    """The item with every value the style prints HTML-escaped: citeproc-py's HTML formatter
    escapes its own punctuation but not the item's text, and names (an author's, a body's) are
    contributors' text like any other."""
    out = {k: html.escape(v, quote=False) if k in _ESCAPED else v for k, v in item.items()}
    for role in _NAMES:
        if role in out:
            out[role] = [
                {part: html.escape(v, quote=False) for part, v in name.items()}
                for name in out[role]
            ]
    return out


def citation_html(item: dict[str, Any]) -> str:
    """A study's APA reference as an HTML fragment (the title in `<i>`), from its CSL-JSON item
    (`PublicView.csl`, built once per study)."""
    key = Memo.key(json.dumps(item, sort_keys=True))
    formatted = _FORMATTED.get(key)
    if formatted is None:
        # citeproc-py takes about a millisecond per reference: the site page, the copy button
        # and the API all ask for the same study, so format it once (and keep it between runs).
        formatted = format_reference(item, as_html=True)
        _FORMATTED.put(key, formatted)
    return formatted


def citation_text(citation: str) -> str:
    """A reference as plain text, for a copy button: its HTML (`citation_html`) without tags."""
    return html.unescape(_TAGS.sub("", citation))


_FORMATTED: Memo[str] = Memo("citations", lambda v: isinstance(v, str))
_TAGS = re.compile(r"<[^>]+>")
