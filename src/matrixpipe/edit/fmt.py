"""`matrixpipe fmt`: one canonical layout for entry YAML that never loses a comment or a value.

Two passes: keys are put in schema order on the text, moving each key's lines together with the
comment lines above it; then ruamel.yaml's round-trip loader and dumper set indentation, quoting
and line width, keeping every comment and leaving `|` blocks as written. Every rewrite is checked
before it is written: the strict YAML 1.2 loader that `check` uses must read the same data from
the old and the new text, or the file is left alone and reported.
"""

from __future__ import annotations

import io
import json
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import yaml
from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import Emitter
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.representer import RoundTripRepresenter

from matrixpipe import models
from matrixpipe.check import yamlload
from matrixpipe.check.load import Kind, classify
from matrixpipe.diagnostics import ExitCode
from matrixpipe.fsutil import write_atomic

WIDTH = 100
_FRONT_MATTER_END = re.compile(r"^---[ \t]*$", re.MULTILINE)
_BREAKS = "\n\x85\u2028\u2029"
MODELINE_PREFIX = "# yaml-language-server:"


class FormatError(Exception):
    """A file cannot be formatted; `line` and `column` are 1-based."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


# --- the canonical YAML writer -------------------------------------------------------------


class _Emitter(Emitter):  # type: ignore[misc]
    """ruamel's emitter, with no trailing spaces when folding and only safe plain text in `[...]`.

    Upstream writes the space and only then sees that the next word does not fit (its own ToDo in
    `Emitter.write_plain`); we look ahead at the next word and break instead of the space.
    """

    def write_plain(self, text: Any, split: Any = True) -> None:
        if self.root_context:
            if self.requested_indent is not None:
                self.write_line_break()
                if self.requested_indent != 0:
                    self.write_indent()
            else:
                self.open_ended = True
        if not text:
            return
        if not self.whitespace:
            self._put(" ")
        self.whitespace = False
        self.indention = False
        spaces = breaks = False
        start = end = 0
        while end <= len(text):
            ch = text[end] if end < len(text) else None
            if spaces:
                if ch != " ":
                    if start + 1 == end and split and self._overflows(text, end):
                        self.write_indent()
                        self.whitespace = False
                        self.indention = False
                    else:
                        self._put(text[start:end])
                    start = end
            elif breaks:
                if ch is None or ch not in _BREAKS:
                    if text[start] == "\n":
                        self.write_line_break()
                    for br in text[start:end]:
                        self.write_line_break(None if br == "\n" else br)
                    self.write_indent()
                    self.whitespace = False
                    self.indention = False
                    start = end
            elif ch is None or ch in " " + _BREAKS:
                self._put(text[start:end])
                start = end
            if ch is not None:
                spaces = ch == " "
                breaks = ch in _BREAKS
            end += 1

    def choose_scalar_style(self) -> Any:
        style = super().choose_scalar_style()
        value = self.event.value
        # Inside `[...]` ruamel writes `Z:?` or `?x` plain, which libyaml (what `check` parses
        # with) refuses or reads differently; quote them there.
        if style == "" and self.flow_level and (":" in value or value.startswith("?")):
            return "'" if self.analysis.allow_single_quoted else '"'
        return style

    def _overflows(self, text: str, start: int) -> bool:
        """Whether a space plus the word starting at `start` would run past the line width."""
        end = start
        while end < len(text) and text[end] not in " " + _BREAKS:
            end += 1
        return self.column + 1 + (end - start) > self.best_width

    def _put(self, data: str) -> None:
        self.column += len(data)
        self.stream.write(data.encode(self.encoding) if self.encoding else data)


class _Representer(RoundTripRepresenter):  # type: ignore[misc]
    """Quote a string whenever our YAML 1.2 loader would read it plain as something else.

    ruamel already quotes what its own resolver would change, but its rules differ from the core
    schema in corners (`.5e3` is a float to us and text to ruamel).
    """

    def represent_str(self, data: str) -> Any:
        plain = yamlload.resolve_plain(data)
        if isinstance(plain, str) and plain == data:
            return self.represent_scalar("tag:yaml.org,2002:str", data)
        return self.represent_scalar("tag:yaml.org,2002:str", data, style="'")


_Representer.add_representer(str, _Representer.represent_str)


def canonical_yaml() -> YAML:
    """The one ruamel.yaml setup that reads and writes every entry."""
    rt = YAML(typ="rt")
    rt.Emitter = _Emitter
    rt.Representer = _Representer
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.width = WIDTH
    rt.preserve_quotes = False
    rt.allow_unicode = True
    return rt


# --- key order -----------------------------------------------------------------------------
#
# Keys are put in order on the text, line by line, before ruamel.yaml sees it: ruamel attaches a
# comment to the key *before* it, so moving keys there would carry each comment away from the key
# it describes. Here the comment lines above a key travel with that key.


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside an annotation such as `Source`, `Source | None` or `list[Placement]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _nested_model(arg)
            if found is not None:
                return found
    return None


def _wanted_order(keys: list[str], model: type[BaseModel]) -> list[str]:
    known = [k for k in model.model_fields if k in keys]
    return known + [k for k in keys if k not in model.model_fields]


def _mappings(node: yaml.Node, model: type[BaseModel]) -> Iterator[tuple[yaml.MappingNode, Any]]:
    """Every mapping with a model below and including `node`, innermost first."""
    if not isinstance(node, yaml.MappingNode):
        return
    for key, value in node.value:
        field = model.model_fields.get(key.value)
        nested = _nested_model(field.annotation) if field else None
        if nested is None:
            continue
        items = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for item in items:
            yield from _mappings(item, nested)
    yield node, model


def _needs_order(node: yaml.MappingNode, model: type[BaseModel]) -> bool:
    keys = [k.value for k, _ in node.value]
    return not node.flow_style and keys != _wanted_order(keys, model)


def _content_end(node: yaml.Node) -> int:
    """The 0-based last line holding part of a node's value (trailing comments excluded)."""
    if isinstance(node, yaml.ScalarNode):
        end = node.end_mark
        # A block scalar ends at the start of the line after its last content line.
        if end.column == 0 and end.line > node.start_mark.line:
            return int(end.line) - 1
        return int(end.line)
    if node.flow_style or not node.value:
        return int(node.end_mark.line)
    last = node.value[-1]
    return _content_end(last[1] if isinstance(node, yaml.MappingNode) else last)


