"""What the catalogue says about one diagnostic code, and the families codes belong to."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Literal

from flowc.diagnostics import Severity

ExampleForm = Literal["yaml", "flow", "bindings", "scenario", "text"]
"""How an entry's example is written: a whole YAML flow file, a whole `.flow` file, a binding
file, a scenario file, or a fragment to read (not a whole file)."""


@dataclass(frozen=True)
class Family:
    """Codes that share a prefix and a stage: `FL0` loading, ..., `FT` scenario files."""

    key: str
    prefix: str
    title: str


@dataclass(frozen=True)
class Entry:
    """One diagnostic code. `summary` is one whole sentence; `what` adds detail to it.

    A lint rule (`rule=True`) keeps its what/why/example/fix in its module docstring under
    `flowc/lint/rules/`, whose first paragraph is `CODE name: summary`; the lint registry
    attaches that docstring. Every other entry carries its own text here.
    """

    code: str
    name: str
    severity: Severity
    summary: str
    what: str = ""
    why: str = ""
    example: str = ""
    example_form: ExampleForm = "text"
    fix: str = ""
    rule: bool = False

    def text(self) -> str:
        """The explanation in the layout of the lint rules' docstrings."""
        summary = self.summary[:1].lower() + self.summary[1:]
        parts = [_fill(f"{self.code} {self.name}: {summary}")]
        if self.what:
            parts.append(_fill(self.what))
        if self.why:
            parts.append(_fill(f"Why: {self.why}"))
        if self.example:
            body = "\n".join(f"    {line}" if line else "" for line in self.example.splitlines())
            parts.append(f"Example::\n\n{body}")
        if self.fix:
            parts.append(_fill(f"Fix: {self.fix}"))
        return "\n\n".join(parts)


def _fill(paragraph: str) -> str:
    return textwrap.fill(paragraph, width=92, break_long_words=False, break_on_hyphens=False)
