"""Stage 2, validate: turn each document's data into a typed model, or into findings.

Validation runs pydantic's compiled core once per document. Its errors carry a JSON path (`loc`),
which the document maps to a line and column; each error type becomes a rule with a plain message.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from matrixpipe import models
from matrixpipe.check import safety
from matrixpipe.check.load import Document
from matrixpipe.diagnostics import Diagnostic
from matrixpipe.rules import finding

_PATTERNS = {
    models.SLUG: "a slug: lower-case letters and digits joined by single hyphens, like `e5-2009`",
    models.ANCHOR: "an anchor: lower-case words joined by hyphens, like `issues`",
    models.CELL_CODE: "a cell code from A1 to E5",
    models.CELL_REF: "a cell as `<matrix>/<CODE>`, like `alcohol/E5`",
    models.URL: "an address starting with http:// or https://",
    models.DOI: "a DOI such as `10.1000/xyz123`, without a https://doi.org/ prefix",
    models.ONE_LINE: "a single line of text",
}
_TYPE_NAMES = {
    "int_type": "a whole number",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "bool_type": "true or false",
}
VALID_CELLS = "A1–A5, B1–B5, C1–C5, D1–D5, E1–E5"


@dataclass
class Entry:
    """A validated document: the typed model plus the document it came from."""

    doc: Document
    model: Any

    @property
    def id(self) -> str:
        if isinstance(self.model, models.Cell):
            return f"{self.model.matrix}/{self.model.cell}"
        return str(self.model.id)


def validate_document(doc: Document) -> tuple[Entry | None, list[Diagnostic]]:
    """Validate one document: its schema, then that its id agrees with its file name."""
    model_type = models.KINDS[doc.kind]
    try:
        model = model_type.model_validate(doc.data)
    except ValidationError as exc:
        return None, [_to_finding(doc, model_type, err) for err in exc.errors()]
    if doc.kind == "cell":
        model = models.Cell(**model.model_dump(), bite=doc.body)
    found = _invisible_in_titles(doc, model)
    if isinstance(model, models.Study) and model.source.year is None:
        line, column = doc.locate(("source",), key=True)
        found.append(
            finding(
                "MP210",
                doc.path,
                line,
                column,
                f"'{model.id}' gives no year of publication; readers see \"n.d.\"",
                "add `year:` under `source:` if the document has a date",
            )
        )
    mismatch = _name_mismatch(doc, model)
    # A mismatched id is still indexed, so a copied file shows up as a duplicate id too.
    return Entry(doc, model), found + ([mismatch] if mismatch else [])


_TITLE_PATHS: dict[str, list[tuple[str | int, ...]]] = {
    "matrix": [("title",)],
    "cell": [("title",)],
    "study": [("title",), ("source", "title"), ("source", "url"), ("source", "organisation")],
}


def _invisible_in_titles(doc: Document, model: Any) -> list[Diagnostic]:
    """Titles and addresses are shown and followed as they are: no hidden characters there."""
    found = []
    paths = list(_TITLE_PATHS[doc.kind])
    if isinstance(model, models.Study):
        paths += [("related", i, "label") for i in range(len(model.related))]
    for loc in paths:
        value: Any = doc.data
        for step in loc:
            value = (
                value.get(step)
                if isinstance(value, dict)
                else (value[step] if isinstance(value, list) and isinstance(step, int) else None)
            )
        if isinstance(value, str) and (spot := safety.invisible(value)):
            line, column = doc.locate(loc)
            line, column = doc.find_after(line, column, value[spot.offset])
            found.append(
                finding(
                    "MP405",
                    doc.path,
                    line,
                    column,
                    f"'{loc[-1]}' contains the invisible or bidirectional character {spot.text}",
                    "retype the value; such characters can make text "
                    "read differently from what it is",
                )
            )
    return found


def _name_mismatch(doc: Document, model: Any) -> Diagnostic | None:
    if isinstance(model, models.Cell):
        folder = doc.path.split("/")[-2]
        if model.cell != doc.stem or model.matrix != folder:
            line, column = doc.locate(("cell",) if model.cell != doc.stem else ("matrix",))
            return finding(
                "MP207",
                doc.path,
                line,
                column,
                f"the front matter says {model.matrix}/{model.cell} but the file is "
                f"{folder}/{doc.stem}",
                f"rename the file to entries/cells/{model.matrix}/{model.cell}.md or "
                "correct the front matter",
            )
        return None
    if model.id != doc.stem:
        line, column = doc.locate(("id",))
        return finding(
            "MP207",
            doc.path,
            line,
            column,
            f"id '{model.id}' does not match the file name '{doc.stem}'",
            f"rename the file to {model.id}.yaml, or set `id: {doc.stem}`",
        )
    return None


def _to_finding(doc: Document, model_type: type[BaseModel], err: Any) -> Diagnostic:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    kind: str = err["type"]
    name = _field_name(loc)
    where = f"'{name}'" if name else "the entry"
    if kind == "extra_forbidden":
        line, column = doc.locate(loc, key=True)
        known = known_keys(model_type, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = (
            f"did you mean '{close[0]}'?"
            if close
            else f"known keys here: {', '.join(sorted(known))}"
        )
        return finding("MP202", doc.path, line, column, f"unknown key '{loc[-1]}'", hint)
    if kind == "withdrawn_reason":
        withdrawn = isinstance(doc.data, dict) and doc.data.get("status") == "withdrawn"
        line, column = doc.locate(("status",) if withdrawn else ("withdrawn_reason",))
        if withdrawn:
            return finding(
                "MP204",
                doc.path,
                line,
                column,
                "a withdrawn study needs a `withdrawn_reason`",
                "add `withdrawn_reason:` with a sentence readers will see on its page",
            )
        return finding(
            "MP201",
            doc.path,
            line,
            column,
            "`withdrawn_reason` is only for a withdrawn study",
            "remove it, or set `status: withdrawn`",
        )
    line, column = doc.locate(loc)
    if kind == "missing":
        line, column = doc.locate(loc[:-1])
        return finding(
            "MP204",
            doc.path,
            line,
            column,
            f"missing required key '{loc[-1]}'",
            f"add `{loc[-1]}:` here"
            + (f" ({d})" if (d := _describe_field(model_type, loc)) else ""),
        )
    if kind in _TYPE_NAMES:
        return finding(
            "MP203",
            doc.path,
            line,
            column,
            f"{where} must be {_TYPE_NAMES[kind]}, not {_kind_of(err['input'])}",
            _describe_field(model_type, loc),
        )
    if kind in ("literal_error", "enum"):
        expected = [e.strip(" '") for e in err["ctx"]["expected"].replace(" or ", ", ").split(",")]
        given = str(err["input"])
        initial = [e for e in expected if len(given) == 1 and e.startswith(given.lower())]
        close = initial or difflib.get_close_matches(given, expected, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else f"choose one of: {', '.join(expected)}"
        if initial and name == "categories":
            hint += f" (the grid's badge {given.upper()} stands for {initial[0]})"
        return finding(
            "MP205",
            doc.path,
            line,
            column,
            f"{where} cannot be {_shown(err['input'])}; allowed: {', '.join(expected)}",
            hint,
        )
    if kind == "string_pattern_mismatch":
        return _pattern_finding(doc, loc, name, err, line, column)
    message = err["msg"].removeprefix("Value error, ")
    return finding(
        "MP201",
        doc.path,
        line,
        column,
        f"{where}: {message[0].lower()}{message[1:]}",
        _fix_hint(kind, err, model_type, loc),
    )


_LIMIT_HINTS = {
    "greater_than_equal": "use a value of at least {ge}",
    "less_than_equal": "use a value of at most {le}",
    "too_short": "give at least {min_length} item(s)",
    "too_long": "give at most {max_length} item(s)",
    "string_too_short": "write at least {min_length} character(s)",
    "string_too_long": "shorten it to at most {max_length} characters",
}


def _fix_hint(kind: str, err: Any, model_type: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    """How to fix a value that breaks a rule: the limit it broke, else what the field is for."""
    template = _LIMIT_HINTS.get(kind)
    if template:
        return template.format(**{k: v for k, v in (err.get("ctx") or {}).items()})
    described = _describe_field(model_type, loc)
    return (
        f"this field is: {described}" if described else "see the schema in schema/ for this field"
    )


def _pattern_finding(
    doc: Document, loc: tuple[str | int, ...], name: str, err: Any, line: int, column: int
) -> Diagnostic:
    pattern = err["ctx"]["pattern"]
    wanted = _PATTERNS.get(pattern, f"text matching {pattern}")
    value = err["input"]
    if loc == ("id",):
        return finding(
            "MP206",
            doc.path,
            line,
            column,
            f"id {_shown(value)} is not a slug",
            f"use {wanted}; for example `{_slugify(value)[:80]}`",
        )
    if name == "cell":
        return finding(
            "MP301",
            doc.path,
            line,
            column,
            f"{_shown(value)} is not a cell",
            f"use `<matrix>/<CODE>` with a code among {VALID_CELLS}",
        )
    hint = _PATTERN_HINTS.get(pattern, f"write {wanted}")
    return finding(
        "MP201", doc.path, line, column, f"'{name}' must be {wanted}, not {_shown(value)}", hint
    )


_PATTERN_HINTS = {
    models.ONE_LINE: "remove the line break: titles are shown, logged and annotated on one line",
    models.URL: "write the full address, starting with https://",
    models.DOI: "write the DOI alone, e.g. `10.1000/xyz123`",
}


def _shown(value: Any, limit: int = 60) -> str:
    """A value as a message quotes it: cut short, so no finding repeats a huge input."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}… ({len(str(value)):,} characters)"


