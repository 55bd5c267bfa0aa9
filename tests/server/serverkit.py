"""Shared helpers of the runtime tests: bundles compiled from test flows, a runtime on an
ephemeral loopback port with a SQLite journal and short timeouts, a fixed clock, and a
loopback HTTP server for look-ups."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flowc.compiler.bundle import compile_paths
from runtime.driver import Timeouts
from runtime.esl.message import Event
from runtime.resume_state import ResumeKeys
from runtime.server import Runtime, ServeConfig
from runtime.translate import MediaConfig

HERE = Path(__file__).resolve().parent
FLOWS = HERE / "flows"
START = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday, 10:00

FAST = Timeouts(
    setup=5.0,
    answer=5.0,
    app=5.0,
    collect_margin=5.0,
    queue=10.0,
    queue_margin=5.0,
    bridge=10.0,
    record_margin=5.0,
    with_agent=10.0,
    idle=10.0,
    speech_grace=0.5,
    hangup_wait=1.0,
    exit=2.0,
)


# The resume key every test runtime shares, as the instances of one deployment do.
TEST_KEYS = ResumeKeys.of(["test-resume-key-0123456789abcdef"], "tests")


def compile_bundle(out: Path, *sources: Path) -> Path:
    """Compile flow files/folders (and bindings) into `out/bundle.json`."""
    lines: list[str] = []
    code = compile_paths(list(sources or (FLOWS,)), out, echo=lines.append)
    assert code == 0, "\n".join(lines)
    return out


def copy_flows(dest: Path) -> Path:
    shutil.copytree(FLOWS, dest)
    return dest


def fixed_clock(start: datetime = START) -> Callable[[Event], Callable[[], datetime]]:
    def factory(_data: Event) -> Callable[[], datetime]:
        t0 = time.monotonic()

        def now() -> datetime:
            return start + timedelta(seconds=time.monotonic() - t0)

        return now

    return factory


@contextlib.asynccontextmanager
async def running(
    bundle: Path,
    tmp: Path,
    *,
    env: str | None = "test",
    journal: str | None = "default",
    lookup_env: dict[str, str] | None = None,
    timeouts: Timeouts = FAST,
    reload_interval: float = 0.0,
    metrics: bool = False,
    drain_timeout: float = 5.0,
    instance: str | None = None,
    linger: bool = True,
    asr: str = "unimrcp",
    resume_keys: ResumeKeys | None = TEST_KEYS,
    rollout_poll: float | None = None,
) -> AsyncIterator[Runtime]:
    url = f"sqlite:///{tmp / 'journal.db'}" if journal == "default" else journal
    config = ServeConfig(
        bundle=bundle,
        listen=[("127.0.0.1", 0)],
        env=env,
        journal=url,
        metrics=("127.0.0.1", 0) if metrics else None,
        drain_timeout=drain_timeout,
        reload_interval=reload_interval,
        instance=instance,
        timeouts=timeouts,
        linger=linger,
        journal_options={"flush_interval": 0.01},
        media=MediaConfig(asr_engine=asr),  # the fake switch recognises `say ...` inputs
        resume_keys=resume_keys,
        rollout_poll=rollout_poll,
    )
    rt = Runtime(config, clock_factory=fixed_clock(), lookup_env=lookup_env or {})
    await rt.start()
    try:
        yield rt
    finally:
        if not rt.draining:
            await rt.stop(drain_timeout=drain_timeout)


@dataclass
class MockHTTP:
    """A loopback HTTP/1.1 server answering look-ups: path prefix -> (status, body | None,
    delay seconds); `malformed` sends a broken JSON body."""

    routes: dict[str, tuple[int, Any, float]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def __aenter__(self) -> MockHTTP:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                line = head.split(b"\r\n", 1)[0].decode()
                length = 0
                for h in head.decode().split("\r\n"):
                    if h.lower().startswith("content-length:"):
                        length = int(h.split(":", 1)[1])
                if length:
                    await reader.readexactly(length)
                path = line.split()[1]
                self.requests.append(path)
                body: Any  # a route's JSON answer, or "malformed"
                status, body, delay = 404, {"error": "no route"}, 0.0
                for prefix, answer in self.routes.items():
                    if path.startswith(prefix):
                        status, body, delay = answer
                        break
                if delay:
                    await asyncio.sleep(delay)
                data = b"{not json" if body == "malformed" else json.dumps(body).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
