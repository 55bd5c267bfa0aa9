"""Helpers for the emulator tests: the recorded sessions and a deterministic replay harness.

Parsing here is deliberately independent of the code under test: plain
``partition``/``unquote`` for header blocks and ``json.loads`` with
``object_pairs_hook=list`` (keeps header order and duplicate keys) for JSON.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from runtime.emulator import CallerScript, CallSpec, Channel, ChannelConfig
from runtime.emulator.profile import outbound_recordings
from runtime.esl.aio import AsyncESL

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "freeswitch"
OUTBOUND = sorted(p.name for p in FIXTURE_DIR.glob("outbound_*.jsonl"))

Pairs = list[tuple[str, str]]


@dataclass(frozen=True)
class Row:
    dir: str
    data: str


def load(name: str) -> tuple[str, list[Row]]:
    rows = [json.loads(x) for x in (FIXTURE_DIR / name).read_text().splitlines() if x.strip()]
    return rows[0]["note"], [Row(r["dir"], r["data"]) for r in rows[1:]]


def header_block(text: str) -> tuple[Pairs, str]:
    """(decoded header pairs in order, rest) of one header block + body."""
    head, _, rest = text.partition("\n\n")
    pairs: Pairs = []
    for line in head.split("\n"):
        name, _, value = line.partition(": ")
        pairs.append((name, unquote(value)))
    return pairs, rest


def event_pairs(data: str) -> Pairs | None:
    """The event inside a message (plain, JSON, or the connect reply), ``None`` otherwise."""
    outer, rest = header_block(data)
    d = dict(outer)
    ctype = d.get("Content-Type")
    if ctype == "text/event-json":
        obj = json.loads(rest, object_pairs_hook=list)
        return [(k, v) for k, v in obj if k not in ("_body",)]
    if ctype == "text/event-plain":
        inner, _ = header_block(rest)
        return inner
    if ctype == "command/reply" and "Event-Name" in d:
        return outer
    return None


def message_key(data: str) -> tuple[str | None, str | None, str | None, str | None]:
    """(Content-Type, Event-Name, Application, Reply-Text) of a message."""
    outer, _ = header_block(data)
    d = dict(outer)
    ev = event_pairs(data)
    e = dict(ev) if ev else {}
    reply = d.get("Reply-Text") if d.get("Content-Type") == "command/reply" else None
    return (d.get("Content-Type"), e.get("Event-Name"), e.get("Application"), reply)


def fixture_spec(name: str, script: CallerScript, **config: object) -> CallSpec:
    """A CallSpec that reproduces the recorded call's identity (UUID, caller, switch)."""
    _, rows = load(name)
    connect_reply = next(r for r in rows if r.dir == "from_switch")
    d = dict(header_block(connect_reply.data)[0])
    cfg = ChannelConfig(
        core_uuid=d["Core-UUID"],
        hostname=d["FreeSWITCH-Hostname"],
        ipv4=d["FreeSWITCH-IPv4"],
        ipv6=d["FreeSWITCH-IPv6"],
        start_epoch=int(d["Event-Date-Timestamp"]) / 1e6,
        seed=1,
        **{"profile": outbound_recordings(), **config},  # type: ignore[arg-type]
    )
    return CallSpec(
        caller=d["Caller-Caller-ID-Number"],
        caller_name=d["Caller-Caller-ID-Name"],
        did=d["Caller-Destination-Number"],
        uuid=d["Unique-ID"],
        script=script,
        config=cfg,
    )


def replay(name: str, spec: CallSpec, *, max_steps: int = 10_000) -> tuple[list[str], list[str]]:
    """Feed the fixture's to_switch messages into a Channel the way the recorder did.

    Before each command, virtual time is advanced (timer by timer) until the
    model has written as many messages as FreeSWITCH had when the recorder
    sent that command; at the end, until it has written as many as the
    recording holds (or has nothing left to do).  Returns (recorded
    from_switch messages, produced messages).
    """
    _, rows = load(name)
    ch = Channel(spec, now=0.0)
    produced: list[str] = []
    steps = 0

    def pump(count: int) -> None:
        nonlocal steps
        while True:
            produced.extend(o.data.decode() for o in ch.pop_output())
            if len(produced) >= count:
                return
            deadline = ch.next_deadline()
            steps += 1
            if deadline is None or steps > max_steps:
                return
            ch.advance(deadline)

    seen = 0
    for row in rows:
        if row.dir == "from_switch":
            seen += 1
            continue
        pump(seen)
        ch.receive_data(row.data.encode(), ch.now)
    pump(seen)
    expected = [r.data for r in rows if r.dir == "from_switch"]
    return expected, produced


# -- a small outbound-ESL application written with runtime.esl.aio --------------------------------


@dataclass
class AppLog:
    """What the test application saw, per call."""

    results: list[tuple[str | None, str | None, bool]]

    def __init__(self) -> None:
        self.results = []


def ivr_app(log: AppLog, *, pagd_timeout: float = 15.0) -> Callable[[AsyncESL], Awaitable[None]]:
    """answer; play_and_get_digits; hangup (unless the caller already hung up); exit."""
    from runtime.esl import ChannelHangup, ConnectionClosed
    from runtime.esl import commands as cmd

    async def handler(esl: AsyncESL) -> None:
        await esl.command(cmd.myevents("json"), timeout=5)
        await esl.command(cmd.linger(), timeout=5)
        await esl.execute("answer", timeout=5)
        arg = cmd.pagd_args(
            1, 4, 2, 4000, "#", "tone_stream://%(200,0,800)", "", "ivr_digits", r"\d+", 3000
        )
        try:
            done = await esl.execute("play_and_get_digits", arg, timeout=pagd_timeout)
            log.results.append(
                (done.variable("read_result"), done.variable("ivr_digits"), esl.hangup_seen)
            )
        except (ChannelHangup, ConnectionClosed):
            log.results.append((None, None, True))
        if not esl.hangup_seen:
            await esl.execute("hangup", "NORMAL_CLEARING", timeout=5)
        await esl.wait_disconnect_notice(timeout=5)
        await esl.exit(timeout=5)

    return handler
