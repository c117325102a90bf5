"""The orchestrator: load → validate → index → resolve, collecting every finding in one Report.

Each file is read once and hashed; a file whose hash is in the cache skips parsing and
validation. Large cold runs parse in a pool of processes, one per core.
"""

from __future__ import annotations

import difflib
import os
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from matrixpipe.check.cache import (
    LEGACY_DIR,
    DataCache,
    EntryCache,
    Payload,
    StatIndex,
    cache_dir,
    content_digest,
)
from matrixpipe.check.facts import Facts, extract
from matrixpipe.check.load import (
    Document,
    Kind,
    classify,
    discover,
    entry_ref,
    misplaced_file,
    read_document,
    read_entry_bytes,
)
from matrixpipe.check.resolve import Collection, Judged, assemble, judge, judge_cached
from matrixpipe.check.validate import Entry, validate_document
from matrixpipe.config import Config, load_config
from matrixpipe.diagnostics import Diagnostic, Report
from matrixpipe.errors import RepoError
from matrixpipe.rules import finding

POOL_THRESHOLD = 2000
"""Below this many files a process pool costs more than it saves."""


@dataclass
class Result:
    """What a check produces: the report and the config; the collection is built on demand."""

    repo: Path
    report: Report
    config: Config
    entries: list[Entry] = field(default_factory=list)
    pending: list[tuple[str, Kind, bytes | None]] = field(default_factory=list)
    """Files read but not parsed (their findings came from the cache): parsed and validated
    only if the collection is asked for, from these bytes, never read from disk again (None:
    a file the check knew by its status alone, read now)."""
    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    """(kind, id) → the path of the entry that owns the id (the judge's index)."""
    digests: dict[str, str] = field(default_factory=dict)
    """Each entry file's content digest."""
    cached: bool = True
    """Whether the caches may be used (not for a base tree checked from history)."""
    previous: Result | None = None
    """The run before in the same process (`serve`): its entries are reused where the file's
    content is the same."""

    @cached_property
    def collection(self) -> Collection:
        """Every valid entry assembled for rendering: the check's own entries, plus the pending
        files validated now, each from the data it parsed to before (the signed data cache)
        or, failing that, parsed now: no file is parsed twice in a run."""
        self.pending = [item for item in map(self._read_now, self.pending) if item]
        reused = self._reused()
        data = DataCache(self.repo) if self.cached and len(reused) < len(self.pending) else None
        known, unknown = [], []
        for path, kind, raw in self.pending:
            if path in reused:
                continue
            hit = data.get(path, self.digests[path]) if data is not None else None
            (known if hit is not None else unknown).append((path, kind, raw, hit))
        done = []
        for path, kind, raw, hit in known:
            doc = read_document(path, kind, raw, hit)
            entry = validate_document(doc)[0] if isinstance(doc, Document) else None
            if entry is not None:
                done.append(entry)
        jobs = [(path, kind, raw) for path, kind, raw, _ in unknown]
        done += [entry for _, entry, _ in _process_all(jobs, with_entries=True) if entry]
        self.pending = []
        self.entries += done + list(reused.values())
        self.previous = None
        if data is not None:
            for entry in self.entries:
                data.put(entry.doc.path, self.digests[entry.doc.path], entry.doc.data)
            data.save()
        return assemble(self.entries, self.owners)

    def _read_now(
        self, item: tuple[str, Kind, bytes | None]
    ) -> tuple[str, Kind, bytes | None] | None:
        """A pending file with its bytes, read now if the check knew it by its status (None if
        it can no longer be read: the next check reports it)."""
        path, kind, raw = item
        if raw is None:
            read = read_entry_bytes(self.repo, path, kind)
            if not isinstance(read, bytes):
                return None
            raw, self.digests[path] = read, content_digest(read)
        return path, kind, raw

    def _reused(self) -> dict[str, Entry]:
        """The previous run's entries of the pending files whose content is unchanged."""
        before = self.previous
        if before is None or before.pending:
            return {}
        same = {
            path for path, _, _ in self.pending if before.digests.get(path) == self.digests[path]
        }
        return {e.doc.path: e for e in before.entries if e.doc.path in same}

    def release(self) -> None:
        """Drop the entries and the collection (the render is on disk): MkDocs needs the memory."""
        self.__dict__.pop("collection", None)
        self.entries = []


