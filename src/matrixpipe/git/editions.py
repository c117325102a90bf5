"""Editions: named states of the collection (a tag or a day), and what changed between them.

The What's new page compares consecutive boundaries: the beginning (an empty collection), each
edition from `matrixpipe.yml`, oldest first, and the current tree (the collection being
published). Everything is judged by published status at each boundary, so a study is *in* a
state when it is `published` there:

- **added**: in the later state, not in the earlier one;
- **withdrawn**: in the earlier state; in the later one `withdrawn`, or deleted;
- **moved**: in both, listed in another set of cells;
- **re-categorised**: in both, with other categories in a cell it is listed in at both;
- **bite changed**: a cell whose published bite differs (a bite counts as "" while its cell is
  unpublished or has no file).

A study that went back to draft or review is none of these; published again, it counts as added.
A renamed study is the same study (renames from `git diff -M` and from the history walk's
redirects), known by its current id.

Fast at any size: no state is ever read whole from Git. For each pair of consecutive commits,
`git diff --raw -M` names the entry files that changed, and only those blobs are read (one
`git cat-file --batch` for all of them, each blob once) and parsed with the check's own loader.
The current tree is the checked collection, parsed already; the oldest edition's whole state
(what the beginning section lists) is the collection's for every file unchanged since then.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise

import git

from matrixpipe import models
from matrixpipe.check.load import Kind, classify, entry_ref, read_document
from matrixpipe.check.resolve import Collection
from matrixpipe.check.validate import validate_document
from matrixpipe.config import CONFIG_FILE, Edition
from matrixpipe.diagnostics import Diagnostic
from matrixpipe.errors import ConfigError, RepoError
from matrixpipe.git.history import History, _prefix, open_repo

_NO_BLOB = "0" * 40
_REGULAR = ("100644", "100755")
_SCOPES = ("entries/studies", "entries/cells")

# -- what one boundary holds, and the comparison of two ---------------------------------------


@dataclass(frozen=True)
class StudyState:
    """A study as one boundary had it: what the comparison needs, nothing more."""

    title: str
    status: str
    cells: tuple[tuple[str, tuple[str, ...]], ...]
    """(cell key, categories in S, K, R, G order) per placement, in the file's order."""

    @property
    def published(self) -> bool:
        return self.status == "published"

    @property
    def cell_keys(self) -> list[str]:
        return [key for key, _ in self.cells]

    @classmethod
    def of(cls, study: models.Study) -> StudyState:
        return cls(
            study.title,
            study.status,
            tuple(
                (p.cell, tuple(c for c in models.CATEGORIES if c in p.categories))
                for p in study.placements
            ),
        )


def public_bite(cell: models.Cell | None) -> str:
    """The bite as the public saw it: "" while the cell is unpublished or has no file."""
    return cell.bite if cell is not None and cell.status == "published" else ""


@dataclass
class State:
    """What a comparison knows of one boundary: studies by current id, public bites by cell key.
    Between two commits only the entries that changed are here (on both sides); an entry
    on one side only was absent from the other."""

    studies: dict[str, StudyState] = field(default_factory=dict)
    bites: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StudyChange:
    """One study that changed between two boundaries, under its current id."""

    id: str
    before: StudyState | None
    after: StudyState | None

    @property
    def title(self) -> str:
        """The title at the later boundary, or the earlier one's for a deleted study."""
        state = self.after if self.after is not None else self.before
        return state.title if state is not None else self.id

    @property
    def left(self) -> list[str]:
        """The cells it was listed in before and is not any more."""
        after = set(self.after.cell_keys) if self.after else set()
        return [k for k in (self.before.cell_keys if self.before else []) if k not in after]

    @property
    def joined(self) -> list[str]:
        """The cells it is listed in now and was not before."""
        before = set(self.before.cell_keys) if self.before else set()
        return [k for k in (self.after.cell_keys if self.after else []) if k not in before]

    @property
    def recategorised(self) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
        """(cell, categories before, categories after) in each cell of both whose categories
        changed."""
        if self.before is None or self.after is None:
            return []
        before = dict(self.before.cells)
        return [
            (key, before[key], categories)
            for key, categories in self.after.cells
            if key in before and before[key] != categories
        ]


@dataclass
class Changes:
    """What changed between two boundaries, each list by current id (cells by key)."""

    added: list[StudyChange] = field(default_factory=list)
    moved: list[StudyChange] = field(default_factory=list)
    recategorised: list[StudyChange] = field(default_factory=list)
    withdrawn: list[StudyChange] = field(default_factory=list)
    bites: list[str] = field(default_factory=list)
    """The cells whose published bite changed."""

    def __bool__(self) -> bool:
        return any((self.added, self.moved, self.recategorised, self.withdrawn, self.bites))


