"""ESLConnection driven by the recorded sessions, plus its state machine edges."""

from __future__ import annotations

import json
import random

import pytest

from runtime.esl import (
    ApiResponse,
    AuthRequest,
    BackgroundJobDone,
    Closed,
    CommandReply,
    Connected,
    ConnEvent,
    ConnState,
    Disconnect,
    ESLConnection,
    EventReceived,
    ExecuteComplete,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    RudeRejection,
)
from runtime.esl import commands as cmd
from tests.runtime.esl_support import (
    FIXTURES,
    chunked,
    is_execute,
    load,
    parse_command,
    reference_parse,
)


def _replay(
    name: str, rng: random.Random | None
) -> tuple[ESLConnection, list[ConnEvent], list[int], list[bytes]]:
    """Send the recorded commands and feed the recorded switch bytes, in recorded order.

    Consecutive from_switch messages are concatenated and (with ``rng``) cut into 1-7 byte
    chunks, so chunk borders fall anywhere, including across messages.
    """
    _, lines = load(name)
    conn = ESLConnection("inbound" if name.startswith("inbound_") else "outbound")
    events: list[ConnEvent] = []
    tokens: list[int] = []
    sent: list[bytes] = []
    pending = b""

    def flush() -> None:
        nonlocal pending
        if pending:
            pieces = [pending] if rng is None else list(chunked(pending, rng))
            for piece in pieces:
                events.extend(conn.receive_data(piece))
        pending = b""

    for line in lines:
        if line.dir == "to_switch":
            flush()
            data, token = conn.send(line.raw)
            assert data == line.raw
            tokens.append(token)
            sent.append(line.raw)
        else:
            pending += line.raw
    flush()
    events.extend(conn.receive_data(b""))
    return conn, events, tokens, sent


@pytest.mark.parametrize("name", FIXTURES)
@pytest.mark.parametrize("chunks", [False, True])
def test_replay_fixture(name: str, chunks: bool) -> None:
    _, lines = load(name)
    conn, events, tokens, sent = _replay(name, random.Random(name) if chunks else None)
    from_switch = [line for line in lines if line.dir == "from_switch"]
    assert len(events) == len(from_switch) + 1  # one ConnEvent per message, then Closed
    assert isinstance(events[-1], Closed)

    # Replies: the k-th reply answers the k-th command (FIFO), every command is answered.
    replies = [e for e in events if isinstance(e, Connected | CommandReply | ApiResponse)]
    assert [r.token for r in replies] == tokens
    reply_lines = [
        line
        for line in from_switch
        if reference_parse(line.data)[0].get("Content-Type") in ("command/reply", "api/response")
    ]
    for reply, line in zip(replies, reply_lines, strict=True):
        assert reply.message.headers == reference_parse(line.data)[0]
    for reply, data in zip(replies, sent, strict=True):
        first = parse_command(data)[0]
        if first == "connect":
            assert isinstance(reply, Connected)
            assert reply.channel_data.uuid == conn.channel_uuid
        elif first.startswith("api "):
            assert isinstance(reply, ApiResponse)
        else:
            assert isinstance(reply, CommandReply)
            assert reply.ok

    # Executes: each completion matches the Event-UUID of the sendmsg that carried it.
    token_of = {tok: data for tok, data in zip(tokens, sent, strict=True)}
    completions = [e for e in events if isinstance(e, ExecuteComplete)]
    for done in completions:
        first, headers, _ = parse_command(token_of[done.token])
        assert is_execute(token_of[done.token])
        assert headers["event-uuid"] == done.event_uuid == done.event.app_uuid
        assert done.event.get("Application") == headers["execute-app-name"]
        assert done.event.name == "CHANNEL_EXECUTE_COMPLETE"
    # ... and every recorded completion with one of our Event-UUIDs was reported as such.
    ours = {parse_command(d)[1]["event-uuid"] for d in sent if is_execute(d)}
    plain_completions = [
        e.event for e in events
        if isinstance(e, EventReceived) and e.event.name == "CHANNEL_EXECUTE_COMPLETE"
    ]  # fmt: skip
    assert not [e for e in plain_completions if e.app_uuid in ours]
    assert {d.event_uuid for d in completions} <= ours
    assert conn.pending_executes == {}
    assert conn.state is ConnState.CLOSED


