"""`AsyncESL.listen`: events handed to a callback straight from the reader, in order, with
the queued ones first and `None` at the end; a failing listener is dropped, not fatal."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from runtime.esl import AsyncESL, Event, serve_outbound

CHANNEL_DATA = (
    b"Content-Type: command/reply\nReply-Text: +OK\nSocket-Mode: async\nControl: full\n"
    b"Event-Name: CHANNEL_DATA\nUnique-ID: 11111111-2222-3333-4444-555555555555\n\n"
)


def event(name: str, **headers: str) -> bytes:
    body = json.dumps({"Event-Name": name, **headers}).encode()
    return b"Content-Length: %d\nContent-Type: text/event-json\n\n" % len(body) + body


def run(coro: Awaitable[Any]) -> Any:
    async def bounded() -> Any:
        async with asyncio.timeout(10):
            return await coro

    return asyncio.run(bounded())


async def with_switch(
    app: Callable[[AsyncESL], Awaitable[None]],
    switch: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> None:
    """`app` serves one outbound connection; `switch` plays FreeSWITCH's side of it."""
    done = asyncio.get_running_loop().create_future()

    async def handler(esl: AsyncESL) -> None:
        try:
            await app(esl)
            done.set_result(None)
        except BaseException as exc:
            done.set_exception(exc)
            raise

    server = await serve_outbound(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        assert await reader.readuntil(b"\n\n") == b"connect\n\n"
        writer.write(CHANNEL_DATA)
        await switch(reader, writer)
        await done
    finally:
        writer.close()
        server.close()
        await server.wait_closed()


def test_listener_gets_queued_then_live_events_then_none() -> None:
    seen: list[str | None] = []
    first_two = asyncio.Event()

    async def switch(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(event("CHANNEL_EXECUTE") + event("DTMF", **{"DTMF-Digit": "1"}))
        await first_two.wait()
        w.write(event("DTMF", **{"DTMF-Digit": "2"}) + event("CHANNEL_HANGUP"))
        await w.drain()
        w.close()

    async def app(esl: AsyncESL) -> None:
        while esl._events.qsize() < 2:  # both queued before anyone listens
            await asyncio.sleep(0.005)

        def listener(e: Event | None) -> None:
            seen.append(None if e is None else e.name + (e.get("DTMF-Digit") or ""))

        esl.listen(listener)
        assert seen == ["CHANNEL_EXECUTE", "DTMF1"]  # handed over at once, in order
        first_two.set()
        await esl.wait_closed()
        assert seen == ["CHANNEL_EXECUTE", "DTMF1", "DTMF2", "CHANNEL_HANGUP", None]

    run(with_switch(app, switch))


def test_listener_none_goes_back_to_queueing() -> None:
    seen: list[str | None] = []
    stopped = asyncio.Event()

    async def switch(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(event("CHANNEL_EXECUTE"))
        await stopped.wait()
        w.write(event("CHANNEL_EXECUTE_COMPLETE"))
        await w.drain()
        w.close()

    async def app(esl: AsyncESL) -> None:
        esl.listen(lambda e: seen.append(None if e is None else e.name))
        while not seen:
            await asyncio.sleep(0.005)
        esl.listen(None)
        stopped.set()
        nxt = await esl.next_event(timeout=5)
        assert nxt.name == "CHANNEL_EXECUTE_COMPLETE"
        await esl.wait_closed()
        assert seen == ["CHANNEL_EXECUTE"]  # nothing after it stopped listening, not even None

    run(with_switch(app, switch))


def test_failing_listener_is_dropped_and_the_reader_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str | None] = []

    async def switch(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(event("CHANNEL_EXECUTE") + event("DTMF", **{"DTMF-Digit": "5"}))
        await w.drain()

    def listener(e: Event | None) -> None:
        calls.append(None if e is None else e.name)
        raise RuntimeError("defect")

    async def app(esl: AsyncESL) -> None:
        esl.listen(listener)
        nxt = await esl.next_event(timeout=5)  # the reader survived; events queue again
        assert nxt.name in ("CHANNEL_EXECUTE", "DTMF")
        await esl.close()

    with caplog.at_level(logging.ERROR):
        run(with_switch(app, switch))
    assert calls[0] == "CHANNEL_EXECUTE" and len(calls) == 1
    assert "listener failed" in caplog.text


def test_listening_after_the_end_hands_over_none() -> None:
    async def switch(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(event("CHANNEL_HANGUP"))
        await w.drain()
        w.close()

    async def app(esl: AsyncESL) -> None:
        await esl.wait_closed()
        seen: list[str | None] = []
        esl.listen(lambda e: seen.append(None if e is None else e.name))
        assert seen == ["CHANNEL_HANGUP", None]

    run(with_switch(app, switch))
