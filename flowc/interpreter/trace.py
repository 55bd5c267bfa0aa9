"""What a call did and how it ended: trace steps and the outcome. Both are masked data.

A `TraceStep` is written for every node entered, every decision (menu key, switch rule,
schedule rule, fetch status...), every event that arrived and every event that was ignored.
`kind` is the step kind:

| kind       | when                                                                     |
|------------|--------------------------------------------------------------------------|
| `start`    | the call started                                                         |
| `enter`    | a node was entered (`detail.kind` = node kind, `detail.flow` = flow name) |
| `event`    | an expected event arrived                                                |
| `decision` | the flow chose a branch; `why` says why in one sentence                  |
| `set`      | a variable got a value (masked when sensitive)                           |
| `note`     | something worth knowing that changed nothing (bad value, stale event...) |
| `ignored`  | an event the call was not waiting for                                    |
| `error`    | the call cannot go on (missing node, loop guard...)                      |
| `end`      | the call ended                                                           |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from flowc.interpreter.slot_init import slot_init

MASK = "****"

OutcomeKind = Literal[
    "hangup", "transferred", "queued", "voicemail", "caller_hangup", "error", "completed"
]


def plain(value: Any) -> Any:
    """`value` as JSON-able data (datetimes as ISO text, tuples as lists)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return str(value)


@slot_init  # one per decision or note of every call
@dataclass(frozen=True, slots=True)
class TraceStep:
    at: datetime
    node: str | None
    kind: str
    why: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "node": self.node,
            "kind": self.kind,
            "why": self.why,
            "detail": plain(self.detail),
        }

    def __str__(self) -> str:
        where = self.node or "-"
        return f"{self.at.isoformat()} {where} {self.kind}: {self.why}"


@slot_init
@dataclass(frozen=True, slots=True)
class Outcome:
    """How a call ended.

    kind: `hangup` (a hangup node, or the default hang-up after a failure: see
    `detail.reason`), `transferred`, `queued` (an agent answered), `voicemail` (a message was
    left), `caller_hangup`, `error` (the flow could not go on), `completed` (the flow ran out of
    nodes: no `next`, a top-level `return`).

    `queued` and `voicemail` are sticky: once an agent answered or a message was left, the
    outcome keeps that kind however the call ends afterwards (hangup node, end of the flow,
    the caller hanging up during the survey); `detail.ended` says how. Only `error` and
    `transferred` replace them.

    `node` is where it ended; `detail` holds the cause, the queue and priority, the transfer
    target...; `survey` the survey answers; `variables` the main flow's variables (masked).
    """

    kind: OutcomeKind
    node: str | None
    detail: Mapping[str, Any] = field(default_factory=dict)
    survey: Mapping[str, Any] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "node": self.node,
            "detail": plain(self.detail),
            "survey": plain(self.survey),
            "variables": plain(self.variables),
        }
