"""From journal rows to a `Report`: outcome categories, percentiles, failures at nodes.

What the journal records, and how it is read here (the runtime writes it in
`runtime/call/journaling.py`; the interpreter decides the texts in `flowc/interpreter/call.py`):

* a call's end `outcome` is the interpreter's outcome kind (`completed`, `hangup`, `queued`,
  `transferred`, `voicemail`, `caller_hangup`, `error`); a `hangup` whose detail has a
  `reason` is the default hang-up after a failure with no branch ("a failed menu", ...);
* a step's `outcome` is where the call went next (a node name), or, for the node the call
  ended in, the outcome kind; a queue step whose agent answered has `answered`;
* a step's `why` is the last decision of the node before it: "menu failed 3 times: go to
  ...", "nothing valid collected after 3 tries (no input)", "crm failed (timeout): go to ...";
* a menu or collect step's `input` lists what the caller entered there, comma-separated, one
  entry per attempt: the keys, ``say:<words>``, ``timeout`` (nothing pressed), ``failure``
  (an entry refused by the switch), ``no_input`` / ``no_match`` (speech); ``****`` when the
  input is sensitive. Inputs are only counted here, never copied into the report.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from runtime.journal.records import LOST, MASK, SHUTDOWN

from .model import (
    Filters,
    FlowReport,
    InputStats,
    LeavePoint,
    LookupStats,
    NodeVisits,
    Percentiles,
    Report,
    Share,
    Summary,
    SurveyQuestion,
    VersionReport,
)
from .queries import CallbackRow, CallRow, NodeRow, SurveyRow, VersionRow, VisitRow

__all__ = ["OUTCOME_ORDER", "VisitResult", "build", "classify_visit", "percentile", "summarize"]

OUTCOME_ORDER = (
    "completed",
    "hangup",
    "queued",
    "transferred",
    "voicemail",
    "caller_hangup",
    "error",
    "shutdown",
    "lost",
)
_PERSON = frozenset({"queued", "transferred"})
# Ended by the runtime, not by the flow or the caller: a drain at shutdown, or a runtime that
# died mid-call (closed as `lost` by the next start).
_INTERRUPTED = frozenset({SHUTDOWN, LOST})

_NO_INPUT = frozenset({"timeout", "no_input"})
# The start of an attempt's entry: the rest of a comma-split fragment belongs to speech words.
_ENTRY = re.compile(r"say:|(?:[0-9*#A-D]+|timeout|failure|no_input|no_match)$")
_FETCH_FAILED = re.compile(r" failed \((error|timeout)\): go to ")
_FETCH_ENDED = re.compile(r"^a failed fetch \((error|timeout)\)$")

_GAVE_UP_WHY = {
    "menu": ("menu failed ",),
    "collect": ("nothing valid collected after ", "entry not confirmed"),
}
_GAVE_UP_END = {
    "menu": frozenset({"a failed menu"}),
    "collect": frozenset({"a failed collect", "an unconfirmed entry"}),
}


def percentile(values: Sequence[int], p: int) -> int:
    """The nearest-rank `p`-th percentile of sorted `values` (not empty)."""
    rank = max(1, -(-p * len(values) // 100))
    return values[rank - 1]


def _seconds(us: int) -> float:
    return round(us / 1_000_000, 3)


def _percentiles(values: Iterable[int]) -> Percentiles:
    ordered = sorted(values)
    if not ordered:
        return Percentiles(0, None, None)
    return Percentiles(
        len(ordered), _seconds(percentile(ordered, 50)), _seconds(percentile(ordered, 90))
    )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _category(row: CallRow) -> str | None:
    outcome = row.outcome
    if outcome is None:
        return None
    if outcome == "completed" or (outcome == "hangup" and not row.reason):
        return "self_service"
    if outcome in _PERSON:
        return "reached_person"
    if outcome == "voicemail":
        return "voicemail"
    if outcome == "caller_hangup":
        return "abandoned"
    if outcome in _INTERRUPTED:
        return "interrupted"
    if outcome in ("error", "hangup"):
        return "failed"
    return "other"


def _outcome_key(item: tuple[str, int]) -> tuple[int, str]:
    name = item[0]
    return (OUTCOME_ORDER.index(name) if name in OUTCOME_ORDER else len(OUTCOME_ORDER), name)


def summarize(rows: Sequence[CallRow], callbacks: int) -> Summary:
    ended = [r for r in rows if r.outcome is not None]
    outcomes = Counter(r.outcome for r in ended if r.outcome is not None)
    categories = Counter(_category(r) for r in ended)
    n = len(ended)

    def share(category: str) -> Share:
        return Share(categories[category], _rate(categories[category], n))

    person = [r for r in ended if r.outcome in _PERSON and r.handoff_us is not None]
    return Summary(
        calls=len(rows),
        ended=n,
        outcomes=dict(sorted(outcomes.items(), key=_outcome_key)),
        self_service=share("self_service"),
        reached_person=share("reached_person"),
        voicemail=share("voicemail"),
        abandoned=share("abandoned"),
        abandoned_in_queue=sum(
            1 for r in ended if r.outcome == "caller_hangup" and r.end_kind == "queue"
        ),
        failed=share("failed"),
        interrupted=share("interrupted"),
        other=share("other"),
        time_to_handoff=_percentiles(r.handoff_us for r in person if r.handoff_us is not None),
        time_to_person=_percentiles(
            r.handoff_us + 1000 * (r.handoff_ms or 0) for r in person if r.handoff_us is not None
        ),
        duration=_percentiles(r.duration_us for r in ended if r.duration_us is not None),
        callbacks=callbacks,
    )


def _leave_points(rows: Iterable[CallRow]) -> list[LeavePoint]:
    counts: Counter[tuple[str, str, str | None]] = Counter(
        (r.flow, r.end_node or "?", r.end_kind) for r in rows if r.outcome == "caller_hangup"
    )
    total = sum(counts.values())
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1], kv[0][2] or ""))
    return [
        LeavePoint(flow, node, kind, n, round(n / total, 4)) for (flow, node, kind), n in ordered
    ]


# ---- menus, collects, look-ups -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VisitResult:
    """What one menu/collect/fetch visit tells: failed attempts, and how the node ended."""

    masked: bool = False
    no_input: int = 0
    no_match: int = 0
    gave_up: bool = False
    lookup_failure: str | None = None  # `error` or `timeout`


def _entries(text: str) -> list[str]:
    """The attempts in a step's `input` (speech words may themselves hold commas)."""
    out: list[str] = []
    for part in text.split(","):
        if out and out[-1].startswith("say:") and not _ENTRY.match(part):
            out[-1] += "," + part
        else:
            out.append(part)
    return out


