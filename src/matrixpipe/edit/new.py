"""`matrixpipe new`: start a study or a cell page from a scaffold that already passes `check`.

A new study file explains each of its fields in a comment above it, taken from the field
descriptions of the content model, and is written in the layout `matrixpipe fmt` keeps.
"""

from __future__ import annotations

import difflib
import io
import re
import shlex
import sys
import textwrap
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from matrixpipe import models
from matrixpipe.check import yamlload
from matrixpipe.diagnostics import ExitCode
from matrixpipe.edit.fmt import WIDTH, canonical_yaml, format_text
from matrixpipe.fsutil import write_atomic

MODELINE = "# yaml-language-server: $schema=../../schema/study.schema.json"
MAX_ID = 80
RELATED_LABEL = "related study"
"""How a `--related` study reads after "See also" unless `--related-label` says otherwise."""
REQUIRED = {
    "title": "--title",
    "year": "--year",
    "cell": "--cell",
    "categories": "--category",
    "note": "--note",
}
BITE_SECTIONS = (
    ("What is this cell about?", "about", "Say what this cell covers and why it matters."),
    ("Where should I start?", "start", "Point readers to the first studies to read, and why."),
    ("Highlighted study", "highlighted-study", "Introduce one study that repays a closer look."),
    ("Issues to consider and discuss", "issues", "Raise the questions the evidence leaves open."),
)


class ScaffoldError(Exception):
    """A value given to `matrixpipe new` cannot be used; the message says which and why."""


@dataclass
class StudyAnswers:
    """Everything `new study` puts in the file; None or empty means not given."""

    title: str | None = None
    year: int | None = None
    cell: str | None = None
    categories: list[str] = field(default_factory=list)
    note: str | None = None
    organisation: str | None = None
    jurisdiction: str | None = None
    url: str | None = None
    doi: str | None = None
    authors: list[str] = field(default_factory=list)
    source_type: str | None = None
    summary: str | None = None
    id: str | None = None
    status: str = "draft"
    rank: int | None = None
    related: list[str] = field(default_factory=list)
    related_label: str = RELATED_LABEL

    def missing(self) -> list[str]:
        """The options of required values that were not given."""
        return [flag for name, flag in REQUIRED.items() if not getattr(self, name)]


# --- ids -----------------------------------------------------------------------------------


_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "ł": "l"})


