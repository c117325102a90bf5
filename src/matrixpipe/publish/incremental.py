"""Incremental publishing: each generated file carries a digest of its inputs, and a run makes
again only the files whose inputs changed.

A study page reads its study, the cells it is placed in (their titles and sections), the studies
it names (related, or linked from its Markdown: only whether and where they are published),
its Git dates and the run's settings; `Keys` digests exactly that, and a cell page's key
likewise covers its own entry, its matrix and every study it lists. Pages that read the whole
collection (home, matrices, indexes, feeds, What's new) and the aggregate files (studies.json,
the collection's downloads) carry no key and are made every run; they are few.

The keys of the files in an output folder are kept in a manifest, signed like every cache
(`check.cache`) and outside the repository. A manifest that is missing, damaged, foreign or of
another version is no manifest: everything is made afresh. Correctness is tested the hard way:
after each kind of edit, the incremental output must be byte for byte the cold one
(tests/test_incremental.py).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from matrixpipe.check.cache import cache_dir, read_cache_file, salt, write_cache_file
from matrixpipe.check.links import find_links

if TYPE_CHECKING:
    from matrixpipe import models
    from matrixpipe.publish.context import RenderContext
    from matrixpipe.publish.view import Cell

_MANIFEST_VERSION = 1


def _digest(*parts: object) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(repr(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


@dataclass(frozen=True)
class Output:
    """One generated file: where it goes, the digest of its inputs (None: made every run), and
    how to make its text."""

    path: str
    key: str | None
    make: Callable[[], str]


_Memo = tuple[object, frozenset[str], str]
"""What a page's key was computed from: its own fingerprint (entry digest, dates, listings),
the documents it reads (by id), and the key."""


class Keys:
    """The input digests of a render's pages and files, computed on demand.

    Given the keys of the run before in the same process (`serve`), a page whose own
    fingerprint is the same and none of whose documents changed keeps its key: every input of
    a key comes from those documents (their content, hence also status and headings), the Git
    dates in the fingerprint, or the run's settings, which must be the same. So an edit costs
    the pages that read the edited entry, not 10,000 digests; tests check the reused keys
    against fresh ones after each kind of edit.
    """

    def __init__(self, ctx: RenderContext, before: Keys | None = None) -> None:
        self.ctx = ctx
        self.view = ctx.view
        self.documents = ctx.view.collection.documents
        self._studies: dict[str, str] = {}
        self._cells: dict[str, str] = {}
        self.memo: dict[tuple[str, str], _Memo] = {}
        self.digests = {ref: doc.digest for ref, doc in self.documents.items()}
        self._old: dict[tuple[str, str], _Memo] = {}
        self._changed: frozenset[str] = frozenset()
        if before is not None and before.run == self.run:
            old, new = before.digests, self.digests
            self._old = before.memo
            self._changed = frozenset(
                k for k in old.keys() | new.keys() if old.get(k) != new.get(k)
            )

    @cached_property
    def run(self) -> str:
        """What every page reads: matrixpipe itself, the settings, preview or public."""
        view = self.view
        today = date.today().isoformat() if view.drafts else ""  # previews warn by age
        return _digest(
            salt(),
            self.ctx.site.model_dump_json(),
            view.drafts,
            view.urls.base,
            sorted((k, tuple(v)) for k, v in view.jurisdictions.items()),
            today,
        )

    def _doc(self, ref: str) -> str:
        return self.digests.get(ref, "")

    def _dates(self, path: str | None) -> object:
        dates = self.ctx.dates(path)
        return (dates.added.isoformat(), dates.updated.isoformat()) if dates else None

    def _face(self, study_id: str) -> object:
        """How another page shows a study: whether it has a page, is listed, and its entry."""
        view = self.view
        return (view.has_page(study_id), view.study(study_id) is not None, self._doc(study_id))

    def _cell_face(self, key: str) -> object:
        cell = self.view.cells.get(key)
        if cell is None:
            return None
        return (cell.title, cell.text, cell.status, self._doc(key) if cell.text else "")

    def _targets(self, texts: Iterable[str], reads: set[str]) -> list[object]:
        """Where each `study:`/`cell:` link of some Markdown lands in this run (the documents
        that decides added to `reads`)."""
        found = []
        for text in texts:
            if not text or ("study:" not in text and "cell:" not in text):
                continue
            for link in find_links(text):
                kind, _, ref = link.target.partition(":")
                if kind in ("study", "cell"):
                    found.append((link.target, self.view.target(link.target)))
                    reads.update(_refs(kind, ref.partition("#")[0]))
        return found

    def _study_texts(self, study: models.Study) -> list[str]:
        return [study.summary, *study.key_points, *(p.note for p in study.placements)]

    def _reuse(self, name: tuple[str, str], mine: object) -> str | None:
        old = self._old.get(name)
        if old is not None and old[0] == mine and self._changed.isdisjoint(old[1]):
            self.memo[name] = old
            return old[2]
        return None

    def study(self, study: models.Study) -> str:
        """A study's page, its API document and its downloads (computed once per study)."""
        key = self._studies.get(study.id)
        if key is None:
            name = ("study", study.id)
            mine = (self._doc(study.id), self._dates(self.ctx.study_file(study.id)))
            key = self._reuse(name, mine)
            if key is None:
                reads = {study.id}
                key = self._study(study, reads)
                self.memo[name] = (mine, frozenset(reads), key)
            self._studies[study.id] = key
        return key

    def _study(self, study: models.Study, reads: set[str]) -> str:
        placed = sorted({p.cell for p in study.placements})
        matrices = sorted({key.partition("/")[0] for key in placed})
        related = [r.study for r in study.related if r.study is not None]
        reads.update(placed, matrices, related)
        return _digest(
            self.run,
            "study",
            self._doc(study.id),
            self._dates(self.ctx.study_file(study.id)),
            [(key, self._cell_face(key)) for key in placed],
            [self._doc(matrix) for matrix in matrices],
            [self._face(ref) for ref in related],
            self._targets(self._study_texts(study), reads),
        )

    def cell(self, cell: Cell) -> str:
        """A cell's page, its API document and its downloads (computed once per cell)."""
        key = self._cells.get(cell.key)
        if key is None:
            name = ("cell", cell.key)
            listed = tuple(item.study.id for item in cell.listings)
            mine = (self._doc(cell.key), self._dates(cell.entry_path), listed)
            key = self._reuse(name, mine)
            if key is None:
                reads = {cell.key, cell.matrix.id, *listed}
                key = self._cell(cell, reads)
                self.memo[name] = (mine, frozenset(reads), key)
            self._cells[cell.key] = key
        return key

    def _cell(self, cell: Cell, reads: set[str]) -> str:
        listed = [item.study for item in cell.listings]
        related = [r.study for s in listed for r in s.related if r.study is not None]
        reads.update(related)
        for key in cell.see_also:
            reads.update(_refs("cell", key))
        return _digest(
            self.run,
            "cell",
            self._cell_face(cell.key),
            self._doc(cell.key),
            self._doc(cell.matrix.id),
            self._dates(cell.entry_path),
            [(s.id, self._doc(s.id)) for s in listed],
            [self._face(ref) for ref in related],
            [(key, self._cell_face(key)) for key in cell.see_also],
            self._targets([cell.bite, *(item.placement.note for item in cell.listings)], reads),
        )


