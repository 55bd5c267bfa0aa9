"""Canonical DSL text for a flow's plain data: `to_dsl(data, comments) -> str`.

`parse_dsl_text(to_dsl(d)).data == d` for every flow the language describes, and for most data
it does not: anything without a dedicated syntax (an unknown field, a value of an unexpected
type) is written with the `field key = <literal>` escape, and a node that cannot be written
with its kind's settings is written as a literal (`name: {"menu": ...}`). Only values no text
can hold (NaN, infinities, non-string keys) raise `ValueError`.

Layout: header lines in the order of the data, one node setting per line except the `-> next`
continuation, which stays on the node's first line; prompts with several locales as blocks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from flowc.source.document import Path
from flowc.source.dsl.layout import Line, render
from flowc.source.dsl.values import quote

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LOCALE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
DURATION = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h)")
TIME_RANGE = re.compile(r"[0-9]{1,2}:[0-9]{2}-[0-9]{1,2}:[0-9]{2}")
DATES = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:\.\.[0-9]{4}-[0-9]{2}-[0-9]{2})?")
MONTH_DAY = re.compile(r"[0-9]{2}-[0-9]{2}")
DAYS = re.compile(r"[A-Za-z]+(?:[-,][A-Za-z]+)*")
TZ = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*")
CAL = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
HTTP_METHOD = re.compile(r"GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS")
HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/+@]*")
PHONE = re.compile(r"\+[0-9]+")
SCALE_RANGE = re.compile(r"[0-9]+-[0-9]+")
DIGITS = re.compile(r"[0-9]+")
EXPR = re.compile(
    r"""(?:[^\s"'#\-]|-(?!>)|"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*')"""
    r"""(?:[^\r\n"'#\-]|-(?!>)|"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*')*"""
)

# Every keyword of the grammar (a test checks this against grammar.lark).
KEYWORDS = frozenset(
    """
    include flowc flow description entry locale locales agent key param returns var sensitive
    type default prompt schedule timezone holidays subdiv closed yearly special emergency
    service method url timeout header body retries queue mailbox number field menu collect
    switch hours fetch set play transfer voicemail record callback survey subflow return
    hangup goto say speech inter digit no input match on fail repeat into min max terminator
    pattern confirm if else open holiday error priority announce every wait exit after mode
    length beep thanks ask with tags tts audio money digits date time ordinal off yes true
    false null yes_no escalate failures option when rank renumber first
    """.split()
)
SAY_KINDS = ("number", "money", "digits", "date", "time", "ordinal")
PART_KEYS = ("tts", "audio", "prompt", "say")
NODE_KINDS = (
    "menu",
    "collect",
    "switch",
    "hours",
    "fetch",
    "set",
    "play",
    "queue",
    "transfer",
    "voicemail",
    "record",
    "callback",
    "survey",
    "subflow",
    "return",
    "hangup",
    "goto",
)


class Unrepresentable(Exception):
    """This value has no dedicated syntax here: the caller falls back to a literal."""


def _fm(rx: re.Pattern[str], value: Any) -> bool:
    return isinstance(value, str) and rx.fullmatch(value) is not None


# ----------------------------------------------------------------------------- scalar pieces


def plain_name(value: Any) -> str:
    """NAME-or-quoted positions (definitions, `prompt x`): keywords must be quoted."""
    if not isinstance(value, str):
        raise Unrepresentable
    if _fm(IDENT, value) and value not in KEYWORDS:
        return value
    return quote(value)


def soft_name(value: Any) -> str:
    """`name` positions (variables, `entry`, assignments): identifiers, keywords included."""
    if _fm(IDENT, value):
        return str(value)
    raise Unrepresentable


def arrow(value: Any) -> str:
    if not isinstance(value, str):
        raise Unrepresentable
    return f"-> {value}" if _fm(IDENT, value) else f"-> {quote(value)}"


def number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unrepresentable
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Unrepresentable
        text = repr(value)
        return text if "." in text or "e" in text else text + ".0"
    return str(value)


def literal(value: Any) -> str:
    """A `value`: text, number, true/false/null or a list of those (no mappings)."""
    if isinstance(value, str):
        return quote(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise Unrepresentable


def json_literal(value: Any) -> str:
    """Any plain data, as the JSON-like literal `field` and raw nodes take."""
    if isinstance(value, dict):
        parts = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"cannot write a mapping key of type {type(k).__name__}")
            parts.append(f"{quote(k)}: {json_literal(v)}")
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(json_literal(v) for v in value) + "]"
    try:
        return literal(value)
    except Unrepresentable:
        raise ValueError(f"cannot write {value!r} in a flow file") from None


def duration(value: Any) -> str:
    if isinstance(value, str):
        return value if DURATION.fullmatch(value) else quote(value)
    return number(value)


def dtmf(value: Any) -> str:
    if not isinstance(value, str):
        raise Unrepresentable
    if DIGITS.fullmatch(value) or value == "*":
        return value
    return quote(value)


def onoff(value: Any) -> str:
    if value is True:
        return "on"
    if value is False:
        return "off"
    raise Unrepresentable


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise Unrepresentable
    return quote(value)


def word_or_text(value: Any) -> str:
    return plain_name(value)


def pattern_or_text(rx: re.Pattern[str], value: Any, keywords_ok: bool = True) -> str:
    if not isinstance(value, str):
        raise Unrepresentable
    if rx.fullmatch(value) and (keywords_ok or value not in KEYWORDS):
        return value
    return quote(value)


# ------------------------------------------------------------------------------------ prompts


def _is_locale_map(p: dict[str, Any]) -> bool:
    keys = [k for k in p if k != "barge_in"]
    return bool(keys) and all(_fm(LOCALE, k) and k not in PART_KEYS for k in keys)


def _barge(p: dict[str, Any]) -> str:
    if "barge_in" not in p:
        return ""
    return " barge-in " + onoff(p["barge_in"])


def _part(p: dict[str, Any]) -> str | None:
    """A single prompt part (`tts "x"`, `money "{b}"` ...) without its barge-in, or None."""
    keys = [k for k in p if k != "barge_in"]
    if len(keys) != 1 or keys[0] not in PART_KEYS:
        return None
    key = keys[0]
    v = p[key]
    if key == "say":
        if not isinstance(v, dict) or len(v) != 1:
            raise Unrepresentable
        ((kind, what),) = v.items()
        if kind not in SAY_KINDS:
            raise Unrepresentable
        return f"{kind} {text(what)}"
    if key == "prompt":
        return f"prompt {plain_name(v)}"
    return f"{key} {text(v)}"


def prompt_expr(p: Any) -> str:
    """A prompt as it follows a keyword on one line."""
    if isinstance(p, str):
        return quote(p)
    if isinstance(p, list):
        return _seq(p)
    if isinstance(p, dict):
        part = _part(p)
        if part is not None:
            return part + _barge(p)
        if _is_locale_map(p):
            entries = [(k, v) for k, v in p.items() if k != "barge_in"]
            if any(k in KEYWORDS for k, _ in entries[1:]):
                raise Unrepresentable  # would read as a keyword: use the block form
            return " ".join(f"{k} {_seq_value(v)}" for k, v in entries) + _barge(p)
    raise Unrepresentable


def _seq(items: list[Any]) -> str:
    if len(items) >= 2:
        return " + ".join(_atom(x) for x in items)
    return "[" + ", ".join(prompt_expr(x) for x in items) + "]"


def _seq_value(p: Any) -> str:
    """A locale's value inside an inline locale map: parts joined by `+`, else in parentheses."""
    if isinstance(p, list) and len(p) >= 2:
        return _seq(p)
    return _atom(p)


def _atom(p: Any) -> str:
    if isinstance(p, str):
        return quote(p)
    if isinstance(p, dict):
        part = _part(p)
        if part is not None and "barge_in" not in p:
            return part
    if isinstance(p, list) and len(p) < 2:
        return _seq(p)
    return "(" + prompt_expr(p) + ")"


def prompt_lines(head: str, p: Any, indent: int, path: Path) -> list[Line]:
    """`head` followed by a prompt: one line, or a block of locale lines when that reads better
    (or is the only way to write it)."""
    if isinstance(p, dict) and (_is_locale_map(p) or list(p) == ["barge_in"]):
        entries = [(k, v) for k, v in p.items() if k != "barge_in"]
        if len(entries) >= 2 or any(k in KEYWORDS for k, _ in entries) or not entries:
            lines = [Line(indent, head, (path,))]
            for k, v in entries:
                lines.append(Line(indent + 1, f"{k} {prompt_expr(v)}", ((*path, k),)))
            if "barge_in" in p:
                lines.append(Line(indent + 1, _barge(p).strip(), ((*path, "barge_in"),)))
            return lines
    return [Line(indent, f"{head} {prompt_expr(p)}", (path,))]


# -------------------------------------------------------------------------------------- nodes

# Node-level settings of every kind; `field`-written keys are everything else.
_COMMON = ("description", "tags")
# kind -> (settings in order); settings of menu/collect/callback live in the kind's mapping
_BODY_FIELDS = {
    "menu": (
        "prompt",
        "renumber",
        "first",
        "options",
        "speech",
        "timeout",
        "inter_digit_timeout",
        "retries",
        "no_input",
        "no_match",
        "on_fail",
        "on_no_input",
        "repeat_key",
        "agent_key",
    ),
    "collect": (
        "into",
        "prompt",
        "min",
        "max",
        "terminator",
        "pattern",
        "timeout",
        "inter_digit_timeout",
        "retries",
        "no_input",
        "no_match",
        "confirm",
        "sensitive",
        "speech",
        "on_fail",
    ),
    "callback": ("number", "prompt", "confirm"),
}
_NODE_FIELDS = {
    "menu": (),
    "collect": ("next",),
    "callback": ("next",),
    "switch": ("default",),
    "hours": ("open", "closed", "holiday", "emergency"),
    "fetch": ("next", "params", "set", "on_error", "on_timeout"),
    "set": ("next",),
    "play": ("next",),
    "queue": (
        "priority",
        "announce",
        "announce_every",
        "max_wait",
        "exit_key",
        "on_timeout",
        "on_no_agent",
        "on_exit",
        "after",
    ),
    "transfer": ("mode", "prompt", "on_fail"),
    "voicemail": ("prompt", "max_length", "next"),
    "record": ("prompt", "max_length", "beep", "next"),
    "survey": ("thanks", "next"),
    "subflow": ("next", "with", "set"),
    "return": (),
    "hangup": ("prompt",),
    "goto": (),
}
_GOTO_WORDS = {
    "on_fail": "on fail",
    "on_no_input": "on no input",
    "default": "else",
    "open": "open",
    "closed": "closed",
    "holiday": "holiday",
    "emergency": "emergency",
    "on_error": "on error",
    "on_timeout": "on timeout",
    "on_no_agent": "on no agent",
    "on_exit": "on exit",
    "after": "after",
}
_VALUE_WORDS = {
    "retries": ("retries", literal),
    "min": ("min", literal),
    "max": ("max", literal),
    "priority": ("priority", literal),
    "timeout": ("timeout", duration),
    "inter_digit_timeout": ("inter digit timeout", duration),
    "max_wait": ("max wait", duration),
    "max_length": ("max length", duration),
    "announce_every": ("announce every", duration),
    "repeat_key": ("repeat key", dtmf),
    "exit_key": ("exit key", dtmf),
    "terminator": ("terminator", dtmf),
    "agent_key": ("agent key", onoff),
    "renumber": ("renumber", onoff),
    "first": ("first", text),
    "sensitive": ("sensitive", onoff),
    "beep": ("beep", onoff),
    "pattern": ("pattern", text),
    "description": ("description", text),
    "number": ("number", text),
    "announce": ("announce", word_or_text),
    "mode": ("mode", word_or_text),
    "into": ("into", soft_name),
}
_PROMPT_WORDS = {
    "prompt": "say",
    "no_input": "no input",
    "no_match": "no match",
    "confirm": "confirm",
    "thanks": "thanks",
}
_ASSIGN_WORDS = {"params": "param", "set": "set", "with": "with", "return": "return"}


def _kind_of(node: dict[str, Any]) -> str | None:
    kinds = [k for k in node if k in NODE_KINDS]
    if len(kinds) == 2 and "set" in kinds:
        other = kinds[0] if kinds[1] == "set" else kinds[1]
        if other in ("fetch", "subflow"):
            return other
    return kinds[0] if len(kinds) == 1 else None


def _setting(key: str, value: Any, indent: int, path: Path, kind: str) -> list[Line]:
    """The line(s) of one node setting; Unrepresentable when its syntax cannot hold `value`."""
    if key in _GOTO_WORDS:
        return [Line(indent, f"{_GOTO_WORDS[key]} {arrow(value)}", (path,))]
    if key == "next":
        return [Line(indent, arrow(value), (path,))]
    if key in _VALUE_WORDS:
        word, fmt = _VALUE_WORDS[key]
        return [Line(indent, f"{word} {fmt(value)}", (path,))]
    if key == "speech" and kind == "collect":
        return [Line(indent, f"speech {onoff(value)}", (path,))]
    if key in _PROMPT_WORDS:
        return prompt_lines(_PROMPT_WORDS[key], value, indent, path)
    if key in _ASSIGN_WORDS:
        if not isinstance(value, dict) or not value:
            raise Unrepresentable
        word = _ASSIGN_WORDS[key]
        return [
            Line(indent, f"{word} {soft_name(k)} = {literal(v)}", ((*path, k),))
            for k, v in value.items()
        ]
    if key == "options":
        if not isinstance(value, dict) or not value:
            raise Unrepresentable
        out: list[Line] = []
        for k, v in value.items():
            if isinstance(v, str):
                out.append(Line(indent, f"{dtmf(k)} {arrow(v)}", ((*path, k),)))
            elif isinstance(v, dict):
                out += _option_lines(k, v, indent, (*path, k))
            elif isinstance(v, list) and len(v) >= 2:
                for i, alt in enumerate(v):
                    out += _option_lines(k, alt, indent, (*path, k, i))
            else:
                raise Unrepresentable
        return out
    if key == "speech":
        if not isinstance(value, dict) or not value:
            raise Unrepresentable
        return [
            Line(indent, f"speech {text(k)} {arrow(v)}", ((*path, k),)) for k, v in value.items()
        ]
    if key == "tags":
        if not isinstance(value, list) or not value:
            raise Unrepresentable
        return [Line(indent, "tags " + ", ".join(plain_name(t) for t in value), (path,))]
    raise Unrepresentable


def _expr(value: Any) -> str:
    """An expression as a quoted string: in single quotes when that spares escapes
    (`'plan == "broadband"'`)."""
    if isinstance(value, str) and '"' in value and not any(c in value for c in "'\\\r\n"):
        return f"'{value}'"
    return text(value)


def _option_lines(key: str, opt: Any, indent: int, path: Path) -> list[Line]:
    """`option 2 -> repair when '...' rank '...'`, then its `say` fragment."""
    if not isinstance(opt, dict) or "goto" not in opt or set(opt) - {"goto", "when", "rank", "say"}:
        raise Unrepresentable
    head = f"option {dtmf(key)} {arrow(opt['goto'])}"
    for word in ("when", "rank"):
        if word in opt:
            value = opt[word]
            head += f" {word} " + (
                number(value) if word == "rank" and not isinstance(value, str) else _expr(value)
            )
    lines = [Line(indent, head, (path,))]
    if "say" in opt:
        lines += prompt_lines("say", opt["say"], indent + 1, (*path, "say"))
    return lines


def _settings(
    node: dict[str, Any], keys: Sequence[str], indent: int, base: Path, kind: str, *, level: str
) -> list[Line]:
    """Lines for the known `keys` present in `node`, then `field` lines for the others."""
    lines: list[Line] = []
    for key in keys:
        if key in node:
            try:
                lines += _setting(key, node[key], indent, (*base, key), kind)
            except Unrepresentable:
                if level == "node" and kind in _BODY_FIELDS:
                    raise  # a `field` would land inside the kind's mapping
                lines.append(_field(key, node[key], indent, (*base, key)))
    return lines


def _field(key: str, value: Any, indent: int, path: Path) -> Line:
    """The `field key = <literal>` escape, for anything without a dedicated syntax."""
    name = key if _fm(IDENT, key) else quote(key)
    return Line(indent, f"field {name} = {json_literal(value)}", (path,))


def _arg(value: Any) -> str:
    """The optional argument after a node kind (NAME or quoted)."""
    if value is None:
        return ""
    return " " + plain_name(value)


def node_lines(name: str, node: Any, path: Path) -> list[Line]:
    head = f"{quote(name) if not _fm(IDENT, name) else name}:"
    try:
        if not isinstance(node, dict):
            raise Unrepresentable
        kind = _kind_of(node)
        if kind is None:
            raise Unrepresentable
        return _node(head, kind, node, path)
    except Unrepresentable:
        return [Line(0, f"{head} {json_literal(node)}", (path,))]


def _node(head: str, kind: str, node: dict[str, Any], path: Path) -> list[Line]:
    node_keys = _NODE_FIELDS[kind]
    value = node[kind]
    kpath = (*path, kind)
    first = f"{head} {kind}"
    body: list[Line] = []
    known = {kind, *node_keys, *_COMMON}
    # head argument and the kind's own value
    if kind in _BODY_FIELDS:
        if not isinstance(value, dict):
            raise Unrepresentable
        inner = dict(value)
        if kind == "collect" and "into" in inner and _fm(IDENT, inner["into"]):
            first += _arg(inner.pop("into"))
        if kind == "callback" and isinstance(inner.get("number"), str):
            first += " " + quote(inner.pop("number"))
        body_keys = [k for k in _BODY_FIELDS[kind] if k in inner]
        body += _settings(inner, body_keys, 1, kpath, kind, level="body")
        for key in inner:
            if key not in _BODY_FIELDS[kind]:
                body.append(_field(key, inner[key], 1, (*kpath, key)))
        if any(k not in known for k in node):
            raise Unrepresentable  # node-level extras of menu/collect/callback
    elif kind == "switch":
        if not isinstance(value, list):
            raise Unrepresentable
        for i, rule in enumerate(value):
            if not isinstance(rule, dict) or set(rule) != {"if", "goto"}:
                raise Unrepresentable
            cond = rule["if"]
            if not (_fm(EXPR, cond) and cond == cond.strip()):
                raise Unrepresentable
            body.append(Line(1, f"if {cond} {arrow(rule['goto'])}", ((*kpath, i),)))
    elif kind == "survey":
        if not isinstance(value, list):
            raise Unrepresentable
        for i, q in enumerate(value):
            body += _question(q, (*kpath, i))
    elif kind in ("set", "return"):
        if not isinstance(value, dict):
            raise Unrepresentable
        word = _ASSIGN_WORDS[kind]
        items = list(value.items())
        if len(items) == 1 and _fm(IDENT, items[0][0]) and items[0][0] not in KEYWORDS:
            k, v = items[0]
            first += f" {k} = {literal(v)}"
        else:
            body += [
                Line(1, f"{word} {soft_name(k)} = {literal(v)}", ((*kpath, k),)) for k, v in items
            ]
    elif kind == "play":
        if "prompt" in node:
            raise Unrepresentable
        if value is not None:
            lines = prompt_lines("say", value, 1, kpath)
            if len(lines) == 1:
                first += " " + prompt_expr(value)
            else:
                body += lines
    elif kind == "transfer":
        if isinstance(value, str) and (_fm(PHONE, value)):
            first += " " + value
        elif isinstance(value, int) and not isinstance(value, bool):
            first += " " + str(value)
        else:
            first += _arg(value)
    elif kind == "subflow":
        if value is not None:
            first += " " + text(value)
    else:
        first += _arg(value)
    # the rest of the node-level settings
    if "next" in node and "next" in node_keys:
        first += " " + arrow(node["next"])
    rest = [k for k in node_keys if k != "next"]
    body += _settings(node, rest, 1, path, kind, level="node")
    body += _settings(node, _COMMON, 1, path, kind, level="node")
    for key in node:
        if key not in known:
            body.append(_field(key, node[key], 1, (*path, key)))
    return [Line(0, first, (path, kpath)), *body]


def _question(q: Any, path: Path) -> list[Line]:
    if not isinstance(q, dict) or "id" not in q or "ask" not in q:
        raise Unrepresentable
    if set(q) - {"id", "ask", "scale", "retries"}:
        raise Unrepresentable
    head = f"ask {plain_name(q['id'])}"
    if "scale" in q:
        scale = q["scale"]
        if not (_fm(SCALE_RANGE, scale) or scale == "yes_no"):
            raise Unrepresentable
        head += f" {scale}"
    if "retries" in q:
        head += f" retries {literal(q['retries'])}"
    return prompt_lines(head, q["ask"], 1, path)


# ------------------------------------------------------------------------------------- header


def _var(name: str, spec: Any, path: Path) -> list[Line]:
    head = f"var {soft_name(name)}"
    if isinstance(spec, str) and _fm(IDENT, spec):
        return [Line(0, f"{head}: {spec}", (path,))]
    if not isinstance(spec, dict):
        raise Unrepresentable
    one_line = set(spec) <= {"type", "default", "sensitive"} and (
        "type" not in spec or _fm(IDENT, spec["type"])
    )
    if one_line and spec and set(spec) != {"type"}:
        try:
            line = head
            if "type" in spec:
                line += f": {spec['type']}"
            if "default" in spec:
                line += f" = {literal(spec['default'])}"
            if "sensitive" in spec:
                line += " sensitive" + ("" if onoff(spec["sensitive"]) == "on" else " off")
            return [Line(0, line, (path,))]
        except Unrepresentable:
            pass
    lines = [Line(0, head, (path,))]
    for key, value in spec.items():
        p = (*path, key)
        try:
            if key == "type":
                lines.append(Line(1, f"type {soft_name(value)}", (p,)))
            elif key == "default":
                lines.append(Line(1, f"default {literal(value)}", (p,)))
            elif key == "sensitive":
                lines.append(Line(1, f"sensitive {onoff(value)}", (p,)))
            elif key == "description":
                lines.append(Line(1, f"description {text(value)}", (p,)))
            else:
                raise Unrepresentable
        except Unrepresentable:
            lines.append(_field(key, value, 1, p))
    return lines


def _hours_val(value: Any) -> str:
    def one(v: Any) -> str:
        if v == "closed":
            return "closed"
        return pattern_or_text(TIME_RANGE, v)

    if isinstance(value, list):
        if len(value) < 2:
            raise Unrepresentable
        return ", ".join(one(v) for v in value)
    return one(value)


def _schedule(name: str, spec: Any, path: Path) -> list[Line]:
    if not isinstance(spec, dict):
        raise Unrepresentable
    head = f"schedule {plain_name(name)}"
    lines: list[Line] = []
    tz = spec.get("timezone")
    if "timezone" in spec:
        if not isinstance(tz, str):
            lines.append(_field("timezone", tz, 1, (*path, "timezone")))
        else:
            head += " " + pattern_or_text(TZ, tz)
    head_line = Line(0, head, (path, (*path, "timezone")))
    for key, value in spec.items():
        p = (*path, key)
        if key == "timezone":
            continue
        try:
            lines += _schedule_part(key, value, p)
        except Unrepresentable:
            lines.append(_field(key, value, 1, p))
    return [head_line, *lines]


def _schedule_part(key: str, value: Any, path: Path) -> list[Line]:
    if key == "weekly":
        if not isinstance(value, dict) or not value:
            raise Unrepresentable
        out = []
        for days, hours in value.items():
            if not isinstance(days, str):
                raise Unrepresentable
            day_text = days if _fm(DAYS, days) and days not in KEYWORDS else quote(days)
            out.append(Line(1, f"{day_text} {_hours_val(hours)}", ((*path, days),)))
        return out
    if key == "holidays":
        if not isinstance(value, dict) or set(value) - {"calendar", "subdiv", "closed", "yearly"}:
            raise Unrepresentable
        out = []
        if "calendar" in value or "subdiv" in value or not ({"closed", "yearly"} & set(value)):
            line = "holidays"
            paths: list[Path] = [path]
            if "calendar" in value:
                line += " " + pattern_or_text(CAL, value["calendar"], keywords_ok=False)
                paths.append((*path, "calendar"))
            if "subdiv" in value:
                line += " subdiv " + pattern_or_text(CAL, value["subdiv"], keywords_ok=False)
                paths.append((*path, "subdiv"))
            out.append(Line(1, line, tuple(paths)))
        for sub, rx in (("closed", DATES), ("yearly", MONTH_DAY)):
            if sub in value:
                items = value[sub]
                if not isinstance(items, list):
                    raise Unrepresentable
                joined = ", ".join(pattern_or_text(rx, d) for d in items)
                out.append(Line(1, f"{sub} {joined}".rstrip(), ((*path, sub),)))
        return out
    if key == "special":
        if not isinstance(value, dict) or not value:
            raise Unrepresentable
        return [
            Line(1, f"special {pattern_or_text(DATES, d)} {_hours_val(h)}", ((*path, d),))
            for d, h in value.items()
        ]
    if key == "emergency":
        return [Line(1, f"emergency {soft_name(value)}", (path,))]
    raise Unrepresentable


def _service(name: str, spec: Any, path: Path) -> list[Line]:
    if not isinstance(spec, dict):
        raise Unrepresentable
    head = f"service {plain_name(name)}"
    paths: list[Path] = [path]
    lines: list[Line] = []
    if _fm(HTTP_METHOD, spec.get("method")):
        head += " " + spec["method"]
        paths.append((*path, "method"))
    if isinstance(spec.get("url"), str):
        head += " " + quote(spec["url"])
        paths.append((*path, "url"))
    if "timeout" in spec:
        try:
            head += " timeout " + duration(spec["timeout"])
            paths.append((*path, "timeout"))
        except Unrepresentable:
            pass
    done = {p[-1] for p in paths[1:]}
    for key, value in spec.items():
        p = (*path, key)
        if key in done:
            continue
        try:
            if key == "method":
                lines.append(Line(1, f"method {text(value)}", (p,)))
            elif key == "headers":
                if not isinstance(value, dict) or not value:
                    raise Unrepresentable
                for h, v in value.items():
                    h_text = pattern_or_text(HEADER_NAME, h)
                    lines.append(Line(1, f"header {h_text} {literal(v)}", ((*p, h),)))
            elif key == "body":
                if not isinstance(value, dict) or not value:
                    raise Unrepresentable
                for k, v in value.items():
                    lines.append(Line(1, f"body {soft_name(k)} = {literal(v)}", ((*p, k),)))
            elif key == "retries":
                lines.append(Line(1, f"retries {literal(value)}", (p,)))
            else:
                raise Unrepresentable
        except Unrepresentable:
            lines.append(_field(key, value, 1, p))
    return [Line(0, head, tuple(paths)), *lines]


def _attrs(word: str, name: str, spec: Any, path: Path) -> list[Line]:
    if not isinstance(spec, dict):
        raise Unrepresentable
    head = f"{word} {plain_name(name)}"
    parts = []
    for key, value in spec.items():
        if not isinstance(key, str):
            raise Unrepresentable
        k = (
            key
            if (_fm(IDENT, key) and (key not in KEYWORDS or key == "description"))
            else quote(key)
        )
        if _fm(WORD, value) and value not in ("true", "false", "null"):
            v = value
        else:
            v = json_literal(value)
        parts.append((f"{k} {v}", (*path, key)))
    one = head + "".join(" " + p for p, _ in parts)
    if len(one) <= 80:
        return [Line(0, one, (path, *(p for _, p in parts)))]
    return [Line(0, head, (path,)), *(Line(1, t, (p,)) for t, p in parts)]


def _number(name: str, value: Any, path: Path) -> list[Line]:
    if isinstance(value, str):
        v = value if _fm(PHONE, value) else quote(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        v = str(value)
    else:
        raise Unrepresentable
    return [Line(0, f"number {plain_name(name)} {v}", (path,))]


_COLLECTIONS: dict[str, Callable[[str, Any, Path], list[Line]]] = {
    "variables": _var,
    "prompts": lambda n, v, p: prompt_lines(f"prompt {plain_name(n)}", v, 0, p),
    "schedules": _schedule,
    "services": _service,
    "queues": lambda n, v, p: _attrs("queue", n, v, p),
    "mailboxes": lambda n, v, p: _attrs("mailbox", n, v, p),
    "numbers": _number,
    "params": lambda n, v, p: [Line(0, f"param {soft_name(n)}: {soft_name(v)}", (p,))],
    "returns": lambda n, v, p: [Line(0, f"returns {soft_name(n)}: {soft_name(v)}", (p,))],
}


def _header_item(key: str, value: Any, data: dict[str, Any]) -> list[Line]:
    path: Path = (key,)
    if key == "flowc":
        return [Line(0, f"flowc {literal(value)}", (path,))]
    if key == "flow":
        if not isinstance(value, str):
            raise Unrepresentable
        line = f"flow {soft_name(value) if _fm(IDENT, value) else quote(value)}"
        paths: tuple[Path, ...] = (path,)
        if isinstance(data.get("description"), str):
            line += " " + quote(data["description"])
            paths += (("description",),)
        return [Line(0, line, paths)]
    if key == "description":
        if isinstance(value, str) and isinstance(data.get("flow"), str):
            return []  # written on the `flow` line
        return [Line(0, f"description {text(value)}", (path,))]
    if key == "entry":
        return [Line(0, f"entry {soft_name(value)}", (path,))]
    if key == "locale":
        return [Line(0, f"locale {pattern_or_text(LOCALE, value)}", (path,))]
    if key == "locales":
        if not isinstance(value, list):
            raise Unrepresentable
        tags = " ".join(pattern_or_text(LOCALE, v) for v in value)
        return [Line(0, f"locales {tags}".rstrip(), (path,))]
    if key == "agent_key":
        if not isinstance(value, dict) or set(value) != {"key", "goto"}:
            raise Unrepresentable
        return [Line(0, f"agent key {dtmf(value['key'])} {arrow(value['goto'])}", (path,))]
    if key == "escalate":
        if not isinstance(value, dict) or set(value) != {"after_failures", "goto"}:
            raise Unrepresentable
        count = value["after_failures"]
        if isinstance(count, bool) or not isinstance(count, int):
            raise Unrepresentable
        return [Line(0, f"escalate after {count} failures {arrow(value['goto'])}", (path,))]
    if key in _COLLECTIONS:
        if not isinstance(value, dict) or not value:
            raise Unrepresentable
        out: list[Line] = []
        write = _COLLECTIONS[key]
        multi = key in ("schedules", "services") or any(
            isinstance(v, dict) and len(v) > 1 for v in value.values()
        )
        for i, (name, item) in enumerate(value.items()):
            if not isinstance(name, str):
                raise Unrepresentable
            lines = write(name, item, (key, name))
            if multi and i and len(lines) > 1:
                out.append(Line(0, ""))
            out += lines
        out[0].paths = ((key,), *out[0].paths)
        return out
    raise Unrepresentable


def to_dsl(
    data: dict[str, Any],
    comments: dict[Path, list[str]] | None = None,
    *,
    includes: Sequence[str] = (),
) -> str:
    """The canonical DSL text of a flow's plain data, with `comments` before their items.

    `includes` are written as `include "..."` lines after the first header lines (for
    formatters that parsed a file with `includes=False`)."""
    if not isinstance(data, dict):
        raise ValueError("a flow is a mapping")
    lines: list[Line] = []

    def add(block: list[Line], separate: bool) -> None:
        if block and lines and separate and lines[-1].text:
            lines.append(Line(0, ""))
        lines.extend(block)

    pending_includes = [Line(0, f"include {quote(inc)}") for inc in includes]
    for key, value in data.items():
        if not isinstance(key, str):
            raise ValueError(f"cannot write a key of type {type(key).__name__}")
        if key == "nodes":
            continue
        if pending_includes and key not in ("flowc", "flow", "description"):
            add(pending_includes, True)
            pending_includes = []
        try:
            item = _header_item(key, value, data)
        except Unrepresentable:
            item = [_field(key, value, 0, (key,))]
        multi = len(item) > 1 or key in _COLLECTIONS
        add(item, multi or (bool(lines) and lines[-1].indent > 0))
    add(pending_includes, True)
    if "nodes" in data:
        nodes = data["nodes"]
        if isinstance(nodes, dict) and nodes and all(isinstance(k, str) for k in nodes):
            block: list[Line] = []
            for name, node in nodes.items():
                block += node_lines(name, node, ("nodes", name))
            block[0].paths = (("nodes",), *block[0].paths)
            add(block, True)
        else:
            add([_field("nodes", nodes, 0, ("nodes",))], True)
    return render(lines, comments)
