"""Stage 3b, resolve: index every id and anchor first, then judge every reference.

Links form a graph, so nothing is judged until everything is indexed. `judge` works on the facts
of every entry (facts.py) and needs only dictionaries; positions are looked up in a file only
when a finding is made. `assemble` builds the `Collection` that the render stage and the exports
read: grids, cells with their studies in editorial order, and each cell's anchors.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path

from matrixpipe import models
from matrixpipe.check.cache import (
    content_digest,
    diagnostic_of,
    plain_diagnostic,
    read_cache_file,
    write_cache_file,
)
from matrixpipe.check.facts import Facts, Place, anchor_hint, normalise_title, position, short
from matrixpipe.check.links import Heading, find_headings
from matrixpipe.check.load import Document
from matrixpipe.check.similar import Text, near_duplicates
from matrixpipe.check.validate import VALID_CELLS, Entry
from matrixpipe.diagnostics import Diagnostic
from matrixpipe.rules import finding

CELL_CODES = tuple(f"{c}{r}" for c in models.COLUMN_CODES for r in models.ROW_CODES)
_CELL_LINK = re.compile(r"^cell:(?P<matrix>[^/#]*)/(?P<code>[^#]*)(?:#(?P<anchor>.*))?$")


@dataclass
class Listing:
    """One study as listed in one cell."""

    study: models.Study
    placement: models.Placement

    @property
    def headline(self) -> str:
        """What the cell shows for the study: the placement's headline, else its title."""
        return self.placement.headline or self.study.title


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
    def default_title(self) -> str:
        return f"{self.matrix.title} cell {self.code}: {self.name}"

    @property
    def title(self) -> str:
        """The entry's own title if it has one (public or not: see `publish.view`)."""
        return self.entry.title if self.entry and self.entry.title else self.default_title

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


Where = Callable[[], tuple[int, int]]
"""Finds a finding's line and column on demand: positions cost a re-parse of the file."""


@dataclass(frozen=True)
class ExternalLink:
    """An http(s) address and where it is written."""

    url: str
    path: str
    where: Where