def check(
    repo: Path,
    base: str | None = None,
    online: bool = False,
    use_cache: bool = True,
    publish: bool = False,
    previous: Result | None = None,
) -> Result:
    """Check the collection in `repo`; every problem becomes a finding, none stops the run.

    With `publish` (the caller will ask for `Result.collection`), a pool of processes sends
    back each file's entry with its findings, so no file is parsed a second time.
    """
    if not (repo / "entries").is_dir():
        raise RepoError(f"{repo}: no entries/ folder here; run matrixpipe in a collection's root")
    config = load_config(repo)
    report = Report()
    report.extend(tracked_caches(repo))
    paths = discover(repo)
    cache = EntryCache(repo if use_cache else None)
    stats = StatIndex(repo if use_cache else None)
    documents = _Documents(repo)
    with_facts: list[str] = []
    """The valid entries' paths, in order; their facts come from the cache or from `fresh`."""
    fresh: dict[str, Facts] = {}
    entries: list[Entry] = []
    todo: list[tuple[str, Kind, bytes, str]] = []
    pending: list[tuple[str, Kind, bytes | None]] = []
    digests: dict[str, str] = {}
    for path in paths:
        kind = classify(path)
        if kind is None:
            report.extend([d for d in [misplaced_file(path)] if d])
            continue
        full = os.path.join(repo, path)
        if not publish:  # the collection is not asked for: a known file needs no reading
            known = stats.digest(full, path)
            hit = cache.get(path, known) if known is not None else None
            if hit is not None:
                digests[path] = known  # type: ignore[assignment]
                report.extend(hit[0])
                if hit[1]:  # read only if the collection is asked for after all
                    with_facts.append(path)
                    pending.append((path, kind, None))
                continue
        raw = read_entry_bytes(repo, path, kind)
        if isinstance(raw, Diagnostic):
            report.add(raw)
            continue
        digest = digests[path] = content_digest(raw)
        stats.record(full, path, digest)
        hit = cache.get(path, digest)
        if hit is None:
            todo.append((path, kind, raw, digest))
        else:
            report.extend(hit[0])
            if hit[1]:  # a valid entry: the collection may need it
                with_facts.append(path)
                pending.append((path, kind, raw))
    jobs = [(path, kind, raw) for path, kind, raw, _ in todo]
    for (path, kind, raw, digest), (payload, entry, doc) in zip(
        todo, _process_all(jobs, with_entries=publish), strict=True
    ):
        cache.put(path, digest, payload)
        report.extend(payload[0])
        if payload[1] is not None:
            with_facts.append(path)
            fresh[path] = payload[1]
        if doc is None and entry is not None:
            doc = entry.doc
        if doc is not None:
            documents[path] = doc
        if entry is not None:
            entries.append(entry)
        elif payload[1] is not None:  # valid, but parsed in a worker that kept its entry
            pending.append((path, kind, raw))
    cache.save()
    stats.save()
    good = set(with_facts)
    broken = frozenset(f"{r[0]}:{r[1]}" for p in paths if p not in good and (r := entry_ref(p)))

    def judge_all() -> Judged:
        facts = [fresh[p] if p in fresh else cache.facts(p) for p in with_facts]
        known = [f for f in facts if f is not None]
        similar = cache_dir(repo) / "similar.marshal" if use_cache else None
        judged = judge(known, documents, broken, similar)
        judged.diagnostics += _jurisdictions(known, documents, config)
        return judged

    if use_cache and not online:
        key = cache.facts_key(sorted(broken), config.jurisdictions)
        judged = judge_cached(cache_dir(repo), key, digests, judge_all)
    else:
        judged = judge_all()
    report.extend(judged.diagnostics)
    if online:
        from matrixpipe.check.online import check_links_online

        report.extend(check_links_online(repo, judged.external_links))
    if base is not None:
        from matrixpipe.git.change import judge as judge_change
        from matrixpipe.git.change import read_change

        report.diagnostics = judge_change(
            report.diagnostics, read_change(repo, base, findings=True)
        )
    report.diagnostics = config.apply(report.diagnostics)
    kinds = Counter(kind for p in paths if (kind := classify(p)))
    report.counts = {k: kinds.get(k, 0) for k in ("matrix", "cell", "study")}
    return Result(
        repo,
        report,
        config,
        entries,
        pending,
        judged.owners,
        digests,
        cached=use_cache,
        previous=previous,
    )


