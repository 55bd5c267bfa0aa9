"""Every edge of a compiled flow, and which of them a call took.

The edges come from the IR (the main flow and the subflow modules it calls), enumerated by
`flowc.ir.edges.node_edges` as `flowc.analysis.graph` draws them: module nodes are
`<module flow name>.<node>`, each edge has the `field` it comes from (`menu.options.1`,
`switch[0]`, `default`, `on_timeout`, `agent_key`, `subflow`, `return` ...) and a `label`
(`key 1`, `say "话费"`, `if tier == "gold"`, `on_fail`, `key 0 (agent)`, `call`, `return` ...).
`kind` is one of key, speech, agent_key, condition, default, next, outcome, call, return.

`EdgeTracker` reads a call's trace as it grows and names the edge of every move from one node
to the next. When several edges of a node lead to the same place (a key and a spoken word, say)
the decision the interpreter recorded says which one it was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import field as dc_field
from typing import Any

from flowc.interpreter.trace import TraceStep
from flowc.ir.edges import node_edges
from flowc.ir.flow import FlowIR
from flowc.ir.nodes import ReturnNode, SubflowNode

MENU_KINDS = frozenset({"key", "speech", "agent_key"})
# A conditional option of an adaptive menu counts twice more: seen offered, and seen hidden.
VISIBILITY_KINDS = frozenset({"shown", "hidden"})
_NOT_MOVES = frozenset({"call", "return"}) | VISIBILITY_KINDS

EdgeKey = tuple[str, str, str]  # (source, field, target)


@dataclass(frozen=True, slots=True)
class Edge:
    src: str
    field: str
    label: str
    dst: str
    kind: str
    key: EdgeKey = dc_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (self.src, self.field, self.dst))

    def __str__(self) -> str:
        return f"{self.src} --{self.label}--> {self.dst}"


@dataclass
class FlowEdges:
    """All nodes and edges of a flow with its modules; `kinds` maps node -> node kind."""

    name: str
    nodes: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    out: dict[str, list[Edge]] = field(default_factory=dict)
    # module flow name -> node name prefix ("verify_pin." ...); "" for the main flow
    prefixes: dict[str, str] = field(default_factory=dict)

    def add_edge(self, edge: Edge) -> None:
        self.edges.append(edge)
        self.out.setdefault(edge.src, []).append(edge)

    def qualified(self, flow: str | None, node: str) -> str:
        if flow is None:
            return node
        return self.prefixes.get(flow, f"{flow}.") + node


def flow_edges(ir: FlowIR, module_irs: Mapping[str, FlowIR]) -> FlowEdges:
    """Nodes and edges of `ir` and of the subflow modules it calls (from `module_irs`, keyed
    by the path written in `subflow:`), joined by `call` and `return` edges."""
    fe = FlowEdges(ir.name)
    fe.prefixes[ir.name] = ""
    _add_flow(fe, ir, "", module_irs, {ir.name})
    return fe


def _add_flow(
    fe: FlowEdges,
    ir: FlowIR,
    prefix: str,
    module_irs: Mapping[str, FlowIR],
    seen: set[str],
) -> None:
    callers: dict[str, list[tuple[str, SubflowNode]]] = {}
    for node_id, node in ir.nodes.items():
        src = prefix + node_id
        fe.nodes.append(src)
        fe.kinds[src] = node.kind
        edges = list(node_edges(node, ir.agent_key))
        for e in edges:
            fe.add_edge(Edge(src, e.field, e.label, prefix + e.target, e.kind))
        for e in edges:
            if e.when is not None:
                # visibility coverage: a conditional option seen offered and seen hidden
                for state in ("shown", "hidden"):
                    fe.add_edge(
                        Edge(
                            src,
                            f"{e.field}.{state}",
                            f"{e.label} {state}",
                            prefix + e.target,
                            state,
                        )
                    )
        if isinstance(node, SubflowNode):
            callers.setdefault(node.subflow, []).append((node_id, node))
    for path, called_by in callers.items():
        mod = module_irs.get(path)
        if mod is None:
            continue
        mod_prefix = f"{mod.name}."
        if mod.name not in seen:
            seen.add(mod.name)
            fe.prefixes[mod.name] = mod_prefix
            _add_flow(fe, mod, mod_prefix, module_irs, seen)
        entry = mod.entry or next(iter(mod.nodes), None)
        returns = [n for n, node in mod.nodes.items() if isinstance(node, ReturnNode)]
        for caller, call in called_by:
            if entry:
                fe.add_edge(Edge(prefix + caller, "subflow", "call", mod_prefix + entry, "call"))
            label = "return" if len(called_by) == 1 else f"return to {caller}"
            for r in returns:
                fe.add_edge(Edge(mod_prefix + r, "return", label, prefix + call.next, "return"))


# ------------------------------------------------------------------------------ tracking


def _pick(cands: Sequence[Edge], kind: str, decisions: Sequence[Mapping[str, Any]]) -> Edge:
    """The edge among `cands` (all leading to the same node) that the decisions point at."""
    by_field = {e.field: e for e in cands}

    def field_of(d: Mapping[str, Any]) -> str | None:
        if kind == "menu":
            via = d.get("via")
            if via == "dtmf":
                option = d.get("option")
                if isinstance(option, str) and option.startswith("key "):
                    # an adaptive menu: the option as written (renumbered keys differ)
                    key, _, alt = option[4:].partition("#")
                    return f"menu.options.{key}" + (f".{int(alt) - 1}" if alt else "")
                return f"menu.options.{d.get('choice')}"
            if via == "speech":
                return f"menu.speech.{d.get('choice')}"
            if via == "agent_key":
                return "agent_key"
            if d.get("via") == "no_input":
                return "menu.on_no_input"
            if "failure" in d:
                return "menu.on_fail"
        elif kind == "switch" and "rule" in d:
            rule = d.get("rule")
            return "default" if rule is None else f"switch[{int(rule) - 1}]"
        elif kind == "hours" and "outcome" in d:
            outcome = str(d.get("outcome"))
            return outcome if outcome in by_field else "closed"
        elif kind == "fetch":
            if "status" in d:
                return "next"
            if d.get("failure") == "timeout":
                return "on_timeout" if "on_timeout" in by_field else "on_error"
            if "failure" in d:
                return "on_error" if "on_error" in by_field else "on_timeout"
        elif kind == "queue" and "outcome" in d:
            return {"timeout": "on_timeout", "no_agent": "on_no_agent", "exit_key": "on_exit"}.get(
                str(d.get("outcome"))
            )
        return None

    for d in reversed(decisions):
        found = field_of(d)
        if found is not None and found in by_field:
            return by_field[found]
    return cands[0]


class EdgeTracker:
    """Follows a call's trace: the path of (qualified) nodes and the edges taken."""

    def __init__(self, edges: FlowEdges) -> None:
        self.fe = edges
        self.path: list[str] = []
        self.taken: list[EdgeKey] = []
        self._cursor = 0
        self._stack: list[str | None] = [None]  # the last node entered, per subflow depth
        self._decisions: list[Mapping[str, Any]] = []

    def feed(self, trace: Sequence[TraceStep]) -> list[tuple[TraceStep, str | None]]:
        """Read the steps added since the last call; returns them, each with the (qualified)
        node the call was in when the step was written."""
        new = trace[self._cursor :]
        self._cursor = len(trace)
        out: list[tuple[TraceStep, str | None]] = []
        for step in new:
            if step.kind == "decision":
                self._decisions.append(step.detail)
                if "shown" in step.detail and "hidden" in step.detail:
                    self._visibility(step.detail)
            elif step.kind == "enter" and step.node is not None:
                flow = step.detail.get("flow")
                self._enter(self.fe.qualified(str(flow) if flow else None, step.node))
            out.append((step, self._stack[-1] if self._stack[-1] is not None else step.node))
        return out

    def _visibility(self, detail: Mapping[str, Any]) -> None:
        """An adaptive menu's offer: its conditional options seen shown and seen hidden."""
        here = self._stack[-1]
        labels = {f"{lab} shown" for lab in detail.get("shown") or ()}
        labels |= {f"{lab} hidden" for lab in detail.get("hidden") or ()}
        for e in self.fe.out.get(here or "", []):
            if e.kind in VISIBILITY_KINDS and e.label in labels:
                self.taken.append(e.key)

    def _take(self, edge: Edge | None) -> None:
        if edge is not None:
            self.taken.append(edge.key)

    def _enter(self, node: str) -> None:
        prev = self._stack[-1]
        prev_kind = self.fe.kinds.get(prev or "")
        out = self.fe.out.get(prev or "", [])
        if prev is not None and prev_kind == "subflow":
            call = next((e for e in out if e.kind == "call" and e.dst == node), None)
            if call is not None:
                self._take(call)
                self._stack.append(node)
                self._after_enter(node)
                return
        if prev is not None and prev_kind == "return" and len(self._stack) > 1:
            self._stack.pop()
            ret = next((e for e in out if e.kind == "return" and e.dst == node), None)
            self._take(ret)
            caller = self._stack[-1]
            nxt = next(
                (e for e in self.fe.out.get(caller or "", []) if e.field == "next"),
                None,
            )
            self._take(nxt)
            self._stack[-1] = node
            self._after_enter(node)
            return
        if prev is not None and self._decisions and "escalate" in self._decisions[-1]:
            pass  # the call's `escalate` budget moved it: no edge of `prev` was taken
        elif prev is not None:
            cands = [e for e in out if e.dst == node and e.kind not in _NOT_MOVES]
            if len(cands) == 1:
                self._take(cands[0])
            elif cands:
                self._take(_pick(cands, prev_kind or "", self._decisions))
        self._stack[-1] = node
        self._after_enter(node)

    def _after_enter(self, node: str) -> None:
        self.path.append(node)
        self._decisions = []
