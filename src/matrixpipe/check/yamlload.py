"""Strict, fast YAML: libyaml's C parser builds the node tree, and we turn nodes into data ourselves.

Why not a stock loader: the stock safe loaders resolve YAML 1.1 scalars (`no` becomes False, `2009-01`
a date), keep the last of two duplicate keys, and expand aliases. Turning libyaml's nodes into data
ourselves gives YAML 1.2 core-schema scalars, duplicate keys and aliases as findings, and every node's
line and column, at the C parser's speed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's C parser; PyYAML's pure-Python one only where PyYAML was built without libyaml."""

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

_DEFAULT_TAGS = {yaml.ScalarNode: _STR, yaml.SequenceNode: _SEQ, yaml.MappingNode: _MAP}
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """libyaml with no implicit resolvers: every plain scalar keeps the default tag.

    We resolve plain scalars by the YAML 1.2 core schema below, so an explicit tag is the only way a
    node gets a tag other than the default for its kind, and that is how we spot tags.
    """

    yaml_implicit_resolvers: dict[str, list[Any]] = {}  # noqa: RUF012

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        # Called for every untagged node: skip the resolver's regex machinery entirely.
        return _DEFAULT_TAGS[kind]


@dataclass(frozen=True)
class Problem:
    """A finding from the YAML layer: `kind` selects the rule, positions are 0-based."""

    kind: str
    message: str
    line: int
    column: int
    hint: str | None = None


