"""A stock JSON Schema validator agrees with matrixpipe about what a valid entry is.

The committed `schema/*.schema.json` files are the public contract that editors and other tools
use. They are generated from the pydantic models; these tests check the other direction: a
validator that knows nothing of matrixpipe (jsonschema, check-jsonschema) accepts every entry
matrixpipe accepts and rejects every entry matrixpipe rejects for a schema reason.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from jsonschema import Draft202012Validator

from matrixpipe.check import yamlload

if TYPE_CHECKING:
    from conftest import RunCli

ROOT = Path(__file__).resolve().parent.parent
ENTRIES = ROOT / "entries"
SCHEMAS = ROOT / "schema"
CASES = Path(__file__).resolve().parent / "cases"
KINDS = {"matrices": "matrix", "cells": "cell", "studies": "study"}
_FRONT_MATTER_END = re.compile(r"^---[ \t]*$", re.MULTILINE)
HEAD = re.compile(
    r"^(?P<path>[^\s:]+):(?P<line>\d+):(?P<column>\d+): (?P<code>MP\d{3}) "
    r"(?:(?:warning|info): )?(?P<message>.*)$"
)
# Findings about what the schema says: MP201–MP206, and MP301 when a placement's `cell` breaks
# the cell pattern ("'alcohol/F5' is not a cell"). MP207 (id vs. file name) is not a schema matter.
SCHEMA_CODES = {"MP201", "MP202", "MP203", "MP204", "MP205", "MP206"}
CELL_PATTERN = re.compile(r"^'[^']*' is not a cell$")
# Findings that stop a file before the schema is applied: it may not even be YAML.
LOAD_CODE = re.compile(r"^MP1\d\d$|^MP40[1-4]$|^MP41[01]$")
# JSON Schema counts 2009.0 as an integer (a number with no fraction), and a YAML `2009.0` is
# that number; matrixpipe never coerces, so it rejects the float. No schema can tell them apart.
STOCK_CANNOT_SEE = {
    ("mp203-year-float", "entries/studies/probation-alcohol-2009.yaml"): (
        "JSON Schema's 'integer' includes 2009.0; only matrixpipe sees the YAML float"
    ),
    # python-jsonschema matches `pattern` with Python's re, where `$` also matches before a final
    # newline; ECMA-262, which the spec names, does not. check-jsonschema gets it right (below).
    ("mp206-id-block-scalar", "entries/studies/probation-alcohol-2009.yaml"): (
        "python-jsonschema's `$` matches before a trailing newline"
    ),
}


def validator(kind: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


VALIDATORS = {kind: validator(kind) for kind in KINDS.values()}


def kind_of(relpath: str) -> str:
    return KINDS[relpath.split("/")[1]]


def entry_data(path: Path) -> Any:
    """The data a YAML 1.2 loader sees: the whole file, or a cell's front matter."""
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    if path.suffix == ".md":
        assert text.startswith("---\n"), path
        end = _FRONT_MATTER_END.search(text, 4)
        assert end is not None, path
        text = text[4 : end.start()]
    return yamlload.to_data(yamlload.compose(text))


def errors(relpath: str, data: Any) -> list[str]:
    found = VALIDATORS[kind_of(relpath)].iter_errors(data)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in found]


def is_entry(relpath: str) -> bool:
    parts = relpath.split("/")
    if len(parts) < 3 or parts[0] != "entries" or parts[1] not in KINDS:
        return False
    if parts[1] == "cells":
        return len(parts) == 4 and parts[3].endswith(".md")
    return len(parts) == 3 and parts[2].endswith(".yaml")


# --- the bundled collection ---------------------------------------------------------------------

BUNDLED = sorted(
    p.relative_to(ROOT).as_posix() for p in ENTRIES.rglob("*") if p.is_file() and p.name[0] != "."
)


@pytest.mark.parametrize("kind", sorted(VALIDATORS))
def test_schema_is_valid_draft_2020_12(kind: str) -> None:
    schema = VALIDATORS[kind].schema
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_bundled_collection_has_every_kind() -> None:
    assert {kind_of(p) for p in BUNDLED} == set(VALIDATORS)


@pytest.mark.parametrize("relpath", BUNDLED)
def test_bundled_entry_validates(relpath: str) -> None:
    assert is_entry(relpath)
    assert errors(relpath, entry_data(ROOT / relpath)) == []


