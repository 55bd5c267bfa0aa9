"""asyncio driver: dial the runtime like FreeSWITCH's ``socket`` application does.

``dial`` opens a TCP connection to an outbound-ESL application (the
runtime), runs a ``Channel`` model on it and returns a ``CallRecord`` with
every message both ways (the fixtures' JSON-lines shape) when the call is
over.  A ``socket`` action later in the call's dialplan (the second socket
of a queue's ``after``, a fallback to another instance) opens a further
connection for the same channel, as FreeSWITCH does; ``place_call`` also
takes the first socket's address from the call's ``socket_data``, or plays a
call whose ``CallerScript.dialplan`` is a real XML dialplan from its first
action (``call_through_dialplan`` loads the file): every ``socket`` action of
it connects where its data says.  It never hangs: ``timeout`` bounds the
whole call (the connections are aborted), and every failure is reported in
the record, not raised - except ``profile.Unrecorded``: what the application
asked the emulated switch for that no recording shows aborts the call and is
raised from ``place_call`` / ``dial`` / ``call_through_dialplan`` (and
``run_load``), so a test cannot pass on it.

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

from .channel import CallSpec, Channel, SocketRequest
from .dialplan import Dialplan
from .metrics import LatencyRecorder, PeakRss, Summary, peak_concurrency, summarize
from .profile import Unrecorded
from .switch import Switch

__all__ = [
    "CallRecord",
    "LoadResult",
    "Measurement",
    "SocketAttempt",
    "call_through_dialplan",
    "dial",
    "is_loopback",
    "measure_load",
    "place_call",
    "run_load",
    "summary_lines",
]

ClosedBy = Literal["switch", "app", "timeout", "error"]


@dataclass
class SocketAttempt:
    """One ``socket`` action's connection: where it went and how it ended.

    ``outcome``: ``connected`` (the TCP connection was made), ``refused`` (it could not
    be made: nothing listening, timeout, a non-loopback target without ``allow_remote``),
    ``unresolved`` (the host does not resolve, e.g. an ``a:p|b:p`` list: FreeSWITCH's
    "Socket Error!" before any connection).
    """

    host: str
    port: int
    outcome: Literal["connected", "refused", "unresolved"]
    error: str | None = None


@dataclass
class CallRecord:
    """One emulated call.

    ``messages``: ``{"dir": "from_switch"|"to_switch", "data": text, "t": s}``
    in order (``t``: seconds since the call started; empty when recording was
    off); a message on a later socket also carries ``"socket": n`` (1, 2...).
    ``sockets``: every socket action's connection (``SocketAttempt``).
    ``closed_by`` (of the last socket): ``switch`` (FreeSWITCH's side closed
    after exit / hang-up), ``app`` (the application closed first),
    ``timeout`` (aborted after ``timeout``), ``error`` (no socket could be
    opened, connection reset...; see ``error``).  ``ok``: closed normally
    after the application sent ``connect`` (a call that runs a
    ``CallerScript.dialplan`` is also ``ok`` when the dialplan ended it
    without any socket connecting: ``closed_by`` ``switch``).  ``apps``: the
    applications the channel ran (the socket's and the dialplan's), with
    their arguments.  ``log``: the switch's log lines for what did not happen
    (``Channel.switch_log``: a prompt that did not play, a say/ASR module or a user not
    found).  ``routes``: every dialplan hunt of such a call,
    ``(context, destination, extension)`` (``None``: no route).
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
    sockets: list[SocketAttempt] = field(default_factory=list)
    apps: list[tuple[str, str | None]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    routes: list[tuple[str, str, str | None]] = field(default_factory=list)

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


class _Conn(asyncio.Protocol):
    """FreeSWITCH's end of one outbound socket of a call."""

    def __init__(self, call: _CallRun, index: int) -> None:
        self.call = call
        self.index = index
        self.transport: asyncio.Transport | None = None
        self.closed_by: ClosedBy | None = None
        self.error: str | None = None
        self.guard: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.call.on_data(self, data)

    def eof_received(self) -> bool | None:
        self.call.on_eof(self)
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.call.on_lost(self, exc)


class _CallRun:
    """One emulated call: the ``Channel`` and its socket connections, driven on the loop."""

    def __init__(
        self,
        record: CallRecord,
        *,
        time_scale: float,
        recording: bool,
        latency: LatencyRecorder | None,
        allow_remote: bool,
        switch: Switch | None,
        first_target: tuple[str, int] | None,
        deadline: float,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.record_deadline = deadline
        self.record = record
        self.scale = time_scale
        self.recording = recording
        self.latency = latency
        self.allow_remote = allow_remote
        self.done: asyncio.Future[None] = self.loop.create_future()
        self.conns: dict[int, _Conn] = {}
        self.errors: dict[int, str] = {}  # socket -> why it could not be opened
        # what the model refused (no recording shows it): the call is aborted and
        # ``_run_call`` raises it into the test
        self.unrecorded: Unrecorded | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self._t0 = self.loop.time()
        self._vclock = 0.0
        self._timer: asyncio.Handle | None = None
        self._key = object()
        spec = record.spec
        self.connect_timeout = spec.config.connect_timeout
        # FreeSWITCH's wait for the first command is the application's pace, not the
        # caller's: it is timed here in real seconds, not by the (scaled) channel clock.
        spec = dataclasses.replace(
            spec, config=dataclasses.replace(spec.config, connect_timeout=math.inf)
        )
        self.channel = Channel(
            spec, now=0.0, switch=switch, connect_first=False, first_target=first_target
        )
        self.channel.on_external = self._arm_soon
        record.started = time.time()

    # -- clock ------------------------------------------------------------------------------

    def _vnow(self) -> float:
        if self.scale > 0:
            return (self.loop.time() - self._t0) / self.scale
        return self._vclock

    def _t(self) -> float:
        return round(self.loop.time() - self._t0, 6)

    # -- sockets ----------------------------------------------------------------------------

    async def open_sockets(self) -> None:
        """Connect what the channel asked for (the first socket is awaited here)."""
        for req in self.channel.socket_requests():
            if req.socket == 0:
                await self._connect(req)
            else:
                task = self.loop.create_task(self._connect(req))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        self._pump()

    async def _connect(self, req: SocketRequest) -> None:
        if not self.allow_remote and not is_loopback(req.host):
            self.errors[req.socket] = f"refusing to connect to non-loopback host {req.host!r}"
            try:
                self.channel.socket_failed(req.socket, self._vnow())
            except Unrecorded as refused:
                self._refused(refused)
                return
            self._pump()
            return
        conn = _Conn(self, req.socket)
        try:
            async with asyncio.timeout(max(0.0, self.record_deadline - self.loop.time())):
                await self.loop.create_connection(lambda: conn, req.host, req.port)
        except (OSError, TimeoutError) as exc:
            self.errors[req.socket] = f"connect failed: {exc!r}"
            try:
                self.channel.socket_failed(req.socket, self._vnow())
            except Unrecorded as refused:
                self._refused(refused)
                return
            self._pump()
            return
        self.conns[req.socket] = conn
        try:
            self.channel.socket_connected(req.socket, self._vnow())
        except Unrecorded as refused:
            self._refused(refused)
            return
        if math.isfinite(self.connect_timeout):
            conn.guard = self.loop.call_later(self.connect_timeout, self._on_guard, conn)
        self._pump()

    def _on_guard(self, conn: _Conn) -> None:
        conn.guard = None
        if self.channel.awaiting_command(conn.index) and not self.done.done():
            self.channel.connect_timed_out(conn.index)
            self._pump()

    # -- connection callbacks ----------------------------------------------------------------

    def _refused(self, exc: Unrecorded) -> None:
        if self.unrecorded is None:
            self.unrecorded = exc
        self.abort("error", f"unrecorded: {exc}")

    def on_data(self, conn: _Conn, data: bytes) -> None:
        if self.done.done():
            return
        try:
            cmds = self.channel.receive_data(data, self._vnow(), socket=conn.index)
        except Unrecorded as exc:
            self._refused(exc)
            return
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
                    self._note("to_switch", text, t, conn.index)
        self._pump()

    def on_eof(self, conn: _Conn) -> None:
        if conn.closed_by is None:
            conn.closed_by = "app"
        if not self.channel.socket_is_closed(conn.index):
            try:
                self.channel.receive_data(b"", self._vnow(), socket=conn.index)
            except Unrecorded as exc:
                self._refused(exc)
                return
        self._pump()

    def on_lost(self, conn: _Conn, exc: Exception | None) -> None:
        if conn.guard is not None:
            conn.guard.cancel()
            conn.guard = None
        if exc is not None and conn.closed_by is None:
            conn.closed_by = "error"
            conn.error = f"connection lost: {exc!r}"
        elif conn.closed_by is None:
            conn.closed_by = "switch" if self.channel.socket_is_closed(conn.index) else "app"
        conn.transport = None
        if not self.channel.socket_is_closed(conn.index) and not self.done.done():
            try:
                self.channel.receive_data(b"", self._vnow(), socket=conn.index)
            except Unrecorded as exc:
                self._refused(exc)
                return
        self._pump()

    def _note(self, direction: str, text: str, t: float, index: int) -> None:
        item: dict[str, object] = {"dir": direction, "data": text, "t": t}
        if index:
            item["socket"] = index
        self.record.messages.append(item)

    # -- driving ----------------------------------------------------------------------------

    def _pump(self) -> None:
        """Write what the channel produced; open and close sockets; re-arm the timer."""
        if self.done.done():
            return
        ch = self.channel
        for index, conn in list(self.conns.items()):
            out = ch.pop_output(index)
            transport = conn.transport
            if out and transport is not None:
                t = self._t()
                transport.write(b"".join([item.data for item in out]))
                for item in out:
                    if self.recording:
                        self._note("from_switch", item.data.decode("utf-8", "replace"), t, index)
                    if (
                        self.latency is not None
                        and item.event_name == "CHANNEL_EXECUTE_COMPLETE"
                        and item.application != "socket"
                    ):
                        self.latency.completion_sent(self._key)
            if ch.socket_is_closed(index) and transport is not None and not transport.is_closing():
                if conn.closed_by is None:
                    conn.closed_by = "switch"
                transport.close()
        if ch.socket_requests_pending:
            task = self.loop.create_task(self.open_sockets())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        if ch.finished and not self.tasks_pending():
            self._finish_from_conns()
            return
        self._arm()

    def tasks_pending(self) -> bool:
        return any(not t.done() for t in self.tasks if t is not asyncio.current_task())

    def _arm_soon(self) -> None:
        # Something outside this call changed the channel (an api command on another socket).
        if not self.done.done():
            self.loop.call_soon(self._pump)

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self.channel.next_deadline()
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
        if self.done.done():
            return
        try:
            if self.scale <= 0:
                self._vclock = max(self._vclock, deadline)
                self.channel.advance(self._vclock)
            else:
                self.channel.advance(max(deadline, self._vnow()))
        except Unrecorded as exc:
            self._refused(exc)
            return
        self._pump()

    def _finish_from_conns(self) -> None:
        conns = [self.conns[i] for i in sorted(self.conns)]
        failed = next((c for c in conns if c.closed_by == "error"), None)
        if failed is not None:
            self._finish("error", failed.error)
        elif not conns and self.channel.starts_in_dialplan and self.channel.finished:
            self._finish("switch")  # the dialplan ended the call (its fallback, a hang-up)
        elif not conns:
            errors = [self.errors[i] for i in sorted(self.errors)]
            self._finish("error", errors[0] if errors else "no socket could be opened")
        else:
            self._finish(conns[-1].closed_by or "switch")

    def _finish(self, closed_by: ClosedBy, error: str | None = None) -> None:
        if self.done.done():
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for conn in self.conns.values():
            if conn.guard is not None:
                conn.guard.cancel()
                conn.guard = None
        for task in list(self.tasks):
            if task is not asyncio.current_task():
                task.cancel()
        rec = self.record
        rec.ended = time.time()
        rec.closed_by = closed_by
        rec.error = error
        ch = self.channel
        rec.hangup_cause = ch.hangup_cause
        rec.answered = ch.answered
        rec.connected = ch.any_connected
        rec.apps = list(ch.app_log)
        rec.log = list(ch.switch_log)
        rec.routes = [(h.context, h.destination, h.extension) for h in ch.routes]
        for index, (host, port, state, requested) in enumerate(ch.socket_states()):
            if state in ("open", "closed"):
                rec.sockets.append(SocketAttempt(host, port, "connected"))
            elif requested:
                rec.sockets.append(SocketAttempt(host, port, "refused", self.errors.get(index)))
            else:
                rec.sockets.append(SocketAttempt(host, port, "unresolved", "Socket Error!"))
        # A call that runs a dialplan may end there without any socket connecting (its
        # fallback); a connection made and never used is an application's fault either way.
        if not ch.any_connected and rec.error is None and (self.conns or not ch.starts_in_dialplan):
            rec.error = "the application never sent connect"
        if self.latency is not None:
            self.latency.call_ended(self._key)
        self.done.set_result(None)

    def abort(self, closed_by: ClosedBy, error: str) -> None:
        for conn in self.conns.values():
            if conn.transport is not None:
                conn.transport.abort()
        self._finish(closed_by, error)


async def _run_call(
    rec: CallRecord,
    *,
    timeout: float,
    time_scale: float,
    record: bool,
    latency: LatencyRecorder | None,
    allow_remote: bool,
    switch: Switch | None,
    first_target: tuple[str, int] | None,
) -> CallRecord:
    loop = asyncio.get_running_loop()
    try:
        run = _CallRun(
            rec,
            time_scale=time_scale,
            recording=record,
            latency=latency,
            allow_remote=allow_remote,
            switch=switch,
            first_target=first_target,
            deadline=loop.time() + timeout,
        )
    except Exception as exc:  # a bad CallSpec: report, do not crash the loop
        rec.started = rec.ended = time.time()
        rec.error = f"channel model failed: {exc!r}"
        return rec
    try:
        async with asyncio.timeout(timeout):
            await run.open_sockets()
            await asyncio.shield(run.done)
    except TimeoutError:
        run.abort("timeout", f"call did not end within {timeout} s")
    except asyncio.CancelledError:
        run.abort("error", "cancelled")
        raise
    if run.unrecorded is not None:
        raise run.unrecorded  # the test asked the switch for something no recording shows
    return rec


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
    switch: Switch | None = None,
) -> CallRecord:
    """Connect to an outbound-ESL application and play one FreeSWITCH call on it.

    The first ``socket`` action connects to ``host:port`` (whatever address the call's
    ``socket_data`` names; its options still apply); ``socket`` actions later in the
    dialplan connect where their data says.  Returns when the call is over (every socket
    closed by either side) or after ``timeout`` seconds (then the connections are aborted
    and ``closed_by == "timeout"``).  Never raises for network trouble; raises
    ``ValueError`` for a non-loopback ``host`` unless ``allow_remote``.  ``switch``: the
    emulated switch the call is part of (shared by calls that should see each other, e.g.
    in one queue); a new one by default.
    """
    if not allow_remote and not is_loopback(host):
        raise ValueError(f"refusing to dial non-loopback host {host!r} (allow_remote=False)")
    if time_scale < 0:
        raise ValueError("time_scale must be >= 0")
    if call is not None and call.script.dialplan is not None:
        raise ValueError(
            "a call with a dialplan connects where its socket actions say: use place_call"
        )
    rec = CallRecord(spec=call if call is not None else CallSpec())
    return await _run_call(
        rec,
        timeout=timeout,
        time_scale=time_scale,
        record=record,
        latency=latency,
        allow_remote=allow_remote,
        switch=switch,
        first_target=(host, port),
    )


async def place_call(
    call: CallSpec,
    *,
    timeout: float = 30.0,
    time_scale: float = 1.0,
    record: bool = True,
    latency: LatencyRecorder | None = None,
    allow_remote: bool = False,
    switch: Switch | None = None,
) -> CallRecord:
    """Play one call whose first socket goes where ``call.config.socket_data`` says, read the
    way ``socket_function`` reads it (``socket_targets``): ``host[:port]``, or a ``|`` list
    tried host by host (Qc2); when no host connects (none resolves, or every connection is
    refused) the call goes on to the dialplan after the socket action
    (``CallerScript.after_socket``), where a further
    ``socket`` action is the way to reach another instance.  A call with a
    ``CallerScript.dialplan`` starts in that dialplan instead, and its ``socket`` actions
    connect where they say.  Otherwise like ``dial``."""
    if time_scale < 0:
        raise ValueError("time_scale must be >= 0")
    rec = CallRecord(spec=call)
    return await _run_call(
        rec,
        timeout=timeout,
        time_scale=time_scale,
        record=record,
        latency=latency,
        allow_remote=allow_remote,
        switch=switch,
        first_target=None,
    )


async def call_through_dialplan(
    dialplan: str | Path | Dialplan,
    did: str,
    *,
    call: CallSpec | None = None,
    context: str = "public",
    timeout: float = 30.0,
    time_scale: float = 1.0,
    record: bool = True,
    allow_remote: bool = False,
    switch: Switch | None = None,
) -> CallRecord:
    """Play one call to ``did`` through an XML dialplan file (or a loaded ``Dialplan``): the
    call is hunted in ``context`` and runs what it finds, ``socket`` actions included.
    ``call``: the caller and the world (its ``did``, ``dialplan`` and ``context`` are
    replaced)."""
    plan = dialplan if isinstance(dialplan, Dialplan) else Dialplan.load(dialplan)
    base = call if call is not None else CallSpec()
    spec = dataclasses.replace(
        base,
        did=did,
        script=dataclasses.replace(base.script, dialplan=plan),
        config=dataclasses.replace(base.config, context=context),
    )
    return await place_call(
        spec,
        timeout=timeout,
        time_scale=time_scale,
        record=record,
        allow_remote=allow_remote,
        switch=switch,
    )


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
    switch: Switch | None = None,
) -> LoadResult:
    """``calls`` calls, at most ``concurrency`` at once; ``make_spec(i)`` builds call ``i``
    (one with a ``CallerScript.dialplan`` goes where its dialplan says, not to ``host``).

    ``timeout`` bounds each call.  Records are kept (without messages unless
    ``record``); ``on_record`` is called as each call ends.  ``ramp``: the
    ``concurrency`` call slots open evenly over that many seconds instead of
    all at once (a real switch does not send thousands of SYNs in one burst).
    The calls share one emulated switch (``switch``, a new one by default): they
    see each other in mod_callcenter's queues.
    """
    if calls < 0 or concurrency < 1:
        raise ValueError("need calls >= 0 and concurrency >= 1")
    if not allow_remote and not is_loopback(host):
        raise ValueError(f"refusing to dial non-loopback host {host!r} (allow_remote=False)")
    recorder = latency if latency is not None else LatencyRecorder()
    shared = switch if switch is not None else Switch()
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
            spec = make_spec(i)
            if spec.script.dialplan is not None:
                # the call's dialplan says where its sockets go, not host:port
                rec = await place_call(
                    spec,
                    timeout=timeout,
                    time_scale=time_scale,
                    record=record,
                    latency=recorder,
                    allow_remote=allow_remote,
                    switch=shared,
                )
            else:
                rec = await dial(
                    host,
                    port,
                    call=spec,
                    timeout=timeout,
                    time_scale=time_scale,
                    record=record,
                    latency=recorder,
                    allow_remote=allow_remote,
                    switch=shared,
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
