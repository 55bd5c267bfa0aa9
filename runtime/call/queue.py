"""Enqueue: the hand-off to mod_callcenter, its announcements and its max wait."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from runtime import translate as tr
from runtime.call.resume import ResumeOps
from runtime.esl import commands as esl_cmd
from runtime.esl.errors import ESLError
from runtime.logs import get_logger

if TYPE_CHECKING:
    pass

log = get_logger()


class QueueOps(ResumeOps):
    """The queue operation (and the resume state it leaves on the channel)."""

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
