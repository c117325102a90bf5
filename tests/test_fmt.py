"""`matrixpipe fmt`: canonical layout, every comment and value kept, idempotent, atomic, honest."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matrixpipe import models
from matrixpipe.check import yamlload
from matrixpipe.edit.fmt import FormatError, format_text

from conftest import ROOT, RunCli


def load12(text: str) -> Any:
    """The data of a YAML text by the strict YAML 1.2 core-schema loader that `check` uses."""
    return yamlload.to_data(yamlload.compose(text))


def test_bundled_collection_is_formatted(run_cli: RunCli) -> None:
    result = run_cli(["fmt", "--check"], cwd=ROOT)
    assert result.exit_code == 0, result.output
    assert "would reformat" not in result.output


def test_fmt_rewrites_only_what_changes_and_check_still_passes(
    run_cli: RunCli, collection: Path
) -> None:
    study = collection / "entries/studies/probation-alcohol-offenders-2009.yaml"
    untouched = collection / "entries/studies/who-problem-drinking-prisoners-2012.yaml"
    original = study.read_text()
    messy = original.replace("id: probation-alcohol-offenders-2009\n", "")
    messy = messy.replace(
        "status: published\n", "status: published\nid: probation-alcohol-offenders-2009\n"
    )
    messy = messy.replace("  year: 2009\n", "").replace(
        "  type: report\n", "  type: report\n  year: 2009\n"
    )
    messy = messy.replace("    rank: 1\n", "    rank:    1\n")
    assert messy != original
    study.write_text(messy)
    before_mtime = untouched.stat().st_mtime_ns

    check = run_cli(["fmt", "--check"], cwd=collection)
    assert check.exit_code == 1
    assert "would reformat entries/studies/probation-alcohol-offenders-2009.yaml" in check.output
    assert study.read_text() == messy  # --check writes nothing

    result = run_cli(["fmt"], cwd=collection)
    assert result.exit_code == 0, result.output
    assert study.read_text() == original
    assert untouched.stat().st_mtime_ns == before_mtime
    assert run_cli(["check", collection]).exit_code == 0
    assert run_cli(["fmt", "--check"], cwd=collection).exit_code == 0


def test_fmt_reports_unparsable_file_and_leaves_it(run_cli: RunCli, collection: Path) -> None:
    bad = collection / "entries/studies/broken-2020.yaml"
    text = "id: broken-2020\ntitle: Broken\nsource:\n  year 2020\n  type: report\n"
    bad.write_text(text)
    result = run_cli(["fmt", bad], cwd=collection)
    assert result.exit_code == 1
    assert re.search(r"broken-2020\.yaml:\d+:\d+: cannot format: ", result.output), result.output
    assert bad.read_text() == text


def test_fmt_reports_a_number_too_long_to_read_and_leaves_it(
    run_cli: RunCli, collection: Path
) -> None:
    """Python will not make an integer of more than 4,300 digits: a finding, not a crash."""
    bad = collection / "entries/studies/long-2020.yaml"
    text = f"id: long-2020\ntitle: Long\nsource:\n  year: {'9' * 5000}\n"
    bad.write_text(text)
    result = run_cli(["fmt", bad], cwd=collection)
    assert result.exit_code == 1
    assert "long-2020.yaml:1:1: cannot format: a value cannot be read" in result.output
    assert bad.read_text() == text


def test_fmt_reports_duplicate_key_with_position(run_cli: RunCli, collection: Path) -> None:
    bad = collection / "entries/studies/dup-2020.yaml"
    text = "id: dup-2020\ntitle: A\ntitle: B\n"
    bad.write_text(text)
    result = run_cli(["fmt", "--check", bad], cwd=collection)
    assert result.exit_code == 1
    assert "dup-2020.yaml:3:1: cannot format: duplicate key 'title'" in result.output
    assert bad.read_text() == text


def test_comment_above_a_key_travels_with_it() -> None:
    text = (
        "# yaml-language-server: $schema=../../schema/study.schema.json\n"
        "# the headline\n"
        "title: T  # short\n"
        "status: draft\n"
        "# the slug\n"
        "id: t-2020\n"
        "extra: kept at the end\n"
        "source:\n"
        "  # when\n"
        "  year: 2020\n"
        "  # who\n"
        "  organisation: Org\n"
    )
    assert format_text(text, "study") == (
        "# yaml-language-server: $schema=../../schema/study.schema.json\n"
        "# the slug\n"
        "id: t-2020\n"
        "# the headline\n"
        "title: T  # short\n"
        "status: draft\n"
        "source:\n"
        "  # who\n"
        "  organisation: Org\n"
        "  # when\n"
        "  year: 2020\n"
        "extra: kept at the end\n"
    )


def test_nested_models_are_ordered_and_markdown_blocks_kept() -> None:
    text = (
        "placements:\n"
        "- note: |\n"
        "    A note  with two spaces, and a line that is much longer than the line width of one hundred characters.\n"
        "    # not a comment: Markdown heading\n"
        "  categories: [key]\n"
        "  cell: alcohol/E5\n"
        "related:\n"
        "- source: {year: 2011, organisation: NHS}\n"
        "  label: similar\n"
        "status: draft\n"
        "id: a-2020\n"
    )
    out = format_text(text, "study")
    assert out.splitlines()[:2] == ["id: a-2020", "status: draft"]
    assert "  - label: similar\n    source: {organisation: NHS, year: 2011}\n" in out
    assert "  - cell: alcohol/E5\n    categories: [key]\n    note: |\n" in out
    assert "      # not a comment: Markdown heading\n" in out
    assert load12(out) == load12(text)


def test_strings_that_would_change_type_stay_quoted() -> None:
    text = (
        "id: a\ntitle: '.5e3'\nstatus: 'no'\nsource:\n  organisation: '0x1F'\n  jurisdiction: '~'\n"
    )
    out = format_text(text, "study")
    assert load12(out) == load12(text)
    assert "title: '.5e3'" in out


def test_long_plain_values_fold_without_trailing_spaces() -> None:
    title = " ".join(["word"] * 40)
    out = format_text(f"id: a\ntitle: {title}\n", "study")
    assert all(len(line) <= 100 and line == line.rstrip() for line in out.splitlines())
    assert load12(out)["title"] == title


def test_cell_front_matter_only() -> None:
    body = "\n## About {#about}\n\nstatus: draft\nkey:   value  \n"
    text = f"---\nstatus: draft   # why\ncell: D5\nmatrix: alcohol\n---{body}"
    assert (
        format_text(text, "cell")
        == f"---\nmatrix: alcohol\ncell: D5\nstatus: draft   # why\n---{body}"
    )


def test_format_error_for_alias() -> None:
    with pytest.raises(FormatError) as info:
        format_text("id: &a x\ntitle: *a\n", "study")
    assert info.value.line >= 1


# --- property tests ------------------------------------------------------------------------

_WORD_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEZ0123456789éß—"
_PUNCT = " :#'\"[]{},-&*!|>%@`?.~"
_TEXT = (
    st.one_of(
        st.text(alphabet=_WORD_CHARS + _PUNCT, min_size=1, max_size=30),
        st.lists(
            st.text(alphabet=_WORD_CHARS, min_size=1, max_size=12), min_size=8, max_size=30
        ).map(" ".join),  # long enough to fold at the line width
    )
    .map(str.strip)
    .filter(bool)
)
_SLUG = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,6}){0,3}", fullmatch=True)
_MARKDOWN_LINE = st.text(alphabet=_WORD_CHARS + _PUNCT + "()", min_size=1, max_size=60).map(
    lambda s: re.sub(r"\s+", " ", s).strip()
)
_MARKDOWN = (
    st.lists(_MARKDOWN_LINE, min_size=1, max_size=4)
    .map(lambda lines: "\n".join(lines).strip("\n") + "\n")
    .filter(lambda s: s.strip() != "")
)
_SOURCE = st.fixed_dictionaries(
    {"year": st.integers(1900, 2100)},
    optional={
        "title": _TEXT,
        "authors": st.lists(_TEXT, min_size=1, max_size=3),
        "organisation": _TEXT,
        "jurisdiction": _TEXT,
        "url": st.from_regex(r"https://example\.org/[a-z0-9/.]{0,20}", fullmatch=True),
        "doi": st.from_regex(r"10\.[0-9]{4}/[a-z0-9.]{1,10}", fullmatch=True),
        "type": st.sampled_from(models.SOURCE_TYPES),
    },
)
_PLACEMENT = st.fixed_dictionaries(
    {
        "cell": st.sampled_from(["alcohol/E5", "alcohol/D5", "drug/A1"]),
        "categories": st.lists(st.sampled_from(models.CATEGORIES), min_size=1, max_size=2),
        "note": _MARKDOWN,
    },
    optional={
        "rank": st.integers(1, 50),
        "discussed_in": st.lists(st.sampled_from(["issues", "highlighted-study"]), max_size=2),
    },
)
_RELATED = st.one_of(
    st.fixed_dictionaries({"label": _TEXT, "study": _SLUG}),
    st.fixed_dictionaries({"label": _TEXT, "source": _SOURCE}),
)
_STUDY = st.fixed_dictionaries(
    {"id": _SLUG, "title": _TEXT, "status": st.sampled_from(models.STATUSES), "source": _SOURCE},
    optional={
        "summary": _MARKDOWN,
        "key_points": st.lists(_TEXT, min_size=1, max_size=3),
        "tags": st.lists(_SLUG, max_size=3),
        "related": st.lists(_RELATED, min_size=1, max_size=2),
        "placements": st.lists(_PLACEMENT, min_size=1, max_size=2),
        "x-unknown": _TEXT,
    },
)


class _Writer:
    """Writes data as YAML with random key order, indentation, quoting and comments."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.comments: list[str] = []
        self.lines: list[str] = []

    def comment(self) -> str:
        text = f"# c{len(self.comments)}: " + self.draw(_MARKDOWN_LINE)
        text = text.rstrip()
        self.comments.append(text)
        return text

    def maybe_eol(self, line: str) -> str:
        return f"{line}  {self.comment()}" if self.draw(st.booleans()) else line

    def maybe_full(self, indent: int) -> None:
        if self.draw(st.integers(0, 3)) == 0:
            extra = self.draw(st.sampled_from([0, 0, 2]))
            self.lines.append(" " * (indent + extra) + self.comment())

    def scalar(self, value: Any, context: str) -> str:
        if not isinstance(value, str):
            return str(value)
        options = ["single", "double"]
        if _plain_ok(value, context):
            options += ["plain", "plain"]
        style = self.draw(st.sampled_from(options))
        if style == "plain":
            return value
        if style == "single":
            return "'" + value.replace("'", "''") + "'"
        return json.dumps(value, ensure_ascii=False)

    def mapping(self, data: dict[str, Any], indent: int, first_prefix: str | None = None) -> None:
        keys = self.draw(st.permutations(list(data)))
        step = self.draw(st.sampled_from([2, 3, 4]))
        for n, key in enumerate(keys):
            lead = first_prefix if (n == 0 and first_prefix is not None) else " " * indent
            if n > 0 or first_prefix is None:
                self.maybe_full(indent)
            self.entry(lead, key, data[key], indent, step)

    def entry(self, lead: str, key: str, value: Any, indent: int, step: int) -> None:
        head = f"{lead}{key}:"
        if isinstance(value, dict):
            self.lines.append(self.maybe_eol(head))
            self.mapping(value, indent + step)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            self.lines.append(self.maybe_eol(head))
            dash = indent + self.draw(st.sampled_from([0, 2]))
            for item in value:
                self.maybe_full(dash)
                self.mapping(item, dash + 2, first_prefix=" " * dash + "- ")
        elif isinstance(value, list):
            if not value or self.draw(st.booleans()):
                items = ", ".join(self.scalar(v, "flow") for v in value)
                self.lines.append(self.maybe_eol(f"{head} [{items}]"))
            else:
                self.lines.append(self.maybe_eol(head))
                dash = indent + self.draw(st.sampled_from([0, 2]))
                for item in value:
                    self.maybe_full(dash)
                    line = " " * dash + "- " + self.scalar(item, "item")
                    self.lines.append(self.maybe_eol(line))
        elif isinstance(value, str) and "\n" in value:
            self.lines.append(self.maybe_eol(f"{head} |"))
            for text_line in value.rstrip("\n").split("\n"):
                self.lines.append(" " * (indent + step) + text_line if text_line else "")
        else:
            self.lines.append(self.maybe_eol(f"{head} {self.scalar(value, 'value')}"))


