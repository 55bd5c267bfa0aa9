"""What the journal stores: six frozen records, built by the runtime, queued by `Journal.record`.

Datetimes should be timezone-aware; a naive datetime is taken to be UTC (never local time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "LOST",
    "MASK",
    "REPLAY_FORMAT",
    "SHUTDOWN",
    "CallEnd",
    "CallRecord",
    "CallbackRequest",
    "Item",
    "ReplayLog",
    "StepRecord",
    "SurveyAnswer",
    "shutdown_outcome",
]

MASK = "****"
"""What the journal stores as the input of a step marked `sensitive`, whatever the input was."""

SHUTDOWN = "shutdown"
"""The outcome of a call the runtime hung up because it was stopping (drain deadline)."""
LOST = "lost"
"""The outcome of a call whose runtime died mid-call: written by the next start (see
`Journal.close_lost_calls`), since the dead process could not write the end itself."""


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One per call, recorded when the runtime takes the call."""

    call_id: str
    flow: str
    flow_version: str  # the IR content hash of the flow bundle that served the call
    did: str  # the number the caller dialled
    caller: str  # the caller's number (ANI)
    started_at: datetime
    instance: str  # the runtime instance that served the call


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One per interpreter step of a call; `seq` numbers the steps of one call from 0 or 1.

    `input` is what the caller entered, already masked by the caller when it is sensitive; when
    `sensitive` is true the journal stores "****" whatever `input` holds (defence in depth).
    """

    call_id: str
    seq: int
    at: datetime
    node: str
    kind: str  # the node kind: menu, collect, queue, ...
    why: str  # why the call came here: "start", "dtmf 1", "timeout", "no-match", ...
    input: str | None = None
    outcome: str | None = None
    duration_ms: int | None = None
    sensitive: bool = False


@dataclass(frozen=True, slots=True)
class CallEnd:
    """One per call, recorded when the call ends; the first one recorded for a call wins."""

    call_id: str
    ended_at: datetime
    outcome: str  # hangup, abandoned, transferred, queued, self_served, error, ...
    node: str | None  # the node the call was in when it ended
    detail: dict[str, Any] = field(default_factory=dict)  # JSON-serialisable


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    """One answer of a post-call survey; one per (call_id, question), the first one wins."""

    call_id: str
    flow: str
    question: str
    value: int | str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """A caller asked to be called back; one per (call_id, number), the first one wins."""

    call_id: str
    flow: str
    number: str
    at: datetime


REPLAY_FORMAT = 1
"""The version of `ReplayLog.data`'s layout (see `runtime.replay_log`)."""


@dataclass(frozen=True, slots=True)
class ReplayLog:
    """What `flowc replay` needs to run a call again, one per call (the first one wins):
    the clock, the caller's attributes, the answers the host gave the interpreter in order
    (sensitive entries as a valid/invalid marker or a keyed hash, never the digits), look-up
    answers cut to the fields the flow reads, queue and transfer outcomes, and the bundle hash.
    `data` is JSON-serialisable; `runtime.replay_log` writes it, `flowc.replay` reads it."""

    call_id: str
    data: dict[str, Any]
    part: int = 0  # 0: from the call's start; 1: after an agent (queue `after`), see replay_log
    format: int = REPLAY_FORMAT


def shutdown_outcome(end: CallEnd) -> CallEnd:
    """`end` with the outcome `shutdown` when the runtime's drain ended the call
    (``detail["runtime"] == "drain"``), whatever the interpreter made of the hang-up (it sees a
    hang-up and says `caller_hangup`, which would count the call as abandoned); the
    interpreter's outcome is kept in ``detail["interpreter_outcome"]``. Other ends unchanged."""
    detail = end.detail
    if not isinstance(detail, dict) or detail.get("runtime") != "drain" or end.outcome == SHUTDOWN:
        return end
    kept = dict(detail)
    kept.setdefault("interpreter_outcome", end.outcome)
    return CallEnd(end.call_id, end.ended_at, SHUTDOWN, end.node, kept)


Item = CallRecord | StepRecord | CallEnd | SurveyAnswer | CallbackRequest | ReplayLog
ITEM_TYPES: frozenset[type] = frozenset(
    {CallRecord, StepRecord, CallEnd, SurveyAnswer, CallbackRequest, ReplayLog}
)