@pytest.mark.parametrize("kind", ["study", "matrix"])
def test_check_jsonschema_accepts_bundled(kind: str) -> None:
    folder = {"study": "studies", "matrix": "matrices"}[kind]
    files = sorted(str(p.relative_to(ROOT)) for p in (ENTRIES / folder).glob("*.yaml"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--schemafile",
            f"schema/{kind}.schema.json",
            *files,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("mp205-misspelled-category", "'kye' is not one of"),
        ("mp206-id-block-scalar", "does not match '^[a-z0-9]+(-[a-z0-9]+)*$'"),
    ],
)
def test_check_jsonschema_rejects_a_schema_error_case(case: str, message: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--schemafile",
            str(SCHEMAS / "study.schema.json"),
            "entries/studies/probation-alcohol-2009.yaml",
        ],
        cwd=CASES / case,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stdout


# --- the case folders ---------------------------------------------------------------------------


def _case_files() -> tuple[list[Any], list[Any]]:
    """(case, file) pairs: those matrixpipe rejects for a schema reason, and those it accepts."""
    rejected, accepted = [], []
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
        findings: dict[str, set[str]] = {}
        for line in (case / "expected.txt").read_text(encoding="utf-8").splitlines():
            if m := HEAD.match(line):
                schema = m["code"] in SCHEMA_CODES or (
                    m["code"] == "MP301" and CELL_PATTERN.match(m["message"])
                )
                kind = "schema" if schema else "load" if LOAD_CODE.match(m["code"]) else "other"
                findings.setdefault(m["path"], set()).add(kind)
        for path in sorted(case.rglob("*")):
            relpath = path.relative_to(case).as_posix()
            if path.is_symlink() or not path.is_file() or not is_entry(relpath):
                continue
            kinds = findings.get(relpath, set())
            if "load" in kinds:
                continue
            reason = STOCK_CANNOT_SEE.get((case.name, relpath))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            param = pytest.param(case.name, relpath, id=f"{case.name}:{relpath}", marks=marks)
            (rejected if "schema" in kinds else accepted).append(param)
    return rejected, accepted


REJECTED, ACCEPTED = _case_files()


def test_cases_have_schema_errors_to_compare() -> None:
    assert len(REJECTED) >= 8
    assert {p.values[0].split("-", 1)[0] for p in REJECTED} >= {
        "mp201",
        "mp202",
        "mp203",
        "mp204",
        "mp205",
        "mp206",
        "mp301",
    }


@pytest.mark.parametrize(("case", "relpath"), REJECTED)
def test_stock_validator_rejects_what_matrixpipe_rejects(case: str, relpath: str) -> None:
    data = entry_data(CASES / case / relpath)
    assert errors(relpath, data), f"jsonschema accepts {case}/{relpath}; matrixpipe does not"


@pytest.mark.parametrize(("case", "relpath"), ACCEPTED)
def test_stock_validator_accepts_what_matrixpipe_accepts(case: str, relpath: str) -> None:
    assert errors(relpath, entry_data(CASES / case / relpath)) == []


# --- the committed schemas are fresh ------------------------------------------------------------


def test_committed_schemas_are_fresh(run_cli: RunCli) -> None:
    result = run_cli(["schema", "--check", "--out", SCHEMAS])
    assert result.exit_code == 0, result.output
    assert result.output == ""


def test_stale_schema_folder_fails_the_check(run_cli: RunCli, tmp_path: Path) -> None:
    out = tmp_path / "schema"
    shutil.copytree(SCHEMAS, out)
    study = out / "study.schema.json"
    stale = study.read_text(encoding="utf-8").replace('"Study"', '"Old study"', 1)
    study.write_text(stale, encoding="utf-8")
    (out / "cell.schema.json").unlink()

    result = run_cli(["schema", "--check", "--out", out])

    assert result.exit_code == 1
    assert "study.schema.json: out of date" in result.output
    assert "cell.schema.json: out of date" in result.output
    assert "matrix.schema.json" not in result.output
    # --check writes nothing.
    assert study.read_text(encoding="utf-8") == stale
    assert not (out / "cell.schema.json").exists()


def test_schema_command_refreshes_a_stale_folder(run_cli: RunCli, tmp_path: Path) -> None:
    out = tmp_path / "schema"
    assert run_cli(["schema", "--out", out]).exit_code == 0
    assert run_cli(["schema", "--check", "--out", out]).exit_code == 0
    for name in ("cell", "matrix", "study"):
        written = (out / f"{name}.schema.json").read_text(encoding="utf-8")
        assert written == (SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8")
