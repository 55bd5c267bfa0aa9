"""Resume after the queue's `after`: the state saved on the channel, adopting the second
socket, leaving a call that is with an agent (drain).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from flowc.interpreter import MASK
from runtime.call.esl_link import EslLink
from runtime.call.state import Adopt, discard
from runtime.esl.message import Event
from runtime.logs import get_logger

if TYPE_CHECKING:
    pass

log = get_logger()


class ResumeOps(EslLink):
    """A call that continues after the agent conversation, here or on another instance."""

    def _state(self) -> dict[str, Any]:
        sensitive = self.program.sensitive
        values = {k: v for k, v in self.call.variables.items() if k not in sensitive and v != MASK}
        return {
            "flow": self.flow,
            "version": self.bundle.versions.get(self.flow, ""),
            # the bundle version: a resume on any instance finishes the call on it (rollout)
            "bundle": self.bundle.hash,
            "seq": self.steps.seq,
            "vars": values,
            "struggles": self.call.struggles,  # the `escalate` budget goes on after the agent
        }

    async def _adopt(self, item: Adopt) -> None:
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
        old.listen(discard)
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
        log.info("call_resumed", call_id=self.call_id, flow=self.flow, node=self.call.node)

    async def _detach(self, reason: str) -> None:
        """Leave a call that is with an agent (drain): close our socket, write no end; the
        resume socket (on any instance) continues it."""
        self._detached = True
        self.steps.step_done(None, None)
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
        esl.listen(discard)