@dataclass
class Judged:
    """What judging the facts found: the findings, and every external address for `--online`."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    external_links: list[ExternalLink] = field(default_factory=list)
    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    """(kind, id) → the path of the entry that keeps the id when two files claim it (the one
    whose file name agrees with it): the one index of ids, which `assemble` reads too."""


def judge(
    all_facts: list[Facts],
    documents: Mapping[str, Document],
    broken: frozenset[str] = frozenset(),
    similar_cache: Path | None = None,
) -> Judged:
    """Index every entry's facts, then judge every reference against the index.

    `broken` names entries (`study:<id>`, `matrix:<id>`, `cell:<m>/<CODE>`) whose files exist but
    did not load or validate: references to them are not reported again, since the entry's own
    file already has a finding. `documents` gives a path's Document when a position is needed.
    `similar_cache`: where the near-duplicate titles found last time are kept.
    """
    return _Judge(documents, broken, similar_cache).run(all_facts)


def judge_cached(
    folder: Path, key: str, digests: Mapping[str, str], judge_all: Callable[[], Judged]
) -> Judged:
    """`judge_all()`, or its findings of the run before when the facts are the same (`key`) and
    every file with a finding has the same content (so the same lines and columns): a warm
    check after an edit that changed no fact judges nothing, and decodes no facts. The external
    addresses are not kept (`--online` judges afresh)."""
    file = folder / "judged.marshal"
    kept = _kept_judgement(read_cache_file(file), key, digests)
    if kept is not None:
        return kept
    judged = judge_all()
    files = {d.path: digests.get(d.path) for d in judged.diagnostics}
    plain = [plain_diagnostic(d) for d in judged.diagnostics]
    write_cache_file(file, (key, files, plain, [(*k, v) for k, v in judged.owners.items()]))
    return judged


def _kept_judgement(payload: object, key: str, digests: Mapping[str, str]) -> Judged | None:
    if not (isinstance(payload, tuple) and len(payload) == 4 and payload[0] == key):
        return None
    _, files, plain, owners = payload
    if not isinstance(files, dict) or any(digests.get(p) != d for p, d in files.items()):
        return None
    try:
        return Judged(
            [diagnostic_of(d) for d in plain], [], {(kind, id_): path for kind, id_, path in owners}
        )
    except (TypeError, ValueError):
        return None


class _Judge:
    def __init__(
        self, documents: Mapping[str, Document], broken: frozenset[str], similar: Path | None
    ) -> None:
        self.documents = documents
        self.broken = broken
        self.similar_cache = similar
        self.out = Judged()
        self.owners: dict[tuple[str, str], Facts] = {}
        self.placed: Counter[str] = Counter()

    def _add(
        self,
        code: str,
        facts: Facts,
        place: Place,
        message: str,
        hint: str,
        target: str | None = None,
    ) -> None:
        if target in self.broken:
            return
        line, column = position(self.documents[facts.path], place)
        self.out.diagnostics.append(finding(code, facts.path, line, column, message, hint, target))

    def _position(self, path: str, place: Place) -> tuple[int, int]:
        return position(self.documents[path], place)

    def run(self, all_facts: list[Facts]) -> Judged:
        for facts in sorted(all_facts, key=lambda f: not f.named):
            other = self.owners.setdefault((facts.kind, facts.id), facts)
            if other is not facts:
                self._add(
                    "MP306",
                    facts,
                    ("loc", ("cell",) if facts.kind == "cell" else ("id",)),
                    f"id '{facts.id}' is also used by {other.path}",
                    "give each entry its own id, equal to its file name",
                )
        mine = [f for f in all_facts if self.owners[(f.kind, f.id)] is f]
        self.out.owners = {key: facts.path for key, facts in self.owners.items()}
        self.matrices = {f.id for f in mine if f.kind == "matrix"}
        self.studies = {f.id: f for f in mine if f.kind == "study"}
        self.cells = {f.id: f for f in mine if f.kind == "cell"}
        for facts in mine:
            self.out.diagnostics.extend(facts.local)
            for kind, target, place in facts.refs:
                self._ref(facts, kind, target, place)
        for key, facts in self.cells.items():
            if key.partition("/")[0] not in self.matrices:
                self._unknown_matrix(facts, ("loc", ("matrix",)), key.partition("/")[0])
            elif not self.placed[key]:
                self._add(
                    "MP310",
                    facts,
                    ("start",),
                    f"cell {key} lists no studies yet",
                    "place studies here with a `placements` entry",
                )
        self._duplicates()
        return self.out

    def _ref(self, facts: Facts, kind: str, target: str, place: Place) -> None:
        if kind == "study":
            self._study(facts, place, target)
        elif kind == "cell":
            if self._cell(facts, place, target):
                self.placed[target] += 1
        elif kind == "anchor":
            key, _, anchor = target.partition("#")
            if self._cell_exists(key):  # an unknown cell is reported by the placement itself
                self._anchor(facts, place, key, anchor)
        elif kind == "cell-link":
            self._cell_link(facts, place, target)
        elif kind == "external":
            where = partial(self._position, facts.path, place)
            self.out.external_links.append(ExternalLink(target, facts.path, where))

    def _cell_exists(self, key: str) -> bool:
        matrix, _, code = key.partition("/")
        return matrix in self.matrices and code in CELL_CODES

    def _cell(self, facts: Facts, place: Place, key: str) -> bool:
        matrix, _, code = key.partition("/")
        if matrix not in self.matrices:
            self._unknown_matrix(facts, place, matrix)
            return False
        if code not in CELL_CODES:
            self._add(
                "MP301", facts, place, f"there is no cell '{key}'", f"cell codes are {VALID_CELLS}"
            )
            return False
        return True

    def _study(self, facts: Facts, place: Place, ref: str) -> None:
        target = self.studies.get(ref)
        if target is None:
            close = difflib.get_close_matches(ref, list(self.studies), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "check the id in entries/studies/"
            self._add(
                "MP303", facts, place, f"there is no study '{ref}'", hint, target=f"study:{ref}"
            )
        elif facts.status == "published" and target.status != "published":
            self._add(
                "MP305",
                facts,
                place,
                f"published entry links to study '{ref}', which is {target.status}",
                "publish the target first, or keep this entry in draft",
            )

    def _cell_link(self, facts: Facts, place: Place, target: str) -> None:
        m = _CELL_LINK.match("cell:" + target)
        if m is None:
            self._add(
                "MP301",
                facts,
                place,
                f"'{short('cell:' + target)}' is not a cell link",
                "write cell links as `cell:alcohol/E5` or `cell:alcohol/E5#issues`",
            )
            return
        key = f"{m.group('matrix')}/{m.group('code')}"
        if not self._cell(facts, place, key):
            return
        # Every grid cell has a public page, so a plain cell link always lands; only a link into
        # the sections of a bite that is not published would break.
        if m.group("anchor") is not None:
            self._anchor(facts, place, key, m.group("anchor"))

    def _anchor(self, facts: Facts, place: Place, key: str, anchor: str) -> None:
        cell = self.cells.get(key)
        if cell is None:
            self._add(
                "MP302",
                facts,
                place,
                f"cell {key} has no bite yet, so it has no section '#{anchor}'",
                f"link to the cell itself (cell:{key}) or write its bite first",
                target=f"cell:{key}",
            )
        elif anchor in cell.keys:
            if facts.status == "published" and cell.status != "published":
                self._add(
                    "MP305",
                    facts,
                    place,
                    f"published entry links to section '#{anchor}' of cell {key}, whose bite is "
                    f"{cell.status}",
                    "publish the bite first, or link to the cell without the section",
                )
        else:
            self._add(
                "MP302",
                facts,
                place,
                f"cell {key} has no section '#{anchor}'",
                anchor_hint(anchor, cell.keys, key),
            )

    def _unknown_matrix(self, facts: Facts, place: Place, name: str) -> None:
        close = difflib.get_close_matches(name, sorted(self.matrices), n=1)
        hint = (
            f"did you mean '{close[0]}'?"
            if close
            else f"known matrices: {', '.join(sorted(self.matrices)) or 'none'}"
        )
        self._add(
            "MP312", facts, place, f"there is no matrix '{name}'", hint, target=f"matrix:{name}"
        )

    def _duplicates(self) -> None:
        """Same DOI or URL (MP307): one index each. Nearly the same title or headline (MP308):
        an index of word stems (similar.py). Never all pairs; studies in path order, so the
        later file gets the finding however the entries came from the cache."""
        studies = sorted(self.studies.values(), key=lambda f: f.path)
        seen: dict[tuple[int, str], Facts] = {}
        for facts in studies:
            for i, kind in ((1, "doi"), (2, "url")):
                value = facts.keys[i]
                if not value:
                    continue
                first = seen.setdefault((i, value), facts)
                if first is not facts:
                    written = _value_of(self.documents[facts.path], ("source", kind))
                    self._add(
                        "MP307",
                        facts,
                        ("loc", ("source", kind)),
                        f"{kind.upper()} {written} is also given by {first.path}",
                        "keep one study and add a placement to it",
                    )
        self._similar(studies)

    def _similar(self, studies: list[Facts]) -> None:
        """One finding per title or headline that nearly repeats an earlier study's (the first
        one, in path order), at the later study's text."""
        made = cache(partial(_similar_texts, studies))
        source = [facts.keys for facts in studies]  # titles, years, headlines: the texts' own
        pairs = remembered_pairs(lambda: made()[0], source, self.similar_cache)
        if not pairs:
            return
        places = made()[1]
        reported: set[int] = set()
        for i, j in pairs:  # i < j: texts[i]'s study comes first
            if j in reported:
                continue
            reported.add(j)
            facts, slot = places[j]
            other, other_slot = places[i]
            if other_slot is not None:
                theirs = f"the headline {other.path} gives in {other.placements[other_slot]}"
            else:
                theirs = f"{other.path}'s" if slot is None else f"{other.path}'s title"
            place: tuple[str | int, ...] = (
                ("title",) if slot is None else ("placements", slot, "headline")
            )
            self._add(
                "MP308",
                facts,
                ("loc", place),
                f"{place[-1]} is nearly the same as {theirs}",
                "if it is the same document, keep one study and add a placement to it",
            )


