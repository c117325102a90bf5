"""Stage 1, load: find every file under `entries/`, read it once and parse it once.

Each file becomes a `Document` (its text, its data and where it came from) or a finding that says
why it could not be read. Nothing here knows the schema; that is the next stage's job.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml

from matrixpipe.check import yamlload
from matrixpipe.diagnostics import Diagnostic
from matrixpipe.fsutil import remove_leftovers
from matrixpipe.rules import finding

Kind = Literal["matrix", "cell", "study"]

_KIND_CODES = {
    "yaml-syntax": "MP101",
    "duplicate-key": "MP102",
    "multiple-documents": "MP109",
    "alias": "MP401",
    "anchor": "MP401",
    "tag": "MP402",
    "too-deep": "MP403",
}
MAX_FILE_BYTES = 512 * 1024
"""Real entries are a few kilobytes; the limit bounds the work any one file can cause."""
_SLUG_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_CELL_NAME = re.compile(r"^[A-E][1-5]$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FRONT_MATTER_END = re.compile(r"^---[ \t]*$", re.MULTILINE)
_BOM = "\ufeff"


@dataclass
class Document:
    """One entry file as read from disk: text, parsed data, and how to find positions in it."""

    path: str
    """Repository-relative path with `/` separators."""
    kind: Kind
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    """For a cell: the bite, the Markdown after the front matter."""
    yaml_text: str = ""
    """The YAML part of the file (the whole file, or a cell's front matter)."""
    yaml_line: int = 0
    """The 0-based line where the YAML part starts in the file."""

    @property
    def stem(self) -> str:
        return self.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]

    @cached_property
    def digest(self) -> str:
        return hashlib.blake2b(self.text.encode(), digest_size=16).hexdigest()

    @cached_property
    def _root(self) -> yaml.Node | None:
        # Positions are needed only for findings, so the node tree is rebuilt on demand (libyaml
        # is fast) rather than kept for every file of a large collection.
        return yamlload.compose(self.yaml_text)

    def locate(self, loc: tuple[str | int, ...], key: bool = False) -> tuple[int, int]:
        """The 1-based line and column of the value (or key) at a JSON path."""
        line, column = yamlload.locate(self._root, loc, key)
        return (line + self.yaml_line + 1, column + 1)

    def find_after(self, line: int, column: int, snippet: str) -> tuple[int, int]:
        """The position of `snippet` at or after (line, column); (line, column) if absent."""
        start = 0
        for _ in range(line - 1):
            start = self.text.index("\n", start) + 1
        found = self.text.find(snippet, start + column - 1)
        return self.line_of(found) if found >= 0 else (line, column)

    def line_of(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of a character offset in the file's text."""
        line = self.text.count("\n", 0, offset)
        start = self.text.rfind("\n", 0, offset) + 1
        return (line + 1, offset - start + 1)


def classify(relpath: str) -> Kind | None:
    """The kind of entry a path under `entries/` holds, or None if nothing belongs there."""
    parts = relpath.split("/")
    if len(parts) == 3 and parts[1] == "matrices" and parts[2].endswith(".yaml"):
        return "matrix"
    if len(parts) == 3 and parts[1] == "studies" and parts[2].endswith(".yaml"):
        return "study"
    if len(parts) == 4 and parts[1] == "cells" and parts[3].endswith(".md"):
        return "cell"
    return None


def entry_ref(relpath: str) -> tuple[str, str] | None:
    """The (kind, id) an entry path stands for: ("study", "a-2009"), ("cell", "alcohol/E5")."""
    kind = classify(relpath)
    if kind is None:
        return None
    parts = relpath.rsplit(".", 1)[0].split("/")
    return (kind, f"{parts[-2]}/{parts[-1]}" if kind == "cell" else parts[-1])


def discover(repo: Path) -> list[str]:
    """Every path under `entries/` that is not a plain folder, sorted, never following links.

    Temporary files that a killed `fmt`, `new` or `import` left behind are removed on the way."""
    found = []
    for top, dirs, files in os.walk(repo / "entries", followlinks=False):
        rel = Path(top).relative_to(repo).as_posix()
        found += [f"{rel}/{name}" for name in remove_leftovers(Path(top), files)]
        # Symbolic links to folders, and folders named like entries, are reported, not entered.
        odd = [d for d in dirs if os.path.islink(os.path.join(top, d)) or classify(f"{rel}/{d}")]
        found += [f"{rel}/{d}" for d in odd]
        dirs[:] = sorted(d for d in dirs if d not in odd)
    return sorted(found)


def reader(repo: Path, relpath: str) -> Callable[[], bytes]:
    """Reads one entry file, refusing links, folders and oversized files."""
    path = os.path.join(repo, relpath)  # a string: pathlib's parsing costs 10,000 times a check
    return lambda: _read_regular(path)


class _NotRegular(Exception):
    """The path is a link or a folder: never read through it."""


class _TooLarge(Exception):
    """The file is over MAX_FILE_BYTES."""


def _read_regular(path: str | Path) -> bytes:
    """The file's bytes, opened without following a link (one open, one fstat: this runs for
    every entry on every check)."""
    try:
        fd = os.open(
            path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except OSError as exc:
        if os.path.islink(path):
            raise _NotRegular(
                "a symbolic link",
                "replace it with a regular file; entries are never read through links",
            ) from None
        raise exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _NotRegular(
                "a folder", "rename the folder: names ending in .yaml or .md are for entry files"
            )
        if info.st_size > MAX_FILE_BYTES:
            raise _TooLarge
        # Read at most one byte past the limit, in case the file grew since the fstat; plain
        # reads on the descriptor (no file object: this runs 10,000 times a check).
        chunks = [os.read(fd, MAX_FILE_BYTES + 1)]
        size = len(chunks[0])
        while chunks[-1] and size <= MAX_FILE_BYTES:
            chunks.append(os.read(fd, MAX_FILE_BYTES + 1 - size))
            size += len(chunks[-1])
    finally:
        os.close(fd)
    if size > MAX_FILE_BYTES:
        raise _TooLarge
    return b"".join(chunks)


def misplaced_file(relpath: str) -> Diagnostic | None:
    """A finding for a file under entries/ that is no kind of entry (`.gitkeep` is fine)."""
    return None if relpath.rsplit("/", 1)[-1] == ".gitkeep" else _misplaced(relpath)


def read_entry_bytes(repo: Path, relpath: str, kind: Kind) -> bytes | Diagnostic:
    """The bytes of an entry file, or why it cannot be read (bad name, link, folder, size)."""
    bad = _bad_name(relpath, kind)
    if bad is not None:
        return bad
    return _read(relpath, reader(repo, relpath))


def _read(relpath: str, read: Callable[[], bytes]) -> bytes | Diagnostic:
    """The bytes `read` gives, or the finding for a link, a folder or an oversized file."""
    try:
        raw = read()
    except _NotRegular as exc:
        what, hint = exc.args
        return finding("MP410", relpath, 1, 1, f"not a regular file but {what}", hint)
    except _TooLarge:
        return _too_large(relpath)
    return raw


def _too_large(relpath: str) -> Diagnostic:
    return finding(
        "MP404",
        relpath,
        1,
        1,
        f"the file is larger than {MAX_FILE_BYTES // 1024} KiB",
        "entries are a few kilobytes; split long text or link to the document",
    )


def _bad_name(relpath: str, kind: Kind) -> Diagnostic | None:
    name = relpath.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    pattern = _CELL_NAME if kind == "cell" else _SLUG_NAME
    if pattern.match(name) and len(name) <= 80:
        return None
    wanted = "a cell code from A1 to E5" if kind == "cell" else "a slug such as `probation-2009`"
    return finding(
        "MP411",
        relpath,
        1,
        1,
        f"file name {name!r} is not a valid id",
        f"rename the file: its name must be {wanted}",
    )


def read_document(
    relpath: str, kind: Kind, raw: bytes, data: dict[str, Any] | None = None
) -> Document | Diagnostic:
    """Decode and parse one file's bytes into a Document, or say why it cannot be. With
    `data` (what this file's bytes parsed to before: the signed data cache), the YAML is not
    parsed again."""
    if len(raw) > MAX_FILE_BYTES:  # blobs from Git arrive here without a size check
        return _too_large(relpath)
    text = _decode(relpath, raw)
    if isinstance(text, Diagnostic):
        return text
    doc = Document(relpath, kind, text, yaml_text=text)
    if kind == "cell":
        problem = _split_front_matter(doc)
        if problem:
            return problem
    if kind == "cell" and not doc.yaml_text.strip():
        return finding(
            "MP105",
            relpath,
            1,
            1,
            "the front matter is empty",
            "add the keys matrix, cell and status between the two `---` lines",
        )
    if not doc.yaml_text.strip():
        return finding(
            "MP105",
            relpath,
            1,
            1,
            "the file is empty",
            "start from `matrixpipe new` or copy an existing entry",
        )
    if data is not None:
        doc.data = data
        return doc
    try:
        yamlload.prescan(doc.yaml_text)
        data = yamlload.to_data(yamlload.compose(doc.yaml_text))
    except yamlload.YamlError as exc:
        return _yaml_finding(doc, exc.problem)
    if data is None:
        return finding(
            "MP105",
            relpath,
            1,
            1,
            "the file has no keys, only comments, blank lines or `---`",
            "add the entry's keys, starting with `id:`",
        )
    if not isinstance(data, dict):
        line, column = doc.locate(())
        return finding(
            "MP203",
            relpath,
            line,
            column,
            "the entry must be a mapping of keys to values, not a single value or list",
            "write one `key: value` per line, starting with `id:`",
        )
    doc.data = data
    return doc


def _decode(relpath: str, raw: bytes) -> str | Diagnostic:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return finding(
            "MP104",
            relpath,
            1,
            1,
            "the file is UTF-16, not UTF-8",
            "save the file as UTF-8 in your editor",
        )
    if raw.count(b"\0") > len(raw) // 4:
        return finding(
            "MP104",
            relpath,
            1,
            1,
            "the file looks like UTF-16 (every other byte is zero), not UTF-8",
            "save the file as UTF-8 in your editor",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        # Columns count characters, as editors do, not bytes.
        column = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        return finding(
            "MP104",
            relpath,
            line,
            column,
            f"the file is not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded",
            "save the file as UTF-8 in your editor",
        )
    text = text.removeprefix(_BOM)
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        return finding(
            "MP108",
            relpath,
            line,
            column,
            f"control character U+{ord(bad.group()):04X} in the file",
            "delete the invisible character; retype the text around it if unsure",
        )
    return text.replace("\r\n", "\n")


def _split_front_matter(doc: Document) -> Diagnostic | None:
    if not doc.text.startswith("---\n"):
        return finding(
            "MP106",
            doc.path,
            1,
            1,
            "a cell file must start with YAML front matter",
            "begin the file with `---`, the keys matrix, cell and status, then `---`",
        )
    end = _FRONT_MATTER_END.search(doc.text, 4)
    if end is None:
        return finding(
            "MP106",
            doc.path,
            1,
            1,
            "the front matter is never closed",
            "add a line `---` after the front matter keys",
        )
    doc.yaml_text = doc.text[4 : end.start()]
    doc.yaml_line = 1
    body_start = min(end.end() + 1, len(doc.text))
    doc.body = doc.text[body_start:]
    return None


def _yaml_finding(doc: Document, problem: yamlload.Problem) -> Diagnostic:
    line, column = problem.line + doc.yaml_line + 1, problem.column + 1
    lines = doc.text.split("\n")
    source = lines[line - 1] if line <= len(lines) else ""
    indent = source[: len(source) - len(source.lstrip(" \t"))]
    if problem.kind == "yaml-syntax" and "\t" in indent:
        return finding(
            "MP103",
            doc.path,
            line,
            indent.index("\t") + 1,
            "a tab is used for indentation",
            "indent with spaces, never tabs",
        )
    code = _KIND_CODES[problem.kind]
    hint = problem.hint
    if problem.kind == "yaml-syntax":
        quoted = _quoted_bracket_value(source)
        if quoted is not None:
            hint = f"a value that starts with [ or {{ must be quoted: `{quoted.strip()}`"
    return finding(code, doc.path, line, column, problem.message, hint)


_BRACKETED = re.compile(r"^(?P<key>[ \t]*(?:- )?[A-Za-z_][\w-]*:[ \t]+)(?P<value>[\[{].*?)[ \t]*$")


def _quoted_bracket_value(line: str) -> str | None:
    """`organisation: [UK] Home Office` with its value quoted, when a value starts with a
    bracket and goes on after the bracket closes (YAML reads it as a list, then fails)."""
    m = _BRACKETED.match(line)
    if m is None:
        return None
    value = m.group("value")
    close = value.find("]" if value[0] == "[" else "}")
    rest = value[close + 1 :].strip() if close >= 0 else value
    if not rest or rest.startswith("#"):
        return None
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{m.group("key")}"{escaped}"'


def _misplaced(relpath: str) -> Diagnostic:
    name = relpath.rsplit("/", 1)[-1]
    if name.endswith(".yml"):
        hint = f"rename it to {name[:-4]}.yaml"
    elif name.endswith(".md"):
        hint = "cell pages go in entries/cells/<matrix>/<CODE>.md"
    else:
        hint = "studies go in entries/studies/<id>.yaml, matrices in entries/matrices/<id>.yaml"
    return finding("MP107", relpath, 1, 1, "this file is not where any kind of entry belongs", hint)
