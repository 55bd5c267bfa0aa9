"""The emulated switch beyond one socket: multiset, the api table (uuid_break, uuid_setvar,
uuid_getvar, uuid_broadcast, callcenter_config), several sockets for one channel, the
socket action's address, per-queue outcome sequences.

Facts come from FreeSWITCH's source: mod_dptools ``multiset_function`` / ``base_set``,
switch_utils.c ``switch_separate_string``, mod_commands ``break_function`` /
``uuid_setvar_function`` / ``uuid_getvar_function`` / ``uuid_broadcast_function``,
switch_ivr_async.c ``switch_ivr_broadcast``, switch_ivr.c ``switch_ivr_parse_event``,
mod_callcenter ``callcenter_function`` / ``cc_config_api_function`` /
``list_result_callback`` / ``agents_callback``, mod_event_socket ``socket_function`` /
``api_exec``.
"""

from __future__ import annotations

import pytest

from runtime.emulator import (
    CallerScript,
    CallSpec,
    Channel,
    ChannelConfig,
    DialplanApp,
    QueueMember,
    QueueOutcome,
    Switch,
    Unrecorded,
    socket_target,
)
from runtime.emulator.channel import socket_targets
from runtime.emulator.fsutil import separate_string_char
from runtime.emulator.profile import outbound_recordings
from runtime.esl import commands
from tests.emulator.emu_support import event_pairs, header_block

UUID = "11111111-2222-4333-8444-555555555555"
OTHER = "99999999-2222-4333-8444-555555555555"


class Call:
    """Drive a Channel (and its later sockets) like a well-behaved driver, in virtual time."""

    def __init__(
        self,
        script: CallerScript | None = None,
        *,
        uuid: str = UUID,
        switch: Switch | None = None,
        start: float = 1_800_000_000.0,
        connect_first: bool = True,
        **config: object,
    ) -> None:
        config.setdefault("profile", outbound_recordings())
        cfg = ChannelConfig(seed=7, start_epoch=start, **config)  # type: ignore[arg-type]
        spec = CallSpec(uuid=uuid, script=script or CallerScript(), config=cfg)
        self.ch = Channel(spec, now=0.0, switch=switch, connect_first=connect_first)
        self.out: dict[int, list[str]] = {}

    def send(self, data: bytes, socket: int = 0) -> list[str]:
        self.ch.receive_data(data, self.ch.now, socket=socket)
        return self.flush(socket)

    def flush(self, socket: int = 0) -> list[str]:
        new = [o.data.decode() for o in self.ch.pop_output(socket)]
        self.out.setdefault(socket, []).extend(new)
        return new

    def run(self, seconds: float | None = None, socket: int = 0) -> list[str]:
        limit = None if seconds is None else self.ch.now + seconds
        new: list[str] = []
        for _ in range(100_000):
            deadline = self.ch.next_deadline()
            if deadline is None or (limit is not None and deadline > limit):
                break
            self.ch.advance(deadline)
            new += self.flush(socket)
        if limit is not None:
            self.ch.advance(limit)
            new += self.flush(socket)
        return new

    def setup(self, socket: int = 0) -> None:
        for cmd in (b"connect\n\n", b"myevents\n\n", b"linger\n\n"):
            self.send(cmd, socket)

    def execute(self, app: str, arg: str = "", uuid: str = "app-1", socket: int = 0) -> list[str]:
        first = self.send(commands.sendmsg_execute(app, arg, uuid), socket)
        return first + self.run(socket=socket)

    def mark(self, socket: int = 0) -> int:
        return len(self.out.setdefault(socket, []))

    def since(self, mark: int, socket: int = 0) -> list[str]:
        """Everything written on ``socket`` since ``mark`` (api replies included)."""
        return self.out.get(socket, [])[mark:]

    def api(self, text: str, socket: int = 0) -> str:
        """The api/response body (what the same input made the channel write is in ``out``)."""
        (msg,) = [m for m in self.send(f"api {text}\n\n".encode(), socket) if "api/response" in m]
        head, body = header_block(msg)
        assert dict(head)["Content-Length"] == str(len(body.encode()))
        return body


