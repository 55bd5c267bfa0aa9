"""The asyncio driver end to end on 127.0.0.1: a real runtime.esl application against ``dial``.

Every test is bounded (``asyncio.timeout``) and so is every call (``dial(timeout=...)``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from runtime.emulator import (
    CallerScript,
    CallSpec,
    ChannelConfig,
    DialplanApp,
    LatencyRecorder,
    QueueOutcome,
    dial,
    place_call,
    run_load,
)
from runtime.emulator.profile import outbound_recordings
from runtime.esl import ESLParser, serve_outbound
from tests.emulator.emu_support import AppLog, ivr_app


def run(coro: Awaitable[Any], limit: float = 30.0) -> Any:
    async def bounded() -> Any:
        async with asyncio.timeout(limit):
            return await coro

    return asyncio.run(bounded())


async def with_app(
    handler: Callable[..., Awaitable[None]], body: Callable[[int], Awaitable[Any]]
) -> Any:
    server = await serve_outbound(handler, "127.0.0.1", 0, connect_timeout=5, timeout=10)
    try:
        return await body(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


async def with_raw_server(
    on_client: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    body: Callable[[int], Awaitable[Any]],
) -> Any:
    server = await asyncio.start_server(on_client, "127.0.0.1", 0)
    try:
        return await body(server.sockets[0].getsockname()[1])
    finally:
        server.close()


def test_digits_reach_the_application_and_the_call_ends() -> None:
    log = AppLog()

    async def body(port: int) -> Any:
        spec = CallSpec(script=CallerScript(inputs=["123#"]))
        return await dial("127.0.0.1", port, call=spec, timeout=10, time_scale=0.02)

    rec = run(with_app(ivr_app(log), body))
    assert rec.ok and rec.closed_by == "switch" and rec.hangup_cause == "NORMAL_CLEARING"
    assert log.results == [("success", "123", False)]
    assert rec.messages[0] == {"dir": "to_switch", "data": "connect\n\n", "t": rec.messages[0]["t"]}
    sent = [m["data"] for m in rec.messages if m["dir"] == "to_switch"]
    assert sent[-1] == "exit\n\n" and rec.executes == 3
    received = "".join(str(m["data"]) for m in rec.messages if m["dir"] == "from_switch")
    messages = ESLParser().feed(received.encode())
    assert messages[-3].get("Content-Disposition") == "linger"
    assert messages[-2].reply_text == "+OK bye"
    assert messages[-1].get("Content-Disposition") == "disconnect"


def test_caller_hangup_mid_prompt_is_handled_and_the_call_ends() -> None:
    log = AppLog()

    async def body(port: int) -> Any:
        spec = CallSpec(script=CallerScript(inputs=["hangup"], hangup_delay=0.1))
        return await dial("127.0.0.1", port, call=spec, timeout=10, time_scale=0.05)

    rec = run(with_app(ivr_app(log), body))
    assert rec.ok and rec.hangup_cause == "NORMAL_CLEARING"
    assert len(log.results) == 1 and log.results[0][2] is True  # the app saw the hang-up
    names = [m["data"] for m in rec.messages if m["dir"] == "to_switch"]
    assert not any("execute-app-name: hangup" in str(n) for n in names)


def test_record_is_written_in_the_fixture_shape(tmp_path: Any) -> None:
    log = AppLog()

    async def body(port: int) -> Any:
        return await dial(
            "127.0.0.1",
            port,
            call=CallSpec(script=CallerScript(inputs=["7#"])),
            timeout=10,
            time_scale=0,
        )

    rec = run(with_app(ivr_app(log), body))
    path = tmp_path / "call.jsonl"
    rec.write_jsonl(path)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert "note" in rows[0] and rec.spec.uuid in rows[0]["note"]
    assert all(set(r) == {"dir", "data", "t"} for r in rows[1:])
    assert rows[1]["dir"] == "to_switch" and rows[2]["data"].startswith("Event-Name: CHANNEL_DATA")


def test_an_application_that_never_sends_connect_is_dropped() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"not a command, no empty line")
        await reader.read()  # until the emulator closes
        writer.close()

    async def body(port: int) -> Any:
        spec = CallSpec(config=ChannelConfig(connect_timeout=0.3))
        started = time.monotonic()
        rec = await dial("127.0.0.1", port, call=spec, timeout=5)
        return rec, time.monotonic() - started

    rec, took = run(with_raw_server(silent, body))
    assert rec.closed_by == "switch" and 0.25 < took < 2.0
    assert not rec.ok and not rec.connected and rec.error == "the application never sent connect"
    (notice,) = [m["data"] for m in rec.messages if m["dir"] == "from_switch"]
    assert "Content-Disposition: disconnect" in str(notice)


def test_garbage_commands_do_not_crash_the_emulator() -> None:
    replies: list[bytes] = []

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"connect\n\n")
        await asyncio.sleep(0.05)
        writer.write(b"\xff\xfe junk\n\n\x00\x01\x02\n\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.1)
        replies.append(await reader.read(65536))
        writer.close()

    async def body(port: int) -> Any:
        return await dial("127.0.0.1", port, timeout=5)

    rec = run(with_raw_server(garbage, body))
    assert rec.closed_by == "app" and rec.error is None
    assert replies and replies[0].count(b"Reply-Text: -ERR command not found") == 3


def test_every_call_is_bounded_by_its_timeout() -> None:
    async def stuck(esl: Any) -> None:
        await asyncio.sleep(60)

    async def body(port: int) -> Any:
        started = time.monotonic()
        rec = await dial("127.0.0.1", port, timeout=0.5)
        return rec, time.monotonic() - started

    rec, took = run(with_app(stuck, body))
    assert rec.closed_by == "timeout" and took < 2.0 and not rec.ok


def test_connection_refused_is_reported_not_raised() -> None:
    async def body() -> Any:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        return await dial("127.0.0.1", port, timeout=2)

    rec = run(body())
    assert rec.closed_by == "error" and rec.error and "connect failed" in rec.error


def test_only_loopback_targets_by_default() -> None:
    with pytest.raises(ValueError, match="non-loopback"):
        run(dial("192.0.2.10", 8084, timeout=1))
    with pytest.raises(ValueError, match="non-loopback"):
        run(run_load("example.com", 8084, 1, 1, lambda i: CallSpec()))


def test_run_load_counts_durations_and_latencies() -> None:
    log = AppLog()
    latency = LatencyRecorder()

    async def body(port: int) -> Any:
        return await run_load(
            "127.0.0.1",
            port,
            30,
            10,
            lambda i: CallSpec(script=CallerScript(inputs=[f"{i % 10}#"])),
            timeout=10,
            time_scale=0,
            latency=latency,
        )

    result = run(with_app(ivr_app(log), body), limit=60)
    assert (result.calls, result.completed, result.failed) == (30, 30, 0)
    assert len(result.durations) == 30 and result.calls_per_second > 0
    assert len(result.latencies) == 60  # after answer and after play_and_get_digits
    assert sorted((r[1] for r in log.results), key=str) == sorted(str(i % 10) for i in range(30))
    assert result.latency_summary().p99 >= result.latency_summary().p50 >= 0


def test_time_scale_compresses_the_callers_time() -> None:
    async def queue_app(esl: Any) -> None:
        from runtime.esl import commands as cmd

        await esl.command(cmd.myevents("json"))
        await esl.command(cmd.linger())
        await esl.execute("answer")
        await esl.execute("callcenter", "support@default")
        await esl.wait_disconnect_notice(timeout=10)
        await esl.exit()

    async def body(port: int) -> Any:
        script = CallerScript(queues={"support": QueueOutcome("answered", talk_time=20.0)})
        started = time.monotonic()
        rec = await dial(
            "127.0.0.1", port, call=CallSpec(script=script), timeout=10, time_scale=0.01
        )
        return rec, time.monotonic() - started

    rec, took = run(with_app(queue_app, body))
    assert rec.ok and rec.hangup_cause == "NORMAL_CLEARING" and took < 3.0


# -- several socket actions for one call ------------------------------------------------------


async def _dead_port() -> int:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port: int = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    return port


def test_a_socket_list_is_tried_host_by_host() -> None:
    # Qc2 lines 180-183: "Trying host: 127.0.0.1:8086", "Connection refused", then 8085
    log = AppLog()

    async def body(port: int) -> Any:
        dead = await _dead_port()
        data = f"127.0.0.1:{dead}|127.0.0.1:{port} async full"
        spec = CallSpec(
            script=CallerScript(inputs=["42#"]),
            config=ChannelConfig(socket_data=data, profile=outbound_recordings()),
        )
        return await place_call(spec, timeout=10, time_scale=0)

    rec = run(with_app(ivr_app(log), body))
    (attempt,) = rec.sockets
    assert attempt.outcome == "connected" and attempt.port != 0
    assert log.results == [("success", "42", False)]
    assert rec.ok and rec.connected


def test_a_refused_socket_goes_on_to_the_next_socket_action() -> None:
    log = AppLog()

    async def body(port: int) -> Any:
        dead = await _dead_port()
        script = CallerScript(
            inputs=["42#"],
            after_socket=[
                DialplanApp("socket", f"127.0.0.1:{port} async full"),
                DialplanApp("hangup", "NORMAL_TEMPORARY_FAILURE"),
            ],
        )
        return dead, await dial(
            "127.0.0.1", dead, call=CallSpec(script=script), timeout=10, time_scale=0
        )

    dead, rec = run(with_app(ivr_app(log), body))
    assert [(s.port, s.outcome) for s in rec.sockets] == [
        (dead, "refused"),
        (rec.sockets[1].port, "connected"),
    ]
    assert log.results == [("success", "42", False)]
    assert rec.ok and rec.connected and rec.hangup_cause == "NORMAL_CLEARING"
    assert rec.messages and all(m.get("socket") == 1 for m in rec.messages)
    assert ("hangup", "NORMAL_TEMPORARY_FAILURE") not in rec.apps  # the app hung up first
