"""Reporters: the only code that prints findings. One finished Report in, one format out."""

from __future__ import annotations

import bisect
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable
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


ChangedLines = dict[str, list[tuple[int, int]]]
"""The lines a change touched: repo-relative path → sorted, inclusive (first, last) line ranges."""

# GitHub keeps at most 10 error, 10 warning and 10 notice annotations from one step (50 from a
# job) and drops the rest without a word. actions/toolkit, docs/problem-matchers.md,
# "Limitations": "10 warning annotations, 10 error annotations, and 10 notice annotations per
# step; 50 annotations per job (sum of annotations from all the steps)" (added by
# actions/toolkit#734; the same numbers are quoted in orgs/community discussions #26680 and
# #68471, where annotations past them silently vanish).
ANNOTATIONS_PER_STEP: dict[str, int] = {"error": 10, "warning": 10, "notice": 10}
# A step's job summary may take 1 MiB; a larger one is refused whole ("$GITHUB_STEP_SUMMARY
# upload aborted, supports content up to a size of 1024k"), so the list stops short of that.
STEP_SUMMARY_BYTES = 1024 * 1024
_SUMMARY_MARGIN = 4096
_CELL_CHARS = 2000
"""A message longer than this is cut (with '…') in the job summary's table."""


class GithubReporter:
    """Workflow commands, so findings become annotations on the pull request's lines.

    Findings on lines the change touched (`changed`, from `check --base`) are annotated first,
    then the rest by file and line, up to GitHub's limits per step; one last notice says how many
    were not annotated and where they are: this step's log (a collapsed group) and, when
    `step_summary` names a file (`$GITHUB_STEP_SUMMARY`), the job summary, which lists every
    finding grouped by file.
    """

    _COMMAND: ClassVar[dict[Severity, str]] = {
        Severity.ERROR: "error",
        Severity.WARNING: "warning",
        Severity.INFO: "notice",
    }

    def __init__(
        self,
        repo: Path,
        stream: IO[str] | None = None,
        color: str = "auto",
        *,
        changed: ChangedLines | None = None,
        step_summary: str | Path | None = None,
    ) -> None:
        self.stream = stream or sys.stdout
        self.changed = changed
        self.step_summary = Path(step_summary) if step_summary else None

    def command(self, d: Diagnostic) -> str:
        return "notice" if d.baseline else self._COMMAND[d.severity]

    def on_changed_line(self, d: Diagnostic) -> bool:
        """Whether the annotation lands on a line the change touched (GitHub puts a finding
        without a line on line 1, and so do we)."""
        ranges = (self.changed or {}).get(d.path)
        if not ranges:
            return False
        line = d.line or 1
        i = bisect.bisect_right(ranges, (line, sys.maxsize)) - 1
        return i >= 0 and ranges[i][0] <= line <= ranges[i][1]

    def ordered(self, report: Report) -> list[Diagnostic]:
        """This change's findings before those already there; among them, those on changed lines
        first; then by file and line (`Report.sorted`; the sort is stable)."""
        return sorted(report.sorted(), key=lambda d: (d.baseline, not self.on_changed_line(d)))

    def report(self, report: Report) -> None:
        ordered = self.ordered(report)
        wanted = Counter(self.command(d) for d in ordered)
        limit = dict(ANNOTATIONS_PER_STEP)
        if any(wanted[c] > n for c, n in limit.items()):
            limit["notice"] -= 1  # the closing notice must fit under the limit too
        used: Counter[str] = Counter()
        rest = []
        for d in ordered:
            command = self.command(d)
            if used[command] < limit[command]:
                used[command] += 1
                self.stream.write(_annotation(command, d))
            else:
                rest.append(d)
        written = self._write_step_summary(report, len(rest))
        if rest:
            group = f"{_plural(len(rest), 'finding')} not annotated"
            self.stream.write(f"::group::{_escape_data(group)}\n")
            for d in rest:
                self.stream.write(_log_line(d) + "\n")
            self.stream.write("::endgroup::\n")
            one = len(rest) == 1
            log = f"this step's log lists {'it' if one else 'them'} under '{group}'."
            where = (
                f"The job summary lists every finding, grouped by file; {log}"
                if written
                else (log[0].upper() + log[1:])
            )
            message = (
                f"{_plural(len(rest), 'more finding')} {'was' if one else 'were'} not annotated: "
                f"GitHub shows at most {_limits()} per step. {where}"
            )
            title = _escape_property(f"matrixpipe: {group}")
            self.stream.write(f"::notice title={title}::{_escape_data(message)}\n")
        self.stream.write(_escape_data(summary(report)) + "\n")

    def _write_step_summary(self, report: Report, rest: int) -> bool:
        """Append every finding, grouped by file, to the job summary (if there is one, and
        findings); whether it was written."""
        if self.step_summary is None or not report.diagnostics:
            return False
        try:
            size = self.step_summary.stat().st_size if self.step_summary.exists() else 0
            gap = _gap(self.step_summary) if size else ""
            text = gap + step_summary_markdown(
                report,
                rest,
                budget=STEP_SUMMARY_BYTES - _SUMMARY_MARGIN - size - len(gap),
                changed=self.on_changed_line,
            )
            with self.step_summary.open("a", encoding="utf-8") as out:
                out.write(text)
        except OSError as exc:
            print(f"matrixpipe: cannot write the job summary: {exc.strerror}", file=sys.stderr)
            return False
        return True


