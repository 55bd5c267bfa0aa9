"""Traffic on a flow: how many recorded calls reached each node and took each edge, and where
they left the flow (hung up, ran out of retries, went to a person). Plain data: the runtime
reads a journal into `CallSteps` (`runtime.journal.traffic_read`), `count_traffic` counts
them, and the drawing (flowc.render_graph.dot) sizes edges and colours nodes by the counts.

Counts are calls, not visits: a call that went round a loop three times counts once on each
node and edge of the loop, so a share is "this fraction of the calls came here".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "FAILED",
    "HANGUP",
    "HEAT_COLOURS",
    "PERSON",
    "CallSteps",
    "NodeTraffic",
    "Traffic",
    "TrafficCounter",
    "count_traffic",
    "edge_numbers",
    "edge_width",
    "heat_colours",
    "node_heat",
    "node_numbers",
]

HANGUP = "hangup"
FAILED = "failed"
PERSON = "person"

# (fill, border) per way of leaving; the fill is mixed with white by the node's share.
HEAT_COLOURS: dict[str, tuple[str, str]] = {
    HANGUP: ("#ef4444", "#991b1b"),  # red: callers hang up here
    FAILED: ("#a855f7", "#6b21a8"),  # purple: retries exhausted (no input / no match)
    PERSON: ("#22c55e", "#166534"),  # green: the call goes to a person (queue, transfer)
}
QUIET = ("#f8fafc", "#94a3b8")  # nobody leaves here
UNUSED = ("#ffffff", "#cbd5e1")  # no recorded call came here

# Outcomes of the journal (`call_ends.outcome`) that mean the caller hung up.
CALLER_HANGUPS = frozenset({"caller_hangup", "abandoned"})
# `why` of the step after a node whose retries ran out (flowc.interpreter.call decisions).
_FAILED_WHY = ("menu failed ", "nothing valid collected after ")
_ESCALATED = " failed inputs in this call: escalate to "
# `why` of a step entered by a failure branch (on_fail, on_error, on_timeout, on_no_agent).
_FAILURE_BRANCH = re.compile(
    r"^menu failed |^nothing valid collected |^entry not confirmed|^the transfer target is empty"
    r"| failed \(|^queue .* ended: (timeout|no_agent): "
)
# `reason` of the default hang-up after a failed input (no failure branch).
_FAILED_REASONS = frozenset({"no input", "a failed menu", "a failed collect"})
PERSON_KINDS = frozenset({"queue", "transfer"})

MIN_WIDTH = 1.0
MAX_WIDTH = 12.0


@dataclass(frozen=True, slots=True)
class CallSteps:
    """One recorded call as the heat map needs it: the nodes entered in order with why each
    was entered (the journal's steps), and how and where the call ended."""

    started_at: datetime
    steps: Sequence[tuple[str, str]]  # (node, why)
    outcome: str | None = None  # call_ends.outcome; None when the call has not ended
    end_node: str | None = None
    end_reason: str | None = None  # the interpreter's reason for a default hang-up


@dataclass
class NodeTraffic:
    calls: int = 0  # calls that entered the node
    hangups: int = 0  # calls whose caller hung up while here
    failed: int = 0  # calls whose retries ran out here
    ends: int = 0  # calls that ended here, however


@dataclass
class Traffic:
    """Counts over `calls` recorded calls of one flow started between `since` and `until`."""

    calls: int = 0
    since: datetime | None = None
    until: datetime | None = None
    nodes: dict[str, NodeTraffic] = field(default_factory=dict)
    edges: dict[tuple[str, str], int] = field(default_factory=dict)
    # Of `edges`, the calls that went from one node to the other by a failure branch.
    failure_edges: dict[tuple[str, str], int] = field(default_factory=dict)
    # Calls that entered at least one of the watched nodes (a diff's changed nodes).
    watch: frozenset[str] = frozenset()
    watched: int = 0

    @property
    def days(self) -> float:
        """The span the calls cover, in days (at least one: a day's calls are per day)."""
        if self.since is None or self.until is None:
            return 1.0
        return max((self.until - self.since).total_seconds() / 86400.0, 1.0)

    def node(self, name: str) -> NodeTraffic:
        return self.nodes.get(name) or NodeTraffic()

    def share(self, count: int) -> float:
        return count / self.calls if self.calls else 0.0

    def per_day(self, count: int) -> float:
        return count / self.days

    def renamed(self, names: Mapping[str, str]) -> Traffic:
        """The same counts with nodes renamed (`names`: old -> new), for a diff drawing."""
        return Traffic(
            calls=self.calls,
            since=self.since,
            until=self.until,
            nodes={names.get(n, n): t for n, t in self.nodes.items()},
            edges={(names.get(u, u), names.get(v, v)): c for (u, v), c in self.edges.items()},
            failure_edges={
                (names.get(u, u), names.get(v, v)): c for (u, v), c in self.failure_edges.items()
            },
            watch=frozenset(names.get(n, n) for n in self.watch),
            watched=self.watched,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "calls": self.calls,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "nodes": {
                n: {"calls": t.calls, "hangups": t.hangups, "failed": t.failed, "ends": t.ends}
                for n, t in sorted(self.nodes.items())
            },
            "edges": [
                [u, v, c, self.failure_edges.get((u, v), 0)]
                for (u, v), c in sorted(self.edges.items())
            ],
            "watched": self.watched,
        }


def _failed_step(why: str) -> bool:
    return why.startswith(_FAILED_WHY) or _ESCALATED in why


class TrafficCounter:
    """Counts calls one at a time (a journal is read in chunks, never all at once)."""

    def __init__(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        watch: Iterable[str] = (),
        hide: Iterable[str] = (),
    ) -> None:
        self.traffic = Traffic(since=since, until=until, watch=frozenset(watch))
        self._first: datetime | None = None
        self._last: datetime | None = None
        # Subflow modules not drawn (`flow.` prefixes): their steps count on the node that
        # called them, so the caller's `next` edge carries the calls that came back.
        self._hide = tuple(hide)

    def _hidden(self, node: str) -> bool:
        return bool(self._hide) and node.startswith(self._hide)

    def add(self, call: CallSteps) -> None:
        """Count one call; a call that has not ended is left out."""
        if call.outcome is None:
            return
        out = self.traffic
        out.calls += 1
        if self._first is None or call.started_at < self._first:
            self._first = call.started_at
        if self._last is None or call.started_at > self._last:
            self._last = call.started_at
        seen: set[str] = set()
        taken: set[tuple[str, str]] = set()
        taken_failing: set[tuple[str, str]] = set()
        failed_at: set[str] = set()
        prev: str | None = None
        last_step: str | None = None
        for step, why in call.steps:
            last_step = step
            node = prev if self._hidden(step) and prev is not None else step
            if node not in seen:
                seen.add(node)
                out.nodes.setdefault(node, NodeTraffic()).calls += 1
            if prev is not None and prev != node:
                if (prev, node) not in taken:
                    taken.add((prev, node))
                    out.edges[(prev, node)] = out.edges.get((prev, node), 0) + 1
                if _FAILURE_BRANCH.search(why) and (prev, node) not in taken_failing:
                    taken_failing.add((prev, node))
                    fe = out.failure_edges
                    fe[(prev, node)] = fe.get((prev, node), 0) + 1
            if prev is not None and _failed_step(why):
                failed_at.add(prev)
            prev = node
        end = call.end_node
        if end is None or (last_step is not None and last_step.endswith("." + end)):
            # Inside a subflow the end names the module's node without its `flow.` prefix.
            end = last_step
        if end is not None and self._hidden(end):
            end = prev
        if end is not None:
            at_end = out.nodes.setdefault(end, NodeTraffic())
            at_end.ends += 1
            if call.outcome in CALLER_HANGUPS:
                at_end.hangups += 1
            elif call.outcome == "hangup" and call.end_reason in _FAILED_REASONS:
                failed_at.add(end)
        for node in failed_at:
            out.nodes.setdefault(node, NodeTraffic()).failed += 1
        if out.watch and not out.watch.isdisjoint(seen):
            out.watched += 1

    def result(self) -> Traffic:
        """The counts; the span defaults to the first and last counted call's start."""
        out = self.traffic
        if out.since is None:
            out.since = self._first
        if out.until is None:
            out.until = self._last
        return out


def count_traffic(
    calls: Iterable[CallSteps],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    watch: Iterable[str] = (),
    hide: Iterable[str] = (),
) -> Traffic:
    """Count `calls` (ended ones; others are left out). `since`/`until` bound the span the
    per-day figures use; without them, the first and last call's start. `watched` counts
    the calls that entered any node of `watch`; nodes starting with a `hide` prefix (a
    subflow module not drawn) count on the node before them."""
    counter = TrafficCounter(since=since, until=until, watch=watch, hide=hide)
    for call in calls:
        counter.add(call)
    return counter.result()


def node_heat(traffic: Traffic, kind: str, node: str) -> tuple[str | None, int]:
    """How most calls that leave the flow at `node` leave it (HANGUP, FAILED, PERSON, or None
    when none do) and how many calls that is."""
    t = traffic.node(node)
    person = t.calls if kind in PERSON_KINDS else 0
    ways = [(HANGUP, t.hangups), (FAILED, t.failed), (PERSON, person)]
    way, count = max(ways, key=lambda w: w[1])
    return (way, count) if count > 0 else (None, 0)


def _mix(colour: str, amount: float) -> str:
    """`colour` mixed with white: `amount` 0 is white, 1 the colour itself."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    a = min(max(amount, 0.0), 1.0)
    return "#" + "".join(f"{round(255 - (255 - c) * a):02x}" for c in (r, g, b))


def heat_colours(traffic: Traffic, kind: str, node: str) -> tuple[str, str]:
    """(fill, border) of a node: the colour of how calls leave there, stronger the bigger
    the share of all calls; pale grey when nobody leaves there, white when nobody came."""
    if traffic.node(node).calls == 0:
        return UNUSED
    way, count = node_heat(traffic, kind, node)
    if way is None:
        return QUIET
    fill, border = HEAT_COLOURS[way]
    # A square root: a node where 10% leave is clearly coloured, 100% fully.
    return _mix(fill, 0.3 + 0.7 * math.sqrt(traffic.share(count))), border


def edge_width(traffic: Traffic, count: int) -> float:
    """Pen width of an edge `count` calls took: MIN_WIDTH for none, MAX_WIDTH for the busiest
    edge of the drawing, proportional in between (widths compare like the counts do)."""
    busiest = max(traffic.edges.values(), default=0)
    if busiest <= 0 or count <= 0:
        return MIN_WIDTH
    return round(MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * count / busiest, 2)


def node_numbers(traffic: Traffic, kind: str, node: str) -> str:
    """The numbers shown on a node: calls and share, then how many leave and how."""
    t = traffic.node(node)
    text = f"{t.calls:,} call{'' if t.calls == 1 else 's'} · {100 * traffic.share(t.calls):.0f}%"
    parts = []
    if t.hangups:
        parts.append(f"{t.hangups:,} hang up")
    if t.failed:
        parts.append(f"{t.failed:,} fail")
    if kind in PERSON_KINDS and t.calls:
        parts.append(f"{t.calls:,} to a person")
    return text + ("  ·  " + ", ".join(parts) if parts else "")


def edge_numbers(traffic: Traffic, count: int) -> str:
    return f"{count:,} · {100 * traffic.share(count):.0f}%"