def test_outbound_pagd_details() -> None:
    conn, events, tokens, sent = _replay("outbound_pagd_info_dtmf.jsonl", None)
    assert isinstance(events[0], Connected)
    assert events[0].channel_data.get("Caller-Caller-ID-Number") == "sipp"
    done = {e.event.get("Application"): e for e in events if isinstance(e, ExecuteComplete)}
    assert set(done) == {"answer", "playback", "play_and_get_digits", "hangup"}
    pagd = done["play_and_get_digits"]
    assert pagd.event.variables["ivr_digits"] == "123"
    assert pagd.token == tokens[next(i for i, d in enumerate(sent) if b"play_and_get_digits" in d)]
    dtmf = [
        e.event.get("DTMF-Digit")
        for e in events
        if isinstance(e, EventReceived) and e.event.name == "DTMF"
    ]
    assert dtmf == ["1", "2", "3", "#"]
    assert conn.hangup_seen and conn.hangup_cause == "NORMAL_CLEARING"
    assert conn.linger_notice
    disconnects = [e for e in events if isinstance(e, Disconnect)]
    assert [d.linger for d in disconnects] == [True, False]


def test_caller_hangup_mid_prompt_sequence() -> None:
    _, events, _, _ = _replay("outbound_caller_hangup_midprompt_json.jsonl", None)
    kinds = []
    for e in events:
        if isinstance(e, ExecuteComplete):
            kinds.append(("complete", e.event.get("Application")))
        elif isinstance(e, EventReceived) and e.event.name == "CHANNEL_HANGUP":
            kinds.append(("hangup", None))
    assert kinds == [("complete", "answer"), ("hangup", None), ("complete", "playback")]
    playback = next(
        e
        for e in events
        if isinstance(e, ExecuteComplete) and e.event.get("Application") == "playback"
    )
    assert playback.event.get("Application-Response") == "PLAYBACK ERROR"


def test_transfer_foreign_completions_are_plain_events() -> None:
    _, events, _, _ = _replay("outbound_transfer_json.jsonl", None)
    ours = [e.event.get("Application") for e in events if isinstance(e, ExecuteComplete)]
    assert ours == ["answer", "transfer"]
    foreign = [
        e.event.get("Application") for e in events
        if isinstance(e, EventReceived) and e.event.name == "CHANNEL_EXECUTE_COMPLETE"
    ]  # fmt: skip
    assert "socket" in foreign and "playback" in foreign


def test_inbound_bgapi_job_correlation() -> None:
    conn, events, tokens, sent = _replay("inbound_event_json.jsonl", None)
    assert isinstance(events[0], AuthRequest)
    [job] = [e for e in events if isinstance(e, BackgroundJobDone)]
    bgapi_token = tokens[next(i for i, d in enumerate(sent) if d.startswith(b"bgapi"))]
    assert job.token == bgapi_token
    assert job.body.startswith("UP 0 years")
    [api] = [e for e in events if isinstance(e, ApiResponse)]
    assert api.body.startswith("name|strategy")
    assert conn.pending_jobs == {}
    assert not conn.hangup_seen  # inbound: no controlled channel


def test_inbound_api_bgapi() -> None:
    _, events, _, _ = _replay("inbound_api_bgapi.jsonl", None)
    [api] = [e for e in events if isinstance(e, ApiResponse)]
    assert "FreeSWITCH (Version 1.10.12" in api.body
    # The BACKGROUND_JOB is missing from this recording: the job stays pending until EOF.
    assert [e.event.name for e in events if isinstance(e, EventReceived)] == ["API"]


# -- synthetic edges ---------------------------------------------------------------------------

OK = b"Content-Type: command/reply\nReply-Text: +OK\n\n"
CONNECT_REPLY = (
    b"Event-Name: CHANNEL_DATA\nUnique-ID: u-1\nContent-Type: command/reply\n"
    b"Reply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n"
)


def _plain_event(**headers: str) -> bytes:
    body = "".join(f"{k.replace('_', '-')}: {v}\n" for k, v in headers.items()).encode() + b"\n"
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(body) + body


def _json_event(obj: dict[str, str]) -> bytes:
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\nContent-Type: text/event-json\n\n" % len(body) + body


def _connected() -> ESLConnection:
    conn = ESLConnection("outbound")
    conn.send(cmd.connect())
    [ev] = conn.receive_data(CONNECT_REPLY)
    assert isinstance(ev, Connected)
    assert conn.state is ConnState.READY
    return conn


def test_outbound_must_connect_first() -> None:
    conn = ESLConnection("outbound")
    with pytest.raises(LocalProtocolError):
        conn.send(cmd.myevents())
    with pytest.raises(LocalProtocolError):
        conn.send(cmd.auth("ClueCon"))
    assert conn.state is ConnState.IDLE  # local errors change nothing
    conn.send(cmd.connect())
    with pytest.raises(LocalProtocolError):
        conn.send(cmd.connect())


