"""`matrixpipe place`: one study listed in a second cell, its file otherwise left as it was."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from matrixpipe.check import yamlload
from matrixpipe.edit.fmt import format_text

from browser import add_site, snapshot
from conftest import RunCli

STUDY = "courts-and-treatment-2015"
HEAD = """\
# yaml-language-server: $schema=../../schema/study.schema.json
# Found by the Findings team in 2016; ask the editor before changing a note.
id: courts-and-treatment-2015
title: Courts and treatment in Scotland
status: published
source:
  organisation: '[UK] Scottish Government'  # the commissioning body
  year: 2015
  type: report
# Tags follow the Findings thesaurus.
tags: [criminal-justice]
placements:
  # E5 first: it is where the study was found.
  - cell: alcohol/E5
    categories: [key]  # seminal once the follow-up is out
    rank: 2
    note: |
      Follows offenders sent to treatment by the courts.
    discussed_in: [issues]
    # Closing remark on E5, indented under it.
"""
TAIL = """
# End of file: keep this line last.
"""
PLACE_D5 = [
    "place",
    STUDY,
    "alcohol/D5",
    "--category",
    "review",
    "--note",
    "How Scottish courts commission treatment.",
    "--headline",
    "How Scottish courts buy treatment",
]
D5_PLACEMENT = """\
  - cell: alcohol/D5
    categories: [review]
    note: |
      How Scottish courts commission treatment.
    headline: How Scottish courts buy treatment
"""


def _data(path: Path) -> dict[str, Any]:
    return yamlload.to_data(yamlload.compose(path.read_text(encoding="utf-8")))


def test_place_keeps_every_comment_and_adds_the_placement_last(
    run_cli: RunCli, collection: Path
) -> None:
    path = collection / "entries/studies" / f"{STUDY}.yaml"
    path.write_text(HEAD + TAIL, encoding="utf-8")
    assert format_text(HEAD + TAIL, "study") == HEAD + TAIL  # the file is in the house style

    result = run_cli([*PLACE_D5, "--repo", collection])
    assert result.exit_code == 0, result.output
    assert f"{STUDY} is now listed in alcohol/D5 (review)" in result.output

    # Byte for byte: everything that was there, the new placement inserted after the comment
    # that closes E5 and above the end-of-file comment, which is about the file, not E5.
    assert path.read_text(encoding="utf-8") == HEAD + D5_PLACEMENT + TAIL
    placements = _data(path)["placements"]
    assert [p["cell"] for p in placements] == ["alcohol/E5", "alcohol/D5"]
    assert placements[-1]["headline"] == "How Scottish courts buy treatment"

    assert run_cli(["fmt", "--check"], cwd=collection).exit_code == 0
    check = run_cli(["check", collection])
    assert check.exit_code == 0, check.output


def test_place_keeps_key_order_that_fmt_would_change(run_cli: RunCli, collection: Path) -> None:
    head = """\
id: courts-and-treatment-2015
status: draft  # before the title: fmt would move it, place must not
title: Courts and treatment in Scotland
source:
  year: 2015
placements:
  - note: |
      Written note first.
    cell: alcohol/E5
    categories: [key]
"""
    tail = """\
# Tags come last in this file, on purpose.
tags: [criminal-justice]
"""
    path = collection / "entries/studies" / f"{STUDY}.yaml"
    path.write_text(head + tail, encoding="utf-8")
    assert format_text(head + tail, "study") != head + tail

    result = run_cli(
        [
            "place",
            STUDY,
            "alcohol/D4",
            "--category",
            "Key",
            "--category",
            "guidance",
            "--category",
            "key",
            "--rank",
            "7",
            "--note",
            "  First line.\n\nSecond paragraph.  ",
            "--repo",
            collection,
        ]
    )
    assert result.exit_code == 0, result.output
    placed = """\
  - cell: alcohol/D4
    categories: [key, guidance]
    rank: 7
    note: |
      First line.

      Second paragraph.
