"""The intermediate value tree the DSL parser builds, and text helpers shared with the printer.

The grammar callbacks build `V` trees: the same shape as the final plain data, but every value
carries its span and every mapping entry its key span. `materialize` turns a tree into plain
data plus the `spans`/`key_spans` tables of a `SourceDoc`.
"""

from __future__ import annotations

import re
from typing import Any

from flowc.source.document import Path, Span

# (file, line, col, end_line, end_col); 1-based, end exclusive, like `Span`.
SpanT = tuple[str, int, int, int, int]

SCALAR = 0
MAP = 1
LIST = 2


class Tok:
    """A token of the fast parser: lark's `Token` attributes, without being a `str`."""

    __slots__ = ("column", "end_column", "end_line", "line", "type", "value")

    def __init__(
        self, type_: str, value: str, line: int, col: int, end_line: int, end_col: int
    ) -> None:
        self.type = type_
        self.value = value
        self.line = line
        self.column = col
        self.end_line = end_line
        self.end_column = end_col

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Tok({self.type}, {self.value!r}, {self.line}:{self.column})"


class V:
    """A value with its source span. `val` is a scalar, a dict key -> (key span, V), or a list.

    `implicit`: a mapping or list the text never names (`prompts`, a menu's `options` ...): it
    exists because of its first entry, so comments before that entry belong to the entry."""

    __slots__ = ("implicit", "kind", "span", "val")

    def __init__(self, kind: int, val: Any, span: SpanT, implicit: bool = False) -> None:
        self.kind = kind
        self.val = val
        self.span = span
        self.implicit = implicit

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"V({self.kind}, {self.val!r}, {self.span})"


def extend(v: V, span: SpanT) -> None:
    """Grow `v`'s span so that it also ends where `span` ends (same file only)."""
    s = v.span
    if s[0] == span[0] and (span[3], span[4]) > (s[3], s[4]):
        v.span = (s[0], s[1], s[2], span[3], span[4])


def join(a: SpanT, b: SpanT) -> SpanT:
    """From the start of `a` to the end of `b` (`a` alone when they are in different files)."""
    if a[0] != b[0]:
        return a
    return (a[0], a[1], a[2], b[3], b[4])


def materialize(
    v: V, path: Path, spans: dict[Path, Span], key_spans: dict[Path, Span], implicit: set[Path]
) -> Any:
    """Plain data for `v`; fills the span tables and the set of implicit containers."""
    spans[path] = Span(*v.span)
    kind = v.kind
    if kind == SCALAR:
        return v.val
    if v.implicit:
        implicit.add(path)
    if kind == MAP:
        out: dict[str, Any] = {}
        for key, (kspan, child) in v.val.items():
            p = (*path, key)
            key_spans[p] = Span(*kspan)
            if child.kind == SCALAR:
                spans[p] = Span(*child.span)
                out[key] = child.val
            else:
                out[key] = materialize(child, p, spans, key_spans, implicit)
        return out
    return [
        materialize(child, (*path, i), spans, key_spans, implicit) for i, child in enumerate(v.val)
    ]


# ------------------------------------------------------------------------------------ strings

_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r", "0": "\0"}
_ESCAPE_RE = re.compile(r"\\(u\{[0-9A-Fa-f]{1,6}\}|.)", re.S)


def _unescape_one(m: re.Match[str]) -> str:
    body = m.group(1)
    if body in _ESCAPES:
        return _ESCAPES[body]
    if body.startswith("u{"):
        code = int(body[2:-1], 16)
        if code <= 0x10FFFF:
            return chr(code)
    return m.group(0)  # unknown escapes stay as written: "^\d+$" is a regex, not an error


def unquote(token: str) -> str:
    """The text of a quoted DSL string (`"..."` or `'...'`)."""
    body = token[1:-1]
    if "\\" not in body:
        return body
    return _ESCAPE_RE.sub(_unescape_one, body)


# A backslash is doubled when what follows would otherwise read as an escape: an escape letter,
# or a character that is itself written escaped (a quote, a control character).
_NEEDS_ESCAPE = re.compile(
    r'\\(?=[\\"\'ntr0u\x00-\x1f\x7f\u2028\u2029]|$)|["\x00-\x1f\x7f\u2028\u2029]'
)
_CONTROL_NAMES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def _escape_one(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch in _CONTROL_NAMES:
        return _CONTROL_NAMES[ch]
    return f"\\u{{{ord(ch):x}}}"


def quote(text: str) -> str:
    """A double-quoted DSL string that reads back as `text`.

    Backslashes are doubled only where they would start an escape, so regular expressions such
    as `"^\\d+$"` print the way authors write them.
    """
    return '"' + _NEEDS_ESCAPE.sub(_escape_one, text) + '"'
