"""Small ports of FreeSWITCH helpers the applications rely on.

* ``separate_string``: ``switch_separate_string(buf, ' ', argv, n)`` (blank
  delimiter): runs of spaces collapse, single quotes group (and are
  removed), ``\\'`` ``\\"`` ``\\n`` ``\\r`` ``\\t`` ``\\s`` are unescaped, the
  last of ``n`` arguments takes the rest of the string.  An empty argument
  therefore vanishes and shifts every later one (see
  ``outbound_pagd_unquoted_prompt_json``).
* ``atoi``: C ``atoi``.
* ``regex_match``: ``switch_regex_match`` (PCRE, unanchored; an invalid
  pattern never matches).
* ``expand_variables``: ``${name}`` from the channel variables (unknown names
  expand to nothing), which is what ``switch_channel_expand_variables`` does
  for plain variable references.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["atoi", "expand_variables", "regex_match", "separate_string"]


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


def _compile(pattern: str) -> re.Pattern[str] | None:
    flags = 0
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


_VAR_REF = re.compile(r"\$\{([A-Za-z0-9_.\-]+)\}")


def expand_variables(text: str, lookup: Callable[[str], str | None]) -> str:
    if "${" not in text:
        return text
    return _VAR_REF.sub(lambda m: lookup(m.group(1)) or "", text)