class YamlError(Exception):
    """The text is not YAML we accept; carries the one problem that stopped parsing."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


MAX_FLOW_DEPTH = 64
_TAG_HINT = "remove the `!tag`; write the value as plain YAML"
_ANCHOR_HINT = "write the value out in full; anchors, aliases and merge keys are not allowed"


def prescan(text: str) -> None:
    """Cheap checks before the C parser sees the text: nesting depth, then anchors.

    Deep flow nesting (tens of thousands of `[`) crashes libyaml outright, so it is bounded here
    by a count that ignores quoting (it can only over-count); anchors are looked for in the event
    stream, which only files that contain an `&` pay for.
    """
    if text.count("[") + text.count("{") > MAX_FLOW_DEPTH:
        _flow_depth(text)
    if "&" in text or "!" in text:
        _no_anchors_or_tags(text)


def _flow_depth(text: str) -> None:
    depth = 0
    for i, char in enumerate(text):
        if char in "[{":
            depth += 1
            if depth > MAX_FLOW_DEPTH:
                line = text.count("\n", 0, i)
                column = i - (text.rfind("\n", 0, i) + 1)
                raise YamlError(
                    Problem(
                        "too-deep",
                        f"brackets nested more than {MAX_FLOW_DEPTH} deep",
                        line,
                        column,
                        "entries need only a few levels",
                    )
                )
        elif char in "]}" and depth:
            depth -= 1


def _no_anchors_or_tags(text: str) -> None:
    """Anchors and explicit tags (even `!!str`) are visible only in the event stream."""
    try:
        for event in yaml.parse(text, Loader=_Loader):
            mark = event.start_mark
            if getattr(event, "anchor", None) is not None:
                message = f"anchor '&{event.anchor}' is not allowed"
                raise YamlError(Problem("anchor", message, mark.line, mark.column, _ANCHOR_HINT))
            if getattr(event, "tag", None) is not None:
                message = f"YAML tags such as '{_short_tag(event.tag)}' are not allowed"
                raise YamlError(Problem("tag", message, mark.line, mark.column, _TAG_HINT))
    except yaml.YAMLError:
        return  # a syntax error: compose() reports it with its position


def compose(text: str) -> yaml.Node | None:
    """Parse `text` into one libyaml node tree (None for an empty document)."""
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.composer.ComposerError as exc:
        if "another document" in str(exc.problem):
            mark = exc.problem_mark
            raise YamlError(
                Problem(
                    "multiple-documents",
                    "the file holds more than one YAML document",
                    mark.line if mark else 0,
                    mark.column if mark else 0,
                    "keep one document per file: remove the `---` line or split the file",
                )
            ) from None
        raise YamlError(_syntax_problem(exc)) from None
    except yaml.YAMLError as exc:
        raise YamlError(_syntax_problem(exc)) from None


def _syntax_problem(exc: yaml.YAMLError) -> Problem:
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None) or ""
    mark = getattr(exc, "problem_mark", None)
    # "could not find expected ':'" is noticed on the next line; the key without a colon is
    # where the scan of the simple key started.
    if "simple key" in context and getattr(exc, "context_mark", None) is not None:
        mark = exc.context_mark  # type: ignore[attr-defined]
    line, column = (mark.line, mark.column) if mark else (0, 0)
    message = f"{problem} ({context})" if context else str(problem)
    return Problem("yaml-syntax", message, line, column, _syntax_hint(f"{problem} {context}"))


def _syntax_hint(problem: str) -> str:
    if "expected ':'" in problem:
        return "a key must be followed by a colon and a space: `key: value`"
    if "'-' indicator" in problem or "block mapping" in problem or "block end" in problem:
        return "check the indentation: items of one list or mapping start in the same column"
    if "found character that cannot start any token" in problem:
        return "quote the value if it starts with a special character such as @, ` or %"
    return "fix the YAML syntax at this spot; quoting the value often helps"


def to_data(node: yaml.Node | None) -> Any:
    """Turn a node tree into plain data by the YAML 1.2 core schema, refusing what we do not allow."""
    if node is None:
        return None
    return _Builder().build(node, 0)


MAX_DEPTH = 32


class _Builder:
    """Walk a node tree once; each node may be seen once (a second visit means an alias)."""

    def __init__(self) -> None:
        self.seen: set[int] = set()

    def build(self, node: yaml.Node, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise YamlError(
                _at(
                    node,
                    "too-deep",
                    f"nesting deeper than {MAX_DEPTH} levels",
                    "entries need only a few levels; flatten the structure",
                )
            )
        if id(node) in self.seen:
            raise YamlError(
                _at(
                    node,
                    "alias",
                    "aliases (`*name`) are not allowed in entries",
                    "write the value out in full instead of referring to an anchor",
                )
            )
        self.seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            self._check_tag(node, _SEQ)
            return [self.build(item, depth + 1) for item in node.value]
        return self._mapping(node, depth)

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, Any]:
        self._check_tag(node, _MAP)
        data: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError(
                    _at(
                        key_node,
                        "yaml-syntax",
                        "a key must be a plain text value",
                        "keys are single words such as `title` or `year`",
                    )
                )
            self._check_tag(key_node, _STR)
            key = key_node.value
            if key == "<<" and not key_node.style:
                raise YamlError(
                    _at(key_node, "anchor", "merge keys (`<<`) are not allowed", _ANCHOR_HINT)
                )
            if key in data:
                raise YamlError(
                    _at(
                        key_node,
                        "duplicate-key",
                        f"duplicate key '{key}'",
                        "keep one of the two values and delete the other line",
                    )
                )
            data[key] = self.build(value_node, depth + 1)
        return data

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        self._check_tag(node, _STR)
        value: str = node.value
        if node.style:  # quoted or block scalars are always text (plain: None, or "" from libyaml)
            return value
        return resolve_plain(value)

    @staticmethod
    def _check_tag(node: yaml.Node, default: str) -> None:
        if node.tag != default:
            raise YamlError(
                _at(
                    node,
                    "tag",
                    f"YAML tags such as '{_short_tag(node.tag)}' are not allowed",
                    _TAG_HINT,
                )
            )


MAX_DIGITS = 4000
"""Python refuses to read integers of more than 4,300 decimal digits (a guard against quadratic
work); longer ones stay text, and the schema then says what the field wants."""


def resolve_plain(value: str) -> Any:
    """Resolve a plain scalar by the YAML 1.2 core schema (so `no` and `2009-01` stay text)."""
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        return int(value) if len(value) <= MAX_DIGITS else value
    if _OCT.match(value):
        return int(value[2:], 8)
    if _HEX.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        return float(value)
    if _INF.match(value):
        return -math.inf if value.startswith("-") else math.inf
    if _NAN.match(value):
        return math.nan
    return value


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _at(node: yaml.Node, kind: str, message: str, hint: str) -> Problem:
    mark = node.start_mark
    return Problem(kind, message, mark.line, mark.column, hint)


def locate(
    root: yaml.Node | None, path: tuple[str | int, ...], key: bool = False
) -> tuple[int, int]:
    """The 0-based position of the node at a JSON path (or of its key), or of its nearest parent."""
    node = root
    if node is None:
        return (0, 0)
    position = (node.start_mark.line, node.start_mark.column)
    for step in path:
        child, key_node = _child(node, step)
        if child is None:
            break
        node = child
        position = _mark(key_node if key and step == path[-1] and key_node else child)
    return position


def _child(node: yaml.Node, step: str | int) -> tuple[yaml.Node | None, yaml.Node | None]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == step:
                return value_node, key_node
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step], None
    return None, None


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line, node.start_mark.column)
