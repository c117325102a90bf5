"""The published view of a collection: what the public sees and where each page lives.

Decided once per run and read by every output: the site's pages, the grid's counts, the indexes,
the search index (made from the pages), the feeds, the JSON API, the CSV and reference-manager
downloads, the redirects and `matrixpipe export`. No output judges visibility or builds a URL
itself, so no two can disagree.

The rules (the site's about page says them to readers):

- **Studies**: a study is public when its status is `published`. A preview (`--drafts`) shows
  every entry, marked as such. A `withdrawn` study is in no cell, count, index, search result
  or feed, in any build; its page stays, as a notice with the reason and its last citation, and
  its API record says `withdrawn`, so its URL never breaks.
- **Cells**: every cell of every matrix has a page, so every `cell:` link lands. A cell's own
  text (its title, its bite and the bite's sections) is public only when the cell's entry is
  published; otherwise its page has the default title ("<matrix> cell E5: <column>; <row>") and
  says the cell has no published text yet.
- **Placements**: a public study is listed in every cell it is placed in, whatever the cell's
  own status. A placement is the study's (its note is written in the study file), and the cell's
  page is public either way; so the grid, the cell page, the API and the CSV count the same
  listings.
- **Matrices** are always public.

The URL scheme is here too (`Urls`): the docs file of each page (`studies/<id>.md`), where MkDocs
serves it (`studies/<id>/`), its absolute URL, its API document, its feeds and its downloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import quote

from matrixpipe import models
from matrixpipe.check.links import Heading
from matrixpipe.check.resolve import CellPage, Collection, Listing

API_ROOT = "api/v1"
DOWNLOADS_ROOT = "downloads"
HOME = "index.md"
COLLECTION_NAME = "matrixpipe"
"""The name of the whole collection's download files (`matrixpipe.csv`, `matrixpipe.bib`, …)."""
REFERENCE_FORMATS = ("bib", "ris", "csl.json")


@dataclass(frozen=True)
class Urls:
    """Where every page and file lives. Paths of pages are docs files (`alcohol/E5.md`); MkDocs
    serves them with directory URLs (`alcohol/E5/`), under the site's address `base`."""

    base: str = ""
    """The site's address (`https://example.org/matrices`), or "" for root-relative URLs."""

    # -- pages (docs files) ----------------------------------------------------------------

    @staticmethod
    def study_file(study_id: str) -> str:
        return f"studies/{study_id}.md"

    @staticmethod
    def cell_file(key: str) -> str:
        return f"{key}.md"

    @staticmethod
    def matrix_file(matrix_id: str) -> str:
        return f"{matrix_id}/index.md"

    @staticmethod
    def cell_feed(key: str, kind: str = "atom") -> str:
        return f"{key}/feed.{kind}.xml"

    @staticmethod
    def url_path(docs_file: str) -> str:
        """Where MkDocs serves a docs file (directory URLs): `alcohol/E5.md` → `alcohol/E5/`."""
        if docs_file == HOME or docs_file.endswith("/index.md"):
            return docs_file[: -len("index.md")]
        return docs_file[:-3] + "/" if docs_file.endswith(".md") else docs_file

    def url(self, docs_file: str, anchor: str | None = None) -> str:
        """The absolute URL of a page or file (root-relative when the site has no address)."""
        return (
            self.base.rstrip("/")
            + "/"
            + quote(self.url_path(docs_file))
            + (f"#{anchor}" if anchor else "")
        )

    # -- the JSON API and the downloads (paths under their roots) ---------------------------

    @staticmethod
    def api_study(study_id: str) -> str:
        return f"studies/{study_id}.json"

    @staticmethod
    def api_cell(key: str) -> str:
        return f"cells/{key}.json"

    @staticmethod
    def api_matrix(matrix_id: str) -> str:
        return f"matrices/{matrix_id}.json"

    @staticmethod
    def study_downloads(study_id: str) -> dict[str, str]:
        """Format (`bib`, `ris`, `csl.json`) → a study's file, under the downloads folder."""
        return {ext: f"studies/{study_id}.{ext}" for ext in REFERENCE_FORMATS}

    @staticmethod
    def cell_downloads(key: str) -> dict[str, str]:
        """Format (`csv`, `bib`, `ris`, `csl.json`) → a cell's file (`key` is `alcohol/E5`)."""
        return {ext: f"cells/{key}.{ext}" for ext in ("csv", *REFERENCE_FORMATS)}

    @staticmethod
    def matrix_gaps(matrix_id: str) -> str:
        """The matrix's gap map as a CSV shaped like the grid, under the downloads folder."""
        return f"matrices/{matrix_id}-gaps.csv"

    @staticmethod
    def collection_downloads() -> dict[str, str]:
        """Format → the whole collection's file."""
        return {ext: f"{COLLECTION_NAME}.{ext}" for ext in ("csv", *REFERENCE_FORMATS)}

    # -- links between pages ------------------------------------------------------------------

    @staticmethod
    def link(from_page: str, to_file: str, anchor: str | None = None) -> str:
        """A relative Markdown link from one docs file to another, which MkDocs validates."""
        start = from_page.rpartition("/")[0] or "."
        rel = relpath(to_file, start) if to_file != from_page else ""
        return f"{rel}#{anchor}" if anchor else (rel or "#")

    @classmethod
    def href(cls, from_page: str, to_file: str, anchor: str | None = None) -> str:
        """The final relative URL from one page to another, for links in HTML.

        MkDocs rewrites `.md` links only in Markdown; HTML (contributor fragments, listings) must
        carry the URL the browser resolves: from `alcohol/E5/`, a study is `../../studies/<id>/`.
        """
        here, there = cls.url_path(from_page), cls.url_path(to_file)
        if here == there:
            return f"#{anchor}" if anchor else "./"
        rel = relpath(there, here)
        rel = "./" if rel == "." else rel + ("/" if there == "" or there.endswith("/") else "")
        return f"{rel}#{anchor}" if anchor else rel


