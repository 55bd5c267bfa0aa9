"""The call graph of a flow: one graph node per flow node, one edge per continuation.

Stable identities: graph nodes are the flow's node names (nodes of a subflow module drawn
inside the caller are `<module flow name>.<node name>`); edges carry `label` (the key,
keyword, condition or outcome that leads along them) and `field` (the model field or menu
key they come from), so drawings, diffs and lint rules all speak about the same things.

Node attributes: `kind`, `name` (the node's own name), `flow`, `module` (the module path
written in the caller, None for the flow itself), `detail` (one line: queue and priority,
schedule, service...), `prompts` (locale -> what the caller hears), `file`, `line` (when a
SourceDoc is given), `entry` (the flow's or module's entry node). Targets that name no node
appear as nodes of kind `missing`.

Edge attributes: `label`, `field`, `kind` (key, speech, agent_key, condition, default, next,
outcome, call, return), `dtmf` (the phone key of key and agent_key edges), `failure` (the edge
is taken when something fails: on_fail, on_error, on_timeout, on_no_agent), `dangling`, and
`bypass` on a subflow's `next` when the module is drawn (the call goes through the module).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flowc.analysis.edgegraph import EdgeGraph
from flowc.analysis.prompts import main_prompts, prompt_text
from flowc.ir.edges import NodeEdge, node_edges
from flowc.model import nodes as m
from flowc.model.flow import Flow
from flowc.model.nodes import Node
from flowc.model.values import format_duration_ms
from flowc.source.document import SourceDoc

if TYPE_CHECKING:
    import networkx as nx
PERSON_KINDS = frozenset({"queue", "transfer"})


def node_detail(node: Node) -> str:
    """One line saying what a node does beyond its prompt (empty when the kind says it all)."""
    match node:
        case m.CollectNode(collect=c):
            digits = f"{c.min}" if c.min == c.max else f"{c.min}-{c.max}"
            return f"→ {c.into} ({digits} digits{', sensitive' if c.sensitive else ''})"
        case m.HoursNode():
            return f"schedule {node.hours}"
        case m.FetchNode():
            return f"service {node.fetch}"
        case m.SetNode():
            return ", ".join(f"{k} = {v}" for k, v in node.set.items())
        case m.QueueNode():
            parts = [f"queue {node.queue}", f"priority {node.priority}"]
            if node.max_wait:
                parts.append(f"max {format_duration_ms(node.max_wait)}")
            if node.announce != "none":
                parts.append(f"announce {node.announce}")
            return " · ".join(parts)
        case m.TransferNode():
            return f"→ {node.transfer} ({node.mode})"
        case m.VoicemailNode():
            return f"mailbox {node.voicemail}"
        case m.RecordNode():
            return f"→ {node.record} (max {format_duration_ms(node.max_length)})"
        case m.CallbackNode():
            return f"number {node.callback.number}"
        case m.SurveyNode():
            return ", ".join(f"{q.id} ({q.scale})" for q in node.survey)
        case m.SubflowNode():
            return node.subflow
        case m.ReturnNode():
            return ", ".join(node.return_) or "return"
        case m.HangupNode():
            return "" if node.hangup == "NORMAL_CLEARING" else node.hangup
    return ""


def _add_flow(
    g: nx.MultiDiGraph | EdgeGraph,
    flow: Flow,
    doc: SourceDoc | None,
    prefix: str = "",
    module: str | None = None,
    edges: Mapping[str, Sequence[NodeEdge]] | None = None,
) -> None:
    locales = list(flow.locales)
    # Route searches (lint) read edges and node kinds only: the drawing's texts are not built.
    described = not isinstance(g, EdgeGraph)
    for node_id, node in flow.nodes.items():
        if not described:
            g.add_node(prefix + node_id, kind=node.kind, name=node_id, flow=flow.name)
            continue
        line: int | None = None
        if doc is not None:
            line = doc.span_of(("nodes", node_id), key=True).line
        prompts = {loc: prompt_text(flow, None, loc) for loc in locales}
        shown = main_prompts(node)
        if shown:
            prompts = {
                loc: " / ".join(t for t in (prompt_text(flow, p, loc) for p in shown) if t)
                for loc in locales
            }
        g.add_node(
            prefix + node_id,
            kind=node.kind,
            name=node_id,
            flow=flow.name,
            module=module,
            detail=node_detail(node),
            prompts=prompts,
            file=doc.file if doc is not None else flow.file,
            line=line,
            entry=node_id == flow.entry,
        )
    agent = flow.header.agent_key
    nodes = flow.nodes
    for node_id, node in nodes.items():
        src = prefix + node_id
        out: list[tuple[str, str, dict[str, Any]]] = []
        for e in edges[node_id] if edges is not None else node_edges(node, agent):
            target = e.target
            attrs: dict[str, Any] = {
                "label": e.label,
                "dangling": target not in nodes,
                "failure": e.failure,
                "field": e.field,
                "kind": e.kind,
            }
            if e.dtmf is not None:
                attrs["dtmf"] = e.dtmf
            if e.word is not None:
                attrs["word"] = e.word
            if e.when is not None:
                attrs["when"] = e.when
            if e.rank is not None:
                attrs["rank"] = e.rank
            out.append((prefix + target, e.label, attrs))
        # An explicit key (the label is unique per node): networkx's own key search is
        # linear in parallel edges and dominated graph building for big flows.
        if described:
            for target, label, attrs in out:
                g.add_edge(src, target, key=label, **attrs)
        else:
            assert isinstance(g, EdgeGraph)
            g.put_edges(src, out)
    for node_id in list(g.nodes):
        data = g.nodes[node_id]
        if "kind" not in data:
            name = node_id[len(prefix) :] if prefix and node_id.startswith(prefix) else node_id
            data.update(
                kind="missing",
                name=name,
                flow=flow.name,
                module=module,
                detail="no such node",
                prompts={},
                file=flow.file,
                line=None,
                entry=False,
            )


def build_graph(
    flow: Flow,
    doc: SourceDoc | None = None,
    modules: Mapping[str, Flow | None] | None = None,
    module_docs: Mapping[str, SourceDoc] | None = None,
) -> nx.MultiDiGraph:
    """The call graph of `flow`; with `modules` (subflow path -> module flow), the modules'
    nodes too, joined by `call` edges (subflow node -> module entry) and `return` edges
    (module return node -> the subflow node's `next`). `doc` and `module_docs` (by module
    path) give each node its source line."""
    import networkx as nx  # slow to import: only drawings, diffs and stats need it

    g: nx.MultiDiGraph = _fill(nx.MultiDiGraph, flow, doc, modules, module_docs)
    return g


def build_edge_graph(
    flow: Flow,
    modules: Mapping[str, Flow | None] | None = None,
    edges: Mapping[str, Sequence[NodeEdge]] | None = None,
) -> EdgeGraph:
    """The same call graph as `build_graph`, in an `EdgeGraph` (no networkx: lint's routes).
    `edges`: the flow's `node_edges` (agent key included) by node, when the caller has them."""
    g = _fill(EdgeGraph, flow, None, modules, None, edges)
    assert isinstance(g, EdgeGraph)
    return g


def _fill(
    make: Callable[..., Any],
    flow: Flow,
    doc: SourceDoc | None,
    modules: Mapping[str, Flow | None] | None,
    module_docs: Mapping[str, SourceDoc] | None,
    edges: Mapping[str, Sequence[NodeEdge]] | None = None,
) -> Any:
    g = make(
        name=flow.name,
        entry=flow.entry,
        file=doc.file if doc is not None else flow.file,
        locales=list(flow.locales),
        default_locale=flow.default_locale,
        modules={},
    )
    _add_flow(g, flow, doc, edges=edges)
    if not modules:
        return g
    used: set[str] = set()
    callers: dict[str, list[str]] = {}
    for node_id, node in flow.nodes.items():
        if isinstance(node, m.SubflowNode):
            callers.setdefault(node.subflow, []).append(node_id)
    for path, mod in modules.items():
        if mod is None or path not in callers:
            continue
        base = mod.name
        i = 2
        while base in used or base in flow.nodes:
            base = f"{mod.name}{i}"
            i += 1
        used.add(base)
        prefix = base + "."
        _add_flow(g, mod, (module_docs or {}).get(path), prefix=prefix, module=path)
        g.graph["modules"][path] = {"prefix": prefix, "name": mod.name, "entry": mod.entry}
        returns = [n for n, node in mod.nodes.items() if node.kind == "return"]
        for caller in callers[path]:
            call_node = flow.nodes[caller]
            assert isinstance(call_node, m.SubflowNode)  # callers holds subflow nodes only
            if mod.entry is not None:
                g.add_edge(
                    caller,
                    prefix + mod.entry,
                    label="call",
                    field="subflow",
                    kind="call",
                    failure=False,
                    dangling=False,
                )
            for _, _, data in g.out_edges(caller, data=True):
                if data.get("field") == "next":
                    data["bypass"] = True
            for r in returns:
                label = "return" if len(callers[path]) == 1 else f"return to {caller}"
                g.add_edge(
                    prefix + r,
                    call_node.next,
                    label=label,
                    field="return",
                    kind="return",
                    failure=False,
                    dangling=call_node.next not in flow.nodes,
                    caller=caller,
                )
    return g


def reachable(g: nx.MultiDiGraph, start: str | None) -> set[str]:
    import networkx as nx

    if start is None or start not in g:
        return set()
    return {start} | set(nx.descendants(g, start))