def slugify(text: str, limit: int = MAX_ID) -> str:
    """Lower-case ASCII words joined by hyphens, cut at a word boundary to at most `limit`."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    ascii_text = folded.encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or (words[0][:limit] if words else "")


def propose_id(title: str, year: int | None) -> str:
    """An id from the title, with the year appended unless the title already holds it."""
    words = slugify(title, limit=10_000).split("-")
    if year is None or str(year) in words:
        return slugify(title)
    suffix = f"-{year}"
    stem = slugify(title, limit=MAX_ID - len(suffix))
    return f"{stem}{suffix}" if stem else str(year)


# --- checking answers ----------------------------------------------------------------------


def known_matrices(repo: Path) -> list[str]:
    """The ids of the matrices in the collection, from the file names."""
    return sorted(p.stem for p in (repo / "entries" / "matrices").glob("*.yaml"))


def check_cell(repo: Path, ref: str) -> str:
    """`ref` if it names a cell of a known matrix (`alcohol/E5`); else ScaffoldError."""
    ref = ref.strip()
    matrix, _, code = ref.partition("/")
    matrices = known_matrices(repo)
    if matrix not in matrices:
        known = ", ".join(matrices) or "none"
        raise ScaffoldError(f"there is no matrix '{matrix}' (known matrices: {known})")
    if not re.fullmatch(models.CELL_CODE, code):
        raise ScaffoldError(f"'{code}' is not a cell code; cell codes run from A1 to E5")
    return ref


def study_ids(repo: Path) -> list[str]:
    """The ids of the studies in the collection, from the file names."""
    return sorted(p.stem for p in (repo / "entries" / "studies").glob("*.yaml"))


def closest_study(repo: Path, study_id: str) -> str | None:
    """The id of an existing study that `study_id` was probably meant to be, for a hint."""
    close = difflib.get_close_matches(study_id, study_ids(repo), n=1, cutoff=0.6)
    return close[0] if close else None


def _check_related(repo: Path, ids: list[str]) -> list[str]:
    """Each `--related` id, once, if a study file has it; a dangling one would fail `check`."""
    checked = []
    for value in ids:
        study_id = _check_id(value)
        if not (repo / "entries" / "studies" / f"{study_id}.yaml").is_file():
            close = closest_study(repo, study_id)
            hint = f"; did you mean '{close}'?" if close else ""
            raise ScaffoldError(f"--related: there is no study '{study_id}'{hint}")
        checked.append(study_id)
    return list(dict.fromkeys(checked))


def _check_pattern(value: str, pattern: str, what: str) -> str:
    value = value.strip()
    if not re.fullmatch(pattern, value):
        raise ScaffoldError(f"'{value}' is not {what}")
    return value


def _check_id(value: str) -> str:
    value = _check_pattern(value, models.SLUG, "an id: lower-case words joined by hyphens")
    if len(value) > MAX_ID:
        raise ScaffoldError(f"the id is {len(value)} characters long; at most {MAX_ID} fit")
    return value


def _check_categories(values: list[str] | str) -> list[str]:
    items = re.split(r"[,\s]+", values) if isinstance(values, str) else list(values)
    cleaned = [v.strip().lower() for v in items if v.strip()]
    unknown = [v for v in cleaned if v not in models.CATEGORIES]
    if unknown or not cleaned:
        raise ScaffoldError(f"categories are one or more of: {', '.join(models.CATEGORIES)}")
    return list(dict.fromkeys(cleaned))


def validate_answers(repo: Path, a: StudyAnswers) -> None:
    """Check the values given as options, before anything is asked or written."""
    for name in ("title", "note", "organisation", "jurisdiction", "summary"):
        value = getattr(a, name)
        setattr(a, name, value.strip() or None if isinstance(value, str) else value)
    if a.cell:
        a.cell = check_cell(repo, a.cell)
    if a.categories:
        a.categories = _check_categories(a.categories)
    if a.url:
        a.url = _check_pattern(a.url, models.URL, "an address starting with http:// or https://")
    if a.doi:
        a.doi = _check_pattern(a.doi, models.DOI, "a DOI such as 10.1000/xyz123")
    if a.id:
        a.id = _check_id(a.id)
    if a.source_type and a.source_type not in models.SOURCE_TYPES:
        raise ScaffoldError(f"--type is one of: {', '.join(models.SOURCE_TYPES)}")
    if a.related:
        a.related = _check_related(repo, a.related)
        a.related_label = a.related_label.strip()
        if not a.related_label:
            raise ScaffoldError("--related-label cannot be empty")


# --- asking --------------------------------------------------------------------------------


def _proc(check: Any) -> Any:
    """Wrap a checker so click re-asks with its message when an answer is not usable."""

    def proc(value: str) -> Any:
        try:
            return check(value)
        except ScaffoldError as exc:
            raise click.BadParameter(str(exc)) from None

    return proc


def _optional(text: str) -> str | None:
    return text.strip() or None


def ask(repo: Path, a: StudyAnswers) -> None:
    """Ask on the terminal for every required value not given, and the optional source fields."""
    if not a.title:
        a.title = click.prompt("Title (the headline readers see)", value_proc=str.strip)
    if a.year is None:
        a.year = click.prompt("Year of publication", type=click.IntRange(1900, 2100))
    if a.organisation is None:
        a.organisation = _optional(
            click.prompt("Publishing organisation (Enter to skip)", default="", show_default=False)
        )
    if a.jurisdiction is None:
        a.jurisdiction = _optional(
            click.prompt("Jurisdiction (Enter to skip)", default="", show_default=False)
        )
    if a.url is None:
        a.url = click.prompt(
            "Link to the document (Enter to skip)",
            default="",
            show_default=False,
            value_proc=_proc(_optional_url),
        )
    if not a.cell:
        a.cell = click.prompt(
            "Cell (matrix/CODE, e.g. alcohol/E5)", value_proc=_proc(lambda v: check_cell(repo, v))
        )
    if not a.categories:
        a.categories = click.prompt(
            f"Categories ({', '.join(models.CATEGORIES)}; several separated by commas)",
            value_proc=_proc(_check_categories),
        )
    if not a.note:
        a.note = click.prompt(
            "Note: why the study matters in this cell, in your own words", value_proc=str.strip
        )
    if not a.id:
        a.id = click.prompt("Id", default=propose_id(a.title, a.year), value_proc=_proc(_check_id))


def _optional_url(value: str) -> str | None:
    if not value.strip():
        return None
    return _check_pattern(value, models.URL, "an address starting with http:// or https://")


# --- writing -------------------------------------------------------------------------------


def study_data(a: StudyAnswers) -> CommentedMap:
    """The study as ordered data, in the content model's field order."""
    source = CommentedMap()
    for key, value in (
        ("authors", CommentedSeq(a.authors) if a.authors else None),
        ("organisation", a.organisation),
        ("jurisdiction", a.jurisdiction),
        ("year", a.year),
        ("url", a.url),
        ("doi", a.doi),
        ("type", a.source_type or "report"),
    ):
        if value is not None:
            source[key] = value
    placement = CommentedMap()
    placement["cell"] = a.cell
    placement["categories"] = CommentedSeq(a.categories)
    placement["categories"].fa.set_flow_style()
    if a.rank is not None:
        placement["rank"] = a.rank
    placement["note"] = markdown_block(a.note or "")
    study = CommentedMap()
    study["id"] = a.id
    study["title"] = a.title
    study["status"] = a.status
    study["source"] = source
    if a.summary:
        study["summary"] = markdown_block(a.summary)
    if a.related:
        study["related"] = CommentedSeq()
        for related_id in a.related:
            related = CommentedMap()
            related["label"] = a.related_label
            related["study"] = related_id
            study["related"].append(related)
    study["placements"] = CommentedSeq([placement])
    return study