def test_outbound_data_before_connect_is_an_error() -> None:
    conn = ESLConnection("outbound")
    with pytest.raises(RemoteProtocolError):
        conn.receive_data(OK)
    assert conn.state is ConnState.ERROR
    with pytest.raises(ProtocolError):
        conn.receive_data(OK)


def test_pipelined_commands_behind_connect() -> None:
    conn = ESLConnection("outbound")
    _, t1 = conn.send(cmd.connect())
    _, t2 = conn.send(cmd.myevents("json"))
    _, t3 = conn.send(cmd.linger())
    out = conn.receive_data(CONNECT_REPLY + OK + OK)
    assert [type(e) for e in out] == [Connected, CommandReply, CommandReply]
    assert [e.token for e in out if isinstance(e, Connected | CommandReply)] == [t1, t2, t3]


def test_connect_reply_must_be_channel_data() -> None:
    conn = ESLConnection("outbound")
    conn.send(cmd.connect())
    with pytest.raises(RemoteProtocolError):
        conn.receive_data(OK)


def test_reply_without_pending_command() -> None:
    conn = _connected()
    with pytest.raises(RemoteProtocolError, match="no command pending"):
        conn.receive_data(OK)


def test_api_response_to_non_api_command() -> None:
    conn = _connected()
    conn.send(cmd.linger())
    with pytest.raises(RemoteProtocolError, match="api/response"):
        conn.receive_data(b"Content-Type: api/response\nContent-Length: 2\n\nhi")


def test_api_refused_with_command_reply() -> None:
    conn = _connected()
    _, token = conn.send(cmd.api("status"))
    [ev] = conn.receive_data(b"Content-Type: command/reply\nReply-Text: -ERR command not found\n\n")
    assert isinstance(ev, CommandReply) and ev.token == token and not ev.ok


def test_execute_refused_drops_completion_tracking() -> None:
    conn = _connected()
    conn.send(cmd.sendmsg_execute("answer", "", "e-1"))
    assert conn.pending_executes == {"e-1": 2}
    conn.receive_data(b"Content-Type: command/reply\nReply-Text: -ERR no session\n\n")
    assert conn.pending_executes == {}
    [ev] = conn.receive_data(
        _plain_event(Event_Name="CHANNEL_EXECUTE_COMPLETE", Application_UUID="e-1")
    )
    assert isinstance(ev, EventReceived)


def test_duplicate_event_uuid_rejected() -> None:
    conn = _connected()
    conn.send(cmd.sendmsg_execute("answer", "", "e-1"))
    with pytest.raises(LocalProtocolError):
        conn.send(cmd.sendmsg_execute("answer", "", "e-1"))


def test_hangup_of_other_channel_is_ignored() -> None:
    conn = _connected()
    conn.receive_data(
        _plain_event(Event_Name="CHANNEL_HANGUP", Unique_ID="other", Hangup_Cause="X")
    )
    assert not conn.hangup_seen
    conn.receive_data(
        _json_event(
            {"Event-Name": "CHANNEL_HANGUP", "Unique-ID": "u-1", "Hangup-Cause": "USER_BUSY"}
        )
    )
    assert conn.hangup_seen and conn.hangup_cause == "USER_BUSY"
    # Commands are still accepted after hang-up (FreeSWITCH answers +OK).
    conn.send(cmd.sendmsg_hangup())


def test_linger_then_exit_then_close() -> None:
    conn = _connected()
    [d] = conn.receive_data(
        b"Content-Type: text/disconnect-notice\nContent-Disposition: linger\nContent-Length: 0\n\n"
    )
    assert isinstance(d, Disconnect) and d.linger
    assert conn.state is ConnState.LINGERING
    conn.send(cmd.getvar("x"))
    conn.receive_data(b"Content-Type: command/reply\nReply-Text: value\n\n")
    _, t = conn.send(cmd.exit())
    # mypy keeps the LINGERING narrowing from above across send()
    assert conn.state is ConnState.CLOSING  # type: ignore[comparison-overlap]
    with pytest.raises(LocalProtocolError):
        conn.send(cmd.api("status"))
    out = conn.receive_data(
        b"Content-Type: command/reply\nReply-Text: +OK bye\n\n"
        b"Content-Type: text/disconnect-notice\nContent-Disposition: disconnect\n"
        b"Content-Length: 3\n\nbye"
    )
    assert isinstance(out[0], CommandReply) and out[0].token == t
    assert isinstance(out[1], Disconnect) and not out[1].linger
    assert conn.state is ConnState.DISCONNECTED
    assert conn.receive_data(b"") == [Closed(())]
    assert conn.state is ConnState.CLOSED
    with pytest.raises(RemoteProtocolError, match="after close"):
        conn.receive_data(OK)


