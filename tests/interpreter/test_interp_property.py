"""Property tests: random event sequences never break a call.

- any events, in any order, with hang-ups anywhere: `handle` never raises, never reports an
  internal error, `End` is emitted once and last, and nothing comes after it;
- a "reasonable" host (it answers each command with an event of the kind the call waits
  for, the caller never presses a key) sees every call end within `REASONABLE_LIMIT` events.

Flows: small ones written here, every golden flow, and every examples/*.yaml that compiles.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.compiler.bundle import compile_checked
from flowc.compiler.ir import compile_flow
from flowc.interpreter import Call, CallInfo, Program
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.pipeline import check_file
from tests.interpreter.flowkit import compile_yaml, golden_names, load_golden

ROOT = Path(__file__).resolve().parents[2]
START = datetime.fromisoformat("2026-03-02T10:00:00+08:00")
REASONABLE_LIMIT = 400

SMALL = {
    "menu_loop": """
flow: menu_loop
agent_key: {key: "0", goto: agent}
queues: {q: {}}
services: {crm: {url: "http://crm/{caller.number}", timeout: 1s}}
variables: {pin: {type: string, sensitive: true}, n: {type: int, default: 0}}
nodes:
  main:
    menu:
      prompt: "1 lookup, 2 pin, 3 agent"
      options: {1: look, 2: pin, 3: agent}
      speech: {lookup: look}
      repeat_key: "*"
      no_input: ["hello?"]
      on_fail: agent
  look: {fetch: crm, set: {n: "{result.n}"}, next: main, on_error: main}
  pin:
    collect: {into: pin, prompt: "PIN", min: 4, max: 4, sensitive: true, on_fail: main}
    next: main
  agent: {queue: q, on_timeout: main, after: survey}
  survey:
    survey: [{id: csat, ask: "1 to 5"}]
    next: bye
  bye: {hangup: null}
