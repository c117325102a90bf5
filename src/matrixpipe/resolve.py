"""Stage 3, resolve: index every matrix, cell, anchor and study first, then judge every reference.

Links form a graph, so nothing is judged until everything is indexed. The result, a `Collection`,
is what the render stage and the exports read: grids, cells with their placements in editorial
order, studies, and each cell's anchors.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlsplit, urlunsplit

from matrixpipe import models, safety
from matrixpipe.diagnostics import Diagnostic
from matrixpipe.load import Document
from matrixpipe.markdown_links import Heading, find_headings, find_links
from matrixpipe.rules import finding
from matrixpipe.validate import VALID_CELLS, Entry

CELL_CODES = tuple(f"{c}{r}" for c in models.COLUMN_CODES for r in models.ROW_CODES)
_CELL_LINK = re.compile(r"^cell:(?P<matrix>[^/#]*)/(?P<code>[^#]*)(?:#(?P<anchor>.*))?$")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "in",
        "on",
        "to",
        "with",
        "by",
        "from",
        "at",
        "is",
        "are",
    ]
)


@dataclass
class Listing:
    """One study as listed in one cell."""

    study: models.Study
    placement: models.Placement


@dataclass
class CellPage:
    """A cell of a grid: every one exists, with or without a bite file."""

    matrix: models.Matrix
    code: str
    entry: models.Cell | None = None
    doc: Document | None = None
    listings: list[Listing] = field(default_factory=list)
    headings: dict[str, Heading] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.matrix.id}/{self.code}"

    @property
    def name(self) -> str:
        column = self.matrix.columns[models.COLUMN_CODES.index(self.code[0])].name
        row = self.matrix.rows[int(self.code[1]) - 1].name
        return f"{column}; {row}"

    @property
    def title(self) -> str:
        if self.entry and self.entry.title:
            return self.entry.title
        return f"{self.matrix.title} cell {self.code}: {self.name}"

    @property
    def status(self) -> str:
        return self.entry.status if self.entry else "published"


@dataclass
class Collection:
    """Everything indexed and resolved: the render stage's input."""

    matrices: dict[str, models.Matrix] = field(default_factory=dict)
    cells: dict[str, CellPage] = field(default_factory=dict)
    studies: dict[str, models.Study] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    """The document of each study and matrix by id, and of each cell by `matrix/CODE`."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    external_links: list[ExternalLink] = field(default_factory=list)
    broken: frozenset[str] = frozenset()
    """Every http(s) address, where it is written: what `--online` checks."""


Where = Callable[[], tuple[int, int]]
"""Finds a finding's line and column on demand: positions cost a re-parse of the file."""


@dataclass(frozen=True)
class ExternalLink:
    """An http(s) address and where it is written."""

    url: str
    path: str
    where: Where


def resolve(entries: list[Entry], broken: frozenset[str] = frozenset()) -> Collection:
    """Index all entries, then check every reference and link between them.

    `broken` names entries (`study:<id>`, `matrix:<id>`, `cell:<m>/<CODE>`) whose files exist but
    did not load or validate: references to them are not reported again, since the entry's own
    file already has a finding.
    """
    collection = _index(entries)
    collection.broken = broken
    _Resolver(collection).run()
    return collection


def _named_for(entry: Entry) -> bool:
    """Whether the entry's file name agrees with its id (that one keeps the id if two clash)."""
    return entry.doc.path.rsplit(".", 1)[0].endswith(entry.id)


def _index(entries: list[Entry]) -> Collection:
    c = Collection()
    seen: dict[tuple[str, str], Document] = {}
    for entry in sorted(entries, key=lambda e: not _named_for(e)):
        kind_key = (entry.doc.kind, entry.id)
        if kind_key in seen:
            other = seen[kind_key]
            line, column = entry.doc.locate(("cell",) if entry.doc.kind == "cell" else ("id",))
            c.diagnostics.append(
                finding(
                    "MP306",
                    entry.doc.path,
                    line,
                    column,
                    f"id '{entry.id}' is also used by {other.path}",
                    "give each entry its own id, equal to its file name",
                )
            )
            continue
        seen[kind_key] = entry.doc
        c.documents[entry.id] = entry.doc
        if isinstance(entry.model, models.Matrix):
            c.matrices[entry.id] = entry.model
        elif isinstance(entry.model, models.Study):
            c.studies[entry.id] = entry.model
    for matrix in c.matrices.values():
        for code in CELL_CODES:
            c.cells[f"{matrix.id}/{code}"] = CellPage(matrix, code)
    for entry in entries:
        if isinstance(entry.model, models.Cell) and c.documents.get(entry.id) is entry.doc:
            _index_cell(c, entry)
    return c