def events(msgs: list[str]) -> list[dict[str, str]]:
    out = []
    for m in msgs:
        e = event_pairs(m)
        if e is not None and "Reply-Text" not in dict(e):
            out.append(dict(e))
    return out


def executed(msgs: list[str], name: str = "CHANNEL_EXECUTE") -> list[tuple[str, str]]:
    return [
        (e["Application"], e.get("Application-Data", ""))
        for e in events(msgs)
        if e["Event-Name"] == name
    ]


def completion(msgs: list[str], app: str) -> dict[str, str]:
    (done,) = [
        e
        for e in events(msgs)
        if e["Event-Name"] == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application") == app
    ]
    return done


# -- multiset ---------------------------------------------------------------------------------


def test_multiset_sets_every_pair_like_base_set() -> None:
    call = Call()
    call.setup()
    call.execute("set", "who=world")
    with pytest.raises(Unrecorded, match="multiset"):
        call.execute("multiset", "a=1 b='two words' c,3 d= e=${who}")  # no capture shows it


def test_separate_string_char_quotes_escapes_and_delimiter_prefix() -> None:
    assert separate_string_char("a=1|b=2", "|", 256) == ["a=1", "b=2"]
    assert separate_string_char("a='x|y'|b", "|", 256) == ["a=x|y", "b"]
    assert separate_string_char("a\\|b|c", "|", 256) == ["a|b", "c"]
    assert separate_string_char("it's|ok", "|", 256) == ["it's", "ok"]  # a lone quote stays
    assert separate_string_char("^^;a;b", "|", 256) == ["a", "b"]
    assert separate_string_char("a|b|c", "|", 2) == ["a", "b|c"]


# -- api ----------------------------------------------------------------------------------------


def test_unknown_api_and_usage_texts() -> None:
    call = Call()
    call.setup()
    with pytest.raises(Unrecorded):
        call.api("status")
    assert call.api("uuid_break") == "-USAGE: <uuid> [all]\n"
    assert call.api(f"uuid_break {OTHER}") == "-ERR No such channel!\n"
    assert call.api(f"uuid_setvar {UUID}") == "-USAGE: <uuid> <var> [value]\n"
    assert call.api(f"uuid_setvar {OTHER} x 1") == "-ERR No such channel!\n"
    assert call.api(f"uuid_broadcast {UUID}") == "-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n"
    assert call.api(f"uuid_broadcast {OTHER} /tmp/a.wav") == "-ERR invalid uuid\n"
    assert call.api("callcenter_config queue list agents q") == "-ERR Invalid!\n"
    assert call.api("callcenter_config queue").startswith("-ERR Invalid!")


def test_uuid_setvar_and_getvar() -> None:
    call = Call()
    call.setup()
    assert call.api(f"uuid_setvar {UUID} greeting You are number 3 in line.") == "+OK\n"
    assert call.ch.vars.get("greeting") == "You are number 3 in line."
    assert call.api(f"uuid_getvar {UUID} greeting") == "You are number 3 in line."
    assert call.api(f"uuid_setvar {UUID} greeting") == "+OK\n"
    assert call.api(f"uuid_getvar {UUID} greeting") == "_undef_"
    assert call.api(f"uuid_getvar {OTHER} greeting") == "-ERR No such channel!\n"


def test_uuid_break_stops_the_playback_and_replies_first() -> None:
    call = Call(CallerScript(prompt_ms=10_000))
    call.setup()
    call.execute("answer")
    call.send(commands.sendmsg_execute("playback", "/tmp/long.wav", "p1"))
    call.run(1.0)
    assert call.ch.now < 2.0
    msgs = call.send(f"api uuid_break {UUID}\n\n".encode())
    assert "api/response" in msgs[0] and msgs[0].endswith("+OK\n")
    msgs += call.run()
    done = completion(msgs, "playback")
    assert done["Application-Response"] == "FILE PLAYED"
    assert int(done["variable_playback_ms"]) < 2_000  # not the whole 10 s file


