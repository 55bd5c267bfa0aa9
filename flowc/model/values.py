"""Small value types shared by the model: durations, identifiers, DTMF keys, locales."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LOCALE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
DTMF_KEYS = frozenset("0123456789*#")
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
MAX_DURATION_MS = 86_400_000  # nothing in a call waits a day
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, None: 1000}


def parse_duration_ms(value: Any) -> int:
    """`1500ms`, `5s`, `10m`, `1h` or a bare number of seconds, as milliseconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as `5s`, `1500ms` or `10m`")
    ms: float | None = None
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        ms = value * 1000
    elif isinstance(value, str):
        m = _DURATION_RE.match(value)
        if m:
            ms = float(m.group(1)) * _UNIT_MS[m.group(2)]
    if ms is not None:
        if not ms <= MAX_DURATION_MS:  # also refuses NaN and infinity
            raise ValueError(f"`{value}` is too long; durations are at most 24h")
        return int(ms)
    raise ValueError(f"`{value}` is not a duration; write `5s`, `1500ms`, `10m` or `1h`")


def format_duration_ms(ms: int) -> str:
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def _ident(value: Any) -> str:
    if not isinstance(value, str) or not IDENT_RE.match(value):
        raise ValueError(
            f"`{value}` is not a valid name (letters, digits and _, not starting with a digit)"
        )
    return value


def _dtmf(value: Any) -> str:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or len(text) != 1 or text not in DTMF_KEYS:
        raise ValueError(f"`{value}` is not a phone key; use one of 0-9, * or #")
    return text


_IDENT_SCHEMA = {"type": "string", "pattern": IDENT_RE.pattern}
Duration = Annotated[
    int,
    BeforeValidator(parse_duration_ms),
    PlainSerializer(int),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": _DURATION_RE.pattern},
            ],
            "description": "1500ms, 5s, 10m, 1h or seconds",
        }
    ),
]
Ident = Annotated[str, BeforeValidator(_ident), WithJsonSchema(_IDENT_SCHEMA)]
FLOW_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")


def _flow_name(value: Any) -> str:
    if not isinstance(value, str) or not FLOW_NAME_RE.match(value):
        hint = (
            f" (e.g. `{value.lower()}`)"
            if isinstance(value, str) and value.lower() != value
            else ""
        )
        raise ValueError(
            f"`{value}` is not a valid flow name: lower-case letters, digits and _, not "
            f"starting with a digit{hint}; it names the flow in bindings, the dialplan and "
            "the journal"
        )
    return value


# Flow names end up in FreeSWITCH extension names, binding keys and journal rows: lower case.
FlowName = Annotated[
    str,
    BeforeValidator(_flow_name),
    WithJsonSchema({"type": "string", "pattern": FLOW_NAME_RE.pattern}),
]
NodeRef = Annotated[
    str, BeforeValidator(_ident), WithJsonSchema({**_IDENT_SCHEMA, "description": "name of a node"})
]
DtmfKey = Annotated[
    str,
    BeforeValidator(_dtmf),
    # `key: 0` is as natural in YAML as `key: "0"`.
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "enum": sorted(DTMF_KEYS)},
                {"type": "integer", "minimum": 0, "maximum": 9},
            ]
        }
    ),
]


def as_text(value: Any) -> str:
    """Scalars written bare in YAML (`priority: 10`, `key: 0`) read as template text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    raise ValueError("expected text or a number")


Text = Annotated[
    str,
    BeforeValidator(as_text),
    WithJsonSchema(
        {"type": ["string", "number", "boolean"], "description": "text; {expr} interpolates"}
    ),
]