def compare(before: State, after: State) -> Changes:
    """The changes from one boundary to the next, by the rules in this module's docstring."""
    changes = Changes()
    for study_id in sorted(before.studies.keys() | after.studies.keys()):
        old, new = before.studies.get(study_id), after.studies.get(study_id)
        was, now = old is not None and old.published, new is not None and new.published
        change = StudyChange(study_id, old, new)
        if now and not was:
            changes.added.append(change)
        elif was and (new is None or new.status == "withdrawn"):
            changes.withdrawn.append(change)
        elif was and now:
            if change.left or change.joined:
                changes.moved.append(change)
            if change.recategorised:
                changes.recategorised.append(change)
    changes.bites = sorted(
        key
        for key in before.bites.keys() | after.bites.keys()
        if before.bites.get(key, "") != after.bites.get(key, "")
    )
    return changes


def current_state(collection: Collection) -> State:
    """The whole current tree as a State: every study and every cell's public bite."""
    return State(
        {study_id: StudyState.of(study) for study_id, study in collection.studies.items()},
        {key: public_bite(page.entry) for key, page in collection.cells.items() if page.entry},
    )


# -- boundaries and periods --------------------------------------------------------------------


@dataclass(frozen=True)
class Boundary:
    """A configured edition, resolved to its commit."""

    name: str
    commit: str
    day: dt.date
    """The edition's date: its `date:`, or its commit's day (UTC)."""
    ref: str | None = None


@dataclass(frozen=True)
class Period:
    """What changed from one boundary to the next."""

    since: Boundary | None
    """None: the beginning (an empty collection)."""
    until: Boundary | None
    """None: the current tree."""
    changes: Changes


def read_periods(collection: Collection, editions: list[Edition], history: History) -> list[Period]:
    """Every period, newest first: since the newest edition, each edition since the one before,
    and the oldest since the beginning. With no editions, one period: since the beginning."""
    if not editions:
        return [Period(None, None, compare(State(), current_state(collection)))]
    repo = history.repo
    repository = open_repo(repo) if repo is not None else None
    if repo is None or repository is None or not repository.head.is_valid():
        raise ConfigError(
            f"{CONFIG_FILE}: editions need the collection's Git history, and there is none here"
        )
    reader = _Reader(repository, _prefix(repository, repo), collection, history)
    return reader.periods(resolve(repository, editions))


def resolve(repository: git.Repo, editions: list[Edition]) -> list[Boundary]:
    """Each edition's commit, oldest first (by commit time; ties keep the file's order).

    A `date` is the checked-out branch (HEAD, first parents) as it stood at the end of that day,
    UTC. A ref or a date that names no commit is a config error (exit 2)."""
    found: list[tuple[Edition, str]] = []
    for edition in editions:
        if edition.ref is not None:
            try:
                sha = repository.git.rev_parse("--verify", "--quiet", f"{edition.ref}^{{commit}}")
            except git.GitCommandError:
                raise ConfigError(
                    f"{CONFIG_FILE}: edition '{edition.name}': no commit '{edition.ref}' in this "
                    "repository (fetch its tags: actions/checkout with `fetch-tags: true`)"
                ) from None
        else:
            assert edition.date is not None
            sha = repository.git.rev_list(
                "-1",
                "--first-parent",
                f"--before={edition.date.isoformat()} 23:59:59 +0000",
                "HEAD",
            )
            if not sha.strip():
                raise ConfigError(
                    f"{CONFIG_FILE}: edition '{edition.name}': the history has no commit on or "
                    f"before {edition.date.isoformat()}"
                )
        found.append((edition, sha.strip()))
    times = dict(
        line.split(" ", 1)
        for line in repository.git.log(
            "--no-walk=unsorted", "--format=%H %ct", *{sha for _, sha in found}
        ).splitlines()
    )
    boundaries = [
        (
            int(times[sha]),
            i,
            Boundary(
                edition.name,
                sha,
                edition.date or dt.datetime.fromtimestamp(int(times[sha]), tz=dt.UTC).date(),
                edition.ref,
            ),
        )
        for i, (edition, sha) in enumerate(found)
    ]
    return [b for *_, b in sorted(boundaries, key=lambda t: (t[0], t[1]))]


@dataclass(frozen=True)
class _Diff:
    """One changed entry file from `git diff --raw`: paths relative to the collection."""

    status: str
    old: str
    new: str
    old_blob: str | None
    new_blob: str | None


