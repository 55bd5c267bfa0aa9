"""The call's ESL socket: setup, the event pump, writing apps and waiting for their completion,
hanging up and closing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time as time_mod
from typing import TYPE_CHECKING

from flowc.interpreter import events as ev
from runtime import translate as tr
from runtime.call.host import SOCKET_CLOSED
from runtime.call.state import Abort, CallState, consume
from runtime.esl import commands as esl_cmd
from runtime.esl.errors import ConnectionClosed, ESLError
from runtime.esl.message import Event
from runtime.logs import get_logger

if TYPE_CHECKING:
    from runtime.esl.aio import AsyncESL

log = get_logger()


class EslLink(CallState):
    """The socket side of a call: every byte to FreeSWITCH goes through these methods."""

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
                Abort("resumed_elsewhere"),
            )
        listener = self._listener
        if listener is not None:
            listener(e)

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
        fut.add_done_callback(consume)
        self._sent()

    def _fire_app(self, app: str, arg: str = "") -> None:
        self.apps_sent += 1
        self._fire(esl_cmd.sendmsg_execute(app, arg, esl_cmd.new_event_uuid()))

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
        app_uuid = esl_cmd.new_event_uuid()
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
