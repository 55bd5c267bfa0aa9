"""Diagnostics are values: a code, a severity, a message, a span and a hint.

Every stage reports problems by returning `Diagnostic`s, never by raising at the user.
Codes are permanent and listed in one catalogue, `flowc.codes` (`flowc rules` shows it):
FL0xx syntax and loading, FL1xx schema and types, FL2xx references and graph shape, FL3xx
menus and prompts, FL4xx schedules, FL5xx expressions and data, FL6xx binding files, FTxxx
scenario files.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from flowc.source.document import Span


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span
    hint: str | None = None
    related: tuple[tuple[str, Span], ...] = field(default=())

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.col, self.code)


class FlowcError(Exception):
    """Raised inside a stage to abort with diagnostics; caught at the stage boundary."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("; ".join(d.message for d in self.diagnostics))


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None when nothing is close."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else None


def worst(diagnostics: Iterable[Diagnostic]) -> Severity | None:
    sev = [d.severity for d in diagnostics]
    return max(sev) if sev else None
