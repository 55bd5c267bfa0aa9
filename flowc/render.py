"""Diagnostics rendered for people (code frame + caret + help) and for tools (JSON, SARIF,
GitHub workflow commands)."""

from __future__ import annotations

import json
import re
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


# A code frame shows at most this many cells of a source line: a minified or hostile file can
# have one line of megabytes, and the frame must stay readable (and not echo the file).
FRAME_WIDTH = 120
_ELLIPSIS = "…"


_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # YAML's line breaks, as spans count them


class _Lines:
    """One source's lines, found once (YAML's line breaks, as spans count them) and cut out
    on demand: a file with thousands of diagnostics is not rescanned for each."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        self.ends: list[int] = []
        for m in _LINE_BREAK.finditer(text):
            self.ends.append(m.start())
            self.starts.append(m.end())
        self.ends.append(len(text))

    def line(self, line: int) -> str | None:
        """Line `line` (1-based), or None past the end (a final line break ends the text)."""
        i = line - 1
        if i < 0 or i >= len(self.starts) or (i > 0 and self.starts[i] == len(self.text)):
            return None
        return self.text[self.starts[i] : self.ends[i]]


def _cut(line: str, col: int, width: int) -> tuple[str, int, int]:
    """A window of `line` at most FRAME_WIDTH cells wide that shows column `col` (1-based) and as
    much of `width` characters from it as fits. Returns the text, and the caret's start and
    length in cells."""
    lead_chars = max(col - 1, 0)
    full = _display_width(line)
    if full <= FRAME_WIDTH:
        lead = _display_width(line[:lead_chars])
        marked = _display_width(line[lead_chars : lead_chars + width]) or 1
        return line, lead, min(marked, FRAME_WIDTH)
    # Keep about a third of the window before the caret for context.
    begin = max(0, lead_chars - FRAME_WIDTH // 3)
    prefix = _ELLIPSIS if begin > 0 else ""
    budget = FRAME_WIDTH - len(prefix) - 1  # room for a trailing ellipsis
    out: list[str] = []
    used = 0
    i = begin
    while i < len(line):
        w = _display_width(line[i])
        if used + w > budget:
            break
        out.append(line[i])
        used += w
        i += 1
    text = prefix + "".join(out) + (_ELLIPSIS if i < len(line) else "")
    lead = len(prefix) + _display_width(line[begin:lead_chars])
    marked = _display_width(line[lead_chars : min(lead_chars + width, i)]) or 1
    return text, lead, max(1, min(marked, FRAME_WIDTH - lead))


def render_text(
    diags: Sequence[Diagnostic], sources: dict[str, str], *, colour: bool = False
) -> str:
    out: list[str] = []
    indexed: dict[str, _Lines] = {}
    for d in diags:
        c = _COLOURS[d.severity] if colour else ""
        r = _RESET if colour else ""
        out.append(f"{c}{d.code}{r} {d.span} {c}{d.severity}{r}: {d.message}")
        lines = indexed.get(d.span.file)
        if lines is None:
            lines = indexed[d.span.file] = _Lines(sources.get(d.span.file, ""))
        raw = lines.line(d.span.line)
        if raw is not None:
            width = 1
            if d.span.end_line == d.span.line and d.span.end_col > d.span.col:
                width = d.span.end_col - d.span.col
            line, lead, marked = _cut(raw.replace("\t", " "), d.span.col, width)
            gutter = str(d.span.line)
            pad = " " * len(gutter)
            out.append(f"{pad} |")
            out.append(f"{gutter} | {line}")
            out.append(f"{pad} | {' ' * lead}{c}{'^' * marked}{r}")
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
    from flowc.codes import CATALOGUE
    from flowc.lint.registry import explain

    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    rules = [
        {
            "id": e.code,
            "name": e.name,
            "shortDescription": {"text": e.summary},
            "fullDescription": {"text": explain(e)},
        }
        for e in CATALOGUE
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