def _split_dash_lines(text: str, model: type[BaseModel]) -> str:
    """Put the first key of `- key: value` items that must move on a line of its own."""
    root = yamlload.compose(text)
    if root is None:
        return text
    lines = text.split("\n")
    split = set()
    for node, sub in _mappings(root, model):
        mark = node.value[0][0].start_mark if node.value else None
        if mark and _needs_order(node, sub) and lines[mark.line][: mark.column].strip():
            split.add((mark.line, mark.column))
    for line, column in sorted(split, reverse=True):
        head, rest = lines[line][:column], lines[line][column:]
        lines[line : line + 1] = [head.rstrip(), " " * column + rest]
    return "\n".join(lines)


def order_keys(text: str, model: type[BaseModel]) -> str:
    """Put the keys of every block mapping in the model's field order, comments above included.

    Known keys come in `model_fields` order, nested models (source, related, placements)
    likewise, unknown keys last in their own order. Flow mappings (`{a: 1}`) are left to
    `reorder`, which works on the loaded data.
    """
    text = _split_dash_lines(text, model)
    root = yamlload.compose(text)
    if root is None:
        return text
    lines = text.split("\n")
    slots = list(range(len(lines)))
    # Innermost first: each move stays inside one key's lines of every enclosing mapping, so the
    # line numbers of the enclosing mappings still hold when their turn comes.
    for node, sub in _mappings(root, model):
        if _needs_order(node, sub):
            _order_mapping(node, sub, lines, slots)
    return "\n".join(lines[i] for i in slots)


