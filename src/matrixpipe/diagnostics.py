"""Findings as data: every stage records `Diagnostic`s in a `Report` and the run goes on."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    """How much a finding matters; the order lets reporters sort and `--strict` compare."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class ExitCode(IntEnum):
    """The exit code contract shared by every command."""

    OK = 0
    FINDINGS = 1
    FAILURE = 2


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding: where it is (repo-relative path, 1-based line and column), what and how to fix."""

    path: str
    line: int | None
    column: int | None
    code: str
    message: str
    hint: str | None = None
    severity: Severity = Severity.ERROR
    name: str = ""
    baseline: bool = field(default=False, compare=False)
    """True when the finding was already there before the change under review (`check --base`)."""
    target: str | None = field(default=None, compare=False)
    """For a broken reference, what it points to (`study:<id>`, `cell:<m>/<CODE>`, `matrix:<id>`)."""


@dataclass
class Report:
    """Every finding of one run, plus what was checked, for the closing summary."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    def extend(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics.extend(diagnostics)

    def sorted(self) -> list[Diagnostic]:
        return sorted(set(self.diagnostics), key=_order)

    def failing(self, strict: bool = False) -> list[Diagnostic]:
        """The findings that make the run fail: errors (and warnings under `--strict`)."""
        floor = Severity.WARNING if strict else Severity.ERROR
        return [d for d in self.sorted() if d.severity >= floor and (strict or not d.baseline)]

    def exit_code(self, strict: bool = False) -> ExitCode:
        return ExitCode.FINDINGS if self.failing(strict) else ExitCode.OK


def _order(d: Diagnostic) -> tuple[str, int, int, str, str]:
    return (d.path, d.line or 0, d.column or 0, d.code, d.message)
