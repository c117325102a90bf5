"""What every page renderer needs: the public view, the site's settings and the Git dates.

Visibility and the URL scheme are the view's (`matrixpipe.publish.view`); the page code reads
them through this context under short names, and adds the links to GitHub and the dates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from matrixpipe.config import SiteConfig
from matrixpipe.git.editions import Period
from matrixpipe.git.history import EntryDates, History
from matrixpipe.publish.view import API_ROOT, DOWNLOADS_ROOT, PublicView, Urls

__all__ = ["API_ROOT", "DOWNLOADS_ROOT", "RenderContext"]


@dataclass
class RenderContext:
    """One render: the public view (or a preview's, with drafts), the site settings, history."""

    view: PublicView
    site: SiteConfig
    history: History = field(default_factory=History)
    whats_new: list[Period] = field(default_factory=list)
    """What each edition changed, newest first (`git.editions.read_periods`), read once."""

    study_path = staticmethod(Urls.study_file)
    cell_path = staticmethod(Urls.cell_file)
    matrix_path = staticmethod(Urls.matrix_file)
    cell_feed = staticmethod(Urls.cell_feed)
    link = staticmethod(Urls.link)
    href = staticmethod(Urls.href)
    url_path = staticmethod(Urls.url_path)

    def url(self, docs_file: str, anchor: str | None = None) -> str:
        """The absolute public URL of a page, for feeds, citations and copied links."""
        return self.view.urls.url(docs_file, anchor)

    def resolver(self, page: str) -> Callable[[str], str | None]:
        """The URLs of `study:` and `cell:` targets from `page`; None where this run publishes
        no such page (an unpublished study)."""

        def resolve(target: str) -> str | None:
            found = self.view.target(target)
            return self.href(page, *found) if found else None

        return resolve

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
        doc = self.view.collection.documents.get(study_id)
        return doc.path if doc is not None and doc.kind == "study" else None
