"""Behaviour of the sans-IO channel model beyond the recorded sessions.

Facts not covered by a recording come from FreeSWITCH's source
(mod_event_socket.c ``parse_command`` / ``read_packet`` / ``event_handler``,
switch_ivr_play_say.c ``switch_ivr_read`` / ``switch_play_and_get_digits``,
switch_core_session.c ``switch_core_session_execute_application_get_flags``).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.emulator import (
    BridgeOutcome,
    CallerScript,
    CallSpec,
    Channel,
    ChannelConfig,
    DialplanApp,
    QueueOutcome,
    SwitchProfile,
    Unrecorded,
    speech,
)
from runtime.emulator.profile import outbound_recordings
from runtime.esl import ESLConnection, ESLParser, commands
from runtime.esl.connection import Connected, Disconnect, EventReceived, ExecuteComplete
from tests.emulator.emu_support import event_pairs, header_block

UUID = "11111111-2222-4333-8444-555555555555"


class Sim:
    """Drive a Channel like a well-behaved driver: run every due timer after each input."""

    def __init__(
        self,
        script: CallerScript | None = None,
        *,
        caller: str = "+8613800000000",
        did: str = "5000",
        **config: object,
    ) -> None:
        config.setdefault("profile", outbound_recordings())
        cfg = ChannelConfig(seed=7, start_epoch=1_800_000_000.0, **config)  # type: ignore[arg-type]
        spec = CallSpec(
            caller=caller, did=did, uuid=UUID, script=script or CallerScript(), config=cfg
        )
        self.ch = Channel(spec, now=0.0)
        self.out: list[str] = []

    def send(self, data: bytes) -> list[str]:
        self.ch.receive_data(data, self.ch.now)
        return self.flush()

    def flush(self) -> list[str]:
        new = [o.data.decode() for o in self.ch.pop_output()]
        self.out += new
        return new

    def run(self, seconds: float | None = None, max_steps: int = 100_000) -> list[str]:
        """Advance virtual time timer by timer (for ``seconds`` or until nothing is due)."""
        limit = None if seconds is None else self.ch.now + seconds
        new: list[str] = []
        for _ in range(max_steps):
            deadline = self.ch.next_deadline()
            if deadline is None or (limit is not None and deadline > limit):
                break
            self.ch.advance(deadline)
            new += self.flush()
        if limit is not None:
            self.ch.advance(limit)
            new += self.flush()
        return new

    def setup(self, *cmds: bytes) -> None:
        self.send(b"connect\n\n")
        for c in cmds:
            self.send(c)

    def execute(self, app: str, arg: str = "", uuid: str = "app-1") -> list[str]:
        first = self.send(commands.sendmsg_execute(app, arg, uuid))
        return first + self.run()


def reply(msg: str) -> str | None:
    return dict(header_block(msg)[0]).get("Reply-Text")


def events(msgs: list[str]) -> list[dict[str, str]]:
    return [
        dict(e) for e in map(event_pairs, msgs) if e is not None and "Reply-Text" not in dict(e)
    ]


def names(msgs: list[str]) -> list[str]:
    out = []
    for m in msgs:
        e = event_pairs(m)
        d = dict(e) if e else {}
        if e is None or "Reply-Text" in d:
            ctype = dict(header_block(m)[0]).get("Content-Type", "")
            out.append(ctype if ctype != "command/reply" else f"reply:{reply(m)}")
        else:
            app = d.get("Application")
            out.append(d["Event-Name"] + (f":{app}" if app else ""))
    return out


def completion(msgs: list[str], app: str) -> dict[str, str]:
    (done,) = [
        e
        for e in events(msgs)
        if e["Event-Name"] == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application") == app
    ]
    return done


# -- the connect reply ----------------------------------------------------------------------


def test_connect_reply_is_channel_data_with_reply_headers_last() -> None:
    sim = Sim()
    (msg,) = sim.send(b"connect\n\n")
    assert msg.endswith(
        "Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n"
    )
    assert "Content-Length" not in msg
    assert "Caller-Caller-ID-Number: %2B8613800000000\n" in msg
    assert "Caller-Destination-Number: 5000\n" in msg
    assert f"Unique-ID: {UUID}\n" in msg
    (parsed,) = ESLParser().feed(msg.encode())
    assert parsed.reply_text == "+OK\n"
    assert list(parsed.headers)[-4:] == ["Content-Type", "Reply-Text", "Socket-Mode", "Control"]
    assert parsed.get("variable_socket_host") == "127.0.0.1"
    assert parsed.get("variable_current_application") == "socket"


def test_single_channel_static_connect_reply() -> None:
    sim = Sim(socket_data="127.0.0.1:8084")
    (msg,) = sim.send(b"connect\n\n")
    assert msg.endswith("Socket-Mode: static\nControl: single-channel\n\n")


# -- command replies --------------------------------------------------------------------------


def test_command_reply_texts() -> None:
    sim = Sim()
    sim.send(b"connect\n\n")
    cases = [
        (b"myevents\n\n", "+OK Events Enabled"),
        (b"myevents json\n\n", "-ERR aready enabled."),
        (b"linger\n\n", "+OK will linger"),
        (b"linger 10\n\n", "+OK will linger 10 seconds"),
        (b"nolinger\n\n", "+OK will not linger"),
        (b"event plain DTMF\n\n", "+OK event listener enabled plain"),
        (b"event json CUSTOM callcenter::info\n\n", "+OK event listener enabled json"),
        (b"event json NO_SUCH_EVENT\n\n", "-ERR no keywords supplied"),
        (b"nixevent DTMF\n\n", "+OK events nixed"),
        (b"filter Unique-ID " + UUID.encode() + b"\n\n", f"+OK filter added. [Unique-ID]=[{UUID}]"),
        (b"filter delete all\n\n", "+OK filter deleted. [all][]"),
        (b"filter Unique-ID\n\n", "-ERR invalid syntax"),
        (b"getvar uuid\n\n", UUID),
        (b"getvar no_such_variable\n\n", "-ERR command not found"),
        (b"divert_events on\n\n", "+OK events diverted"),
        (b"divert_events off\n\n", "+OK events not diverted"),
        (b"divert_events\n\n", "-ERR missing value."),
        (b"resume\n\n", "+OK"),
        (b"sendmsg other-uuid\ncall-command: execute\n\n", "-ERR invalid session id [other-uuid]"),
        (b"no such command\n\n", "-ERR command not found"),
        (b"noevents\n\n", "+OK no longer listening for events"),
        (b"noevents\n\n", "-ERR not listening for events"),
    ]  # fmt: skip
    for cmd, text in cases:
        (msg,) = sim.send(cmd)
        assert msg == f"Content-Type: command/reply\nReply-Text: {text}\n\n", cmd
    assert sim.ch.vars.get("socket_resume") == "true"
    with pytest.raises(Unrecorded, match="api status"):
        sim.send(b"api status\n\n")  # no recording shows `status`: refused, not invented
    (bg,) = sim.send(b"bgapi uuid_getvar x y\nJob-UUID: job-1\n\n")
    assert bg == "Content-Type: command/reply\nReply-Text: +OK Job-UUID: job-1\nJob-UUID: job-1\n\n"


def test_without_full_only_the_session_commands_work() -> None:
    sim = Sim(socket_data="127.0.0.1:8084 async")
    sim.send(b"connect\n\n")
    assert reply(sim.send(b"myevents\n\n")[0]) == "+OK Events Enabled"
    for cmd in (b"linger\n\n", b"event plain DTMF\n\n", b"api status\n\n", b"nolinger\n\n"):
        assert reply(sim.send(cmd)[0]) == "-ERR command not found"
    assert reply(sim.send(b"getvar uuid\n\n")[0]) == UUID
    assert reply(sim.send(commands.sendmsg_execute("answer", "", "a"))[0]) == "+OK"


def test_crlf_and_stray_newlines_are_accepted_and_commands_may_be_split() -> None:
    sim = Sim()
    sim.send(b"\r\n\nconn")
    assert sim.out == []
    sim.send(b"ect\r\n\r\n")
    assert sim.out[0].startswith("Event-Name: CHANNEL_DATA")
    msgs = sim.send(b"myevents\r\n\r\nlinger\n\n")
    assert [reply(m) for m in msgs] == ["+OK Events Enabled", "+OK will linger"]


def test_the_reply_to_the_first_packet_is_never_sent() -> None:
    sim = Sim()
    assert sim.send(b"myevents json\n\n") == []
    data, park = sim.send(b"connect\n\n")
    assert data.startswith("Event-Name: CHANNEL_DATA")
    assert dict(event_pairs(park) or [])["Event-Name"] == "CHANNEL_PARK"  # subscribed already
    assert reply(sim.send(b"linger\n\n")[0]) == "+OK will linger"
    # the first packet was processed: events are already enabled, in JSON
    msgs = sim.execute("answer")
    assert all("text/event-json" in m for m in msgs[1:])


def test_exit_says_bye_then_disconnects() -> None:
    sim = Sim()
    sim.setup()
    msgs = sim.send(b"exit\n\n")
    assert msgs[0] == "Content-Type: command/reply\nReply-Text: +OK bye\n\n"
    assert msgs[1] == (
        f"Content-Type: text/disconnect-notice\nControlled-Session-UUID: {UUID}\n"
        "Content-Disposition: disconnect\nContent-Length: 67\n\n"
        "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
    )
    assert sim.ch.socket_closed and sim.ch.next_deadline() is None
    assert sim.send(b"myevents\n\n") == []


# -- garbage and timeouts -----------------------------------------------------------------------


def test_no_first_command_within_25_seconds_closes_like_freeswitch() -> None:
    sim = Sim()
    sim.send(b"\x00\xff garbage without an empty line")
    assert sim.run(24.9) == []
    msgs = sim.run(1.0)
    assert names(msgs) == ["text/disconnect-notice"] and sim.ch.socket_closed


def test_garbage_commands_get_err_and_do_not_break_the_session() -> None:
    sim = Sim()
    sim.setup(b"myevents\n\n")
    for junk in (
        b"\xff\xfe\xfd\n\n",
        b"GET / HTTP/1.1\nHost: x\n\n",
        b"\x00connect\n\n",
        b"no colon line\nfoo\n\n",
    ):
        (msg,) = sim.send(junk)
        assert reply(msg) == "-ERR command not found", junk
    assert completion(sim.execute("answer"), "answer")["Application-Response"] == "_none_"


@settings(max_examples=150, deadline=None)
@given(chunks=st.lists(st.binary(max_size=64), max_size=12), seconds=st.floats(0, 40))
def test_arbitrary_bytes_never_raise_and_output_always_parses(
    chunks: list[bytes], seconds: float
) -> None:
    sim = Sim(CallerScript(inputs=["1#"]))
    for data in [b"connect\n\nmyevents json\n\n", *chunks]:
        sim.ch.receive_data(data or b"x", sim.ch.now)
        sim.flush()
    sim.run(seconds)
    ESLParser().feed(b"".join(m.encode() for m in sim.out))


# -- executing applications ---------------------------------------------------------------------


def test_answer_events_and_completion_matched_by_event_uuid() -> None:
    sim = Sim()
    sim.setup(b"myevents\n\n")
    msgs = sim.execute("answer", uuid="u-answer")
    assert names(msgs) == [
        "reply:+OK",
        "CHANNEL_EXECUTE:answer",
        "CHANNEL_PROGRESS_MEDIA",
        "CHANNEL_ANSWER",
        "CHANNEL_EXECUTE_COMPLETE:answer",
    ]
    done = completion(msgs, "answer")
    assert done["Application-UUID"] == "u-answer" and done["Application-Response"] == "_none_"
    assert "Application-Data" not in done and done["Answer-State"] == "answered"


def test_execute_without_event_uuid_gets_a_generated_one_and_uuid_name_is_echoed() -> None:
    sim = Sim()
    sim.setup(b"myevents\n\n")
    first = sim.send(
        b"sendmsg\ncall-command: execute\nexecute-app-name: log\nexecute-app-arg: INFO hi\n"
        b"Event-UUID-Name: mine\n\n"
    )
    done = completion(first + sim.run(), "log")
    assert len(done["Application-UUID"]) == 36 and done["Application-UUID-Name"] == "mine"
    assert done["Application-Data"] == "INFO hi"


def test_multiline_argument_body_and_variable_expansion() -> None:
    sim = Sim()
    sim.setup(b"myevents\n\n")
    sim.execute("set", "greeting=hello")
    msgs = sim.execute("log", "INFO ${greeting} ${nope}!\nsecond line")
    assert completion(msgs, "log")["Application-Data"] == "INFO hello !\nsecond line"


def test_loops_repeat_long_iterations_only() -> None:
    sim = Sim()
    sim.setup(b"myevents\n\n")
    long = "silence_stream://600"
    first = sim.send(commands.sendmsg_execute("playback", long, "u-loop", loops=3))
    assert names(first + sim.run()).count("CHANNEL_EXECUTE_COMPLETE:playback") == 3
    short = "silence_stream://100"
    first = sim.send(commands.sendmsg_execute("playback", short, "u-short", loops=3))
    assert names(first + sim.run()).count("CHANNEL_EXECUTE_COMPLETE:playback") == 1  # < 0.5 s


def test_an_application_no_recording_shows_is_refused() -> None:
    sim = Sim()
    sim.setup(b"myevents\n\n", b"linger\n\n")
    with pytest.raises(Unrecorded, match="no_such_app"):
        sim.execute("no_such_app", "x")
    strict = Sim()
    strict.setup(b"myevents\n\n")
    with pytest.raises(Unrecorded, match="sleep"):
        strict.execute("sleep", "100")  # a real app, but no capture shows it


def test_playback_responses() -> None:
    sim = Sim(CallerScript(missing_files=frozenset({"/sounds/gone.wav"})))
    sim.setup(b"myevents json\n\n")
    sim.execute("answer")
    played = completion(sim.execute("playback", "/sounds/welcome.wav"), "playback")
    assert (
        played["Application-Response"] == "FILE PLAYED" and played["variable_playback_ms"] == "1000"
    )
    gone = completion(sim.execute("playback", "/sounds/gone.wav"), "playback")
    assert gone["Application-Response"] == "FILE NOT FOUND" and "variable_playback_ms" in gone
    assert (
        completion(sim.execute("playback", "enter"), "playback")["Application-Response"]
        == "FILE NOT FOUND"
    )


def test_playback_on_an_unanswered_channel_pre_answers_first() -> None:
    sim = Sim()
    sim.setup(b"myevents\n\n")
    msgs = sim.execute("playback", "silence_stream://100")
    assert names(msgs)[1:3] == ["CHANNEL_PROGRESS_MEDIA", "CHANNEL_EXECUTE:playback"]


def test_sendmsg_hangup_interrupts_a_running_playback() -> None:
    sim = Sim()
    sim.setup(b"myevents json\n\n", b"linger\n\n")
    sim.execute("answer")
    sim.send(commands.sendmsg_execute("playback", "silence_stream://20000", "u-play"))
    sim.run(1.0)
    msgs = sim.send(commands.sendmsg_hangup("USER_BUSY")) + sim.run()
    assert names(msgs)[:3] == ["reply:+OK", "CHANNEL_HANGUP", "CHANNEL_EXECUTE_COMPLETE:playback"]
    assert completion(msgs, "playback")["Application-Response"] == "PLAYBACK ERROR"
    assert sim.ch.now < 2.0
    tail = names(msgs)[3:]
    assert tail == [
        "CHANNEL_UNPARK",
        "CHANNEL_EXECUTE_COMPLETE:socket",
        "CHANNEL_STATE",
        "CHANNEL_STATE",
        "CHANNEL_HANGUP_COMPLETE",
        "text/disconnect-notice",
    ]
    hc = events(msgs)[-1]
    assert hc["Hangup-Cause"] == "USER_BUSY" and hc["variable_hangup_cause_q850"] == "17"


def test_caller_hangup_during_the_nth_app() -> None:
    sim = Sim(CallerScript(hangup_after_apps=2, hangup_delay=0.2))
    sim.setup(b"myevents\n\n", b"linger\n\n")
    sim.execute("answer")
    msgs = sim.execute("set", "a=b")  # instantaneous: the hang-up still lands inside it
    assert names(msgs)[1:4] == [
        "CHANNEL_EXECUTE:set",
        "CHANNEL_HANGUP",
        "CHANNEL_EXECUTE_COMPLETE:set",
    ]
    assert events(msgs)[1]["variable_sip_term_status"] == "200"
    # commands after the hang-up are still answered +OK, and nothing runs
    after = sim.execute("playback", "silence_stream://100")
    assert names(after) == ["reply:+OK"]


def test_without_linger_the_socket_closes_right_after_the_hangup() -> None:
    sim = Sim()
    sim.setup(b"myevents\n\n")
    sim.execute("answer")
    msgs = sim.execute("hangup", "NORMAL_CLEARING")
    assert names(msgs) == [
        "reply:+OK",
        "CHANNEL_EXECUTE:hangup",
        "CHANNEL_HANGUP",
        "CHANNEL_EXECUTE_COMPLETE:hangup",
        "CHANNEL_UNPARK",
        "CHANNEL_EXECUTE_COMPLETE:socket",
        "text/disconnect-notice",
    ]
    assert "Content-Disposition: disconnect" in msgs[-1] and sim.ch.socket_closed


def test_linger_with_seconds_closes_after_that_time() -> None:
    sim = Sim()
    sim.setup(b"myevents\n\n", b"linger 5\n\n")
    msgs = sim.send(commands.sendmsg_execute("hangup", "", "h")) + sim.run(0.1)
    assert "Content-Disposition: linger\n" in msgs[-1] and "Linger-Time: 5\n" in msgs[-1]
    assert sim.run(4.7) == []
    assert names(sim.run(0.4)) == ["text/disconnect-notice"]


def test_static_socket_replies_after_the_app_then_sends_its_events() -> None:
    sim = Sim(socket_data="127.0.0.1:8084 full")
    sim.setup(b"myevents\n\n")
    sim.send(commands.sendmsg_execute("playback", "silence_stream://1500", "u-static"))
    assert sim.flush() == []
    msgs = sim.run()
    assert names(msgs)[0] == "reply:+OK"
    assert names(msgs)[-1] == "CHANNEL_EXECUTE_COMPLETE:playback"
    assert "CHANNEL_PARK" not in names(sim.out)


# -- subscriptions ------------------------------------------------------------------------------


def test_filters_or_positive_values_and_veto_negative_ones() -> None:
    sim = Sim()
    sim.setup(
        b"myevents\n\n",
        b"filter Event-Name CHANNEL_ANSWER\n\n",
        b"filter Event-Name /^CHANNEL_EXECUTE/\n\n",
    )
    msgs = sim.execute("answer")
    assert names(msgs) == [
        "reply:+OK",
        "CHANNEL_EXECUTE:answer",
        "CHANNEL_ANSWER",
        "CHANNEL_EXECUTE_COMPLETE:answer",
    ]
    sim.send(b"filter Application -answer\n\n")
    assert names(sim.execute("answer")) == ["reply:+OK"]
    sim.send(b"filter delete all\n\n")
    assert len(sim.execute("log", "x")) == 3


def test_nixevent_and_event_format_switch() -> None:
    sim = Sim(CallerScript(inputs=["12"]))
    sim.setup(b"myevents json\n\n", b"nixevent DTMF\n\n")
    sim.execute("answer")
    msgs = sim.execute(
        "play_and_get_digits", "2 2 1 3000 # silence silence_stream://250 d \\d+ 1000"
    )
    assert "DTMF" not in names(msgs)
    sim.send(b"event plain DTMF\n\n")
    msgs = sim.execute(
        "play_and_get_digits", "1 1 1 3000 # silence silence_stream://250 d \\d+ 1000"
    )
    assert all("text/event-plain" in m for m in msgs[1:])


def test_custom_events_need_the_subclass() -> None:
    script = CallerScript(queues={"q": QueueOutcome("timeout", wait=1.0)})
    sim = Sim(script)
    sim.setup(b"myevents\n\n")
    sim.execute("answer")
    assert "CUSTOM" not in names(sim.execute("callcenter", "q"))
    sim2 = Sim(script)
    sim2.setup(b"myevents\n\n", b"event plain CUSTOM callcenter::info\n\n")
    sim2.execute("answer")
    actions = [
        e.get("CC-Action")
        for e in events(sim2.execute("callcenter", "q"))
        if e["Event-Name"] == "CUSTOM"
    ]
    assert actions == ["member-queue-start", "member-queue-end"]


# -- play_and_get_digits --------------------------------------------------------------------------


def pagd(sim: Sim, arg: str) -> tuple[list[str], dict[str, str]]:
    msgs = sim.execute("play_and_get_digits", arg)
    return msgs, completion(msgs, "play_and_get_digits")


def test_pagd_terminator_digits_and_plain_pound_encoding() -> None:
    sim = Sim(CallerScript(inputs=["123#"]))
    sim.setup(b"myevents\n\n")
    msgs, done = pagd(
        sim, "1 4 2 4000 # tone_stream://%(200,0,800) silence_stream://250 ivr_digits \\d+ 3000"
    )
    assert [e["DTMF-Digit"] for e in events(msgs) if e["Event-Name"] == "DTMF"] == list("123#")
    assert "DTMF-Digit: %23\n" in msgs[-2]
    assert (done["variable_read_result"], done["variable_ivr_digits"]) == ("success", "123")
    assert done["variable_read_terminator_used"] == "#" and done["Application-Response"] == "_none_"


def test_pagd_regex_mismatch_retries_and_sets_invalid() -> None:
    sim = Sim(CallerScript(inputs=["99", "123"]))
    sim.setup(b"myevents\n\n")
    _, done = pagd(sim, "3 3 3 4000 # silence silence_stream://250 code ^\\d{3}$ 2000")
    assert done["variable_code"] == "123" and done["variable_read_result"] == "success"
    assert "variable_code_invalid" not in done  # only a mismatch sets it; too short is not one
    sim2 = Sim(CallerScript(inputs=["999"]))
    sim2.setup(b"myevents\n\n")
    _, done2 = pagd(sim2, "3 3 1 4000 # silence silence_stream://250 code ^1\\d+$ 2000")
    assert done2["variable_code_invalid"] == "999" and "variable_code" not in done2


def test_pagd_max_digits_without_terminator_and_silence_failure() -> None:
    sim = Sim(CallerScript(inputs=["12345", "silence", "silence"]))
    sim.setup(b"myevents\n\n")
    _, done = pagd(sim, "1 4 1 4000 # silence silence_stream://250 v \\d+ 2000")
    assert done["variable_v"] == "1234" and "variable_read_terminator_used" not in done
    t0 = sim.ch.now
    _, done = pagd(sim, "1 4 2 4000 # silence silence_stream://250 v \\d+ 2000")
    assert done["variable_read_result"] == "failure" and "variable_v" not in done
    assert 8.0 <= sim.ch.now - t0 < 9.0  # two tries of 4 s (+ 250 ms invalid prompts)


def test_pagd_timeout_with_enough_digits_is_success() -> None:
    sim = Sim(CallerScript(inputs=["12"]))
    sim.setup(b"myevents\n\n")
    _, done = pagd(sim, "2 4 1 4000 # silence silence_stream://250 v \\d+ 1500")
    assert done["variable_read_result"] == "timeout" and done["variable_v"] == "12"


def test_pagd_unquoted_prompt_shifts_arguments_into_a_fail_extension() -> None:
    # the recorded app had set tts_engine/tts_voice (the fixture's note)
    tts_vars = (("tts_engine", "flite"), ("tts_voice", "kal"))
    tts = SwitchProfile(name="tts", channel_vars=tts_vars, sound_files=True)
    sim = Sim(CallerScript(inputs=["123#"], extensions={}), profile=tts)
    sim.setup(b"myevents\n\n", b"linger\n\n")
    msgs, done = pagd(
        sim, "1 4 2 4000 # say:Please enter your code silence_stream://250 code \\d+ 3000"
    )
    assert done["variable_your_invalid"] == "123" and done["variable_read_result"] == "failure"
    assert done["variable_transfer_history"].endswith(":bl_xfer:code/3000/\\d+")
    after = names(msgs)[names(msgs).index("CHANNEL_EXECUTE_COMPLETE:play_and_get_digits") + 1 :]
    assert after[:4] == [
        "CHANNEL_UNPARK",
        "CHANNEL_EXECUTE_COMPLETE:socket",
        "CHANNEL_STATE",
        "CHANNEL_HANGUP",
    ]
    hangup = next(e for e in events(msgs) if e["Event-Name"] == "CHANNEL_HANGUP")
    assert hangup["Hangup-Cause"] == "NO_ROUTE_DESTINATION"
    quoted = Sim(CallerScript(inputs=["123#"]), profile=tts)
    quoted.setup(b"myevents\n\n")
    arg = commands.pagd_args(
        1, 4, 2, 4000, "#", "say:Please enter your code", "", "code", "\\d+", 3000
    )
    _, ok = pagd(quoted, arg)
    assert ok["variable_code"] == "123"


def test_pagd_caller_hangup_arrives_before_the_completion() -> None:
    sim = Sim(CallerScript(inputs=["hangup"]))
    sim.setup(b"myevents\n\n", b"linger\n\n")
    sim.execute("answer")
    msgs, done = pagd(sim, "1 4 2 4000 # silence_stream://5000 silence_stream://250 v \\d+ 2000")
    order = names(msgs)
    assert order.index("CHANNEL_HANGUP") < order.index(
        "CHANNEL_EXECUTE_COMPLETE:play_and_get_digits"
    )
    assert (
        done["Hangup-Cause"] == "NORMAL_CLEARING"
        and done["variable_sip_hangup_disposition"] == "recv_bye"
    )


# -- speech, queues, bridges, transfers ------------------------------------------------------------


def test_detect_speech_event_with_fire_asr_events_or_divert() -> None:
    # no capture has an ASR module: this model only runs for a profile that loads one
    asr = SwitchProfile(name="asr", asr_modules=frozenset({"unimrcp", "x"}), sound_files=True)
    sim = Sim(CallerScript(inputs=[speech("billing please")]), profile=asr)
    sim.setup(b"myevents json\n\n")
    sim.execute("answer")
    sim.execute("set", "fire_asr_events=true")
    msgs = sim.execute("detect_speech", "unimrcp builtin:grammar/boolean default")
    speech_events = [e for e in events(msgs) if e["Event-Name"] == "DETECTED_SPEECH"]
    assert [e["Speech-Type"] for e in speech_events] == ["begin-speaking", "detected-speech"]
    body = json.loads(msgs[-1].partition("\n\n")[2])["_body"]
    assert "billing please" in body and "<result" in body
    quiet = Sim(CallerScript(inputs=[speech("yes")]), profile=asr)
    quiet.setup(b"myevents\n\n")
    assert "DETECTED_SPEECH" not in names(quiet.execute("detect_speech", "x y z"))
    diverted = Sim(CallerScript(inputs=[speech("yes")]), profile=asr)
    diverted.setup(b"myevents\n\n", b"divert_events on\n\n")
    assert names(diverted.execute("detect_speech", "x y z")).count("DETECTED_SPEECH") == 2


def test_callcenter_exit_key_and_hangup_while_waiting() -> None:
    sim = Sim(CallerScript(queues={"q": QueueOutcome("exit_key", wait=2.0, exit_key="*")}))
    sim.setup(b"myevents\n\n")
    sim.execute("answer")
    msgs = sim.execute("callcenter", "q")
    assert [e["DTMF-Digit"] for e in events(msgs) if e["Event-Name"] == "DTMF"] == ["*"]
    done = completion(msgs, "callcenter")
    assert (done["variable_cc_cause"], done["variable_cc_cancel_reason"]) == (
        "cancel",
        "EXIT_WITH_KEY",
    )
    gone = Sim(CallerScript(queues={"q": QueueOutcome("hangup", wait=1.0)}))
    gone.setup(b"myevents\n\n", b"linger\n\n")
    gone.execute("answer")
    done = completion(gone.execute("callcenter", "q"), "callcenter")
    assert (
        done["variable_cc_cancel_reason"] == "BREAK_OUT"
        and done["Hangup-Cause"] == "NORMAL_CLEARING"
    )


def test_callcenter_answered_leaves_socket_control_then_hangs_up() -> None:
    sim = Sim(CallerScript(queues={"support": QueueOutcome("answered", talk_time=3.0)}))
    sim.setup(b"myevents\n\n", b"linger\n\n")
    sim.execute("answer")
    msgs = sim.execute("callcenter", "support@default")
    assert names(msgs)[2:] == [
        "CHANNEL_EXECUTE_COMPLETE:callcenter",
        "CHANNEL_UNPARK",
        "CHANNEL_EXECUTE_COMPLETE:socket",
        "CHANNEL_STATE",
        "CHANNEL_STATE",
        "CHANNEL_STATE",
        "CHANNEL_EXECUTE:uuid_bridge",
        "CHANNEL_BRIDGE",
        "CHANNEL_UNBRIDGE",
        "CHANNEL_STATE",
        "CHANNEL_HANGUP",
        "CHANNEL_STATE",
        "CHANNEL_STATE",
        "CHANNEL_HANGUP_COMPLETE",
        "text/disconnect-notice",
    ]
    assert completion(msgs, "callcenter")["variable_cc_cause"] == "answered"
    assert 3.0 <= sim.ch.now < 3.5


def test_bridge_hangup_after_bridge_and_continue_on_fail_list() -> None:
    sim = Sim(CallerScript(bridges=[BridgeOutcome("answered", talk_time=1.0)]))
    sim.setup(b"myevents\n\n", b"linger\n\n")
    sim.execute("answer")
    sim.execute("set", "hangup_after_bridge=true")
    order = names(sim.execute("bridge", "sofia/internal/agent@127.0.0.1:5080"))
    assert (
        order.index("CHANNEL_UNBRIDGE")
        < order.index("CHANNEL_HANGUP")
        < order.index("CHANNEL_EXECUTE_COMPLETE:bridge")
    )
    busy = Sim(CallerScript(bridges=[BridgeOutcome("busy")]))
    busy.setup(b"myevents\n\n")
    busy.execute("answer")
    busy.execute("set", "continue_on_fail=NORMAL_TEMPORARY_FAILURE,USER_BUSY")
    done = completion(busy.execute("bridge", "sofia/internal/agent@127.0.0.1:5080"), "bridge")
    assert done["variable_DIALSTATUS"] == "BUSY" and "Hangup-Cause" not in done
    err = Sim()
    err.setup(b"myevents\n\n", b"linger\n\n")
    err.execute("answer")
    done = completion(err.execute("bridge", "error/user_busy"), "bridge")
    assert (
        done["variable_originate_disposition"] == "USER_BUSY"
        and done["Hangup-Cause"] == "USER_BUSY"
    )


def test_transfer_runs_the_target_extension_off_socket_control() -> None:
    sim = Sim(CallerScript(extensions=None))
    sim.setup(b"myevents\n\n", b"linger\n\n")
    sim.execute("answer")
    msgs = sim.execute("transfer", "9999 XML default")
    order = names(msgs)
    assert order[1:6] == [
        "CHANNEL_EXECUTE:transfer",
        "CHANNEL_EXECUTE_COMPLETE:transfer",
        "CHANNEL_UNPARK",
        "CHANNEL_EXECUTE_COMPLETE:socket",
        "CHANNEL_STATE",
    ]
    assert "CHANNEL_EXECUTE:playback" in order and order[-1] == "text/disconnect-notice"
    dialplan_uuids = {
        e["Application-UUID"] for e in events(msgs) if e.get("Application") == "playback"
    }
    assert len(dialplan_uuids) == 1 and "app-1" not in dialplan_uuids
    assert completion(msgs, "transfer")["Caller-Destination-Number"] == "9999"


def test_after_socket_dialplan_runs_on_resume_when_the_socket_closes() -> None:
    sim = Sim(CallerScript(after_socket=[DialplanApp("log", "x")]))
    sim.setup(b"myevents\n\n", b"resume\n\n")
    sim.send(b"")  # the application closes
    assert sim.ch.socket_closed and sim.flush() == []


# -- the output is what runtime.esl expects ---------------------------------------------------


def test_a_whole_session_parses_with_the_runtime_esl_connection() -> None:
    sim = Sim(CallerScript(inputs=["42#"]))
    conn = ESLConnection("outbound")
    seen: list[object] = []
    for cmd in (
        commands.connect(),
        commands.myevents("json"),
        commands.linger(),
        commands.sendmsg_execute("answer", "", "e1"),
        commands.sendmsg_execute(
            "play_and_get_digits",
            commands.pagd_args(1, 2, 1, 3000, "#", "silence", "", "d", "\\d+", 2000),
            "e2",
        ),
        commands.sendmsg_execute("hangup", "NORMAL_CLEARING", "e3"),
    ):
        before = len(sim.out)
        data, _ = conn.send(cmd)
        sim.ch.receive_data(data, sim.ch.now)
        sim.flush()
        sim.run()
        seen.extend(conn.receive_data("".join(sim.out[before:]).encode()))
    assert isinstance(seen[0], Connected)
    done = [ev for ev in seen if isinstance(ev, ExecuteComplete)]
    assert [d.event_uuid for d in done] == ["e1", "e2", "e3"]
    assert done[1].event.variable("d") == "42"
    assert conn.hangup_seen and any(isinstance(ev, Disconnect) and ev.linger for ev in seen)
    assert any(
        isinstance(ev, EventReceived) and ev.event.name == "CHANNEL_HANGUP_COMPLETE" for ev in seen
    )