def relpath(target: str, start: str) -> str:
    """`posixpath.relpath` for clean relative paths (no `.`, `..` or `//`), without its
    normalising: every page links to dozens of others, so this runs half a million times."""
    to = [part for part in target.split("/") if part and part != "."]
    here = [part for part in start.split("/") if part and part != "."]
    common = 0
    while common < min(len(to), len(here)) and to[common] == here[common]:
        common += 1
    return "/".join([".."] * (len(here) - common) + to[common:]) or "."


@dataclass(frozen=True)
class Cell:
    """A grid cell as the public sees it: every one has a page."""

    page: CellPage
    title: str
    """The cell's own title if its text is public, else the default title."""
    text: bool
    """Whether the cell's own text (title, bite, sections) is public."""
    listings: tuple[Listing, ...]
    """The public studies it lists, in editorial order."""

    @property
    def key(self) -> str:
        return self.page.key

    @property
    def code(self) -> str:
        return self.page.code

    @property
    def matrix(self) -> models.Matrix:
        return self.page.matrix

    @property
    def name(self) -> str:
        return self.page.name

    @property
    def bite(self) -> str:
        """The bite's Markdown if the cell's text is public, else ""."""
        return self.page.entry.bite if self.text and self.page.entry else ""

    @property
    def see_also(self) -> list[str]:
        """The cells this one points readers to (`see_also`), as keys, if its text is public."""
        if not (self.text and self.page.entry):
            return []
        return [link.removeprefix("cell:") for link in self.page.entry.see_also]

    @property
    def headings(self) -> dict[str, Heading]:
        """The bite's anchored sections if its text is public, else none."""
        return self.page.headings if self.text else {}

    @property
    def status(self) -> str:
        """The status a reader is told: the entry's when its text is shown (a preview), else
        "published" (the page itself, with the listings, is public)."""
        return self.page.entry.status if self.text and self.page.entry else "published"

    @property
    def entry_path(self) -> str | None:
        """The cell's file, if it has one (for edit links and dates)."""
        return self.page.doc.path if self.page.doc is not None else None

    @cached_property
    def gaps(self) -> dict[str, bool]:
        """What an evidence-gap map marks: no studies at all; studies but no review and no
        guidance (nothing that brings them together); no published bite."""
        total = len(self.listings)
        return {
            "no_studies": total == 0,
            "no_synthesis": total > 0 and not (self.counts["review"] or self.counts["guidance"]),
            "no_bite": not (self.text and self.bite.strip()),
        }

    @cached_property
    def counts(self) -> dict[str, int]:
        """Listings by category (a study in two categories counts in both), and `total`."""
        counts = dict.fromkeys(models.CATEGORIES, 0)
        for item in self.listings:
            for category in item.placement.categories:
                counts[category] += 1
        return counts | {"total": len(self.listings)}