class _Reader:
    """Reads the changes between boundaries from one repository, parsing only changed files."""

    def __init__(
        self, repository: git.Repo, prefix: str, collection: Collection, history: History
    ) -> None:
        self.repository = repository
        self.prefix = prefix
        self.collection = collection
        self.redirects = {r.old: r.new for r in history.redirects if r.kind == "study"}
        self.studies_at: dict[str, models.Study] = {}
        for study_id, study in collection.studies.items():
            doc = collection.documents.get(study_id)
            if doc is not None and doc.kind == "study":
                self.studies_at[doc.path] = study
        self.cells_at = {
            page.doc.path: page.entry
            for page in collection.cells.values()
            if page.doc is not None and page.entry is not None
        }
        self.parsed: dict[tuple[str, Kind], models.Study | models.Cell | None] = {}

    def periods(self, boundaries: list[Boundary]) -> list[Period]:
        """Newest first. Every diff first, then every blob they need in one read, then the
        comparisons, newest first, so each rename is known under its current id."""
        commits = [b.commit for b in boundaries]
        steps = [self._diff(a, b) for a, b in pairwise(commits)]
        since_oldest = self._diff(commits[0], None)
        since_newest = [
            *(since_oldest if len(commits) == 1 else self._diff(commits[-1], None)),
            *self._untracked(),
        ]
        oldest = self._tree(commits[0])
        changed = {d.old for d in since_oldest if d.status != "A"}
        reread = {
            path: blob
            for path, blob in oldest.items()
            if path in changed or (path not in self.studies_at and path not in self.cells_at)
        }
        self._parse_blobs(
            [
                *((d.old, d.old_blob) for step in [*steps, since_newest] for d in step),
                *((d.new, d.new_blob) for step in steps for d in step),
                *reread.items(),
            ]
        )
        later: dict[str, str] = {}  # an id at the boundary being read → its current id
        out = [Period(boundaries[-1], None, self._current(since_newest, later))]
        for i in range(len(steps) - 1, -1, -1):
            out.append(Period(boundaries[i], boundaries[i + 1], self._step(steps[i], later)))
        beginning = self._oldest(oldest, reread, later)
        out.append(Period(None, boundaries[0], compare(State(), beginning)))
        return out

    # -- the three kinds of comparison ---------------------------------------------------------

    def _current(self, diffs: list[_Diff], later: dict[str, str]) -> Changes:
        """The newest edition against the current tree (the collection, already parsed)."""
        before, after = State(), State()
        for d in diffs:
            ref = entry_ref(d.new)
            if ref is not None and ref[0] == "study" and d.status == "R":
                old = entry_ref(d.old)
                if old is not None:
                    later[old[1]] = ref[1]
            self._put(before, d.old, self._model(d.old, d.old_blob), later)
            if d.status != "D":
                self._put(after, d.new, self._now(d.new), {})
        return compare(before, after)

    def _step(self, diffs: list[_Diff], later: dict[str, str]) -> Changes:
        """One edition against the next: both sides parsed from the changed blobs only."""
        before, after = State(), State()
        renames: dict[str, str] = {}
        for d in diffs:
            self._put(after, d.new, self._model(d.new, d.new_blob), later)
            old, new = entry_ref(d.old), entry_ref(d.new)
            if d.status == "R" and old and new and old[0] == new[0] == "study":
                renames[old[1]] = self._current_id(new[1], later)
        for d in diffs:
            self._put(before, d.old, self._model(d.old, d.old_blob), later, renames)
        later.update(renames)
        return compare(before, after)

    def _oldest(self, tree: dict[str, str], reread: dict[str, str], later: dict[str, str]) -> State:
        """The oldest edition's whole state: the collection's entry for each file unchanged
        since then, the blob's for the others."""
        state = State()
        for path, blob in tree.items():
            if path in reread:
                self._put(state, path, self._model(path, blob), later)
            else:
                self._put(state, path, self._now(path), {})
        return state

    # -- ids, states and blobs -------------------------------------------------------------------

    def _current_id(self, study_id: str, later: Mapping[str, str]) -> str:
        """The id a study at some boundary has now: renamed later (diffs), or anywhere in the
        history (the walk's redirects)."""
        return later.get(study_id) or self.redirects.get(study_id) or study_id

    def _put(
        self,
        state: State,
        path: str,
        model: models.Study | models.Cell | None,
        later: Mapping[str, str],
        renames: Mapping[str, str] | None = None,
    ) -> None:
        """Record one side of one changed file. An absent study is simply not recorded (the
        comparison reads a missing id as absent); an absent bite is ""."""
        ref = entry_ref(path)
        if ref is None:
            return
        kind, entry_id = ref
        if kind == "study" and isinstance(model, models.Study):
            key = (renames or {}).get(entry_id) or self._current_id(entry_id, later)
            state.studies[key] = StudyState.of(model)
        elif kind == "cell":
            state.bites[entry_id] = public_bite(model if isinstance(model, models.Cell) else None)

    def _now(self, path: str) -> models.Study | models.Cell | None:
        """The collection's entry for a file of the current tree."""
        return self.studies_at.get(path) or self.cells_at.get(path)

    def _model(self, path: str, blob: str | None) -> models.Study | models.Cell | None:
        kind = classify(path)
        if blob is None or kind not in ("study", "cell"):
            return None
        return self.parsed.get((blob, kind))

    def _parse_blobs(self, wanted: Iterable[tuple[str, str | None]]) -> None:
        """Read every wanted blob at once and parse each (blob, kind) once."""
        todo = {
            (blob, kind): path
            for path, blob in wanted
            if blob is not None and (kind := classify(path)) in ("study", "cell")
        }
        raw = read_blobs(self.repository, {blob for blob, _ in todo})
        for (blob, kind), path in todo.items():
            self.parsed[(blob, kind)] = (
                parse_entry(path, kind, raw[blob]) if blob in raw else None  # type: ignore[arg-type]
            )

    # -- Git ----------------------------------------------------------------------------------

    def _scope(self) -> list[str]:
        return [f"{self.prefix}{scope}" for scope in _SCOPES]

    def _diff(self, old: str, new: str | None) -> list[_Diff]:
        """The entry files changed from commit `old` to commit `new` (None: the working tree)."""
        revs = [old] if new is None else [old, new]
        out = self.repository.git.diff(
            "--raw", "-z", "-M", "--no-abbrev", "--no-ext-diff", *revs, "--", *self._scope()
        )
        return list(self._parse_raw(out))

    def _parse_raw(self, output: str) -> Iterable[_Diff]:
        tokens = output.split("\0")
        i = 0
        while i < len(tokens) and tokens[i].startswith(":"):
            mode_a, mode_b, blob_a, blob_b, status = tokens[i][1:].split(" ")
            letter = status[0]
            old = tokens[i + 1]
            new = tokens[i + 2] if letter in "RC" else old
            i += 3 if letter in "RC" else 2
            yield _Diff(
                "M" if letter in "TC" else letter,
                old[len(self.prefix) :],
                new[len(self.prefix) :],
                blob_a if mode_a in _REGULAR and blob_a != _NO_BLOB else None,
                blob_b if mode_b in _REGULAR and blob_b != _NO_BLOB else None,
            )

    def _untracked(self) -> list[_Diff]:
        """Entry files not yet in Git: additions to the current tree."""
        out = self.repository.git.ls_files(
            "-z", "--others", "--exclude-standard", "--", *self._scope()
        )
        return [
            _Diff("A", p[len(self.prefix) :], p[len(self.prefix) :], None, None)
            for p in out.split("\0")
            if p
        ]

    def _tree(self, commit: str) -> dict[str, str]:
        """Path → blob of every regular entry file at a commit (names only, nothing parsed)."""
        out = self.repository.git.ls_tree("-r", "-z", "--full-tree", commit, "--", *self._scope())
        found = {}
        for line in out.split("\0"):
            meta, _, path = line.partition("\t")
            if meta and meta.split(" ")[0] in _REGULAR:
                found[path[len(self.prefix) :]] = meta.split(" ")[2]
        return found


def read_blobs(repository: git.Repo, blobs: Iterable[str]) -> dict[str, bytes]:
    """The contents of many blobs from one `git cat-file --batch` process."""
    wanted = sorted(set(blobs))
    if not wanted:
        return {}
    done = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repository.working_tree_dir,
        input="".join(f"{blob}\n" for blob in wanted).encode("ascii"),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RepoError(f"cannot read the editions' files: {done.stderr.decode()[:200]}")
    out, pos, found = done.stdout, 0, {}
    for blob in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].split(b" ")
        pos = end + 1
        if len(header) != 3:  # "<blob> missing"
            continue
        size = int(header[2])
        found[blob] = out[pos : pos + size]
        pos += size + 1
    return found


def parse_entry(path: str, kind: Kind, raw: bytes) -> models.Study | models.Cell | None:
    """A study or cell from a blob, by the check's own loader; None if it does not validate."""
    doc = read_document(path, kind, raw)
    if isinstance(doc, Diagnostic):
        return None
    entry, _ = validate_document(doc)
    return entry.model if entry is not None else None
