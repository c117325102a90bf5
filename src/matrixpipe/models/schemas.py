"""JSON Schemas of entries and of the API's documents, generated from the pydantic models (the one
source of truth). This module reads the models; the models never read it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from matrixpipe.models.api import API_SCHEMAS
from matrixpipe.models.entries import KINDS

SCHEMA_BASE = "https://matrixpipe.github.io/schema/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def model_schema(
    model: type[BaseModel], schema_id: str, mode: str = "validation"
) -> dict[str, Any]:
    """A model's JSON Schema, headed by `$schema`, `$id` and its title (editors show it first)."""
    body = model.model_json_schema(mode=mode)  # type: ignore[arg-type]
    head = {"$schema": DIALECT, "$id": schema_id, "title": body.pop("title", model.__name__)}
    return head | body


def entry_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind of entry, with `$schema`, `$id` and a description."""
    schema = model_schema(KINDS[kind], f"{SCHEMA_BASE}{kind}.schema.json")
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
    files = {f"{kind}.schema.json": render_schema(entry_schema(kind)) for kind in KINDS}
    files.update({f"api/{name}": text for name, text in api_schema_files().items()})
    return files


def schema_name(kind: str) -> str:
    return f"{kind}.schema.json"


def api_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one kind of API document."""
    return model_schema(API_SCHEMAS[kind], f"{SCHEMA_BASE}api/{schema_name(kind)}", "serialization")


def api_schema_files() -> dict[str, str]:
    """File name → text of every API schema, as `schema/api/` holds them."""
    return {schema_name(kind): render_schema(api_schema(kind)) for kind in API_SCHEMAS}


def stale_files(folder: Path) -> list[str]:
    """Schema files in `folder` that are missing or differ from what the models give."""
    return [
        name
        for name, text in expected_files().items()
        if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text
    ]
