"""What `flowc report` computes: frozen dataclasses, each with `to_json()`.

Rates are fractions (0.25, not 25 %) rounded to 4 places, times are seconds rounded to the
millisecond; both are derived from integer counts and microseconds, so the same journal gives
the same figures whichever database holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "Filters",
    "FlowReport",
    "InputStats",
    "LeavePoint",
    "LookupStats",
    "NodeVisits",
    "Percentiles",
    "Report",
    "Share",
    "Summary",
    "SurveyQuestion",
    "VersionReport",
]


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True, slots=True)
class Filters:
    """Which calls a report covers: by flow name, and by start time (`since` <= t < `until`)."""

    flows: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"flows": list(self.flows), "since": _iso(self.since), "until": _iso(self.until)}


@dataclass(frozen=True, slots=True)
class Share:
    """`calls` out of the ended calls; `rate` is None when no call ended."""

    calls: int
    rate: float | None

    def to_json(self) -> dict[str, Any]:
        return {"calls": self.calls, "rate": self.rate}


@dataclass(frozen=True, slots=True)
class Percentiles:
    """Nearest-rank percentiles of a time over `calls` calls (None when there are none)."""

    calls: int
    p50_s: float | None
    p90_s: float | None

    def to_json(self) -> dict[str, Any]:
        return {"calls": self.calls, "p50_s": self.p50_s, "p90_s": self.p90_s}


@dataclass(frozen=True, slots=True)
class Summary:
    """Call-level figures of a set of calls (all flows, one flow, or one flow version).

    Every ended call falls in exactly one of: `self_service` (the flow ended it on purpose:
    `completed`, or a hangup node), `reached_person` (`queued`: an agent answered, or
    `transferred`), `voicemail`, `abandoned` (`caller_hangup`: the caller hung up before a
    person or a voicemail), `failed` (`error`, or the default hang-up after a failure with no
    branch), `interrupted` (the runtime, not the caller, ended it: `shutdown` when it stopped,
    `lost` when it died mid-call), `other` (an outcome this report does not know).
    """

    calls: int
    ended: int
    outcomes: dict[str, int]
    self_service: Share
    reached_person: Share
    voicemail: Share
    abandoned: Share
    abandoned_in_queue: int
    failed: Share
    interrupted: Share
    other: Share
    time_to_handoff: Percentiles  # call start -> entering the queue/transfer that reached a person
    time_to_person: Percentiles  # call start -> the agent answered / the transfer went through
    duration: Percentiles  # call start -> call end
    callbacks: int

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "ended": self.ended,
            "not_ended": self.calls - self.ended,
            "outcomes": dict(self.outcomes),
            "self_service": self.self_service.to_json(),
            "reached_person": self.reached_person.to_json(),
            "voicemail": self.voicemail.to_json(),
            "abandoned": {**self.abandoned.to_json(), "in_queue": self.abandoned_in_queue},
            "failed": self.failed.to_json(),
            "interrupted": self.interrupted.to_json(),
            "other": self.other.to_json(),
            "time_to_handoff": self.time_to_handoff.to_json(),
            "time_to_person": self.time_to_person.to_json(),
            "duration": self.duration.to_json(),
            "callbacks": self.callbacks,
        }


@dataclass(frozen=True, slots=True)
class VersionReport:
    """One flow version (IR content hash) and the calls it served."""

    version: str
    first_call: datetime
    last_call: datetime
    summary: Summary

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "first_call": _iso(self.first_call),
            "last_call": _iso(self.last_call),
            **self.summary.to_json(),
        }


@dataclass(frozen=True, slots=True)
class LeavePoint:
    """A node where callers hung up (`caller_hangup`); `share` of all such hang-ups."""

    flow: str
    node: str
    kind: str | None
    calls: int
    share: float

    def to_json(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "node": self.node,
            "kind": self.kind,
            "calls": self.calls,
            "share": self.share,
        }


@dataclass(frozen=True, slots=True)
class NodeVisits:
    node: str
    kind: str
    visits: int
    calls: int
    avg_s: float | None  # mean time spent in the node per visit

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "kind": self.kind,
            "visits": self.visits,
            "calls": self.calls,
            "avg_s": self.avg_s,
        }


@dataclass(frozen=True, slots=True)
class InputStats:
    """A menu or collect: how often callers failed there.

    `no_input` and `no_match` count failed attempts (an attempt is one prompt-and-answer);
    they are read from the inputs the steps record, so visits whose input is masked
    (`masked`) add to `visits` and `gave_up` only. `gave_up` counts visits that ended in the
    node's failure path (its `on_fail`, or the default hang-up).
    """

    node: str
    kind: str
    visits: int
    masked: int
    no_input: int
    no_match: int
    gave_up: int
    gave_up_rate: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "kind": self.kind,
            "visits": self.visits,
            "masked": self.masked,
            "no_input": self.no_input,
            "no_match": self.no_match,
            "gave_up": self.gave_up,
            "gave_up_rate": self.gave_up_rate,
        }


@dataclass(frozen=True, slots=True)
class LookupStats:
    """A fetch node: look-ups that failed (`error`: no answer or not 2xx; `timeout`)."""

    node: str
    visits: int
    errors: int
    timeouts: int
    failure_rate: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "visits": self.visits,
            "errors": self.errors,
            "timeouts": self.timeouts,
            "failure_rate": self.failure_rate,
        }


@dataclass(frozen=True, slots=True)
class SurveyQuestion:
    """Answers to one survey question.

    `scale` is inferred from the answers (the journal does not store it): `yes_no` for
    yes/no answers, `0-10` when a number is 0 or above 5, else `1-5`. `average` is the mean
    of the numeric answers (CSAT); `nps` (promoters 9-10 minus detractors 0-6, in % of the
    numeric answers) only for `0-10`.
    """

    question: str
    answers: int
    scale: str
    average: float | None
    nps: float | None
    promoters: int
    passives: int
    detractors: int
    yes: int
    no: int

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answers": self.answers,
            "scale": self.scale,
            "average": self.average,
            "nps": self.nps,
            "promoters": self.promoters,
            "passives": self.passives,
            "detractors": self.detractors,
            "yes": self.yes,
            "no": self.no,
        }


@dataclass(frozen=True, slots=True)
class FlowReport:
    flow: str
    summary: Summary
    versions: tuple[VersionReport, ...] = ()
    leave_points: tuple[LeavePoint, ...] = ()
    inputs: tuple[InputStats, ...] = ()
    lookups: tuple[LookupStats, ...] = ()
    survey: tuple[SurveyQuestion, ...] = ()
    nodes: tuple[NodeVisits, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            **self.summary.to_json(),
            "versions": [v.to_json() for v in self.versions],
            "leave_points": [p.to_json() for p in self.leave_points],
            "inputs": [i.to_json() for i in self.inputs],
            "lookups": [x.to_json() for x in self.lookups],
            "survey": [q.to_json() for q in self.survey],
            "nodes": [n.to_json() for n in self.nodes],
        }


@dataclass(frozen=True, slots=True)
class Report:
    journal: str  # the journal URL, password masked
    filters: Filters
    overall: Summary
    leave_points: tuple[LeavePoint, ...] = ()  # over every flow
    flows: tuple[FlowReport, ...] = field(default_factory=tuple)
    skipped_rows: int = 0  # journal rows with a value that could not be read: left out
    unreadable_details: int = 0  # call ends whose detail is not JSON: detail ignored

    @property
    def empty(self) -> bool:
        return self.overall.calls == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "journal": self.journal,
            "filters": self.filters.to_json(),
            "overall": {
                **self.overall.to_json(),
                "leave_points": [p.to_json() for p in self.leave_points],
            },
            "flows": [f.to_json() for f in self.flows],
            "skipped_rows": self.skipped_rows,
            "unreadable_details": self.unreadable_details,
        }
