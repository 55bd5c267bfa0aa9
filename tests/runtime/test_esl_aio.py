"""asyncio driver against fake switches on 127.0.0.1 that replay the recorded sessions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from runtime.esl import (
    AsyncESL,
    ChannelHangup,
    CommandError,
    ConnectionClosed,
    Event,
    Message,
    serve_outbound,
)
from runtime.esl import commands as cmd
from runtime.esl.aio import DEFAULT_BACKLOG
from tests.runtime.esl_support import (
    INBOUND_FIXTURES,
    OUTBOUND_FIXTURES,
    Line,
    is_execute,
    load,
    parse_command,
    reference_parse,
)

TEST_TIMEOUT = 20.0


def run(coro: Awaitable[Any]) -> Any:
    async def bounded() -> Any:
        async with asyncio.timeout(TEST_TIMEOUT):
            return await coro

    return asyncio.run(bounded())


async def read_command(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\n\n")
    _, headers, _ = parse_command(head)
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return head + body


async def play_switch(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    lines: list[Line],
    mismatches: list[str],
) -> None:
    """Act as FreeSWITCH: write from_switch lines, read and compare each to_switch command."""
    try:
        for line in lines:
            if line.dir == "to_switch":
                got = await read_command(reader)
                if parse_command(got) != parse_command(line.raw):
                    mismatches.append(f"line {line.index}: expected {line.raw!r}, got {got!r}")
            else:
                writer.write(line.raw)
                await writer.drain()
    finally:
        writer.close()


def _completion_index(lines: list[Line], event_uuid: str) -> int | None:
    for line in lines:
        if line.dir != "from_switch" or "CHANNEL_EXECUTE_COMPLETE" not in line.data:
            continue
        headers, body = reference_parse(line.data)
        if headers.get("Content-Type") == "text/event-json":
            if json.loads(body).get("Application-UUID") == event_uuid:
                return line.index
        elif f"Application-UUID: {event_uuid}\n" in body.decode():
            return line.index
    return None


def _next_command_index(lines: list[Line], after: int) -> int:
    return next((x.index for x in lines if x.dir == "to_switch" and x.index > after), len(lines))


def _linger_before(lines: list[Line], index: int) -> bool:
    return any(
        x.dir == "from_switch" and x.index < index and "Content-Disposition: linger" in x.data
        for x in lines
    )


def _recorded_events(lines: list[Line]) -> list[str]:
    out = []
    for x in lines:
        if x.dir == "from_switch":
            headers, body = reference_parse(x.data)
            if headers.get("Content-Type") in ("text/event-plain", "text/event-json"):
                out.append(Event.from_message(Message(headers, body)).name)
    return out


async def replay_app(esl: AsyncESL, lines: list[Line], log: list[tuple[str, Any]]) -> None:
    """Issue the recorded commands (after connect) the way an app would."""
    commands = [x for x in lines if x.dir == "to_switch"][1:]
    for line in commands:
        first, headers, _ = parse_command(line.raw)
        try:
            if is_execute(line.raw):
                event_uuid = headers["event-uuid"]
                done_at = _completion_index(lines, event_uuid)
                if done_at is not None and done_at < _next_command_index(lines, line.index):
                    ev = await esl.execute(
                        headers["execute-app-name"], headers.get("execute-app-arg", ""),
                        timeout=5, event_uuid=event_uuid,
                    )  # fmt: skip
                    log.append(("complete", (event_uuid, ev.app_uuid, ev.get("Application"))))
                else:
                    reply = await esl.command(line.raw, timeout=5)
                    log.append(("reply", reply.reply_text))
            elif first == "exit":
                if _linger_before(lines, line.index):
                    notice = await esl.wait_disconnect_notice(timeout=5)
                    log.append(("notice", notice.get("Content-Disposition")))
                reply = await esl.command(line.raw, timeout=5)
                log.append(("reply", reply.reply_text))
                await esl.wait_closed(timeout=5)
            elif first.startswith("api "):
                log.append(("api", await esl.api(first[4:], timeout=5)))
            else:
                reply = await esl.command(line.raw, timeout=5)
                log.append(("reply", reply.reply_text))
        except ConnectionClosed:
            log.append(("closed", first))
            return


def _expected_log(lines: list[Line]) -> list[tuple[str, Any]]:
    """What replay_app should log, derived from the recording alone."""
    out: list[tuple[str, Any]] = []
    from_switch = [x for x in lines if x.dir == "from_switch"]
    replies = [
        reference_parse(x.data) for x in from_switch
        if reference_parse(x.data)[0].get("Content-Type") in ("command/reply", "api/response")
    ][1:]  # fmt: skip
    commands = [x for x in lines if x.dir == "to_switch"][1:]
    for line, (headers, body) in zip(commands, replies, strict=False):
        first, cmd_headers, _ = parse_command(line.raw)
        if is_execute(line.raw):
            event_uuid = cmd_headers["event-uuid"]
            done_at = _completion_index(lines, event_uuid)
            if done_at is not None and done_at < _next_command_index(lines, line.index):
                out.append(("complete", (event_uuid, event_uuid, cmd_headers["execute-app-name"])))
            else:
                out.append(("reply", headers["Reply-Text"]))
        elif first == "exit":
            if _linger_before(lines, line.index):
                out.append(("notice", "linger"))
            out.append(("reply", headers["Reply-Text"]))
        elif first.startswith("api "):
            out.append(("api", body.decode()))
        else:
            out.append(("reply", headers["Reply-Text"]))
    return out


@pytest.mark.parametrize("name", OUTBOUND_FIXTURES)
def test_serve_outbound_replays_fixture(name: str) -> None:
    _, lines = load(name)

    async def main() -> None:
        mismatches: list[str] = []
        log: list[tuple[str, Any]] = []
        seen: list[str] = []
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        channel: dict[str, str | None] = {}

        async def handler(esl: AsyncESL) -> None:
            try:
                channel["uuid"] = esl.channel_uuid
                channel["number"] = (
                    esl.channel_data.get("Caller-Caller-ID-Number") if esl.channel_data else None
                )

                async def consume() -> None:
                    async for ev in esl.events():
                        seen.append(ev.name)

                consumer = asyncio.create_task(consume())
                await replay_app(esl, lines, log)
                await esl.wait_closed(timeout=5)
                await asyncio.wait_for(consumer, 5)
                channel["hangup"] = str(esl.hangup_seen)
            finally:
                done.set_result(None)

        server = await serve_outbound(handler, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await play_switch(reader, writer, lines, mismatches)
        await asyncio.wait_for(done, 10)
        server.close()
        await server.wait_closed()

        assert mismatches == []
        connect_reply = reference_parse(next(x for x in lines if x.dir == "from_switch").data)[0]
        assert channel["uuid"] == connect_reply["Unique-ID"]
        assert channel["number"] == "sipp"
        assert log == _expected_log(lines)
        assert seen == _recorded_events(lines)
        recorded_hangup = any("CHANNEL_HANGUP" in x.data and x.dir == "from_switch" for x in lines)
        assert channel["hangup"] == str(recorded_hangup)

    run(main())


@pytest.mark.parametrize("name", INBOUND_FIXTURES)
def test_inbound_client_replays_fixture(name: str) -> None:
    _, lines = load(name)

    async def main() -> None:
        mismatches: list[str] = []
        server = await asyncio.start_server(
            lambda r, w: play_switch(r, w, lines, mismatches), "127.0.0.1", 0
        )
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        esl = AsyncESL(reader, writer, mode="inbound", timeout=5)
        await esl.authenticate("ClueCon")
        log: list[tuple[str, Any]] = []
        seen: list[Event] = []

        async def consume() -> None:
            async for ev in esl.events():
                seen.append(ev)

        consumer = asyncio.create_task(consume())
        await replay_app(esl, lines, log)
        await asyncio.wait_for(consumer, 5)
        await esl.close()
        server.close()
        await server.wait_closed()
        assert mismatches == []
        assert log == _expected_log(lines)
        assert [e.name for e in seen] == _recorded_events(lines)
        bg_reply = [v for k, v in log if k == "reply" and str(v).startswith("+OK Job-UUID")]
        jobs = [e for e in seen if e.name == "BACKGROUND_JOB"]
        for job in jobs:
            assert bg_reply and job.job_uuid == bg_reply[0].split(": ")[1]

    run(main())


# -- scripted peers for the driver's own behaviour -------------------------------------------

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

CONNECT_REPLY = (
    b"Event-Name: CHANNEL_DATA\nUnique-ID: u-1\nContent-Type: command/reply\n"
    b"Reply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n"
)
OK = b"Content-Type: command/reply\nReply-Text: +OK\n\n"
NOTICE = b"Content-Type: text/disconnect-notice\nContent-Disposition: %s\nContent-Length: 0\n\n"
LINGER_NOTICE = NOTICE % b"linger"
FINAL_NOTICE = NOTICE % b"disconnect"


def _json_event(obj: dict[str, str]) -> bytes:
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\nContent-Type: text/event-json\n\n" % len(body) + body


async def _outbound_pair(
    script: Script, max_events: int = 10_000
) -> tuple[AsyncESL, asyncio.Task[None], asyncio.Server]:
    """An AsyncESL (outbound, connected) talking to ``script`` as the switch."""
    accepted: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]]
    accepted = asyncio.get_running_loop().create_future()

    async def on_client(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        accepted.set_result((r, w))

    server = await asyncio.start_server(on_client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    switch_r, switch_w = await asyncio.open_connection("127.0.0.1", port)

    async def switch() -> None:
        try:
            assert await read_command(switch_r) == b"connect\n\n"
            switch_w.write(CONNECT_REPLY)
            await script(switch_r, switch_w)
        finally:
            switch_w.close()

    task = asyncio.create_task(switch())
    reader, writer = await accepted
    esl = AsyncESL(reader, writer, mode="outbound", timeout=2, max_queued_events=max_events)
    channel = await esl.connect()
    assert channel.uuid == "u-1"
    return esl, task, server


def test_execute_timeout_then_late_reply_is_discarded() -> None:
    async def script(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await read_command(r)  # sendmsg: never answered in time
        await asyncio.sleep(0.3)
        w.write(OK)
        data = await read_command(r)  # getvar
        assert data == b"getvar x\n\n"
        w.write(b"Content-Type: command/reply\nReply-Text: value-x\n\n")
        await read_command(r)

    async def main() -> None:
        esl, task, server = await _outbound_pair(script)
        with pytest.raises(TimeoutError):
            await esl.execute("playback", "x.wav", timeout=0.1)
        reply = await esl.command(cmd.getvar("x"))
        assert reply.reply_text == "value-x"  # FIFO kept despite the abandoned wait
        await esl.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        server.close()

    run(main())


def test_eof_fails_waiters_with_connection_closed() -> None:
    async def script(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await read_command(r)
        w.write(OK)
        await w.drain()
        await asyncio.sleep(0.05)
        w.close()

    async def main() -> None:
        esl, task, server = await _outbound_pair(script)
        with pytest.raises(ConnectionClosed):
            await esl.execute("answer", timeout=5)
        with pytest.raises(ConnectionClosed):
            await esl.command(cmd.linger())
        with pytest.raises(ConnectionClosed):
            await esl.next_event(timeout=1)
        assert esl.closed
        await esl.close()
        await task
        server.close()

    run(main())


def test_garbage_closes_with_protocol_error_cause() -> None:
    async def script(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await read_command(r)
        w.write(b"this is not ESL\n\n")
        await w.drain()

    async def main() -> None:
        esl, task, server = await _outbound_pair(script)
        with pytest.raises(ConnectionClosed, match="protocol error"):
            await esl.command(cmd.myevents())
        await esl.close()
        await task
        server.close()

    run(main())


def test_execute_refused_and_channel_hangup_on_linger() -> None:
    async def script(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await read_command(r)
        w.write(b"Content-Type: command/reply\nReply-Text: -ERR no such app\n\n")
        await read_command(r)
        w.write(OK)
        w.write(
            _json_event(
                {
                    "Event-Name": "CHANNEL_HANGUP",
                    "Unique-ID": "u-1",
                    "Hangup-Cause": "NORMAL_CLEARING",
                }
            )
        )
        w.write(LINGER_NOTICE)
        await read_command(r)  # exit
        w.write(b"Content-Type: command/reply\nReply-Text: +OK bye\n\n")
        w.write(FINAL_NOTICE)
        await w.drain()
        w.close()

    async def main() -> None:
        esl, task, server = await _outbound_pair(script)
        with pytest.raises(CommandError, match="no such app"):
            await esl.execute("nope")
        with pytest.raises(ChannelHangup):
            await esl.execute("playback", "long.wav", timeout=2)
        assert esl.hangup_seen
        ev = await esl.next_event()
        assert ev.name == "CHANNEL_HANGUP"
        await esl.exit(timeout=2)
        assert esl.closed
        await task
        server.close()

    run(main())


def test_bgapi_and_api_over_inbound() -> None:
    async def switch(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(b"Content-Type: auth/request\n\n")
        assert await read_command(r) == b"auth ClueCon\n\n"
        w.write(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
        first, headers, _ = parse_command(await read_command(r))
        assert first == "bgapi status"
        job = headers["job-uuid"]
        w.write(
            b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: %s\nJob-UUID: %s\n\n"
            % (job.encode(), job.encode())
        )
        w.write(
            _json_event({"Event-Name": "BACKGROUND_JOB", "Job-UUID": job, "_body": "UP 1 year\n"})
        )
        assert await read_command(r) == b"api nosuch\n\n"
        w.write(b"Content-Type: command/reply\nReply-Text: -ERR command not found\n\n")
        assert await read_command(r) == b"api version\n\n"
        w.write(b"Content-Type: api/response\nContent-Length: 7\n\nv1.10\n\n")
        await w.drain()
        w.close()

    async def main() -> None:
        server = await asyncio.start_server(switch, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        esl = AsyncESL(reader, writer, mode="inbound", timeout=2)
        await esl.authenticate("ClueCon")
        assert await esl.bgapi("status") == "UP 1 year\n"
        with pytest.raises(CommandError):
            await esl.api("nosuch")
        assert await esl.api("version") == "v1.10\n\n"
        await esl.wait_closed()
        await esl.close()
        server.close()

    run(main())


def test_auth_refused() -> None:
    async def switch(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(b"Content-Type: auth/request\n\n")
        await read_command(r)
        w.write(b"Content-Type: command/reply\nReply-Text: -ERR invalid\n\n")
        w.write(b"Content-Type: text/disconnect-notice\nContent-Length: 0\n\n")
        await w.drain()
        w.close()

    async def main() -> None:
        server = await asyncio.start_server(switch, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        esl = AsyncESL(reader, writer, mode="inbound", timeout=2)
        with pytest.raises(CommandError, match="auth refused"):
            await esl.authenticate("wrong")
        await esl.wait_closed()
        await esl.close()
        server.close()

    run(main())


def test_event_queue_is_bounded() -> None:
    async def script(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        for i in range(50):
            w.write(_json_event({"Event-Name": "HEARTBEAT", "Seq": str(i)}))
        w.write(b"Content-Type: text/disconnect-notice\nContent-Length: 0\n\n")
        await w.drain()
        w.close()

    async def main() -> None:
        esl, task, server = await _outbound_pair(script, max_events=10)
        await esl.wait_closed()
        got = [ev.get("Seq") async for ev in esl.events()]
        assert got == [str(i) for i in range(40, 50)]
        assert esl.dropped_events == 40
        await esl.close()
        await task
        server.close()

    run(main())


def test_serve_outbound_handler_errors_are_contained() -> None:
    async def main() -> None:
        called = asyncio.get_running_loop().create_future()

        async def handler(esl: AsyncESL) -> None:
            called.set_result(esl.channel_uuid)
            raise RuntimeError("boom")

        server = await serve_outbound(handler, port=0)
        assert server.sockets[0].getsockname()[0] == "127.0.0.1"
        port = server.sockets[0].getsockname()[1]
        r, w = await asyncio.open_connection("127.0.0.1", port)
        assert await read_command(r) == b"connect\n\n"
        w.write(CONNECT_REPLY)
        assert await called == "u-1"
        assert await r.read() == b""  # the driver closed the socket after the handler failed
        w.close()
        server.close()
        await server.wait_closed()

    run(main())


def test_serve_outbound_connect_timeout() -> None:
    async def main() -> None:
        async def handler(esl: AsyncESL) -> None:  # pragma: no cover - never reached
            raise AssertionError("handler must not run")

        server = await serve_outbound(handler, port=0, connect_timeout=0.1)
        port = server.sockets[0].getsockname()[1]
        r, w = await asyncio.open_connection("127.0.0.1", port)
        assert await read_command(r) == b"connect\n\n"
        assert await r.read() == b""  # no reply in time: closed
        w.close()
        server.close()
        await server.wait_closed()

    run(main())


def _reply(text: bytes) -> bytes:
    return b"Content-Type: command/reply\nReply-Text: " + text + b"\n\n"


def test_send_nowait_writes_at_once_and_replies_match_in_order() -> None:
    received: list[bytes] = []

    async def script(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        # Every command arrives before the switch answers any: nothing waited for a reply.
        for _ in range(3):
            received.append(await read_command(r))
        w.write(_reply(b"+OK events") + _reply(b"-ERR not allowed") + _reply(b"+OK lingering"))
        await w.drain()
        await r.read()  # until the client closes

    async def main() -> None:
        esl, task, server = await _outbound_pair(script)
        setvar = cmd.sendmsg_execute("set", "a=1", "e-1")
        futures = [
            esl.send_nowait(cmd.myevents("json")),
            esl.send_nowait(setvar),
            esl.send_nowait(cmd.linger()),
        ]
        assert not any(f.done() for f in futures)
        replies = [(await f).message for f in futures]
        texts = [m.reply_text for m in replies]
        assert texts == ["+OK events", "-ERR not allowed", "+OK lingering"]
        assert [m.is_ok for m in replies] == [True, False, True]  # -ERR is a reply, not an error
        assert [parse_command(c) for c in received] == [
            parse_command(c) for c in (cmd.myevents("json"), setvar, cmd.linger())
        ]
        await esl.close()
        await task
        server.close()

    run(main())


def test_send_nowait_cancelled_future_keeps_its_place_in_the_fifo() -> None:
    async def script(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await read_command(r)
        await read_command(r)
        w.write(_reply(b"value-a") + _reply(b"value-b"))
        await w.drain()
        await r.read()

    async def main() -> None:
        esl, task, server = await _outbound_pair(script)
        first = esl.send_nowait(cmd.getvar("a"))
        second = esl.send_nowait(cmd.getvar("b"))
        first.cancel()
        assert (await second).message.reply_text == "value-b"  # not the cancelled one's reply
        await esl.close()
        await task
        server.close()

    run(main())


def test_send_nowait_fails_when_the_connection_ends() -> None:
    async def script(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await read_command(r)  # never answered: the switch goes away

    async def main() -> None:
        esl, task, server = await _outbound_pair(script)
        pending = esl.send_nowait(cmd.myevents("json"))
        with pytest.raises(ConnectionClosed):
            await pending
        await esl.wait_closed()
        with pytest.raises(ConnectionClosed):
            esl.send_nowait(cmd.linger())
        await esl.close()
        await task
        server.close()

    run(main())


def _listen_backlog(server: asyncio.Server) -> int:
    """The accept-queue limit the kernel applies to a listening socket (Linux TCP_INFO:
    for a listener `tcpi_sacked` holds sk_max_ack_backlog)."""
    raw = server.sockets[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return int(struct.unpack_from("=I", raw, 28)[0])


def test_serve_outbound_listen_backlog() -> None:
    async def handler(esl: AsyncESL) -> None:  # pragma: no cover - nobody connects
        raise AssertionError("no call expected")

    async def main() -> None:
        somaxconn = int(Path("/proc/sys/net/core/somaxconn").read_text())
        small = await serve_outbound(handler, port=0, backlog=7)
        default = await serve_outbound(handler, port=0)
        try:
            assert _listen_backlog(small) == 7
            # Deeper than asyncio's 100 (as deep as the system allows).
            assert _listen_backlog(default) == min(DEFAULT_BACKLOG, somaxconn)
            assert DEFAULT_BACKLOG > 100
        finally:
            for server in (small, default):
                server.close()
                await server.wait_closed()

    run(main())


def test_commands_sent_in_one_turn_go_out_in_one_write() -> None:
    received: list[bytes] = []

    async def script(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        for _ in range(3):
            received.append(await read_command(r))
        w.write(_reply(b"+OK a") + _reply(b"+OK b") + _reply(b"+OK c"))
        await w.drain()
        received.append(await read_command(r))  # sent right before close()
        await r.read()

    async def main() -> None:
        esl, task, server = await _outbound_pair(script)
        writes: list[bytes] = []
        transport_write = esl._writer.write

        def counting_write(data: bytes | bytearray | memoryview) -> None:
            writes.append(bytes(data))
            transport_write(data)

        esl._writer.write = counting_write  # type: ignore[method-assign]
        sent = [cmd.myevents("json"), cmd.linger(), cmd.api("status")]
        futures = [esl.send_nowait(c) for c in sent]
        assert [(await f).message.reply_text for f in futures] == ["+OK a", "+OK b", "+OK c"]
        assert writes == [b"".join(sent)]
        esl.send_nowait(cmd.exit()).add_done_callback(lambda f: f.exception())
        await esl.close()
        assert writes[1:] == [cmd.exit()]
        await task
        assert received == [*sent, cmd.exit()]
        server.close()

    run(main())
