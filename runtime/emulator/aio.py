"""asyncio driver: dial the runtime like FreeSWITCH's ``socket`` application does.

``dial`` opens one TCP connection to an outbound-ESL application (the
runtime), runs a ``Channel`` model on it and returns a ``CallRecord`` with
every message both ways (the fixtures' JSON-lines shape) when the socket
closes.  It never hangs: ``timeout`` bounds the whole call (the connection is
aborted), and every failure is reported in the record, not raised.

``run_load`` runs many calls with bounded concurrency and returns a
``LoadResult`` (counts, per-call durations, errors, event-to-command
latencies from ``metrics.LatencyRecorder``).

Time: the channel's virtual seconds map to real ones through ``time_scale``
(1.0 = real time; 0.01 = a 2 s agent conversation lasts 20 ms; 0 = as fast
as possible: the caller never makes the application wait).  Only the
application's own pace is never scaled: the time FreeSWITCH gives it to send
its first command (``ChannelConfig.connect_timeout``, 25 s) is real time.

The driver is an ``asyncio.Protocol`` (no stream objects, no per-read task):
``data_received`` feeds the channel and writes what it produced in the same
callback, timers are ``loop.call_at`` handles.  Loopback targets only, unless
``allow_remote=True``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .channel import CallSpec, Channel
from .metrics import LatencyRecorder, PeakRss, Summary, peak_concurrency, summarize

__all__ = [
    "CallRecord",
    "LoadResult",
    "Measurement",
    "dial",
    "is_loopback",
    "measure_load",
    "run_load",
    "summary_lines",
]

ClosedBy = Literal["switch", "app", "timeout", "error"]


@dataclass
class CallRecord:
    """One emulated call.

    ``messages``: ``{"dir": "from_switch"|"to_switch", "data": text, "t": s}``
    in order (``t``: seconds since the TCP connection was made; empty when
    recording was off).  ``closed_by``: ``switch`` (FreeSWITCH's side closed
    after exit / hang-up), ``app`` (the application closed first),
    ``timeout`` (aborted after ``timeout``), ``error`` (could not connect,
    connection reset...; see ``error``).  ``ok``: closed normally after the
    application sent ``connect``.
    """

    spec: CallSpec
    messages: list[dict[str, object]] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    closed_by: ClosedBy = "error"
    error: str | None = None
    hangup_cause: str | None = None
    answered: bool = False
    connected: bool = False
    commands: int = 0
    executes: int = 0

    @property
    def duration(self) -> float:
        return max(0.0, self.ended - self.started)

    @property
    def ok(self) -> bool:
        return self.closed_by in ("switch", "app") and self.error is None

    def to_jsonl(self, note: str | None = None) -> str:
        """The fixture shape: a ``{"note"}`` line, then one line per message."""
        head = note or (
            f"Emulated FreeSWITCH outbound session: caller {self.spec.caller} -> "
            f"{self.spec.did}, channel {self.spec.uuid}; closed by {self.closed_by}"
            + (f"; hangup cause {self.hangup_cause}" if self.hangup_cause else "")
        )
        lines = [json.dumps({"note": head}, ensure_ascii=False)]
        lines += [json.dumps(m, ensure_ascii=False) for m in self.messages]
        return "\n".join(lines) + "\n"

    def write_jsonl(self, path: str | Path, note: str | None = None) -> None:
        Path(path).write_text(self.to_jsonl(note), encoding="utf-8")


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _SwitchProtocol(asyncio.Protocol):
    """FreeSWITCH's end of one outbound socket, driving a ``Channel``."""

    def __init__(
        self,
        record: CallRecord,
        *,
        time_scale: float,
        recording: bool,
        latency: LatencyRecorder | None,
        done: asyncio.Future[None],
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.record = record
        self.scale = time_scale
        self.recording = recording
        self.latency = latency
        self.done = done
        self.transport: asyncio.Transport | None = None
        self.channel: Channel | None = None
        self._t0 = 0.0
        self._vclock = 0.0
        self._timer: asyncio.Handle | None = None
        self._connect_guard: asyncio.TimerHandle | None = None
        self._key = object()

    # -- clock ------------------------------------------------------------------------------

    def _vnow(self) -> float:
        if self.scale > 0:
            return (self.loop.time() - self._t0) / self.scale
        return self._vclock

    def _t(self) -> float:
        return round(self.loop.time() - self._t0, 6)

    # -- protocol callbacks -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._t0 = self.loop.time()
        self.record.started = time.time()
        spec = self.record.spec
        cfg = spec.config
        # FreeSWITCH's wait for the first command is the application's pace, not the
        # caller's: it is timed here in real seconds, not by the (scaled) channel clock.
        spec = dataclasses.replace(spec, config=dataclasses.replace(cfg, connect_timeout=math.inf))
        try:
            self.channel = Channel(spec, now=0.0)
        except Exception as exc:  # a bad CallSpec: report, do not crash the loop
            self._finish("error", f"channel model failed: {exc!r}")
            return
        if math.isfinite(cfg.connect_timeout):
            self._connect_guard = self.loop.call_later(cfg.connect_timeout, self._on_connect_guard)
        self._pump()

    def _on_connect_guard(self) -> None:
        self._connect_guard = None
        ch = self.channel
        if ch is not None and ch.awaiting_first_command and not self.done.done():
            ch.connect_timed_out()
            self._pump()

    def data_received(self, data: bytes) -> None:
        ch = self.channel
        if ch is None or self.done.done():
            return
        try:
            cmds = ch.receive_data(data, self._vnow())
        except Exception as exc:  # pragma: no cover - the model never raises on input
            self._finish("error", f"channel model failed: {exc!r}")
            return
        if cmds:
            self.record.commands += len(cmds)
            t = self._t()
            for cmd in cmds:
                is_sendmsg = cmd.line[:7].lower() == "sendmsg"
                if is_sendmsg and (cmd.get("call-command") or "").strip() == "execute":
                    self.record.executes += 1
                if is_sendmsg and self.latency is not None:
                    self.latency.command_received(self._key)
                if self.recording:
                    text = cmd.raw.decode("utf-8", "replace")
                    self.record.messages.append({"dir": "to_switch", "data": text, "t": t})
        self._pump()

    def eof_received(self) -> bool | None:
        ch = self.channel
        if ch is not None and not ch.socket_closed:
            ch.receive_data(b"", self._vnow())
        self._finish("app")
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self._finish("error", f"connection lost: {exc!r}")
        else:
            ch = self.channel
            self._finish("switch" if ch is not None and ch.socket_closed else "app")

    # -- driving ----------------------------------------------------------------------------

    def _pump(self) -> None:
        """Write what the channel produced; re-arm the timer; close when it is done."""
        ch = self.channel
        transport = self.transport
        if ch is None or transport is None or self.done.done():
            return
        out = ch.pop_output()
        if out:
            t = self._t()
            transport.write(b"".join([item.data for item in out]))
            for item in out:
                if self.recording:
                    text = item.data.decode("utf-8", "replace")
                    self.record.messages.append({"dir": "from_switch", "data": text, "t": t})
                if (
                    self.latency is not None
                    and item.event_name == "CHANNEL_EXECUTE_COMPLETE"
                    and item.application != "socket"
                ):
                    self.latency.completion_sent(self._key)
        if ch.socket_closed:
            transport.close()
            self._finish("switch")
            return
        self._arm()

    def _arm(self) -> None:
        ch = self.channel
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if ch is None:
            return
        deadline = ch.next_deadline()
        if deadline is None:
            return
        if self.scale > 0:
            self._timer = self.loop.call_at(
                self._t0 + deadline * self.scale, self._on_timer, deadline
            )
        else:
            self._timer = self.loop.call_soon(self._on_timer, deadline)

    def _on_timer(self, deadline: float) -> None:
        self._timer = None
        ch = self.channel
        if ch is None or self.done.done():
            return
        if self.scale <= 0:
            self._vclock = max(self._vclock, deadline)
            ch.advance(self._vclock)
        else:
            ch.advance(max(deadline, self._vnow()))
        self._pump()

    def _finish(self, closed_by: ClosedBy, error: str | None = None) -> None:
        if self.done.done():
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._connect_guard is not None:
            self._connect_guard.cancel()
            self._connect_guard = None
        rec = self.record
        rec.ended = time.time()
        rec.closed_by = closed_by
        rec.error = error
        ch = self.channel
        if ch is not None:
            rec.hangup_cause = ch.hangup_cause
            rec.answered = ch.answered
            rec.connected = ch.connected
            if not ch.connected and rec.error is None:
                rec.error = "the application never sent connect"
        if self.latency is not None:
            self.latency.call_ended(self._key)
        self.done.set_result(None)

    def abort(self, closed_by: ClosedBy, error: str) -> None:
        if self.transport is not None:
            self.transport.abort()
        self._finish(closed_by, error)


async def dial(
    host: str = "127.0.0.1",
    port: int = 8084,
    *,
    call: CallSpec | None = None,
    timeout: float = 30.0,
    time_scale: float = 1.0,
    record: bool = True,
    latency: LatencyRecorder | None = None,
    allow_remote: bool = False,
) -> CallRecord:
    """Connect to an outbound-ESL application and play one FreeSWITCH call on it.

    Returns when the socket is closed (by either side) or after ``timeout``
    seconds (then the connection is aborted and ``closed_by == "timeout"``).
    Never raises for network trouble; raises ``ValueError`` for a non-loopback
    ``host`` unless ``allow_remote``.
    """
    if not allow_remote and not is_loopback(host):
        raise ValueError(f"refusing to dial non-loopback host {host!r} (allow_remote=False)")
    if time_scale < 0:
        raise ValueError("time_scale must be >= 0")
    spec = call if call is not None else CallSpec()
    rec = CallRecord(spec=spec)
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    protocol = _SwitchProtocol(
        rec, time_scale=time_scale, recording=record, latency=latency, done=done
    )
    deadline = loop.time() + timeout
    try:
        async with asyncio.timeout(timeout):
            await loop.create_connection(lambda: protocol, host, port)
    except (OSError, TimeoutError) as exc:
        rec.started = rec.ended = time.time()
        rec.closed_by = "timeout" if isinstance(exc, TimeoutError) else "error"
        rec.error = f"connect failed: {exc!r}"
        return rec
    try:
        async with asyncio.timeout(max(0.0, deadline - loop.time())):
            await asyncio.shield(done)
    except TimeoutError:
        protocol.abort("timeout", f"call did not end within {timeout} s")
    except asyncio.CancelledError:
        protocol.abort("error", "cancelled")
        raise
    return rec


@dataclass
class LoadResult:
    """Outcome of ``run_load``."""

    calls: int
    concurrency: int
    wall_time: float
    records: list[CallRecord] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return sum(1 for r in self.records if r.ok)

    @property
    def failed(self) -> int:
        return len(self.records) - self.completed

    @property
    def errors(self) -> dict[str, int]:
        c: Counter[str] = Counter()
        for r in self.records:
            if not r.ok:
                c[f"{r.closed_by}: {(r.error or '')[:80]}"] += 1
        return dict(c)

    @property
    def durations(self) -> list[float]:
        return [r.duration for r in self.records]

    @property
    def calls_per_second(self) -> float:
        return self.completed / self.wall_time if self.wall_time > 0 else math.nan

    def duration_summary(self) -> Summary:
        return summarize(self.durations)

    def latency_summary(self) -> Summary:
        return summarize(self.latencies)


async def run_load(
    host: str,
    port: int,
    calls: int,
    concurrency: int,
    make_spec: Callable[[int], CallSpec],
    *,
    timeout: float = 60.0,
    time_scale: float = 0.0,
    record: bool = False,
    latency: LatencyRecorder | None = None,
    allow_remote: bool = False,
    on_record: Callable[[CallRecord], None] | None = None,
    ramp: float = 0.0,
) -> LoadResult:
    """``calls`` calls, at most ``concurrency`` at once; ``make_spec(i)`` builds call ``i``.

    ``timeout`` bounds each call.  Records are kept (without messages unless
    ``record``); ``on_record`` is called as each call ends.  ``ramp``: the
    ``concurrency`` call slots open evenly over that many seconds instead of
    all at once (a real switch does not send thousands of SYNs in one burst).
    """
    if calls < 0 or concurrency < 1:
        raise ValueError("need calls >= 0 and concurrency >= 1")
    if not allow_remote and not is_loopback(host):
        raise ValueError(f"refusing to dial non-loopback host {host!r} (allow_remote=False)")
    recorder = latency if latency is not None else LatencyRecorder()
    records: list[CallRecord] = []
    next_index = 0

    slots = min(concurrency, max(calls, 1))

    async def worker(slot: int) -> None:
        nonlocal next_index
        if ramp > 0 and slot:
            await asyncio.sleep(ramp * slot / slots)
        while next_index < calls:
            i = next_index
            next_index += 1
            rec = await dial(
                host,
                port,
                call=make_spec(i),
                timeout=timeout,
                time_scale=time_scale,
                record=record,
                latency=recorder,
                allow_remote=allow_remote,
            )
            records.append(rec)
            if on_record is not None:
                on_record(rec)

    start = time.perf_counter()
    workers = [asyncio.create_task(worker(slot)) for slot in range(slots)]
    try:
        await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()
    wall = time.perf_counter() - start
    return LoadResult(
        calls=calls,
        concurrency=concurrency,
        wall_time=wall,
        records=records,
        latencies=list(recorder.samples),
    )


@dataclass
class Measurement:
    """A ``run_load`` plus what a benchmark reports about it."""

    result: LoadResult
    peak_concurrency: int
    server_rss: PeakRss | None
    emulator_rss: PeakRss

    @property
    def server_bytes_per_call(self) -> float:
        if self.server_rss is None or not self.peak_concurrency:
            return math.nan
        return self.server_rss.growth / self.peak_concurrency

    @property
    def emulator_bytes_per_call(self) -> float:
        if not self.peak_concurrency:
            return math.nan
        return self.emulator_rss.growth / self.peak_concurrency


async def measure_load(
    host: str,
    port: int,
    calls: int,
    concurrency: int,
    make_spec: Callable[[int], CallSpec],
    *,
    server_pid: int | None = None,
    sample_interval: float = 0.05,
    timeout: float = 60.0,
    time_scale: float = 0.0,
    latency: LatencyRecorder | None = None,
    ramp: float = 0.0,
    allow_remote: bool = False,
) -> Measurement:
    """``run_load`` while sampling the RSS of the server process (and this one).

    Memory per call = peak RSS growth / peak number of simultaneous calls
    (computed from the records' start/end times).  The other options are
    ``run_load``'s.
    """
    server = PeakRss(server_pid) if server_pid is not None else None
    own = PeakRss()
    stop = asyncio.Event()

    async def sampler() -> None:
        while not stop.is_set():
            if server is not None:
                server.sample()
            own.sample()
            try:
                async with asyncio.timeout(sample_interval):
                    await stop.wait()
            except TimeoutError:
                pass

    task = asyncio.create_task(sampler())
    try:
        result = await run_load(
            host,
            port,
            calls,
            concurrency,
            make_spec,
            timeout=timeout,
            time_scale=time_scale,
            latency=latency,
            ramp=ramp,
            allow_remote=allow_remote,
        )
    finally:
        stop.set()
        await task
    peak = peak_concurrency((r.started, r.ended) for r in result.records)
    return Measurement(result, peak, server, own)


def summary_lines(result: LoadResult) -> Sequence[str]:
    """Human-readable lines about a ``LoadResult`` (used by the CLI and benchmarks)."""
    lines = [
        f"calls: {result.calls} (concurrency {result.concurrency}), completed {result.completed}, "
        f"failed {result.failed}, wall {result.wall_time:.2f} s, "
        f"{result.calls_per_second:.1f} calls/s",
        f"call duration: {result.duration_summary().ms()}",
        f"event-to-command latency: {result.latency_summary().ms()}",
    ]
    for err, count in sorted(result.errors.items(), key=lambda kv: -kv[1])[:10]:
        lines.append(f"  {count} x {err}")
    return lines
