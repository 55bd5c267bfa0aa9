"""The command/event mapping of `runtime.translate`, against FreeSWITCH's own tokenizer and
the recorded sessions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from flowc.compiler.freeswitch import max_record_len
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.ir import FlowIR
from flowc.ir.nodes import VoicemailNode
from runtime import fsarg
from runtime import translate as tr
from runtime.esl.message import Event
from tests.runtime.esl_support import FIXTURE_DIR, fs_separate_blank

AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
CFG = tr.MediaConfig()


def _collect(**kw: Any) -> cmd.Collect:
    base: dict[str, Any] = {
        "min": 1,
        "max": 1,
        "tries": 1,
        "timeout_ms": 5000,
        "terminators": "",
        "prompt": (cmd.PlayItem("tts", "For sales press 1, for support press 2."),),
        "invalid_prompt": (),
        "var": "flowc_menu",
        "regex": "^[0-9*#]$",
        "digit_timeout_ms": 2000,
    }
    base.update(kw)
    return cmd.Collect(**base)


def _event(**headers: str) -> Event:
    return Event({"Event-Name": "CHANNEL_EXECUTE_COMPLETE", **headers})


def _fixture_events(name: str) -> list[Event]:
    rows = [json.loads(x) for x in (FIXTURE_DIR / name).read_text().splitlines()[1:]]
    out = []
    for row in rows:
        data = row["data"]
        if row["dir"] == "from_switch" and "Content-Type: text/event-json" in data:
            out.append(Event.from_json(data.split("\n\n", 1)[1].encode()))
    return out


def _completion(name: str, app: str) -> Event:
    for e in _fixture_events(name):
        if e.name == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application") == app:
            return e
    raise AssertionError(f"no {app} completion in {name}")


# ------------------------------------------------------------------ play_and_get_digits


def test_menu_collect_fills_every_position() -> None:
    arg = tr.collect_arg(_collect(), CFG)
    argv = fs_separate_blank(arg, 11)
    assert argv == [
        "1",
        "1",
        "1",
        "5000",
        "none",  # no terminator: never an empty (shifting) argument
        "say:For sales press 1, for support press 2.",  # quoted: one argument despite spaces
        "silence_stream://250",
        "flowc_menu",
        "^[0-9*#]$",
        "2000",
    ]


LIVE = FIXTURE_DIR / "live"


def _live_rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (LIVE / name).read_text(encoding="utf-8").splitlines()]


def _live_app_args(name: str, app: str) -> list[str]:
    """The execute-app-arg of every `app` the runtime sent in a live capture, in order."""
    out = []
    for row in _live_rows(name)[1:]:
        if row.get("kind") == "esl" and row["dir"] == "rt->fs":
            for msg in row["text"].split("\n\n"):
                if f"execute-app-name: {app}\n" in msg + "\n":
                    out += [x[17:] for x in msg.split("\n") if x.startswith("execute-app-arg: ")]
    return out


@pytest.mark.parametrize(
    "capture",
    [
        "T01_noinput3_to_agent.jsonl",  # escalating re-prompts
        "T09a_language_menu_never_collects_media_timeout.jsonl",  # the language menu
        "T10a_language_menu_never_collects.jsonl",
        "T12_nomatch3_to_operator.jsonl",  # no-match re-prompts
    ],
)
def test_several_tts_items_become_one_say_prompt_never_file_string(capture: str) -> None:
    # e.g. live T01 line 41: the re-prompt was `file_string://say:a!say:b`, which the switch
    # opened as file names (lines 283-284) and the collect returned in 0.26 s.
    sent = _live_app_args(capture, "play_and_get_digits")
    broken = [a for a in sent if "file_string://say:" in a]
    assert broken
    for arg in broken:
        recorded = fs_separate_blank(arg, 11)
        texts = recorded[5].removeprefix("file_string://say:").split("!say:")
        assert len(texts) >= 2
        c = _collect(
            min=int(recorded[0]),
            max=int(recorded[1]),
            timeout_ms=int(recorded[3]),
            prompt=tuple(cmd.PlayItem("tts", t) for t in texts),
            var=recorded[7],
            regex=recorded[8],
            locale="zh-CN",
        )
        plan = tr.collect_plan(c, CFG)
        argv = fs_separate_blank(plan.arg, 11)
        assert argv[5] == "say:" + " ".join(texts)
        assert argv[:5] == recorded[:5] and argv[6:] == recorded[6:]
        assert "file_string" not in plan.arg and plan.lead == ()
        # `say:` needs the engine and voice on the channel (T01a line 255: Invalid Args)
        assert plan.sets == ("tts_engine=flite", "tts_voice=kal")


def test_tts_engine_and_voice_follow_the_locale() -> None:
    cfg = tr.MediaConfig(voices=(("zh", "unimrcp", "xiaoyan"),))
    assert tr.collect_plan(_collect(locale="zh-CN"), cfg).sets == (
        "tts_engine=unimrcp",
        "tts_voice=xiaoyan",
    )
    assert tr.collect_plan(_collect(locale="en-US"), cfg).sets == (
        "tts_engine=flite",
        "tts_voice=kal",
    )
    p = cmd.Play((cmd.PlayItem("tts", "您好"),), True, "zh-CN")
    assert tr.play_steps(p, cfg) == [("speak", "unimrcp|xiaoyan|您好")]
    # a prompt of one sound file needs no TTS variables
    audio = _collect(prompt=(cmd.PlayItem("audio", "/srv/menu.wav"),))
    plan = tr.collect_plan(audio, CFG)
    assert plan.sets == () and fs_separate_blank(plan.arg, 11)[5] == "/srv/menu.wav"


def test_parse_voices() -> None:
    assert tr.parse_voices(["zh=unimrcp:xiaoyan", "en-GB=flite:slt"]) == (
        ("zh", "unimrcp", "xiaoyan"),
        ("en-GB", "flite", "slt"),
    )
    for bad in ("zh", "zh=flite", "zh=fl|ite:kal", "zh=flite:${x}", "=flite:kal"):
        with pytest.raises(ValueError, match="LOCALE=ENGINE:VOICE"):
            tr.parse_voices([bad])


def test_mixed_prompt_plays_its_leading_parts_first() -> None:
    c = _collect(
        min=4,
        max=6,
        tries=3,
        terminators="#",
        prompt=(
            cmd.PlayItem("tts", "It's your PIN"),
            cmd.PlayItem("audio", "sounds/beep.wav"),
            cmd.PlayItem("say", "12.5", "money"),
            cmd.PlayItem("tts", "then press pound"),
        ),
        invalid_prompt=(cmd.PlayItem("tts", "Wrong!"),),
        var="pin",
        regex=r"^(?:\d+)$",
        locale="en-US",
    )
    plan = tr.collect_plan(c, tr.MediaConfig(sounds="/srv/sounds"))
    assert plan.lead == (
        ("speak", "flite|kal|It's your PIN"),
        ("playback", "/srv/sounds/sounds/beep.wav"),
    )
    argv = fs_separate_blank(plan.arg, 11)
    assert len(argv) == 10
    assert argv[:5] == ["4", "7", "3", "5000", "#"]  # max + 1 with a terminator (T07)
    assert argv[5] == "say:12 dollars and 50 cents then press pound"
    assert argv[6] == "say:Wrong!"
    assert (argv[7], argv[8]) == ("flowc_in_pin", r"^(?:\d+)$")


def test_say_values_in_a_collect_prompt_are_tts_text_not_say_string() -> None:
    # live T06 line 53: `${say_string(zh.wav zh NUMBER ITERATED ...)}` expanded to
    # `-ERR Usage: ...` on a switch without a Chinese say module (line 304).
    sent = _live_app_args("T06_queue_exit_key_callback_confirm.jsonl", "play_and_get_digits")
    assert any("${say_string(" in a for a in sent)
    c = _collect(
        prompt=(
            cmd.PlayItem("tts", "回电号码是"),
            cmd.PlayItem("say", "+8613800000000", "digits"),
            cmd.PlayItem("tts", "，确认请按1，更换号码请按2。"),
        ),
        locale="zh-CN",
        var="flowc_confirm",
        regex="^[12]$",
    )
    argv = fs_separate_blank(tr.collect_arg(c, CFG), 11)
    assert argv[5] == (
        "say:回电号码是 加 八 六 一 三 八 零 零 零 零 零 零 零 零 ，确认请按1，更换号码请按2。"
    )
    assert "say_string" not in tr.collect_arg(c, CFG)


@pytest.mark.parametrize(
    ("say_as", "value", "locale", "text"),
    [
        ("money", "12.5", "zh-CN", "12.50元"),
        ("money", "-3", "zh-CN", "负3.00元"),
        ("money", "12.5", "en-US", "12 dollars and 50 cents"),
        ("money", "1", "en-US", "1 dollar and 00 cents"),
        ("number", "42", "zh-CN", "42"),
        ("digits", "1380", "en-US", "1 3 8 0"),
        ("digits", "12#", "zh-CN", "一 二 #"),
        ("date", "2026-10-20", "zh-CN", "2026年10月20日"),
        ("date", "2026-10-20T08:00:00", "en-US", "October 20, 2026"),
        ("time", "08:30", "zh-CN", "8点30分"),
        ("time", "17:00", "zh-CN", "17点整"),
        ("time", "08:30", "en-US", "8:30"),
        ("ordinal", "3", "en-US", "3rd"),
        ("ordinal", "12", "en-US", "12th"),
        ("ordinal", "3", "zh-CN", "第3"),
        # not of their type: refused
        ("money", "${system(id)}", "en-US", None),
        ("money", "12 .5", "zh-CN", None),
        ("digits", "12a", "en-US", None),
        ("date", "tomorrow", "en-US", None),
        ("time", "25:00", "en-US", None),
        ("ordinal", "-1", "en-US", None),
        ("nonsense", "1", "en-US", None),
    ],
)
def test_say_text_per_locale(say_as: str, value: str, locale: str, text: str | None) -> None:
    assert fsarg.say_text(say_as, value, locale) == text


def test_say_app_refuses_values_not_of_their_type() -> None:
    # issue 12: `fs_safe` made `${` into `$ {`, `_say_value` removed the space again and
    # `say en CURRENCY PRONOUNCED ${system(id)}` was sent.
    hostile = cmd.PlayItem("say", "${system(id)}", "money")
    p = cmd.Play((cmd.PlayItem("tts", "You owe"), hostile), True, "en-US")
    steps = tr.play_steps(p, CFG)
    assert steps == [("speak", "flite|kal|You owe")]
    assert tr.refused_items(p.items) == [tr.Refused("money", len("${system(id)}"))]
    c = _collect(prompt=(cmd.PlayItem("tts", "You owe"), hostile))
    assert fs_separate_blank(tr.collect_arg(c, CFG), 11)[5] == "say:You owe"


def test_text_cannot_expand_variables_or_break_lines() -> None:
    c = _collect(prompt=(cmd.PlayItem("tts", "Hi ${system rm}\nthere $${x} ^^:a\x00b\r"),))
    arg = tr.collect_arg(c, CFG)
    argv = fs_separate_blank(arg, 11)
    assert argv[5] == "say:Hi {system rm} there {x} ^:ab"
    assert "${" not in arg and "\n" not in arg and "\x00" not in arg
    assert tr.fs_safe("a $${x} ${y}") == "a {x} {y}"
    assert tr.set_arg("flowc_var_name", "${system(reboot)}") == "flowc_var_name={system(reboot)}"


def test_terminator_after_a_full_length_entry_ends_that_entry() -> None:
    # live T07: `6 6 1 8000 # ...` ended at the 6th digit; the `#` went to the next menu.
    sent = _live_app_args("T07_pin_sensitive_balance.jsonl", "play_and_get_digits")
    pin = fs_separate_blank(next(a for a in sent if a.startswith("6 6 ")), 11)
    c = _collect(
        min=6,
        max=6,
        terminators=pin[4],
        timeout_ms=int(pin[3]),
        var="pin",
        regex=pin[8],
        digit_timeout_ms=int(pin[9]),
        prompt=(cmd.PlayItem("tts", pin[5].removeprefix("say:")),),
        locale="zh-CN",
    )
    argv = fs_separate_blank(tr.collect_arg(c, CFG), 11)
    assert argv[:5] == ["6", "7", "1", "8000", "#"]
    assert argv[5:] == pin[5:]
    # without a terminator the max is the entry's (a menu key ends the read at once)
    assert fs_separate_blank(tr.collect_arg(_collect(), CFG), 11)[:2] == ["1", "1"]
    assert tr.asked_max(_collect(max=128, terminators="#")) == 128


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # 123456# with max + 1 asked: the terminator ended it
        (
            {
                "variable_read_result": "success",
                "variable_flowc_in_pin": "123456",
                "variable_read_terminator_used": "#",
            },
            ("123456", "#", "success"),
        ),
        # 123456 then silence: the inter-digit timeout ended it (as live D1 line 91)
        (
            {"variable_read_result": "timeout", "variable_flowc_in_pin": "123456"},
            ("123456", None, "success"),
        ),
        # a 7th digit: play_and_get_digits accepts 7 of 7, the entry is one too long
        (
            {"variable_read_result": "success", "variable_flowc_in_pin": "1234567"},
            ("1234567", None, "failure"),
        ),
    ],
)
def test_pin_results_with_one_more_digit_asked(
    headers: dict[str, str], expected: tuple[str, str | None, str]
) -> None:
    d = tr.digits_result(_event(**headers), "pin", "", AT, min_digits=6, max_digits=6)
    assert (d.digits, d.terminator, d.result) == expected


def test_unrepresentable_regex_falls_back_to_any() -> None:
    c = _collect(regex=r"^\s*\d+$", min=1, max=4)
    argv = fs_separate_blank(tr.collect_arg(c, CFG), 11)
    assert argv[8] == ".*" and len(argv) == 10


def test_digits_success_from_recorded_session() -> None:
    done = _completion("outbound_json_pagd.jsonl", "play_and_get_digits")
    # the recorded app used the variable ivr_digits; our name for it is flowc_in_ivr_digits
    headers = dict(done.headers)
    headers["variable_flowc_in_ivr_digits"] = headers["variable_ivr_digits"]
    d = tr.digits_result(Event(headers), "ivr_digits", "123#", AT)
    assert (d.digits, d.terminator, d.result) == ("123", "#", "success")


@pytest.mark.parametrize(
    ("headers", "keys", "expected"),
    [
        ({"variable_read_result": "success", "variable_flowc_menu": "1"}, "1", ("1", "success")),
        # regex mismatch: read_result=success with the variable cleared
        (
            {"variable_read_result": "success", "variable_flowc_menu_invalid": "9"},
            "9",
            ("9", "failure"),
        ),
        # nothing entered: FreeSWITCH says failure (recorded outbound_no_dtmf), we say timeout
        ({"variable_read_result": "failure"}, "", ("", "timeout")),
        ({"variable_read_result": "timeout"}, "", ("", "timeout")),
        # a partial entry on the last try
        ({"variable_read_result": "failure", "variable_flowc_menu": "12"}, "12", ("12", "failure")),
        # enough digits, then the caller stopped typing: FreeSWITCH accepts, says timeout
        ({"variable_read_result": "timeout", "variable_flowc_menu": "9"}, "9", ("9", "success")),
        # a too-short entry left in the variable when the last try timed out
        ({"variable_read_result": "timeout", "variable_flowc_menu": "1"}, "1", ("1", "failure")),
        # keys were pressed but nothing was kept (e.g. only the terminator)
        ({"variable_read_result": "failure"}, "#", ("", "failure")),
    ],
)
def test_digits_result_decisions(
    headers: dict[str, str], keys: str, expected: tuple[str, str]
) -> None:
    min_digits = 2 if headers.get("variable_flowc_menu") == "1" else 1
    d = tr.digits_result(
        _event(**headers),
        "flowc_menu",
        keys,
        AT,
        min_digits=min_digits,
        max_digits=2,
        regex="^[0-9]+$",
    )
    assert (d.digits, d.result) == expected


# ------------------------------------------------------------------ speech


def test_speech_results() -> None:
    body = (
        '<?xml version="1.0"?><result><interpretation grammar="g" confidence="87">'
        '<instance>bill</instance><input mode="speech">查话费</input></interpretation></result>'
    )
    e = Event({"Event-Name": "DETECTED_SPEECH", "Speech-Type": "detected-speech"}, body)
    r = tr.speech_result(e, AT)
    assert isinstance(r, ev.SpeechResult) and r.type == "speech_result"
    assert r.text == "查话费" and r.confidence == pytest.approx(0.87)
    nomatch = Event(
        {"Speech-Type": "detected-speech"},
        "<result><interpretation><input><nomatch/></input></interpretation></result>",
    )
    assert tr.speech_result(nomatch, AT) == ev.SpeechNoMatch("no_match", at=AT)
    assert tr.speech_result(Event({"Speech-Type": "begin-speaking"}), AT) is None
    assert tr.speech_result(Event({"Speech-Type": "detected-speech"}), AT) == ev.SpeechNoMatch(
        "no_input", at=AT
    )


# ------------------------------------------------------------------ play


def test_play_steps() -> None:
    p = cmd.Play(
        (
            cmd.PlayItem("audio", "sounds/welcome.wav"),
            cmd.PlayItem("tts", "Your balance is"),
            cmd.PlayItem("say", "12.5", "money"),
            cmd.PlayItem("say", "2026-10-20", "date"),
            cmd.PlayItem("say", "+8613800000000", "digits"),
        ),
        True,
        "en-US",
    )
    steps = tr.play_steps(p, tr.MediaConfig(sounds="/srv/sounds"))
    # say values are written out for the TTS engine and joined with the text around them:
    # no `say` app (T02 270-272: nothing said without the language's module; no capture
    # shows mod_say_en speaking)
    assert steps == [
        ("playback", "/srv/sounds/sounds/welcome.wav"),
        (
            "speak",
            "flite|kal|Your balance is 12 dollars and 50 cents October 20, 2026"
            " plus 8 6 1 3 8 0 0 0 0 0 0 0 0",
        ),
    ]
    items = (cmd.PlayItem("tts", "您的余额是"), cmd.PlayItem("say", "8.5", "money"))
    zh = cmd.Play(items, True, "zh-CN")
    assert tr.play_steps(zh, tr.MediaConfig()) == [("speak", "flite|kal|您的余额是 8.50元")]
    assert tr.terminators_var(True) == "any" and tr.terminators_var(False) == "none"


# ------------------------------------------------------------------ queue


def test_queue_results_from_recorded_sessions() -> None:
    answered = _completion("outbound_callcenter_json.jsonl", "callcenter")
    assert tr.queue_result(answered, False, AT).outcome == "answered"
    timeout = _completion("outbound_callcenter_no_agent_json.jsonl", "callcenter")
    assert tr.queue_result(timeout, False, AT).outcome == "timeout"
    no_agent = _completion("outbound_callcenter_no_agent_timeout_json.jsonl", "callcenter")
    assert tr.queue_result(no_agent, False, AT).outcome == "no_agent"


@pytest.mark.parametrize(
    ("reason", "broke", "outcome"),
    [
        ("EXIT_WITH_KEY", False, "exit_key"),
        ("BREAK_OUT", False, "exit_key"),
        ("BREAK_OUT", True, "timeout"),  # our own max-wait timer broke it
        ("", False, "no_agent"),  # unknown queue: the app returns at once
    ],
)
def test_queue_cancel_reasons(reason: str, broke: bool, outcome: str) -> None:
    e = _event(variable_cc_cause="cancel", variable_cc_cancel_reason=reason)
    assert tr.queue_result(e, broke, AT).outcome == outcome


def test_enqueue_sets() -> None:
    q = cmd.Enqueue("billing", 8, "wait_time", 480_000, "*", "survey", 45_000)
    sets = tr.enqueue_sets(q)
    assert sets[:2] == ["cc_base_score=8", "cc_exit_keys=*"]


# ------------------------------------------------------------------ transfer


def test_transfer_plans() -> None:
    blind = tr.transfer_plan(cmd.Transfer("1234", "blind"), None, CFG)
    assert (blind.app, blind.arg) == ("bridge", "loopback/1234/default")
    warm = tr.transfer_plan(cmd.Transfer("1234", "warm"), None, CFG)
    assert (warm.app, warm.arg) == ("bridge", "loopback/1234/default")
    sip = tr.transfer_plan(cmd.Transfer("sip:desk@example.invalid", "blind"), None, CFG)
    assert (sip.app, sip.arg) == ("bridge", "sofia/external/desk@example.invalid")
    bound = tr.transfer_plan(cmd.Transfer("sip:x@y", "blind", "desk"), "user/1901", CFG)
    assert (bound.app, bound.arg) == ("bridge", "user/1901")


@pytest.mark.parametrize(
    "target",
    [
        "{execute_on_answer=system id}user/1000",  # issue 12: a look-up value as `{ext}`
        "1000,sofia/gateway/carrier/+19005550100",
        "1000|sofia/gateway/carrier/+19005550100",
        "user/1000",  # a dial string not from the bindings
        "1000 XML default",
        "${system(id)}",
        "sip:a@b;transport=tcp,sofia/gateway/x/1",
        "",
    ],
)
def test_templated_transfer_targets_must_be_numbers(target: str) -> None:
    plan = tr.transfer_plan(cmd.Transfer(target, "blind"), None, CFG)
    assert (plan.app, plan.arg, plan.refused) == ("", "", tr.REFUSED_TARGET)


def test_transfer_numbers_and_bound_targets() -> None:
    assert tr.transfer_plan(cmd.Transfer("+8613800000000", "warm"), None, CFG).arg == (
        "loopback/+8613800000000/default"
    )
    assert tr.transfer_plan(cmd.Transfer(" 8001 ", "blind"), None, CFG).arg == (
        "loopback/8001/default"
    )
    bound = "sofia/gateway/pstn/+861012345678"  # bindings/prod.yaml
    assert tr.transfer_plan(cmd.Transfer("x", "blind", "fraud"), bound, CFG).arg == bound
    for bad in ("{a=b}user/1901", "user/1901,user/1902", "user/1901|x", "[x=1]user/1"):
        plan = tr.transfer_plan(cmd.Transfer("x", "blind", "fraud"), bad, CFG)
        assert plan.refused == tr.REFUSED_TARGET


def test_bridge_results_from_recorded_sessions() -> None:
    ok = _completion("outbound_bridge_json.jsonl", "bridge")
    assert tr.bridge_result(ok, AT).ok
    busy = _completion("outbound_bridge_busy_json.jsonl", "bridge")
    r = tr.bridge_result(busy, AT)
    assert (r.ok, r.cause) == (False, "USER_BUSY")
    fail = _completion("outbound_bridge_fail_continue_json.jsonl", "bridge")
    assert tr.bridge_result(fail, AT) == ev.TransferResult(False, "NORMAL_TEMPORARY_FAILURE", at=AT)


def test_hangup_cause_from_recorded_session() -> None:
    events = _fixture_events("outbound_caller_hangup_midprompt_json.jsonl")
    hangup = next(e for e in events if e.name == "CHANNEL_HANGUP")
    assert tr.hangup_cause(hangup) == "NORMAL_CLEARING"


# ------------------------------------------------------------------ the rest


def test_voicemail_and_record() -> None:
    assert tr.voicemail_arg("default/1000", CFG) == "default default 1000"
    path = tr.record_path(CFG, "abc/../x", 2)
    assert path.endswith("/abc____x_2.wav")
    assert tr.record_arg(path, 60_000).endswith(" 60 200 3")
    done = tr.record_done(_event(variable_record_seconds="7"), path, AT, voicemail=False)
    assert (done.path, done.duration_ms) == (path, 7000)


def test_voicemail_recording_may_last_as_long_as_the_profile_allows() -> None:
    def flow(name: str, *lengths: int, modules: dict[str, str] | None = None) -> FlowIR:
        nodes = {
            f"vm{i}": VoicemailNode(voicemail="box", max_length=ms) for i, ms in enumerate(lengths)
        }
        return FlowIR(name=name, nodes=nodes, modules=modules or {})

    flows = {
        "care": flow("care", 60_000, modules={"modules/night.yaml": "night"}),
        "night": flow("night", 180_000),
        "other": flow("other", 600_000),  # not served in this environment
    }
    bindings = {"flows": {"care": {"dids": ["5000"]}}}
    # mod_voicemail is not told the node's 60 s: its profile allows the environment's longest.
    assert tr.voicemail_record_ms(60_000, max_record_len(flows, bindings)) == 180_000
    assert tr.voicemail_record_ms(240_000, max_record_len(flows, bindings)) == 240_000
    assert tr.voicemail_record_ms(60_000, max_record_len(flows, {})) == 60_000


def test_state_round_trip() -> None:
    state = {"flow": "bank", "seq": 7, "vars": {"tier": "gold", "name": "王先生 ${x}"}}
    text = tr.encode_state(state)
    assert "${" not in text and " " not in text
    assert tr.decode_state(text) == state
    assert tr.decode_state("not base64 !!") == {}
    assert tr.decode_state(None) == {}


def test_expand_env_bound_first_then_process() -> None:
    text, missing = tr.expand_env(
        "${CRM_URL}/x?t=${TOKEN}&u=${NOPE}", {"CRM_URL": "http://crm"}, {"TOKEN": "s3cret"}
    )
    assert text == "http://crm/x?t=s3cret&u="
    assert missing == ["NOPE"]


def test_mirror_names() -> None:
    assert tr.mirror_name("tier") == "flowc_var_tier"
    assert tr.mirror_name("bad name") is None
    assert tr.input_var("flowc_menu") == "flowc_menu"
    assert tr.input_var("pin") == "flowc_in_pin"
