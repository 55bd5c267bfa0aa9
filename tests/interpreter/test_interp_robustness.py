"""Hang-ups anywhere, unexpected events, the loop guard, bad IR."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from flowc.interpreter import Call, CallInfo, Program, ProgramError, event_from_json
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.interpreter.events import EventError
from tests.interpreter.flowkit import Driver, compile_yaml, kinds, only, program

FLOW = """
flow: r
services: {crm: {url: "http://crm/x"}}
queues: {q: {}}
nodes:
  a: {play: "hello", next: b}
  b:
    menu: {prompt: "press 1", options: {1: c}}
  c: {fetch: crm, next: d, on_error: d}
  d: {queue: q, after: e}
  e: {hangup: null}
"""


def _drive_to(state: str) -> Driver:
    d = Driver(program(FLOW))
    d.start()
    steps: list[tuple[type[ev.Event], dict[str, Any]]] = [
        (ev.Answered, {}),
        (ev.PromptDone, {}),
        (ev.Digits, {"digits": "1"}),
        (ev.FetchResult, {"request_id": "r1", "status": 200}),
        (ev.QueueResult, {"outcome": "answered"}),
    ]
    for event_type, fields in steps:
        if d.call.state == state:
            break
        d.send(event_type, **fields)
    assert d.call.state == state
    return d


@pytest.mark.parametrize(
    ("state", "node"),
    [
        ("answering", None),
        ("playing", "a"),
        ("collecting", "b"),
        ("fetching", "c"),
        ("queued", "d"),
    ],
)
def test_caller_hangup_anywhere_ends_with_only_end(state: str, node: str | None) -> None:
    d = _drive_to(state)
    out = d.send(ev.Hangup, cause="NORMAL_CLEARING")
    assert len(out) == 1 and isinstance(out[0], cmd.End)
    o = out[0].outcome
    assert o.kind == "caller_hangup" and o.node == node
    assert o.detail == {"cause": "NORMAL_CLEARING", "state": state}
    assert d.call.finished and d.call.state == "ended"
    assert d.send(ev.PromptDone) == [] and d.send(ev.Hangup) == []


def test_unexpected_events_are_traced_and_change_nothing() -> None:
    d = _drive_to("collecting")
    n = len(d.call.trace)
    late: list[tuple[type[ev.Event], dict[str, Any]]] = [
        (ev.PromptDone, {}),
        (ev.Answered, {}),
        (ev.FetchResult, {"request_id": "r1", "status": 200}),
        (ev.TimerFired, {"timer_id": "t1"}),
        (ev.QueueResult, {"outcome": "answered"}),
        (ev.AgentDone, {}),
        (ev.TransferResult, {"ok": True}),
        (ev.RecordDone, {"path": "x"}),
    ]
    for event_type, fields in late:
        assert d.send(event_type, **fields) == []
    assert [t.kind for t in d.call.trace[n:]] == ["ignored"] * 8
    assert d.call.state == "collecting"
    d.send(ev.Digits, digits="1")
    assert d.call.state == "fetching"


def test_events_before_start_and_a_second_start_are_ignored() -> None:
    call = Call(program(FLOW), CallInfo())
    t = datetime.fromisoformat("2026-03-02T10:00:00+08:00")
    assert call.handle(ev.Answered(at=t)) == []
    assert call.start(t) == [cmd.Answer()]
    assert call.start(t) == []
    assert [s.kind for s in call.trace] == ["ignored", "start", "note"]


def test_loop_guard_ends_a_busy_loop() -> None:
    flow = """
flow: loop
variables: {n: {type: int, default: 0}}
nodes:
  a: {set: {n: "{n + 1}"}, next: b}
  b: {goto: a}
"""
    d = Driver(program(flow, lint=False))
    out = d.answer()
    assert kinds(out)[-2:] == ["hangup", "end"]
    o = d.call.outcome
    assert o is not None and o.kind == "error" and o.detail["reason"] == "loop_guard"
    assert only(out, cmd.Hangup).cause == "NORMAL_TEMPORARY_FAILURE"
    assert any(t.kind == "error" and "loops" in t.why for t in d.call.trace)


def test_loop_through_input_is_not_a_busy_loop() -> None:
    flow = """
