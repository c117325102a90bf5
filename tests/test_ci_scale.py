"""CI at scale: GitHub's annotation limits, the job summary, and the pull request summary.

GitHub keeps 10 error, 10 warning and 10 notice annotations per step and drops the rest without a
word, so `check --format github` annotates the findings on the pull request's changed lines
first, stops at the limits, says so in one notice, and lists every finding in the job summary.
`summary --base` tells apart what a pull request added, changed, broke, moved, withdrew and
removed. Every test runs the real command on a real Git repository.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import git
import pytest
from markdown_it import MarkdownIt

from matrixpipe.diagnostics import Diagnostic, Report, Severity
from matrixpipe.report import STEP_SUMMARY_BYTES, GithubReporter

from conftest import RunCli, commit_all

STUDIES = "entries/studies"
E5 = "entries/cells/alcohol/E5.md"
PROBATION = "probation-alcohol-offenders-2009"
UNREFERENCED = "barriers-employing-problem-drinkers-2010"
ANNOTATION = re.compile(r"^::(?P<command>error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")
HOSTILE = "<script>alert(1)</script> | %0A ::error file=x,line=1::forged\nsecond line ##[error]z"


def _branch(repo: git.Repo, name: str) -> Path:
    repo.git.checkout("-b", name)
    return Path(repo.working_tree_dir or "")


def _edit(root: Path, path: str, old: str, new: str) -> None:
    file = root / path
    text = file.read_text(encoding="utf-8")
    assert old in text, (path, old)
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def _annotations(output: str) -> list[re.Match[str]]:
    found = [ANNOTATION.match(line) for line in output.splitlines() if line.startswith("::")]
    return [m for m in found if m is not None and m["command"] in ("error", "warning", "notice")]


def _props(match: re.Match[str]) -> dict[str, str]:
    return dict(p.split("=", 1) for p in match["props"].split(","))


def _json(run_cli: RunCli, root: Path, *args: str) -> list[dict[str, object]]:
    result = run_cli(["check", root, "--format", "json", *args])
    return json.loads(result.output)["diagnostics"]


def _sections(markdown: str) -> dict[str, list[str]]:
    """The check's job summary: each file heading and the table rows under it."""
    out: dict[str, list[str]] = {}
    current = None
    for line in markdown.splitlines():
        if line.startswith("### "):
            current = line[4:]
            assert current not in out, f"{current} is listed twice"
            out[current] = []
        elif current and line.startswith("| ") and not line.startswith(("| line", "| ---")):
            out[current].append(line)
    return out


def _unescaped_pipes(row: str) -> int:
    """The `|` that separate cells: those not escaped by an odd run of backslashes."""
    return sum(1 for m in re.finditer(r"(\\*)\|", row) if len(m[1]) % 2 == 0)


def _table_cells(html: str) -> list[int]:
    return [row.count("<td") for row in re.findall(r"<tr>(.*?)</tr>", html, re.S) if "<td" in row]


