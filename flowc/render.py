"""Diagnostics rendered for people (code frame + caret + help) and for tools (JSON, SARIF,
GitHub workflow commands)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from flowc import __version__
from flowc.diagnostics import Diagnostic, Severity

_COLOURS = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m", Severity.INFO: "\x1b[36m"}
_RESET = "\x1b[0m"


def _display_width(text: str) -> int:
    # East-Asian wide characters take two cells: carets must line up under zh-CN prompts.
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def render_text(
    diags: Sequence[Diagnostic], sources: dict[str, str], *, colour: bool = False
) -> str:
    out: list[str] = []
    for d in diags:
        c = _COLOURS[d.severity] if colour else ""
        r = _RESET if colour else ""
        out.append(f"{c}{d.code}{r} {d.span} {c}{d.severity}{r}: {d.message}")
        lines = sources.get(d.span.file, "").splitlines()
        if 1 <= d.span.line <= len(lines):
            line = lines[d.span.line - 1].replace("\t", " ")
            gutter = str(d.span.line)
            pad = " " * len(gutter)
            width = 1
            if d.span.end_line == d.span.line and d.span.end_col > d.span.col:
                width = _display_width(line[d.span.col - 1 : d.span.end_col - 1]) or 1
            lead = _display_width(line[: max(d.span.col - 1, 0)])
            out.append(f"{pad} |")
            out.append(f"{gutter} | {line}")
            out.append(f"{pad} | {' ' * lead}{c}{'^' * min(width, 80)}{r}")
        if d.hint:
            out.append(f"  = help: {d.hint}")
        for label, span in d.related:
            out.append(f"  = note: {label} at {span}")
        out.append("")
    return "\n".join(out)


def _dict(d: Diagnostic) -> dict[str, Any]:
    s = d.span
    return {
        "code": d.code,
        "severity": str(d.severity),
        "message": d.message,
        "file": s.file,
        "line": s.line,
        "column": s.col,
        "end_line": s.end_line,
        "end_column": s.end_col,
        "hint": d.hint,
    }


def render_json(diags: Sequence[Diagnostic], sources: dict[str, str]) -> str:
    return json.dumps([_dict(d) for d in diags], ensure_ascii=False, indent=2) + "\n"


def render_github(diags: Sequence[Diagnostic], sources: dict[str, str]) -> str:
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}

    def esc(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    lines = []
    for d in diags:
        msg = d.message + (f" (help: {d.hint})" if d.hint else "")
        lines.append(
            f"::{level[d.severity]} file={d.span.file},line={d.span.line},"
            f"col={d.span.col},endLine={d.span.end_line},endColumn={d.span.end_col},"
            f"title={d.code}::{esc(msg)}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


def render_sarif(diags: Sequence[Diagnostic], sources: dict[str, str]) -> str:
    from flowc.lint.registry import RULES

    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    rules = [
        {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.doc.splitlines()[0] if r.doc else r.name},
            "fullDescription": {"text": r.doc},
        }
        for r in RULES
    ]
    results = []
    for d in diags:
        results.append(
            {
                "ruleId": d.code,
                "level": level[d.severity],
                "message": {"text": d.message + (f"\nhelp: {d.hint}" if d.hint else "")},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": d.span.file},
                            "region": {
                                "startLine": d.span.line,
                                "startColumn": d.span.col,
                                "endLine": d.span.end_line,
                                "endColumn": d.span.end_col,
                            },
                        }
                    }
                ],
            }
        )
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "flowc", "version": __version__, "rules": rules}},
                "results": results,
            }
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


RENDERERS: dict[str, Callable[[Sequence[Diagnostic], dict[str, str]], str]] = {
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}