flow: ok
nodes:
  a: {play: "x", next: b}
  b: {goto: a}
"""
    d = Driver(program(flow, lint=False))
    d.answer()
    for _ in range(3000):
        assert kinds(d.send(ev.PromptDone, after=0.001)) == ["play"]


def test_naive_event_times_are_taken_as_utc() -> None:
    call = Call(program(FLOW), CallInfo())
    call.start(datetime(2026, 1, 1, 10))
    out = call.handle(ev.Answered(at=datetime(2026, 1, 1, 10, 0, 1)))
    assert kinds(out) == ["play"]


def test_unknown_locale_falls_back_to_the_default() -> None:
    call = Call(program(FLOW), CallInfo(locale="fr-FR"))
    assert call.locale == "en-US"
    assert "fr-FR" in call.trace[0].why


def test_program_errors() -> None:
    ir, _ = compile_yaml(FLOW)
    with pytest.raises(ProgramError, match="version"):
        Program.from_ir({**ir, "version": 99})
    with pytest.raises(ProgramError, match="unknown node kind"):
        Program.from_ir({**ir, "nodes": {**ir["nodes"], "x": {"kind": "teleport"}}})
    with pytest.raises(ProgramError, match="not a compiled flow"):
        Program.from_ir({"nodes": {}})
    bad = {**ir, "nodes": {**ir["nodes"], "x": {"kind": "set", "set": {"v": "{1 +}"}, "next": "a"}}}
    with pytest.raises(ProgramError, match="bad template"):
        Program.from_ir(bad)
    no_next = {**ir, "nodes": {**ir["nodes"], "a": {**ir["nodes"]["a"], "next": None}}}
    with pytest.raises(ProgramError, match="node `a`: malformed play node"):
        Program.from_ir(no_next)
    sub = {**ir, "nodes": {"s": {"kind": "subflow", "subflow": "m.yaml", "next": "s"}}}
    sub["entry"] = "s"
    with pytest.raises(ProgramError, match="no module IR"):
        Program.from_ir(sub)


def test_program_is_shared_between_calls() -> None:
    prog = program(FLOW)
    a, b = Driver(prog), Driver(prog)
    a.answer()
    b.answer()
    a.send(ev.PromptDone)
    assert a.call.state == "collecting" and b.call.state == "playing"


def test_event_json_round_trip_and_errors() -> None:
    t = datetime.fromisoformat("2026-03-02T10:00:00+08:00")
    events = [
        ev.Answered(at=t),
        ev.Digits("12", "#", "success", at=t),
        ev.SpeechResult("billing", 0.5, at=t),
        ev.SpeechNoMatch("no_input", at=t),
        ev.PromptDone(at=t),
        ev.TimerFired("t1", at=t),
        ev.FetchResult("r1", 200, {"a": [1]}, at=t),
        ev.FetchFailed("r1", "timeout", "slow", at=t),
        ev.QueueResult("exit_key", None, at=t),
        ev.AgentDone(at=t),
        ev.TransferResult(False, "USER_BUSY", at=t),
        ev.RecordDone("/x.wav", 10, at=t),
        ev.Hangup("NORMAL_CLEARING", at=t),
    ]
    for e in events:
        assert event_from_json(e.to_json()) == e
    for bad in [
        {"type": "nope", "at": t.isoformat()},
        {"type": "digits"},
        {"type": "digits", "at": "2026-03-02T10:00:00"},
        {"type": "digits", "at": t.isoformat(), "result": "maybe"},
        {"type": "digits", "at": t.isoformat(), "color": "red"},
        {"type": "transfer_result", "at": t.isoformat(), "ok": "yes"},
        "answered",
    ]:
        with pytest.raises(EventError):
            event_from_json(bad)