def test_uuid_break_all_flushes_queued_sendmsgs() -> None:
    call = Call(CallerScript(prompt_ms=10_000))
    call.setup()
    call.execute("answer")
    call.send(commands.sendmsg_execute("playback", "/tmp/long.wav", "p1"))
    call.send(commands.sendmsg_execute("playback", "/tmp/next.wav", "p2"))
    call.run(0.5)
    mark = call.mark()
    call.send(f"api uuid_break {UUID} all\n\n".encode())
    call.run()
    msgs = call.since(mark)
    assert [a for a, _ in executed(msgs, "CHANNEL_EXECUTE_COMPLETE")] == ["playback"]
    assert ("playback", "/tmp/next.wav") not in call.ch.app_log


def test_break_out_release_is_only_an_explicit_setting() -> None:
    # 1.10.12 ignores the break (T08/T09, the default); other releases leave the wait
    call = Call(
        CallerScript(queues={"q": QueueOutcome("answered", wait=60.0)}),
        callcenter_break="break_out",
    )
    call.setup()
    call.execute("answer")
    call.send(commands.sendmsg_execute("callcenter", "q@default", "cc"))
    call.run(5.0)
    mark = call.mark()
    call.send(f"api uuid_break {UUID} all\n\n".encode())
    call.run()
    done = completion(call.since(mark), "callcenter")
    assert (done["variable_cc_cause"], done["variable_cc_cancel_reason"]) == ("cancel", "BREAK_OUT")
    assert call.ch.now < 6.0


def test_a_release_that_ignores_breaks_keeps_the_member_waiting() -> None:
    call = Call(
        CallerScript(queues={"q": QueueOutcome("answered", wait=8.0)}),
        callcenter_break="ignore",
    )
    call.setup()
    call.execute("answer")
    call.send(commands.sendmsg_execute("callcenter", "q", "cc"))
    call.run(2.0)
    mark = call.mark()
    call.send(f"api uuid_break {UUID}\n\n".encode())
    call.run()
    done = completion(call.since(mark), "callcenter")
    assert done["variable_cc_cause"] == "answered"
    assert call.ch.now >= 8.0


def test_uuid_broadcast_plays_nested_in_the_hold_music_with_the_variable_expanded() -> None:
    call = Call(CallerScript(queues={"q": QueueOutcome("answered", wait=6.0)}, tts_ms_per_char=10))
    call.setup()
    call.execute("answer")
    call.send(commands.sendmsg_execute("callcenter", "q", "cc"))
    call.run(2.0)
    mark = call.mark()
    assert call.api(f"uuid_setvar {UUID} flowc_announce_text You are next in line.") == "+OK\n"
    reply = call.api(f"uuid_broadcast {UUID} speak::flite|kal|${{flowc_announce_text}} aleg")
    assert reply == "+OK Message sent\n"
    call.run()
    msgs = call.since(mark)
    order = [(e["Event-Name"], e.get("Application")) for e in events(msgs)]
    speak = order.index(("CHANNEL_EXECUTE", "speak"))
    assert order[speak + 1] == ("CHANNEL_EXECUTE_COMPLETE", "speak")
    assert speak < order.index(("CHANNEL_EXECUTE_COMPLETE", "callcenter"))
    (started,) = [e for e in events(msgs) if e.get("Application") == "speak"][:1]
    assert started["Application-Data"] == "flite|kal|You are next in line."
    assert started["Application-UUID"] not in ("cc", "app-1")  # FreeSWITCH's own
    assert ("speak", "flite|kal|You are next in line.") in call.ch.app_log
    done = completion(msgs, "callcenter")
    assert done["variable_cc_cause"] == "answered"
    answered_at = int(done["Event-Date-Timestamp"]) / 1e6 - 1_800_000_000
    assert 6.0 <= answered_at < 6.5  # the broadcast did not delay the agent


def test_uuid_broadcast_in_the_park_loop_runs_like_a_sendmsg_and_default_is_playback() -> None:
    call = Call()
    call.setup()
    call.execute("answer")
    mark = call.mark()
    assert call.api(f"uuid_broadcast {UUID} /tmp/hello.wav") == "+OK Message sent\n"
    call.run()
    assert executed(call.since(mark)) == [("playback", "/tmp/hello.wav")]
    mark = call.mark()
    assert call.api(f"uuid_broadcast {UUID} /tmp/bleg.wav bleg") == "+OK Message sent\n"
    call.run()
    assert executed(call.since(mark)) == []  # the B-leg's: not this channel


