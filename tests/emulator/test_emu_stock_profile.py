"""STRICTNESS: the emulated stock FreeSWITCH 1.10.12 (``profile.stock_1_10_12``) does what the
live captures show (``tests/fixtures/freeswitch/live/``, named per test) and refuses the rest.

The whole calls are replayed in ``tests/conformance/test_live_conformance.py``; these tests
pin each behaviour on its own, with the capture's own arguments.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from runtime.emulator import CallerScript, ChannelConfig, QueueOutcome, Unrecorded
from runtime.emulator.channel import SAY_STRING_USAGE
from runtime.emulator.profile import VANILLA_HOLD_MUSIC, stock_1_10_12
from runtime.esl import commands
from tests.emulator.test_emu_switch import UUID, Call, completion, events, executed

MENU = "say:人工服务请按0。查话费和缴费请按1。"
PAGD = f"1 1 1 6000 none {MENU} silence_stream://250 flowc_menu ^[0-9*#]$ 20"


def stock(script: CallerScript | None = None, **flags: object) -> Call:
    call = Call(script, profile=stock_1_10_12(**flags))  # type: ignore[arg-type]
    call.setup()
    call.execute("answer")
    return call


def test_the_stock_profile_is_the_recorded_switch() -> None:
    p = stock_1_10_12()
    assert p.tts == {"flite": frozenset({"kal"})} and p.say_languages == {"en"}
    assert not p.asr_modules and not p.sound_files and not p.local_stream
    assert p.has_user("default", "1001") and not stock_1_10_12(default_domain=False).has_user(
        "default", "1001"
    )
    assert ("tts_engine", "flite") in p.channel_vars
    assert not stock_1_10_12(hold_music=VANILLA_HOLD_MUSIC).hold_music_playable()


def test_a_say_prompt_without_tts_engine_fails_and_the_collect_runs_to_its_timeout() -> None:
    # T01a lines 253-257: "Invalid Args", 6 s of listening, the bad prompt, read_result failure
    call = stock(tts_vars=False)
    start = call.ch.now
    done = completion(call.execute("play_and_get_digits", PAGD), "play_and_get_digits")
    assert done["variable_read_result"] == "failure"
    assert call.ch.now - start >= 6.25


def test_a_say_prompt_with_tts_engine_plays_and_collects() -> None:
    call = stock(CallerScript(inputs=["1"]))
    done = completion(call.execute("play_and_get_digits", PAGD), "play_and_get_digits")
    assert (done["variable_read_result"], done["variable_flowc_menu"]) == ("success", "1")


def test_file_string_of_say_items_cannot_be_opened_and_the_collect_returns_at_once() -> None:
    # T01 lines 283-284: both items "Unknown file Format", the try ends, only the bad prompt
    call = stock(CallerScript(inputs=["1"]))
    arg = PAGD.replace(MENU, "file_string://say:抱歉。!" + MENU)
    start = call.ch.now
    done = completion(call.execute("play_and_get_digits", arg), "play_and_get_digits")
    assert "variable_read_result" not in done and call.ch.now - start < 0.5
    assert "DTMF" not in [e["Event-Name"] for e in events(call.out[0])]


@pytest.mark.parametrize(
    "path",
    [
        "file_string://silence_stream://100!say:x",  # a stream among failing items
        "/srv/sounds/welcome.wav",  # no sound files on the recorded switch
        "local_stream://moh",  # no mod_local_stream
        "shout://example.invalid/a.mp3",
    ],
)
def test_what_no_capture_plays_is_refused(path: str) -> None:
    call = stock()
    with pytest.raises(Unrecorded):
        call.execute("playback", path)


def test_say_string_for_a_language_without_a_say_module_expands_to_its_usage() -> None:
    # T06 lines 302-304: the -ERR text (with its newline) is pasted into the file list
    call = stock()
    arg = (
        "1 1 3 5000 none 'file_string://say:回电号码是!"
        "${say_string(zh.wav zh NUMBER ITERATED +8613800000000)}!say:，确认请按1。' "
        "silence_stream://250 flowc_confirm ^[12]$ 2000"
    )
    msgs = call.execute("play_and_get_digits", arg)
    ((_, data),) = [x for x in executed(msgs) if x[0] == "play_and_get_digits"]
    assert "!" + SAY_STRING_USAGE + "!" in data
    with pytest.raises(Unrecorded):
        call.execute("playback", "${expr(1+1)}")


def test_say_in_a_language_without_a_module_says_nothing() -> None:
    # T02 lines 270-272: "Can't find language zh.", the app completes at once
    call = stock()
    start = call.ch.now
    completion(call.execute("say", "zh CURRENCY PRONOUNCED 20.5"), "say")
    assert call.ch.now == start and "Can't find language zh." in call.ch.switch_log
    with pytest.raises(Unrecorded):
        call.execute("say", "en NUMBER PRONOUNCED 7")


def test_detect_speech_with_no_asr_module_completes_at_once() -> None:
    # T01a lines 250-252: "Invalid ASR module [unimrcp]!"; the next collect gets the keys
    call = stock(CallerScript(inputs=["1"]))
    completion(call.execute("detect_speech", "unimrcp flowc flowc"), "detect_speech")
    assert "Invalid ASR module [unimrcp]!" in call.ch.switch_log
    done = completion(call.execute("play_and_get_digits", PAGD, uuid="p"), "play_and_get_digits")
    assert done["variable_flowc_menu"] == "1"


@pytest.mark.parametrize(
    ("flags", "lasts", "capture"),
    [({"default_domain": False}, 0.1, "T10b"), ({"skip_vars": False}, 0.4, "T10c")],
)
def test_voicemail_that_records_nothing(flags: dict[str, bool], lasts: float, capture: str) -> None:
    call = stock(**flags)  # type: ignore[arg-type]
    start = call.ch.now
    done = completion(call.execute("voicemail", "default default 1001"), "voicemail")
    assert call.ch.now - start == pytest.approx(lasts), capture
    assert "variable_record_ms" not in done and "variable_voicemail_message_len" not in done


def test_voicemail_records_with_the_mailbox_and_the_skip_variables() -> None:
    # T10: voicemail_message_len is HH:MM:SS, record_ms the length
    call = stock(CallerScript(record_ms=6390))
    done = completion(call.execute("voicemail", "default default 1001"), "voicemail")
    assert (done["variable_voicemail_message_len"], done["variable_record_ms"]) == (
        "00:00:06",
        "6390",
    )


def waiting(call: Call) -> None:
    call.execute("set", "cc_exit_keys=*", uuid="k")
    call.send(commands.sendmsg_execute("callcenter", "q@default", "cc"))
    call.run(5.0)


def test_uuid_break_does_not_end_a_queue_wait() -> None:
    # T08 lines 28-30: +OK, then nothing for 60 s; the member leaves only at the hang-up
    call = stock(CallerScript(default_queue=QueueOutcome("wait")))
    waiting(call)
    assert call.api(f"uuid_break {UUID} all") == "+OK\n"
    call.run(60.0)
    assert [m.state for m in call.ch.switch.members] == ["Waiting"]
    call.send(b"sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_TEMPORARY_FAILURE\n\n")
    call.run(1.0)
    done = completion(call.out[0], "callcenter")
    assert done["variable_cc_cancel_reason"] == "BREAK_OUT"


def test_uuid_recv_dtmf_with_the_exit_key_ends_the_wait() -> None:
    # E1 lines 300-305 and the side action's reply (line 481)
    call = stock(CallerScript(default_queue=QueueOutcome("wait")))
    waiting(call)
    assert call.api(f"uuid_recv_dtmf {UUID} *") == f"+OK {UUID} received DTMF *.\n"
    call.run(1.0)
    done = completion(call.out[0], "callcenter")
    assert (done["variable_cc_cancel_reason"], done["variable_cc_exit_key"]) == (
        "EXIT_WITH_KEY",
        "*",
    )
    (dtmf,) = [e for e in events(call.out[0]) if e["Event-Name"] == "DTMF"]
    assert dtmf["DTMF-Duration"] == "2000"


def test_unplayable_hold_music_loses_the_exit_key_and_the_broadcasts() -> None:
    # T06a: the key at 3 s and eight broadcasts (+OK Message sent) change nothing
    call = stock(
        CallerScript(default_queue=QueueOutcome("exit_key", wait=3.0)),
        hold_music=VANILLA_HOLD_MUSIC,
    )
    waiting(call)
    reply = call.api(f"uuid_broadcast {UUID} speak::flite|kal|hello aleg")
    call.run(60.0)
    assert reply == "+OK Message sent\n"
    assert [a for a, _ in executed(call.out[0])] == ["answer", "set", "callcenter"]


def test_a_second_socket_keeps_control_while_the_first_stays_open() -> None:
    # D1: the first socket kept open, the survey's two collects both run
    from runtime.emulator import DialplanApp

    resume = "127.0.0.1:9003 async full"
    script = CallerScript(
        queues={"q": QueueOutcome("answered", wait=1.0, talk_time=2.0)},
        after_socket=[DialplanApp("socket", resume)],
    )
    call = Call(script, profile=stock_1_10_12())
    call.setup()
    call.execute("answer")
    call.execute("callcenter", "q", "cc")
    call.ch.socket_connected(1, call.ch.now)
    call.setup(socket=1)
    for n in (1, 2):
        msgs = call.execute("speak", "flite|kal|Survey question", uuid=f"s{n}", socket=1)
        assert completion(msgs, "speak")
    assert "CHANNEL_UNPARK" not in [e["Event-Name"] for e in events(call.out[1])]


def test_the_asyncio_driver_raises_what_no_recording_shows_into_the_test() -> None:
    # an application that plays a sound file on the stock switch (it has none)
    import asyncio

    from runtime.emulator import CallSpec, place_call
    from runtime.esl import commands as cmd
    from runtime.esl.aio import AsyncESL
    from tests.emulator.emu_support import AppLog
    from tests.emulator.test_emu_aio import with_app

    def app(log: AppLog) -> Callable[[AsyncESL], Awaitable[None]]:
        async def handler(esl: AsyncESL) -> None:
            await esl.command(cmd.myevents("json"), timeout=5)
            await esl.execute("playback", "/srv/sounds/welcome.wav", timeout=5)

        return handler

    async def body(port: int) -> object:
        spec = CallSpec(config=ChannelConfig(socket_data=f"127.0.0.1:{port} async full"))
        return await place_call(spec, timeout=10, time_scale=0)

    with pytest.raises(Unrecorded, match="sound file"):
        asyncio.run(with_app(app(AppLog()), body))