def _refs(kind: str, ref: str) -> tuple[str, ...]:
    """The documents (by id) a link's landing depends on: a study, or a cell and its matrix."""
    return (ref,) if kind == "study" else (ref, ref.partition("/")[0])


@dataclass
class Manifest:
    """The key each file of an output folder was made from (signed, in the cache folder)."""

    file: Path | None
    old: dict[str, tuple[str, int]] = field(default_factory=dict)
    new: dict[str, tuple[str, int]] = field(default_factory=dict)
    stamp: str = ""
    """What the whole folder was made with (a site's theme and settings): another stamp, and
    the manifest's entries are not trusted."""

    @classmethod
    def of(cls, repo: Path, root: Path, use: bool = True, stamp: str = "") -> Manifest:
        """The manifest of the files under `root` (not read when `use` is False: a clean run)."""
        name = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
        manifest = cls(cache_dir(repo) / f"manifest-{name}.marshal", stamp=stamp)
        payload = read_cache_file(manifest.file) if use and manifest.file else None
        if (
            isinstance(payload, tuple)
            and len(payload) == 3
            and payload[0] == _MANIFEST_VERSION
            and payload[1] == stamp
            and isinstance(payload[2], dict)
        ):
            manifest.old = {
                k: v
                for k, v in payload[2].items()
                if isinstance(k, str)
                and isinstance(v, tuple)
                and len(v) == 2
                and isinstance(v[0], str)
                and isinstance(v[1], int)
            }
        return manifest

    def current(self, path: str, key: str | None, root: Path) -> bool:
        """Whether the file at `path` was made from `key` and is still as it was written."""
        if key is None:
            return False
        known = self.old.get(path)
        if known is None or known[0] != key:
            return False
        try:
            size = os.stat(root / path).st_size
        except OSError:
            return False
        if size != known[1]:
            return False
        self.new[path] = known
        return True

    def record(self, path: str, key: str | None, size: int) -> None:
        if key is not None:
            self.new[path] = (key, size)

    @property
    def trusted(self) -> bool:
        """Whether a manifest of the same stamp was read (the folder's files can be reused)."""
        return bool(self.old)

    def save(self) -> None:
        if self.file is not None:
            write_cache_file(self.file, (_MANIFEST_VERSION, self.stamp, self.new))


def write_outputs(
    outputs: Iterable[Output], root: Path, manifest: Manifest, record: list[str] | None = None
) -> tuple[set[str], int]:
    """Make and write each output whose inputs changed (or whose file is gone), each
    atomically and only if its bytes differ; (every path, how many files were written). The
    paths written are added to `record`, if given."""
    tree: set[str] = set()
    written = 0
    for output in outputs:
        tree.add(output.path)
        if manifest.current(output.path, output.key, root):
            continue
        data = output.make().encode("utf-8")
        path = root / output.path
        if not (path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data):
            replace_file(path, data)
            written += 1
            if record is not None:
                record.append(output.path)
        manifest.record(output.path, output.key, len(data))
    return tree, written


def replace_file(path: Path, data: bytes) -> None:
    """Write beside the target, then rename over it: no reader (MkDocs) sees half a file, and a
    file hard-linked from the previous site is replaced, never written into. Generated files
    are made again from the entries, so they are not flushed to disk one by one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.mp{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def pending(outputs: Iterable[Output], root: Path, manifest: Manifest) -> Iterator[Output]:
    """The outputs that a run must make: their inputs changed, or their file is gone."""
    probe = Manifest(None, dict(manifest.old))
    for output in outputs:
        if not probe.current(output.path, output.key, root):
            yield output


def read_text(root: Path) -> Callable[[str], str]:
    """Reads a file already written under `root`, for the files built from many others."""
    return lambda path: (root / path).read_text(encoding="utf-8")
