"""Transfer, Voicemail and Record: the operations that hand the caller on or record them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from runtime import translate as tr
from runtime.call.esl_link import EslLink
from runtime.call.state import Fault
from runtime.esl.message import Event
from runtime.logs import get_logger

if TYPE_CHECKING:
    pass

log = get_logger()


class HandoffOps(EslLink):
    """Transfer (blind or bridge), voicemail, recording."""

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
            self._inbox.put_nowait(Fault("voicemail_not_recorded"))
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
