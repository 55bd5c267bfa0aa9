"""A directed multigraph of plain dicts: what building a call graph and searching routes on it
use of `networkx.MultiDiGraph`, without importing networkx.

`flowc check` searches routes (FL221) on every flow; networkx takes longer to import than
the whole check of a small flow, so the lint path builds this instead. Edges keep the order
networkx gives them (grouped by target in the order targets first appear, then by key), so
route searches break ties the same way on either graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class EdgeGraph:
    """Nodes with attribute dicts, keyed parallel edges with attribute dicts."""

    def __init__(self, **graph_attrs: Any) -> None:
        self.graph: dict[str, Any] = dict(graph_attrs)
        # node -> its attributes (`g.nodes[n]`, `list(g.nodes)`, as in networkx)
        self.nodes: dict[str, dict[str, Any]] = {}
        self._succ: dict[str, dict[str, dict[Any, dict[str, Any]]]] = {}

    def __contains__(self, node: object) -> bool:
        return node in self.nodes

    def add_node(self, node: str, **attrs: Any) -> None:
        if node not in self.nodes:
            self.nodes[node] = {}
            self._succ[node] = {}
        self.nodes[node].update(attrs)

    def add_edge(self, u: str, v: str, key: Any = None, **attrs: Any) -> Any:
        if key is None:  # networkx: the lowest unused integer key
            keyed = self._succ.get(u, {}).get(v, {})
            key = len(keyed)
            while key in keyed:
                key += 1
        self.put_edges(u, [(v, key, attrs)])  # a fresh dict made for this call
        return key

    def put_edges(self, u: str, edges: list[tuple[str, Any, dict[str, Any]]]) -> None:
        """`add_edge(u, v, key=key, **attrs)` for each `(v, key, attrs)` out of one node, the
        graph keeping each fresh `attrs` dict: big flows add an edge per option, and a call
        per edge showed in lint's time."""
        succ = self._succ
        if u not in succ:
            self.add_node(u)
        out = succ[u]
        for v, key, attrs in edges:
            if v not in succ:
                self.add_node(v)
            keyed = out.get(v)
            if keyed is None:
                out[v] = {key: attrs}
            elif key in keyed:
                keyed[key].update(attrs)
            else:
                keyed[key] = attrs

    def out_edges(self, u: str, data: bool = False) -> Iterator[tuple[Any, ...]]:
        for v, keyed in self._succ[u].items():
            for attrs in keyed.values():
                yield (u, v, attrs) if data else (u, v)

    def edge_data(self, u: str) -> list[tuple[str, dict[str, Any]]]:
        """`(v, attrs)` of every edge out of `u`, in `out_edges` order, as a list: route
        searches walk every edge of big flows, and a generator's resumptions showed there."""
        return [(v, attrs) for v, keyed in self._succ[u].items() for attrs in keyed.values()]

    def successors(self, u: str) -> Iterator[str]:
        return iter(self._succ[u])

    def number_of_edges(self) -> int:
        return sum(len(keyed) for succ in self._succ.values() for keyed in succ.values())
