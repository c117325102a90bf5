"""Reporters: the only code that prints findings. One finished Report in, one format out."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import IO, ClassVar, Protocol

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from matrixpipe.diagnostics import Diagnostic, Report, Severity

JSON_VERSION = 1
_NO_SOURCE = {"MP104", "MP404", "MP410"}  # not text, too large, or not a file: nothing to show
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
# C0/C1 controls, and the invisible and bidirectional controls behind "Trojan Source".
_UNSAFE = re.compile(
    r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u061c\u2028\u2029]"
)


def printable(text: str) -> str:
    """Make contributor text safe for a terminal or log: control characters become escapes."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def summary(report: Report) -> str:
    """'2 matrices, 1 cell, 18 studies: no problems' or '...: 2 errors, 1 warning'."""
    counted = ", ".join(_plural(n, kind) for kind, n in report.counts.items())
    found = [d for d in report.sorted() if not d.baseline]
    tallies = [
        _plural(n, sev.label)
        for sev in (Severity.ERROR, Severity.WARNING, Severity.INFO)
        if (n := sum(1 for d in found if d.severity == sev))
    ]
    return f"{counted or 'no entries'}: {', '.join(tallies) if tallies else 'no problems'}"


def _plural(n: int, word: str) -> str:
    irregular = {"matrix": "matrices", "study": "studies"}
    return f"{n} {word if n == 1 else irregular.get(word, word + 's')}"


class Reporter(Protocol):
    """Every reporter is made the same way, so `reporter()` picks one by name."""

    def __init__(self, repo: Path, stream: IO[str] | None = None, color: str = "auto") -> None: ...

    def report(self, report: Report) -> None: ...


class TextReporter:
    """For people: `path:line:col: CODE message`, the source line with a caret, and a hint."""

    def __init__(self, repo: Path, stream: IO[str] | None = None, color: str = "auto") -> None:
        self.repo = repo
        force = {"always": True, "never": False}.get(color)
        self.console = Console(
            file=stream or sys.stdout,
            force_terminal=force,
            # rich reads NO_COLOR itself; an explicit --color always must win over it.
            no_color={"always": False, "never": True}.get(color),
            highlight=False,
            soft_wrap=True,
            emoji=False,
        )
        self._lines: dict[str, list[str]] = {}

    def report(self, report: Report) -> None:
        current = [d for d in report.sorted() if not d.baseline]
        before = [d for d in report.sorted() if d.baseline]
        for d in current:
            self._print(d)
        if before:
            self.console.print(
                Text(
                    f"Already there before this change ({len(before)}; not failing this run):",
                    style="bold",
                )
            )
            for d in before:
                self._print(d)
        self.console.print(Text(summary(report), style="bold"))

    def _print(self, d: Diagnostic) -> None:
        head = Text()
        head.append(f"{printable(d.path)}:{d.line or 1}:{d.column or 1}: ", style="bold")
        head.append(d.code, style=_STYLE[d.severity])
        level = "" if d.severity == Severity.ERROR else f"{d.severity.label}: "
        head.append(f" {level}{printable(d.message)}")
        self.console.print(head)
        source = None if d.code in _NO_SOURCE else self._source_line(d)
        if source is not None and d.line:
            shown, column = _window(source, d.column or 1)
            gutter = f"{d.line:>5} | "
            self.console.print(Text(gutter + printable(shown), style="dim"))
            caret = " " * (len(gutter) - 2) + "| " + " " * _display_column(shown, column)
            self.console.print(Text(caret + "^", style=_STYLE[d.severity]))
        if d.hint:
            self.console.print(Text(f"  hint: {printable(d.hint)}", style="green"))

    def _source_line(self, d: Diagnostic) -> str | None:
        if d.path not in self._lines:
            path = self.repo / d.path
            try:
                if path.is_symlink() or not path.is_file():
                    raise OSError
                text = path.read_bytes().decode("utf-8", errors="replace")
            except OSError:
                self._lines[d.path] = []
            else:
                self._lines[d.path] = text.removeprefix("\ufeff").split("\n")
        lines = self._lines[d.path]
        if d.line is None or not 0 < d.line <= len(lines):
            return None
        return lines[d.line - 1].rstrip("\r")


def _window(source: str, column: int, width: int = 100) -> tuple[str, int]:
    """Cut a long source line to `width` characters around the column, marked with '…'."""
    if len(source) <= width:
        return source, column
    start = max(0, min(column - 1 - width // 2, len(source) - width))
    shown = source[start : start + width]
    if start > 0:
        shown = "…" + shown[1:]
    if start + width < len(source):
        shown = shown[:-1] + "…"
    return shown, column - start


def _display_column(source: str, column: int) -> int:
    """Where to put the caret: escaped controls and wide (CJK) characters take more cells."""
    return cell_len(printable(source[: column - 1]))


class JsonReporter:
    """For machines: versioned JSON with every field of every finding."""

    def __init__(self, repo: Path, stream: IO[str] | None = None, color: str = "auto") -> None:
        self.stream = stream or sys.stdout

    def report(self, report: Report) -> None:
        payload = {
            "version": JSON_VERSION,
            "summary": {
                "counts": report.counts,
                "text": summary(report),
                "failed": bool(report.failing()),
            },
            "diagnostics": [to_json(d) for d in report.sorted()],
        }
        self.stream.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def to_json(d: Diagnostic) -> dict[str, object]:
    return {
        "code": d.code,
        "name": d.name,
        "severity": d.severity.label,
        "path": d.path,
        "line": d.line,
        "column": d.column,
        "message": d.message,
        "hint": d.hint,
        "baseline": d.baseline,
    }


class GithubReporter:
    """Workflow commands, so findings become annotations on the pull request's lines."""

    _COMMAND: ClassVar[dict[Severity, str]] = {
        Severity.ERROR: "error",
        Severity.WARNING: "warning",
        Severity.INFO: "notice",
    }

    def __init__(self, repo: Path, stream: IO[str] | None = None, color: str = "auto") -> None:
        self.stream = stream or sys.stdout

    def report(self, report: Report) -> None:
        for d in report.sorted():
            command = "notice" if d.baseline else self._COMMAND[d.severity]
            message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
            props = ",".join(
                f"{k}={_escape_property(str(v))}"
                for k, v in (
                    ("file", d.path),
                    ("line", d.line or 1),
                    ("col", d.column or 1),
                    ("title", f"{d.code} {d.name}"),
                )
            )
            self.stream.write(f"::{command} {props}::{_escape_data(message)}\n")
        self.stream.write(_escape_data(summary(report)) + "\n")


def _escape_data(text: str) -> str:
    # The workflow-command format: %, CR and LF must be escaped so no line can start a command.
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "github": GithubReporter,
}
"""Each `--format` and the reporter that writes it."""


def reporter(fmt: str, repo: Path, color: str = "auto") -> Reporter:
    """The reporter for a `--format`; NO_COLOR in the environment turns colour off."""
    if color == "auto" and os.environ.get("NO_COLOR"):
        color = "never"
    return REPORTERS[fmt](repo, color=color)
