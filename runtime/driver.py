"""One live call: the interpreter's host over one outbound ESL socket.

Theory of operation
-------------------
A `CallDriver` owns one `Call` (the sans-IO interpreter) and the `AsyncESL` connection
FreeSWITCH opened for that channel. It runs one loop:

    commands = call.start(now)
    while the call has not ended:
        execute the commands in order           # fire-and-forget ones at once, at most one
                                                # "operation" that waits for the switch
        item = await inbox.get()                # the operation's answer, a timer, a look-up
                                                # result, the caller hanging up, a fault
        commands = call.handle(event)

Everything that happens asynchronously puts one item in the call's inbox:

* the *operation* task of the command that expects an answer (Play, Collect, Enqueue, Transfer,
  Voicemail, Record, Answer) executes the FreeSWITCH applications (`runtime.translate` builds
  them) and puts the interpreter event that answers it;
* the *pump* task reads every ESL event of the channel: CHANNEL_HANGUP -> `Hangup(cause)`
  (at any moment: the running operation is cancelled and the interpreter answers `[End]`);
  DTMF, DETECTED_SPEECH and CHANNEL_BRIDGE go to the running operation; the end of the socket
  (the switch dropped it, garbage bytes) -> `Hangup("SOCKET_CLOSED")`;
* look-ups run as their own tasks (`runtime.lookup.LookupClient`), never blocking other calls,
  and come back as `FetchResult` / `FetchFailed`; the interpreter's guard timer covers a
  look-up that never answers;
* `StartTimer` is `loop.call_later`, `CancelTimer` cancels it; a fired timer is `TimerFired`;
* the server puts `_Abort` (drain deadline) and `_Adopt` (the second socket of a queue's
  `after` resume arrived for this channel).

Every wait is bounded: each operation has its own time limit (`Timeouts`), and the inbox wait
has an idle limit. A limit that passes is a fault: the channel is hung up, the interpreter
gets a `Hangup`, and the journal records the call's end as `error` with the reason.

When the interpreter ends the call (`End`), the driver drops its timers and look-ups, writes
the last step and the call's end to the journal, and closes the socket: `exit` when the
socket lingers (FreeSWITCH otherwise holds the session), after a hand-off too (transfer,
queue). A `bridge` transfer is reported `ok` as soon as the legs are bridged; the socket is
kept until the bridge ends, because closing it earlier would end the bridged call.

Queue hand-off with `after` (the post-call survey): before `callcenter` the driver sets
`flowc_resume=<after node>` and `flowc_state` (the flow's non-sensitive variables and the
journal's step counter) on the channel. When an agent answers, the interpreter waits in
`with_agent`; the driver registers itself under the channel UUID and keeps the first socket
open (it sees the caller hang up, if they do). When the generated dialplan connects the socket
again (`flowc_resume_node` set), the server hands the new connection to this driver
(`adopt`), which continues on the new one and sends `AgentDone`. The old socket is kept open,
unread, until the call ends: ending any outbound socket of a channel (`exit` or a close) clears
its CF_CONTROLLED, and the new socket's park ends with it (the dialplan then hangs up, live
capture T04); both are closed when the call is over. If this instance no longer has the call
(restart, another instance), `start_resumed` builds a new `Call` at the `after` node with the
variables from `flowc_state`; the instance that still holds the first socket keeps it until the
channel hangs up, for the same reason.

Who ended the channel: a CHANNEL_HANGUP the caller caused carries the far end's SIP status
(`variable_sip_term_status`, T14); one the dialplan's `hangup` caused names that application
(T04 line 74); `MEDIA_TIMEOUT` is the switch's (T07). A call the switch or the dialplan ended
is never journaled as the caller's hang-up (see `_finish`).

Journal: one `CallRecord` when the call starts; one `StepRecord` per node visited (written when
the call leaves the node: kind, why it came there, the caller's input there - masked when
sensitive -, where it went, how long it stayed); `SurveyAnswer` and `CallbackRequest` from the
interpreter's journal commands; one `CallEnd` (outcome, node, detail with the outcome's
detail, survey answers and masked variables).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time as time_mod
import uuid as uuid_mod
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from flowc.interpreter import MASK, Call, CallInfo, Program
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.interpreter.trace import plain
from runtime import translate as tr
from runtime.esl import commands as esl_cmd
from runtime.esl.errors import ChannelHangup, ConnectionClosed, ESLError
from runtime.esl.message import Event
from runtime.logs import get_logger
from runtime.replay_log import observer_for
from runtime.resume_state import ResumeKeys

if TYPE_CHECKING:
    from runtime.bundle_store import LoadedBundle
    from runtime.esl.aio import AsyncESL
    from runtime.journal import Journal
    from runtime.lookup import LookupClient
    from runtime.metrics import RuntimeMetrics

log = get_logger()

SOCKET_CLOSED: Final = "SOCKET_CLOSED"
SHUTDOWN_CAUSE: Final = "SYSTEM_SHUTDOWN"
FAULT_CAUSE: Final = "NORMAL_TEMPORARY_FAILURE"


@dataclass(frozen=True)
class Timeouts:
    """Upper bounds (seconds) of every wait. Generous by default; tests make them short."""

    setup: float = 5.0  # myevents / linger replies
    answer: float = 15.0
    app: float = 600.0  # one playback / speak / say
    collect_margin: float = 120.0  # added to the digits' own timeouts
    queue: float = 4 * 3600.0  # callcenter without a max wait
    queue_margin: float = 60.0  # added to a max wait
    bridge: float = 4 * 3600.0
    record_margin: float = 60.0
    with_agent: float = 4 * 3600.0  # an agent conversation, waiting for the resume socket
    idle: float = 4 * 3600.0  # the inbox, when no operation bounds the wait
    speech_grace: float = 5.0  # recognition still running when the digits timed out
    resume_grace: float = 10.0  # the dialplan's second socket went elsewhere: detach after
    hangup_wait: float = 2.0  # after our hangup, before exit
    exit: float = 3.0  # exit -> the switch closes


def system_clock() -> datetime:
    return datetime.now().astimezone()


ClockFactory = Callable[[Event], Callable[[], datetime]]


@dataclass
class CallHost:
    """What every call of a runtime instance shares."""

    metrics: RuntimeMetrics
    journal: Journal | None = None
    media: tr.MediaConfig = field(default_factory=tr.MediaConfig)
    timeouts: Timeouts = field(default_factory=Timeouts)
    instance: str = "flowc"
    linger: bool = True
    mirror_variables: bool = True
    clock_factory: ClockFactory = field(default=lambda _data: system_clock)
    lookups: Callable[[LoadedBundle], LookupClient] | None = None
    agents: dict[str, CallDriver] = field(default_factory=dict)
    # Sign the resume state (`flowc_state`) that the queue's `after` reads back.
    resume_keys: ResumeKeys = field(default_factory=ResumeKeys.random)
    # Sees every interpreter command a call executes and every event it is given (masking is
    # the observer's business: use `to_json()`); for demos and end-to-end tests.
    observer: Callable[[str, cmd.Command | ev.Event], None] | None = None


# ------------------------------------------------------------------ inbox items


@dataclass(frozen=True, slots=True)
class _Fault:
    reason: str
    cause: str = FAULT_CAUSE


@dataclass(frozen=True, slots=True)
class _Abort:
    reason: str
    cause: str = SHUTDOWN_CAUSE


@dataclass(frozen=True, slots=True)
class _Adopt:
    esl: AsyncESL
    accepted: asyncio.Future[bool]


_Item = ev.Event | _Fault | _Abort | _Adopt


@dataclass
class _PendingStep:
    seq: int
    at: datetime
    node: str
    kind: str
    why: str
    inputs: list[str] = field(default_factory=list)
    sensitive: bool = False


def _input_of(detail: Mapping[str, Any]) -> str | None:
    """The caller's input in an `event` trace step (already masked by the interpreter)."""
    kind = detail.get("type")
    if kind == "digits":
        digits = detail.get("digits") or ""
        return str(digits) if digits else str(detail.get("result") or "timeout")
    if kind == "speech_result":
        return f"say:{detail.get('text', '')}"
    if kind == "speech_no_match":
        return str(detail.get("reason") or "no_match")
    return None


