"""The replay log (runtime.replay_log) and the replay engine (flowc.replay) on a small flow:
a call recorded as the runtime's driver records it, then replayed through changed versions.
Each divergence kind comes from a change that makes it and from no other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from flowc.interpreter import Call, CallInfo, Program
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.replay import RecordedCall, build_report, render, replay_call
from flowc.replay.engine import (
    DIFFERENT_END,
    DIFFERENT_PATH,
    INPUTS_NO_LONGER_FIT,
    NEW_PROMPTS,
    UNRECORDED_LOOKUP,
)
from flowc.replay.fields import prune
from runtime.journal import ReplayLog
from runtime.replay_log import ReplayRecorder
from tests.interpreter.flowkit import program

FLOW = """
flow: mini
variables:
  pin: {type: string, sensitive: true}
  balance: {type: float, default: 0}
services:
  acct: {url: 'http://acct.invalid/v1/balance'}
queues:
  general: {skill: retail}
nodes:
  menu:
    menu:
      prompt: "For your balance press 1. For an agent press 0."
      options: {'1': ask_pin, '0': agent}
      on_fail: agent
  ask_pin:
    collect:
      into: pin
      prompt: "Please key in your PIN, then hash."
      min: 4
      max: 4
      terminator: '#'
      pattern: '^[0-9]{4}$'
      on_fail: agent
    next: lookup
  lookup:
    fetch: acct
    set: {balance: '{result.balance}'}
    next: report
    on_error: agent
  report:
    play: "Your balance is {balance}."
    next: bye
  bye: {hangup: NORMAL_CLEARING}
  agent: {queue: general}