def _gap(path: Path) -> str:
    """What keeps our Markdown apart from what an earlier step left in the file: a blank line."""
    with path.open("rb") as f:
        f.seek(-1, os.SEEK_END)
        return "\n" if f.read(1) == b"\n" else "\n\n"


def step_summary_markdown(
    report: Report,
    not_annotated: int,
    budget: int = STEP_SUMMARY_BYTES - _SUMMARY_MARGIN,
    changed: Callable[[Diagnostic], bool] | None = None,
) -> str:
    """Every finding as Markdown, one table per file (by path, then line), for the job summary;
    contributor text escaped (`markdown_text`), and stopping short of `budget` bytes."""
    found = report.sorted()
    head = [f"## matrixpipe check: {markdown_text(summary(report))}", ""]
    if not_annotated:
        was = "was" if not_annotated == 1 else "were"
        head += [
            f"GitHub annotates at most {_limits()} per step: {_plural(not_annotated, 'finding')} "
            f"of those below {was} not annotated on the pull request.",
            "",
        ]
    if changed is not None and any(changed(d) for d in found):
        head += ["✎ marks a finding on a line this pull request changed.", ""]
    out = "\n".join(head) + "\n"
    size = len(out.encode())
    shown = 0
    path = None
    for d in found:
        block = ""
        if d.path != path:
            block += (
                ("\n" if path is not None else "") + f"### {markdown_text(d.path)}\n\n"
                "| line | column | level | rule | message |\n| ---: | ---: | --- | --- | --- |\n"
            )
        level = d.severity.label + (" (already there)" if d.baseline else "")
        mark = "✎ " if changed is not None and changed(d) else ""
        message = markdown_text(_cut(d.message))
        if d.hint:
            message += "<br>hint: " + markdown_text(_cut(d.hint))
        block += (
            f"| {mark}{d.line or ''} | {d.column or ''} | {level} | "
            f"{markdown_text(f'{d.code} {d.name}'.strip())} | {message} |\n"
        )
        cost = len(block.encode())
        if size + cost > budget - 400:
            break
        out += block
        size += cost
        path = d.path
        shown += 1
    if shown < len(found):
        out += (
            f"\n… and {_plural(len(found) - shown, 'more finding')}, not listed: a job summary "
            "takes at most 1 MiB per step. This step's log has every finding, and so has "
            "`matrixpipe check` run on the branch.\n"
        )
    return out + "\n"


def _limits() -> str:
    """'10 errors, 10 warnings and 10 notices'."""
    shown = [_plural(n, command) for command, n in ANNOTATIONS_PER_STEP.items()]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _cut(text: str, limit: int = _CELL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _annotation(command: str, d: Diagnostic) -> str:
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
    return f"::{command} {props}::{_escape_data(message)}\n"


def _log_line(d: Diagnostic) -> str:
    """A finding as one plain line of the log, which the runner must not take for a command:
    it starts with '- ' (never '::'), and holds no line break and no '##[' (the runner's older
    command syntax, which it finds anywhere in a line)."""
    hint = f" (hint: {d.hint})" if d.hint else ""
    level = "" if d.severity == Severity.ERROR else f"{d.severity.label}: "
    text = f"- {d.path}:{d.line or 1}:{d.column or 1}: {d.code} {level}{d.message}{hint}"
    return _escape_data(text).replace("##[", "##\\[")


# Workflow commands (actions/toolkit packages/core/src/command.ts, and the runner's
# ActionCommand.cs that reads them): in data, %, CR and LF are escaped; in a property, : and ,
# too. Escaped so, no text of ours can end a command early or start a line (and so a command).
def _escape_data(text: str) -> str:
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


# Markdown for GitHub (job summaries, pull request text): contributor text must stay text.
_MD_ESCAPE = re.compile(r"([\\`*_\[\]!|~$@#^])")
_MD_ENTITY = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def markdown_text(text: str) -> str:
    """Contributor text as inline Markdown text that renders as itself: one line (every line
    break and run of white space becomes one space, so no new block or table row can start),
    controls shown as escapes (`printable`), `& < >` as entities (no HTML), and the characters
    that start Markdown's inline syntax backslash-escaped: emphasis, code, links and images,
    strikethrough, maths, mentions and references, and `|`, which would end a table cell."""
    text = printable(" ".join(text.split()))
    text = _MD_ESCAPE.sub(r"\\\1", text)
    return re.sub(r"[&<>]", lambda m: _MD_ENTITY[m.group()], text)


def markdown_code(text: str) -> str:
    """Contributor text as a Markdown code span (not for a table cell): one line, controls shown
    as escapes, fenced by a run of backticks longer than any inside it."""
    text = printable(" ".join(text.split()))
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    if text.startswith("`") or text.endswith("`"):
        text = f" {text} "
    return f"{fence}{text}{fence}"


REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "github": GithubReporter,
}
"""Each `--format` and the reporter that writes it."""


def reporter(
    fmt: str, repo: Path, color: str = "auto", changed: ChangedLines | None = None
) -> Reporter:
    """The reporter for a `--format`; NO_COLOR in the environment turns colour off. The GitHub
    reporter puts findings on `changed` lines first, and writes the job summary named by
    `$GITHUB_STEP_SUMMARY` (GitHub Actions sets it for each step)."""
    if color == "auto" and os.environ.get("NO_COLOR"):
        color = "never"
    if fmt == "github":
        return GithubReporter(
            repo, color=color, changed=changed, step_summary=os.environ.get("GITHUB_STEP_SUMMARY")
        )
    return REPORTERS[fmt](repo, color=color)