""",
}


EXAMPLE_FAILURES: dict[str, str] = {}


def _load_examples() -> dict[str, Program]:
    """Every example that passes `flowc check` (the others are the linter's business)."""
    out: dict[str, Program] = {}
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        checked = check_file(path)
        if not checked.ok:
            continue
        try:
            ir, _ = compile_checked(checked)
            modules = {
                ref: compile_flow(flow) for ref, flow in checked.modules.items() if flow is not None
            }
            out[f"example:{path.name}"] = Program.from_ir(ir, modules)
        except Exception as exc:
            EXAMPLE_FAILURES[path.name] = f"{type(exc).__name__}: {exc}"
    return out


def _programs() -> dict[str, Program]:
    progs: dict[str, Program] = {}
    for name, text in SMALL.items():
        ir, mods = compile_yaml(text)
        progs[name] = Program.from_ir(ir, mods)
    for name in golden_names():
        g = load_golden(name)
        ir, mods = compile_yaml(g.flow, g.modules)
        progs[f"golden:{name}"] = Program.from_ir(ir, mods)
    progs.update(_load_examples())
    return progs


PROGRAMS = _programs()


def test_every_valid_example_compiles_to_a_program() -> None:
    assert EXAMPLE_FAILURES == {}


IDS = st.sampled_from(["r1", "r2", "r3", "t1", "t2", "t3", "t4", "x"])
KEYS = st.sampled_from(["", "0", "1", "2", "3", "4", "5", "9", "10", "*", "#", "1234", "12345678"])


def _event(kind: str, draw: Any, at: datetime) -> ev.Event:
    if kind == "digits":
        return ev.Digits(
            draw(KEYS),
            draw(st.sampled_from([None, "#"])),
            draw(st.sampled_from(["success", "timeout", "failure"])),
            at=at,
        )
    if kind == "speech_result":
        return ev.SpeechResult(draw(st.sampled_from(["billing", "lookup", "话费", "x"])), at=at)
    if kind == "speech_no_match":
        return ev.SpeechNoMatch(draw(st.sampled_from(["no_match", "no_input"])), at=at)
    if kind == "timer_fired":
        return ev.TimerFired(draw(IDS), at=at)
    if kind == "fetch_result":
        body = draw(st.sampled_from([None, {}, {"n": 1, "tier": "gold"}, [1], "x"]))
        return ev.FetchResult(draw(IDS), draw(st.sampled_from([200, 204, 404, 500])), body, at=at)
    if kind == "fetch_failed":
        return ev.FetchFailed(draw(IDS), draw(st.sampled_from(["timeout", "error"])), at=at)
    if kind == "queue_result":
        outcome = draw(st.sampled_from(["answered", "timeout", "no_agent", "exit_key"]))
        return ev.QueueResult(outcome, "a1", at=at)
    if kind == "transfer_result":
        return ev.TransferResult(draw(st.booleans()), "X", at=at)
    if kind == "record_done":
        return ev.RecordDone("/r.wav", 100, at=at)
    return ev.EVENT_TYPES[kind](at=at)


def _check_commands(call: Call, out: list[cmd.Command], ended_before: bool) -> None:
    if ended_before:
        assert out == []
        return
    ends = [i for i, c in enumerate(out) if isinstance(c, cmd.End)]
    if call.finished:
        assert ends == [len(out) - 1]
        assert call.outcome is not None
        assert call.outcome.detail.get("reason") != "internal_error", call.trace[-3:]
    else:
        assert ends == []
    for c in out:
        c.to_json()
        repr(c)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_random_events_never_break_a_call(name: str, data: st.DataObject) -> None:
    prog = PROGRAMS[name]
    call = Call(prog, CallInfo("+8613800000000", "x", "5000", call_id="c1"))
    now = START
    if data.draw(st.booleans()):
        _check_commands(call, call.start(now), False)
    kinds = st.sampled_from(sorted(ev.EVENT_TYPES))
    hung_up = False
    for _ in range(data.draw(st.integers(0, 40))):
        now += timedelta(milliseconds=data.draw(st.integers(0, 5000)))
        kind = data.draw(kinds)
        event = _event(kind, data.draw, now)
        ended_before = call.finished
        started = call.state != "new"
        out = call.handle(event)
        _check_commands(call, out, ended_before)
        if kind == "hangup" and started and not ended_before:
            hung_up = True
            assert call.finished
            assert [c.type for c in out] == ["end"]
    if hung_up:
        assert call.finished
    for step in call.trace:
        step.to_json()


def _reasonable(out: list[cmd.Command], draw: Any, at: datetime) -> ev.Event:
    """What a working host (and a silent caller) answers to the last command."""
    waiting = [c for c in out if not isinstance(c, cmd.Journal | cmd.SetVariable | cmd.StartTimer)]
    last = waiting[-1] if waiting else None
    if isinstance(last, cmd.Answer):
        return ev.Answered(at=at)
    if isinstance(last, cmd.Play):
        return ev.PromptDone(at=at)
    if isinstance(last, cmd.Collect):
        return ev.Digits("", None, "timeout", at=at)
    if isinstance(last, cmd.Fetch):
        choice = draw(st.integers(0, 3))
        if choice == 0:
            return ev.FetchResult(last.request_id, 200, {}, at=at)
        if choice == 1:
            return ev.FetchResult(last.request_id, 503, None, at=at)
        return ev.FetchFailed(last.request_id, "timeout" if choice == 2 else "error", at=at)
    if isinstance(last, cmd.Enqueue):
        outcome = draw(st.sampled_from(["answered", "timeout", "no_agent", "exit_key"]))
        return ev.QueueResult(outcome, "agent", at=at)
    if isinstance(last, cmd.Transfer):
        return ev.TransferResult(draw(st.booleans()), "USER_BUSY", at=at)
    if isinstance(last, cmd.Voicemail | cmd.Record):
        return ev.RecordDone("/r.wav", 1000, at=at)
    # queued and answered: the agent conversation ends
    return ev.AgentDone(at=at)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_reasonable_hosts_see_every_call_end(name: str, data: st.DataObject) -> None:
    prog = PROGRAMS[name]
    locale = data.draw(st.sampled_from([None, *prog.locales]))
    call = Call(prog, CallInfo("+8613800000000", "x", "5000", locale), flags={})
    now = START + timedelta(hours=data.draw(st.integers(0, 24 * 14)))
    out = call.start(now)
    for _ in range(REASONABLE_LIMIT):
        if call.finished:
            break
        now += timedelta(seconds=1)
        out = call.handle(_reasonable(out, data.draw, now))
        assert out or call.finished, call.trace[-3:]
    assert call.finished, f"still running after {REASONABLE_LIMIT} events: {call.trace[-5:]}"
    assert call.outcome is not None and call.outcome.kind != "error", call.trace[-5:]
