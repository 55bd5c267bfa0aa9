"""Helpers shared by the ESL tests: fixture loading, an independent reference parse,
a port of FreeSWITCH's argument tokenizer, and command parsing for fake switches."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from runtime.emulator.fsutil import separate_string

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


def fs_separate_blank(text: str, arraylen: int) -> list[str]:
    """FreeSWITCH's argument splitter (switch_separate_string on blanks): one port, shared
    with the emulator, which needs it to run play_and_get_digits as the switch does."""
    return separate_string(text, arraylen)
