"""Scope (namespaces, injected time, in_hours, flags), prompts and command serialisation."""

from __future__ import annotations

from datetime import datetime

from flowc.interpreter import MASK, CallInfo, PlayItem
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.replay import prompt_hash
from tests.interpreter.flowkit import Driver, only, program

TIME = """
flow: time
schedules:
  care: {timezone: Asia/Shanghai, weekly: {mon-fri: "09:00-18:00"}, emergency: storm}
nodes:
  route:
    switch:
      - {if: 'flags.storm', goto: storm}
      - {if: 'in_hours("care") and weekday() == 1 and hour() >= 9', goto: monday_open}
      - {if: 'call.did == "5000" and caller.name == "Li Lei"', goto: known}
    default: other
  storm: {hangup: null}
  monday_open: {hangup: null}
  known: {hangup: null}
  other: {hangup: null}
"""


def test_expressions_see_the_injected_clock_schedules_flags_and_call_info() -> None:
    d = Driver(program(TIME), start="2026-03-02T09:30:00+08:00")  # Monday 09:30 Shanghai
    d.start()
    d.send(ev.Answered, after=0)
    assert d.call.node == "monday_open"
    # hour() reads the events' own UTC offset; in_hours() converts to the schedule's zone
    d = Driver(program(TIME), start="2026-03-02T01:30:00+00:00")
    d.start()
    d.send(ev.Answered, after=0)
    assert d.call.node == "known"
    d = Driver(program(TIME), start="2026-03-02T12:00:00+00:00")  # 20:00 Shanghai
    d.start()
    d.send(ev.Answered, after=0)
    assert d.call.node == "known"
    d = Driver(program(TIME), flags={"storm": True})
    d.answer()
    assert d.call.node == "storm"


PROMPTS = """
flow: prompts
locales: [zh-CN, en-US]
prompts:
  legal: {zh-CN: "通话可能被录音。", en-US: "Calls may be recorded.", barge_in: false}
  hello: "Hello {caller.name}."
nodes:
  a:
    play: [{prompt: hello}, {prompt: legal}, {say: {money: "{12.5}"}}, {say: {date: "{null}"}}]
    next: b
  b: {hangup: null}
"""


def test_reusable_prompts_resolve_per_locale_and_barge_in_is_the_strictest() -> None:
    prog = program(PROMPTS, lint=False)
    for locale, legal in [("zh-CN", "通话可能被录音。"), ("en-US", "Calls may be recorded.")]:
        d = Driver(prog, CallInfo("1", "Ann", "5000", locale))
        play = only(d.answer(), cmd.Play)
        assert [i.to_json() for i in play.items] == [
            {"tts": "Hello Ann."},
            {"tts": legal},
            {"say": "money", "value": "12.5"},
        ]
        assert not play.barge_in
        assert any("nothing to say" in t.why for t in d.call.trace)


FIXED = """
flow: fixed
locales: [en-US, fr-FR]
nodes:
  a:
    play: {en-US: "Welcome.", fr-FR: "Bienvenue."}
    next: b
  b:
    play: "Hello {caller.name}."
    next: c
  c: {hangup: null}
"""


def test_a_prompt_without_holes_is_rendered_once_per_locale() -> None:
    prog = program(FIXED, lint=False)
    seen: dict[str | None, tuple[PlayItem, ...]] = {}
    for name, locale in [("Ann", "en-US"), ("Bo", "en-US"), ("Cy", "fr-FR")]:
        d = Driver(prog, CallInfo("1", name, "5000", locale))
        fixed = only(d.answer(), cmd.Play)
        dynamic = only(d.send(ev.PromptDone), cmd.Play)
        assert [i.to_json() for i in dynamic.items] == [{"tts": f"Hello {name}."}]
        assert seen.setdefault(locale, fixed.items) is fixed.items  # the same tuple each call
    assert seen["en-US"] == (PlayItem("tts", "Welcome."),)
    assert seen["fr-FR"] == (PlayItem("tts", "Bienvenue."),)
    # a replay log's prompt key is the same by identity or by value
    again = tuple(PlayItem(i.kind, i.text, i.say_as, i.sensitive) for i in seen["en-US"])
    assert prompt_hash(seen["en-US"]) == prompt_hash(again) == prompt_hash(seen["en-US"])
    assert prompt_hash(seen["fr-FR"]) != prompt_hash(seen["en-US"])


def test_play_item_and_command_serialisation() -> None:
    secret = PlayItem("say", "1234", "digits", sensitive=True)
    assert secret.to_json() == {"say": "digits", "value": MASK}
    assert "1234" not in repr(secret)
    c = cmd.Collect(
        min=1,
        max=4,
        tries=3,
        timeout_ms=5000,
        terminators="#",
        prompt=(secret,),
        invalid_prompt=(),
        var="pin",
        regex="^\\d+$",
        digit_timeout_ms=2000,
    )
    assert c.to_json()["prompt"] == [{"say": "digits", "value": MASK}]
    assert "1234" not in repr(c)
    assert cmd.Hangup().to_json() == {"type": "hangup", "cause": "NORMAL_CLEARING"}
    assert set(cmd.COMMAND_TYPES) == {
        "answer", "play", "collect", "start_timer", "cancel_timer", "fetch", "set_variable",
        "enqueue", "transfer", "voicemail", "record", "hangup", "journal", "end",
    }  # fmt: skip


def test_event_at_is_keyword_only_and_events_are_immutable() -> None:
    t = datetime.fromisoformat("2026-03-02T10:00:00+08:00")
    e = ev.Digits("1", at=t)
    assert (e.digits, e.terminator, e.result, e.at) == ("1", None, "success", t)
    try:
        e.digits = "2"  # type: ignore[misc]
    except AttributeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("events must be frozen")


def test_set_taints_copies_of_sensitive_values() -> None:
    flow = """
flow: taint
variables:
  pin: {type: string, sensitive: true}
  copy: string
nodes:
  ask:
    collect: {into: pin, prompt: "PIN", min: 4, max: 4, sensitive: true}
    next: copy
  copy: {set: {copy: "x{pin}"}, next: bye}
  bye: {hangup: null, prompt: "Got {copy}"}
"""
    d = Driver(program(flow, lint=False))
    d.answer()
    out = d.send(ev.Digits, digits="4321")
    sv = next(c for c in out if isinstance(c, cmd.SetVariable) and c.name == "copy")
    assert sv.sensitive and sv.value == "x4321"
    play = only(out, cmd.Play)
    assert play.items[0].sensitive
    assert d.call.variables == {"pin": MASK, "copy": MASK}
    text = repr(out) + repr([t.to_json() for t in d.call.trace])
    assert "4321" not in text


def test_every_event_class_is_plain_or_checked_by_handle() -> None:
    """`Call.handle` skips its hang-up / timer / fetch / agent checks for `_PLAIN_EVENTS`."""
    from flowc.interpreter.call import _FETCH_ANSWERS, _PLAIN_EVENTS

    special = (ev.Hangup, ev.TimerFired, *_FETCH_ANSWERS, ev.AgentDone)
    for cls in ev.EVENT_TYPES.values():
        assert (cls in _PLAIN_EVENTS) != issubclass(cls, special), cls


def test_url_holes_are_quoted_as_urllib_does() -> None:
    from urllib.parse import quote

    from flowc.interpreter.call import _quote

    for text in ["AC123", "123", "", "a b", "a/b?c=d&e", "Zürich", "٣٤", "x.y-z_~", "1+1", "%"]:
        assert _quote(text) == quote(text, safe=""), text