def test_broadcast_with_a_cause_hangs_up_after_it() -> None:
    call = Call()
    call.setup()
    call.execute("answer")
    mark = call.mark()
    call.api(f"uuid_broadcast {UUID} playback!user_busy::/tmp/bye.wav")
    call.run()
    assert executed(call.since(mark)) == [("playback", "/tmp/bye.wav"), ("hangup", "user_busy")]
    assert call.ch.hangup_cause == "USER_BUSY"


def test_api_on_another_channels_socket_reaches_that_channel() -> None:
    switch = Switch()
    woke: list[int] = []
    a = Call(uuid=UUID, switch=switch)
    b = Call(CallerScript(prompt_ms=10_000), uuid=OTHER, switch=switch)
    b.ch.on_external = lambda: woke.append(1)
    for c in (a, b):
        c.setup()
        c.execute("answer")
    b.send(commands.sendmsg_execute("playback", "/tmp/long.wav", "p1"))
    b.run(1.0)
    mark = b.mark()
    assert a.api(f"uuid_break {OTHER}") == "+OK\n" and woke
    b.run()
    assert completion(b.since(mark), "playback")["Application-Response"] == "FILE PLAYED"
    assert b.ch.now < 2.0


# -- mod_callcenter's members table ----------------------------------------------------------


def test_queue_list_members_format_and_order() -> None:
    switch = Switch()
    first = Call(CallerScript(queues={"q": QueueOutcome("answered", wait=30.0)}), switch=switch)
    second = Call(
        CallerScript(queues={"q": QueueOutcome("answered", wait=30.0)}),
        uuid=OTHER,
        switch=switch,
        start=1_800_000_010.0,  # joins the queue about 10 s after the first caller
    )
    for c in (first, second):
        c.setup()
        c.execute("answer")
    first.send(commands.sendmsg_execute("callcenter", "q", "cc"))
    first.run(10.0)
    second.send(commands.sendmsg_execute("callcenter", "q", "cc"))
    second.run(1.0)
    assert first.api("callcenter_config queue list members empty") == "+OK\n"
    body = second.api("callcenter_config queue list members q")
    lines = body.split("\n")
    assert lines[0] == (
        "queue|instance_id|uuid|session_uuid|cid_number|cid_name|system_epoch|joined_epoch"
        "|rejoined_epoch|bridge_epoch|abandoned_epoch|base_score|skill_score|serving_agent"
        "|serving_system|state|score"
    )
    assert lines[-2:] == ["+OK", ""]
    rows = [dict(zip(lines[0].split("|"), line.split("|"), strict=True)) for line in lines[1:-2]]
    assert [r["session_uuid"] for r in rows] == [UUID, OTHER]  # longest waiting first
    assert {r["state"] for r in rows} == {"Waiting"} and rows[0]["queue"] == "q"
    assert int(rows[0]["score"]) > int(rows[1]["score"])
    assert rows[0]["uuid"] == first.ch.vars.get("cc_member_uuid")


def test_base_score_orders_members_and_rows_follow_the_member_state() -> None:
    switch = Switch()
    vip = Call(
        CallerScript(queues={"q": QueueOutcome("timeout", wait=20.0)}), uuid=OTHER, switch=switch
    )
    plain = Call(CallerScript(queues={"q": QueueOutcome("answered", wait=20.0)}), switch=switch)
    for c in (plain, vip):
        c.setup()
        c.execute("answer")
    plain.send(commands.sendmsg_execute("callcenter", "q", "cc"))
    plain.run(5.0)
    vip.execute("set", "cc_base_score=100")
    vip.send(commands.sendmsg_execute("callcenter", "q", "cc"))
    vip.run(1.0)
    assert len(switch.members) == 2
    body = plain.api("callcenter_config queue list members q")
    assert body.index(OTHER) < body.index(UUID)  # 100 points ahead
    vip.run()  # TIMEOUT: abandoned, its session cleared
    plain.run(15.5)  # answered (at 20 s; the talk lasts 2 s more): the agent is mapped to it
    (row,) = [m for m in switch.members if m.session_uuid == UUID]
    assert (row.state, row.serving_agent) == ("Answered", "1000@default")
    (gone,) = [m for m in switch.members if m.state == "Abandoned"]
    assert gone.session_uuid == "" and gone.abandoned_epoch > 0
    assert "Abandoned" in plain.api("callcenter_config queue list members q")