def _jurisdictions(
    all_facts: list[Facts], documents: Mapping[str, Document], config: Config
) -> list[Diagnostic]:
    """Studies whose jurisdiction the collection's table (`jurisdictions:`) does not list."""
    known = {name for names in config.jurisdictions.values() for name in names}
    known |= set(config.jurisdictions)
    if not known:
        return []
    found = []
    for facts in all_facts:
        if facts.kind != "study" or not facts.jurisdiction or facts.jurisdiction in known:
            continue
        close = difflib.get_close_matches(facts.jurisdiction, sorted(known), n=1, cutoff=0.6)
        hint = (
            f"did you mean '{close[0]}'?"
            if close
            else "add it to `jurisdictions:` in matrixpipe.yml, under its group"
        )
        line, column = documents[facts.path].locate(("source", "jurisdiction"))
        found.append(
            finding(
                "MP316",
                facts.path,
                line,
                column,
                f"jurisdiction '{facts.jurisdiction}' is not in the table of jurisdictions",
                hint,
            )
        )
    return found


def tracked_caches(repo: Path) -> list[Diagnostic]:
    """A file under `.matrixpipe-cache/` that Git tracks: a cache is never part of a collection
    (matrixpipe never reads that folder; a committed one is an attempt, or an accident)."""
    if not (repo / LEGACY_DIR).exists() and not (repo / LEGACY_DIR).is_symlink():
        return []
    from matrixpipe.git.history import _prefix, open_repo  # GitPython: 60 ms to import

    repository = open_repo(repo)
    if repository is None:
        return []
    prefix = _prefix(repository, repo)
    listed = repository.git.ls_files("-z", "--", f"{prefix}{LEGACY_DIR}")
    return [
        finding(
            "MP503",
            path[len(prefix) :],
            None,
            None,
            "this cache file is committed to the repository",
            f"remove it from Git: `git rm --cached -r {LEGACY_DIR}`; caches are kept outside "
            "the repository and never read from it",
        )
        for path in sorted(p for p in listed.split("\0") if p)
    ]


def process(path: str, kind: Kind, raw: bytes) -> tuple[Payload, Entry | None, Document | None]:
    """Parse, validate and index one file: its findings, its facts, and its entry if valid."""
    doc = read_document(path, kind, raw)
    if isinstance(doc, Diagnostic):
        return ([doc], None), None, None
    entry, found = validate_document(doc)
    return (found, extract(entry) if entry else None), entry, doc


def _process_all(
    jobs: list[tuple[str, Kind, bytes]], with_entries: bool = False
) -> Iterator[tuple[Payload, Entry | None, Document | None]]:
    """`process` each file, in a pool of processes for large runs. Workers send back findings
    and facts (plain tuples, cheap to pickle), and the entries only `with_entries`."""
    workers = min(os.cpu_count() or 1, 4)
    if len(jobs) < POOL_THRESHOLD or workers < 2:
        for path, kind, raw in jobs:
            yield process(path, kind, raw)
        return
    from concurrent.futures import ProcessPoolExecutor  # (a warm check need not import it)

    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(1, len(jobs) // (workers * 8))
        work = _with_entry if with_entries else _payload_only
        for payload, entry in pool.map(work, jobs, chunksize=chunk):
            yield payload, entry, None


def _payload_only(args: tuple[str, Kind, bytes]) -> tuple[Payload, None]:
    return process(*args)[0], None


def _with_entry(args: tuple[str, Kind, bytes]) -> tuple[Payload, Entry | None]:
    payload, entry, _ = process(*args)
    return payload, entry


class _Documents(dict[str, Document]):
    """Documents by path, read and parsed again only when a finding needs a position."""

    def __init__(self, repo: Path) -> None:
        super().__init__()
        self.repo = repo

    def __missing__(self, path: str) -> Document:
        kind = classify(path)
        assert kind is not None
        doc = read_document(path, kind, (self.repo / path).read_bytes())
        assert isinstance(doc, Document), path
        self[path] = doc
        return doc