class CallDriver:
    """Drives one call; `await run()` returns when the call is over and the socket closed."""

    def __init__(
        self,
        host: CallHost,
        esl: AsyncESL,
        bundle: LoadedBundle,
        flow: str,
        channel_data: Event,
    ) -> None:
        self.host = host
        self.esl = esl
        self.bundle = bundle
        self.flow = flow
        self.program: Program = bundle.programs[flow]
        self.data = channel_data
        self.call_id = channel_data.uuid or str(uuid_mod.uuid4())
        self.now = host.clock_factory(channel_data)
        self.metrics = host.metrics
        self.journal = host.journal
        self.media = host.media
        self.t = host.timeouts
        caller = channel_data.get("Caller-Caller-ID-Number", "")
        did = channel_data.variable("flowc_did") or channel_data.get(
            "Caller-Destination-Number", ""
        )
        self.info = CallInfo(
            caller_number=caller,
            caller_name=channel_data.get("Caller-Caller-ID-Name", ""),
            did=did,
            locale=channel_data.variable("flowc_locale") or None,
            call_id=self.call_id,
        )
        self.call = Call(self.program, self.info, flags=bundle.flags.get(flow, {}))
        self.finished = asyncio.Event()
        self.outcome_kind: str | None = None
        self._inbox: asyncio.Queue[_Item] = asyncio.Queue()
        self._op: asyncio.Task[None] | None = None
        self._op_name = ""
        self._fetches: set[asyncio.Task[None]] = set()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._gen = 0
        self._listener: Callable[[Event], None] | None = None
        self._keys: list[str] = []
        self._hangup_queued = False
        self._hung_up = asyncio.Event()
        self._hangup_sent = False
        self._hangup_by: str | None = None  # who ended the channel, when the events say
        self._socket_lost = False
        # Sockets of this call that no longer drive it (the first one after a queue's
        # `after` resume): kept open until the call ends, see `_adopt`.
        self._held: list[AsyncESL] = []
        self._dialled: str | None = None  # the dial string of the last transfer
        self._lingering = False
        self._answered = tr.is_answered(channel_data)
        self._terminators: str | None = None
        self._tts_sets: tuple[str, ...] = ()
        self._refused_says: list[dict[str, Any]] = []  # journaled with the call's end
        self._asr_events = False
        self._t_event = 0.0
        self._trace_pos = 0
        self._seq = 0
        self._pending: _PendingStep | None = None
        self._why = "start"
        self._flow_stack: list[str] = []
        self._runtime_reason: str | None = None
        self._detached = False
        self._resume_pending = False
        self._agent_answered = False
        self._bridging: asyncio.Task[None] | None = None
        self._records = 0
        self._started_mono = time_mod.perf_counter()
        self._op_app_uuid: str | None = None
        self._op_completed = False
        self._deferred: ev.Hangup | None = None
        self._expect_resume = False
        self._resume_timer: asyncio.TimerHandle | None = None
        # Sees every command and event; journals what `flowc replay` needs (runtime.replay_log).
        self._observer = observer_for(self, host.observer)
        self.apps_sent = 0  # executes written (the emulator's caller counts apps too)
        self.sets_pending: list[str] = []  # variable sets not yet written (see _execute)

    # ------------------------------------------------------------------ entry points

    async def run(self) -> None:
        """Serve a new call from the flow's entry."""
        await self._serve(lambda now: self.call.start(now), new_call=True)

    async def run_resumed(self, node: str, state: Mapping[str, Any]) -> None:
        """Serve the second socket of a queue's `after` resume, without the original `Call`."""
        if state.get("flow") == self.flow:
            self._seq = int(state.get("seq") or 0)
            saved = state.get("vars")
            queue = state.get("queue")
            detail: dict[str, Any] | None = None
            if isinstance(queue, Mapping):  # an agent answered: the call stays `queued`
                detail = {**queue, "agent": self.data.variable("cc_agent") or None}
            self.call.restore(
                variables=saved if isinstance(saved, Mapping) else None,
                outcome="queued" if detail is not None else None,
                detail=detail,
            )
        self._why = "resumed after the agent conversation"
        if node not in self.program.nodes:
            log.warning("resume_node_unknown", call_id=self.call_id, flow=self.flow, node=node)
            node = self.program.entry
        await self._serve(lambda now: self.call.start(now, at_node=node), new_call=True)

    async def adopt(self, esl: AsyncESL) -> bool:
        """The resume socket for this (with_agent) call arrived: continue on it. Returns when
        the call is over (the caller keeps its connection open until then): True; False when
        the call could not take it (it ended meanwhile) and the connection is the caller's."""
        accepted: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait(_Adopt(esl, accepted))
        finished: asyncio.Future[Any] = asyncio.ensure_future(self.finished.wait())
        waiting: set[asyncio.Future[Any]] = {accepted, finished}
        try:
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            finished.cancel()
        if not accepted.done() or not accepted.result():
            if not accepted.done():
                accepted.set_result(False)
            return False
        await self.finished.wait()
        return True

    def abort(self, reason: str = "drain", cause: str = SHUTDOWN_CAUSE) -> None:
        """Hang the call up cleanly (drain deadline); a call with an agent is detached."""
        self._inbox.put_nowait(_Abort(reason, cause))

    @property
    def with_agent(self) -> bool:
        return self.call.state == "with_agent"

    # ------------------------------------------------------------------ main loop

    async def _serve(
        self, first: Callable[[datetime], list[cmd.Command]], *, new_call: bool
    ) -> None:
        self.metrics.calls_active.inc()
        try:
            if new_call and self.journal is not None:
                from runtime.journal import CallRecord

                self.journal.record(
                    CallRecord(
                        self.call_id,
                        self.flow,
                        self.bundle.versions.get(self.flow, self.bundle.hash),
                        self.info.did,
                        self.info.caller_number,
                        self.now(),
                        self.host.instance,
                    )
                )
            try:
                await self._setup(self.esl)
            except ConnectionClosed:
                self._runtime_reason = "setup_failed"
                raise
            self._start_pump()
            log.info(
                "call_started",
                call_id=self.call_id,
                flow=self.flow,
                did=self.info.did,
                bundle=self.bundle.hash,
            )
            commands = first(self.now())
            await self._loop(commands)
        except Exception:
            self.metrics.error("driver")
            log.exception("call_failed", call_id=self.call_id, flow=self.flow, node=self.call.node)
            self._runtime_reason = self._runtime_reason or "internal_error"
            await self._emergency_end()
        finally:
            self._cleanup_tasks()
            if self.host.agents.get(self.call_id) is self:
                del self.host.agents[self.call_id]
            self.metrics.calls_active.dec()
            self.finished.set()
            self._drop_tasks()

    async def _loop(self, commands: list[cmd.Command]) -> None:
        while True:
            ended = await self._execute(commands)
            self._after_handle()
            if ended:
                return
            item = await self._next_item()
            event: ev.Event
            if isinstance(item, _Adopt):
                if not self.with_agent or item.accepted.done():
                    if not item.accepted.done():
                        item.accepted.set_result(False)
                    continue
                await self._adopt(item)
                event = ev.AgentDone(at=self.now())
            elif isinstance(item, _Abort):
                if self.with_agent:
                    await self._detach(item.reason)
                    return
                if item.reason == "resumed_elsewhere":
                    continue  # the resume socket came here after all
                self._runtime_reason = item.reason
                await self._hangup_channel(item.cause)
                event = ev.Hangup(item.cause, at=self.now())
            elif isinstance(item, _Fault):
                self.metrics.error(item.reason)
                log.error(
                    "call_fault",
                    call_id=self.call_id,
                    flow=self.flow,
                    node=self.call.node,
                    reason=item.reason,
                )
                self._runtime_reason = item.reason
                await self._hangup_channel(item.cause)
                event = ev.Hangup(item.cause, at=self.now())
            else:
                event = item
            if isinstance(event, ev.Hangup):
                if self.with_agent and self._resume_pending:
                    await self._detach("resumed_elsewhere")  # the other socket ends it
                    return
                self._cancel_op()
            if self._observer is not None:
                self._observer(self.call_id, event)
            commands = self.call.handle(event)

    async def _next_item(self) -> _Item:
        op = self._op
        if op is not None and not op.done():
            return await self._inbox.get()  # the operation bounds its own wait
        limit = self.t.with_agent if self.with_agent else self.t.idle
        try:
            async with asyncio.timeout(limit):
                return await self._inbox.get()
        except TimeoutError:
            return _Fault("with_agent_timeout" if self.with_agent else "idle_timeout")

    async def _execute(self, commands: list[cmd.Command]) -> bool:
        """Run one batch of commands; True when the batch ended the call."""
        sets = self.sets_pending
        observer = self._observer
        debug = log.enabled(logging.DEBUG)
        for c in commands:
            if observer is not None:
                observer(self.call_id, c)
            if debug:  # through to_json(): sensitive values are masked
                log.debug(
                    "command",
                    call_id=self.call_id,
                    flow=self.flow,
                    node=self.call.node,
                    command=c.to_json(),
                )
            if isinstance(c, cmd.Journal):
                self._journal_command(c)
            elif isinstance(c, cmd.SetVariable):
                if self.host.mirror_variables and not c.sensitive:
                    name = tr.mirror_name(c.name)
                    if name is not None:
                        sets.append(tr.set_arg(name, c.value))
            elif isinstance(c, cmd.StartTimer):
                self._start_timer(c.timer_id, c.ms)
            elif isinstance(c, cmd.CancelTimer):
                handle = self._timers.pop(c.timer_id, None)
                if handle is not None:
                    handle.cancel()
            elif isinstance(c, cmd.End):
                self._flush_sets(sets)
                await self._finish(c.outcome)
                return True
            elif isinstance(c, cmd.Hangup):
                self._flush_sets(sets)
                await self._hangup_channel(c.cause)
            else:
                self._flush_sets(sets)
                self._start_op(c)
        self._flush_sets(sets)
        return False

    # ------------------------------------------------------------------ ESL plumbing

    async def _setup(self, esl: AsyncESL) -> None:
        """Subscribe to the channel's events (JSON), ask the socket to linger and mark the
        call taken (`flowc_served`).

        The commands are written back to back and their replies awaited together (one
        round trip)."""
        # The generated dialplan (flowc.compiler.freeswitch) reads `flowc_served` when the
        # socket returns: unset, the call goes to the next instance; set, it never does.
        served = f"uuid_setvar {self.call_id} flowc_served {self.host.instance or 1}"
        try:
            futures = [esl.send_nowait(esl_cmd.myevents("json"))]
            if self.host.linger:
                futures.append(esl.send_nowait(esl_cmd.linger()))
            futures.append(esl.send_nowait(esl_cmd.api(served)))
            async with asyncio.timeout(self.t.setup):
                replies = [(await f).message for f in futures]
        except (TimeoutError, ESLError) as exc:
            raise ConnectionClosed(f"setup failed: {exc}") from exc
        marked = replies.pop()
        if not marked.body_text.startswith("+OK"):
            log.warning("served_mark_refused", call_id=self.call_id, reply=marked.body_text)
        if not replies[0].is_ok:
            log.warning("myevents_refused", call_id=self.call_id, reply=replies[0].reply_text)
        self._lingering = len(replies) > 1 and replies[1].is_ok

    def _start_pump(self) -> None:
        self._gen += 1
        gen = self._gen
        self.esl.listen(lambda e: self._on_event(e, gen))

    def _stop_pump(self, esl: AsyncESL) -> None:
        self._gen += 1  # anything still delivered for the old generation is ignored
        esl.listen(None)

    def _on_event(self, e: Event | None, gen: int) -> None:
        """One event of the channel, straight from the ESL reader (`AsyncESL.listen`);
        `None`: the connection ended."""
        if gen != self._gen:
            return
        if e is None:
            self._pump_ended(gen)
            return
        try:
            self._pump_event(e)
        except Exception:  # a defect in a listener must not leave the call waiting forever
            log.exception("pump_failed", call_id=self.call_id)
            self.esl.listen(None)
            self._pump_ended(gen)

    def _pump_ended(self, gen: int) -> None:
        self._hung_up.set()
        if gen == self._gen and not self._hangup_queued:
            self._hangup_queued = True
            self._socket_lost = True
            self._inbox.put_nowait(ev.Hangup(SOCKET_CLOSED, at=self.now()))

    def _pump_event(self, e: Event) -> None:
        uuid = self.call_id
        name = e.name
        if name == "CHANNEL_HANGUP" or name == "CHANNEL_HANGUP_COMPLETE":
            if e.uuid in (None, uuid) and not self._hangup_queued:
                self._hangup_queued = True
                self._hung_up.set()
                self._mark()
                self._hangup_by = "runtime" if self._hangup_sent else tr.hangup_by(e)
                hangup = ev.Hangup(tr.hangup_cause(e), at=self.now())
                op = self._op
                if self._op_completed and op is not None and not op.done():
                    # The running app completed before the hang-up: its answer
                    # (e.g. an agent answered) comes first, then the hang-up.
                    self._deferred = hangup
                else:
                    self._inbox.put_nowait(hangup)
            return
        if name == "CHANNEL_EXECUTE_COMPLETE" and e.app_uuid == self._op_app_uuid:
            self._op_completed = True
            if self._expect_resume and e.variable("cc_cause") == "answered":
                self._agent_answered = True
        if name == "DTMF":
            self._keys.append(e.get("DTMF-Digit", ""))
        elif (
            name == "CHANNEL_EXECUTE"
            and e.get("Application") == "socket"
            and (self.with_agent or self._agent_answered)
            and not self._resume_pending
        ):
            # The dialplan connects its second socket (the queue's `after`): this
            # instance or another one continues the call; if it is not adopted here
            # soon, leave it to the other one.
            self._resume_pending = True
            loop = asyncio.get_running_loop()
            self._resume_timer = loop.call_later(
                self.t.resume_grace,
                self._inbox.put_nowait,
                _Abort("resumed_elsewhere"),
            )
        listener = self._listener
        if listener is not None:
            listener(e)

    def _mark(self) -> None:
        """An answer from the switch arrived: start the event-to-command clock."""
        self._t_event = time_mod.perf_counter()

    def _sent(self) -> None:
        t0 = self._t_event
        if t0:
            self.metrics.observe_latency(time_mod.perf_counter() - t0)
            self._t_event = 0.0

    def _fire(self, data: bytes) -> None:
        """Write a command without waiting for its reply (sets and breaks queue up in order
        on the channel before the next app). The reply is matched and dropped by AsyncESL."""
        if self.esl.closed:
            return
        try:
            fut = self.esl.send_nowait(data)
        except ESLError:
            return
        fut.add_done_callback(_consume)
        self._sent()

    def _fire_app(self, app: str, arg: str = "") -> None:
        self.apps_sent += 1
        self._fire(esl_cmd.sendmsg_execute(app, arg, str(uuid_mod.uuid4())))

    def _flush_sets(self, sets: list[str]) -> None:
        """One `set` per variable, written back to back without waiting (they run in order
        on the channel before the next app)."""
        if sets is self.sets_pending:
            pending = list(sets)
            sets.clear()
            sets = pending
        for arg in sets:
            self._fire_app("set", arg)

    async def _exec(self, app: str, arg: str, limit: float) -> Event:
        """Execute one app and wait for its completion (bounded)."""
        app_uuid = str(uuid_mod.uuid4())
        self._op_app_uuid = app_uuid
        self._op_completed = False
        coro = self.esl.execute(app, arg, timeout=limit, event_uuid=app_uuid)
        self.apps_sent += 1
        self._sent()
        return await coro

    async def _hangup_channel(self, cause: str) -> None:
        if self._hangup_sent or self._hangup_queued or self.esl.closed:
            return
        self._hangup_sent = True
        # `call-command: hangup` acts at once, even while an app runs (an `execute hangup`
        # would queue behind it).
        self._fire(esl_cmd.sendmsg_hangup(cause))

    # ------------------------------------------------------------------ operations

    def _start_op(self, c: cmd.Command) -> None:
        if self._hangup_queued:
            return  # the caller is gone: the Hangup in the inbox ends the call
        if isinstance(c, cmd.Fetch):
            task = asyncio.create_task(self._guard(self._op_fetch(c)), name="call-fetch")
            self._fetches.add(task)
            task.add_done_callback(self._fetches.discard)
            return
        self._cancel_op()
        op = _OPS.get(type(c))
        if op is None:
            log.error("unknown_command", call_id=self.call_id, command=c.to_json())
            self._inbox.put_nowait(_Fault("unknown_command"))
            return
        self._op_name = c.type
        self._op = asyncio.create_task(self._guard(op(self, c)), name=f"call-{c.type}")

    async def _guard(self, coro: Any) -> None:
        try:
            await coro
            self._release_deferred()
        except (ChannelHangup, ConnectionClosed):
            pass  # the pump reports the hang-up / the closed socket
        except TimeoutError:
            self._inbox.put_nowait(_Fault(f"{self._op_name or 'op'}_timeout"))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("operation_failed", call_id=self.call_id, op=self._op_name)
            self._inbox.put_nowait(_Fault("internal_error"))

    def _cancel_op(self) -> None:
        self._release_deferred()
        op = self._op
        if op is not None and not op.done() and op is not self._bridging:
            op.cancel()
        self._op = None
        self._listener = None

    def _answer(self, event: ev.Event) -> None:
        self._mark()
        self._listener = None
        self._inbox.put_nowait(event)
        self._release_deferred()

    def _release_deferred(self) -> None:
        deferred = self._deferred
        if deferred is not None:
            self._deferred = None
            self._inbox.put_nowait(deferred)

    async def _op_answer(self, c: cmd.Answer) -> None:
        if not self._answered:
            await self._exec("answer", "", self.t.answer)
            self._answered = True
        self._answer(ev.Answered(at=self.now()))

    def _ensure_terminators(self, barge_in: bool) -> None:
        wanted = tr.terminators_var(barge_in)
        if self._terminators != wanted:
            self._terminators = wanted
            self._fire_app("set", f"playback_terminators={wanted}")

    def _ensure_tts(self, sets: tuple[str, ...]) -> None:
        """`tts_engine`/`tts_voice` on the channel, which a `say:` prompt needs."""
        if sets and sets != self._tts_sets:
            self._tts_sets = sets
            for arg in sets:
                self._fire_app("set", arg)

    def _refused(self, items: tuple[cmd.PlayItem, ...]) -> None:
        for r in tr.refused_items(items):
            if len(self._refused_says) < 20:
                self._refused_says.append(
                    {"node": self.call.node, "say_as": r.say_as, "length": r.length}
                )
            log.warning(
                "say_value_refused",
                call_id=self.call_id,
                flow=self.flow,
                node=self.call.node,
                say_as=r.say_as,
                length=r.length,
            )

    async def _op_play(self, c: cmd.Play) -> None:
        self._refused(c.items)
        steps = tr.play_steps(c, self.media)
        self._ensure_terminators(c.barge_in)
        keys = len(self._keys)
        for app, arg in steps:
            if c.barge_in and len(self._keys) > keys:
                break  # a key interrupted the prompt: the rest is not played
            await self._exec(app, arg, self.t.app)
        self._answer(ev.PromptDone(at=self.now()))

    async def _op_collect(self, c: cmd.Collect) -> None:
        self._refused(c.prompt)
        plan = tr.collect_plan(c, self.media)
        arg = plan.arg
        var = tr.input_var(c.var)
        self._ensure_tts(plan.sets)
        if plan.lead:  # parts of a mixed prompt before its last run (see CollectPlan)
            self._ensure_terminators(True)
            keys = len(self._keys)
            for app, lead_arg in plan.lead:
                if len(self._keys) > keys:
                    break
                await self._exec(app, lead_arg, self.t.app)
        keys = len(self._keys)
        limit = (
            c.tries * (c.timeout_ms + plan.max_digits * max(c.digit_timeout_ms, 1000)) / 1000
            + self.t.collect_margin
        )
        if not tr.uses_asr(c, self.media):  # no recogniser bound: a keys-only collect
            complete = await self._exec("play_and_get_digits", arg, limit)
            result: ev.Event = self._digits(c, complete, keys)
        else:
            result = await self._collect_speech(c, arg, limit, keys)
        if c.sensitive:
            self._fire_app("unset", var)
            self._fire_app("unset", f"{var}_invalid")
        self._answer(result)

    def _digits(self, c: cmd.Collect, complete: Event, keys: int) -> ev.Digits:
        return tr.digits_result(
            complete,
            c.var,
            "".join(self._keys[keys:]),
            self.now(),
            min_digits=c.min,
            max_digits=c.max,
            regex=c.regex,
        )

    async def _collect_speech(self, c: cmd.Collect, arg: str, limit: float, keys: int) -> ev.Event:
        speech: asyncio.Queue[Event] = asyncio.Queue()
        began = False

        def on_event(e: Event) -> None:
            nonlocal began
            if e.name == "DETECTED_SPEECH":
                if e.get("Speech-Type") == "begin-speaking":
                    began = True
                speech.put_nowait(e)

        self._listener = on_event
        if not self._asr_events:
            self._asr_events = True
            self._fire_app("set", "fire_asr_events=true")
        self._fire_app("set", f"flowc_asr_keywords={tr.speech_keywords_value(c)}")
        self._fire_app("detect_speech", tr.detect_speech_arg(c, self.media))
        pagd = asyncio.ensure_future(self._exec("play_and_get_digits", arg, limit))
        heard: ev.Event | None = None
        getter: asyncio.Future[Event] | None = None
        try:
            async with asyncio.timeout(limit):
                while heard is None and not pagd.done():
                    getter = asyncio.ensure_future(speech.get())
                    done, _ = await asyncio.wait(
                        {pagd, getter}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if getter in done:
                        heard = tr.speech_result(getter.result(), self.now())
                    else:
                        getter.cancel()
                if heard is not None and not pagd.done():
                    self._fire(esl_cmd.api(f"uuid_break {self.call_id} all"))
                    with contextlib.suppress(TimeoutError, ESLError):
                        async with asyncio.timeout(self.t.speech_grace):
                            await asyncio.shield(pagd)
        finally:
            if getter is not None and not getter.done():
                getter.cancel()
            if not pagd.done():
                pagd.cancel()
            else:
                pagd.add_done_callback(_consume)  # the answer may be a hang-up: seen elsewhere
            self._fire_app("detect_speech", "stop")
        if heard is not None:
            return heard
        complete = pagd.result()
        digits = self._digits(c, complete, keys)
        if digits.result == "success" or digits.digits:
            return digits
        if began:  # the caller is talking: give the recogniser a moment to finish
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.t.speech_grace):
                    while heard is None:
                        heard = tr.speech_result(await speech.get(), self.now())
            if heard is not None:
                return heard
        return ev.SpeechNoMatch("no_input", at=self.now())

    async def _op_fetch(self, c: cmd.Fetch) -> None:
        from runtime.lookup import LookupOk, LookupRequest

        factory = self.host.lookups
        if factory is None:
            self._mark()
            self._inbox.put_nowait(
                ev.FetchFailed(c.request_id, "error", "no lookup client", at=self.now())
            )
            return
        client = factory(self.bundle)
        # The interpreter evaluates body templates to values (a `now()` is a datetime):
        # JSON has no such types, so they go as text (ISO 8601), as everywhere else.
        body = plain(c.body) if isinstance(c.body, Mapping) else None
        req = LookupRequest(
            service=c.service,
            method=c.method,
            url=c.url,
            headers=dict(c.headers),
            body=body,
            timeout_ms=c.timeout_ms,
            retries=c.retries,
            flow=self._current_flow(),
        )
        result = await client.fetch(req)
        self._mark()
        if isinstance(result, LookupOk):
            self.metrics.lookup(c.service, "ok")
            self._inbox.put_nowait(
                ev.FetchResult(c.request_id, result.status, result.body, at=self.now())
            )
        else:
            self.metrics.lookup(c.service, result.reason)
            log.info(
                "lookup_failed",
                call_id=self.call_id,
                flow=self.flow,
                node=self.call.node,
                service=c.service,
                reason=result.reason,
                detail=result.detail,
            )
            self._inbox.put_nowait(
                ev.FetchFailed(c.request_id, result.reason, result.detail, at=self.now())
            )

    def _current_flow(self) -> str:
        """The flow (main or subflow module) of the node being run: a module's services
        are bound under the module's name."""
        trace = self.call.trace
        for i in range(len(trace) - 1, max(-1, len(trace) - 64), -1):
            step = trace[i]
            if step.kind == "enter":
                return str(step.detail.get("flow") or self.flow)
        return self.flow

    async def _op_enqueue(self, c: cmd.Enqueue) -> None:
        from runtime import queue_announce as qa

        sets = tr.enqueue_sets(c)
        if c.resume_at:
            state = self._state()
            state["queue"] = {"queue": c.queue, "priority": c.priority}
            sets.append(f"{tr.RESUME_VAR}={c.resume_at}")
            token = self.host.resume_keys.seal(state, self.call_id, c.resume_at)
            sets.append(f"{tr.STATE_VAR}={token}")
        self._flush_sets(sets)
        queue = self.bundle.queue(self.flow, c.queue)
        self._expect_resume = c.resume_at is not None
        broke = False
        handle: asyncio.TimerHandle | None = None
        announcer = qa.QueueAnnouncer.for_queue(
            self.esl.api,
            self.call_id,
            queue,
            c.announce,
            c.announce_every_ms,
            self.call.locale,
            self.media.tts_engine,
            self.media.tts_voice,
        )
        key = tr.max_wait_key(c)
        if c.max_wait_ms and key is not None:

            def max_wait() -> None:
                # Press the queue's exit key for the caller: the only thing besides an
                # agent that ends a mod_callcenter wait (see `tr.MAX_WAIT_KEY`). The guard
                # below (max wait + queue_margin) remains for a switch that ignores it.
                nonlocal broke
                broke = True
                if announcer is not None:
                    announcer.stop()
                self._press_for_max_wait(key)

            handle = asyncio.get_running_loop().call_later(c.max_wait_ms / 1000, max_wait)
            limit = c.max_wait_ms / 1000 + self.t.queue_margin
        else:
            limit = self.t.queue
        try:
            complete = await self._exec("callcenter", tr.fs_safe(queue), limit)
        finally:
            if handle is not None:
                handle.cancel()
            if announcer is not None:
                announcer.stop()
        result = tr.queue_result(complete, broke, self.now())
        if result.outcome == "answered" and c.resume_at:
            self._agent_answered = True  # the pump may see the resume socket before the loop
        if result.outcome != "answered" and c.resume_at:
            self._fire_app("unset", tr.RESUME_VAR)
        if result.outcome == "answered":
            if announcer is not None:
                announcer.answered()
            if result.agent is None:  # FreeSWITCH sets cc_agent only after the conversation
                agent = await qa.agent_name(self.esl.api, queue, self.call_id)
                result = ev.QueueResult("answered", agent, at=result.at) if agent else result
        self._answer(result)

    def _press_for_max_wait(self, key: str) -> None:
        if self.esl.closed:
            return
        try:
            fut = self.esl.send_nowait(esl_cmd.api(f"uuid_recv_dtmf {self.call_id} {key}"))
        except ESLError:
            return
        self._sent()
        call_id = self.call_id

        def check(done: asyncio.Future[Any]) -> None:
            if done.cancelled() or done.exception() is not None:
                return
            reply = done.result().message.body_text.strip()
            if not reply.startswith("+OK"):
                log.warning("max_wait_key_refused", call_id=call_id, key=key, reply=reply[:200])

        fut.add_done_callback(check)

    async def _op_transfer(self, c: cmd.Transfer) -> None:
        bound = self.bundle.number(self.flow, c.number) if c.number else None
        plan = tr.transfer_plan(c, bound, self.media)
        if plan.refused:  # nothing safe to dial: fail the transfer, say why
            log.warning(
                "transfer_refused", call_id=self.call_id, flow=self.flow, node=self.call.node
            )
            self._answer(ev.TransferResult(False, plan.refused, at=self.now()))
            return
        self._dialled = plan.arg
        log.info(
            "transfer",
            call_id=self.call_id,
            flow=self.flow,
            number=c.number,
            flow_target=c.target,
            dialled=plan.arg,
        )
        if plan.app == "transfer":
            await self._exec("transfer", plan.arg, self.t.answer)
            self._answer(ev.TransferResult(True, "", at=self.now()))
            return
        reported = False

        def on_event(e: Event) -> None:
            nonlocal reported
            if e.name == "CHANNEL_BRIDGE" and not reported:
                reported = True
                self._bridging = self._op
                self._answer(ev.TransferResult(True, "", at=self.now()))

        self._listener = on_event
        self._flush_sets(["continue_on_fail=true", "hangup_after_bridge=true"])
        complete = await self._exec("bridge", plan.arg, self.t.bridge)
        if not reported:
            self._answer(tr.bridge_result(complete, self.now()))

    async def _op_voicemail(self, c: cmd.Voicemail) -> None:
        mailbox = self.bundle.mailbox(self.flow, c.mailbox)
        # mod_voicemail records up to its profile's limit, which may exceed this node's.
        record_ms = tr.voicemail_record_ms(c.max_length_ms, self.bundle.voicemail_record_s)
        limit = record_ms / 1000 + self.t.record_margin
        complete = await self._exec("voicemail", tr.voicemail_arg(mailbox, self.media), limit)
        if not tr.voicemail_recorded(complete):
            # Nothing was left (T10b, T10c): not a message, whatever the app's completion
            # looks like. The flow has no branch for it: the call ends as `error`.
            log.warning(
                "voicemail_not_recorded",
                call_id=self.call_id,
                flow=self.flow,
                node=self.call.node,
                mailbox=mailbox,
            )
            self._inbox.put_nowait(_Fault("voicemail_not_recorded"))
            return
        self._answer(tr.record_done(complete, "", self.now(), voicemail=True))

    async def _op_record(self, c: cmd.Record) -> None:
        self._records += 1
        path = tr.record_path(self.media, self.call_id, self._records)
        if c.beep:
            await self._exec("playback", tr.BEEP, self.t.app)
        limit = c.max_length_ms / 1000 + self.t.record_margin
        complete = await self._exec("record", tr.record_arg(path, c.max_length_ms), limit)
        self._answer(tr.record_done(complete, path, self.now(), voicemail=False))

    # ------------------------------------------------------------------ timers

    def _start_timer(self, timer_id: str, ms: int) -> None:
        old = self._timers.pop(timer_id, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        self._timers[timer_id] = loop.call_later(max(ms, 0) / 1000, self._timer_fired, timer_id)

    def _timer_fired(self, timer_id: str) -> None:
        self._timers.pop(timer_id, None)
        self._mark()
        self._inbox.put_nowait(ev.TimerFired(timer_id, at=self.now()))

    # ------------------------------------------------------------------ hand-off and resume

    def _state(self) -> dict[str, Any]:
        sensitive = self.program.sensitive
        values = {k: v for k, v in self.call.variables.items() if k not in sensitive and v != MASK}
        return {
            "flow": self.flow,
            "version": self.bundle.versions.get(self.flow, ""),
            "seq": self._seq,
            "vars": values,
        }

    async def _adopt(self, item: _Adopt) -> None:
        old = self.esl
        if self._resume_timer is not None:
            self._resume_timer.cancel()
            self._resume_timer = None
        self._stop_pump(old)  # the old connection's end is not a hang-up
        # The first socket stays open, untouched, until the call ends: the end of an
        # outbound socket (`exit` or a close alike) clears the channel's CF_CONTROLLED
        # (mod_event_socket.c:2838 in 1.10.12), which ends the park of the new socket
        # (switch_ivr.c:1007): the dialplan then runs on and hangs up after the first app
        # (live capture T04 lines 63 and 73). D1 shows the whole survey once it is kept.
        # Its copies of the channel's events are dropped, not queued.
        old.listen(_discard)
        self._held.append(old)
        self.esl = item.esl
        self._hangup_queued = self._socket_lost = False
        self._hung_up = asyncio.Event()
        self._resume_pending = False
        self._agent_answered = False
        self._answered = True
        self._terminators = None
        self._asr_events = False
        item.accepted.set_result(True)
        await self._setup(self.esl)
        self._start_pump()
        self._why = "resumed after the agent conversation"
        log.info("call_resumed", call_id=self.call_id, flow=self.flow, node=self.call.node)

    async def _detach(self, reason: str) -> None:
        """Leave a call that is with an agent (drain): close our socket, write no end; the
        resume socket (on any instance) continues it."""
        self._detached = True
        self._finalize_step(None, None)
        log.info("call_detached", call_id=self.call_id, flow=self.flow, reason=reason)
        if self._resume_pending and not self._hung_up.is_set():
            # The dialplan's second socket went elsewhere and parks the channel there:
            # closing ours now would end that park (see `_adopt`). Hold it until the
            # channel is gone.
            await self._hold_until_hangup()
        await self._close_socket()

    async def _hold_until_hangup(self) -> None:
        esl = self.esl
        self._stop_pump(esl)
        gone = asyncio.Event()

        def watch(e: Event | None) -> None:
            if e is None or e.name in ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"):
                gone.set()

        esl.listen(watch)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.t.with_agent):
                await gone.wait()
        esl.listen(_discard)

    # ------------------------------------------------------------------ the end

    async def _finish(self, outcome: Any) -> None:
        self._cleanup_tasks(keep_bridge=True)
        kind = outcome.kind
        step_outcome = outcome.kind
        detail: dict[str, Any] = dict(outcome.detail)
        detail["survey"] = dict(outcome.survey)
        detail["variables"] = dict(outcome.variables)
        if self._refused_says:  # say values not of their type: left out of the prompts
            detail["refused_say_values"] = list(self._refused_says)
        by = self._hangup_by
        if by is not None and (kind == "caller_hangup" or detail.get("ended") == "caller_hangup"):
            detail["hangup_by"] = by
            if by in ("dialplan", "switch"):
                # Not the caller: the switch ended a call the flow had not finished.
                ended = f"{by}_hangup"
                step_outcome = ended
                if kind == "caller_hangup":
                    self._runtime_reason = self._runtime_reason or ended
                else:  # a sticky outcome (queued, voicemail) keeps its kind
                    detail["ended"] = ended
        if self._runtime_reason is not None and self._runtime_reason != "drain":
            kind = "error"  # the runtime, not the flow or the caller, ended this call
            if step_outcome == "caller_hangup":
                step_outcome = "error"  # the last step too (a fault, not the caller)
        elif self._runtime_reason == "drain":
            # The drain hung up, not the caller: journal (shutdown_outcome), metrics and log
            # all say `shutdown`, and reports do not count the call as abandoned.
            kind = "shutdown"
        if kind == "transferred" and self._dialled is not None:
            # What the switch bridged (the environment's binding), besides the flow's number
            # (live T11: `bridge(loopback/8001/default)` for `sip:care@pbx.example.invalid`).
            # `target` stays the flow's (what `flowc test` predicts and scenarios check),
            # `number` the logical name.
            detail["dialled"] = self._dialled
        self.outcome_kind = kind
        self._finalize_step(step_outcome, None)
        if kind != outcome.kind:
            detail["interpreter_outcome"] = outcome.kind
        if self._runtime_reason:
            detail["runtime"] = self._runtime_reason
        if self._socket_lost:
            detail["runtime"] = "socket_closed"
        if self.journal is not None:
            from runtime.journal import CallEnd

            self.journal.record(CallEnd(self.call_id, self.now(), kind, outcome.node, detail))
        self.metrics.call_ended(self.flow, kind)
        log.info(
            "call_ended",
            call_id=self.call_id,
            flow=self.flow,
            node=outcome.node,
            outcome=kind,
            runtime=detail.get("runtime"),
            ms=int((time_mod.perf_counter() - self._started_mono) * 1000),
        )
        bridging = self._bridging
        if bridging is not None and not bridging.done():
            with contextlib.suppress(Exception):
                await asyncio.wait({bridging}, timeout=self.t.bridge)
        if self._hangup_sent and not self._hangup_queued and not self.esl.closed:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self.t.hangup_wait):
                    await self._hung_up.wait()
        await self._close_socket()

    async def _close_socket(self) -> None:
        self._stop_pump(self.esl)
        with contextlib.suppress(Exception):
            if self._lingering and not self.esl.closed:
                await self.esl.exit(timeout=self.t.exit)
            else:
                await self.esl.close()
        # Then the sockets kept since a resume (D1 closes the first one at the end, too).
        held, self._held = self._held, []
        for old in held:
            with contextlib.suppress(Exception):
                await old.close()

    async def _emergency_end(self) -> None:
        """After a defect in the driver: hang up, write the end once, close."""
        with contextlib.suppress(Exception):
            await self._hangup_channel(FAULT_CAUSE)
        if self.outcome_kind is None:
            self.outcome_kind = "error"
            with contextlib.suppress(Exception):
                self._finalize_step("error", None)
            if self.journal is not None:
                from runtime.journal import CallEnd

                self.journal.record(
                    CallEnd(
                        self.call_id,
                        self.now(),
                        "error",
                        self.call.node,
                        {"runtime": self._runtime_reason or "internal_error"},
                    )
                )
            self.metrics.call_ended(self.flow, "error")
        with contextlib.suppress(Exception):
            await self._close_socket()

    def _cleanup_tasks(self, keep_bridge: bool = False) -> None:
        if self._resume_timer is not None:
            self._resume_timer.cancel()
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for task in list(self._fetches):
            task.cancel()
        op = self._op
        if op is not None and not op.done() and not (keep_bridge and op is self._bridging):
            op.cancel()
        self._listener = None

    def _drop_tasks(self) -> None:
        """Forget the call's finished tasks. A cancelled task keeps its exception, whose
        traceback holds the task's frames and so this driver: a reference cycle that only a
        full garbage collection would free, with everything the call still refers to."""
        self._op = self._bridging = None
        self._fetches.clear()
        self._listener = None

    # ------------------------------------------------------------------ journal and metrics

    def _after_handle(self) -> None:
        trace = self.call.trace
        start = self._trace_pos
        end = len(trace)
        if start >= end:
            return
        self._trace_pos = end
        self.metrics.steps(self.flow, end - start)
        for i in range(start, end):
            step = trace[i]
            kind = step.kind
            if kind == "enter":
                detail = step.detail
                node = step.node or ""
                flow = str(detail.get("flow") or self.flow)
                name = node if flow == self.program.name else f"{flow}.{node}"
                self._finalize_step(None, name, step.at)
                self.metrics.node(self.flow, name)
                self._pending = _PendingStep(
                    self._seq + 1, step.at, name, str(detail.get("kind") or ""), self._why
                )
                self._seq += 1
                self._why = "next"
            elif kind == "event":
                found = _input_of({"type": step.why, **step.detail})
                if found is not None and self._pending is not None:
                    self._pending.inputs.append(found)
                    if MASK in found:
                        self._pending.sensitive = True
            elif kind == "decision":
                self._why = step.why
        if self.with_agent and self._pending is not None:
            self._finalize_step("answered", None)
            if self.host.agents.get(self.call_id) is not self:
                self.host.agents[self.call_id] = self
        elif not self.with_agent and self.host.agents.get(self.call_id) is self:
            del self.host.agents[self.call_id]

    def _finalize_step(
        self, outcome: str | None, next_node: str | None, at: datetime | None = None
    ) -> None:
        p = self._pending
        if p is None:
            return
        self._pending = None
        if self.journal is None:
            return
        from runtime.journal import StepRecord

        ended = at or self.now()
        duration = max(0, int((ended - p.at).total_seconds() * 1000))
        text = ",".join(p.inputs) if p.inputs else None
        self.journal.record(
            StepRecord(
                self.call_id,
                p.seq,
                p.at,
                p.node,
                p.kind,
                p.why,
                MASK if p.sensitive and text is not None else text,
                outcome if outcome is not None else next_node,
                duration,
                p.sensitive,
            )
        )

    def _journal_command(self, c: cmd.Journal) -> None:
        if self.journal is None:
            return
        data = c.data
        if c.kind == "survey":
            answer = data.get("answer")
            if answer is None:
                return
            from runtime.journal import SurveyAnswer

            value: int | str = ("yes" if answer else "no") if isinstance(answer, bool) else answer
            if not isinstance(value, int | str):
                value = str(value)
            self.journal.record(
                SurveyAnswer(self.call_id, self.flow, str(data.get("question")), value, self.now())
            )
        elif c.kind == "callback":
            from runtime.journal import CallbackRequest

            number = str(data.get("number") or "")
            at = _parse_time(data.get("requested_at")) or self.now()
            self.journal.record(CallbackRequest(self.call_id, self.flow, number, at))


# ------------------------------------------------------------------ helpers


# The operation behind each command that runs an application. A table of plain functions,
# not of bound methods on each driver: those would make every driver a reference cycle that
# only a full garbage collection can free (see `runtime.server.tune_process`).
_OPS: dict[type[cmd.Command], Callable[[CallDriver, Any], Coroutine[Any, Any, None]]] = {
    cmd.Answer: CallDriver._op_answer,
    cmd.Play: CallDriver._op_play,
    cmd.Collect: CallDriver._op_collect,
    cmd.Enqueue: CallDriver._op_enqueue,
    cmd.Transfer: CallDriver._op_transfer,
    cmd.Voicemail: CallDriver._op_voicemail,
    cmd.Record: CallDriver._op_record,
}


def _discard(_e: Event | None) -> None:
    """The listener of a socket whose events nobody needs (bounded: nothing is queued)."""


def _consume(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
