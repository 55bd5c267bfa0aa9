"""What a change does to recorded calls: the calls that reach a node the change touches
(`flowc diff A B --journal URL`: "this change moves N calls/day")."""

from __future__ import annotations

from typing import Any

from flowc.diff.core import FlowDiff
from flowc.render_graph.traffic import Traffic

__all__ = ["moves", "moves_text", "touched_nodes"]


def touched_nodes(d: FlowDiff) -> set[str]:
    """The old version's nodes a call is treated differently at: removed and changed nodes
    and the nodes whose edges go elsewhere (named as in the old version, as the journal
    recorded them)."""
    back = {new: old for old, new in d.renamed}
    out = set(d.removed)
    out.update(back.get(c.node, c.node) for c in d.changed)
    out.update(back.get(e.source, e.source) for e in d.edges)
    return out


def moves(traffic: Traffic) -> dict[str, Any]:
    """The figures: calls recorded, how many reached a touched node, per day, the span."""
    return {
        "calls": traffic.calls,
        "reaching_changes": traffic.watched,
        "share_pct": round(100 * traffic.share(traffic.watched), 1),
        "per_day": round(traffic.per_day(traffic.watched), 1),
        "days": round(traffic.days, 2),
        "since": traffic.since.isoformat() if traffic.since else None,
        "until": traffic.until.isoformat() if traffic.until else None,
        "nodes": sorted(traffic.watch),
    }


def moves_text(traffic: Traffic) -> str:
    m = moves(traffic)
    return (
        f"this change moves {m['per_day']:,g} calls/day: {m['reaching_changes']:,} of"
        f" {m['calls']:,} recorded calls ({m['share_pct']:g}%) over {m['days']:g} day(s)"
        " reach a changed node"
    )
