"""Atom and RSS feeds of additions and changes: one for the site, one per cell.

Dates come from Git history (one walk for all entries). An entry that was never committed has no
date and is left out of the feeds: a feed item stands for a change that happened in the
collection's history, and file modification times change with every checkout.

Summaries are plain text, made by the same sanitising converter as the site (so raw HTML, which
the site drops, is not in them either): an Atom summary says `type="text"`, and an RSS
description, which readers render as HTML, holds the text escaped.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache

from matrixpipe import models
from matrixpipe.git.history import EntryDates
from matrixpipe.publish.context import RenderContext
from matrixpipe.publish.markdown import shorten
from matrixpipe.publish.pages.parts import long_date
from matrixpipe.publish.sanitize import contributor_html, html_text

ATOM = "http://www.w3.org/2005/Atom"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ET.register_namespace("atom", ATOM)
LIMIT = 50
"""Items per feed: the newest changes only, so a large collection keeps small feeds."""


@dataclass(frozen=True)
class FeedItem:
    """One addition or change, as feeds show it."""

    title: str
    url: str
    published: datetime
    updated: datetime
    lead: str
    """Plain text: when it was added or changed (and, for a bite, what it is)."""
    markdown: str = ""
    """The contributor's summary, made plain text only for the items a feed shows."""

    @property
    def summary(self) -> str:
        return self.lead + (summary_text(self.markdown) if self.markdown else "")


@dataclass(frozen=True)
class Feed:
    """A feed's own title, where it lives and what it is about, and its items."""

    title: str
    page_url: str
    atom_path: str
    rss_path: str
    items: list[FeedItem]


def render_feeds(ctx: RenderContext) -> dict[str, str]:
    """Every feed, as docs path → XML text: the site's, then one Atom and one RSS per cell."""
    site_items: list[FeedItem] = []
    by_cell: dict[str, list[FeedItem]] = {key: [] for key in ctx.view.cells}
    for study in ctx.view.studies:
        item = _study_item(ctx, study)
        if item is None:
            continue
        site_items.append(item)
        for cell, _ in ctx.view.placements_of(study):
            by_cell[cell.key].append(item)
    for key, cell in ctx.view.cells.items():
        dates = ctx.dates(cell.entry_path) if cell.text else None
        if dates is not None:
            summary = f"The bite of {cell.title}."
            url = ctx.url(ctx.cell_path(key))
            item = FeedItem(cell.title, url, dates.added, dates.updated, _when(dates) + summary)
            site_items.append(item)
            by_cell[key].append(item)
    feeds = [Feed(ctx.site.title, ctx.url("index.md"), "feed.atom.xml", "feed.rss.xml", site_items)]
    for key, items in by_cell.items():
        page = ctx.view.cells[key]
        feeds.append(
            Feed(
                f"{page.title} ({ctx.site.title})",
                ctx.url(ctx.cell_path(key)),
                ctx.cell_feed(key, "atom"),
                ctx.cell_feed(key, "rss"),
                items,
            )
        )
    out: dict[str, str] = {}
    for feed in feeds:
        items = sorted(feed.items, key=lambda i: (i.updated, i.url), reverse=True)[:LIMIT]
        shown = Feed(feed.title, feed.page_url, feed.atom_path, feed.rss_path, items)
        out[feed.atom_path] = atom(ctx, shown)
        out[feed.rss_path] = rss(ctx, shown)
    return out


def _study_item(ctx: RenderContext, study: models.Study) -> FeedItem | None:
    dates = ctx.dates(ctx.study_file(study.id))
    if dates is None:
        return None
    url = ctx.url(ctx.study_path(study.id))
    return FeedItem(study.title, url, dates.added, dates.updated, _when(dates), study.summary)


@lru_cache(maxsize=4096)
def summary_text(markdown: str, limit: int = 400) -> str:
    """What a reader sees of a summary on the site, as plain text: the same sanitising
    converter, its links reduced to their text, then shortened."""
    return shorten(html_text(contributor_html(markdown, lambda target: None)), limit)


def _when(dates: EntryDates) -> str:
    if dates.added == dates.updated:
        return f"Added on {long_date(dates.added)}. "
    return f"Changed on {long_date(dates.updated)} (added {long_date(dates.added)}). "


def _newest(feed: Feed, ctx: RenderContext) -> datetime:
    """The feed's own date: its newest item, else the collection's newest change.

    Never the build time, so an unchanged collection renders byte-identical feeds.
    """
    if feed.items:
        return max(i.updated for i in feed.items)
    return max((d.updated for d in ctx.history.dates.values()), default=_EPOCH)


def atom(ctx: RenderContext, feed: Feed) -> str:
    """An Atom 1.0 document (RFC 4287)."""
    root = ET.Element("feed", xmlns=ATOM)  # plain tags: Atom is the default namespace
    _sub(root, "title", feed.title)
    _sub(root, "id", ctx.url(feed.atom_path))
    _sub(root, "updated", _newest(feed, ctx).isoformat())
    ET.SubElement(root, "link", rel="self", href=ctx.url(feed.atom_path))
    ET.SubElement(root, "link", rel="alternate", href=feed.page_url)
    author = ET.SubElement(root, "author")
    _sub(author, "name", ctx.site.title)
    for item in feed.items:
        entry = ET.SubElement(root, "entry")
        _sub(entry, "title", item.title)
        _sub(entry, "id", item.url)
        ET.SubElement(entry, "link", rel="alternate", href=item.url)
        _sub(entry, "published", item.published.isoformat())
        _sub(entry, "updated", item.updated.isoformat())
        _sub(entry, "summary", item.summary).set("type", "text")  # plain text, never HTML
    return _xml(root)


def rss(ctx: RenderContext, feed: Feed) -> str:
    """An RSS 2.0 document, with an atom:link to itself as the RSS Advisory Board advises."""
    root = ET.Element("rss", version="2.0")
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = feed.title
    ET.SubElement(channel, "link").text = feed.page_url
    ET.SubElement(channel, "description").text = f"Additions and changes: {feed.title}"
    ET.SubElement(channel, "lastBuildDate").text = format_datetime(_newest(feed, ctx))
    ET.SubElement(
        channel,
        f"{{{ATOM}}}link",
        href=ctx.url(feed.rss_path),
        rel="self",
        type="application/rss+xml",
    )
    for item in feed.items:
        node = ET.SubElement(channel, "item")
        ET.SubElement(node, "title").text = item.title
        ET.SubElement(node, "link").text = item.url
        ET.SubElement(node, "guid", isPermaLink="true").text = item.url
        ET.SubElement(node, "pubDate").text = format_datetime(item.updated)
        # An RSS description is HTML by convention (readers render it): escape the plain text, so
        # contributor text such as `<img onerror=…>` arrives as the words it is.
        ET.SubElement(node, "description").text = html.escape(item.summary, quote=False)
    return _xml(root)


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    node = ET.SubElement(parent, tag)
    node.text = text
    return node


def _xml(root: ET.Element) -> str:
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + text + "\n"
