"""menu: attempts, escalation prompts, repeat and agent keys, speech, final failure."""

from __future__ import annotations

from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from tests.interpreter.flowkit import Driver, kinds, only, program

MENU = """
flow: m
locales: [en-US, zh-CN]
agent_key: {key: "0", goto: agent}
queues: {general: {}}
nodes:
  main:
    menu:
      prompt: {en-US: "For billing press 1.", zh-CN: "账单请按1。"}
      options: {1: billing, "#": hash}
      speech: {billing: billing, "lost phone": lost, 话费: billing}
      retries: 3
      timeout: 6s
      inter_digit_timeout: 1s
      repeat_key: "*"
      no_input: ["I didn't hear you.", "Please press a key."]
      no_match: ["That's not an option."]
      on_fail: agent
  billing: {hangup: null, prompt: "billing"}
  hash: {hangup: null}
  lost: {hangup: USER_BUSY}
  agent: {queue: general}
"""


def texts(collect: cmd.Collect) -> list[str]:
    return [i.text for i in collect.prompt]


def test_first_attempt_is_one_key_collect_with_the_menu_prompt() -> None:
    d = Driver(program(MENU))
    assert kinds(d.start()) == ["answer"]
    out = d.send(ev.Answered)
    c = only(out, cmd.Collect)
    assert (c.min, c.max, c.tries, c.timeout_ms, c.terminators) == (1, 1, 1, 6000, "")
    assert (c.var, c.regex, c.digit_timeout_ms) == ("flowc_menu", "^[0-9*#]$", 1000)
    assert texts(c) == ["For billing press 1."]
    assert c.invalid_prompt == ()
    assert c.speech and c.speech_keywords == ("billing", "lost phone", "话费")
    assert d.call.state == "collecting"


def test_option_key_goes_to_target_and_journals_the_choice() -> None:
    d = Driver(program(MENU))
    d.answer()
    out = d.send(ev.Digits, digits="1")
    journal = [c for c in out if isinstance(c, cmd.MenuChosen)]
    assert journal == [cmd.MenuChosen("main", via="dtmf", choice="1", target="billing", failures=0)]
    assert journal[0].to_json()["data"] == {
        "node": "main",
        "via": "dtmf",
        "choice": "1",
        "target": "billing",
        "failures": 0,
    }
    assert only(out, cmd.Play).items[0].text == "billing"
    assert d.call.node == "billing"


def test_hash_can_be_an_option_because_there_is_no_terminator() -> None:
    d = Driver(program(MENU))
    d.answer()
    d.send(ev.Digits, digits="#")
    assert d.call.node == "hash"


def test_no_input_escalates_then_replays_the_menu() -> None:
    d = Driver(program(MENU))
    d.answer()
    first = only(d.send(ev.Digits, digits="", result="timeout"), cmd.Collect)
    assert texts(first) == ["I didn't hear you.", "For billing press 1."]
    second = only(d.send(ev.Digits, digits="", result="timeout"), cmd.Collect)
    assert texts(second) == ["Please press a key.", "For billing press 1."]


def test_no_match_uses_its_own_counter_and_the_last_prompt_repeats() -> None:
    d = Driver(program(MENU.replace("retries: 3", "retries: 5")))
    d.answer()
    a = only(d.send(ev.Digits, digits="7"), cmd.Collect)
    b = only(d.send(ev.Digits, digits="", result="timeout"), cmd.Collect)
    c = only(d.send(ev.Digits, digits="8"), cmd.Collect)
    assert texts(a)[0] == "That's not an option."
    assert texts(b)[0] == "I didn't hear you."
    assert texts(c)[0] == "That's not an option."


def test_failures_up_to_retries_go_to_on_fail() -> None:
    d = Driver(program(MENU))
    d.answer()
    d.send(ev.Digits, digits="", result="timeout")
    d.send(ev.Digits, digits="5")
    out = d.send(ev.Digits, digits="", result="timeout")
    failed = [c for c in out if isinstance(c, cmd.MenuFailed)]
    assert failed[0].failures == 3
    assert only(out, cmd.Enqueue).queue == "general"


