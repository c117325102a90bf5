"""`matrixpipe place`: list a study that is already in the collection in one more cell.

The Findings matrices list one study in several cells, often under a different headline in each.
A study is one file, so a second cell is a second placement in that file, never a second study
(a copy would drift from the first and count twice). The file is read and written by ruamel.yaml's
round trip with `fmt`'s settings, so its comments, key order and layout stay as they were; the new
placement comes last, laid out as `fmt` lays it out. Before anything is written, the strict loader
that `check` uses must read the old data plus the new placement from the new text.
"""

from __future__ import annotations

import copy
import difflib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import yaml
from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from matrixpipe import models
from matrixpipe.check import yamlload
from matrixpipe.diagnostics import ExitCode
from matrixpipe.edit.fmt import FormatError, canonical_yaml, format_text
from matrixpipe.edit.fmt import _content_end as content_end
from matrixpipe.edit.new import MAX_ID, ScaffoldError, check_cell, closest_study, markdown_block
from matrixpipe.errors import MatrixpipeError
from matrixpipe.fsutil import write_atomic


@dataclass
class Placing:
    """What `place` is asked to add: which study, which cell, and the placement's own values."""

    study_id: str
    cell: str
    categories: list[str]
    note: str
    headline: str | None = None
    rank: int | None = None


class Refused(Exception):
    """The placement cannot be made; nothing is written, and the message says why."""


def run_place(repo: Path, placing: Placing) -> int:
    """`matrixpipe place`: add the placement to the study's file, or refuse and write nothing."""
    if not (repo / "entries").is_dir():
        click.echo(
            f"matrixpipe: error: {repo}: no entries/ folder here; use --repo to name the collection",
            err=True,
        )
        return int(ExitCode.FAILURE)
    study_id = placing.study_id.strip()
    path = repo / "entries" / "studies" / f"{study_id}.yaml"
    try:
        path = study_file(repo, study_id)
        placement = checked_placement(repo, placing)
        text = add_placement(_read(path), placement)
    except Refused as exc:
        click.echo(f"matrixpipe: error: {path}: {exc}", err=True)
        return int(ExitCode.FINDINGS)
    write_atomic(path, text)
    click.echo(
        f"wrote {path}: {study_id} is now listed in {placement['cell']} "
        f"({', '.join(placement['categories'])})"
    )
    click.echo("next: run `matrixpipe check`", err=True)
    return int(ExitCode.OK)


# --- checking the request ------------------------------------------------------------------


def study_file(repo: Path, study_id: str) -> Path:
    """The study's file; Refused (with the closest id) when the collection has no such study.

    The id must be a slug before it is joined to a path, so `../x` can never name a file outside
    entries/studies/.
    """
    path = repo / "entries" / "studies" / f"{study_id}.yaml"
    if len(study_id) <= MAX_ID and re.fullmatch(models.SLUG, study_id) and path.is_file():
        if path.is_symlink():
            raise Refused("the file is a symbolic link; matrixpipe never writes through one")
        return path
    close = closest_study(repo, study_id)
    hint = f"; did you mean '{close}'?" if close else "; the ids are the file names there"
    raise Refused(f"there is no study '{study_id}' in entries/studies/{hint}")


def checked_placement(repo: Path, placing: Placing) -> dict[str, Any]:
    """The new placement as plain data in the model's key order, valid by the content model."""
    try:
        cell = check_cell(repo, placing.cell)
    except ScaffoldError as exc:
        raise Refused(str(exc)) from None
    placement: dict[str, Any] = {"cell": cell, "categories": _categories(placing.categories)}
    if placing.rank is not None:
        placement["rank"] = placing.rank
    note = placing.note.strip()
    if not note:
        raise Refused("the note is empty: say why the study matters in this cell")
    placement["note"] = str(markdown_block(note))
    if placing.headline is not None:
        headline = placing.headline.strip()
        if not headline or "\n" in headline or "\r" in headline:
            raise Refused("the headline must be one line of text")
        placement["headline"] = headline
    try:
        models.Placement.model_validate(placement)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Refused(f"{where}: {first['msg']}") from None
    return placement


