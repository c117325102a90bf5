"""The case folders: each is a tiny collection plus the exact report `matrixpipe check` must print.

A case folder `tests/cases/<name>/` holds `entries/…` (and sometimes `matrixpipe.yml`) and
`expected.txt`, the output of `NO_COLOR=1 COLUMNS=200 matrixpipe check <case> --color never`.
Cases named `ok-*` are clean collections; every other case is named after the rule it shows
(`mp203-year-text`), and its report must contain that rule's code.

To add a case: write the entry files (bytes that matter, such as a BOM, tabs, CRLF or Latin-1,
written as bytes; `.gitattributes` here keeps Git from converting them), run the command above
from the case folder's parent, and read the report before saving it as `expected.txt`: the
file, line and column must be the spot of the mistake, counted by hand. Where matrixpipe is
wrong, `expected.txt` holds the right report, so the case fails until matrixpipe is fixed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from matrixpipe.report import printable
from matrixpipe.rules import RULES

if TYPE_CHECKING:
    from conftest import RunCli

CASES = Path(__file__).resolve().parent / "cases"
CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())
CASE_IDS = [p.name for p in CASE_DIRS]
# Rules with no case folder: MP313 needs the network (--online); MP501/MP502 need Git history
# (`check --base`) and MP503 a Git index: they are tested with real repositories elsewhere.
NOT_IN_CASES = {"MP313", "MP501", "MP502", "MP503", "MP504"}

HEAD = re.compile(
    r"^(?P<path>[^\s:]+):(?P<line>\d+):(?P<column>\d+): (?P<code>MP\d{3}) "
    r"(?:(?P<level>warning|info): )?(?P<message>.*)$"
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def expected(case: Path) -> str:
    return (case / "expected.txt").read_text(encoding="utf-8")


def tally(report: str) -> str:
    """The end of the summary line: 'no problems' or '1 error, 1 warning'."""
    return report.rstrip("\n").rsplit("\n", 1)[-1].rpartition(": ")[2]


def heads(report: str) -> list[re.Match[str]]:
    """The `path:line:col: CODE message` line of every finding in a text report."""
    return [m for line in report.splitlines() if (m := HEAD.match(line))]


@pytest.mark.parametrize("case", CASE_DIRS, ids=CASE_IDS)
def test_case_report(case: Path, run_cli: RunCli) -> None:
    result = run_cli(["check", case, "--color", "never"])
    assert "Traceback" not in result.output
    assert result.output == expected(case)
    found = tally(expected(case))
    if case.name.startswith("ok-"):
        assert found == "no problems"
    else:
        assert found != "no problems", "a mistake case must report something"
    # Errors fail the run; warnings and infos alone do not (warnings do under --strict).
    assert result.exit_code == (1 if "error" in found else 0)


@pytest.mark.parametrize("case", CASE_DIRS, ids=CASE_IDS)
def test_case_is_named_after_its_rule(case: Path) -> None:
    if case.name.startswith("ok-"):
        assert not heads(expected(case))
        return
    code = case.name.split("-", 1)[0].upper()
    assert code in RULES, f"name the case after a rule code: {case.name}"
    assert code in {m["code"] for m in heads(expected(case))}


def test_every_rule_has_a_case() -> None:
    covered = {m["code"] for case in CASE_DIRS for m in heads(expected(case))}
    missing = sorted(set(RULES) - NOT_IN_CASES - covered)
    assert not missing, f"rules with no case folder in tests/cases/: {missing}"


@pytest.mark.parametrize("case", CASE_DIRS, ids=CASE_IDS)
def test_every_finding_has_a_hint(case: Path) -> None:
    """Contributors are told how to fix each finding, not only what is wrong."""
    blocks: list[list[str]] = []
    for line in expected(case).splitlines()[:-1]:  # the last line is the summary
        if HEAD.match(line):
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
    for head, *rest in blocks:
        assert any(line.startswith("  hint: ") for line in rest), f"no hint for: {head}"


@pytest.mark.parametrize(
    "case",
    [c for c in CASE_DIRS if "warning" in tally(expected(c)) and "error" not in tally(expected(c))],
    ids=lambda c: c.name,
)
def test_warnings_fail_under_strict(case: Path, run_cli: RunCli) -> None:
    result = run_cli(["check", case, "--color", "never", "--strict"])
    assert result.exit_code == 1
    assert result.output == expected(case)


# --- the other reporters ------------------------------------------------------------------------

JSON_FIELDS = {
    "code": str,
    "name": str,
    "severity": str,
    "path": str,
    "line": int,
    "column": int,
    "message": str,
    "hint": (str, type(None)),
}


@pytest.mark.parametrize("case", CASE_DIRS, ids=CASE_IDS)
def test_json_report(case: Path, run_cli: RunCli) -> None:
    text = run_cli(["check", case, "--color", "never"])
    result = run_cli(["check", case, "--format", "json"])
    assert "Traceback" not in result.output
    assert result.exit_code == text.exit_code
    payload = json.loads(result.output)
    assert payload["version"] == 1
    assert payload["summary"]["text"] == text.output.rstrip("\n").rsplit("\n", 1)[-1]
    assert payload["summary"]["failed"] is (text.exit_code == 1)
    for d in payload["diagnostics"]:
        for key, kind in JSON_FIELDS.items():
            assert isinstance(d.get(key), kind), f"{key!r} in {d}"
        assert RULES[d["code"]].name == d["name"]
        assert d["severity"] in ("error", "warning", "info")
        assert d["line"] >= 1 and d["column"] >= 1
        assert not Path(d["path"]).is_absolute()
    # The same findings, in the same order, as the text report of the same run (which escapes
    # control characters for the terminal; JSON keeps the exact path and message).
    as_text = [
        (printable(d["path"]), d["line"], d["column"], d["code"], printable(d["message"]))
        for d in payload["diagnostics"]
    ]
    assert as_text == [
        (m["path"], int(m["line"]), int(m["column"]), m["code"], m["message"])
        for m in heads(text.output)
    ]


GITHUB_LINE = re.compile(
    r"^::(?P<command>error|warning|notice) file=(?P<file>[^,:]+),line=(?P<line>\d+),"
    r"col=(?P<col>\d+),title=(?P<code>MP\d{3}) (?P<name>[a-z0-9-]+)::(?P<message>.+)$"
)
COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def _escaped(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


@pytest.mark.parametrize(
    "case",
    [
        "mp205-misspelled-category",
        "mp201-columns-out-of-order",
        "mp309-orphan-study",
        "mp310-empty-cell",
        "mp405-invisible-in-link",
    ],
)
def test_github_report(case: str, run_cli: RunCli) -> None:
    """One workflow command per finding, agreeing with the JSON report of the same collection."""
    result = run_cli(["check", CASES / case, "--format", "github"])
    diagnostics = json.loads(run_cli(["check", CASES / case, "--format", "json"]).output)[
        "diagnostics"
    ]
    lines = result.output.splitlines()
    assert lines[-1] == expected(CASES / case).rstrip("\n").rsplit("\n", 1)[-1]
    assert len(lines) - 1 == len(diagnostics) == len(heads(expected(CASES / case)))
    for line, d in zip(lines[:-1], diagnostics, strict=True):
        a = GITHUB_LINE.match(line)
        assert a is not None, line
        assert a["command"] == COMMANDS[d["severity"]]
        assert (a["file"], int(a["line"]), int(a["col"])) == (d["path"], d["line"], d["column"])
        assert (a["code"], a["name"]) == (d["code"], d["name"])
        hint = f"\nhint: {d['hint']}" if d["hint"] else ""
        assert a["message"] == _escaped(d["message"] + hint)


def test_github_report_exact(run_cli: RunCli) -> None:
    result = run_cli(["check", CASES / "mp205-misspelled-category", "--format", "github"])
    assert result.output == (
        "::error file=entries/studies/probation-alcohol-2009.yaml,line=9,col=18,"
        "title=MP205 invalid-value::'categories' cannot be 'kye'; allowed: seminal, key, "
        "review, guidance%0Ahint: did you mean 'key'?\n"
        "1 matrix, 0 cells, 1 study: 1 error\n"
    )
    assert result.exit_code == 1


# --- colour -----------------------------------------------------------------------------------

COLOUR_CASE = CASES / "mp205-misspelled-category"
RED = "\x1b[1;31m"


def test_no_color_means_no_escapes(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    # FORCE_COLOR would make rich colour even a pipe; NO_COLOR must still win with --color auto.
    monkeypatch.setenv("FORCE_COLOR", "1")
    result = run_cli(["check", COLOUR_CASE])
    assert not ANSI.search(result.output)
    assert result.output == expected(COLOUR_CASE)


def test_force_color_without_no_color_colours(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control for the test above: the same run without NO_COLOR does colour.
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR")
    result = run_cli(["check", COLOUR_CASE])
    assert RED in result.output


def test_color_never_means_no_escapes(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR")
    result = run_cli(["check", COLOUR_CASE, "--color", "never"])
    assert not ANSI.search(result.output)


def test_color_always_colours(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR")
    result = run_cli(["check", COLOUR_CASE, "--color", "always"])
    assert RED in result.output
    assert ANSI.sub("", result.output) == expected(COLOUR_CASE)


def test_color_always_overrides_no_color(run_cli: RunCli) -> None:
    # no-color.org: a per-run command-line flag overrides NO_COLOR. Without the override the
    # output is half-coloured: bold and dim escapes but no colour.
    result = run_cli(["check", COLOUR_CASE, "--color", "always"])
    assert ANSI.search(result.output)
    assert RED in result.output
    assert ANSI.sub("", result.output) == expected(COLOUR_CASE)
