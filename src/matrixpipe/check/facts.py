"""Stage 3a, index: what one entry defines and what it refers to, as plain tuples.

Facts depend on one file only, so they are cached by the file's content hash (cache.py), and
judging them against each other (resolve.py) is dictionary look-ups, quick enough to redo on
every run. Findings that need nothing but the file itself (unsafe Markdown, forbidden link
schemes, a study placed nowhere) are made here, once, and cached with the facts.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import replace
from typing import Any, NamedTuple

from matrixpipe import models
from matrixpipe.check import safety
from matrixpipe.check.links import Link, find_headings, find_links, without_code
from matrixpipe.check.load import Document
from matrixpipe.check.similar import similarity_key
from matrixpipe.check.validate import Entry
from matrixpipe.diagnostics import Diagnostic, Severity
from matrixpipe.rules import finding

_PLACEHOLDER = re.compile(r"^[ \t]*[_*]?(To write: [^\n]*?)[_*]?[ \t]*$", re.M)
"""The placeholder `matrixpipe new cell` writes under each heading: `_To write: …_`."""

Loc = tuple[str | int, ...]
Place = tuple[Any, ...]
"""How to find a position when a finding needs it: ("loc", loc) for a YAML value, or
("link", loc, k) for the k-th link of a Markdown field (loc None: the cell's bite)."""
Ref = tuple[str, str, Place]
"""(kind, target, place): kind is "study", "cell" (a placement), "anchor" ("m/C#a" from
`discussed_in`), "cell-link" (what follows `cell:`) or "external" (an http(s) address)."""

_STOPWORDS = frozenset(
    (
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
    )
)


class Facts(NamedTuple):
    """One entry, boiled down to what the resolve stage judges."""

    path: str
    kind: str
    id: str
    """A study's or matrix's id, or a cell's `matrix/CODE`."""
    named: bool
    """The file name agrees with the id (that entry keeps the id if two clash)."""
    status: str
    keys: tuple[str, ...]
    """A study: (title's stems, DOI, URL, year, then "i:stems" for the headline of placement i),
    stems as `similar.similarity_key` gives them and "" for none. A cell: its anchors. A
    matrix: ()."""
    placements: tuple[str, ...]
    """A study's cells, as `matrix/CODE`."""
    jurisdiction: str
    """A study's jurisdiction as written ("" for none), judged against the collection's table."""
    refs: tuple[Ref, ...]
    local: tuple[Diagnostic, ...]


def extract(entry: Entry) -> Facts:
    """The facts of one validated entry."""
    doc, model = entry.doc, entry.model
    named = doc.path.rsplit(".", 1)[0].endswith(entry.id)
    out = _Extractor(doc)
    if not isinstance(model, models.Study):
        # Matrix and cell titles are the editors' own, shown as plain text but held to the same
        # safety rules as Markdown; a study's headline is an outside document's, shown as text.
        out.plain(model.title, ("title",))
    if isinstance(model, models.Matrix):
        out.markdown(model.description, ("description",))
        return Facts(doc.path, "matrix", entry.id, named, "published", (), (), "", *out.result())
    if isinstance(model, models.Cell):
        anchors = out.headings(model.bite)
        out.markdown(model.bite, None, anchors, entry.id)
        out.placeholders(model.bite, model.status)
        for i, link in enumerate(model.see_also):
            out.refs.append(("cell-link", link.removeprefix("cell:"), ("loc", ("see_also", i))))
        return Facts(
            doc.path, "cell", entry.id, named, model.status, anchors, (), "", *out.result()
        )
    return _study(out, model, named)


def _study(out: _Extractor, study: models.Study, named: bool) -> Facts:
    for loc, source in [(("source",), study.source)] + [
        (("related", i, "source"), r.source) for i, r in enumerate(study.related)
    ]:
        if source is not None and source.url:
            out.refs.append(("external", source.url, ("loc", (*loc, "url"))))
    out.markdown(study.summary, ("summary",))
    for i, point in enumerate(study.key_points):
        out.markdown(point, ("key_points", i))
    for i, related in enumerate(study.related):
        if related.study is not None:
            out.refs.append(("study", related.study, ("loc", ("related", i, "study"))))
    if not study.placements:
        line, column = out.doc.locate(("id",))
        out.local.append(
            finding(
                "MP309",
                out.doc.path,
                line,
                column,
                f"study '{study.id}' is not placed in any cell",
                "add a `placements` entry such as `- cell: alcohol/E5`",
            )
        )
    placed: dict[str, int] = {}
    for i, placement in enumerate(study.placements):
        first = placed.setdefault(placement.cell, i)
        if first != i:
            out.local.append(
                finding(
                    "MP314",
                    out.doc.path,
                    *out.doc.locate(("placements", i, "cell")),
                    f"'{study.id}' is placed in {placement.cell} twice (placements {first + 1} "
                    f"and {i + 1})",
                    "keep one placement per cell: give it every category it has there",
                )
            )
            continue
        out.refs.append(("cell", placement.cell, ("loc", ("placements", i, "cell"))))
        for j, anchor in enumerate(placement.discussed_in):
            place = ("loc", ("placements", i, "discussed_in", j))
            out.refs.append(("anchor", f"{placement.cell}#{anchor}", place))
        out.markdown(placement.note, ("placements", i, "note"))
    keys = _study_keys(study)
    cells = tuple(p.cell for p in study.placements)
    where = study.source.jurisdiction or ""
    return Facts(
        out.doc.path, "study", study.id, named, study.status, keys, cells, where, *out.result()
    )


class _Extractor:
    """Collects the refs and local findings of one document."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.refs: list[Ref] = []
        self.local: list[Diagnostic] = []

    def result(self) -> tuple[tuple[Ref, ...], tuple[Diagnostic, ...]]:
        return tuple(self.refs), tuple(self.local)

    def _add(self, code: str, position: tuple[int, int], message: str, hint: str) -> None:
        self.local.append(finding(code, self.doc.path, *position, message, hint))

    def headings(self, bite: str) -> tuple[str, ...]:
        """The bite's anchors in order; a repeated one is a finding."""
        anchors: list[str] = []
        for heading in find_headings(bite):
            if heading.anchor in anchors:
                self._add(
                    "MP311",
                    self.doc.line_of(body_offset(self.doc, heading.offset)),
                    f"anchor '#{heading.anchor}' is used twice in this bite",
                    "give each section its own anchor",
                )
            else:
                anchors.append(heading.anchor)
        return tuple(anchors)

    def markdown(
        self, text: str, loc: Loc | None, anchors: tuple[str, ...] = (), key: str = ""
    ) -> None:
        """One Markdown field: its safety, then every link (`loc` None means the cell's bite)."""
        if not text:
            return
        if self._too_much(text, loc):
            return  # nothing more is judged in a field that could stall a parser
        links = find_links(text)
        self._safety(text, loc, links)
        if len(links) > safety.MAX_LINKS:
            placer = Placer(self.doc, loc)
            self._add(
                "MP409",
                placer.nth(links, safety.MAX_LINKS),
                f"{len(links)} links in one field (at most {safety.MAX_LINKS})",
                "split the text, or link to a page that lists the documents",
            )
            links = links[: safety.MAX_LINKS]
        placer = Placer(self.doc, loc)
        for k, link in enumerate(links):
            self._link(
                link.target, ("link", loc, k), lambda k=k: placer.nth(links, k), anchors, key
            )

    def placeholders(self, bite: str, status: str) -> None:
        """A scaffold's `To write: …` left in a bite: an error once the cell is published,
        a reminder (info) before."""
        for m in _PLACEHOLDER.finditer(without_code(bite)):
            found = finding(
                "MP315",
                self.doc.path,
                *self.doc.line_of(body_offset(self.doc, m.start(1))),
                f"this section still holds the scaffold's placeholder: '{short(m.group(1))}'",
                "write the section, or remove it with its heading",
            )
            if status != "published":
                found = replace(found, severity=Severity.INFO)
            self.local.append(found)

    def plain(self, text: str | None, loc: Loc) -> None:
        """A plain-text field (a title): the safety rules of Markdown, no links (invisible
        characters in titles are MP405, found by the validate stage)."""
        if text:
            self._safety(text, loc, [], invisible=False)

    def _too_much(self, text: str, loc: Loc | None) -> bool:
        """Whether the field breaks a bound on the work it can cause (`safety.excess`); if so,
        that is its one finding."""
        found = safety.excess(text)
        if found is not None:
            where = Placer(self.doc, loc).at(found.offset, found.snippet)
            self._add(found.code, where, found.message, found.hint)
        return found is not None

    def _link(
        self, target: str, place: Place, where: Any, anchors: tuple[str, ...], key: str
    ) -> None:
        scheme = safety.link_scheme(target)
        if safety.INVISIBLE.search(target):
            self._add(
                "MP405",
                where(),
                "the link contains an invisible or bidirectional control character",
                "retype the link address",
            )
        elif target.startswith("study:"):
            self.refs.append(("study", target[6:], place))
        elif target.startswith("cell:"):
            self.refs.append(("cell-link", target[5:], place))
        elif target.startswith("#"):
            if not key:
                self._add(
                    "MP302",
                    where(),
                    f"'{target}' has no page of its own to point into here",
                    "link to a cell's section instead: `cell:alcohol/E5#issues`",
                )
            elif target[1:] not in anchors:
                self._add(
                    "MP302",
                    where(),
                    f"cell {key} has no section '{target}'",
                    anchor_hint(target[1:], anchors, key),
                )
        elif (
            scheme in ("http", "https", "mailto")
            and target.lower().startswith(f"{scheme}:")
            and len(target) > len(scheme) + 1
        ):
            if scheme != "mailto":
                self.refs.append(("external", target, place))
        else:
            what = f"'{scheme}:' links" if scheme else "relative links"
            self._add(
                "MP304",
                where(),
                f"{what} are not allowed: '{short(target)}'",
                "use study:<id>, cell:<matrix>/<CODE>, #anchor, https:// or mailto:",
            )

    def _safety(
        self, text: str, loc: Loc | None, links: list[Link], invisible: bool = True
    ) -> None:
        spots: list[tuple[int, str, safety.Spot]] = []
        spot = safety.invisible(text) if invisible else None
        targets = [(link.offset, link.offset + len(link.target)) for link in links]
        if spot and not any(a <= spot.offset < b for a, b in targets):
            spots.append((spot.offset, "MP406", safety.Spot(spot.offset, text[spot.offset])))
        spots += [(s.offset, "MP407", s) for s in safety.raw_html(text)]
        spots += [(s.offset, "MP408", s) for s in safety.unsafe_attributes(text)]
        spots += [(s.offset, "MP412", s) for s in safety.includes(text)]
        placer = Placer(self.doc, loc)
        for _, code, spot in sorted(spots, key=lambda item: item[0]):  # placed in text order
            message, hint = _SAFETY_MESSAGES[code](spot.text)
            self._add(code, placer.at(spot.offset, spot.text), message, hint)


_SAFETY_MESSAGES = {
    "MP412": lambda t: (
        f"file includes are not supported: '{t}'",
        "write the text out, or link to the document instead",
    ),
    "MP406": lambda t: (
        f"invisible or bidirectional control character U+{ord(t):04X} in the text",
        "delete it: retype the words around it if you cannot see it",
    ),
    "MP407": lambda t: (
        f"raw HTML is not allowed: '{t}'",
        "write Markdown instead: [text](https://…), **bold**, ![alt](https://…)",
    ),
    "MP408": lambda t: (
        f"attribute lists may set only ids (starting with a letter) and admonition classes: '{t}'",
        "keep `{#anchor}` or a class such as `{: .note }`; remove other attributes and classes",
    ),
}


class Placer:
    """Maps offsets in a Markdown field to lines and columns of the file it was written in.

    A bite is the file's tail, so offsets map exactly. A YAML field's text was unfolded by the
    parser (block indentation, quoting), so each snippet is searched for in the source from the
    field's start, moving on past every match so repeated snippets land on their own lines.
    """

    def __init__(self, doc: Document, loc: Loc | None) -> None:
        self.doc, self.loc = doc, loc
        self.cursor = -1
        self.placed = 0

    def nth(self, links: list[Link], k: int) -> tuple[int, int]:
        """The position of link k, placing the links before it first (in order)."""
        position = (1, 1)
        while self.placed <= k:
            link = links[self.placed]
            position = self.at(link.offset, link.target, link.lead)
            self.placed += 1
        return position

    def at(self, offset: int, snippet: str, lead: str = "") -> tuple[int, int]:
        if self.cursor < 0:  # the field's start is looked up only when a finding needs it
            self.start = (
                body_offset(self.doc, 0) if self.loc is None else _offset_of(self.doc, self.loc)
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


def position(doc: Document, place: Place) -> tuple[int, int]:
    """Where a ref is written: found again from the document only when a finding needs it."""
    if place[0] == "start":
        return (1, 1)
    if place[0] == "loc":
        return doc.locate(place[1])
    _, loc, k = place
    text = doc.body if loc is None else _value(doc.data, loc)
    links = find_links(text if isinstance(text, str) else "")[: safety.MAX_LINKS]
    return Placer(doc, loc).nth(links, k) if k < len(links) else (1, 1)


def _value(data: Any, loc: Loc) -> Any:
    for step in loc:
        data = data[step]
    return data


def body_offset(doc: Document, offset: int) -> int:
    return len(doc.text) - len(doc.body) + offset


def _offset_of(doc: Document, loc: Loc) -> int:
    line, column = doc.locate(loc)
    start = 0
    for _ in range(line - 1):
        start = doc.text.index("\n", start) + 1
    return start + column - 1


def anchor_hint(anchor: str, anchors: tuple[str, ...] | list[str], key: str) -> str:
    close = difflib.get_close_matches(anchor, list(anchors), n=1, cutoff=0.5)
    if close:
        return f"did you mean '#{close[0]}'?"
    return f"sections of {key}: {', '.join(anchors) or 'none'}"


def short(target: str) -> str:
    return target if len(target) <= 60 else target[:57] + "..."


def normalise_title(title: str) -> str:
    """A key that two near-identical titles share: case, accents, punctuation, small words."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.findall(r"[a-z0-9]+", text) if w not in _STOPWORDS]
    return " ".join(words)


def _study_keys(study: models.Study) -> tuple[str, ...]:
    """What resolve needs to spot the same document twice (MP307, MP308), as plain strings for
    the cache: near-duplicates are judged on titles and on the headlines cells show instead."""
    source = study.source
    headlines = tuple(
        f"{i}:{key}"
        for i, placement in enumerate(study.placements)
        if placement.headline and (key := similarity_key(placement.headline))
    )
    return (
        similarity_key(study.title),
        (source.doi or "").lower(),
        _url_key(source.url or ""),
        "" if source.year is None else str(source.year),
        *headlines,
    )


def _url_key(url: str) -> str:
    """Scheme and host are case-insensitive; the path is not."""
    if not url:
        return ""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, "")
    )
