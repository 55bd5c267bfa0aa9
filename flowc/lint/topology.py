"""The shape of a flow's call graph as lint rules see it: successors, predecessors,
reachability, strongly connected components, menu depths, and the edge graph routes are
searched on (the `LintContext` part that knows the edges)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property

from flowc.analysis.edgegraph import EdgeGraph
from flowc.analysis.graph import PERSON_KINDS, build_edge_graph
from flowc.ir.edges import NodeEdge, node_edges
from flowc.model.flow import Flow


class FlowTopology:
    """Computed once per flow, shared by the rules."""

    flow: Flow

    @cached_property
    def edges(self) -> dict[str, list[NodeEdge]]:
        """Every node's edges, the agent-key edge included (`node_edges`): built once, read by
        the call graph, the successors and the reference checks."""
        agent = self.flow.header.agent_key
        return {n: list(node_edges(node, agent)) for n, node in self.flow.nodes.items()}

    @cached_property
    def graph(self) -> EdgeGraph:
        return build_edge_graph(self.flow, edges=self.edges)

    @cached_property
    def reachable(self) -> set[str]:
        """Nodes reachable from the entry node (the entry included)."""
        entry = self.flow.entry
        if entry is None or entry not in self.flow.nodes:
            return set()
        seen = {entry}
        todo = [entry]
        succ = self.succ
        while todo:
            for t in succ[todo.pop()]:
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        return seen

    @cached_property
    def person_nodes(self) -> frozenset[str]:
        """The nodes that put the caller through to a person (queues and transfers)."""
        return frozenset(n for n, node in self.flow.nodes.items() if node.kind in PERSON_KINDS)

    @cached_property
    def order(self) -> dict[str, int]:
        """Node name -> its position in the file (for stable, author-order reporting)."""
        return {node_id: i for i, node_id in enumerate(self.flow.nodes)}

    @cached_property
    def succ(self) -> dict[str, list[str]]:
        """Successors of every node among existing nodes (agent-key edges included, no
        duplicates, in edge order). Dangling targets are left out: FL201 reports them."""
        nodes = self.flow.nodes
        edges = self.edges
        escalate = self.flow.header.escalate
        out: dict[str, list[str]] = {}
        for node_id, node in nodes.items():
            targets = [e.target for e in edges[node_id]]
            if escalate and node.kind in ("menu", "collect", "subflow"):
                # a failed input (a module's too) may spend the call's budget
                targets.append(escalate.goto)
            out[node_id] = list(dict.fromkeys(t for t in targets if t in nodes))
        return out

    @cached_property
    def has_dangling(self) -> set[str]:
        """Nodes with at least one continuation naming a node that does not exist."""
        nodes = self.flow.nodes
        # the agent key's own target is the header's (FL201 reports it there)
        return {
            n
            for n, edges in self.edges.items()
            if any(e.target not in nodes and e.kind != "agent_key" for e in edges)
        }

    @cached_property
    def pred(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {n: [] for n in self.flow.nodes}
        for node_id, targets in self.succ.items():
            for t in targets:
                out[t].append(node_id)
        return out

    @cached_property
    def components(self) -> list[list[str]]:
        """Strongly connected components of the call graph, members in file order."""
        return strongly_connected(self.flow.nodes, self.succ, self.order)

    @cached_property
    def menu_depths(self) -> tuple[dict[str, int], dict[str, str | None]]:
        """Menus on the shortest path from the entry: depth and BFS parent (see
        flowc.analysis.stats.menu_depths, which `flowc stats` reports from too)."""
        from flowc.analysis.stats import menu_depths

        succ = self.succ
        return menu_depths(self.flow, lambda u: succ.get(u, ()))


def strongly_connected(
    nodes: Iterable[str], succ: Mapping[str, list[str]], order: Mapping[str, int]
) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit on big flows).

    Only nodes in `nodes` are visited; successors outside it are ignored. Components come
    out in reverse topological order (a component before those that lead to it); members of
    each component are sorted by `order`.
    """
    members = set(nodes)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(members, key=lambda n: order.get(n, 0)):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, i = work[-1]
            targets = succ.get(v, [])
            while i < len(targets) and targets[i] not in members:
                i += 1
            if i < len(targets):
                work[-1] = (v, i + 1)
                w = targets[i]
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                comp: list[str] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    comp.sort(key=lambda n: order.get(n, 0))
                out.append(comp)
    return out
