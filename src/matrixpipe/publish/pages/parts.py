"""Small pieces several pages share: front matter, category badges, the legend, banners."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from datetime import datetime
from typing import Any

from matrixpipe import models
from matrixpipe.publish.markdown import attr

CATEGORY_NAMES: dict[str, tuple[str, str, str]] = {
    "seminal": ("S", "Seminal study", "Seminal studies"),
    "key": ("K", "Key study", "Key studies"),
    "review": ("R", "Review", "Reviews"),
    "guidance": ("G", "Guidance", "Guidance"),
}
"""Per category: the badge letter, one study's label, and the label of the whole group."""


def front_matter(**meta: Any) -> str:
    """YAML front matter; JSON values are valid YAML, so no value can break out of its key.

    Text values are HTML-escaped: MkDocs' Jinja has no autoescape, and Material prints
    `page.meta.title` and `page.meta.description` into `<title>`, the header and a `<meta>`
    attribute as they are (and search shows titles as HTML), so a study titled
    `</title><script>…` must arrive as text.
    """
    lines = [
        f"{key}: {json.dumps(html.escape(value) if isinstance(value, str) else value)}"
        for key, value in meta.items()
        if value is not None
    ]
    return "---\n" + "\n".join(lines) + "\n---\n\n"


def badge(category: str, plural: bool = False) -> str:
    """A category badge: the letter, with its meaning as a tooltip and for screen readers."""
    letter, one, many = CATEGORY_NAMES[category]
    return f'<abbr class="mp-badge mp-badge--{category}" title="{attr(many if plural else one)}">{letter}</abbr>'


def badges(categories: list[str]) -> str:
    """One badge per category, in S, K, R, G order (a Key and Guidance study shows K and G)."""
    ordered = [c for c in models.CATEGORIES if c in categories]
    return " ".join(badge(c) for c in ordered)


def legend() -> str:
    """What the badges mean, as one line under the heading of every listing."""
    items = " ".join(
        f'<span class="mp-legend__item">{badge(c, plural=True)} {CATEGORY_NAMES[c][2]}</span>'
        for c in models.CATEGORIES
    )
    return f'<span class="mp-legend">{items}</span>\n{{: .mp-legend-line }}\n'


def banner(status: str, what: str) -> str:
    """The visible mark of a draft or review entry in a preview build."""
    if status == "published":
        return ""
    label = "Draft" if status == "draft" else "In review"
    # Out of the search index (Material's and Pagefind's): a reader searching finds content.
    return (
        '<div class="admonition warning" data-search-exclude data-pagefind-ignore>'
        f'<p class="admonition-title">{label}: not on the public site</p>'
        f"<p>This {what} is marked <code>{status}</code>. Only preview builds "
        "(<code>--drafts</code>) show it; set <code>status: published</code> to publish it."
        "</p></div>\n\n"
    )


NO_DATE = "n.d."
"""How a study with no year shows its date, as APA has it."""


def year_text(source: models.Source) -> str:
    return str(source.year) if source.year is not None else NO_DATE


def source_html(source: models.Source) -> str:
    """`([UK] Ministry of Justice, 2009)` as HTML, or `(2010)` when no organisation is given."""
    parts = [html.escape(source.organisation)] if source.organisation else []
    parts.append(year_text(source))
    return f"({', '.join(parts)})"


def slug(text: str) -> str:
    """An anchor for an index heading: `England and Wales` → `england-and-wales`."""
    words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", text).lower())
    return "-".join(words) or "other"


def long_date(when: datetime) -> str:
    """`3 March 2024`: unambiguous for readers anywhere."""
    return f"{when.day} {when:%B %Y}"
