"""Where things are in a flow's source: the source data at a path, spans of parts of
strings, and diagnostics placed there (the `LintContext` part a rule reports through)."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path as FsPath
from typing import Any

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.config import LintConfig
from flowc.model.flow import Flow
from flowc.model.prompts import PromptPart
from flowc.source.document import Path, SourceDoc, Span

_NEWLINE_RE = re.compile(r"\r\n|\r|\n")


class SourcePositions:
    """Paths into the source document turned into spans and diagnostics."""

    flow: Flow
    doc: SourceDoc
    config: LintConfig

    def diag(
        self,
        code: str,
        severity: Severity,
        message: str,
        path: Path,
        *,
        hint: str | None = None,
        key: bool = False,
    ) -> Diagnostic:
        sev = self.config.severity.get(code, severity)
        return Diagnostic(code, sev, message, self.doc.span_of(path, key=key), hint)

    @property
    def base_dir(self) -> FsPath:
        return FsPath(self.flow.file).parent

    def raw(self, path: Path) -> Any:
        """The plain source data at `path`, or None when the path does not exist."""
        return raw_at(self.doc.data, path)

    def part_path(self, base: Path, loc: str, index: int, part: PromptPart) -> Path:
        """The source path of one prompt part (as precise as the written shape allows)."""
        return part_path_at(self.doc.data, base, loc, index, part)

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        for m in _NEWLINE_RE.finditer(self.doc.text):
            starts.append(m.end())
        return starts

    def _char_at(self, line: int, col: int) -> str:
        starts = self._line_starts
        if not 1 <= line <= len(starts):
            return ""
        pos = starts[line - 1] + col - 1
        return self.doc.text[pos] if 0 <= pos < len(self.doc.text) else ""

    def text_span(self, path: Path, text: str, start: int, end: int) -> Span:
        """The span of `text[start:end]` where `text` is the string written at `path`.

        Exact when the value is a plain or quoted scalar on one line that reads as `text`
        (escapes aside); otherwise the span of the whole value.
        """
        span = self.doc.span_of(path)
        if (
            path not in self.doc.spans
            or span.line != span.end_line
            or not isinstance(self.raw(path), str)
            or self.raw(path) != text
        ):
            return span
        col = span.col + (1 if self._char_at(span.line, span.col) in ("'", '"') else 0)
        start = max(0, min(start, len(text)))
        end = max(start, min(end, len(text)))
        return Span(span.file, span.line, col + start, span.line, col + max(end, start + 1))

    def diag_at(
        self,
        code: str,
        severity: Severity,
        message: str,
        span: Span,
        *,
        hint: str | None = None,
    ) -> Diagnostic:
        """Like `diag`, for a span already resolved (e.g. with `text_span`)."""
        sev = self.config.severity.get(code, severity)
        return Diagnostic(code, sev, message, span, hint)


def raw_at(data: Any, path: Path) -> Any:
    """The plain source data at `path` below `data`, or None when the path does not exist."""
    cur: Any = data
    for item in path:
        if isinstance(cur, dict) and isinstance(item, str) and item in cur:
            cur = cur[item]
        elif isinstance(cur, list) and isinstance(item, int) and 0 <= item < len(cur):
            cur = cur[item]
        else:
            return None
    return cur


def part_path_at(data: Any, base: Path, loc: str, index: int, part: PromptPart) -> Path:
    """`SourcePositions.part_path` for the source data `data` (a site resolves it late)."""
    p: Path = base
    raw = raw_at(data, p)
    if loc and isinstance(raw, dict) and loc in raw:
        p = (*p, loc)
        raw = raw[loc]
    if isinstance(raw, list) and index < len(raw):
        p = (*p, index)
        raw = raw[index]
    key = {"ref": "prompt"}.get(part.kind, part.kind)
    if isinstance(raw, dict) and key in raw:
        p = (*p, key)
        if part.kind == "say" and isinstance(raw[key], dict) and part.say_as in raw[key]:
            p = (*p, part.say_as or "")
    return p