def _order_mapping(
    node: yaml.MappingNode, model: type[BaseModel], lines: list[str], slots: list[int]
) -> None:
    keys = [k.value for k, _ in node.value]
    column = node.value[0][0].start_mark.column
    starts = [int(k.start_mark.line) for k, _ in node.value]
    ends = [max(start, _content_end(v)) for start, (_, v) in zip(starts, node.value, strict=True)]
    # The lines between two keys belong to the second (comments above a key describe it), except
    # comments indented deeper than the keys: those close the value before them.
    for i in range(1, len(keys)):
        first = ends[i - 1] + 1
        deeper = [
            j
            for j in range(first, starts[i])
            if lines[j].strip() and len(lines[j]) - len(lines[j].lstrip()) > column
        ]
        ends[i - 1] = deeper[-1] if deeper else first - 1
        starts[i] = ends[i - 1] + 1
    # The comment lines right above the first key are its own too; a modeline stays on top.
    while starts[0] > 0 and _is_comment(lines[starts[0] - 1]):
        if lines[starts[0] - 1].lstrip().startswith(MODELINE_PREFIX):
            break
        starts[0] -= 1
    for i, key_node in enumerate(k for k, _ in node.value):
        # A comment indented deeper than its key could land under a `|` block and become part
        # of the text; at the key's own column it cannot.
        for j in range(starts[i], int(key_node.start_mark.line)):
            if lines[j].strip() and len(lines[j]) - len(lines[j].lstrip()) > column:
                lines[j] = " " * column + lines[j].lstrip()
    blocks = {key: slots[starts[i] : ends[i] + 1] for i, key in enumerate(keys)}
    slots[starts[0] : ends[-1] + 1] = [i for key in _wanted_order(keys, model) for i in blocks[key]]


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def reorder(node: Any, model: type[BaseModel]) -> None:
    """Put the keys of loaded mappings in model order, recursively (what `order_keys` left)."""
    if not isinstance(node, CommentedMap):
        return
    wanted = _wanted_order(list(node), model)
    if list(node) != wanted:
        for key in wanted:
            node.move_to_end(key)
    for key in wanted:
        field = model.model_fields.get(key)
        nested = _nested_model(field.annotation) if field else None
        if nested is None:
            continue
        value = node[key]
        for item in value if isinstance(value, CommentedSeq) else [value]:
            reorder(item, nested)


# --- formatting text -----------------------------------------------------------------------