def markdown_block(text: str) -> LiteralScalarString:
    """Markdown as a `|` block, the way the collection writes notes and summaries."""
    lines = [line.rstrip() for line in text.strip().replace("\r\n", "\n").split("\n")]
    return LiteralScalarString("\n".join(lines) + "\n")


_MODEL_AT_INDENT: dict[tuple[str, int], type[BaseModel]] = {
    ("", 0): models.Study,
    ("source", 2): models.Source,
    ("related", 4): models.Related,
    ("placements", 4): models.Placement,
}
_KEY_LINE = re.compile(r"^(?P<indent> *)(?P<dash>- )?(?P<key>[a-z_]+):")


def render_study(a: StudyAnswers) -> str:
    """The study file: the schema modeline, then each field under a comment that explains it."""
    out = io.StringIO()
    canonical_yaml().dump(study_data(a), out)
    lines = [MODELINE]
    section = ""
    explained: set[tuple[str, int, str]] = set()
    for line in out.getvalue().splitlines():
        match = _KEY_LINE.match(line)
        if match:
            indent = len(match["indent"]) + (2 if match["dash"] else 0)
            if indent == 0:
                section = match["key"]
            where = ("" if indent == 0 else section, indent, match["key"])
            model = _MODEL_AT_INDENT.get(where[:2])
            info = model.model_fields.get(match["key"]) if model else None
            # Several related studies: the first one's keys are explained, the rest would repeat.
            if info is not None and info.description and where not in explained:
                lines.extend(_comment(info.description, indent, bool(match["dash"])))
                explained.add(where)
        lines.append(line)
    return format_text("\n".join(lines) + "\n", "study")


def _comment(text: str, indent: int, before_dash: bool) -> list[str]:
    # A comment above `- cell:` sits at the dash's column, where fmt would put it.
    column = indent - 2 if before_dash else indent
    wrapped = textwrap.wrap(text, WIDTH - column - 2, break_on_hyphens=False)
    return [" " * column + "# " + part for part in wrapped]


