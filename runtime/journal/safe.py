"""Total conversion of journal values to storable text and JSON: never raises.

A call's variables come from callers, look-ups and flow arithmetic, so a call end's detail can
hold anything an expression can make: an integer of 5,000 digits (``str()`` refuses more than
4,300), NaN (PostgreSQL's JSONB refuses it), NUL characters (no PostgreSQL text holds them),
lone surrogates (not encodable as UTF-8), cycles, deep nesting. Any one of them used to make
the record unwritable, and the call lost its end. Here each becomes a marked stand-in instead:

* an integer too large to print -> ``"<int: about N digits>"``; one outside PostgreSQL's
  ``bigint`` stays a JSON number in details (JSONB keeps any number) but `storable_int` gives
  None for the integer columns;
* NaN and infinities -> ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` (strings);
* NUL -> U+FFFD; lone surrogates -> ``\\udcxx`` escapes (backslash text);
* mapping keys -> strings; other objects -> ``str()`` (or their type's name if that fails);
* nesting deeper than `MAX_DEPTH` or a cycle -> ``"<...>"``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["MAX_DEPTH", "clean_text", "json_safe", "safe_dumps", "safe_int_text", "storable_int"]

MAX_DEPTH: Final = 64
_INT_DIGITS: Final = 4000  # below Python's 4,300-digit limit on int -> str
_LOG10_2: Final = math.log10(2)
_BIGINT: Final = 2**63


def clean_text(text: str) -> str:
    """`text` as something every database stores: no NUL, valid UTF-8."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def safe_int_text(value: int) -> str:
    """`str(value)`, or a marker when it has too many digits to print."""
    bits = value.bit_length()
    if bits * _LOG10_2 < _INT_DIGITS:
        return str(value)
    sign = "-" if value < 0 else ""
    return f"<int: {sign}about {int(bits * _LOG10_2) + 1} digits>"


def storable_int(value: int) -> int | None:
    """`value` if a 64-bit integer column holds it, else None."""
    return value if -_BIGINT <= value < _BIGINT else None


def _float(value: float) -> float | str:
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def json_safe(value: Any, _depth: int = 0, _seen: frozenset[int] = frozenset()) -> Any:
    """`value` as plain JSON data (dict, list, str, int, float, bool, None); see the module."""
    try:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value if value.bit_length() * _LOG10_2 < _INT_DIGITS else safe_int_text(value)
        if isinstance(value, float):
            return _float(value)
        if isinstance(value, str):
            return clean_text(value)
        if _depth >= MAX_DEPTH or id(value) in _seen:
            return "<...>"
        seen = _seen | {id(value)}
        if isinstance(value, Mapping):
            return {
                _key(k): json_safe(v, _depth + 1, seen) for k, v in list(value.items())[:100_000]
            }
        if isinstance(value, list | tuple | set | frozenset):
            return [json_safe(v, _depth + 1, seen) for v in list(value)[:100_000]]
        return clean_text(str(value))
    except Exception:
        return f"<{type(value).__name__}>"


def _key(key: object) -> str:
    if isinstance(key, str):
        return clean_text(key)
    if isinstance(key, int) and not isinstance(key, bool):
        return safe_int_text(key)
    converted = json_safe(key)
    return converted if isinstance(converted, str) else json.dumps(converted)


def safe_dumps(value: Any, **options: Any) -> str:
    """``json.dumps(json_safe(value))``: valid JSON (no NaN), never raises."""
    try:
        return json.dumps(json_safe(value), allow_nan=False, **options)
    except Exception as exc:  # pragma: no cover - json_safe leaves nothing json refuses
        return json.dumps({"unserialisable": type(exc).__name__})
