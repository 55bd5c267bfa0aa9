"""Helpers shared by the ESL tests: fixture loading, an independent reference parse,
a port of FreeSWITCH's argument tokenizer, and command parsing for fake switches."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "freeswitch"
FIXTURES = sorted(p.name for p in FIXTURE_DIR.glob("*.jsonl"))
OUTBOUND_FIXTURES = [f for f in FIXTURES if f.startswith("outbound_")]
INBOUND_FIXTURES = [f for f in FIXTURES if f.startswith("inbound_")]


@dataclass(frozen=True)
class Line:
    index: int
    dir: str
    data: str

    @property
    def raw(self) -> bytes:
        return self.data.encode()


def load(name: str) -> tuple[str, list[Line]]:
    rows = [json.loads(x) for x in (FIXTURE_DIR / name).read_text().splitlines() if x.strip()]
    note = rows[0]["note"]
    return note, [Line(i, r["dir"], r["data"]) for i, r in enumerate(rows[1:])]


def from_switch(name: str) -> list[Line]:
    return [line for line in load(name)[1] if line.dir == "from_switch"]


def to_switch(name: str) -> list[Line]:
    return [line for line in load(name)[1] if line.dir == "to_switch"]


def stream(name: str) -> bytes:
    return b"".join(line.raw for line in from_switch(name))


def chunked(data: bytes, rng: random.Random, lo: int = 1, hi: int = 7) -> Iterator[bytes]:
    pos = 0
    while pos < len(data):
        step = rng.randint(lo, hi)
        yield data[pos : pos + step]
        pos += step


def reference_parse(data: str) -> tuple[dict[str, str], bytes]:
    """Straightforward parse of ONE whole message (independent of the parser under test)."""
    head, sep, rest = data.partition("\n\n")
    assert sep, "fixture message without a blank line"
    headers: dict[str, str] = {}
    for line in head.split("\n"):
        name, colon, value = line.partition(": ")
        assert colon, line
        headers.setdefault(name, unquote(value))
    length = int(headers.get("Content-Length", "0"))
    body = rest.encode()
    assert len(body) == length, "fixture Content-Length mismatch"
    return headers, body


def reference_event(data: str) -> tuple[str, dict[str, str], str]:
    """(format, headers, body) of an event message, parsed independently."""
    headers, body = reference_parse(data)
    ctype = headers.get("Content-Type")
    if ctype == "text/event-json":
        obj = json.loads(body)
        ebody = obj.pop("_body", "")
        return "json", {k: v for k, v in obj.items()}, ebody
    assert ctype == "text/event-plain", ctype
    text = body.decode()
    head, _, rest = text.partition("\n\n")
    ev: dict[str, str] = {}
    for line in head.split("\n"):
        name, _, value = line.partition(": ")
        value = unquote(value)
        ev.setdefault(name, "" if value == "_undef_" else value)
    n = int(ev.get("Content-Length", "0"))
    return "plain", ev, rest.encode()[:n].decode()


def parse_command(data: bytes) -> tuple[str, dict[str, str], bytes]:
    """(first line, lower-cased headers, body) of a client command."""
    head, _, rest = data.partition(b"\n\n")
    lines = head.decode().split("\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers, rest


def is_execute(data: bytes) -> bool:
    first, headers, _ = parse_command(data)
    return first.startswith("sendmsg") and headers.get("call-command") == "execute"


# -- port of FreeSWITCH switch_separate_string(buf, ' ', argv, n) -------------------------------


def _unescape_char(c: str) -> str:
    return {"n": "\n", "r": "\r", "t": "\t", "s": " "}.get(c, c)


def _cleanup(buf: list[str], start: int, stop: int) -> str:
    """cleanup_separated_string(str, 0) on buf[start:stop], writing in place like the C code."""
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
            if nxt in ("'", '"') or _unescape_char(nxt) != nxt:
                e = nxt if nxt in ("'", '"') else _unescape_char(nxt)
                ptr += 1
                buf[dest] = e
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
    if end is None:  # C writes no terminator: the (partly overwritten) original remains
        return "".join(buf[first:stop])
    return "".join(buf[first:end])


def fs_separate_blank(text: str, arraylen: int) -> list[str]:
    """separate_string_blank_delim + cleanup, as in FreeSWITCH's switch_utils.c."""
    buf = list(text)
    n = len(buf)
    starts: list[int] = []
    cuts: list[int] = []
    state = "START"
    inside = False
    ptr = 0
    while ptr < n and len(starts) < arraylen:
        if state == "START":
            starts.append(ptr)
            state = "SKIP_INITIAL_SPACE"
        elif state == "SKIP_INITIAL_SPACE":
            if buf[ptr] == " ":
                ptr += 1
            else:
                state = "FIND_DELIM"
        elif state == "FIND_DELIM":
            if buf[ptr] == "\\":
                ptr += 1
            elif buf[ptr] == "'":
                inside = not inside
            elif buf[ptr] == " " and not inside:
                cuts.append(ptr)
                state = "SKIP_ENDING_SPACE"
            ptr += 1
        else:  # SKIP_ENDING_SPACE
            if buf[ptr] == " ":
                ptr += 1
            else:
                state = "START"
    out = []
    for i, start in enumerate(starts):
        stop = cuts[i] if i < len(cuts) else n
        out.append(_cleanup(buf, start, stop))
    return out