@pytest.fixture
def summary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The job summary file GitHub Actions names in GITHUB_STEP_SUMMARY, with a line of an
    earlier step's: the check appends to it."""
    path = tmp_path / "step_summary.md"
    path.write_text("Earlier text.\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(path))
    return path


# --- annotations at scale ---------------------------------------------------------------------


def test_more_than_ten_errors_make_ten_annotations_a_notice_and_a_full_job_summary(
    git_collection: git.Repo, run_cli: RunCli, summary_file: Path
) -> None:
    root = _branch(git_collection, "many-errors")
    studies = sorted((root / STUDIES).glob("*.yaml"))
    for study in studies:  # one error in every study: 18 errors
        _edit(root, f"{STUDIES}/{study.name}", "status: published", "status: publishd")
    commit_all(git_collection, "Misspell every status")

    result = run_cli(["check", root, "--base", "main", "--format", "github"])

    assert result.exit_code == 1
    found = _json(run_cli, root, "--base", "main")
    errors = [d for d in found if d["severity"] == "error"]
    assert len(errors) == len(studies) > 10
    annotations = _annotations(result.output)
    commands = [m["command"] for m in annotations]
    # Every study is invalid, so the cell lists none: one info (a notice) besides the errors.
    assert commands.count("error") == 10 and commands[-1] == "notice"
    assert len(annotations) == 10 + len([d for d in found if d["severity"] != "error"]) + 1
    # The ten annotated are the first ten by file (every error is on a changed line).
    expected = [(d["path"], str(d["line"]), str(d["column"])) for d in errors[:10]]
    annotated = [_props(m) for m in annotations if m["command"] == "error"]
    assert [(p["file"], p["line"], p["col"]) for p in annotated] == expected
    notice = annotations[-1]["message"]
    rest = len(found) - (len(annotations) - 1)
    assert notice.startswith(f"{rest} more findings were not annotated: GitHub shows at most ")
    assert "10 errors, 10 warnings and 10 notices per step" in notice
    assert "The job summary lists every finding, grouped by file" in notice
    assert f"under '{rest} findings not annotated'" in notice
    # The log keeps the rest, one plain line each, in a collapsed group.
    lines = result.output.splitlines()
    start = lines.index(f"::group::{rest} findings not annotated")
    assert lines[start + rest + 1] == "::endgroup::"
    logged = lines[start + 1 : start + rest + 1]
    assert [line.split(": ")[0] for line in logged] == [
        f"- {d['path']}:{d['line']}:{d['column']}" for d in errors[10:]
    ]
    assert lines[-1] == "2 matrices, 1 cell, 18 studies: 18 errors, 1 info"

    markdown = summary_file.read_text(encoding="utf-8")
    assert markdown.startswith("Earlier text.\n\n## matrixpipe check: ")
    assert f"{rest} findings of those below were not annotated" in markdown
    sections = _sections(markdown)
    assert list(sections) == sorted({str(d["path"]) for d in found})
    for path, rows in sections.items():
        mine = [d for d in found if d["path"] == path]
        assert len(rows) == len(mine)
        for row, d in zip(rows, mine, strict=True):
            cells = [c.strip() for c in row.strip("|").split(" | ")]
            assert cells[0].lstrip("✎ ") == str(d["line"]) and cells[1] == str(d["column"])
            assert cells[3] == f"{d['code']} {d['name']}"
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert _table_cells(html) == [5] * len(found)


def test_findings_on_changed_lines_are_annotated_first(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    """Deleting a referenced study breaks untouched lines of the bite (MP501, by file the first);
    typos on the lines the pull request changed come before them, and so does a new, untracked
    file (every line of it is new)."""
    root = _branch(git_collection, "changed-first")
    (root / f"{STUDIES}/{PROBATION}.yaml").unlink()
    typos = ["who-problem-drinking-prisoners-2012", "wales-family-substance-use-support-2014"]
    for sid in typos:
        _edit(root, f"{STUDIES}/{sid}.yaml", "status: published", "status: publishd")
    commit_all(git_collection, "Delete a referenced study, and two typos")
    new = root / STUDIES / "zz-new-2021.yaml"
    new.write_text(
        (root / f"{STUDIES}/{typos[0]}.yaml")
        .read_text()
        .replace(f"id: {typos[0]}", "id: zz-new-2021")
    )

    result = run_cli(["check", root, "--base", "main", "--format", "github"])

    assert result.exit_code == 1
    found = _json(run_cli, root, "--base", "main")
    assert found[0]["path"] == E5 and found[0]["code"] == "MP501"  # first by file
    files = [(_props(m)["file"], m["message"][:5]) for m in _annotations(result.output)]
    assert [f for f, _ in files[:3]] == [
        f"{STUDIES}/{typos[1]}.yaml",
        f"{STUDIES}/{typos[0]}.yaml",
        f"{STUDIES}/zz-new-2021.yaml",
    ]
    later = {f for f, _ in files[3:]}
    assert E5 in later
    # Without --base nothing is "changed": plain file order, as the JSON report has it.
    plain = run_cli(["check", root, "--format", "github"])
    order = [_props(m)["file"] for m in _annotations(plain.output)]
    assert order == [d["path"] for d in _json(run_cli, root)]


# --- hostile text -----------------------------------------------------------------------------


def test_hostile_messages_are_escaped_in_annotations_log_and_job_summary(
    git_collection: git.Repo, run_cli: RunCli, summary_file: Path
) -> None:
    root = _branch(git_collection, "hostile")
    key = json.dumps(HOSTILE)
    studies = sorted((root / STUDIES).glob("*.yaml"))[:12]
    for study in studies:  # more than 10, so the log's plain lines carry them too
        study.write_text(study.read_text() + f"{key}: 1\n")
    commit_all(git_collection, "Hostile keys")

    result = run_cli(["check", root, "--base", "main", "--format", "github"])

    assert result.exit_code == 1
    lines = result.output.splitlines()
    # No line but ours starts a command; no text of the message starts a line.
    commands = [line for line in lines if line.lstrip().startswith("::")]
    assert all(
        re.match(r"::(error|warning|notice|group|endgroup)[ :]", line) for line in commands
    ), commands
    assert not [line for line in lines if line.startswith(("second line", "<script>"))]
    annotations = _annotations(result.output)
    assert len(annotations) == 11
    for m in annotations[:10]:
        assert m["message"].startswith(
            "unknown key '<script>alert(1)</script> | %250A ::error file=x,line=1::forged"
            "%0Asecond line ##[error]z'"
        )
        assert set(_props(m)) == {"file", "line", "col", "title"}
    plain = lines[lines.index("::group::2 findings not annotated") + 1 : -3]
    assert len(plain) == 2
    for line in plain:
        assert line.startswith("- entries/studies/")
        assert "##[" not in line  # the runner's old syntax is found anywhere in a line
        assert "%250A ::error file=x,line=1::forged%0Asecond line ##\\[error]z" in line

    markdown = summary_file.read_text(encoding="utf-8")
    assert "<script>" not in markdown and "second line" in markdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| %0A ::error" in markdown
    rows = [row for rows in _sections(markdown).values() for row in rows]
    assert len(rows) == 12 and all(_unescaped_pipes(row) == 6 for row in rows)
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<script" not in html
    assert _table_cells(html) == [5] * 12
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt; | %0A ::error") == 12


def test_a_hostile_file_name_stays_one_property_and_one_heading(
    git_collection: git.Repo, run_cli: RunCli, summary_file: Path
) -> None:
    root = _branch(git_collection, "hostile-name")
    name = "a,b:c|<i>`x`\n::error file=y::z%0A.yaml"
    (root / STUDIES / name).write_text("id: x\n")
    commit_all(git_collection, "An odd file name")

    result = run_cli(["check", root, "--base", "main", "--format", "github"])

    assert result.exit_code == 1
    annotations = _annotations(result.output)
    assert annotations
    files = {_props(m)["file"] for m in annotations}
    assert f"{STUDIES}/a%2Cb%3Ac|<i>`x`%0A%3A%3Aerror file=y%3A%3Az%250A.yaml" in files
    html = MarkdownIt("commonmark").enable("table").render(summary_file.read_text())
    assert "<i>" not in html and "<code>" not in html.split("<table>")[0]
    headings = re.findall(r"<h3>(.*?)</h3>", html)
    assert "entries/studies/a,b:c|&lt;i&gt;`x` ::error file=y::z%0A.yaml" in headings


# --- the pull request summary -----------------------------------------------------------------


def _summary_sections(output: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        if line.startswith("### "):
            current = line[4:]
            out[current] = []
        elif current and line.startswith("- "):
            out[current].append(line)
    return out


def _new_study(sid: str, year: int, title: str = "A new study of offender treatment") -> str:
    return (
        f"id: {sid}\n"
        f"title: {json.dumps(title)}\n"
        "status: published\n"
        "source:\n"
        f"  year: {year}\n"
        "placements:\n"
        "  - cell: alcohol/E5\n"
        "    categories: [key]\n"
        "    note: A new key study.\n"
    )


def test_summary_tells_added_changed_invalid_moved_withdrawn_and_removed_apart(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    root = _branch(git_collection, "everything")
    (root / f"{STUDIES}/new-study-2020.yaml").write_text(_new_study("new-study-2020", 2020))
    edited = "networking-evidence-based-practices-2008"
    _edit(root, f"{STUDIES}/{edited}.yaml", "tags: [", "tags: [edited, ")
    _edit(root, f"{STUDIES}/{PROBATION}.yaml", "categories: [key", "categories: [kye")  # break
    old, new = "drink-driver-management-canada-2004", "drink-driver-management-2004"
    git_collection.git.mv(f"{STUDIES}/{old}.yaml", f"{STUDIES}/{new}.yaml")
    _edit(root, f"{STUDIES}/{new}.yaml", f"id: {old}", f"id: {new}")
    reason = "Superseded <b>by</b> a | fuller survey"
    _edit(
        root,
        f"{STUDIES}/{UNREFERENCED}.yaml",
        "status: published",
        f"status: withdrawn\nwithdrawn_reason: {json.dumps(reason)}",
    )
    deleted = "wales-family-substance-use-support-2014"
    (root / f"{STUDIES}/{deleted}.yaml").unlink()
    commit_all(git_collection, "One of everything")

    result = run_cli(["summary", root, "--base", "main"])

    assert result.exit_code == 0, result.output
    sections = _summary_sections(result.output)
    assert list(sections) == [
        "Studies added (1)",
        "Studies changed (1)",
        "Studies now invalid (1)",
        "Studies moved (1)",
        "Studies withdrawn (1)",
        "Studies removed (1)",
        "Cells affected",
        "Findings",
    ]
    assert sections["Studies added (1)"] == [
        "- `new-study-2020`: A new study of offender treatment (2020)"
    ]
    assert sections["Studies changed (1)"][0].startswith(f"- `{edited}`: ")
    [broken] = sections["Studies now invalid (1)"]
    assert broken.startswith(f"- `{PROBATION}`: Probation struggling to cope")
    assert f"; first error: `{STUDIES}/{PROBATION}.yaml:" in broken
    assert "**MP205** 'categories' cannot be 'kye'" in broken
    [moved] = sections["Studies moved (1)"]
    assert moved.startswith(f"- `{old}` → `{new}`: ")
    assert moved.endswith("; the old address redirects here")
    [withdrawn] = sections["Studies withdrawn (1)"]
    assert withdrawn.startswith(f"- `{UNREFERENCED}`: Systemic barriers")
    assert withdrawn.endswith("; reason: Superseded &lt;b&gt;by&lt;/b&gt; a \\| fuller survey")
    assert sections["Studies removed (1)"] == [
        f"- `{deleted}`: Wales takes integrated family support nationwide for children of "
        "substance-using parents (2014)"
    ]
    assert PROBATION not in "".join(sections["Studies removed (1)"])
    # The deleted study was published: the check refuses it, and the summary says why.
    assert any("**MP504**" in line for line in sections["Findings"])
    assert any("**MP205**" in line for line in sections["Findings"])


def test_summary_of_a_pull_request_that_only_breaks_a_study(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    """The edit makes the study fail to validate: it is "now invalid", never "removed"."""
    root = _branch(git_collection, "break")
    _edit(root, f"{STUDIES}/{PROBATION}.yaml", "status: published", "status: publishd")
    commit_all(git_collection, "Break a study")

    output = run_cli(["summary", root, "--base", "main"]).output

    sections = _summary_sections(output)
    assert [s for s in sections if s.startswith("Studies")] == ["Studies now invalid (1)"]
    assert "MP205" in sections["Studies now invalid (1)"][0]
    assert "| alcohol/E5 | 18 (8K 3R 8G) | 17 (7K 3R 8G) |" in output


def test_summary_of_cells_added_changed_and_broken(
    git_collection: git.Repo, run_cli: RunCli
) -> None:
    root = _branch(git_collection, "cells")
    bite = (root / E5).read_text()
    (root / "entries/cells/alcohol/D5.md").write_text(
        bite.replace("cell: E5", "cell: D5").split("## What is this cell about?")[0]
        + "## What is this cell about? {#about}\n\nA new bite.\n"
    )
    _edit(root, E5, "This cell is about", "This cell covers")
    commit_all(git_collection, "A new bite, an edited one")

    sections = _summary_sections(run_cli(["summary", root, "--base", "main"]).output)
    assert sections["Cells added (1)"] == [
        "- `alcohol/D5`: Alcohol Treatment Matrix cell D5: "
        "Organisational functioning; Safeguarding the community"
    ]
    assert sections["Cells changed (1)"][0].startswith("- `alcohol/E5`: ")
    assert not [s for s in sections if s.startswith("Studies")]

    _edit(root, E5, "status: published", "status: publishd")
    commit_all(git_collection, "Break the bite")
    sections = _summary_sections(run_cli(["summary", root, "--base", "main"]).output)
    [broken] = sections["Cells now invalid (1)"]
    assert (
        broken.startswith("- `alcohol/E5`: ")
        and "first error: `entries/cells/alcohol/E5.md:" in broken
    )
    assert not [s for s in sections if "removed" in s]


def test_summary_escapes_hostile_titles(git_collection: git.Repo, run_cli: RunCli) -> None:
    root = _branch(git_collection, "hostile-title")
    title = "<script>alert(1)</script> | `x` [y](https://e.org) ![i](https://e.org/i.png) @team"
    (root / f"{STUDIES}/hostile-2020.yaml").write_text(_new_study("hostile-2020", 2020, title))
    commit_all(git_collection, "A hostile title")

    output = run_cli(["summary", root, "--base", "main"]).output

    html = MarkdownIt("commonmark").enable("table").render(output)
    assert "<script" not in html and "<img" not in html and "<a " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | `x` [y](https://e.org)" in html
    assert _table_cells(html) == [3]  # the cells table still has its three columns


# --- the limits, on a report made by hand ----------------------------------------------------


def _finding(
    i: int, severity: Severity, message: str = "a finding", baseline: bool = False
) -> Diagnostic:
    return Diagnostic(
        f"entries/studies/s{i:03}.yaml", 3, 5, "MP205", message, None, severity, "x", baseline
    )


def test_the_closing_notice_keeps_a_place_under_the_notice_limit() -> None:
    """Twelve findings already there (notices) and three errors: nine notices, three errors and
    the closing notice; the closing notice would be dropped as an eleventh."""
    report = Report(
        [_finding(i, Severity.ERROR, baseline=True) for i in range(12)]
        + [_finding(i, Severity.ERROR) for i in range(20, 23)],
        {"study": 15},
    )
    out = io.StringIO()
    GithubReporter(Path("."), out).report(report)
    commands = [m["command"] for m in _annotations(out.getvalue())]
    assert commands == ["error"] * 3 + ["notice"] * 9 + ["notice"]
    closing = _annotations(out.getvalue())[-1]
    assert closing["message"].startswith("3 more findings were not annotated")
    assert "job summary" not in closing["message"]  # there is none: GITHUB_STEP_SUMMARY unset


def test_the_job_summary_stops_short_of_githubs_1_mib(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("x" * 200_000)  # an earlier step's text in the same file
    long = "word " * 1500
    report = Report([_finding(i, Severity.ERROR, long) for i in range(1000)], {"study": 1000})
    GithubReporter(Path("."), io.StringIO(), step_summary=summary).report(report)
    size = summary.stat().st_size
    assert 900_000 < size < STEP_SUMMARY_BYTES
    text = summary.read_text()
    shown = len(_sections(text[200_000:]))
    assert 0 < shown < 1000
    assert (
        f"… and {1000 - shown} more findings, not listed: a job summary takes at most 1 MiB" in text
    )