"""
    assert path.read_text(encoding="utf-8") == head + placed + tail
    assert list(_data(path)) == ["id", "status", "title", "source", "placements", "tags"]


def test_place_after_new_study_stays_in_house_style(run_cli: RunCli, collection: Path) -> None:
    made = run_cli(
        [
            "new",
            "study",
            "--title",
            "Courts and treatment",
            "--year",
            "2015",
            "--cell",
            "alcohol/E5",
            "--category",
            "key",
            "--note",
            "E5 note.",
            "--repo",
            collection,
        ]
    )
    assert made.exit_code == 0, made.output
    path = collection / "entries/studies" / f"{STUDY}.yaml"
    before = path.read_text(encoding="utf-8")
    assert run_cli([*PLACE_D5, "--repo", collection]).exit_code == 0
    after = path.read_text(encoding="utf-8")
    assert after == before + D5_PLACEMENT  # the scaffold's comments stay; nothing else moves
    assert run_cli(["fmt", "--check"], cwd=collection).exit_code == 0
    assert run_cli(["check", collection]).exit_code == 0


PROBATION = "probation-alcohol-offenders-2009"


@pytest.mark.parametrize(
    ("study", "cell", "categories", "message"),
    [
        (PROBATION, "alcohol/E5", ["key"], "already placed in alcohol/E5"),
        (PROBATION, " alcohol/E5 ", ["review"], "already placed in alcohol/E5"),
        (
            "probation-alcohol-offenders-2090",
            "alcohol/D5",
            ["key"],
            "did you mean 'probation-alcohol-offenders-2009'?",
        ),
        (f"../studies/{PROBATION}", "alcohol/D5", ["key"], "there is no study"),
        (PROBATION, "beer/D5", ["key"], "there is no matrix 'beer' (known matrices: alcohol"),
        (PROBATION, "alcohol/F5", ["key"], "'F5' is not a cell code"),
        (PROBATION, "alcohol", ["key"], "is not a cell code"),
        (PROBATION, "alcohol/D5", ["kye"], "'kye' is not a category; did you mean 'key'?"),
        (PROBATION, "alcohol/D5", ["key", "important"], "'important' is not a category"),
    ],
)
def test_place_refuses_and_writes_nothing(
    run_cli: RunCli,
    collection: Path,
    study: str,
    cell: str,
    categories: list[str],
    message: str,
) -> None:
    before = snapshot(collection)
    args = ["place", study, cell, "--note", "A note.", "--repo", collection]
    for category in categories:
        args += ["--category", category]
    result = run_cli(args)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert f"entries/studies/{study}.yaml: " in lines[0]
    assert message in lines[0]
    assert snapshot(collection) == before


def test_place_refuses_a_headline_on_two_lines(run_cli: RunCli, collection: Path) -> None:
    path = collection / "entries/studies" / f"{STUDY}.yaml"
    path.write_text(HEAD + TAIL, encoding="utf-8")
    before = snapshot(collection)
    result = run_cli([*PLACE_D5[:-1], "Line one\nline two", "--repo", collection])
    assert result.exit_code == 1
    assert "the headline must be one line" in result.output
    assert snapshot(collection) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["place", PROBATION, "alcohol/D5", "--category", "key"], "Missing option '--note'"),
        (["place", PROBATION, "alcohol/D5", "--note", "x"], "Missing option '--category'"),
        (["place", PROBATION, "--category", "key", "--note", "x"], "Missing argument"),
        (
            ["place", PROBATION, "alcohol/D5", "--category", "key", "--note", "x", "--rank", "0"],
            "Invalid value for '--rank'",
        ),
    ],
)
def test_place_usage_errors_exit_2(
    run_cli: RunCli, collection: Path, args: list[str], message: str
) -> None:
    before = snapshot(collection)
    result = run_cli([*args, "--repo", collection])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert snapshot(collection) == before


def test_place_needs_a_collection(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli([*PLACE_D5, "--repo", tmp_path])
    assert result.exit_code == 2
    assert "no entries/ folder" in result.output


def _cell_headline(page: Path, study: str) -> str:
    """The headline a built cell page shows for one study (its listing's link text)."""
    found = re.findall(
        rf'<a [^>]*id="mp-study-{study}" class="mp-headline">([^<]*)</a>',
        page.read_text(encoding="utf-8"),
    )
    assert len(found) == 1, f"{page} lists {study} {len(found)} times"
    return html.unescape(found[0])


def test_a_study_in_two_cells_with_two_headlines_end_to_end(
    run_cli: RunCli, collection: Path
) -> None:
    repo = add_site(collection)
    title, study = "Courts and treatment in Scotland", "courts-and-treatment-in-scotland-2015"
    d5_headline = "How Scottish courts buy treatment"
    made = run_cli(
        [
            "new",
            "study",
            "--title",
            title,
            "--year",
            "2015",
            "--cell",
            "alcohol/E5",
            "--category",
            "key",
            "--note",
            "Follows offenders sent to treatment by the courts.",
            "--status",
            "published",
            "--repo",
            repo,
        ]
    )
    assert made.exit_code == 0, made.output
    placed = run_cli(
        [
            "place",
            study,
            "alcohol/D5",
            "--category",
            "review",
            "--note",
            "How the courts' money reaches treatment services.",
            "--headline",
            d5_headline,
            "--repo",
            repo,
        ]
    )
    assert placed.exit_code == 0, placed.output
    built = run_cli(["build", repo, "--color", "never"])
    assert built.exit_code == 0, built.output
    public = repo / "public"

    # The cell pages: each cell's own headline for the study.
    assert _cell_headline(public / "alcohol/E5/index.html", study) == title
    assert _cell_headline(public / "alcohol/D5/index.html", study) == d5_headline

    # The study page lists both cells, the D5 one with its headline.
    page = (public / "studies" / study / "index.html").read_text(encoding="utf-8")
    listed = re.search(r'<ul class="mp-listed-in">(.*?)</ul>', page, re.S)
    assert listed is not None
    items = re.findall(r"<li>(.*?)</li>", listed.group(1), re.S)
    assert len(items) == 2
    e5, d5 = items
    assert f"alcohol/E5/#mp-study-{study}" in e5 and "Listed as" not in e5
    assert f"alcohol/D5/#mp-study-{study}" in d5
    assert f'Listed as <q class="mp-headline">{d5_headline}</q>' in d5

    # The API: the cell's listing and the study's placements.
    api = public / "api/v1"
    d5_cell = json.loads((api / "cells/alcohol/D5.json").read_text(encoding="utf-8"))
    assert [(p["study"], p["headline"]) for p in d5_cell["placements"]] == [(study, d5_headline)]
    e5_cell = json.loads((api / "cells/alcohol/E5.json").read_text(encoding="utf-8"))
    assert [p["headline"] for p in e5_cell["placements"] if p["study"] == study] == [title]
    record = json.loads((api / f"studies/{study}.json").read_text(encoding="utf-8"))
    assert [(p["cell"], p["headline"]) for p in record["placements"]] == [
        ("alcohol/E5", None),
        ("alcohol/D5", d5_headline),
    ]

    # The CSV: one row per cell, the headline column set only where the cell has its own.
    with (public / "downloads/matrixpipe.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["study_id"] == study]
    assert {row["cell"]: row["headline"] for row in rows} == {"E5": "", "D5": d5_headline}
    assert {row["title"] for row in rows} == {title}
