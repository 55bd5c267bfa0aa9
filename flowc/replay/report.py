"""The replay report: counts by kind, the top divergent paths with example calls, the nodes
where calls part from what they did, and the share of calls that would end differently.
Rendered as text, markdown (for a pull request) or JSON."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flowc.replay.engine import (
    DIFFERENT_END,
    DIFFERENT_PATH,
    INPUTS_NO_LONGER_FIT,
    KINDS,
    NEW_PROMPTS,
    SAME,
    UNRECORDED_LOOKUP,
    UNRECORDED_OUTCOME,
    Replayed,
)
from flowc.replay.format import RecordedCall

EXAMPLES = 3
TOP = 10
LABELS = {
    SAME: "same path and end",
    DIFFERENT_END: "different end",
    DIFFERENT_PATH: "different path, same end",
    NEW_PROMPTS: "new prompts heard",
    UNRECORDED_LOOKUP: "a look-up not recorded",
    UNRECORDED_OUTCOME: "a queue or transfer not recorded",
    INPUTS_NO_LONGER_FIT: "inputs that no longer fit",
}


@dataclass(slots=True)
class Report:
    bundle: str = ""
    calls: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    paths: list[dict[str, Any]] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    from_steps: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)  # call ids that do not replay the same
    calls_detail: list[dict[str, Any]] = field(default_factory=list)

    @property
    def identical(self) -> int:
        return self.counts.get(SAME, 0)

    @property
    def ends_changed_pct(self) -> float:
        return 100.0 * self.counts.get(DIFFERENT_END, 0) / self.calls if self.calls else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": self.bundle,
            "calls": self.calls,
            "identical": self.identical,
            "identical_pct": round(100.0 * self.identical / self.calls, 2) if self.calls else 100.0,
            "ends_changed_pct": round(self.ends_changed_pct, 2),
            "counts": {k: self.counts.get(k, 0) for k in KINDS},
            "top_paths": self.paths,
            "nodes": self.nodes,
            "replayed_from_steps_only": self.from_steps,
            "skipped": self.skipped,
            "changed_calls": self.changed,
            "calls_detail": self.calls_detail,
        }


def build_report(
    pairs: Iterable[tuple[RecordedCall, Replayed]],
    *,
    bundle: str = "",
    skipped: dict[str, int] | None = None,
    details: bool = False,
) -> Report:
    report = Report(bundle=bundle, skipped=dict(skipped or {}))
    counts: Counter[str] = Counter()
    splits: dict[tuple[str, str, str], list[str]] = {}
    where: Counter[str] = Counter()
    recorded_reach: Counter[str] = Counter()
    replayed_reach: Counter[str] = Counter()
    replays: list[tuple[RecordedCall, Replayed]] = []
    for rec, res in pairs:
        report.calls += 1
        replays.append((rec, res))
        if rec.source != "log":
            report.from_steps += 1
        if res.identical:
            counts[SAME] += 1
            continue
        report.changed.append(res.call_id)
        counts.update(res.kinds)
        if res.split is not None:
            splits.setdefault(res.split, []).append(res.call_id)
            where[res.split[0]] += 1
        for node in res.new_prompt_nodes:
            where[node] += 1
        if details:
            report.calls_detail.append(res.to_json())
    report.counts = dict(counts)
    ranked = sorted(splits.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:TOP]
    report.paths = [
        {"at": at, "was": was, "now": now, "calls": len(ids), "examples": ids[:EXAMPLES]}
        for (at, was, now), ids in ranked
    ]
    if where:
        for rec, res in replays:
            for node in set(rec.path):
                if node in where:
                    recorded_reach[node] += 1
            for node in set(res.path):
                if node in where:
                    replayed_reach[node] += 1
    report.nodes = [
        {
            "node": node,
            "diverging_calls": n,
            "calls_reaching_recorded": recorded_reach[node],
            "calls_reaching_now": replayed_reach[node],
        }
        for node, n in sorted(where.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return report


def _pct(n: int, total: int) -> str:
    return f"{100.0 * n / total:.1f}%" if total else "-"


def render(report: Report, fmt: str = "text") -> str:
    """The report as `text`, `markdown` or `json`."""
    if fmt == "json":
        return json.dumps(report.to_json(), ensure_ascii=False, indent=2)
    md = fmt == "markdown"
    total = report.calls
    lines: list[str] = []
    head = f"Replay of {total} recorded call(s)" + (
        f" against bundle {report.bundle}" if report.bundle else ""
    )
    lines.append(f"### {head}" if md else head)
    lines.append("")
    same = report.identical
    lines.append(
        f"{same} of {total} ({_pct(same, total)}) identical; "
        f"{report.counts.get(DIFFERENT_END, 0)} ({report.ends_changed_pct:.1f}%) end differently"
    )
    lines.append("")
    if md:
        lines += ["| kind | calls | share |", "|---|---:|---:|"]
    for kind in KINDS:
        n = report.counts.get(kind, 0)
        if md:
            lines.append(f"| {LABELS[kind]} | {n} | {_pct(n, total)} |")
        else:
            lines.append(f"  {LABELS[kind]:<34} {n:>8}  {_pct(n, total):>6}")
    if report.paths:
        lines += ["", "#### Top divergent paths" if md else "Top divergent paths:"]
        if md:
            lines += ["| after | was | now | calls | examples |", "|---|---|---|---:|---|"]
        for p in report.paths:
            ex = ", ".join(p["examples"])
            if md:
                lines.append(f"| `{p['at']}` | `{p['was']}` | `{p['now']}` | {p['calls']} | {ex} |")
            else:
                lines.append(f"  after {p['at']}: was {p['was']}, now {p['now']}: {p['calls']}")
                lines.append(f"      e.g. {ex}")
    if report.nodes:
        lines += ["", "#### Nodes where calls diverge" if md else "Nodes where calls diverge:"]
        if md:
            lines += [
                "| node | diverging calls | reached (recorded) | reached (now) |",
                "|---|---:|---:|---:|",
            ]
        for row in report.nodes:
            if md:
                lines.append(
                    f"| `{row['node']}` | {row['diverging_calls']} | "
                    f"{row['calls_reaching_recorded']} | {row['calls_reaching_now']} |"
                )
            else:
                lines.append(
                    f"  {row['node']}: {row['diverging_calls']} diverging; reached by "
                    f"{row['calls_reaching_recorded']} recorded, {row['calls_reaching_now']} now"
                )
    notes: list[str] = []
    if report.from_steps:
        notes.append(
            f"{report.from_steps} call(s) were journaled before replay data was kept: replayed"
            " from their steps only (inputs, path, end; no look-up answers, queue outcomes or"
            " timings), so look-ups show as not recorded"
        )
    for why, n in sorted(report.skipped.items()):
        notes.append(f"{n} call(s) not replayed: {why}")
    if notes:
        lines += ["", "Notes:" if not md else "#### Notes"]
        lines += [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"