def test_data_after_final_disconnect_notice() -> None:
    conn = _connected()
    conn.receive_data(b"Content-Type: text/disconnect-notice\nContent-Length: 0\n\n")
    with pytest.raises(RemoteProtocolError, match="final disconnect"):
        conn.receive_data(_plain_event(Event_Name="HEARTBEAT"))


def test_eof_reports_unanswered_commands() -> None:
    conn = _connected()
    _, t1 = conn.send(cmd.linger())
    _, t2 = conn.send(cmd.sendmsg_execute("answer", "", "e-9"))
    assert conn.receive_data(b"") == [Closed((t1, t2))]
    assert conn.pending_executes == {}


def test_eof_mid_message() -> None:
    conn = _connected()
    conn.receive_data(b"Content-Type: text/event-plain\nContent-Length: 100\n\nEvent")
    with pytest.raises(RemoteProtocolError):
        conn.receive_data(b"")


def test_unknown_content_type() -> None:
    conn = _connected()
    with pytest.raises(RemoteProtocolError, match="Content-Type"):
        conn.receive_data(b"Content-Type: text/event-xml\nContent-Length: 2\n\n<>")


def test_inbound_auth_flow_and_failure() -> None:
    conn = ESLConnection("inbound")
    with pytest.raises(LocalProtocolError):
        conn.send(cmd.auth("ClueCon"))  # before auth/request
    [req] = conn.receive_data(b"Content-Type: auth/request\n\n")
    assert isinstance(req, AuthRequest)
    with pytest.raises(LocalProtocolError):
        conn.send(cmd.api("status"))
    conn.send(cmd.auth("wrong"))
    [rep] = conn.receive_data(b"Content-Type: command/reply\nReply-Text: -ERR invalid\n\n")
    assert isinstance(rep, CommandReply) and not rep.ok
    assert conn.state is ConnState.CLOSING
    out = conn.receive_data(b"Content-Type: text/disconnect-notice\nContent-Length: 0\n\n")
    assert isinstance(out[0], Disconnect)
    assert conn.receive_data(b"") == [Closed(())]


def test_inbound_rude_rejection() -> None:
    conn = ESLConnection("inbound")
    data = b"Content-Type: text/rude-rejection\nContent-Length: 22\n\nAccess Denied, go away."[:-1]
    [ev] = conn.receive_data(data)
    assert isinstance(ev, RudeRejection)
    assert conn.state is ConnState.DISCONNECTED


def test_inbound_bgapi_with_own_job_uuid_and_early_event() -> None:
    conn = ESLConnection("inbound")
    conn.receive_data(b"Content-Type: auth/request\n\n")
    conn.send(cmd.auth("ClueCon"))
    conn.receive_data(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
    _, token = conn.send(cmd.bgapi("status", "my-job"))
    assert conn.pending_jobs == {"my-job": token}
    out = conn.receive_data(
        b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: my-job\nJob-UUID: my-job\n\n"
        + _json_event({"Event-Name": "BACKGROUND_JOB", "Job-UUID": "my-job", "_body": "+OK done\n"})
        + _json_event({"Event-Name": "BACKGROUND_JOB", "Job-UUID": "someone-else", "_body": "x"})
    )
    assert (
        isinstance(out[1], BackgroundJobDone)
        and out[1].token == token
        and out[1].body == "+OK done\n"
    )
    assert isinstance(out[2], EventReceived)


def test_inbound_mode_rejects_outbound_commands() -> None:
    conn = ESLConnection("inbound")
    with pytest.raises(LocalProtocolError):
        conn.send(cmd.connect())


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"api status",
        b"api status\n",
        b"api status\r\n\r\n",
        b"\n\n",
        b"api status\n\nexit\n\n",
        b"sendmsg\ncontent-length: 5\n\nabc",
        b"sendmsg\nbad header\n\n",
        b" api status\n\n",
    ],
)
def test_send_rejects_malformed_commands(data: bytes) -> None:
    conn = _connected()
    with pytest.raises(LocalProtocolError):
        conn.send(data)
    assert conn.state is ConnState.READY


def test_invalid_mode() -> None:
    with pytest.raises(ValueError):
        ESLConnection("sideways")  # type: ignore[arg-type]


def test_local_close() -> None:
    conn = _connected()
    conn.close()
    assert conn.state is ConnState.CLOSED
    with pytest.raises(LocalProtocolError):
        conn.send(cmd.exit())