def _similar_texts(
    studies: list[Facts],
) -> tuple[list[Text], list[tuple[Facts, int | None]]]:
    """Each study's title and placement headlines as texts to compare, owned by the study, with
    where each is written (None: the title, else the placement's index). A headline with the
    same stems as a text before it in its study adds nothing and is left out."""
    texts: list[Text] = []
    places: list[tuple[Facts, int | None]] = []
    for owner, facts in enumerate(studies):
        title, _, _, year, *headlines = facts.keys
        mine: set[str] = set()
        for slot, key in [(None, title)] + [
            (int(i), key) for i, _, key in (h.partition(":") for h in headlines)
        ]:
            if key and key not in mine:
                mine.add(key)
                texts.append(Text(owner, year, tuple(key.split())))
                places.append((facts, slot))
    return texts, places


def remembered_pairs(
    texts: Callable[[], Sequence[Text]], source: object, file: Path | None
) -> list[tuple[int, int]]:
    """`near_duplicates(texts()).pairs`, kept in a signed cache file by a digest of `source`,
    what the texts are made from: a check after an edit that left every title and headline as
    it was (most edits) reuses the pairs of the run before, without making the texts at all."""
    if file is None:
        return near_duplicates(texts()).pairs
    key = content_digest(repr(source).encode())  # repr, not marshal: marshal is not stable
    payload = read_cache_file(file)
    if isinstance(payload, tuple) and len(payload) == 2 and payload[0] == key:
        pairs = payload[1]
        well_formed = isinstance(pairs, list) and all(
            isinstance(p, tuple) and len(p) == 2 and all(isinstance(i, int) for i in p)
            for p in pairs
        )
        if well_formed and all(0 <= i < len(texts()) for p in pairs for i in p):
            return pairs
    pairs = near_duplicates(texts()).pairs
    write_cache_file(file, (key, pairs))
    return pairs