def classify_visit(
    kind: str, text: str | None, next_why: str | None, end_reason: str | None
) -> VisitResult:
    """Read one visit (see the module docstring for what the fields hold)."""
    if kind == "fetch":
        found = _FETCH_FAILED.search(next_why) if next_why is not None else None
        if found is None and next_why is None and end_reason is not None:
            found = _FETCH_ENDED.match(end_reason)
        return VisitResult(lookup_failure=found.group(1) if found else None)
    gave_up = (next_why is not None and next_why.startswith(_GAVE_UP_WHY.get(kind, ()))) or (
        next_why is None and end_reason in _GAVE_UP_END.get(kind, frozenset())
    )
    if text == MASK:
        return VisitResult(masked=True, gave_up=gave_up)
    entries = _entries(text) if text else []
    # A visit that went on (not to its failure path) ended with an accepted entry; a
    # confirmed collect with an entry and its confirmation key.
    accepted = 0
    if next_why is not None and not gave_up and entries:
        accepted = 2 if kind == "collect" and next_why == "entry confirmed (1)" else 1
    failed = entries[: max(0, len(entries) - accepted)]
    no_input = sum(1 for e in failed if e in _NO_INPUT)
    return VisitResult(no_input=no_input, no_match=len(failed) - no_input, gave_up=gave_up)


@dataclass(slots=True)
class _NodeTally:
    kind: str
    visits: int = 0
    masked: int = 0
    no_input: int = 0
    no_match: int = 0
    gave_up: int = 0
    errors: int = 0
    timeouts: int = 0


def _tally_visits(
    visits: Iterable[VisitRow],
) -> dict[str, dict[tuple[str, str], _NodeTally]]:
    by_flow: dict[str, dict[tuple[str, str], _NodeTally]] = defaultdict(dict)
    for v in visits:
        tally = by_flow[v.flow].setdefault((v.node, v.kind), _NodeTally(v.kind))
        result = classify_visit(v.kind, v.input, v.next_why, v.end_reason)
        tally.visits += 1
        tally.masked += result.masked
        tally.no_input += result.no_input
        tally.no_match += result.no_match
        tally.gave_up += result.gave_up
        tally.errors += result.lookup_failure == "error"
        tally.timeouts += result.lookup_failure == "timeout"
    return by_flow


def _inputs(tallies: dict[tuple[str, str], _NodeTally]) -> tuple[InputStats, ...]:
    rows = [
        InputStats(
            node,
            kind,
            t.visits,
            t.masked,
            t.no_input,
            t.no_match,
            t.gave_up,
            _rate(t.gave_up, t.visits),
        )
        for (node, kind), t in tallies.items()
        if kind != "fetch"
    ]
    return tuple(sorted(rows, key=lambda r: (-r.gave_up, -(r.no_input + r.no_match), r.node)))


