"""Hostile values through every command builder of `runtime.translate`: what reaches the wire
never carries what FreeSWITCH would expand, split or act on (issue 12).

Asserted on the produced strings and on the ESL bytes of the `sendmsg` that carries them:
no `${` / `$${` from data, no NUL / CR / LF, no `^^` (delimiter change), dial strings without
`{ } , |` or blanks from data, say values only of their say type, and play_and_get_digits
always split into exactly its ten positions."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.interpreter import commands as cmd
from runtime import fsarg
from runtime import translate as tr
from runtime.esl import commands as esl_cmd
from tests.runtime.esl_support import fs_separate_blank

PROPS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_FRAGMENTS = [
    "${",
    "$${",
    "${system(id)}",
    "{a=b}",
    "{execute_on_answer=system id}",
    "[leg_timeout=1]",
    "<x=y>",
    "^^:",
    "^^|a=b|c=d",
    ",",
    "|",
    ":_:",
    "\n",
    "\r",
    "\r\n\r\n",
    "\x00",
    "\t",
    "\x1b[2J",
    "}",
    "$",
    "{",
    "^",
    "'",
    '"',
    "\\",
    "\\'",
    " ",
    "!",
    "#",
    "*",
    "+",
    "-",
    ".",
    "1",
    "9",
    "12.5",
    "1000",
    "sip:",
    "user/",
    "sofia/gateway/carrier/+19005550100",
    "@",
    "/",
    "2026-10-20",
    "08:30",
    "回电号码",
    "\u2028",
    "\ud7ff",
    "\ud800",  # a lone surrogate: JSON's "\ud800" escape decodes to one
    "é",
    "١٢",  # Arabic-Indic and fullwidth digits: \d to Python, not to FreeSWITCH
    "１２",
]
HOSTILE = st.one_of(
    st.lists(
        st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=6)), min_size=1, max_size=12
    ).map("".join),
    st.text(max_size=40),
)
SAY_AS = st.sampled_from([*fsarg.SAY_TYPES, "nonsense"])
LOCALE = st.sampled_from(["en-US", "zh-CN", "fr-FR", "${x}", ""])
CFG = tr.MediaConfig(asr_engine="unimrcp")


def _item(kind: cmd.PlayKind, text: str, say_as: str) -> cmd.PlayItem:
    return cmd.PlayItem(kind, text, say_as if kind == "say" else None)


ITEMS = st.lists(
    st.builds(_item, st.sampled_from(["tts", "audio", "say"]), HOSTILE, SAY_AS),
    max_size=5,
).map(tuple)


def _no_hazard(text: str) -> None:
    assert "${" not in text
    assert "\x00" not in text and "\r" not in text and "\n" not in text
    assert "^^" not in text


def _wire(app: str, arg: str) -> None:
    """The sendmsg carrying `arg`: one header block of exactly five lines, the argument in
    its own header, unchanged."""
    data = esl_cmd.sendmsg_execute(app, arg, "00000000-0000-0000-0000-000000000000")
    assert data.endswith(b"\n\n") and b"\x00" not in data and b"\r" not in data
    lines = data[:-2].split(b"\n")
    expected = 5 if arg else 4
    assert len(lines) == expected
    if arg:
        assert lines[-1] == f"execute-app-arg: {arg}".encode()


@PROPS
@given(items=ITEMS, locale=LOCALE, barge=st.booleans())
def test_play_steps(items: tuple[cmd.PlayItem, ...], locale: str, barge: bool) -> None:
    steps = tr.play_steps(cmd.Play(items, barge, locale), CFG)
    spoken = ""
    for app, arg in steps:
        _no_hazard(arg)
        _wire(app, arg)
        assert app in ("playback", "speak")  # never the `say` app (no say module needed)
        if app == "speak":
            engine, voice, text = arg.split("|", 2)
            assert (engine, voice) == ("flite", "kal") and text
            spoken += " " + text
    assert [a for a, _ in steps].count("playback") == sum(i.kind == "audio" for i in items)
    for i in items:  # a say value of its type is read out as text for the locale
        if i.kind == "say":
            text = fsarg.tts_text(fsarg.say_text(i.say_as or "number", i.text, locale) or "")
            assert text in spoken


@PROPS
@given(
    prompt=ITEMS,
    invalid=ITEMS,
    locale=LOCALE,
    regex=HOSTILE,
    terminators=HOSTILE,
    var=HOSTILE,
    speech=st.booleans(),
)
def test_collect_plan(
    prompt: tuple[cmd.PlayItem, ...],
    invalid: tuple[cmd.PlayItem, ...],
    locale: str,
    regex: str,
    terminators: str,
    var: str,
    speech: bool,
) -> None:
    c = cmd.Collect(
        min=1,
        max=6,
        tries=1,
        timeout_ms=5000,
        terminators=terminators,
        prompt=prompt,
        invalid_prompt=invalid,
        var=var or "x",
        regex=regex,
        digit_timeout_ms=2000,
        speech=speech,
        locale=locale,
    )
    plan = tr.collect_plan(c, CFG)
    argv = fs_separate_blank(plan.arg, 11)
    assert len(argv) == 10, plan.arg  # no shifted position, no fail extension
    for text in (*argv[4:7], *plan.sets, *(a for _, a in plan.lead)):
        _no_hazard(text)
    assert not argv[5].startswith("file_string://") and not argv[6].startswith("file_string://")
    assert "say_string" not in plan.arg
    assert re.fullmatch(r"[0-9*#ABCD]+|none", argv[4])
    assert re.fullmatch(r"[A-Za-z0-9_]+", argv[7])
    _wire("play_and_get_digits", plan.arg)
    for app, arg in plan.lead:
        _wire(app, arg)
    for arg in plan.sets:
        _wire("set", arg)
    _no_hazard(tr.detect_speech_arg(c, CFG))
    _no_hazard(tr.speech_keywords_value(c))


@PROPS
@given(value=st.one_of(HOSTILE, st.integers(), st.floats(), st.lists(HOSTILE, max_size=3)))
def test_set_arg(value: Any) -> None:
    arg = tr.set_arg("flowc_var_x", value)
    assert arg.startswith("flowc_var_x=")
    _no_hazard(arg)
    _wire("set", arg)


@PROPS
@given(exit_key=HOSTILE, announce=HOSTILE, queue=HOSTILE)
def test_enqueue_sets_and_queue_name(exit_key: str, announce: str, queue: str) -> None:
    for arg in tr.enqueue_sets(cmd.Enqueue(queue, 3, announce, 60_000, exit_key, None, 30_000)):
        _no_hazard(arg)
        _wire("set", arg)
        name, _, value = arg.partition("=")
        if name == "cc_exit_keys":
            assert re.fullmatch(r"[0-9*#ABCD]+", value)
    _no_hazard(tr.fs_safe(queue))


_DIAL_DATA_FORBIDDEN = re.compile(r"[{}\[\]<>,|\s$^'\"\\]|:_:")


@PROPS
@given(target=HOSTILE, bound=st.one_of(st.none(), HOSTILE))
def test_transfer_plan(target: str, bound: str | None) -> None:
    plan = tr.transfer_plan(cmd.Transfer(target, "blind"), bound, CFG)
    _no_hazard(plan.target)
    if not plan.app:
        assert plan.refused == tr.REFUSED_TARGET and plan.arg == ""
        return
    assert plan.app == "bridge" and not plan.refused
    assert not _DIAL_DATA_FORBIDDEN.search(plan.arg), plan.arg
    assert re.match(r"(sofia/external/|loopback/|[A-Za-z0-9])", plan.arg)
    if plan.arg.startswith("loopback/") and (bound is None or "/" not in bound):
        number = plan.arg.split("/")[1]
        assert re.fullmatch(r"\+?[0-9*#]+", number)
    _wire("bridge", plan.arg)


@PROPS
@given(mailbox=HOSTILE)
def test_voicemail_arg(mailbox: str) -> None:
    arg = tr.voicemail_arg(mailbox, CFG)
    words = arg.split(" ")
    assert len(words) == 3 and all(words)
    assert words[1] == "$${domain}" or "$" not in words[1]  # ours, never from data
    assert "$" not in words[0] + words[2]
    _wire("voicemail", arg)


@PROPS
@given(value=HOSTILE, say_as=SAY_AS, locale=LOCALE)
def test_say_values_only_of_their_type(value: str, say_as: str, locale: str) -> None:
    v = fsarg.say_value(say_as, value)
    text = fsarg.say_text(say_as, value, locale)
    assert (v is None) == (text is None)
    if v is None:
        return
    pattern = {
        "number": r"[+-]?\d+(?:\.\d+)?",
        "money": r"[+-]?\d+(?:\.\d+)?",
        "digits": r"\+?[0-9*#]+",
        "ordinal": r"\d+",
        "date": r"\d{4}-\d\d-\d\d",
        "time": r"\d\d:\d\d:\d\d",
    }[say_as]
    assert re.fullmatch(pattern, v)
    assert text is not None
    _no_hazard(text)


def test_say_values_and_sip_ports_take_ascii_digits_only() -> None:
    # found by the issue 12 campaign (tests/e2e/test_hostile_campaign.py): a look-up's `٣`
    # went out as `say zh NUMBER PRONOUNCED ٣`
    refused = [("money", "١٢.٥٠"), ("number", "１２"), ("ordinal", "٣"), ("digits", "٣")]
    for say_as, value in refused:
        assert fsarg.say_value(say_as, value) is None
    assert fsarg.say_value("number", "12") == "12"
    assert fsarg.sip_uri("sip:agent@example.com:５０６０") is None
    assert fsarg.sip_uri("sip:agent@example.com:5060") == "agent@example.com:5060"


def test_a_lone_surrogate_is_dropped_before_the_socket() -> None:
    # found by the campaign: `{"name": "\ud800"}` mirrored with `set` failed to encode and
    # ended the call with an internal error
    for text in (fsarg.channel_value("a\ud800b"), fsarg.tts_text("a\udfffb")):
        assert text == "ab"
    _wire("set", tr.set_arg("flowc_var_name", "a\ud800b"))


@PROPS
@given(text=HOSTILE)
def test_every_destination_function(text: str) -> None:
    for out in (
        fsarg.app_arg(text),
        fsarg.channel_value(text),
        fsarg.tts_text(text),
        fsarg.file_item(text),
        fsarg.name_word(text),
    ):
        _no_hazard(out)
    assert "!" not in fsarg.file_item(text)
    assert not re.search(r"\s", fsarg.name_word(text))
    for dial in (fsarg.dial_number(text), fsarg.dial_target(text), fsarg.sip_uri(text)):
        if dial is not None:
            assert not _DIAL_DATA_FORBIDDEN.search(dial)