@dataclass
class PublicView:
    """The collection as one run publishes it: public, or everything with `drafts`."""

    collection: Collection
    drafts: bool = False
    urls: Urls = field(default_factory=Urls)
    jurisdictions: Mapping[str, list[str]] = field(default_factory=dict)
    """The collection's table of jurisdictions: group → names (`matrixpipe.yml`)."""

    def jurisdiction_group(self, name: str) -> str:
        """The group a jurisdiction is filed under (search filters); itself if unlisted."""
        for group, names in self.jurisdictions.items():
            if name == group or name in names:
                return group
        return name

    def shows(self, status: str) -> bool:
        """Only published entries are listed; a preview (`drafts`) lists every entry but the
        withdrawn, which no build lists."""
        return status == "published" or (self.drafts and status != "withdrawn")

    @cached_property
    def matrices(self) -> list[models.Matrix]:
        return sorted(self.collection.matrices.values(), key=lambda m: m.id)

    @cached_property
    def studies(self) -> list[models.Study]:
        """Public studies, sorted by id so every page, feed and file is stable."""
        return [s for _, s in sorted(self.collection.studies.items()) if self.shows(s.status)]

    @cached_property
    def withdrawn(self) -> list[models.Study]:
        """Withdrawn studies, by id: each keeps its page as a notice (a tombstone)."""
        return [s for _, s in sorted(self.collection.studies.items()) if s.status == "withdrawn"]

    @cached_property
    def study_pages(self) -> list[models.Study]:
        """Every study with a page, by id: the public ones and the withdrawn ones' notices."""
        return sorted([*self.studies, *self.withdrawn], key=lambda s: s.id)

    @cached_property
    def _study_ids(self) -> dict[str, models.Study]:
        return {s.id: s for s in self.studies}

    def study(self, study_id: str) -> models.Study | None:
        """The study if it is public (and listed), else None."""
        return self._study_ids.get(study_id)

    def has_page(self, study_id: str) -> bool:
        """Whether the study has a page: a public study's, or a withdrawn one's notice."""
        study = self.collection.studies.get(study_id)
        return study is not None and (self.shows(study.status) or study.status == "withdrawn")

    @cached_property
    def cells(self) -> dict[str, Cell]:
        """Every grid cell by `matrix/CODE`, in the collection's order."""
        out = {}
        for key, page in self.collection.cells.items():
            text = page.entry is not None and self.shows(page.entry.status)
            title = page.title if text else page.default_title
            listings = tuple(item for item in page.listings if self.shows(item.study.status))
            out[key] = Cell(page, title, text, listings)
        return out

    def placements(self) -> list[Listing]:
        """Every public listing: one per placement, in cell then editorial order."""
        return [item for key, cell in sorted(self.cells.items()) for item in cell.listings]

    def placements_of(self, study: models.Study) -> list[tuple[Cell, models.Placement]]:
        """Where a study is listed, in the order its file gives."""
        return [(self.cells[p.cell], p) for p in study.placements if p.cell in self.cells]

    def studies_of(self, listings: tuple[Listing, ...] | list[Listing]) -> list[models.Study]:
        """The distinct studies of some listings, in listing order."""
        seen: dict[str, models.Study] = {}
        for item in listings:
            seen.setdefault(item.study.id, item.study)
        return list(seen.values())

    def target(self, target: str) -> tuple[str, str | None] | None:
        """The page (docs file) and anchor of a `study:` or `cell:` link, or None where this
        run publishes no such page. A cell link keeps its anchor only if the cell's text is
        public and has that section."""
        kind, _, ref = target.partition(":")
        if kind == "study":
            return (Urls.study_file(ref), None) if self.has_page(ref) else None
        if kind != "cell":
            return None
        key, _, anchor = ref.partition("#")
        cell = self.cells.get(key)
        if cell is None:
            return None
        return Urls.cell_file(key), (anchor if anchor and anchor in cell.headings else None)

    @cached_property
    def _csl(self) -> dict[str, dict[str, Any]]:
        return {}

    def csl(self, study: models.Study) -> dict[str, Any]:
        """The study's CSL-JSON item, built once per run: the citation, the API and every
        reference download read it."""
        from matrixpipe.publish.references import csl_item

        item = self._csl.get(study.id)
        if item is None:
            item = self._csl[study.id] = csl_item(study)
        return item
