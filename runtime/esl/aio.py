"""Thin asyncio driver over ``ESLConnection``.

One reader task per connection reads the socket, feeds ``ESLConnection`` and
dispatches what comes out:

* replies resolve the future registered under their command's token;
* ``ExecuteComplete`` / ``BackgroundJobDone`` resolve the execute / bgapi
  waiter (and the event is also queued for ``events()``);
* every event goes to a bounded queue read by ``events()`` / ``next_event()``
  (when full, the oldest event is dropped and counted in ``dropped_events``,
  so a handler that ignores events cannot grow memory or stall replies);
* a disconnect notice fails pending executes with ``ChannelHangup`` (the
  session is finished: FreeSWITCH sends the notice after the channel's last
  completions and CHANNEL_HANGUP_COMPLETE in every recorded session);
* EOF, a protocol error or ``close()`` fail every waiter with
  ``ConnectionClosed`` and end ``events()``.

Every wait is bounded (``asyncio.timeout``; ``timeout=None`` means the
connection's default).  A command whose wait timed out still owns its place in
the reply FIFO; its late reply is discarded.  Writes happen synchronously
right after ``ESLConnection.send``, so concurrent tasks cannot reorder bytes
against the FIFO.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final, TypeVar

from . import commands
from .connection import (
    ApiResponse,
    AuthRequest,
    BackgroundJobDone,
    Closed,
    CommandReply,
    Connected,
    ConnEvent,
    Disconnect,
    ESLConnection,
    EventReceived,
    ExecuteComplete,
    Mode,
    RudeRejection,
)
from .errors import ChannelHangup, CommandError, ConnectionClosed, ProtocolError
from .message import Event, Message

__all__ = ["DEFAULT_BACKLOG", "DEFAULT_TIMEOUT", "AsyncESL", "Reply", "serve_outbound"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 30.0
# Connections the kernel queues before they are accepted. asyncio's default (100) drops
# calls when thousands of channels connect at once; Linux caps it at net.core.somaxconn.
DEFAULT_BACKLOG: Final = 4096
_READ_SIZE: Final = 64 * 1024
_CLOSE_TIMEOUT: Final = 5.0

# The answer to one command: ``Connected`` (``connect``), ``ApiResponse`` (``api``) or
# ``CommandReply`` (everything else); each has the raw ``message``.
Reply = Connected | CommandReply | ApiResponse
_T = TypeVar("_T")


async def _wait(fut: asyncio.Future[_T]) -> _T:
    """Await a future shared with the reader task without cancelling it on timeout.

    A failure is raised as a copy of the future's exception. Raising the stored exception
    itself would put this frame (which holds the future, which holds the exception) and,
    through it, every caller's frame into the exception's traceback: a reference cycle that
    keeps the whole call alive until a full garbage collection."""
    await asyncio.wait((fut,))
    exc = fut.exception()
    if exc is None:
        return fut.result()
    raise _copy_exception(exc)


async def _wait_own(fut: asyncio.Future[_T]) -> _T:
    """``_wait`` for a future only this waiter uses (a command's reply or completion): a
    timeout may cancel it (the reader skips a cancelled future), which spares
    ``asyncio.wait``'s extra waiter future and callbacks. A failure is raised as a copy,
    as in ``_wait``."""
    try:
        return await fut
    except asyncio.CancelledError:
        raise
    except BaseException as exc:
        exc.__traceback__ = None  # the stored exception must not keep this frame (a cycle)
    raise _copy_exception(fut.exception() or ConnectionClosed("no reply"))


def _copy_exception(exc: BaseException) -> BaseException:
    new = copy.copy(exc)  # same type, arguments and attributes; no traceback
    new.__cause__ = exc.__cause__
    return new


class AsyncESL:
    """An ESL connection over an asyncio stream pair.

    Must be created inside a running event loop (it starts its reader task).
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        mode: Mode = "outbound",
        timeout: float = DEFAULT_TIMEOUT,
        max_queued_events: int = 10_000,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self.conn = ESLConnection(mode)
        self.timeout = timeout
        self._max_events = max_queued_events
        self.dropped_events = 0
        self._events: asyncio.Queue[Event | None] = asyncio.Queue()
        self._listener: Callable[[Event | None], None] | None = None
        self._replies: dict[int, asyncio.Future[Reply]] = {}
        self._executes: dict[str, asyncio.Future[Event]] = {}
        self._jobs: dict[str, asyncio.Future[Event]] = {}
        loop = asyncio.get_running_loop()
        self._loop = loop
        # Commands written in one turn of the event loop go out in one write (see _write).
        self._out: list[bytes] = []
        self._auth_request: asyncio.Future[Message] = loop.create_future()
        self._disconnect: asyncio.Future[Message] = loop.create_future()
        self._closed: asyncio.Future[None] = loop.create_future()
        self._close_reason: BaseException | None = None
        self._reader_task = asyncio.create_task(self._read_loop(), name="esl-reader")

    # -- state ------------------------------------------------------------------------------------

    @property
    def channel_data(self) -> Event | None:
        return self.conn.channel_data

    @property
    def channel_uuid(self) -> str | None:
        return self.conn.channel_uuid

    @property
    def hangup_seen(self) -> bool:
        return self.conn.hangup_seen

    @property
    def closed(self) -> bool:
        return self._closed.done()

    # -- commands ---------------------------------------------------------------------------------

    def send_nowait(self, data: bytes) -> asyncio.Future[Reply]:
        """Write one command (bytes from ``commands``) at once; return the future of its reply.

        Nothing is awaited: not the reply, not the socket buffer (no ``drain``). For commands
        written back to back and answered together (one round trip), and for fire-and-forget
        ones such as the ``set`` executes queued before the next app. The bytes are queued in
        call order, so replies keep matching their commands, and written at the end of this
        turn of the event loop, together with any other command sent in it (one system call
        for commands sent back to back).

        The future resolves to the reply (a ``-ERR`` reply is a result, not an error: check
        ``reply.message.is_ok``), or fails with ``ConnectionClosed`` when the connection ends
        first. Nothing bounds it: wrap the await in ``asyncio.timeout``. A future that is
        cancelled or dropped keeps its place in the reply FIFO; its reply is dropped.

        Raises ``ConnectionClosed`` when the connection is already closed.
        """
        if self._closed.done():
            raise ConnectionClosed("connection is closed") from self._close_reason
        payload, token = self.conn.send(data)
        fut: asyncio.Future[Reply] = self._loop.create_future()
        self._replies[token] = fut
        self._write(payload)
        return fut

    def _write(self, payload: bytes) -> None:
        out = self._out
        out.append(payload)
        if len(out) == 1:
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        out = self._out
        if not out:
            return
        data = out[0] if len(out) == 1 else b"".join(out)
        out.clear()
        try:
            self._writer.write(data)
        except (ConnectionError, OSError, RuntimeError) as exc:  # closed meanwhile
            log.debug("ESL write dropped: %s", exc)

    async def _reply(self, data: bytes) -> Reply:
        fut = self.send_nowait(data)
        try:
            await self._writer.drain()
            return await _wait_own(fut)
        except (ConnectionError, OSError) as exc:
            raise ConnectionClosed(f"write failed: {exc}") from exc
        finally:
            if not fut.done():
                fut.cancel()

    async def command(self, data: bytes, timeout: float | None = None) -> Message:
        """Send one command (bytes from ``commands``); return its reply message.

        A ``-ERR`` reply is returned, not raised: check ``message.is_ok``.
        """
        async with asyncio.timeout(self._t(timeout)):
            return (await self._reply(data)).message

    async def connect(self, timeout: float | None = None) -> Event:
        """Outbound: send ``connect``; return the channel data."""
        async with asyncio.timeout(self._t(timeout)):
            reply = await self._reply(commands.connect())
        if not isinstance(reply, Connected):  # pragma: no cover - guaranteed by ESLConnection
            raise CommandError("connect failed", reply.message)
        return reply.channel_data

    async def authenticate(self, password: str, timeout: float | None = None) -> None:
        """Inbound: wait for ``auth/request``, send ``auth``; ``CommandError`` if refused."""
        async with asyncio.timeout(self._t(timeout)):
            await _wait(self._auth_request)
            reply = await self._reply(commands.auth(password))
        if not reply.message.is_ok:
            raise CommandError(f"auth refused: {reply.message.reply_text}", reply.message)

    async def api(self, command: str, timeout: float | None = None) -> str:
        """``api`` -> response body; ``CommandError`` if refused (``-ERR command not found``)."""
        async with asyncio.timeout(self._t(timeout)):
            reply = await self._reply(commands.api(command))
        if isinstance(reply, ApiResponse):
            return reply.body
        raise CommandError(f"api refused: {reply.message.reply_text}", reply.message)

    async def bgapi(self, command: str, timeout: float | None = None) -> str:
        """``bgapi`` with our own Job-UUID; wait for the BACKGROUND_JOB; return its output."""
        job_uuid = commands.new_event_uuid()
        fut: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._jobs[job_uuid] = fut
        try:
            async with asyncio.timeout(self._t(timeout)):
                reply = await self._reply(commands.bgapi(command, job_uuid))
                if not reply.message.is_ok:
                    raise CommandError(f"bgapi refused: {reply.message.reply_text}", reply.message)
                return (await _wait_own(fut)).body
        finally:
            self._jobs.pop(job_uuid, None)

    async def execute(
        self,
        app: str,
        arg: str = "",
        timeout: float | None = None,
        *,
        event_uuid: str | None = None,
        uuid: str | None = None,
        event_lock: bool = False,
        loops: int | None = None,
    ) -> Event:
        """``sendmsg execute`` and wait for its CHANNEL_EXECUTE_COMPLETE (matched by Event-UUID).

        ``timeout`` bounds the whole thing (reply and completion).  Raises
        ``CommandError`` if the sendmsg is refused, ``ChannelHangup`` if the
        session ends first, ``ConnectionClosed`` on EOF, ``TimeoutError``.
        """
        event_uuid = event_uuid or commands.new_event_uuid()
        data = commands.sendmsg_execute(
            app, arg, event_uuid, uuid=uuid, event_lock=event_lock, loops=loops
        )
        fut: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._executes[event_uuid] = fut
        try:
            async with asyncio.timeout(self._t(timeout)):
                reply = await self._reply(data)
                if not reply.message.is_ok:
                    raise CommandError(
                        f"execute {app} refused: {reply.message.reply_text}", reply.message
                    )
                return await _wait_own(fut)
        finally:
            self._executes.pop(event_uuid, None)

    async def hangup(self, cause: str = "NORMAL_CLEARING", timeout: float | None = None) -> Message:
        return await self.command(commands.sendmsg_hangup(cause), timeout)

    # -- events -----------------------------------------------------------------------------------

    async def next_event(self, timeout: float | None = None) -> Event:
        """The next queued event; ``ConnectionClosed`` once the connection ended (queue drained)."""
        async with asyncio.timeout(self._t(timeout)):
            item = await self._events.get()
        if item is None:
            self._events.put_nowait(None)  # keep the end marker for other readers
            raise ConnectionClosed("connection closed") from self._close_reason
        return item

    async def events(self) -> AsyncIterator[Event]:
        """Every event, in arrival order, until the connection ends (no timeout: it is a stream)."""
        while True:
            item = await self._events.get()
            if item is None:
                self._events.put_nowait(None)
                return
            yield item

    def listen(self, listener: Callable[[Event | None], None] | None) -> None:
        """Hand every event to ``listener`` as soon as it is read, instead of queueing it for
        ``events()`` / ``next_event()``; ``None`` goes back to queueing.

        Events already queued are handed over first, in order; ``listener(None)`` marks the
        end of the connection (at once if it has already ended). The listener runs inside the
        reader, before the waiters it resolves resume: it must be quick and must not raise
        (an exception is logged and the listener dropped). No task and no queue per event,
        which is what a long-lived per-call consumer wants."""
        self._listener = listener
        if listener is None:
            return
        while self._listener is listener and not self._events.empty():
            item = self._events.get_nowait()
            self._deliver(listener, item)
            if item is None:
                self._events.put_nowait(None)  # keep the end marker for other readers
                return

    def _deliver(self, listener: Callable[[Event | None], None], item: Event | None) -> None:
        try:
            listener(item)
        except Exception:  # a consumer's defect must not stop the reader
            log.exception("ESL event listener failed")
            if self._listener is listener:
                self._listener = None

    async def wait_disconnect_notice(self, timeout: float | None = None) -> Message:
        """Wait for ``text/disconnect-notice`` (linger or final)."""
        async with asyncio.timeout(self._t(timeout)):
            return await _wait(self._disconnect)

    async def wait_closed(self, timeout: float | None = None) -> None:
        """Wait until the connection has ended (EOF, error or close())."""
        async with asyncio.timeout(self._t(timeout)):
            await asyncio.shield(self._closed)

    # -- closing ----------------------------------------------------------------------------------

    async def exit(self, timeout: float | None = None) -> None:
        """Send ``exit``, wait for FreeSWITCH to close (bounded), then close."""
        try:
            async with asyncio.timeout(self._t(timeout)):
                await self._reply(commands.exit())
                await asyncio.shield(self._closed)
        except (ConnectionClosed, ProtocolError, TimeoutError):
            pass
        finally:
            await self.close()

    async def close(self) -> None:
        """Close the socket, fail every waiter with ``ConnectionClosed``; idempotent."""
        if not self._closed.done():
            self.conn.close()
        self._finish(ConnectionClosed("closed locally"))
        self._flush()  # what was sent before close() still goes out
        self._writer.close()
        try:
            async with asyncio.timeout(min(self.timeout, _CLOSE_TIMEOUT)):
                await self._writer.wait_closed()
        except TimeoutError:
            self._writer.transport.abort()  # peer not reading: drop unsent bytes
        except Exception:  # already closing: a socket error here changes nothing
            pass
        if self._reader_task is not asyncio.current_task() and not self._reader_task.done():
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader_task

    # -- internals --------------------------------------------------------------------------------

    def _t(self, timeout: float | None) -> float:
        return self.timeout if timeout is None else timeout

    async def _read_loop(self) -> None:
        reason: BaseException = ConnectionClosed("connection closed by peer")
        try:
            while True:
                data = await self._reader.read(_READ_SIZE)
                for ev in self.conn.receive_data(data):
                    self._dispatch(ev)
                if not data:
                    break
        except ProtocolError as exc:
            log.warning("ESL protocol error: %s", exc)
            reason = ConnectionClosed(f"protocol error: {exc}")
            reason.__cause__ = exc.with_traceback(None)  # see _wait: no cycle
            self._writer.close()
        except (ConnectionError, OSError) as exc:
            reason = ConnectionClosed(f"connection lost: {exc}")
            reason.__cause__ = exc.with_traceback(None)  # see _wait: no cycle
        except Exception as exc:  # a bug: do not leave waiters hanging
            log.exception("ESL reader failed")
            reason = ConnectionClosed(f"reader failed: {exc!r}")
            reason.__cause__ = exc.with_traceback(None)  # see _wait: no cycle
            self._writer.close()
        finally:
            self._finish(reason)

    def _dispatch(self, ev: ConnEvent) -> None:
        if isinstance(ev, Connected | CommandReply | ApiResponse):
            fut = self._replies.pop(ev.token, None)
            if fut is not None and not fut.done():
                fut.set_result(ev)
        elif isinstance(ev, EventReceived):
            self._enqueue(ev.event)
        elif isinstance(ev, ExecuteComplete):
            self._resolve(self._executes.get(ev.event_uuid), ev.event)
            self._enqueue(ev.event)
        elif isinstance(ev, BackgroundJobDone):
            self._resolve(self._jobs.get(ev.job_uuid), ev.event)
            self._enqueue(ev.event)
        elif isinstance(ev, Disconnect):
            if not self._disconnect.done():
                self._disconnect.set_result(ev.message)
            for pending in self._executes.values():
                if not pending.done():
                    pending.set_exception(ChannelHangup("the session ended before completion"))
                    pending.exception()
        elif isinstance(ev, AuthRequest):
            if not self._auth_request.done():
                self._auth_request.set_result(ev.message)
        elif isinstance(ev, RudeRejection):
            self._finish(ConnectionClosed("rejected by FreeSWITCH ACL (rude rejection)"))
        elif isinstance(ev, Closed):
            pass  # _read_loop ends and calls _finish
        else:  # LogData
            log.debug("ESL log/data: %r", ev.message.body[:200])

    @staticmethod
    def _resolve(fut: asyncio.Future[Event] | None, event: Event) -> None:
        if fut is not None and not fut.done():
            fut.set_result(event)

    def _enqueue(self, event: Event) -> None:
        listener = self._listener
        if listener is not None:
            self._deliver(listener, event)
            return
        if self._events.qsize() >= self._max_events:
            self._events.get_nowait()
            self.dropped_events += 1
        self._events.put_nowait(event)

    def _finish(self, reason: BaseException) -> None:
        """Fail every waiter with ``reason`` and end the event stream (once)."""
        if self._closed.done():
            return
        self._close_reason = reason
        self._closed.set_result(None)
        waiters: list[asyncio.Future[Reply] | asyncio.Future[Event] | asyncio.Future[Message]]
        waiters = [
            *self._replies.values(),
            *self._executes.values(),
            *self._jobs.values(),
            self._auth_request,
            self._disconnect,
        ]
        for fut in waiters:
            if not fut.done():
                fut.set_exception(reason)
                # Nobody may be awaiting it (e.g. the disconnect future): mark retrieved.
                fut.exception()
        self._replies.clear()
        listener = self._listener
        if listener is not None:
            self._listener = None
            self._deliver(listener, None)
        self._events.put_nowait(None)


async def serve_outbound(
    handler: Callable[[AsyncESL], Awaitable[None]],
    host: str = "127.0.0.1",
    port: int = 8084,
    *,
    connect_timeout: float = 10.0,
    timeout: float = DEFAULT_TIMEOUT,
    backlog: int = DEFAULT_BACKLOG,
) -> asyncio.Server:
    """Listen for FreeSWITCH outbound sockets; run ``handler`` per call after ``connect``.

    Loopback by default.  The connection is closed when the handler returns or
    raises (exceptions are logged, not propagated).  ``backlog``: connections the
    kernel queues until they are accepted (a burst of new calls; capped by the
    system, e.g. net.core.somaxconn).  Returns the started server
    (``server.sockets[0].getsockname()`` gives the port when ``port=0``).
    """

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        esl = AsyncESL(reader, writer, mode="outbound", timeout=timeout)
        try:
            await esl.connect(timeout=connect_timeout)
        except (ConnectionClosed, ProtocolError, TimeoutError, CommandError) as exc:
            log.warning("outbound ESL connect failed: %s", exc)
            await esl.close()
            return
        try:
            await handler(esl)
        except Exception:
            log.exception("outbound ESL handler failed (channel %s)", esl.channel_uuid)
        finally:
            await esl.close()

    return await asyncio.start_server(on_client, host, port, backlog=backlog)
