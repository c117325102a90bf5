"""Markdown to HTML for the API: the site's own sanitising converter, with absolute site URLs.

Re-users get the same HTML the site shows (`matrixpipe.publish.sanitize.contributor_html`, the one
converter the site, the feeds and the API share): `study:` and `cell:` links become site URLs,
and the result is sanitised to the tags Markdown itself produces, because entries are contributed
text.
"""

from __future__ import annotations

from matrixpipe.publish.files import Urls
from matrixpipe.publish.sanitize import EXTENSIONS, contributor_html

__all__ = ["EXTENSIONS", "MarkdownRenderer", "rewrite_link"]


def rewrite_link(target: str, urls: Urls) -> str:
    """The site URL of a `study:` or `cell:` link; any other target is returned as it is."""
    if target.startswith("study:"):
        study_id, _, anchor = target[6:].partition("#")
        return urls.study(study_id, anchor or None)
    if target.startswith("cell:"):
        key, _, anchor = target[5:].partition("#")
        return urls.cell(key, anchor or None)
    return target


class MarkdownRenderer:
    """Contributor Markdown as sanitised HTML, with links under one base URL."""

    def __init__(self, urls: Urls) -> None:
        self.urls = urls

    def _resolve(self, target: str) -> str:
        return rewrite_link(target, self.urls)

    def html(self, text: str) -> str:
        """Sanitised HTML of `text`; empty text gives empty HTML."""
        return contributor_html(text, self._resolve)