def test_answered_member_row_goes_at_the_end_of_the_conversation() -> None:
    switch = Switch()
    call = Call(
        CallerScript(
            queues={"q": QueueOutcome("answered", wait=1.0, talk_time=5.0)},
            after_socket=[DialplanApp("playback", "silence_stream://1000")],
        ),
        switch=switch,
    )
    call.setup()
    call.execute("answer")
    call.send(commands.sendmsg_execute("callcenter", "q", "cc"))
    call.run(2.0)
    assert [m.state for m in switch.members] == ["Answered"]
    assert call.api(f"uuid_getvar {UUID} cc_agent") == "_undef_"  # set only after the talk
    call.run(4.5)
    assert call.api(f"uuid_getvar {UUID} cc_agent") == "1000@default"
    call.run()
    assert switch.members == []


def test_synthetic_members_count_in_the_listing() -> None:
    switch = Switch()
    switch.members.append(
        QueueMember(queue="q", uuid="m-1", session_uuid="s-1", joined_epoch=1_799_999_000)
    )
    call = Call(CallerScript(queues={"q": QueueOutcome("answered", wait=9.0)}), switch=switch)
    call.setup()
    call.execute("answer")
    call.send(commands.sendmsg_execute("callcenter", "q", "cc"))
    call.run(1.0)
    rows = call.api("callcenter_config queue list members q").split("\n")[1:3]
    assert [r.split("|")[3] for r in rows] == ["s-1", UUID]


# -- per-queue outcome sequences --------------------------------------------------------------


def test_queue_outcomes_are_consumed_per_queue_then_the_default() -> None:
    script = CallerScript(
        queues={
            "q": [QueueOutcome("timeout", wait=1.0), QueueOutcome("no_agent", wait=1.0)],
            "other": QueueOutcome("exit_key", wait=1.0),
        },
        default_queue=QueueOutcome("timeout", wait=2.0),
    )
    call = Call(script)
    call.setup()
    call.execute("answer")
    reasons = []
    for i, queue in enumerate(["q@default", "other", "q", "other", "q"]):
        done = completion(call.execute("callcenter", queue, uuid=f"cc{i}"), "callcenter")
        reasons.append(done["variable_cc_cancel_reason"])
    assert reasons == ["TIMEOUT", "EXIT_WITH_KEY", "NO_AGENT_TIMEOUT", "EXIT_WITH_KEY", "TIMEOUT"]


# -- the socket action -------------------------------------------------------------------------


def test_socket_target_is_read_like_socket_function() -> None:
    assert socket_target("127.0.0.1:8085 async full") == ("127.0.0.1", 8085, None, True)
    assert socket_target("localhost") == ("localhost", 8084, None, True)
    assert socket_target("127.0.0.1:8084/flow async") == ("127.0.0.1", 8084, "flow", True)
    # a `|` list: each host in turn (Qc2 lines 180-183), the first one first
    assert socket_target("127.0.0.1:8086|127.0.0.1:8085 async full") == (
        "127.0.0.1",
        8086,
        None,
        True,
    )
    assert [t[:2] for t in socket_targets("127.0.0.1:8086|127.0.0.1:8085 async full")] == [
        ("127.0.0.1", 8086),
        ("127.0.0.1", 8085),
    ]
    assert socket_target("runtime.example.invalid:8084")[3] is False