def _index_cell(c: Collection, entry: Entry) -> None:
    page = c.cells.get(entry.id)
    if page is None:
        _Resolver(c)._unknown_matrix(
            entry.doc.path, _at(entry.doc, ("matrix",)), entry.model.matrix
        )
        return
    page.entry, page.doc = entry.model, entry.doc
    for heading in find_headings(entry.model.bite):
        if heading.anchor in page.headings:
            line, column = entry.doc.line_of(_body_offset(entry.doc, heading.offset))
            c.diagnostics.append(
                finding(
                    "MP311",
                    entry.doc.path,
                    line,
                    column,
                    f"anchor '#{heading.anchor}' is used twice in this bite",
                    "give each section its own anchor",
                )
            )
            continue
        page.headings[heading.anchor] = heading


def _body_offset(doc: Document, offset: int) -> int:
    return len(doc.text) - len(doc.body) + offset


class _Resolver:
    """Judges every reference of an indexed collection, adding findings to it.

    Positions cost a re-parse of the file, so each check carries a `Where`: a callable that
    finds the line and column only if a finding is actually made.
    """

    def __init__(self, collection: Collection) -> None:
        self.c = collection

    def _add(
        self, code: str, path: str, where: Where, message: str, hint: str, target: str | None = None
    ) -> None:
        if target in self.c.broken:
            return
        line, column = where()
        self.c.diagnostics.append(finding(code, path, line, column, message, hint, target))

    def run(self) -> None:
        for study in self.c.studies.values():
            self._study(study, self.c.documents[study.id])
        for page in self.c.cells.values():
            if page.entry and page.doc:
                self._links(page.doc, page.entry.bite, None, page.status, page)
                if not page.listings:
                    self._add(
                        "MP310",
                        page.doc.path,
                        lambda: (1, 1),
                        f"cell {page.key} lists no studies yet",
                        "place studies here with a `placements` entry",
                    )
        for page in self.c.cells.values():
            page.listings.sort(
                key=lambda item: (models.cell_sort_key(item.placement), item.study.id)
            )
        self._duplicates()

    def _study(self, study: models.Study, doc: Document) -> None:
        self._source_url(doc, ("source",), study.source)
        for i, related in enumerate(study.related):
            self._source_url(doc, ("related", i, "source"), related.source)
        self._links(doc, study.summary, ("summary",), study.status, None)
        for i, point in enumerate(study.key_points):
            self._links(doc, point, ("key_points", i), study.status, None)
        for i, related in enumerate(study.related):
            if related.study is not None:
                self._check_study(
                    doc.path, _at(doc, ("related", i, "study")), related.study, study.status
                )
        if not study.placements:
            self._add(
                "MP309",
                doc.path,
                _at(doc, ("id",)),
                f"study '{study.id}' is not placed in any cell",
                "add a `placements` entry such as `- cell: alcohol/E5`",
            )
        for i, placement in enumerate(study.placements):
            page = self._cell(doc, ("placements", i, "cell"), placement.cell)
            if page is None:
                continue
            page.listings.append(Listing(study, placement))
            for j, anchor in enumerate(placement.discussed_in):
                if anchor not in page.headings:
                    where = _at(doc, ("placements", i, "discussed_in", j))
                    self._unknown_anchor(doc.path, where, page, anchor)
            self._links(doc, placement.note, ("placements", i, "note"), study.status, None)

    def _cell(self, doc: Document, loc: tuple[str | int, ...], ref: str) -> CellPage | None:
        matrix = ref.partition("/")[0]
        page = self.c.cells.get(ref)
        if page is None and matrix not in self.c.matrices:
            self._unknown_matrix(doc.path, _at(doc, loc), matrix)
        elif page is None:
            self._add(
                "MP301",
                doc.path,
                _at(doc, loc),
                f"there is no cell '{ref}'",
                f"cell codes are {VALID_CELLS}",
            )
        return page

    def _source_url(
        self, doc: Document, loc: tuple[str | int, ...], source: models.Source | None
    ) -> None:
        if source is not None and source.url:
            where = _at(doc, (*loc, "url"))
            self.c.external_links.append(ExternalLink(source.url, doc.path, where))

    def _check_study(self, path: str, where: Where, ref: str, status: str) -> None:
        target = self.c.studies.get(ref)
        if target is None:
            close = difflib.get_close_matches(ref, list(self.c.studies), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "check the id in entries/studies/"
            self._add(
                "MP303", path, where, f"there is no study '{ref}'", hint, target=f"study:{ref}"
            )
        elif status == "published" and target.status != "published":
            self._add(
                "MP305",
                path,
                where,
                f"published entry links to study '{ref}', which is {target.status}",
                "publish the target first, or keep this entry in draft",
            )

    def _links(
        self,
        doc: Document,
        text: str,
        loc: tuple[str | int, ...] | None,
        status: str,
        page: CellPage | None,
    ) -> None:
        """Judge one Markdown field: its safety, then every link; `loc` None means the bite."""
        if not text:
            return
        self._safety(doc.path, text, _Placer(doc, loc))
        links = find_links(text)
        place = _Placer(doc, loc)  # links are placed in a second pass from the field's start
        if len(links) > safety.MAX_LINKS:
            extra = links[safety.MAX_LINKS]
            self._add(
                "MP409",
                doc.path,
                partial(place.at, extra.offset, extra.target),
                f"{len(links)} links in one field (at most {safety.MAX_LINKS})",
                "split the text, or link to a page that lists the documents",
            )
            links = links[: safety.MAX_LINKS]
            place = _Placer(doc, loc)
        for link in links:
            where = partial(place.at, link.offset, link.target, link.lead)
            self._link(doc.path, where, link.target, status, page)

    def _safety(self, path: str, text: str, place: _Placer) -> None:
        spots: list[tuple[int, str, safety.Spot]] = []
        targets = [(link.offset, link.offset + len(link.target)) for link in find_links(text)]
        spot = safety.invisible(text)
        if spot and any(a <= spot.offset < b for a, b in targets):
            spot = None  # inside a link address: reported as MP405 with the link
        if spot:
            spots.append((spot.offset, "MP406", safety.Spot(spot.offset, text[spot.offset])))
        spots += [(s.offset, "MP407", s) for s in safety.raw_html(text)]
        spots += [(s.offset, "MP408", s) for s in safety.unsafe_attributes(text)]
        for _, code, spot in sorted(spots, key=lambda item: item[0]):  # placed in text order
            self._add(
                code,
                path,
                partial(place.at, spot.offset, spot.text),
                *_SAFETY_MESSAGES[code](spot.text),
            )

    def _link(
        self, path: str, where: Where, target: str, status: str, page: CellPage | None
    ) -> None:
        scheme = safety.link_scheme(target)
        if safety.INVISIBLE.search(target):
            self._add(
                "MP405",
                path,
                where,
                "the link contains an invisible or bidirectional control character",
                "retype the link address",
            )
        elif target.startswith("study:"):
            self._check_study(path, where, target[6:], status)
        elif target.startswith("cell:"):
            self._cell_link(path, where, target, status)
        elif target.startswith("#"):
            if page is None:
                self._add(
                    "MP302",
                    path,
                    where,
                    f"'{target}' has no page of its own to point into here",
                    "link to a cell's section instead: `cell:alcohol/E5#issues`",
                )
            elif target[1:] not in page.headings:
                self._unknown_anchor(path, where, page, target[1:])
        elif (
            scheme in ("http", "https", "mailto")
            and target.lower().startswith(f"{scheme}:")
            and len(target) > len(scheme) + 1
        ):
            if scheme != "mailto":
                self.c.external_links.append(ExternalLink(target, path, where))
        else:
            what = f"'{scheme}:' links" if scheme else "relative links"
            self._add(
                "MP304",
                path,
                where,
                f"{what} are not allowed: '{_short(target)}'",
                "use study:<id>, cell:<matrix>/<CODE>, #anchor, https:// or mailto:",
            )

    def _cell_link(self, path: str, where: Where, target: str, status: str) -> None:
        m = _CELL_LINK.match(target)
        if m is None:
            self._add(
                "MP301",
                path,
                where,
                f"'{_short(target)}' is not a cell link",
                "write cell links as `cell:alcohol/E5` or `cell:alcohol/E5#issues`",
            )
            return
        matrix, code, anchor = m.group("matrix"), m.group("code"), m.group("anchor")
        page = self.c.cells.get(f"{matrix}/{code}")
        if matrix not in self.c.matrices:
            self._unknown_matrix(path, where, matrix)
        elif page is None:
            self._add(
                "MP301",
                path,
                where,
                f"there is no cell '{matrix}/{code}'",
                f"cell codes are {VALID_CELLS}",
            )
        elif anchor is not None and anchor not in page.headings:
            self._unknown_anchor(path, where, page, anchor)
        elif status == "published" and page.status != "published":
            self._add(
                "MP305",
                path,
                where,
                f"published entry links to cell {page.key}, which is {page.status}",
                "publish the cell first, or link without it",
            )

    def _unknown_anchor(self, path: str, where: Where, page: CellPage, anchor: str) -> None:
        if page.entry is None:
            self._add(
                "MP302",
                path,
                where,
                f"cell {page.key} has no bite yet, so it has no section '#{anchor}'",
                f"link to the cell itself (cell:{page.key}) or write its bite first",
                target=f"cell:{page.key}",
            )
            return
        close = difflib.get_close_matches(anchor, list(page.headings), n=1, cutoff=0.5)
        hint = (
            f"did you mean '#{close[0]}'?"
            if close
            else f"sections of {page.key}: {', '.join(page.headings) or 'none'}"
        )
        self._add("MP302", path, where, f"cell {page.key} has no section '#{anchor}'", hint)

    def _unknown_matrix(self, path: str, where: Where, name: str) -> None:
        close = difflib.get_close_matches(name, list(self.c.matrices), n=1)
        hint = (
            f"did you mean '{close[0]}'?"
            if close
            else f"known matrices: {', '.join(sorted(self.c.matrices)) or 'none'}"
        )
        self._add(
            "MP312", path, where, f"there is no matrix '{name}'", hint, target=f"matrix:{name}"
        )

    def _duplicates(self) -> None:
        """Same DOI, same URL, or nearly the same title: one index each, never all pairs."""
        by_key: dict[tuple[str, str], list[models.Study]] = defaultdict(list)
        for study in self.c.studies.values():
            if study.source.doi:
                by_key[("doi", study.source.doi.lower())].append(study)
            if study.source.url:
                by_key[("url", _url_key(study.source.url))].append(study)
            by_key[("title", normalise_title(study.title))].append(study)
        for (kind, _), group in by_key.items():
            first_path = self.c.documents[group[0].id].path
            for other in group[1:]:
                doc = self.c.documents[other.id]
                if kind == "title":
                    self._add(
                        "MP308",
                        doc.path,
                        _at(doc, ("title",)),
                        f"title is nearly the same as {first_path}'s",
                        "if it is the same document, keep one study and add a placement to it",
                    )
                else:
                    self._add(
                        "MP307",
                        doc.path,
                        _at(doc, ("source", kind)),
                        f"{kind.upper()} {getattr(other.source, kind)} is also given by "
                        f"{first_path}",
                        "keep one study and add a placement to it",
                    )


def _url_key(url: str) -> str:
    """Scheme and host are case-insensitive; the path is not."""
    parts = urlsplit(url)
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, "")
    )


