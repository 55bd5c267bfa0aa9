"""Real HTTP servers on 127.0.0.1 for the look-up tests.

`http_server(handler)`: an asyncio server with a tiny hand-written HTTP/1.1 responder (one
request per connection, `Connection: close`).  The handler sees each request (`Seen`) and
returns a `Reply` (status, body, headers, delay; or body parts written with pauses; or raw
bytes written verbatim).  The server counts requests and the most requests in flight.

`RawServer`: a socket server in a thread that answers every request with whatever raw bytes
the test set last (after an optional delay): for the hypothesis test, whose examples run
outside any one event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import socket
import socketserver
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

TEST_TIMEOUT = 10.0


def run(coro: Awaitable[Any]) -> Any:
    """Run one test coroutine, never for longer than TEST_TIMEOUT."""

    async def bounded() -> Any:
        async with asyncio.timeout(TEST_TIMEOUT):
            return await coro

    return asyncio.run(bounded())


@dataclass
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]


REASONS = {200: "OK", 204: "No Content", 302: "Found", 404: "Not Found", 500: "Server Error"}


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0
    parts: list[bytes] | None = None  # written one by one with `gap` seconds between
    gap: float = 0.0
    raw: bytes | None = None  # written verbatim instead of a response

    @classmethod
    def json(cls, value: Any, status: int = 200, delay: float = 0.0) -> Reply:
        return cls(status=status, body=json.dumps(value).encode(), delay=delay)

    def head(self, length: int | None) -> bytes:
        lines = [f"HTTP/1.1 {self.status} {REASONS.get(self.status, 'Whatever')}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if length is not None:
            lines.append(f"Content-Length: {length}")
        lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


Handler = Callable[[Seen], "Reply | Awaitable[Reply]"]


@dataclass
class Server:
    host: str
    port: int
    requests: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def hits(self) -> int:
        return len(self.requests)


async def read_request(reader: asyncio.StreamReader) -> Seen | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return Seen(method, target, headers, body)


@contextlib.asynccontextmanager
async def http_server(handler: Handler) -> AsyncIterator[Server]:
    tasks: set[asyncio.Task[None]] = set()
    server_info = Server("127.0.0.1", 0)

    async def respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen = await read_request(reader)
        if seen is None:
            writer.close()
            return
        server_info.requests.append(seen)
        server_info.in_flight += 1
        server_info.max_in_flight = max(server_info.max_in_flight, server_info.in_flight)
        try:
            reply = handler(seen)
            if inspect.isawaitable(reply):
                reply = await reply
            assert isinstance(reply, Reply)
            if reply.delay:
                await asyncio.sleep(reply.delay)
            if reply.raw is not None:
                writer.write(reply.raw)
            elif reply.parts is not None:
                writer.write(reply.head(sum(map(len, reply.parts))))
                for part in reply.parts:
                    await writer.drain()
                    await asyncio.sleep(reply.gap)
                    writer.write(part)
            else:
                writer.write(reply.head(len(reply.body)) + reply.body)
            await writer.drain()
        finally:
            server_info.in_flight -= 1
            writer.close()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await respond(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            writer.close()
        finally:
            tasks.discard(task)

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    server_info.port = server.sockets[0].getsockname()[1]
    try:
        yield server_info
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class RawServer:
    """Threaded TCP server replying to every request with `self.response` after `self.delay`."""

    def __init__(self) -> None:
        self.response = b""
        self.delay = 0.0
        self.hits = 0
        outer = self

        class Handle(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                sock.settimeout(2.0)
                data = b""
                with contextlib.suppress(OSError):
                    while b"\r\n\r\n" not in data and len(data) < 65536:
                        chunk = sock.recv(65536)
                        if not chunk:
                            return
                        data += chunk
                    head, _, rest = data.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value.strip())
                    while len(rest) < length:
                        chunk = sock.recv(65536)
                        if not chunk:
                            break
                        rest += chunk
                    outer.hits += 1
                    response, delay = outer.response, outer.delay
                    time.sleep(delay)
                    sock.sendall(response)
                    sock.shutdown(socket.SHUT_WR)

        class Threaded(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Threaded(("127.0.0.1", 0), Handle)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @contextlib.contextmanager
    def running(self) -> Iterator[RawServer]:
        self._thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