def _lookups(tallies: dict[tuple[str, str], _NodeTally]) -> tuple[LookupStats, ...]:
    rows = [
        LookupStats(node, t.visits, t.errors, t.timeouts, _rate(t.errors + t.timeouts, t.visits))
        for (node, kind), t in tallies.items()
        if kind == "fetch"
    ]
    return tuple(sorted(rows, key=lambda r: (-(r.errors + r.timeouts), -r.visits, r.node)))


# ---- survey, nodes ------------------------------------------------------------------------------


def _survey(rows: Iterable[SurveyRow]) -> tuple[SurveyQuestion, ...]:
    by_question: dict[str, list[SurveyRow]] = defaultdict(list)
    for r in rows:
        by_question[r.question].append(r)
    out: list[SurveyQuestion] = []
    for question in sorted(by_question):
        answers = by_question[question]
        numbers = [(r.value_int, r.answers) for r in answers if r.value_int is not None]
        counted = sum(n for _, n in numbers)
        yes = sum(r.answers for r in answers if r.value_int is None and r.value_text == "yes")
        no = sum(r.answers for r in answers if r.value_int is None and r.value_text == "no")
        if counted and any(v == 0 or v > 5 for v, _ in numbers):
            scale = "0-10"
        elif counted:
            scale = "1-5"
        elif yes or no:
            scale = "yes_no"
        else:
            scale = "text"
        promoters = sum(n for v, n in numbers if v >= 9) if scale == "0-10" else 0
        detractors = sum(n for v, n in numbers if v <= 6) if scale == "0-10" else 0
        passives = counted - promoters - detractors if scale == "0-10" else 0
        out.append(
            SurveyQuestion(
                question=question,
                answers=sum(r.answers for r in answers),
                scale=scale,
                average=round(sum(v * n for v, n in numbers) / counted, 2) if counted else None,
                nps=round(100 * (promoters - detractors) / counted, 1) if scale == "0-10" else None,
                promoters=promoters,
                passives=passives,
                detractors=detractors,
                yes=yes,
                no=no,
            )
        )
    return tuple(out)


def _nodes(rows: Iterable[NodeRow]) -> tuple[NodeVisits, ...]:
    out = [
        NodeVisits(r.node, r.kind, r.visits, r.calls, _seconds(r.total_ms * 1000 // r.visits))
        for r in rows
    ]
    return tuple(sorted(out, key=lambda n: (-n.visits, n.node, n.kind)))


# ---- the report ---------------------------------------------------------------------------------


def build(
    journal: str,
    filters: Filters,
    calls: Sequence[CallRow],
    versions: Sequence[VersionRow],
    nodes: Sequence[NodeRow],
    visits: Iterable[VisitRow],
    survey: Sequence[SurveyRow],
    callbacks: Sequence[CallbackRow],
) -> Report:
    """The report of the rows the queries returned for `filters`."""
    calls_by: dict[str, list[CallRow]] = defaultdict(list)
    for row in calls:
        calls_by[row.flow].append(row)
    callbacks_by: Counter[tuple[str, str]] = Counter()
    for cb in callbacks:
        callbacks_by[(cb.flow, cb.version)] += cb.requests
    versions_by: dict[str, list[VersionRow]] = defaultdict(list)
    for v in versions:
        versions_by[v.flow].append(v)
    nodes_by: dict[str, list[NodeRow]] = defaultdict(list)
    for n in nodes:
        nodes_by[n.flow].append(n)
    survey_by: dict[str, list[SurveyRow]] = defaultdict(list)
    for s in survey:
        survey_by[s.flow].append(s)
    tallies = _tally_visits(visits)

    def flow_callbacks(flow: str, version: str | None = None) -> int:
        return sum(n for (f, v), n in callbacks_by.items() if f == flow and version in (None, v))

    flows: list[FlowReport] = []
    for flow in sorted(set(calls_by) | set(filters.flows)):
        rows = calls_by.get(flow, [])
        version_reports = tuple(
            VersionReport(
                v.version,
                v.first_call,
                v.last_call,
                summarize(
                    [r for r in rows if r.version == v.version], flow_callbacks(flow, v.version)
                ),
            )
            for v in sorted(versions_by.get(flow, []), key=lambda v: (v.first_call, v.version))
        )
        flow_tallies = tallies.get(flow, {})
        flows.append(
            FlowReport(
                flow=flow,
                summary=summarize(rows, flow_callbacks(flow)),
                versions=version_reports,
                leave_points=tuple(_leave_points(rows)),
                inputs=_inputs(flow_tallies),
                lookups=_lookups(flow_tallies),
                survey=_survey(survey_by.get(flow, [])),
                nodes=_nodes(nodes_by.get(flow, [])),
            )
        )
    return Report(
        journal=journal,
        filters=filters,
        overall=summarize(calls, sum(callbacks_by.values())),
        leave_points=tuple(_leave_points(calls)),
        flows=tuple(flows),
    )
