"""A withdrawn study keeps its page as a notice; deleting a published study is refused.

`status: withdrawn` with a `withdrawn_reason` takes the study out of every cell, count, index,
search result and feed, while its URL keeps answering with the reason and its last citation,
and its API record says `withdrawn`. `check --base` refuses a change that deletes a published
study outright (MP504): its URL would answer 404.
"""

from __future__ import annotations

import json
from pathlib import Path

import git

from matrixpipe.commands.build import run_build

from browser import add_site
from conftest import RunCli, commit_all

UNREFERENCED = "barriers-employing-problem-drinkers-2010"
REASON = "Superseded by a fuller survey of employers"


def _withdraw(root: Path) -> None:
    path = root / "entries" / "studies" / f"{UNREFERENCED}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("status: published", f"status: withdrawn\nwithdrawn_reason: {REASON}", 1),
        encoding="utf-8",
    )


def test_a_withdrawn_study_keeps_a_notice_and_leaves_every_list(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    root = add_site(Path(git_collection.working_tree_dir or ""))
    title = next(
        line.split(":", 1)[1].strip().strip('"')
        for line in (root / f"entries/studies/{UNREFERENCED}.yaml").read_text().splitlines()
        if line.startswith("title:")
    )
    _withdraw(root)
    commit_all(git_collection, "Withdraw a study")
    assert run_cli(["check", root]).exit_code == 0

    assert run_build(root, None, drafts=False, color="never") == 0

    site = root / "public"
    notice = (site / "studies" / UNREFERENCED / "index.html").read_text()
    assert "This study has been withdrawn" in notice and REASON in notice
    assert "Cite this study" in notice
    e5 = (site / "alcohol/E5/index.html").read_text()
    assert UNREFERENCED not in e5 and title not in e5
    api = json.loads((site / f"api/v1/studies/{UNREFERENCED}.json").read_text())
    assert api["status"] == "withdrawn" and api["withdrawn_reason"] == REASON
    assert api["placements"] == []
    cell = json.loads((site / "api/v1/cells/alcohol/E5.json").read_text())
    assert UNREFERENCED not in {p["study"] for p in cell["placements"]}
    assert cell["counts"]["total"] == 17
    index = json.loads((site / "search/search_index.json").read_text())
    assert not [d for d in index["docs"] if UNREFERENCED in d["location"]]
    for feed in ("feed.atom.xml", "feed.rss.xml"):
        assert UNREFERENCED not in (site / feed).read_text()
    assert UNREFERENCED not in (site / "downloads/matrixpipe.csv").read_text()


def test_deleting_a_published_study_is_refused_and_withdrawing_it_is_not(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    root = Path(git_collection.working_tree_dir or "")
    git_collection.git.checkout("-b", "delete")
    (root / "entries" / "studies" / f"{UNREFERENCED}.yaml").unlink()
    commit_all(git_collection, "Delete a published study")

    result = run_cli(["check", root, "--base", "main", "--format", "json"])

    assert result.exit_code == 1
    found = json.loads(result.output)["diagnostics"]
    assert [(d["code"], d["path"]) for d in found] == [
        ("MP504", f"entries/studies/{UNREFERENCED}.yaml")
    ]
    assert "withdrawn" in found[0]["hint"]

    git_collection.git.checkout("main")
    git_collection.git.checkout("-b", "withdraw")
    _withdraw(root)
    commit_all(git_collection, "Withdraw it instead")
    assert run_cli(["check", root, "--base", "main"]).exit_code == 0