def _plain_ok(value: str, context: str) -> bool:
    """Whether `value` written plain reads back as the same text in that context."""
    if context == "flow":
        return bool(re.fullmatch(r"[a-z0-9-]+", value)) and isinstance(
            yamlload.resolve_plain(value), str
        )
    text = f"- {value}\n" if context == "item" else f"k: {value}\n"
    try:
        data = load12(text)
    except yamlload.YamlError:
        return False
    return data == ([value] if context == "item" else {"k": value})


@st.composite
def commented_study(draw: st.DrawFn) -> tuple[str, list[str]]:
    data = draw(_STUDY)
    writer = _Writer(draw)
    if draw(st.booleans()):
        writer.lines.append("# yaml-language-server: $schema=../../schema/study.schema.json")
    writer.mapping(data, 0)
    if draw(st.booleans()):
        writer.lines.append(writer.comment())
    return "\n".join(writer.lines) + "\n", writer.comments


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(commented_study())
def test_fmt_keeps_comments_and_values_and_is_idempotent(case: tuple[str, list[str]]) -> None:
    text, comments = case
    before = load12(text)
    once = format_text(text, "study")
    assert load12(once) == before
    for comment in comments:
        assert once.count(comment) == 1, (comment, once)
    assert format_text(once, "study") == once
    keys = list(load12(once))
    wanted = [k for k in models.Study.model_fields if k in keys]
    assert keys == wanted + [k for k in keys if k not in wanted]
    assert all(line == line.rstrip() for line in once.splitlines())


def test_fmt_cli_on_a_folder_and_a_file(run_cli: RunCli, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "entries", repo / "entries")
    study = repo / "entries/studies/probation-alcohol-offenders-2009.yaml"
    study.write_text(study.read_text().replace("  type: report\n", "  type:    report\n"))
    assert run_cli(["fmt", "--check", "entries/matrices"], cwd=repo).exit_code == 0
    assert run_cli(["fmt", "--check", study], cwd=repo).exit_code == 1
    assert run_cli(["fmt", "entries"], cwd=repo).exit_code == 0
    assert "  type: report\n" in study.read_text()