def format_yaml(text: str, model: type[BaseModel] | None, line_offset: int = 0) -> str:
    """The canonical form of one YAML document; raises FormatError if it cannot be kept intact."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    before = _strict_data(text, line_offset)
    if before is None:
        return text  # empty, or only comments: nothing to arrange
    rt = canonical_yaml()
    try:
        data = rt.load(order_keys(text, model) if model is not None else text)
    except MarkedYAMLError:
        # Report the spot in the file as written, not in the reordered text.
        _ruamel_load(rt, text, line_offset)
        raise FormatError("ruamel.yaml cannot read the reordered file") from None
    except ValueError as exc:  # a value ruamel.yaml cannot make, e.g. a 5,000-digit integer
        raise FormatError(f"a value cannot be read ({exc}); shorten it or quote it") from None
    if model is not None:
        reorder(data, model)
    out = io.StringIO()
    rt.dump(data, out)
    result = out.getvalue()
    if _fingerprint(_strict_data(result, line_offset)) != _fingerprint(before):
        raise FormatError(
            "formatting would change a value, so the file is left as it is "
            "(please report this as a matrixpipe bug)"
        )
    return result


def _ruamel_load(rt: YAML, text: str, line_offset: int) -> Any:
    try:
        return rt.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line, mark.column) if mark else (0, 0)
        raise FormatError(_one_line(exc), line + line_offset + 1, column + 1) from None


def _strict_data(text: str, line_offset: int) -> Any:
    try:
        return yamlload.to_data(yamlload.compose(text))
    except yamlload.YamlError as exc:
        p = exc.problem
        raise FormatError(p.message, p.line + line_offset + 1, p.column + 1) from None


def _fingerprint(data: Any) -> str:
    # Key order is what fmt changes; everything else, types included, must stay the same.
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=repr)


def _one_line(exc: MarkedYAMLError) -> str:
    parts = [exc.context, exc.problem]
    return "; ".join(str(p) for p in parts if p) or "invalid YAML"


def format_text(text: str, kind: Kind) -> str:
    """The canonical form of an entry file's text: the whole YAML file, or a cell's front matter."""
    model = models.KINDS[kind]
    if kind != "cell":
        return format_yaml(text, model)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")  # as `check` reads it
    if not text.startswith("---\n"):
        raise FormatError("a cell file must start with YAML front matter (`---`)")
    end = _FRONT_MATTER_END.search(text, 4)
    if end is None:
        raise FormatError("the front matter is never closed with a `---` line")
    front = format_yaml(text[4 : end.start()], model, line_offset=1)
    return f"---\n{front}---{text[end.end() :]}"


# --- files and the command -----------------------------------------------------------------


@dataclass
class Outcome:
    """What fmt found for one file: reformatted, already fine, or a problem that stops it."""

    path: Path
    changed: bool = False
    new_text: str | None = None
    error: FormatError | None = None


def entry_kind(path: Path) -> Kind | None:
    """The kind of entry a file holds, judged by where it sits below an `entries/` folder."""
    parts = path.resolve().parts
    if "entries" not in parts:
        return None
    index = len(parts) - 1 - parts[::-1].index("entries")
    return classify("/".join(parts[index:]))


def collect(paths: list[Path]) -> list[Path]:
    """Entry files named by `paths` (files, or folders searched recursively), sorted, no repeats."""
    found: set[Path] = set()
    for path in paths:
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        # A symbolic link is never followed or replaced; `check` reports it.
        found.update(
            p
            for p in candidates
            if p.is_file() and not p.is_symlink() and entry_kind(p) is not None
        )
    return sorted(found)


def format_file(path: Path) -> Outcome:
    """Format one entry file in memory; nothing is written here."""
    kind = entry_kind(path)
    assert kind is not None
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Outcome(path, error=FormatError("the file is not UTF-8; save it as UTF-8"))
    try:
        new_text = format_text(text, kind)
    except FormatError as exc:
        return Outcome(path, error=exc)
    return Outcome(path, changed=new_text != text, new_text=new_text)


def run_fmt(paths: list[Path], check_only: bool) -> int:
    """`matrixpipe fmt`: rewrite entry files in the canonical layout, or list those that differ."""
    if not paths:
        if not Path("entries").is_dir():
            click.echo("matrixpipe: error: no entries/ folder here; pass PATHS", err=True)
            return int(ExitCode.FAILURE)
        paths = [Path("entries")]
    missing = [p for p in paths if not p.exists()]
    if missing:
        click.echo(f"matrixpipe: error: no such file or folder: {missing[0]}", err=True)
        return int(ExitCode.FAILURE)
    outcomes = [format_file(p) for p in collect(paths)]
    for o in outcomes:
        if o.error is not None:
            click.echo(f"{o.path}:{o.error.line}:{o.error.column}: cannot format: {o.error}")
        elif o.changed and check_only:
            click.echo(f"would reformat {o.path}")
        elif o.changed:
            assert o.new_text is not None
            write_atomic(o.path, o.new_text)
            click.echo(f"reformatted {o.path}")
    changed = sum(o.changed for o in outcomes)
    failed = sum(o.error is not None for o in outcomes)
    click.echo(_summary(len(outcomes), changed, failed, check_only), err=True)
    return int(ExitCode.FINDINGS if failed or (check_only and changed) else ExitCode.OK)


def _summary(total: int, changed: int, failed: int, check_only: bool) -> str:
    verb = "would be reformatted" if check_only else "reformatted"
    parts = [f"{changed} of {total} file{'s' if total != 1 else ''} {verb}"]
    if failed:
        parts.append(f"{failed} could not be formatted")
    return ", ".join(parts)
