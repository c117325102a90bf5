"""The orchestrator: load → validate → resolve, collecting every finding in one Report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from matrixpipe.config import Config, load_config
from matrixpipe.diagnostics import Report
from matrixpipe.errors import RepoError
from matrixpipe.load import classify, discover, entry_ref, load_files, reader
from matrixpipe.resolve import Collection, resolve
from matrixpipe.validate import Entry, validate_documents


@dataclass
class Result:
    """What a check produces: the report, the config, and the resolved collection for rendering."""

    report: Report
    config: Config
    collection: Collection
    entries: list[Entry] = field(default_factory=list)


def check(repo: Path, base: str | None = None, online: bool = False) -> Result:
    """Check the collection in `repo`; every problem becomes a finding, none stops the run."""
    if not (repo / "entries").is_dir():
        raise RepoError(f"{repo}: no entries/ folder here; run matrixpipe in a collection's root")
    config = load_config(repo)
    report = Report()
    paths = discover(repo)
    loaded = load_files((p, reader(repo, p)) for p in paths)
    report.extend(loaded.diagnostics)
    validated = validate_documents(loaded.documents)
    report.extend(validated.diagnostics)
    good = {entry.doc.path for entry in validated.entries}
    broken = frozenset(
        f"{ref[0]}:{ref[1]}" for p in paths if p not in good and (ref := entry_ref(p))
    )
    collection = resolve(validated.entries, broken)
    report.extend(collection.diagnostics)
    if online:
        from matrixpipe.online import check_links_online

        report.extend(check_links_online(repo, collection.external_links))
    if base is not None:
        from matrixpipe.change import judge, read_change

        report.diagnostics = judge(report.diagnostics, read_change(repo, base))
    report.diagnostics = config.apply(report.diagnostics)
    kinds = Counter(kind for p in paths if (kind := classify(p)))
    report.counts = {k: kinds.get(k, 0) for k in ("matrix", "cell", "study")}
    return Result(report, config, collection, validated.entries)
