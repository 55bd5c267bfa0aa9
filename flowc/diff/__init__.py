"""Semantic diffs of flows: what changed for callers, for pull-request reviews."""

from flowc.diff.core import (
    AttrChange,
    EdgeChange,
    FlowDiff,
    NodeChange,
    ReachChange,
    diff_flows,
)
from flowc.diff.render import diff_dot, diff_graph, to_json, to_markdown, to_text

__all__ = [
    "AttrChange",
    "EdgeChange",
    "FlowDiff",
    "NodeChange",
    "ReachChange",
    "diff_dot",
    "diff_flows",
    "diff_graph",
    "to_json",
    "to_markdown",
    "to_text",
]