def run_new_study(repo: Path, answers: StudyAnswers, interactive: bool | None = None) -> int:
    """`matrixpipe new study`: ask for what is missing (on a terminal only), then write the file."""
    if not (repo / "entries").is_dir():
        return _fail(f"{repo}: no entries/ folder here; use --repo to name the collection")
    try:
        validate_answers(repo, answers)
    except ScaffoldError as exc:
        return _fail(str(exc))
    if interactive is None:
        interactive = sys.stdin.isatty()
    missing = answers.missing()
    if missing and not interactive:
        return _fail(
            f"missing {', '.join(missing)}: give them as options (there is no terminal to ask on)"
        )
    if missing:
        ask(repo, answers)
    if not answers.id:
        answers.id = propose_id(answers.title or "", answers.year)
        if not answers.id:
            return _fail("cannot make an id from this title; give one with --id")
    problem = _model_problem(answers)
    if problem:
        return _fail(problem)
    path = repo / "entries" / "studies" / f"{answers.id}.yaml"
    hint = _existing_study_hint(repo, path, answers) if path.exists() else ""
    return _write_new(path, render_study(answers), hint)


def _existing_study_hint(repo: Path, path: Path, a: StudyAnswers) -> str:
    """What to do when the study file is there already: most often the same study, met again
    in another cell, which `matrixpipe place` adds to the file."""
    other = "if it is another study, choose another id with --id"
    try:
        data = yamlload.to_data(yamlload.compose(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, yamlload.YamlError):
        data = None
    placements = data.get("placements") if isinstance(data, dict) else None
    cells = {str(p.get("cell", "")).strip() for p in placements or [] if isinstance(p, dict)}
    if a.cell in cells:
        return f"it already lists {a.cell}: edit that placement; {other}"
    command = ["matrixpipe", "place", a.id or "", a.cell or ""]
    for category in a.categories:
        command += ["--category", category]
    options = ["--rank", str(a.rank)] if a.rank is not None else []
    if repo != Path("."):
        options += ["--repo", str(repo)]
    shown = f'{shlex.join(command)} --note "…" {shlex.join(options)}'.rstrip()
    return f"to list it in another cell, run `{shown}`; {other}"


def _model_problem(a: StudyAnswers) -> str | None:
    data: dict[str, Any] = canonical_plain(study_data(a))
    try:
        models.Study.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}"
    return None


def canonical_plain(node: Any) -> Any:
    """ruamel's containers and strings as plain dicts, lists and str, for pydantic's strict mode."""
    if isinstance(node, dict):
        return {str(k): canonical_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [canonical_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def render_cell(matrix: str, code: str, status: str = "draft") -> str:
    """A cell page: front matter, then the four anchored sections of a bite with placeholders."""
    parts = [f"---\nmatrix: {matrix}\ncell: {code}\nstatus: {status}\n---\n"]
    for heading, anchor, placeholder in BITE_SECTIONS:
        parts.append(f"\n## {heading} {{#{anchor}}}\n\n_To write: {placeholder}_\n")
    return "".join(parts)


def run_new_cell(repo: Path, ref: str, status: str = "draft") -> int:
    """`matrixpipe new cell`: write a cell page with a bite skeleton, never over an existing one."""
    if not (repo / "entries").is_dir():
        return _fail(f"{repo}: no entries/ folder here; use --repo to name the collection")
    try:
        ref = check_cell(repo, ref)
    except ScaffoldError as exc:
        return _fail(str(exc))
    matrix, _, code = ref.partition("/")
    path = repo / "entries" / "cells" / matrix / f"{code}.md"
    return _write_new(path, render_cell(matrix, code, status))


def _write_new(path: Path, text: str, hint: str = "") -> int:
    if path.exists():
        click.echo(
            f"matrixpipe: error: {path} already exists; it was left unchanged "
            f"({hint or 'edit it instead'})",
            err=True,
        )
        return int(ExitCode.FINDINGS)
    write_atomic(path, text)
    click.echo(f"wrote {path}")
    click.echo("next: fill it in, then run `matrixpipe fmt` and `matrixpipe check`", err=True)
    return int(ExitCode.OK)


def _fail(message: str) -> int:
    click.echo(f"matrixpipe: error: {message}", err=True)
    return int(ExitCode.FAILURE)
