"""The end of a call: the outcome journaled (who ended it, the runtime's reason), the tasks
dropped, the socket closed; and the emergency end after a defect.
"""

from __future__ import annotations

import asyncio
import contextlib
import time as time_mod
from typing import TYPE_CHECKING, Any

from runtime.call.esl_link import EslLink
from runtime.call.host import FAULT_CAUSE
from runtime.logs import get_logger

if TYPE_CHECKING:
    pass

log = get_logger()


class CallEnding(EslLink):
    """How a call ends."""

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
        self.steps.step_done(step_outcome, None)
        if kind != outcome.kind:
            detail["interpreter_outcome"] = outcome.kind
        if self._runtime_reason:
            detail["runtime"] = self._runtime_reason
        if self._socket_lost:
            detail["runtime"] = "socket_closed"
        # Which version served the call: the rollout judges a canary by the ends that carry
        # its hash (runtime/rollout/board.py).
        detail["bundle"] = self.bundle.hash
        self.steps.call_ended(kind, outcome.node, detail)
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

    async def _emergency_end(self) -> None:
        """After a defect in the driver: hang up, write the end once, close."""
        with contextlib.suppress(Exception):
            await self._hangup_channel(FAULT_CAUSE)
        if self.outcome_kind is None:
            self.outcome_kind = "error"
            with contextlib.suppress(Exception):
                self.steps.step_done("error", None)
            self.steps.call_ended(
                "error", self.call.node, {"runtime": self._runtime_reason or "internal_error"}
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
