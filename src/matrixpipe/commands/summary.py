"""The pull request's job summary: what the change does to the collection, in editors' terms.

Studies added, changed and removed; cells whose listings change, with counts before and after;
and the findings. The base collection is checked from the Git tree of the merge base.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from matrixpipe.check.resolve import Collection
from matrixpipe.check.run import check
from matrixpipe.git.change import base_tree, read_change
from matrixpipe.git.history import _prefix, open_repo
from matrixpipe.models.entries import CATEGORIES

_LETTER = {"seminal": "S", "key": "K", "review": "R", "guidance": "G"}


def base_collection(repo: Path, commit: str) -> Collection:
    """The collection as it was at `commit`, checked from its Git tree (the work tree is
    untouched)."""
    repository = open_repo(repo)
    assert repository is not None  # read_change has already required a repository
    with base_tree(repository, commit, _prefix(repository, repo)) as root:
        if root is None:
            return Collection()
        return check(root, use_cache=False, publish=True).collection


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


def pr_summary(repo: Path, ref: str) -> str:
    """Markdown for `$GITHUB_STEP_SUMMARY`."""
    change = read_change(repo, ref)
    result = check(repo, base=ref, publish=True)
    after = result.collection
    before = base_collection(repo, change.base)
    added = sorted(set(after.studies) - set(before.studies))
    removed = sorted(set(before.studies) - set(after.studies))
    changed = sorted(
        sid
        for sid in set(after.studies) & set(before.studies)
        if after.documents[sid].path in change.changed
    )
    lines = ["## matrixpipe: what this pull request changes", ""]
    lines += _section("Studies added", added, after)
    lines += _section("Studies changed", changed, after)
    lines += _section("Studies removed", removed, before)
    cells = sorted(
        key
        for key in set(after.cells) | set(before.cells)
        if _listing(after, key) != _listing(before, key)
    )
    if cells:
        lines += ["### Cells affected", "", "| cell | before | after |", "| --- | --- | --- |"]
        for key in cells:
            tally_before, tally_after = counts(before, key), counts(after, key)
            total_b, total_a = len(_listing(before, key)), len(_listing(after, key))
            lines.append(
                f"| {key} | {total_b} ({_fmt(tally_before)}) | {total_a} ({_fmt(tally_after)}) |"
            )
        lines.append("")
    failing = result.report.failing()
    lines += ["### Findings", ""]
    if not failing:
        lines.append("No problems found.")
    for d in failing:
        lines.append(f"- `{d.path}:{d.line}:{d.column}` **{d.code}** {_md(d.message)}")
    return "\n".join(lines) + "\n"


def _listing(collection: Collection, key: str) -> list[tuple[str, tuple[str, ...]]]:
    page = collection.cells.get(key)
    if page is None:
        return []
    return [(item.study.id, tuple(item.placement.categories)) for item in page.listings]


def _section(title: str, ids: list[str], collection: Collection) -> list[str]:
    if not ids:
        return []
    out = [f"### {title} ({len(ids)})", ""]
    for sid in ids:
        study = collection.studies[sid]
        out.append(f"- `{sid}`: {_md(study.title)} ({study.source.year or 'n.d.'})")
    return [*out, ""]


def _md(text: str) -> str:
    """Contributor text inside our Markdown: no HTML, no line breaks that start new blocks."""
    return " ".join(text.split()).replace("<", "&lt;").replace("|", "\\|")
