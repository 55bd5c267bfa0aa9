"""Canonical YAML text for a flow's plain data: `to_yaml(data, comments) -> str`.

- keys in the order given; block style for the document, `nodes` and every node; flow style
  (`{a: b}`, `[a, b]`) for small mappings and lists whose values are all scalars;
- strings plain when YAML 1.1 (PyYAML's safe loader) reads them back as the same string, else
  single-quoted, else (control characters, line breaks) double-quoted with escapes; non-ASCII
  text is written as is;
- `comments` (path -> lines, as in `SourceDoc.comments`) are written before the line of the key
  or list item they belong to (see `flowc.source.dsl.layout`).

`yaml.safe_load(to_yaml(d)) == d` for plain data (dict, list, str, int, float, bool, None);
dates, times and YAML 1.1 words (`yes`, `on`, `~` ...) stay strings because they are quoted.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from flowc.source.document import Path
from flowc.source.dsl.layout import Line, render

FLOW_WIDTH = 100
_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = yaml.SafeLoader("")
# What rules out a plain scalar: its first character, and (anywhere) characters or sequences
# that end it; inside `{...}`/`[...]` the flow indicators too.
_PLAIN_BAD_START = set("-?:,[]{}#&*!|>'\"%@` \t")
# Not printable for YAML (so only in double quotes, escaped), plus its extra line breaks and BOM.
_UNPRINTABLE = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff\x85\u2028\u2029\ufeff"
)
_PLAIN_BAD = re.compile(f"[\\t\\r\\n{_UNPRINTABLE}]|: |:$| #")
_FLOW_BAD = re.compile(r"[,?\[\]{}]")
_NEEDS_DOUBLE = re.compile(f"[\\t\\r\\n{_UNPRINTABLE}]")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}
_DOUBLE_ESCAPE = re.compile(f'[\\\\"\\t\\r\\n{_UNPRINTABLE}]')


def _forced_block(path: Path) -> bool:
    """The document, `nodes` and every node are block style whatever their size."""
    return len(path) <= 2 and (not path or path[0] == "nodes")


def _plain_ok(s: str, flow: bool) -> bool:
    if not s or s[0] in _PLAIN_BAD_START or s[-1] in " :" or _PLAIN_BAD.search(s):
        return False
    if flow and _FLOW_BAD.search(s):
        return False
    tag = _RESOLVER.resolve(yaml.ScalarNode, s, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag == _STR_TAG)


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _string(s: str, flow: bool) -> str:
    if _plain_ok(s, flow):
        return s
    if not _NEEDS_DOUBLE.search(s):
        if "'" in s and '"' not in s and "\\" not in s:
            return '"' + s + '"'
        return "'" + s.replace("'", "''") + "'"
    return '"' + _DOUBLE_ESCAPE.sub(lambda m: _escape(m.group()), s) + '"'


def scalar(value: Any, flow: bool = False) -> str:
    """One scalar as YAML text that loads back as the same value (`flow`: inside {...}/[...])."""
    if isinstance(value, str):
        return _string(value, flow)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "e" in text and "." not in text:
            mantissa, exp = text.split("e")
            text = f"{mantissa}.0e{exp}"
        if "e" in text and text.split("e")[1][0] not in "+-":
            text = text.replace("e", "e+")
        return text
    raise ValueError(f"cannot write a {type(value).__name__} in YAML")


def _key(key: Any, flow: bool = False) -> str:
    if isinstance(key, str) and len(key) > 1000:
        raise ValueError("mapping keys longer than 1000 characters cannot be written")
    return scalar(key, flow)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _flow(value: Any) -> str | None:
    """Flow style for a mapping or list of scalars (None when some value is a container)."""
    if isinstance(value, dict):
        if not all(_is_scalar(v) for v in value.values()):
            return None
        items = (f"{_key(k, True)}: {scalar(v, True)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        if not all(_is_scalar(v) for v in value):
            return None
        return "[" + ", ".join(scalar(v, True) for v in value) + "]"
    return None


def _inline(value: Any, path: Path, width: int, block: frozenset[Path]) -> str | None:
    """The text after `key: ` or `- ` when the value fits on that line, else None.

    `block`: paths that must be block style because a comment belongs to something inside."""
    if _is_scalar(value):
        return scalar(value)
    if not value:
        return "{}" if isinstance(value, dict) else "[]"
    if _forced_block(path) or path in block:
        return None
    flow = _flow(value)
    if flow is not None and width + len(flow) <= FLOW_WIDTH:
        return flow
    return None


def _mapping(
    value: dict[Any, Any], path: Path, indent: int, out: list[Line], block: frozenset[Path]
) -> None:
    for key, child in value.items():
        p = (*path, key)
        head = f"{_key(key)}:"
        inline = _inline(child, p, indent * 2 + len(head) + 1, block)
        if inline is not None:
            out.append(Line(indent, f"{head} {inline}", (p,)))
            continue
        out.append(Line(indent, head, (p,)))
        _block(child, p, indent + 1, out, block)


def _sequence(
    value: list[Any], path: Path, indent: int, out: list[Line], block: frozenset[Path]
) -> None:
    for i, child in enumerate(value):
        p = (*path, i)
        inline = _inline(child, p, indent * 2 + 2, block)
        if inline is not None:
            out.append(Line(indent, f"- {inline}", (p,)))
            continue
        if isinstance(child, dict):
            # the first key shares the dash's line; the others align with it
            inner: list[Line] = []
            _mapping(child, p, indent + 1, inner, block)
            first = inner[0]
            out.append(Line(indent, f"- {first.text}", (p, *first.paths)))
            out.extend(inner[1:])
        else:
            out.append(Line(indent, "-", (p,)))
            _block(child, p, indent + 1, out, block)


def _block(value: Any, path: Path, indent: int, out: list[Line], block: frozenset[Path]) -> None:
    if isinstance(value, dict):
        _mapping(value, path, indent, out, block)
    else:
        _sequence(value, path, indent, out, block)


def to_yaml(data: Any, comments: dict[Path, list[str]] | None = None) -> str:
    """Canonical YAML for `data` (normally a flow mapping), with `comments` re-emitted."""
    block = frozenset(p[:cut] for p in (comments or {}) for cut in range(1, len(p)))
    if _is_scalar(data) or not data:
        text = _inline(data, ("",), 0, block) or ""
        return render([Line(0, text)], comments)
    lines: list[Line] = []
    if isinstance(data, dict):
        for key, child in data.items():
            section: list[Line] = []
            _mapping({key: child}, (), 0, section, block)
            if lines and len(section) > 1 and lines[-1].text:
                lines.append(Line(0, ""))
            lines += section
    else:
        _sequence(data, (), 0, lines, block)
    return render(lines, comments)
