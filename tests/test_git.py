"""Git-aware checking on real repositories: link integrity, renames, redirects, PR summaries."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import git

from conftest import RunCli, commit_all

PROBATION = "probation-alcohol-offenders-2009"
AUSTRALIA = "criminal-justice-treatment-partnership-australia-2005"


def _branch(repo: git.Repo, name: str) -> Path:
    repo.git.checkout("-b", name)
    return Path(repo.working_tree_dir or "")


def _rename_probation(root: Path) -> str:
    """Rename the probation study's file and id, as a contributor would; returns the new id."""
    new = "probation-alcohol-misusing-offenders-2009"
    old_path = root / f"entries/studies/{PROBATION}.yaml"
    text = old_path.read_text().replace(f"id: {PROBATION}", f"id: {new}")
    old_path.unlink()
    (root / f"entries/studies/{new}.yaml").write_text(text)
    return new


def _lines_with(path: Path, needle: str) -> list[int]:
    return [i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line]


def test_deleting_a_referenced_study_fails_naming_every_referrer(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    root = _branch(git_collection, "delete-study")
    (root / f"entries/studies/{PROBATION}.yaml").unlink()
    commit_all(git_collection, "Remove the probation study")

    result = run_cli(["check", root, "--base", "main", "--format", "json"])

    assert result.exit_code == 1
    found = json.loads(result.output)["diagnostics"]
    integrity = [d for d in found if d["code"] == "MP501"]
    expected = _lines_with(root / "entries/cells/alcohol/E5.md", f"study:{PROBATION}")
    assert len(expected) >= 2
    assert sorted(d["line"] for d in integrity) == expected
    assert all(d["path"] == "entries/cells/alcohol/E5.md" for d in integrity)
    assert all(f"entries/studies/{PROBATION}.yaml" in d["message"] for d in integrity)
    assert all(not d["baseline"] and d["severity"] == "error" for d in integrity)


def test_rename_with_updated_referrers_passes_and_becomes_a_redirect(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    root = _branch(git_collection, "rename-study")
    new = _rename_probation(root)
    bite = root / "entries/cells/alcohol/E5.md"
    bite.write_text(bite.read_text().replace(f"study:{PROBATION}", f"study:{new}"))
    commit_all(git_collection, "Rename the probation study")

    assert run_cli(["check", root, "--base", "main"]).exit_code == 0
    result = run_cli(["redirects", root])
    assert result.exit_code == 0
    assert result.output == f"study {PROBATION} -> {new}\n"


def test_rename_without_updating_referrers_names_the_new_id(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    root = _branch(git_collection, "rename-only")
    new = _rename_probation(root)
    commit_all(git_collection, "Rename the probation study only")

    result = run_cli(["check", root, "--base", "main", "--format", "json"])

    assert result.exit_code == 1
    found = [d for d in json.loads(result.output)["diagnostics"] if d["code"] == "MP502"]
    assert found
    assert all(new in d["hint"] for d in found)


def test_added_study_with_broken_cell_link_is_annotated_on_its_line(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    root = _branch(git_collection, "add-study")
    study = root / "entries/studies/new-study-2020.yaml"
    study.write_text(
        "id: new-study-2020\n"
        "title: A new study of offender treatment\n"
        "status: published\n"
        "source:\n"
        "  year: 2020\n"
        "placements:\n"
        "  - cell: alcohol/E5\n"
        "    categories: [key]\n"
        "    note: |\n"
        "      Builds on the work in\n"
        "      [cell D5's bite](cell:alcohol/D6).\n"
    )
    commit_all(git_collection, "Add a study")

    result = run_cli(["check", root, "--base", "main", "--format", "github"])

    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith(
        "::error file=entries/studies/new-study-2020.yaml,line=11,col=24,title=MP301 unknown-cell::"
    )


def test_findings_already_on_the_base_do_not_fail_the_change(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    root = Path(git_collection.working_tree_dir or "")
    orphan = root / f"entries/studies/{AUSTRALIA}.yaml"
    text = orphan.read_text()
    orphan.write_text(text[: text.index("placements:")] + "placements: []\n")
    commit_all(git_collection, "An orphan on main")
    _branch(git_collection, "unrelated")
    (root / "entries/studies/barriers-employing-problem-drinkers-2010.yaml").write_text(
        (root / "entries/studies/barriers-employing-problem-drinkers-2010.yaml")
        .read_text()
        .replace("status: published", "status: published\n# reviewed")
    )
    commit_all(git_collection, "A harmless edit")
    result = run_cli(["check", root, "--base", "main"])
    assert result.exit_code == 0, result.output
    assert "Already there before this change" in result.output
    assert run_cli(["check", root, "--base", "main", "--strict"]).exit_code == 1


def test_a_status_change_that_breaks_an_untouched_file_fails_the_change(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    """The baseline is the base's own findings, not "every file the change did not touch"."""
    root = _branch(git_collection, "unpublish")
    study = root / f"entries/studies/{PROBATION}.yaml"
    study.write_text(study.read_text().replace("status: published", "status: draft", 1))
    commit_all(git_collection, "Take the probation study back to draft")

    result = run_cli(["check", root, "--base", "main", "--format", "json"])

    assert result.exit_code == 1, result.output
    found = json.loads(result.output)["diagnostics"]
    broken = [d for d in found if d["code"] == "MP305"]
    assert broken, "the published bite links to a study that is now a draft"
    assert {d["path"] for d in broken} == {"entries/cells/alcohol/E5.md"}
    assert not any(d["baseline"] for d in broken)
    summary = run_cli(["check", root, "--base", "main"]).output
    assert "No problems" not in summary


def test_shallow_clone_says_history_is_needed(
    git_collection: git.Repo, run_cli: RunCli, tmp_path: Path
) -> None:
    root = Path(git_collection.working_tree_dir or "")
    (root / "entries/studies/x.txt").write_text("x")
    commit_all(git_collection, "second")
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{root}", str(shallow)], check=True
    )
    result = run_cli(["check", shallow, "--base", "HEAD"])
    assert result.exit_code == 2
    assert "fetch-depth: 0" in result.output


def test_unknown_base_is_a_usage_error(git_collection: git.Repo, run_cli: RunCli) -> None:
    result = run_cli(["check", git_collection.working_tree_dir, "--base", "nope"])
    assert result.exit_code == 2
    assert "cannot find the base 'nope'" in result.output


def test_summary_names_added_study_and_new_cell_count(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    root = _branch(git_collection, "summary")
    (root / "entries/studies/new-study-2020.yaml").write_text(
        "id: new-study-2020\n"
        "title: A new study of offender treatment\n"
        "status: published\n"
        "source:\n"
        "  year: 2020\n"
        "placements:\n"
        "  - cell: alcohol/E5\n"
        "    categories: [key]\n"
        "    note: A new key study.\n"
    )
    commit_all(git_collection, "Add a study")
    result = run_cli(["summary", root, "--base", "main"])
    assert result.exit_code == 0
    assert "- `new-study-2020`: A new study of offender treatment (2020)" in result.output
    assert "| alcohol/E5 | 18 (8K 3R 8G) | 19 (9K 3R 8G) |" in result.output
    assert "No problems found." in result.output


def test_history_dates_follow_renames(git_collection: git.Repo) -> None:
    from matrixpipe.git.history import read_history

    root = Path(git_collection.working_tree_dir or "")
    first = read_history(root).dates[f"entries/studies/{PROBATION}.yaml"]
    git_collection.git.mv(
        f"entries/studies/{PROBATION}.yaml", "entries/studies/probation-2009.yaml"
    )
    commit_all(git_collection, "rename")
    after = read_history(root).dates["entries/studies/probation-2009.yaml"]
    assert after.added == first.added
    assert after.updated >= first.updated


def test_a_whole_pull_request(git_collection: git.Repo, run_cli: RunCli) -> None:
    """A contributor adds a study with a typo in a cell link; CI annotates it; the fix passes."""
    root = _branch(git_collection, "add-court-study")
    study = root / "entries/studies/court-ordered-treatment-2015.yaml"
    text = (
        "id: court-ordered-treatment-2015\n"
        "title: Court-ordered treatment in Scotland\n"
        "status: published\n"
        "source:\n"
        "  organisation: Scottish Government\n"
        "  year: 2015\n"
        "placements:\n"
        "  - cell: alcohol/E5\n"
        "    categories: [key]\n"
        "    note: Compare [the probation study](study:probation-alcohol-offenders-2009) and\n"
        "      the bite of [cell D5](cell:alcohol/D55).\n"
    )
    study.write_text(text)
    commit_all(git_collection, "Add a study of court-ordered treatment")

    annotated = run_cli(["check", root, "--base", "main", "--format", "github"])
    assert annotated.exit_code == 1
    assert annotated.output.startswith(
        "::error file=entries/studies/court-ordered-treatment-2015.yaml,line=11,col=29,"
        "title=MP301 unknown-cell::there is no cell 'alcohol/D55'"
    )

    study.write_text(text.replace("cell:alcohol/D55", "cell:alcohol/D5"))
    commit_all(git_collection, "Fix the cell link")
    assert run_cli(["check", root, "--base", "main"]).exit_code == 0
    summary = run_cli(["summary", root, "--base", "main"]).output
    assert "- `court-ordered-treatment-2015`: Court-ordered treatment in Scotland (2015)" in summary
    assert "| alcohol/E5 | 18 (8K 3R 8G) | 19 (9K 3R 8G) |" in summary


def test_a_tracked_cache_file_is_an_error_and_is_never_read(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    """A committed `.matrixpipe-cache/` (added with `git add -f`) is named by the check."""
    root = Path(git_collection.working_tree_dir or "")
    planted = root / ".matrixpipe-cache" / "entries.marshal"
    planted.parent.mkdir()
    planted.write_bytes(
        b"\xfb\x00\x00\x00\x7f"
    )  # five bytes that once made check run out of memory
    git_collection.git.add("-f", str(planted))
    git_collection.index.commit("Commit a cache")

    result = run_cli(["check", root, "--format", "json"])

    assert result.exit_code == 1, result.output
    found = json.loads(result.output)["diagnostics"]
    assert [(d["code"], d["path"]) for d in found] == [
        ("MP503", ".matrixpipe-cache/entries.marshal")
    ]
    assert "git rm --cached" in found[0]["hint"]


def test_a_file_name_with_a_newline_cannot_escape_the_check(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    """Git paths are read NUL-separated, so the whole odd name is judged as changed."""
    root = _branch(git_collection, "odd-name")
    (root / "entries/studies/evil\nname.yaml").write_text("id: evil\n")
    commit_all(git_collection, "An odd file name")
    result = run_cli(["check", root, "--base", "main", "--format", "json"])
    assert result.exit_code == 1
    found = json.loads(result.output)["diagnostics"]
    assert [(d["code"], d["path"], d["baseline"]) for d in found] == [
        ("MP411", "entries/studies/evil\nname.yaml", False)
    ]
    text = run_cli(["check", root, "--base", "main"]).output
    assert "entries/studies/evil\\u000aname.yaml:1:1: MP411" in text  # escaped, on one line
