"""One live call: the interpreter's host over one outbound ESL socket.

Theory of operation
-------------------
`CallDriver` is the coordinator; each of its jobs is a part in `runtime.call` (the socket,
prompts and input, look-ups, the queue and its resume, hand-offs, the end, the journal).
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
* the server puts `Abort` (drain deadline) and `Adopt` (the second socket of a queue's
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
is never journaled as the caller's hang-up (see `runtime.call.ending`).

Journal: one `CallRecord` when the call starts; one `StepRecord` per node visited (opened by
the interpreter's `NodeEntered` record, which says why the call came there; written when the
call leaves the node: kind, why, the caller's input there - the answers to its Collects,
masked when the Collect was sensitive -, where it went, how long it stayed); `SurveyAnswer` and
`CallbackRequest` from the interpreter's `SurveyAnswered` / `CallbackBooked` records; one
`CallEnd` (outcome, node, detail with the outcome's detail, survey answers and masked
variables).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from runtime import translate as tr
from runtime.call.ending import CallEnding
from runtime.call.handoff import HandoffOps
from runtime.call.host import (
    FAULT_CAUSE,
    SHUTDOWN_CAUSE,
    SOCKET_CLOSED,
    CallHost,
    ClockFactory,
    Timeouts,
    system_clock,
)
from runtime.call.lookups import LookupOps
from runtime.call.prompts import PromptOps
from runtime.call.queue import QueueOps
from runtime.call.state import Abort, Adopt, Fault, Item
from runtime.esl.errors import ChannelHangup, ConnectionClosed
from runtime.logs import get_logger

if TYPE_CHECKING:
    from runtime.esl.aio import AsyncESL

__all__ = [
    "FAULT_CAUSE",
    "SHUTDOWN_CAUSE",
    "SOCKET_CLOSED",
    "CallDriver",
    "CallHost",
    "ClockFactory",
    "Timeouts",
    "system_clock",
]

log = get_logger()


class CallDriver(PromptOps, LookupOps, QueueOps, HandoffOps, CallEnding):
    """Drives one call; `await run()` returns when the call is over and the socket closed.

    The coordinator: the entry points, the loop that feeds the interpreter, the dispatch of
    its commands and the timers. Each job lives in its own part (`runtime.call`).
    """

    # ------------------------------------------------------------------ entry points

    async def run(self) -> None:
        """Serve a new call from the flow's entry."""
        await self._serve(lambda now: self.call.start(now), new_call=True)

    async def run_resumed(self, node: str, state: Mapping[str, Any]) -> None:
        """Serve the second socket of a queue's `after` resume, without the original `Call`."""
        if state.get("flow") == self.flow:
            self.steps.seq = int(state.get("seq") or 0)
            saved = state.get("vars")
            queue = state.get("queue")
            detail: dict[str, Any] | None = None
            if isinstance(queue, Mapping):  # an agent answered: the call stays `queued`
                detail = {**queue, "agent": self.data.variable("cc_agent") or None}
            self.call.restore(
                variables=saved if isinstance(saved, Mapping) else None,
                outcome="queued" if detail is not None else None,
                detail=detail,
                struggles=state.get("struggles"),
            )
        if node not in self.program.nodes:
            log.warning("resume_node_unknown", call_id=self.call_id, flow=self.flow, node=node)
            node = self.program.entry
        await self._serve(lambda now: self.call.start(now, at_node=node), new_call=True)

    async def adopt(self, esl: AsyncESL) -> bool:
        """The resume socket for this (with_agent) call arrived: continue on it. Returns when
        the call is over (the caller keeps its connection open until then): True; False when
        the call could not take it (it ended meanwhile) and the connection is the caller's."""
        accepted: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait(Adopt(esl, accepted))
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
        self._inbox.put_nowait(Abort(reason, cause))

    # ------------------------------------------------------------------ main loop

    async def _serve(
        self, first: Callable[[datetime], list[cmd.Command]], *, new_call: bool
    ) -> None:
        self.metrics.calls_active.inc()
        try:
            if new_call:
                self.steps.call_started(
                    self.bundle.versions.get(self.flow, self.bundle.hash),
                    self.info.did,
                    self.info.caller_number,
                    self.host.instance,
                    self.now(),
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
            if isinstance(item, Adopt):
                if not self.with_agent or item.accepted.done():
                    if not item.accepted.done():
                        item.accepted.set_result(False)
                    continue
                await self._adopt(item)
                event = ev.AgentDone(at=self.now())
            elif isinstance(item, Abort):
                if self.with_agent:
                    await self._detach(item.reason)
                    return
                if item.reason == "resumed_elsewhere":
                    continue  # the resume socket came here after all
                self._runtime_reason = item.reason
                await self._hangup_channel(item.cause)
                event = ev.Hangup(item.cause, at=self.now())
            elif isinstance(item, Fault):
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
            self.steps.caller_input(event, self._secret_collect)
            commands = self.call.handle(event)

    async def _next_item(self) -> Item:
        op = self._op
        if op is not None and not op.done():
            return await self._inbox.get()  # the operation bounds its own wait
        limit = self.t.with_agent if self.with_agent else self.t.idle
        try:
            async with asyncio.timeout(limit):
                return await self._inbox.get()
        except TimeoutError:
            return Fault("with_agent_timeout" if self.with_agent else "idle_timeout")

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
                self.steps.record(c)
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

    # ------------------------------------------------------------------ operations (runtime.call.*)

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
            self._inbox.put_nowait(Fault("unknown_command"))
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
            self._inbox.put_nowait(Fault(f"{self._op_name or 'op'}_timeout"))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("operation_failed", call_id=self.call_id, op=self._op_name)
            self._inbox.put_nowait(Fault("internal_error"))

    def _cancel_op(self) -> None:
        self._release_deferred()
        op = self._op
        if op is not None and not op.done() and op is not self._bridging:
            op.cancel()
        self._op = None
        self._listener = None

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

    # ------------------------------------------------------------------ after each batch

    def _after_handle(self) -> None:
        trace_len = len(self.call.trace)
        if trace_len > self._trace_pos:
            self.metrics.steps(self.flow, trace_len - self._trace_pos)
            self._trace_pos = trace_len
        if self.with_agent and self.steps.pending is not None:
            self.steps.step_done("answered", None)
            if self.host.agents.get(self.call_id) is not self:
                self.host.agents[self.call_id] = self
        elif not self.with_agent and self.host.agents.get(self.call_id) is self:
            del self.host.agents[self.call_id]


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
