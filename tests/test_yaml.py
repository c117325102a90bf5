"""YAML semantics of the loader: YAML 1.2 scalars, strict refusals, exact positions."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matrixpipe.check import yamlload
from matrixpipe.check.load import Document, read_document


def data(text: str) -> object:
    yamlload.prescan(text)
    return yamlload.to_data(yamlload.compose(text))


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("no", "no"),
        ("on", "on"),
        ("yes", "yes"),
        ("2009-01", "2009-01"),
        ("2009-01-01", "2009-01-01"),
        ("1e3", 1000.0),
        ("0o17", 15),
        ("0x1F", 31),
        ("012", 12),
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("", None),
        (".inf", math.inf),
        ("'1e3'", "1e3"),
        ('"true"', "true"),
        ("12:30", "12:30"),
        ("1_000", "1_000"),
    ],
)
def test_plain_scalars_follow_the_yaml_1_2_core_schema(written: str, value: object) -> None:
    assert data(f"v: {written}\n") == {"v": value}


def test_block_scalars_are_text() -> None:
    assert data("v: |\n  2009\n") == {"v": "2009\n"}


@pytest.mark.parametrize(
    ("text", "kind", "line", "column"),
    [
        ("a: 1\na: 2\n", "duplicate-key", 1, 0),
        ("a: &x 1\nb: *x\n", "anchor", 0, 3),
        ("a: !!str x\n", "tag", 0, 3),
        ("a: !custom x\n", "tag", 0, 3),
        ("a:\n  <<: {b: 1}\n", "anchor", 1, 2),
        ("a: 1\n---\nb: 2\n", "multiple-documents", 1, 0),
        ("a: " + "[" * 100 + "]" * 100 + "\n", "too-deep", 0, 67),
        ("title: x\nyear 2009\nz: 1\n", "yaml-syntax", 1, 0),
    ],
)
def test_refusals_say_what_and_where(text: str, kind: str, line: int, column: int) -> None:
    with pytest.raises(yamlload.YamlError) as caught:
        data(text)
    problem = caught.value.problem
    assert (problem.kind, problem.line, problem.column) == (kind, line, column)
    assert problem.hint


def test_locate_points_at_values_and_keys() -> None:
    doc = read_document(
        "entries/studies/a.yaml", "study", b"id: a\nsource:\n  year: 2009\n  tyep: x\n"
    )
    assert isinstance(doc, Document)
    assert doc.locate(("source", "year")) == (3, 9)
    assert doc.locate(("source", "tyep"), key=True) == (4, 3)
    assert doc.locate(("source", "missing")) == (2, 1) or doc.locate(("source", "missing"))[0] == 3


def test_bom_is_tolerated_and_crlf_normalised() -> None:
    doc = read_document("entries/studies/a.yaml", "study", b"\xef\xbb\xbfid: a\r\ntitle: T\r\n")
    assert isinstance(doc, Document)
    assert doc.data == {"id": "a", "title": "T"}


yaml_text = st.text(
    alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#\n \t,?%@`~019x")), max_size=120
)


@settings(max_examples=400, deadline=1000)
@given(yaml_text)
def test_any_text_gives_data_or_a_finding_never_an_exception(text: str) -> None:
    result = read_document("entries/studies/a.yaml", "study", text.encode())
    assert result is not None
