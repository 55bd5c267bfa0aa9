"""Small ports of FreeSWITCH helpers the applications rely on.

* ``separate_string``: ``switch_separate_string(buf, ' ', argv, n)`` (blank
  delimiter): runs of spaces collapse, single quotes group (and are
  removed), ``\\'`` ``\\"`` ``\\n`` ``\\r`` ``\\t`` ``\\s`` are unescaped, the
  last of ``n`` arguments takes the rest of the string.  An empty argument
  therefore vanishes and shifts every later one (see
  ``outbound_pagd_unquoted_prompt_json``).
* ``separate_string_char``: ``switch_separate_string`` with any other
  delimiter (``separate_string_char_delim`` + ``cleanup_separated_string``):
  no collapsing, a single quote only groups when another one follows, ``\\``
  escapes the delimiter too; leading blanks and trailing blanks outside
  quotes are dropped.
* ``atoi``: C ``atoi``.
* ``regex_match``: ``switch_regex_match`` (PCRE, unanchored; an invalid
  pattern never matches); ``regex_search``: the same with the match (its groups), ASCII
  classes as PCRE without UTF mode (``switch_regex_perform``).
* ``expand_variables``: ``${name}`` from the channel variables (unknown names
  expand to nothing), which is what ``switch_channel_expand_variables`` does
  for plain variable references.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = [
    "atoi",
    "expand_variables",
    "regex_match",
    "regex_search",
    "separate_string",
    "separate_string_char",
]


def atoi(text: str | None) -> int:
    if not text:
        return 0
    m = re.match(r"\s*([+-]?\d+)", text)
    return int(m.group(1)) if m else 0


def _unescape(c: str) -> str:
    return {"n": "\n", "r": "\r", "t": "\t", "s": " "}.get(c, c)


def _cleanup(buf: list[str], start: int, stop: int) -> str:
    """``cleanup_separated_string``: drop the quotes, unescape, trim trailing blanks."""
    ptr = start
    while ptr < stop and buf[ptr] == " ":
        ptr += 1
    first = dest = ptr
    end: int | None = None
    inside = False
    while ptr < stop:
        esc = False
        if buf[ptr] == "\\":
            nxt = buf[ptr + 1] if ptr + 1 < stop else "\0"
            if nxt in ("'", '"') or _unescape(nxt) != nxt:
                ptr += 1
                buf[dest] = nxt if nxt in ("'", '"') else _unescape(nxt)
                dest += 1
                end = dest
                esc = True
        if not esc:
            if buf[ptr] == "'":
                inside = not inside
            else:
                buf[dest] = buf[ptr]
                dest += 1
                if buf[ptr] != " " or inside:
                    end = dest
        ptr += 1
    if end is None:
        return "".join(buf[first:stop])
    return "".join(buf[first:end])


def separate_string(text: str, arraylen: int) -> list[str]:
    """``switch_separate_string(text, ' ', argv, arraylen)``."""
    buf = list(text)
    n = len(buf)
    starts: list[int] = []
    cuts: list[int] = []
    state = 0  # 0 START, 1 SKIP_INITIAL_SPACE, 2 FIND_DELIM, 3 SKIP_ENDING_SPACE
    inside = False
    ptr = 0
    while ptr < n and len(starts) < arraylen:
        if state == 0:
            starts.append(ptr)
            state = 1
        elif state == 1:
            if buf[ptr] == " ":
                ptr += 1
            else:
                state = 2
        elif state == 2:
            if buf[ptr] == "\\":
                ptr += 1
            elif buf[ptr] == "'":
                inside = not inside
            elif buf[ptr] == " " and not inside:
                cuts.append(ptr)
                state = 3
            ptr += 1
        else:
            if buf[ptr] == " ":
                ptr += 1
            else:
                state = 0
    out = []
    for i, start in enumerate(starts):
        stop = cuts[i] if i < len(cuts) else n
        out.append(_cleanup(buf, start, stop))
    return out


def _cleanup_delim(text: str, delim: str) -> str:
    """``cleanup_separated_string(str, delim)`` of switch_utils.c (the newer form)."""
    out: list[str] = []
    end: int | None = None
    inside = False
    i = 0
    n = len(text)
    while i < n and text[i] == " ":
        i += 1
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt in ("'", '"', "\\", delim) or _unescape(nxt) != nxt:
                out.append(nxt if nxt in ("'", '"', "\\", delim) else _unescape(nxt))
                end = len(out)
                i += 2
                continue
        if c == "'" and (inside or "'" in text[i + 1 :]):
            inside = not inside
            if inside:
                end = len(out)
        else:
            out.append(c)
            if c != " " or inside:
                end = len(out)
        i += 1
    return "".join(out if end is None else out[:end])


def separate_string_char(text: str, delim: str, arraylen: int) -> list[str]:
    """``switch_separate_string(text, delim, argv, arraylen)`` for a delimiter other than blank.

    A ``^^<d>`` prefix replaces the delimiter by ``d`` (as switch_separate_string does
    itself); a blank delimiter goes to ``separate_string``.
    """
    if text.startswith("^^") and len(text) > 3:
        delim = text[2]
        text = text[3:]
    if delim == " ":
        return separate_string(text, arraylen)
    starts: list[int] = []
    cuts: list[int] = []
    inside = False
    ptr = 0
    n = len(text)
    state_start = True
    while ptr < n and len(starts) < arraylen:
        if state_start:
            starts.append(ptr)
            state_start = False
            continue
        c = text[ptr]
        if c == "\\":
            ptr += 1
        elif c == "'" and (inside or "'" in text[ptr + 1 :]):
            inside = not inside
        elif c == delim and not inside:
            cuts.append(ptr)
            state_start = True
        ptr += 1
    out = []
    for i, start in enumerate(starts):
        stop = cuts[i] if i < len(cuts) else n
        out.append(_cleanup_delim(text[start:stop], delim))
    return out


def _compile(pattern: str, flags: int = 0) -> re.Pattern[str] | None:
    if pattern.startswith("/"):
        body = pattern[1:]
        slash = body.rfind("/")
        if slash >= 0:
            opts = body[slash + 1 :]
            body = body[:slash]
            if "i" in opts:
                flags |= re.IGNORECASE
        pattern = body
    try:
        return re.compile(pattern, flags)
    except (re.error, RecursionError, OverflowError):
        return None


def regex_match(text: str, pattern: str) -> bool:
    compiled = _compile(pattern)
    return compiled is not None and compiled.search(text) is not None


def regex_search(text: str, pattern: str) -> re.Match[str] | None:
    compiled = _compile(pattern, re.ASCII)
    return compiled.search(text) if compiled is not None else None


_VAR_REF = re.compile(r"\$\{([A-Za-z0-9_.\-]+)\}")


def expand_variables(text: str, lookup: Callable[[str], str | None]) -> str:
    if "${" not in text:
        return text
    return _VAR_REF.sub(lambda m: lookup(m.group(1)) or "", text)
