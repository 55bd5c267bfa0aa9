"""collect: one play_and_get_digits try per attempt with escalating retry prompts,
validation, sensitive values, confirmation."""

from __future__ import annotations

from flowc.interpreter import MASK
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from tests.interpreter.flowkit import Driver, kinds, only, program

FLOW = """
flow: c
variables:
  account: string
  pin: {type: string, sensitive: true}
  amount: int
nodes:
  ask:
    collect:
      into: account
      prompt: "Enter your account number, then hash."
      min: 6
      max: 8
      terminator: "#"
      pattern: "[1-9][0-9]*"
      timeout: 7s
      inter_digit_timeout: 2s
      retries: 2
      no_match: "That number is not valid."
      on_fail: failed
    next: ask_pin
  ask_pin:
    collect: {into: pin, prompt: "Your PIN", min: 4, max: 4, sensitive: true}
    next: ask_amount
  ask_amount:
    collect: {into: amount, prompt: "Amount", terminator: null}
    next: done
  done: {hangup: null, prompt: "Account {account}."}
  failed: {hangup: CALL_REJECTED}
"""


def test_collect_maps_onto_play_and_get_digits() -> None:
    d = Driver(program(FLOW))
    c = only(d.answer(), cmd.Collect)
    assert (c.min, c.max, c.tries, c.timeout_ms, c.terminators) == (6, 8, 1, 7000, "#")
    assert [i.text for i in c.prompt] == ["Enter your account number, then hash."]
    assert c.invalid_prompt == ()
    assert (c.var, c.regex, c.digit_timeout_ms) == ("account", "^(?:[1-9][0-9]*)$", 2000)
    assert not c.sensitive and not c.speech


def test_success_stores_the_value_and_mirrors_it_on_the_channel() -> None:
    d = Driver(program(FLOW))
    d.answer()
    out = d.send(ev.Digits, digits="1234567", terminator="#")
    assert only(out, cmd.SetVariable) == cmd.SetVariable("account", "1234567", False)
    assert d.call.variables["account"] == "1234567"
    assert only(out, cmd.Collect).var == "pin"


def test_entry_not_fitting_the_pattern_is_a_no_match_even_if_the_switch_accepted_it() -> None:
    d = Driver(program(FLOW))
    d.answer()
    out = d.send(ev.Digits, digits="0123456")
    retry = only(out, cmd.Collect)
    assert [i.text for i in retry.prompt] == [
        "That number is not valid.",
        "Enter your account number, then hash.",
    ]
    out = d.send(ev.Digits, digits="0123456")
    assert d.call.node == "failed"
    assert only(out, cmd.Hangup).cause == "CALL_REJECTED"


def test_retries_escalate_then_on_fail_else_hang_up() -> None:
    d = Driver(program(FLOW))
    d.answer()
    out = d.send(ev.Digits, digits="", result="timeout")
    # No `no_input` prompt written: the attempt repeats the prompt alone.
    assert [i.text for i in only(out, cmd.Collect).prompt] == [
        "Enter your account number, then hash."
    ]
    d.send(ev.Digits, digits="", result="timeout")
    assert d.call.node == "failed"
    d = Driver(program(FLOW))
    d.answer()
    d.send(ev.Digits, digits="1234567")
    out = d.send(ev.Digits, digits="12", result="failure")
    assert only(out, cmd.Collect).var == "pin"
    d.send(ev.Digits, digits="12", result="failure")
    out = d.send(ev.Digits, digits="12", result="failure")
    assert kinds(out) == ["hangup", "end"]
    assert d.call.outcome is not None and d.call.outcome.detail["reason"] == "a failed collect"


def test_sensitive_values_are_masked_everywhere_but_where_the_host_needs_them() -> None:
    d = Driver(program(FLOW))
    d.answer()
    out = d.send(ev.Digits, digits="1234567")
    c = only(out, cmd.Collect)
    assert c.sensitive
    out = d.send(ev.Digits, digits="9876")
    sv = only(out, cmd.SetVariable)
    assert sv.value == "9876" and sv.sensitive
    assert "9876" not in repr(sv) and sv.to_json()["value"] == MASK
    assert d.call.variables["pin"] == MASK
    dumped = repr(d.call.trace) + repr([t.to_json() for t in d.call.trace])
    assert "9876" not in dumped
    d.send(ev.Digits, digits="5")
    d.send(ev.PromptDone)
    assert d.call.outcome is not None
    assert d.call.outcome.variables["pin"] == MASK
    assert d.call.outcome.variables["amount"] == 5  # typed: declared int


def test_confirmation_accepts_1_and_re_enters_on_2() -> None:
    flow = FLOW.replace(
        "      on_fail: failed\n",
        "      on_fail: failed\n"
        '      confirm: "You entered {account}. Press 1 if right, 2 to retry."\n',
    )
    d = Driver(program(flow))
    d.answer()
    out = d.send(ev.Digits, digits="1234567")
    c = only(out, cmd.Collect)
    assert c.var == "flowc_confirm" and c.regex == "^[12]$"
    assert c.prompt[0].text == "You entered 1234567. Press 1 if right, 2 to retry."
    again = only(d.send(ev.Digits, digits="2"), cmd.Collect)
    assert again.var == "account"
    d.send(ev.Digits, digits="7654321")
    out = d.send(ev.Digits, digits="1")
    assert only(out, cmd.Collect).var == "pin"
    assert d.call.variables["account"] == "7654321"


def test_confirmation_re_entries_are_bounded_by_retries() -> None:
    flow = FLOW.replace("      on_fail: failed\n", '      on_fail: failed\n      confirm: "ok?"\n')
    d = Driver(program(flow))
    d.answer()
    d.send(ev.Digits, digits="1234567")
    d.send(ev.Digits, digits="2")
    d.send(ev.Digits, digits="1234567")
    d.send(ev.Digits, digits="2")  # retries: 2 -> no third entry
    assert d.call.node == "failed"


def test_speech_collect_stores_the_text() -> None:
    flow = FLOW.replace(
        'collect: {into: amount, prompt: "Amount", terminator: null}',
        'collect: {into: amount, prompt: "Amount", speech: true}',
    )
    d = Driver(program(flow))
    d.answer()
    d.send(ev.Digits, digits="1234567")
    out = d.send(ev.Digits, digits="1111")
    assert only(out, cmd.Collect).speech
    d.send(ev.SpeechResult, text=" 42 ")
    assert d.call.variables["amount"] == 42


def test_refused_entries_are_counted_with_or_without_the_step_trace() -> None:
    for steps in (True, False):
        d = Driver(program(FLOW))
        d.call = type(d.call)(d.call.program, d.call.info, steps=steps)
        d.answer()
        d.send(ev.Digits, digits="0123456", terminator="#")  # does not fit the pattern
        assert d.call.rejected_inputs == 2  # the note, and the retry it causes
        assert only(d.send(ev.Digits, digits="1234567"), cmd.Collect).var == "pin"
        d.send(ev.Digits, digits="", result="timeout")  # silence: nothing refused
        assert d.call.rejected_inputs == 2
        decisions = [s for s in d.call.trace if s.kind == "decision"]
        assert bool(decisions) == steps
        assert any("does not fit" in s.why for s in d.call.trace)  # notes are kept
