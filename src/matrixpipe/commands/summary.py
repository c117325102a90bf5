"""The pull request's job summary: what the change does to the collection, in editors' terms.

Each study, cell and matrix the change concerns is named once, under what happened to it:

- added: a new file;
- changed: an edited file, still passing the check;
- now invalid: its file is there but fails the check after the change (with its first error);
  an edit that breaks a study is not its removal;
- moved: the file was renamed (Git's rename detection, as `check --base` and the redirects
  use it): the old address redirects to the new one;
- withdrawn: a study whose status became `withdrawn` (its page stays, as a notice);
- removed: the file was deleted.

Then the cells whose listings change, with counts before and after, and the findings. The base
collection is checked from the Git tree of the merge base.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from matrixpipe.check.load import discover, entry_ref
from matrixpipe.check.resolve import Collection
from matrixpipe.check.run import check
from matrixpipe.diagnostics import Diagnostic, Severity
from matrixpipe.git.change import Change, base_tree, read_change
from matrixpipe.git.history import _prefix, open_repo
from matrixpipe.models.entries import CATEGORIES
from matrixpipe.report import markdown_code, markdown_text

_LETTER = {"seminal": "S", "key": "K", "review": "R", "guidance": "G"}
KINDS = {"study": "Studies", "cell": "Cells", "matrix": "Matrices"}
GROUPS = {
    "added": "added",
    "changed": "changed",
    "invalid": "now invalid",
    "moved": "moved",
    "withdrawn": "withdrawn",
    "removed": "removed",
}
"""What can happen to an entry, in the order the summary lists them, with their headings."""


@dataclass(frozen=True)
class Effect:
    """What the change did to one entry."""

    kind: str
    id: str
    group: str
    old_id: str | None = None
    """For an entry the change moved (renamed), the id it had."""
    error: Diagnostic | None = None
    """For an entry now invalid, its first error."""


def base_collection(repo: Path, commit: str) -> Collection:
    """The collection as it was at `commit`, checked from its Git tree (the work tree is
    untouched)."""
    return _base(repo, commit)[0]


def _base(repo: Path, commit: str) -> tuple[Collection, set[str]]:
    """The collection at `commit`, and the path of every entry file it had (valid or not)."""
    repository = open_repo(repo)
    assert repository is not None  # read_change has already required a repository
    with base_tree(repository, commit, _prefix(repository, repo)) as root:
        if root is None:
            return Collection(), set()
        paths = {p for p in discover(root) if entry_ref(p)}
        return check(root, use_cache=False, publish=True).collection, paths


def counts(collection: Collection, key: str) -> Counter[str]:
    """How many studies a cell lists in each category."""
    page = collection.cells.get(key)
    tally: Counter[str] = Counter()
    for listing in page.listings if page else []:
        tally.update(listing.placement.categories)
    return tally


def _fmt(tally: Counter[str]) -> str:
    shown = [f"{tally[c]}{_LETTER[c]}" for c in CATEGORIES if tally[c]]
    return " ".join(shown) or "none"


def effects(
    change: Change,
    before: Collection,
    after: Collection,
    base_paths: set[str],
    paths: set[str],
    errors: list[Diagnostic],
) -> list[Effect]:
    """Each entry the change concerns, and what it did to it (module docstring).

    `paths` are the entry files there now and `base_paths` those at the base; `errors` the
    check's errors after the change. A file is invalid when it has an error the change brought
    (`baseline` false), or when the change touched it and it has any error at all."""
    first: dict[str, Diagnostic] = {}
    for d in errors:
        if d.severity == Severity.ERROR and (not d.baseline or d.path in change.changed):
            first.setdefault(d.path, d)
    found = []
    for path in sorted(paths):
        ref = entry_ref(path)
        if ref is None:
            continue
        kind, eid = ref
        old = change.old_paths.get(path, path)
        old_ref = entry_ref(old)
        moved = old != path and old in base_paths and old_ref is not None and old_ref[0] == kind
        old_id = old_ref[1] if moved and old_ref is not None else None
        if path in first:
            found.append(Effect(kind, eid, "invalid", old_id=old_id, error=first[path]))
        elif moved:
            found.append(Effect(kind, eid, "moved", old_id=old_id))
        elif path not in change.changed:
            continue
        elif old not in base_paths:
            found.append(Effect(kind, eid, "added"))
        elif kind == "study" and _withdrawn(after, eid) and not _withdrawn(before, eid):
            found.append(Effect(kind, eid, "withdrawn"))
        else:
            found.append(Effect(kind, eid, "changed"))
    for ref in sorted(change.deleted):
        kind, _, eid = ref.partition(":")
        found.append(Effect(kind, eid, "removed"))
    return found


def _withdrawn(collection: Collection, sid: str) -> bool:
    study = collection.studies.get(sid)
    return study is not None and study.status == "withdrawn"


def pr_summary(repo: Path, ref: str) -> str:
    """Markdown for `$GITHUB_STEP_SUMMARY`."""
    change = read_change(repo, ref)
    result = check(repo, base=ref, publish=True)
    after = result.collection
    before, base_paths = _base(repo, change.base)
    paths = {p for p in discover(repo) if entry_ref(p)}
    found = effects(change, before, after, base_paths, paths, result.report.sorted())
    lines = ["## matrixpipe: what this pull request changes", ""]
    for kind, plural in KINDS.items():
        for group, heading in GROUPS.items():
            chosen = [e for e in found if e.kind == kind and e.group == group]
            if chosen:
                lines += [f"### {plural} {heading} ({len(chosen)})", ""]
                lines += [_item(e, before, after) for e in chosen]
                lines.append("")
    if not found:
        lines += ["This pull request changes no study, cell or matrix.", ""]
    cells = sorted(
        key
        for key in set(after.cells) | set(before.cells)
        if _listing(after, key) != _listing(before, key)
    )
    if cells:
        lines += ["### Cells affected", "", "| cell | before | after |", "| --- | --- | --- |"]
        for key in cells:
            lines.append(f"| {key} | {_tally(before, key)} | {_tally(after, key)} |")
        lines.append("")
    failing = result.report.failing()
    lines += ["### Findings", ""]
    if not failing:
        lines.append("No problems found.")
    for d in failing:
        lines.append(f"- {_where(d)} **{d.code}** {markdown_text(d.message)}")
    return "\n".join(lines) + "\n"


def _item(e: Effect, before: Collection, after: Collection) -> str:
    """One list item: the entry's id and title, and what the group needs said."""
    if e.old_id is not None:
        head = f"{markdown_code(e.old_id)} → {markdown_code(e.id)}"
    else:
        head = markdown_code(e.id)
    # The title as it is now; as it was, for what the change removed or broke.
    sources = (before, after) if e.group in ("removed", "invalid") else (after, before)
    title = next(
        (t for c in sources for i in (e.id, e.old_id) if i and (t := _title(c, e.kind, i))), ""
    )
    out = f"- {head}: {title}" if title else f"- {head}"
    if e.group == "moved":
        out += "; the old address redirects here"
    elif e.group == "withdrawn":
        study = after.studies[e.id]
        out += f"; reason: {markdown_text(study.withdrawn_reason or '')}"
    elif e.error is not None:
        message = markdown_text(e.error.message)
        out += f"; first error: {_where(e.error)} **{e.error.code}** {message}"
    return out


def _title(collection: Collection, kind: str, eid: str) -> str:
    """'Title (2009)' for a study, the title of a cell or matrix; '' if the collection lacks it."""
    if kind == "study" and (study := collection.studies.get(eid)):
        return f"{markdown_text(study.title)} ({study.source.year or 'n.d.'})"
    if kind == "cell" and (page := collection.cells.get(eid)) and page.entry is not None:
        return markdown_text(page.title)
    if kind == "matrix" and (matrix := collection.matrices.get(eid)):
        return markdown_text(matrix.title)
    return ""


def _where(d: Diagnostic) -> str:
    return markdown_code(f"{d.path}:{d.line or 1}:{d.column or 1}")


def _tally(collection: Collection, key: str) -> str:
    """'19 (9K 3R 8G)'; '—' when the collection has no such cell (its matrix is missing)."""
    if key not in collection.cells:
        return "—"
    return f"{len(_listing(collection, key))} ({_fmt(counts(collection, key))})"


def _listing(collection: Collection, key: str) -> list[tuple[str, tuple[str, ...]]]:
    page = collection.cells.get(key)
    if page is None:
        return []
    return [(item.study.id, tuple(item.placement.categories)) for item in page.listings]
