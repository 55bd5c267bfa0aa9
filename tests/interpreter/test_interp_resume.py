"""`Call.restore`: a call rebuilt at a queue's `after` node from the state saved elsewhere."""

from __future__ import annotations

from typing import Any

import pytest

from flowc.interpreter import MASK
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.interpreter.call import MAX_STRUGGLES
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


# ------------------------------------------------------------------ the `escalate` budget

STRUGGLE = """
flow: s
escalate: {after_failures: 3, goto: person}
queues: {billing: {}, general: {}}
nodes:
  main:
    menu:
      prompt: "Billing 1."
      options: {1: q}
      retries: 5
  q: {queue: billing, after: again}
  again:
    menu:
      prompt: "Anything else? 1 to end."
      options: {1: bye}
      retries: 5
  bye: {hangup: null}
  person: {queue: general}
"""


def test_failed_inputs_before_the_agent_count_after_the_resume() -> None:
    first = Driver(program(STRUGGLE))
    first.answer()
    first.send(ev.Digits, digits="", result="timeout")
    first.send(ev.Digits, digits="7")  # not an option
    first.send(ev.Digits, digits="1")
    assert first.call.node == "q"
    saved = first.call.struggles
    assert saved == {"failures": 2, "escalated": False}

    d = resumed_at(STRUGGLE, "again", struggles=saved)
    assert d.call.struggles == saved
    out = d.send(ev.Digits, digits="", result="timeout")  # the third of the call
    assert d.call.node == "person"
    journal = [c for c in out if isinstance(c, cmd.Escalated)]
    assert journal[0] == cmd.Escalated(node="again", failures=3, target="person")

    fresh = resumed_at(STRUGGLE, "again")  # nothing saved: the count starts at zero
    fresh.send(ev.Digits, digits="", result="timeout")
    assert fresh.call.node == "again"


def test_a_call_that_escalated_before_the_agent_does_not_escalate_again() -> None:
    d = resumed_at(STRUGGLE, "again", struggles={"failures": 3, "escalated": True})
    for _ in range(3):
        d.send(ev.Digits, digits="", result="timeout")
    assert d.call.node == "again"
    assert d.call.struggles == {"failures": 6, "escalated": True}


@pytest.mark.parametrize(
    "saved",
    [
        {"failures": -1, "escalated": False},
        {"failures": 10**9, "escalated": False},
        {"failures": "2", "escalated": False},
        {"failures": True, "escalated": False},
        {"failures": 2.0, "escalated": False},
        {"failures": 2, "escalated": "no"},
        {"escalated": False},
        [2, False],
        "2",
    ],
)
def test_a_saved_count_that_is_not_valid_counts_from_zero(saved: Any) -> None:
    d = resumed_at(STRUGGLE, "again", struggles=saved)
    assert d.call.struggles == {"failures": 0, "escalated": False}
    assert any("not valid: counting from zero" in t.why for t in d.call.trace)
    d.send(ev.Digits, digits="", result="timeout")
    d.send(ev.Digits, digits="", result="timeout")
    assert d.call.node == "again"  # two failures: below the budget of three


def test_the_saved_count_is_capped() -> None:
    flow = "flow: l\nnodes:\n  m: {menu: {prompt: Hi., options: {1: m}, retries: 10, on_fail: m}}\n"
    d = Driver(program(flow, lint=False))
    d.answer()
    for _ in range(MAX_STRUGGLES + 5):  # a caller who never presses anything
        d.send(ev.Digits, digits="", result="timeout")
    assert d.call.struggles == {"failures": MAX_STRUGGLES, "escalated": False}
    again = resumed_at(flow, "m", struggles=d.call.struggles)
    assert again.call.struggles == {"failures": MAX_STRUGGLES, "escalated": False}


def resumed_at(flow: str, node: str, **restore: Any) -> Driver:
    d = Driver(program(flow, lint=False))
    d.call.restore(**restore)
    d.call.start(d.now, at_node=node)
    d.send(ev.Answered)
    return d