def _slugify(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "my-study"


def _field_name(loc: tuple[str | int, ...]) -> str:
    names = [step for step in loc if isinstance(step, str)]
    return names[-1] if names else ""


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, float):
        return f"the decimal number {value!r}"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, str) and len(value) > 60 and value.lstrip("+-").isdigit():
        return f"a number {len(value):,} digits long"  # too long to read as one (yamlload)
    if isinstance(value, str):
        return f"the text {_shown(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "an empty value" if value is None else type(value).__name__


def _model_at(model_type: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """Follow a JSON path through the models to the model that holds its last step."""
    current: Any = model_type
    for step in loc:
        if isinstance(step, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(step)
        if info is None:
            return None
        current = _inner_model(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """The model class inside `X | None`, `list[X]` or `Annotated[X, …]`, if any."""
    stack = [annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
        if isinstance(item, types.UnionType) or typing.get_origin(item) is not None:
            stack.extend(typing.get_args(item))
    return None


def known_keys(model_type: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The keys the schema allows at a JSON path (for "did you mean" hints)."""
    model = _model_at(model_type, loc)
    return list(model.model_fields) if model else []


def _describe_field(model_type: type[BaseModel], loc: tuple[str | int, ...]) -> str | None:
    names = [step for step in loc if isinstance(step, str)]
    if not names:
        return None
    parent = _model_at(model_type, tuple(names[:-1]))
    info = parent.model_fields.get(names[-1]) if parent else None
    return info.description if info and info.description else None