def _categories(values: list[str]) -> list[str]:
    """The categories once each, in the order given; an unknown one is refused with a hint."""
    cleaned = [v.strip().lower() for v in values if v.strip()]
    for value in cleaned:
        if value not in models.CATEGORIES:
            close = difflib.get_close_matches(value, models.CATEGORIES, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise Refused(
                f"'{value}' is not a category; {hint}(one or more of: "
                f"{', '.join(models.CATEGORIES)})"
            )
    if not cleaned:
        raise Refused(f"give a category: one or more of {', '.join(models.CATEGORIES)}")
    return list(dict.fromkeys(cleaned))


# --- the edit ------------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("the file is not UTF-8; save it as UTF-8 first") from None


def add_placement(text: str, placement: dict[str, Any]) -> str:
    """The file's text with `placement` added as its last placement; Refused if it cannot be.

    Comments, key order and the layout of everything else are kept; a file that was in `fmt`'s
    house style stays in it.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")  # as `check` and `fmt` read it
    before = _strict_data(text)
    if not isinstance(before, dict):
        raise Refused("the file does not hold a study (a mapping of keys); fix it first")
    existing = before.get("placements")
    if existing is not None and not isinstance(existing, list):
        raise Refused("`placements` is not a list; fix it first (`matrixpipe check` says how)")
    cells = {str(p.get("cell", "")).strip() for p in existing or [] if isinstance(p, dict)}
    if placement["cell"] in cells:
        raise Refused(
            f"the study is already placed in {placement['cell']}; edit that placement instead"
        )
    rt = canonical_yaml()
    try:
        data = rt.load(text)
    except MarkedYAMLError as exc:
        raise Refused(f"ruamel.yaml cannot read the file: {exc.problem}") from None
    seq = data.get("placements")
    if not isinstance(seq, CommentedSeq):
        seq = data["placements"] = CommentedSeq()
    if not seq and seq.fa.flow_style():
        seq.fa.set_block_style()  # `placements: []`: a `|` note cannot sit inside brackets
    dash = seq.lc.col if seq and seq.lc.col is not None else 0
    seq.append(_item(placement, bool(seq.fa.flow_style())))
    out = io.StringIO()
    rt.dump(data, out)
    expected = copy.deepcopy(before)
    expected["placements"] = [*(existing or []), placement]
    result = _closing_comments_last(out.getvalue(), dash)
    if not _holds(result, expected):
        result = out.getvalue()  # never at the cost of a value: ruamel's placement of them then
    try:
        if _in_house_style(text):
            result = format_text(result, "study")
    except FormatError as exc:
        raise MatrixpipeError(f"cannot lay out the new placement: {exc}") from None
    if not _holds(result, expected):
        raise MatrixpipeError(
            "adding the placement would change another value, so the file was left as it is "
            "(please report this as a matrixpipe bug)"
        )
    return result


def _item(placement: dict[str, Any], flow: bool) -> CommentedMap:
    """The placement as ruamel data: categories in brackets and the note as a `|` block, as
    the collection writes them (plain values inside a list written in brackets)."""
    item = CommentedMap()
    for key, value in placement.items():
        item[key] = value
    categories = CommentedSeq(placement["categories"])
    categories.fa.set_flow_style()
    item["categories"] = categories
    if not flow:
        item["note"] = LiteralScalarString(placement["note"])
    return item


def _closing_comments_last(text: str, dash: int) -> str:
    """Put the comments that follow the old last placement where they belong, on the text.

    ruamel.yaml ties the comments after the last placement to one node or another, so the new
    placement lands before or after them depending on the value the old one ends with. `fmt`'s
    rule decides instead: a comment indented deeper than the list's dashes (`dash`, the column
    in the file as it was) closes the placement above it and stays there; from the first one at
    the dashes' column or left of it on, the comments are about what follows (the next key, the
    end of the file) and go below the new placement. Their text is never changed.
    """
    root = yamlload.compose(text)
    seq = None
    if isinstance(root, yaml.MappingNode):
        seq = next((v for k, v in root.value if k.value == "placements"), None)
    if not isinstance(seq, yaml.SequenceNode) or seq.flow_style or len(seq.value) < 2:
        return text
    old, new = seq.value[-2], seq.value[-1]
    lines = text.removesuffix("\n").split("\n")
    first, start = content_end(old) + 1, int(new.start_mark.line)
    end = after = content_end(new) + 1
    while after < len(lines) and _comment_or_blank(lines[after]):
        after += 1
    between = lines[first:start]
    if not all(_comment_or_blank(line) for line in between):
        return text
    run = between + lines[end:after]
    split = next(
        (i for i, line in enumerate(run) if line.strip() and _indent(line) <= dash), len(run)
    )
    while split > 0 and not run[split - 1].strip():
        split -= 1  # the blank lines above a comment that moves move with it
    rebuilt = [*lines[:first], *run[:split], *lines[start:end], *run[split:], *lines[after:]]
    return "\n".join(rebuilt) + "\n"


def _comment_or_blank(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _in_house_style(text: str) -> bool:
    try:
        return format_text(text, "study") == text
    except FormatError:
        return False


def _strict_data(text: str) -> Any:
    """The file's data as `check` reads it; Refused (with the spot) when it cannot."""
    try:
        return yamlload.to_data(yamlload.compose(text))
    except yamlload.YamlError as exc:
        p = exc.problem
        raise Refused(
            f"line {p.line + 1}, column {p.column + 1}: {p.message}; fix it first "
            "(`matrixpipe check` says how)"
        ) from None


def _holds(text: str, expected: Any) -> bool:
    """Whether `check` reads exactly `expected` from `text` (key order aside, which we keep)."""
    try:
        data = _strict_data(text)
    except Refused:
        return False
    return _fingerprint(data) == _fingerprint(expected)


def _fingerprint(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=repr)