def test_default_on_fail_hangs_up_without_a_prompt() -> None:
    flow = MENU.replace("      on_fail: agent\n", "")
    d = Driver(program(flow))
    d.answer()
    for _ in range(2):
        d.send(ev.Digits, digits="", result="timeout")
    out = d.send(ev.Digits, digits="", result="timeout")
    assert kinds(out) == ["hangup", "end"]
    assert d.call.outcome is not None
    assert d.call.outcome.kind == "hangup"
    assert d.call.outcome.detail["reason"] == "a failed menu"


def test_repeat_key_replays_without_counting_a_failure() -> None:
    flow = MENU.replace("retries: 3", "retries: 1")
    d = Driver(program(flow))
    d.answer()
    for _ in range(5):
        again = only(d.send(ev.Digits, digits="*"), cmd.Collect)
        assert texts(again) == ["For billing press 1."]
    assert not d.call.finished


def test_agent_key_applies_unless_switched_off() -> None:
    d = Driver(program(MENU))
    d.answer()
    out = d.send(ev.Digits, digits="0")
    assert only(out, cmd.Enqueue).queue == "general"
    journal = [c for c in out if isinstance(c, cmd.MenuChosen)]
    assert journal[0].via == "agent_key"

    off = MENU.replace("      repeat_key:", "      agent_key: false\n      repeat_key:")
    d = Driver(program(off))
    d.answer()
    out = d.send(ev.Digits, digits="0")
    assert texts(only(out, cmd.Collect))[0] == "That's not an option."


def test_failure_with_empty_digits_is_no_match() -> None:
    d = Driver(program(MENU))
    d.answer()
    out = d.send(ev.Digits, digits="", result="failure")
    assert texts(only(out, cmd.Collect))[0] == "That's not an option."


def test_speech_keywords_match_case_and_space_insensitively() -> None:
    for said, node in [
        ("Billing", "billing"),
        ("LOST  PHONE", "lost"),
        ("i lost phone yesterday", "lost"),
        ("话 费", "billing"),
    ]:
        d = Driver(program(MENU))
        d.answer()
        d.send(ev.SpeechResult, text=said, confidence=0.8)
        assert d.call.node == node, said


def test_speech_without_keyword_or_no_match_is_a_no_match() -> None:
    d = Driver(program(MENU))
    d.answer()
    out = d.send(ev.SpeechResult, text="weather")
    assert texts(only(out, cmd.Collect))[0] == "That's not an option."
    out = d.send(ev.SpeechNoMatch, reason="no_input")
    assert texts(only(out, cmd.Collect))[0] == "I didn't hear you."


def test_locale_picks_the_variant() -> None:
    from flowc.interpreter import CallInfo

    d = Driver(program(MENU), CallInfo("+861", "", "5000", "zh-CN"))
    d.start()
    c = only(d.send(ev.Answered), cmd.Collect)
    assert texts(c) == ["账单请按1。"]
    assert c.locale == "zh-CN"


def test_non_barge_in_prompt_is_played_before_a_silent_collect() -> None:
    flow = MENU.replace(
        'prompt: {en-US: "For billing press 1.", zh-CN: "账单请按1。"}',
        'prompt: {en-US: "For billing press 1.", zh-CN: "账单请按1。", barge_in: false}',
    )
    d = Driver(program(flow))
    d.start()
    out = d.send(ev.Answered)
    play = only(out, cmd.Play)
    assert not play.barge_in
    assert "collect" not in kinds(out)
    assert d.send(ev.Digits, digits="1") == []  # keys during a non-interruptible prompt
    c = only(d.send(ev.PromptDone), cmd.Collect)
    assert c.prompt == ()
    d.send(ev.Digits, digits="1")
    assert d.call.node == "billing"


def test_multi_digit_entry_is_no_match() -> None:
    d = Driver(program(MENU))
    d.answer()
    out = d.send(ev.Digits, digits="12")
    assert texts(only(out, cmd.Collect))[0] == "That's not an option."
