"""`Call.restore`: a call rebuilt at a queue's `after` node from the state saved elsewhere."""

from __future__ import annotations

from typing import Any

import pytest

from flowc.interpreter import MASK
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from tests.interpreter.flowkit import Driver, kinds, only, program

FLOW = """
flow: r
variables:
  tier: {type: string, default: basic}
  visits: {type: int, default: 0}
  score: {type: float, default: 0.0}
  vip: {type: bool, default: false}
  pin: {type: string, sensitive: true}
queues: {billing: {}}
nodes:
  q: {queue: billing, after: survey}
  survey:
    switch:
      - {if: 'pin == "1234"', goto: leaked}
      - {if: 'tier == "gold" and visits >= 3 and vip', goto: thanks_gold}
    default: thanks
  leaked: {hangup: null}
  thanks_gold: {hangup: null, prompt: "gold {visits} {score}"}
  thanks: {hangup: null, prompt: "basic {visits}"}
"""


def resumed(**restore: Any) -> Driver:
    d = Driver(program(FLOW))
    d.call.restore(**restore)
    d.call.start(d.now, at_node="survey")
    return d


def test_saved_variables_are_converted_to_their_declared_types() -> None:
    d = resumed(variables={"tier": "gold", "visits": "3", "score": 2, "vip": "true"})
    assert d.call.variables["visits"] == 3
    assert d.call.variables["score"] == 2.0 and isinstance(d.call.variables["score"], float)
    assert d.call.variables["vip"] is True
    d.send(ev.Answered)
    assert d.call.node == "thanks_gold"  # "3" >= 3 would have been false as text


def test_unknown_sensitive_and_masked_values_are_ignored() -> None:
    d = resumed(variables={"nope": 1, "pin": "1234", "tier": MASK, "visits": 2})
    assert "nope" not in d.call.variables
    assert d.call.variables["tier"] == "basic"
    assert d.call.variables["visits"] == 2
    out = d.send(ev.Answered)
    assert only(out, cmd.Play).items[0].text == "basic 2"
    assert d.call.node == "thanks"  # the saved secret never reached the flow
    note = next(t for t in d.call.trace if t.kind == "note" and "resumed" in t.why)
    assert note.detail["restored"] == ["visits"]
    assert sorted(note.detail["ignored"]) == ["nope", "pin", "tier"]


def test_a_value_that_does_not_convert_is_kept_with_a_note() -> None:
    d = resumed(variables={"visits": "many"})
    assert d.call.variables["visits"] == "many"
    assert any("declared int" in t.why for t in d.call.trace if t.kind == "note")


def test_restore_emits_no_commands_and_is_traced_after_start() -> None:
    d = Driver(program(FLOW))
    d.call.restore(variables={"tier": "gold"})
    assert d.call.trace == []
    out = d.call.start(d.now, at_node="survey")
    assert kinds(out, journal=True) == ["answer"]
    assert [t.kind for t in d.call.trace] == ["start", "note"]
    assert d.call.trace[1].at == d.now
    out = d.send(ev.Answered)
    assert not any(isinstance(c, cmd.SetVariable) for c in out)


def test_restored_outcome_stays_however_the_survey_ends() -> None:
    detail = {"queue": "billing", "priority": 0, "agent": "1001"}
    d = resumed(outcome="queued", detail=detail)
    d.send(ev.Answered)
    d.send(ev.PromptDone)
    o = d.call.outcome
    assert o is not None and o.kind == "queued"
    assert o.detail["agent"] == "1001" and o.detail["ended"] == "hangup"

    d = resumed(outcome="queued", detail=detail)
    d.send(ev.Answered)
    d.send(ev.Hangup)
    o = d.call.outcome
    assert o is not None and o.kind == "queued" and o.detail["ended"] == "caller_hangup"


def test_without_a_restored_outcome_the_resumed_call_reports_its_own_end() -> None:
    d = resumed(variables={"tier": "gold"})
    d.send(ev.Answered)
    d.send(ev.PromptDone)
    assert d.call.outcome is not None and d.call.outcome.kind == "hangup"


def test_only_sticky_outcomes_can_be_restored() -> None:
    d = Driver(program(FLOW))
    with pytest.raises(ValueError, match="sticky"):
        d.call.restore(outcome="completed")


def test_restore_after_start_is_ignored() -> None:
    d = Driver(program(FLOW))
    d.answer()
    d.call.restore(variables={"tier": "gold"}, outcome="queued")
    assert d.call.variables["tier"] == "basic"
    assert any("restore() after start()" in t.why for t in d.call.trace)
    d.send(ev.QueueResult, outcome="timeout")
    assert d.call.outcome is not None and d.call.outcome.kind == "hangup"


def test_a_second_restore_replaces_the_first() -> None:
    d = Driver(program(FLOW))
    d.call.restore(variables={"tier": "gold", "visits": 5}, outcome="queued")
    d.call.restore(variables={"visits": 1})
    d.call.start(d.now, at_node="survey")
    assert d.call.variables["tier"] == "basic" and d.call.variables["visits"] == 1
    d.send(ev.Answered)
    d.send(ev.PromptDone)
    assert d.call.outcome is not None and d.call.outcome.kind == "hangup"
