"""What a call writes to the journal, in one place: its start, one step per node, the survey
answers and callbacks the flow recorded, and its end.

A step opens when the interpreter's `NodeEntered` record arrives (the node, its kind, why the
call came there) and is written when the call leaves the node (the next node, or the outcome
when the call ends or an agent answers), with the caller's input there (the answers to the
node's Collects, masked when the Collect was sensitive) and how long the call stayed.

Holds no reference to the driver (only the shared journal and metrics, and the call's
clock): a finished call is freed by reference counting alone (see `runtime.server`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flowc.interpreter import MASK
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev

if TYPE_CHECKING:
    from runtime.journal import Journal
    from runtime.metrics import RuntimeMetrics


@dataclass(slots=True)
class PendingStep:
    """The step of the node the call is in, written when it leaves."""

    seq: int
    at: datetime
    node: str
    kind: str
    why: str
    inputs: list[str] = field(default_factory=list)
    sensitive: bool = False


def input_of(event: ev.Event, secret: bool) -> tuple[str, bool] | None:
    """The caller's input in an answer to a Collect, as the journal shows it, and whether it
    is masked (`secret`: the Collect was sensitive; its digits or words are never written)."""
    if isinstance(event, ev.Digits):
        if event.digits:
            return (MASK, True) if secret else (event.digits, False)
        return event.result or "timeout", False
    if isinstance(event, ev.SpeechResult):
        if secret and event.text:
            return f"say:{MASK}", True
        return f"say:{event.text}", False
    if isinstance(event, ev.SpeechNoMatch):
        return event.reason or "no_match", False
    return None


class CallJournal:
    """The journal records of one call (`journal` None: only the metrics are kept)."""

    __slots__ = (
        "call_id",
        "flow",
        "journal",
        "main_flow",
        "metrics",
        "node_flow",
        "now",
        "pending",
        "seq",
    )

    def __init__(
        self,
        journal: Journal | None,
        metrics: RuntimeMetrics,
        call_id: str,
        flow: str,
        main_flow: str,
        now: Callable[[], datetime],
    ) -> None:
        self.journal = journal
        self.metrics = metrics
        self.call_id = call_id
        self.flow = flow  # the flow the call was routed to (the bundle's name for it)
        self.main_flow = main_flow  # its program's own name: other names are subflow modules
        self.now = now
        self.seq = 0  # steps written or open (a resumed call continues the first one's count)
        self.pending: PendingStep | None = None
        self.node_flow = flow  # the flow (main or module) of the node being run

    def call_started(
        self, version: str, did: str, caller: str, instance: str, at: datetime
    ) -> None:
        if self.journal is not None:
            from runtime.journal import CallRecord

            self.journal.record(
                CallRecord(self.call_id, self.flow, version, did, caller, at, instance)
            )

    def record(self, c: cmd.Journal) -> None:
        """One journal record of the interpreter."""
        if isinstance(c, cmd.NodeEntered):
            self.node_entered(c)
            return
        journal = self.journal
        if journal is None:
            return
        if isinstance(c, cmd.SurveyAnswered):
            answer = c.answer
            if answer is None:
                return
            from runtime.journal import SurveyAnswer

            value: int | str = ("yes" if answer else "no") if isinstance(answer, bool) else answer
            journal.record(SurveyAnswer(self.call_id, self.flow, c.question, value, self.now()))
        elif isinstance(c, cmd.CallbackBooked):
            from runtime.journal import CallbackRequest

            journal.record(CallbackRequest(self.call_id, self.flow, c.number, c.requested_at))

    def node_entered(self, c: cmd.NodeEntered) -> None:
        """Close the step of the node left and open the one of the node entered."""
        flow = c.flow
        self.node_flow = flow
        name = c.node if flow == self.main_flow else f"{flow}.{c.node}"
        self.step_done(None, name, c.at)
        self.metrics.node(self.flow, name)
        self.seq += 1
        self.pending = PendingStep(self.seq, c.at, name, c.node_kind, c.why)

    def caller_input(self, event: ev.Event, secret: bool) -> None:
        """An event given to the interpreter: if it is the caller's input, it belongs to the
        current node's step."""
        pending = self.pending
        if pending is None:
            return
        found = input_of(event, secret)
        if found is not None:
            pending.inputs.append(found[0])
            if found[1]:
                pending.sensitive = True

    def step_done(
        self, outcome: str | None, next_node: str | None, at: datetime | None = None
    ) -> None:
        """Write the open step: the call went to `next_node`, or ended with `outcome`."""
        p = self.pending
        if p is None:
            return
        self.pending = None
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

    def call_ended(self, outcome: str, node: str | None, detail: dict[str, Any]) -> None:
        if self.journal is not None:
            from runtime.journal import CallEnd

            self.journal.record(CallEnd(self.call_id, self.now(), outcome, node, detail))