"""
START = datetime.fromisoformat("2026-03-02T10:00:00+08:00")
BODY = {"balance": 120.5, "owner": {"name": "Li Lei", "id_no": "110101199003071234"}}


@dataclass
class FakeJournal:
    logs: list[ReplayLog] = field(default_factory=list)

    def record(self, item: Any) -> None:
        if isinstance(item, ReplayLog):
            self.logs.append(item)


@dataclass
class FakeBundle:
    hash: str = "sha256:test"
    versions: dict[str, str] = field(default_factory=lambda: {"mini": "sha256:mini"})


class FakeDriver:
    """What the recorder reads of `runtime.driver.CallDriver`."""

    def __init__(self, prog: Program, call: Call) -> None:
        self.program = prog
        self.call = call
        self.journal = FakeJournal()
        self.flow = prog.name
        self.bundle = FakeBundle()
        self.info = call.info
        self.call_id = "c-1"
        self.clock = START

    def now(self) -> datetime:
        return self.clock


Answer = Callable[[cmd.Command, datetime], ev.Event | None]


def record(prog: Program, keys: list[str], body: Any = BODY) -> RecordedCall:
    """Run a call the way the driver does (commands and events through the recorder), the
    caller pressing `keys` one per collect, then hanging up; the look-up answering `body`."""
    call = Call(prog, CallInfo(caller_number="+8613800000000", did="5000", call_id="c-1"))
    driver = FakeDriver(prog, call)
    observe = ReplayRecorder(driver, None, driver.journal)
    now = START
    commands = call.start(now)
    pending = list(keys)
    for _ in range(100):
        event: ev.Event | None = None
        for c in commands:
            observe("c-1", c)
            if isinstance(c, cmd.End):
                break
            now += timedelta(seconds=1)
            if isinstance(c, cmd.Answer):
                event = ev.Answered(at=now)
            elif isinstance(c, cmd.Play):
                event = ev.PromptDone(at=now)
            elif isinstance(c, cmd.Collect):
                if pending:
                    key = pending.pop(0)
                    term = "#" if key.endswith("#") else None
                    event = ev.Digits(key.rstrip("#"), term, "success", at=now)
                else:
                    event = ev.Hangup("NORMAL_CLEARING", at=now)
            elif isinstance(c, cmd.Fetch):
                event = ev.FetchResult(c.request_id, 200, body, at=now)
            elif isinstance(c, cmd.Enqueue):
                event = ev.QueueResult("answered", "1001", at=now)
        if call.finished or event is None:
            break
        observe("c-1", event)
        commands = call.handle(event)
    (log,) = driver.journal.logs
    return RecordedCall.from_log(log.call_id, log.data)


@pytest.fixture(scope="module")
def mini() -> Program:
    return program(FLOW)


def variant(**edits: str) -> Program:
    text = FLOW
    for old, new in edits.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return program(text)


def test_the_log_keeps_no_secret_and_only_the_fields_read(mini: Program) -> None:
    rec = record(mini, ["1", "4321#"])
    pin = next(e for e in rec.events if e.get("k") == "#")
    assert pin["v"] == 1 and "d" not in pin  # a valid entry, never its digits
    assert "4321" not in repr(rec.events)
    fetched = next(e for e in rec.events if e["t"] == "fetch_result")
    assert fetched["b"] == {"balance": 120.5} and fetched["s"] == "acct"
    assert rec.path == ["menu", "ask_pin", "lookup", "report", "bye"]
    assert (rec.end_kind, rec.end_node) == ("hangup", "bye")
    assert rec.events[0] == {"t": "answered", "ms": 1000}


def test_an_unchanged_flow_replays_identical(mini: Program) -> None:
    for keys in (["1", "4321#"], ["0"], ["9", "9", "9"], ["1", "12#", "5555#"], []):
        rec = record(mini, keys)
        res = replay_call(mini, rec)
        assert res.identical, (keys, res.kinds, res.path, rec.path)


def test_a_reworded_prompt_is_new_prompts_on_the_same_path(mini: Program) -> None:
    rec = record(mini, ["1", "4321#"])
    res = replay_call(variant(**{"Your balance is": "Balance:"}), rec)
    assert res.kinds == {NEW_PROMPTS} and res.new_prompt_nodes == {"report"}
    assert res.path == rec.path


def test_a_moved_branch_is_a_different_end(mini: Program) -> None:
    rec = record(mini, ["0"])
    res = replay_call(variant(**{"'0': agent}": "'0': bye}"}), rec)
    assert DIFFERENT_END in res.kinds
    assert res.split == ("menu", "agent", "bye")


def test_a_new_lookup_is_not_recorded(mini: Program) -> None:
    rec = record(mini, ["0"])
    changed = variant(**{"'0': agent}": "'0': lookup}"})
    res = replay_call(changed, rec)
    # the look-up fails (not recorded), its on_error leads to the same queue: the same end
    assert res.kinds == {UNRECORDED_LOOKUP, DIFFERENT_PATH}
    assert res.path == ["menu", "lookup", "agent"]


def test_inputs_that_no_longer_fit(mini: Program) -> None:
    rec = record(mini, ["1", "4321#"])
    res = replay_call(variant(**{"'^[0-9]{4}$'": "'^9[0-9]{3}$'"}), rec)
    # a secret valid entry is replayed as digits the new pattern takes: it still fits
    assert INPUTS_NO_LONGER_FIT not in res.kinds
    rec = record(mini, ["1", "4321#"])
    six = variant(**{"max: 4": "max: 6", "{4}$'": "{4,6}$'"})
    assert INPUTS_NO_LONGER_FIT not in replay_call(six, rec).kinds
    # no entry fits both the lengths and the pattern any more
    never = variant(**{"min: 4": "min: 5", "max: 4": "max: 5"})
    res = replay_call(never, rec)
    assert INPUTS_NO_LONGER_FIT in res.kinds and DIFFERENT_END in res.kinds
    rec = record(mini, ["0"])
    res = replay_call(variant(**{"'1': ask_pin, '0': agent": "'1': ask_pin, '2': agent"}), rec)
    assert INPUTS_NO_LONGER_FIT in res.kinds  # key 0 is no option any more


def test_a_new_option_for_a_key_pressed_in_vain_is_a_different_path(mini: Program) -> None:
    rec = record(mini, ["9", "0"])
    assert rec.end_kind == "queued"
    res = replay_call(variant(**{"'0': agent}": "'0': agent, '9': agent}"}), rec)
    # the queue's recorded answer is found past the key the new version no longer asks for
    assert res.kinds == {DIFFERENT_PATH}
    assert res.path == ["menu", "agent"]


def test_old_rows_replay_from_their_steps(mini: Program) -> None:
    call = {
        "call_id": "old-1",
        "flow": "mini",
        "flow_version": "sha256:old",
        "did": "5000",
        "caller": "+8613800000000",
        "started_at": START,
        "ended_at": START + timedelta(seconds=9),
        "outcome": "queued",
        "end_node": "agent",
        "detail": {},
    }
    steps = [
        {"node": "menu", "kind": "menu", "at": START, "input": "0", "outcome": "agent"},
        {"node": "agent", "kind": "queue", "at": START, "input": None, "outcome": "answered"},
    ]
    rec = RecordedCall.from_steps(call, steps)
    res = replay_call(mini, rec)
    assert res.identical and rec.source == "steps"
    report = build_report([(rec, res)])
    assert "replayed from their steps only" in render(report)


def test_the_report_counts_kinds_and_gates(mini: Program) -> None:
    moved = variant(**{"'0': agent}": "'0': bye}"})
    recs = [record(mini, keys) for keys in (["0"], ["1", "4321#"], ["0"])]
    for i, r in enumerate(recs):
        r.call_id = f"c{i}"
    report = build_report([(r, replay_call(moved, r)) for r in recs])
    assert report.calls == 3 and report.identical == 1
    assert report.counts[DIFFERENT_END] == 2
    assert report.paths[0]["examples"] == ["c0", "c2"] and report.paths[0]["at"] == "menu"
    assert report.ends_changed_pct == pytest.approx(200 / 3)
    assert report.nodes[0]["node"] == "menu" and report.nodes[0]["calls_reaching_now"] == 3
    md = render(report, "markdown")
    assert "| different end | 2 | 66.7% |" in md and "c0, c2" in md


def test_prune_keeps_read_paths_and_masks_without_touching_the_answer() -> None:
    body = {"a": {"b": 1, "pin": "9999"}, "c": 2}
    kept = prune(body, frozenset({("a",)}), frozenset({("a", "pin")}))
    assert kept == {"a": {"b": 1, "pin": "****"}}
    assert body["a"]["pin"] == "9999"  # the call's own answer is not changed
    assert prune(body, frozenset({()}), frozenset()) is body
    assert prune([1, 2], frozenset({("x",)}), frozenset()) is None


def test_every_example_scenario_recorded_in_the_simulator_replays_identical() -> None:
    """All scenarios of every example (speech, voicemail, recordings, transfers, subflows,
    the survey after an agent included), recorded by the runtime's recorder watching the
    simulator's call, replay identically through the same programs."""
    from bench.replay import recorded_examples

    programs, calls = recorded_examples()
    assert len(programs) >= 4 and len(calls) >= 150
    kinds = {t for c in calls for t in (e["t"] for e in c.events)}
    assert {"speech_result", "record_done", "transfer_result", "agent_done"} <= kinds
    changed = [
        (c.call_id, sorted(r.kinds))
        for c in calls
        if not (r := replay_call(programs[c.flow], c)).identical
    ]
    assert changed == []