def test_a_socket_list_whose_hosts_all_fail_continues_the_dialplan() -> None:
    # Qc2: each host of the list in turn; Qc: none connects, the dialplan goes on
    script = CallerScript(
        after_socket=[
            DialplanApp("playback", "/tmp/sorry.wav"),
            DialplanApp("hangup", "CALL_REJECTED"),
        ]
    )
    data = "127.0.0.1:8084|127.0.0.1:8085 async full"
    call = Call(script, connect_first=False, socket_data=data)
    (first,) = call.ch.socket_requests()
    assert (first.socket, first.port) == (0, 8084)
    call.ch.socket_failed(0, call.ch.now)
    (second,) = call.ch.socket_requests()
    assert (second.socket, second.port) == (0, 8085)
    call.ch.socket_failed(0, call.ch.now)
    call.run()
    assert [a for a, _ in call.ch.app_log] == ["playback", "hangup"]
    assert call.ch.hangup_cause == "CALL_REJECTED" and call.ch.finished
    assert call.ch.socket_states()[0][2] == "failed"


def test_a_refused_socket_falls_over_to_the_next_socket_action() -> None:
    script = CallerScript(after_socket=[DialplanApp("socket", "127.0.0.1:9002 async full")])
    call = Call(script, connect_first=False, socket_data="127.0.0.1:9001 async full")
    (first,) = call.ch.socket_requests()
    assert (first.socket, first.host, first.port) == (0, "127.0.0.1", 9001)
    call.ch.socket_failed(0, call.ch.now)
    call.run()
    (second,) = call.ch.socket_requests()
    assert (second.socket, second.port) == (1, 9002)
    call.ch.socket_connected(1, call.ch.now)
    call.setup(socket=1)
    msgs = call.execute("hangup", "NORMAL_CLEARING", socket=1)
    assert "CHANNEL_HANGUP_COMPLETE" in [e["Event-Name"] for e in events(msgs)]
    call.send(b"exit\n\n", socket=1)
    assert call.ch.finished and call.ch.socket_closed


def test_after_the_agent_the_dialplan_opens_a_second_socket_for_the_same_channel() -> None:
    resume = "127.0.0.1:9003 async full"
    script = CallerScript(
        queues={"q": QueueOutcome("answered", wait=1.0, talk_time=3.0, agent="1001@default")},
        after_socket=[DialplanApp("transfer", "flowc_after_${flowc_resume} XML flowc")],
        extensions={
            "flowc_after_survey": [
                DialplanApp("set", "flowc_resume_node=survey"),
                DialplanApp("unset", "flowc_resume"),
                DialplanApp("socket", resume),
                DialplanApp("hangup", "NORMAL_CLEARING"),
            ]
        },
    )
    call = Call(script)
    call.setup()
    call.execute("answer")
    call.execute("set", "flowc_resume=survey")
    first = call.execute("callcenter", "q", "cc")
    (req,) = call.ch.socket_requests()
    assert (req.socket, req.port, req.data) == (1, 9003, resume)
    # the lingering first socket sees the dialplan run the second socket action
    assert ("socket", resume) in executed(first)
    assert ("transfer", "flowc_after_survey XML flowc") in executed(first)
    call.ch.socket_connected(1, call.ch.now)
    (data,) = call.send(b"connect\n\n", socket=1)
    head = dict(header_block(data)[0])
    assert head["Unique-ID"] == UUID and head["Event-Name"] == "CHANNEL_DATA"
    assert head["variable_flowc_resume_node"] == "survey"
    assert head["variable_cc_agent"] == "1001@default"
    assert "variable_flowc_resume" not in head
    for cmd in (b"myevents\n\n", b"linger\n\n"):
        call.send(cmd, socket=1)
    mark = len(call.out[1])
    call.send(b"exit\n\n")  # the first socket is released: CF_CONTROLLED is cleared
    assert call.ch.socket_is_closed(0)
    call.flush(1)
    call.run(socket=1)
    # T04 line 73: the new socket's park ends, the socket app completes, the dialplan goes on
    after = [e["Event-Name"] for e in events(call.out[1][mark:])]
    assert after.index("CHANNEL_UNPARK") < after.index("CHANNEL_HANGUP")
    assert completion(call.out[1][mark:], "socket")["Unique-ID"] == UUID
