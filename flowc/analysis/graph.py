"""The call graph of a flow: one graph node per flow node, one edge per continuation.

Stable identities: graph nodes are the flow's node names; edges carry `label` (the key,
keyword, condition or outcome that leads along them) and `field` (the model field or menu
key they come from), so drawings, diffs and lint rules all speak about the same things.
"""

from __future__ import annotations

import networkx as nx

from flowc.model.flow import Flow


def build_graph(flow: Flow) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(name=flow.name, entry=flow.entry)
    for node_id, node in flow.nodes.items():
        g.add_node(node_id, kind=node.kind)
    agent = flow.header.agent_key
    for node_id, node in flow.nodes.items():
        for label, target in node.edges():
            g.add_edge(node_id, target, label=label, dangling=target not in flow.nodes)
        menu = getattr(node, "menu", None)
        if agent and menu is not None and menu.agent_key and agent.key not in menu.options:
            g.add_edge(
                node_id,
                agent.goto,
                label=f"key {agent.key} (agent)",
                dangling=agent.goto not in flow.nodes,
            )
    return g


def reachable(g: nx.MultiDiGraph, start: str | None) -> set[str]:
    if start is None or start not in g:
        return set()
    return {start} | set(nx.descendants(g, start))
