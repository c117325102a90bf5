"""JSON Schemas for entries, generated from the pydantic models (the one source of truth)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from matrixpipe import models

SCHEMA_BASE = "https://matrixpipe.github.io/schema/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
ENTRY_SCHEMAS: dict[str, type[BaseModel]] = {
    "matrix": models.Matrix,
    "cell": models.CellFrontMatter,
    "study": models.Study,
}


def model_schema(
    model: type[BaseModel], schema_id: str, mode: str = "validation"
) -> dict[str, Any]:
    """A model's JSON Schema, headed by `$schema`, `$id` and its title (editors show it first)."""
    body = model.model_json_schema(mode=mode)  # type: ignore[arg-type]
    head = {"$schema": DIALECT, "$id": schema_id, "title": body.pop("title", model.__name__)}
    return head | body


def entry_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind of entry, with `$schema`, `$id` and a description."""
    schema = model_schema(ENTRY_SCHEMAS[kind], f"{SCHEMA_BASE}{kind}.schema.json")
    if kind == "cell":
        schema["description"] = (
            "The YAML front matter of a cell page, entries/cells/<matrix>/<CODE>.md; the bite "
            "follows it as Markdown."
        )
    return schema


def render_schema(schema: dict[str, Any]) -> str:
    """Stable text for a schema file: sorted keys would scramble the field order editors show."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def expected_files() -> dict[str, str]:
    """Relative path → content of every schema `matrixpipe schema` writes: entries and the API."""
    from matrixpipe.models.api import api_schema_files

    files = {f"{kind}.schema.json": render_schema(entry_schema(kind)) for kind in ENTRY_SCHEMAS}
    files.update({f"api/{name}": text for name, text in api_schema_files().items()})
    return files


def stale_files(folder: Path) -> list[str]:
    """Schema files in `folder` that are missing or differ from what the models give."""
    return [
        name
        for name, text in expected_files().items()
        if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text
    ]