def _at(doc: Document, loc: tuple[str | int, ...]) -> Where:
    return partial(doc.locate, loc)


_SAFETY_MESSAGES = {
    "MP406": lambda t: (
        f"invisible or bidirectional control character U+{ord(t):04X} in the text",
        "delete it: retype the words around it if you cannot see it",
    ),
    "MP407": lambda t: (
        f"raw HTML is not allowed: '{t}'",
        "write Markdown instead: [text](https://…), **bold**, ![alt](https://…)",
    ),
    "MP408": lambda t: (
        f"attribute lists may set only ids and classes: '{t}'",
        "keep `{#anchor}` or `{.class}`; remove other attributes",
    ),
}


class _Placer:
    """Maps offsets in a Markdown field to lines and columns of the file it was written in.

    A bite is the file's tail, so offsets map exactly. A YAML field's text was unfolded by the
    parser (block indentation, quoting), so each snippet is searched for in the source from the
    field's start, moving on past every match so repeated snippets land on their own lines.
    """

    def __init__(self, doc: Document, loc: tuple[str | int, ...] | None) -> None:
        self.doc, self.loc = doc, loc
        self.cursor = -1

    def at(self, offset: int, snippet: str, lead: str = "") -> tuple[int, int]:
        if self.cursor < 0:  # the field's start is looked up only when a finding needs it
            self.start = (
                _body_offset(self.doc, 0) if self.loc is None else _offset_of(self.doc, self.loc)
            )
            self.cursor = self.start
        if self.loc is None:
            return self.doc.line_of(self.start + offset)
        found = self.doc.text.find(lead + snippet, self.cursor) if lead else -1
        if found >= 0:  # the lead (`](`) makes sure it is the target, not the same link text
            found += len(lead)
        else:
            found = self.doc.text.find(snippet, self.cursor) if snippet else -1
        if found < 0:
            return self.doc.line_of(self.cursor)
        self.cursor = found + len(snippet)
        return self.doc.line_of(found)


def _offset_of(doc: Document, loc: tuple[str | int, ...]) -> int:
    line, column = doc.locate(loc)
    start = 0
    for _ in range(line - 1):
        start = doc.text.index("\n", start) + 1
    return start + column - 1


def _short(target: str) -> str:
    return target if len(target) <= 60 else target[:57] + "..."


def normalise_title(title: str) -> str:
    """A key that two near-identical titles share: case, accents, punctuation, small words."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.findall(r"[a-z0-9]+", text) if w not in _STOPWORDS]
    return " ".join(words)
