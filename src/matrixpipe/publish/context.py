"""What every page renderer needs to know: what is visible, where each page lives, how to link.

Built once per render, so no renderer re-scans the collection: visibility and paths are lookups.
Page paths are docs-relative Markdown files (`alcohol/E5.md`, `studies/<id>.md`); MkDocs turns
them into the stable URLs `/alcohol/E5/` and `/studies/<id>/`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import quote

from matrixpipe import models
from matrixpipe.check.resolve import CellPage, Collection, Listing
from matrixpipe.config import SiteConfig
from matrixpipe.git.history import EntryDates, History

API_ROOT = "api/v1"
DOWNLOADS_ROOT = "downloads"


@dataclass
class RenderContext:
    """The resolved collection plus the choices of this render (public or preview with drafts)."""

    collection: Collection
    site: SiteConfig
    drafts: bool = False
    history: History = field(default_factory=History)

    # -- visibility -------------------------------------------------------------------------

    def shows(self, status: str) -> bool:
        """Only published entries reach the public site; a preview (`--drafts`) shows all."""
        return self.drafts or status == "published"

    def study_visible(self, study_id: str) -> bool:
        study = self.collection.studies.get(study_id)
        return study is not None and self.shows(study.status)

    def studies(self) -> list[models.Study]:
        """Visible studies, sorted by id so every page and feed is stable."""
        return self._studies

    @cached_property
    def _studies(self) -> list[models.Study]:
        return sorted(
            (s for s in self.collection.studies.values() if self.shows(s.status)),
            key=lambda s: s.id,
        )

    def bite_visible(self, page: CellPage) -> bool:
        return page.entry is not None and self.shows(page.entry.status)

    def listings(self, page: CellPage) -> list[Listing]:
        """The cell's listings in editorial order, without studies this build does not show."""
        return [item for item in page.listings if self.shows(item.study.status)]

    # -- paths and links --------------------------------------------------------------------

    @staticmethod
    def study_path(study_id: str) -> str:
        return f"studies/{study_id}.md"

    @staticmethod
    def cell_path(key: str) -> str:
        return f"{key}.md"

    @staticmethod
    def matrix_path(matrix_id: str) -> str:
        return f"{matrix_id}/index.md"

    @staticmethod
    def cell_feed(key: str, kind: str = "atom") -> str:
        return f"{key}/feed.{kind}.xml"

    @staticmethod
    def link(from_page: str, to_file: str, anchor: str | None = None) -> str:
        """A relative Markdown link from one docs file to another, which MkDocs validates."""
        start = posixpath.dirname(from_page) or "."
        rel = _relpath(to_file, start) if to_file != from_page else ""
        return f"{rel}#{anchor}" if anchor else (rel or "#")

    @staticmethod
    def url_path(docs_file: str) -> str:
        """Where MkDocs serves a docs file (directory URLs): `alcohol/E5.md` → `alcohol/E5/`."""
        if docs_file == "index.md" or docs_file.endswith("/index.md"):
            return docs_file[: -len("index.md")]
        return docs_file[:-3] + "/" if docs_file.endswith(".md") else docs_file

    @classmethod
    def href(cls, from_page: str, to_file: str, anchor: str | None = None) -> str:
        """The final relative URL from one page to another, for links in HTML.

        MkDocs rewrites `.md` links only in Markdown; HTML (contributor fragments, listings) must
        carry the URL the browser resolves: from `alcohol/E5/`, a study is `../../studies/<id>/`.
        """
        here, there = cls.url_path(from_page), cls.url_path(to_file)
        if here == there:
            return f"#{anchor}" if anchor else "./"
        rel = _relpath(there, here)
        rel = "./" if rel == "." else rel + ("/" if there == "" or there.endswith("/") else "")
        return f"{rel}#{anchor}" if anchor else rel

    def resolver(self, page: str) -> Callable[[str], str | None]:
        """The URLs of `study:` and `cell:` targets from `page`; None for an unpublished study.

        A cell link's anchor is kept only if the cell's bite is shown and has that section.
        """

        def resolve(target: str) -> str | None:
            kind, _, ref = target.partition(":")
            if kind == "study":
                return self.href(page, self.study_path(ref)) if self.study_visible(ref) else None
            key, _, anchor = ref.partition("#")
            cell = self.collection.cells.get(key)
            if cell is None:
                return None
            shown = anchor and self.bite_visible(cell) and anchor in cell.headings
            return self.href(page, self.cell_path(key), anchor if shown else None)

        return resolve

    def url(self, docs_file: str) -> str:
        """The absolute public URL of a docs file, for feeds, citations and copied links."""
        base = self.site.url.rstrip("/") + "/"
        if docs_file.endswith("index.md"):
            path = docs_file[: -len("index.md")]
        elif docs_file.endswith(".md"):
            path = docs_file[:-3] + "/"
        else:
            path = docs_file
        return base + quote(path)

    # -- GitHub -----------------------------------------------------------------------------

    def edit_url(self, entry_path: str) -> str:
        return f"https://github.com/{self.site.repo}/edit/{self.site.branch}/{quote(entry_path)}"

    def new_file_url(self, folder: str, filename: str) -> str:
        return (
            f"https://github.com/{self.site.repo}/new/{self.site.branch}/{quote(folder)}"
            f"?filename={quote(filename)}"
        )

    def issue_url(self, title: str, docs_file: str) -> str:
        """A new issue from the repository's report-problem form, its title and page filled in."""
        return (
            f"https://github.com/{self.site.repo}/issues/new?template=report-problem.yml"
            f"&title={quote(title, safe='')}&page={quote(self.url(docs_file), safe='')}"
        )

    # -- Git history ------------------------------------------------------------------------

    def dates(self, entry_path: str | None) -> EntryDates | None:
        """When an entry file was added and last changed; None if it was never committed."""
        return self.history.dates.get(entry_path) if entry_path else None

    def study_file(self, study_id: str) -> str | None:
        doc = self.collection.documents.get(study_id)
        return doc.path if doc is not None and doc.kind == "study" else None


def _relpath(target: str, start: str) -> str:
    """`posixpath.relpath` for clean relative paths (no `.`, `..` or `//`), without its
    normalising: every page links to dozens of others, so this runs half a million times."""
    to = [part for part in target.split("/") if part and part != "."]
    here = [part for part in start.split("/") if part and part != "."]
    common = 0
    while common < min(len(to), len(here)) and to[common] == here[common]:
        common += 1
    return "/".join([".."] * (len(here) - common) + to[common:]) or "."
