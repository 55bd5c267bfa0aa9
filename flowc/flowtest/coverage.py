"""Coverage of a flow by its scenarios: nodes entered, menu options chosen, edges taken.

The universe is every edge of the compiled flow and of the subflow modules it calls
(`flowc.simulate.edges.flow_edges`, labelled like `flowc.analysis.graph`): menu keys, spoken
keywords and the agent key ("menu options"), failure and outcome branches (`on_fail`,
`on_error`, `on_timeout`, `on_no_agent`, `on_exit`, hours outcomes, `after`: "outcome edges"),
switch rules and defaults, `next`, and the `call`/`return` edges of subflows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flowc.simulate.edges import MENU_KINDS, Edge, EdgeKey, FlowEdges


@dataclass
class Count:
    covered: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * self.covered / self.total

    def __str__(self) -> str:
        return f"{self.covered}/{self.total}"

    def to_json(self) -> dict[str, Any]:
        return {"covered": self.covered, "total": self.total, "percent": round(self.percent, 1)}


@dataclass
class FlowCoverage:
    flow: str
    file: str
    graph: FlowEdges
    taken: set[EdgeKey] = field(default_factory=set)
    visited: set[str] = field(default_factory=set)
    scenarios: int = 0

    def add(self, path: Iterable[str], edges: Iterable[EdgeKey]) -> None:
        self.scenarios += 1
        self.visited.update(path)
        self.taken.update(edges)

    def _count(self, edges: Sequence[Edge]) -> Count:
        return Count(sum(1 for e in edges if e.key in self.taken), len(edges))

    @property
    def nodes(self) -> Count:
        return Count(sum(1 for n in self.graph.nodes if n in self.visited), len(self.graph.nodes))

    @property
    def menu_options(self) -> Count:
        return self._count([e for e in self.graph.edges if e.kind in MENU_KINDS])

    @property
    def outcome_edges(self) -> Count:
        return self._count([e for e in self.graph.edges if e.kind == "outcome"])

    @property
    def edges(self) -> Count:
        return self._count(self.graph.edges)

    def uncovered(self) -> list[Edge]:
        return [e for e in self.graph.edges if e.key not in self.taken]

    def unvisited(self) -> list[str]:
        return [n for n in self.graph.nodes if n not in self.visited]

    def to_json(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "file": self.file,
            "scenarios": self.scenarios,
            "nodes": self.nodes.to_json(),
            "menu_options": self.menu_options.to_json(),
            "outcome_edges": self.outcome_edges.to_json(),
            "edges": self.edges.to_json(),
            "unvisited_nodes": self.unvisited(),
            "uncovered_edges": [
                {"from": e.src, "label": e.label, "to": e.dst, "field": e.field, "kind": e.kind}
                for e in self.uncovered()
            ],
        }


def coverage_table(covs: Sequence[FlowCoverage], *, list_uncovered: bool = True) -> str:
    """A plain-text table, one row per flow, then the uncovered edges of each flow."""
    header = ("flow", "scenarios", "nodes", "menu options", "outcome edges", "edges", "cover")
    rows = [
        (
            c.flow,
            str(c.scenarios),
            str(c.nodes),
            str(c.menu_options),
            str(c.outcome_edges),
            str(c.edges),
            f"{c.edges.percent:.1f}%",
        )
        for c in covs
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [
            v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells).rstrip()

    lines = [fmt(header), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in rows]
    if list_uncovered:
        for c in covs:
            missing = c.uncovered()
            if not missing:
                continue
            lines.append("")
            lines.append(f"{c.flow}: {len(missing)} edge(s) not covered")
            for e in missing:
                lines.append(f"  {e.src} --{e.label}--> {e.dst}")
            unvisited = c.unvisited()
            if unvisited:
                lines.append(f"  nodes never entered: {', '.join(unvisited)}")
    return "\n".join(lines)
