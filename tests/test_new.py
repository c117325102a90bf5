"""`matrixpipe new`: scaffolds that pass `check`, never overwrite, and ask only on a terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matrixpipe import models
from matrixpipe.check import yamlload
from matrixpipe.cli import new
from matrixpipe.edit.fmt import format_text
from matrixpipe.edit.new import propose_id, slugify

from conftest import RunCli

STUDY_ARGS = [
    "new",
    "study",
    "--title",
    "Court-ordered treatment in Scotland: a follow-up",
    "--year",
    "2015",
    "--cell",
    "alcohol/E5",
    "--category",
    "key",
    "--category",
    "guidance",
    "--organisation",
    "[UK] Scottish Government",
    "--jurisdiction",
    "Scotland",
    "--url",
    "https://example.org/court-ordered.pdf",
    "--note",
    "Follows offenders sent to treatment by the courts.\n\nSecond paragraph: it *matters*.",
]
STUDY_FILE = "entries/studies/court-ordered-treatment-in-scotland-a-follow-up-2015.yaml"


def test_new_study_writes_a_file_that_check_accepts(run_cli: RunCli, collection: Path) -> None:
    result = run_cli([*STUDY_ARGS, "--repo", collection])
    assert result.exit_code == 0, result.output
    path = collection / STUDY_FILE
    text = path.read_text()
    lines = text.splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../../schema/study.schema.json"
    assert lines[1].startswith("# A slug of lower-case words")  # the model's description of id
    data = yamlload.to_data(yamlload.compose(text))
    assert data["status"] == "draft"
    assert data["source"]["organisation"] == "[UK] Scottish Government"
    assert data["placements"] == [
        {
            "cell": "alcohol/E5",
            "categories": ["key", "guidance"],
            "note": "Follows offenders sent to treatment by the courts.\n\n"
            "Second paragraph: it *matters*.\n",
        }
    ]
    assert format_text(text, "study") == text  # already in the house style

    check = run_cli(["check", collection])
    assert check.exit_code == 0, check.output
    assert run_cli(["fmt", "--check"], cwd=collection).exit_code == 0


def test_new_study_never_overwrites(run_cli: RunCli, collection: Path) -> None:
    assert run_cli([*STUDY_ARGS, "--repo", collection]).exit_code == 0
    path = collection / STUDY_FILE
    path.write_text(path.read_text() + "# my own edits\n")
    before = path.read_bytes()
    again = run_cli([*STUDY_ARGS, "--repo", collection])
    assert again.exit_code == 1
    assert (
        "court-ordered-treatment-in-scotland-a-follow-up-2015.yaml already exists" in again.output
    )
    assert path.read_bytes() == before


def test_new_study_on_an_existing_id_names_place(run_cli: RunCli, collection: Path) -> None:
    assert run_cli([*STUDY_ARGS, "--repo", collection]).exit_code == 0
    path = collection / STUDY_FILE
    before = path.read_bytes()
    args = [*STUDY_ARGS, "--repo", collection]
    args[args.index("--cell") + 1] = "alcohol/D5"
    again = run_cli([*args, "--rank", "2"])
    assert again.exit_code == 1
    assert path.read_bytes() == before
    hint = re.search(r"to list it in another cell, run `([^`]*)`", again.output)
    assert hint is not None, again.output
    command = shlex.split(hint.group(1))
    assert command[:4] == ["matrixpipe", "place", path.stem, "alcohol/D5"]
    assert command[4:] == [
        "--category",
        "key",
        "--category",
        "guidance",
        "--note",
        "…",
        "--rank",
        "2",
        "--repo",
        str(collection),
    ]
    # The hint is a command that works once the note is written.
    command[command.index("--note") + 1] = "Why it matters in D5."
    placed = run_cli(command[1:])
    assert placed.exit_code == 0, placed.output
    data = yamlload.to_data(yamlload.compose(path.read_text()))
    assert [(p["cell"], p.get("rank")) for p in data["placements"]] == [
        ("alcohol/E5", None),
        ("alcohol/D5", 2),
    ]
    # Asked for a cell it already lists, it says so instead of suggesting `place`.
    same = run_cli([*STUDY_ARGS, "--repo", collection])
    assert same.exit_code == 1
    assert "it already lists alcohol/E5" in same.output
    assert "matrixpipe place" not in same.output


def test_new_study_with_rank_and_related(run_cli: RunCli, collection: Path) -> None:
    related = ["probation-alcohol-offenders-2009", "prisons-alcohol-unmet-need-2010"]
    args = [*STUDY_ARGS, "--rank", "3", "--repo", collection]
    result = run_cli([*args, "--related", related[0], "--related", related[1]])
    assert result.exit_code == 0, result.output
    text = (collection / STUDY_FILE).read_text()
    data = yamlload.to_data(yamlload.compose(text))
    assert data["placements"][0]["rank"] == 3
    assert data["related"] == [{"label": "related study", "study": s} for s in related]
    assert list(data) == ["id", "title", "status", "source", "related", "placements"]
    # Each related key is explained once, above the first related study.
    assert text.count('# How the link reads after "See also"') == 1
    assert format_text(text, "study") == text
    check = run_cli(["check", collection])
    assert check.exit_code == 0, check.output

    labelled = run_cli(
        [
            *args,
            "--id",
            "scotland-courts-2015",
            "--related",
            related[0],
            "--related-label",
            "the same question in England",
        ]
    )
    assert labelled.exit_code == 0, labelled.output
    other = yamlload.to_data(
        yamlload.compose((collection / "entries/studies/scotland-courts-2015.yaml").read_text())
    )
    assert other["related"] == [{"label": "the same question in England", "study": related[0]}]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--related", "probation-alcohol-offenders-2090"],
            "there is no study 'probation-alcohol-offenders-2090'; did you mean "
            "'probation-alcohol-offenders-2009'?",
        ),
        (["--related", "Not An Id"], "is not an id"),
        (
            ["--related", "probation-alcohol-offenders-2009", "--related-label", " "],
            "--related-label cannot be empty",
        ),
        (["--rank", "0"], "Invalid value for '--rank'"),
    ],
)
def test_new_study_refuses_bad_rank_and_related(
    run_cli: RunCli, collection: Path, extra: list[str], message: str
) -> None:
    result = run_cli([*STUDY_ARGS, *extra, "--repo", collection])
    assert result.exit_code == 2
    assert message in result.output
    assert not (collection / STUDY_FILE).exists()


def test_new_study_without_terminal_names_missing_options(
    run_cli: RunCli, collection: Path
) -> None:
    result = run_cli(["new", "study", "--title", "Something", "--repo", collection])
    assert result.exit_code == 2
    assert "missing --year, --cell, --category, --note" in result.output
    assert not list((collection / "entries/studies").glob("something*"))


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--cell", "beer/E5", "there is no matrix 'beer'"),
        ("--cell", "alcohol/F9", "'F9' is not a cell code"),
        ("--url", "ftp://example.org/x", "is not an address starting with http"),
        ("--id", "Not A Slug", "is not an id"),
    ],
)
def test_new_study_refuses_bad_values(
    run_cli: RunCli, collection: Path, option: str, value: str, message: str
) -> None:
    args = [*STUDY_ARGS, "--repo", collection]
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    result = run_cli(args)
    assert result.exit_code == 2
    assert message in result.output
    assert not (collection / STUDY_FILE).exists()


def test_new_study_with_given_id_and_status(run_cli: RunCli, collection: Path) -> None:
    empty = collection.parent / "not-a-collection"
    empty.mkdir()
    refused = run_cli([*STUDY_ARGS, "--repo", empty])
    assert refused.exit_code == 2 and "no entries/ folder" in refused.output
    result = run_cli(
        [*STUDY_ARGS, "--id", "scotland-courts-2015", "--status", "review", "--repo", collection]
    )
    assert result.exit_code == 0, result.output
    data = yamlload.to_data(
        yamlload.compose((collection / "entries/studies/scotland-courts-2015.yaml").read_text())
    )
    assert (data["id"], data["status"]) == ("scotland-courts-2015", "review")


def test_cli_choices_follow_the_model() -> None:
    params = {p.name: p for p in new.commands["study"].params}
    assert tuple(params["categories"].type.choices) == models.CATEGORIES
    assert tuple(params["source_type"].type.choices) == models.SOURCE_TYPES
    assert tuple(params["status"].type.choices) == models.STATUSES


def test_proposed_ids() -> None:
    assert propose_id("Probation & alcohol: a survey", 2009) == "probation-alcohol-a-survey-2009"
    assert propose_id("The 2009 survey of probation", 2009) == "the-2009-survey-of-probation"
    assert propose_id("Über die Straße", None) == "uber-die-strasse"
    long_id = propose_id(" ".join(["word"] * 40), 2014)
    assert len(long_id) <= 80 and long_id.endswith("-word-2014")
    assert slugify("---") == ""


def test_new_cell_writes_a_skeleton_that_check_accepts(run_cli: RunCli, collection: Path) -> None:
    result = run_cli(["new", "cell", "alcohol/D4", "--repo", collection])
    assert result.exit_code == 0, result.output
    text = (collection / "entries/cells/alcohol/D4.md").read_text()
    assert text.startswith("---\nmatrix: alcohol\ncell: D4\nstatus: draft\n---\n")
    for heading in (
        "## What is this cell about? {#about}",
        "## Where should I start? {#start}",
        "## Highlighted study {#highlighted-study}",
        "## Issues to consider and discuss {#issues}",
    ):
        assert f"\n{heading}\n\n_To write: " in text
    check = run_cli(["check", collection])
    assert check.exit_code == 0, check.output
    assert "MP310" in check.output  # the new cell lists no studies yet: info only


def test_new_cell_d5_passes_check(run_cli: RunCli, collection: Path) -> None:
    assert run_cli(["new", "cell", "alcohol/D5", "--repo", collection]).exit_code == 0
    check = run_cli(["check", collection])
    assert check.exit_code == 0, check.output


def test_new_cell_refuses_unknown_and_existing(run_cli: RunCli, collection: Path) -> None:
    unknown = run_cli(["new", "cell", "beer/D5", "--repo", collection])
    assert unknown.exit_code == 2 and "there is no matrix 'beer'" in unknown.output
    bad_code = run_cli(["new", "cell", "alcohol/F1", "--repo", collection])
    assert bad_code.exit_code == 2 and "cell codes run from A1 to E5" in bad_code.output
    existing = collection / "entries/cells/alcohol/E5.md"
    before = existing.read_bytes()
    again = run_cli(["new", "cell", "alcohol/E5", "--repo", collection])
    assert again.exit_code == 1 and "E5.md already exists" in again.output
    assert existing.read_bytes() == before


def _run_on_terminal(args: list[str], answers: list[str], cwd: Path) -> tuple[int, str]:
    """Run the real `matrixpipe` on a pseudo-terminal, answering each prompt in turn."""
    leader, follower = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from matrixpipe.cli import main; main()", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=cwd,
        env=env,
        close_fds=True,
    )
    os.close(follower)
    output = b""
    pending = list(answers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if pending and output.rstrip().endswith((b":", b"]:")):
                os.write(leader, pending.pop(0).encode() + b"\n")
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(leader)
    return proc.returncode, output.decode(errors="replace")


def test_new_study_asks_on_a_terminal(collection: Path) -> None:
    code, output = _run_on_terminal(
        ["new", "study", "--category", "review"],
        [
            "Drink-driving courts in Ireland",  # title
            "2019",  # year
            "",  # organisation (skipped)
            "Ireland",  # jurisdiction
            "",  # url (skipped)
            "alcohol/Z9",  # cell: refused, asked again
            "alcohol/E5",
            "Shows how courts and treatment can work together.",  # note
            "",  # id: take the proposal
        ],
        collection,
    )
    assert code == 0, output
    assert "cell codes run from A1 to E5" in output
    path = collection / "entries/studies/drink-driving-courts-in-ireland-2019.yaml"
    data = yamlload.to_data(yamlload.compose(path.read_text()))
    assert data["source"] == {"jurisdiction": "Ireland", "year": 2019, "type": "report"}
    assert data["placements"][0]["categories"] == ["review"]