def _value_of(doc: Document, loc: tuple[str, ...]) -> object:
    data: object = doc.data
    for step in loc:
        data = data.get(step) if isinstance(data, dict) else None
    return data


def assemble(entries: list[Entry], owners: Mapping[tuple[str, str], str]) -> Collection:
    """The collection for rendering: every grid cell, with its bite and its studies in order.

    `owners` is the judge's index of ids (`Judged.owners`): of two entries with one id, the
    collection holds the one that owns it.
    """
    c = Collection()
    entries = [e for e in entries if owners.get((e.doc.kind, e.id)) == e.doc.path]
    for entry in entries:
        c.documents[entry.id] = entry.doc
        if isinstance(entry.model, models.Matrix):
            c.matrices[entry.id] = entry.model
        elif isinstance(entry.model, models.Study):
            c.studies[entry.id] = entry.model
    for matrix in c.matrices.values():
        for code in CELL_CODES:
            c.cells[f"{matrix.id}/{code}"] = CellPage(matrix, code)
    for entry in entries:
        page = c.cells.get(entry.id)
        if isinstance(entry.model, models.Cell) and page and c.documents[entry.id] is entry.doc:
            page.entry, page.doc = entry.model, entry.doc
            for heading in find_headings(entry.model.bite):
                page.headings.setdefault(heading.anchor, heading)
    for study in c.studies.values():
        listed: set[str] = set()  # a cell lists a study once (twice is MP314)
        for placement in study.placements:
            if placement.cell in c.cells and placement.cell not in listed:
                listed.add(placement.cell)
                c.cells[placement.cell].listings.append(Listing(study, placement))
    for page in c.cells.values():
        page.listings.sort(
            key=lambda item: (
                models.cell_sort_key(item.placement, item.study.source.year),
                item.study.id,
            )
        )
    return c


__all__ = ["Collection", "assemble", "judge", "normalise_title"]
