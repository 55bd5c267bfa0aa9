"""Every edge of a compiled flow, and which of them a call took.

The edges come from the IR (the main flow and the subflow modules it calls), with the same
identities as `flowc.analysis.graph`: module nodes are `<module flow name>.<node>`, each edge has
the `field` it comes from (`menu.options.1`, `switch[0]`, `default`, `on_timeout`, `agent_key`,
`subflow`, `return` ...) and a `label` (`key 1`, `say "话费"`, `if tier == "gold"`, `on_fail`,
`key 0 (agent)`, `call`, `return` ...). `kind` is one of key, speech, agent_key, condition,
default, next, outcome, call, return.

`EdgeTracker` reads a call's trace as it grows and names the edge of every move from one node
to the next. When several edges of a node lead to the same place (a key and a spoken word, say)
the decision the interpreter recorded says which one it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import field as dc_field
from typing import Any

from flowc.interpreter.trace import TraceStep

# Fields whose edges are taken when something happens to the call (graph kind `outcome`).
OUTCOME_FIELDS = frozenset(
    {"open", "closed", "holiday", "emergency", "on_error", "on_timeout", "on_no_agent"}
    | {"on_exit", "after", "on_fail"}
)
# The continuation fields of each node kind, in the model's order (graph `node.edges()`).
TARGETS: dict[str, tuple[str, ...]] = {
    "collect": ("next",),
    "hours": ("open", "closed", "holiday", "emergency"),
    "fetch": ("next", "on_error", "on_timeout"),
    "set": ("next",),
    "play": ("next",),
    "queue": ("on_timeout", "on_no_agent", "on_exit", "after"),
    "transfer": ("on_fail",),
    "voicemail": ("next",),
    "record": ("next",),
    "callback": ("next",),
    "survey": ("next",),
    "subflow": ("next",),
    "goto": ("goto",),
}
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


def _node_edges(
    prefix: str, node_id: str, raw: Mapping[str, Any], agent_key: Mapping[str, Any] | None
) -> list[Edge]:
    src = prefix + node_id
    kind = str(raw.get("kind"))
    out: list[Edge] = []
    visibility: list[Edge] = []

    def add(target: Any, fld: str, label: str, ekind: str) -> None:
        if isinstance(target, str) and target:
            out.append(Edge(src, fld, label, prefix + target, ekind))

    if kind == "menu":
        menu = raw.get("menu") or {}
        options = menu.get("options") or {}
        for k, t in options.items():
            if isinstance(t, str):
                add(t, f"menu.options.{k}", f"key {k}", "key")
                continue
            alts = t if isinstance(t, list) else [t]
            for i, opt in enumerate(alts):
                one = not isinstance(t, list)
                fld = f"menu.options.{k}" if one else f"menu.options.{k}.{i}"
                label = f"key {k}" if one else f"key {k}#{i + 1}"
                add(opt.get("goto"), fld, label, "key")
                if opt.get("when") is not None:
                    # visibility coverage: the option seen offered and seen hidden
                    for state in ("shown", "hidden"):
                        visibility.append(
                            Edge(
                                src,
                                f"{fld}.{state}",
                                f"{label} {state}",
                                prefix + str(opt.get("goto")),
                                state,
                            )
                        )
        for w, t in (menu.get("speech") or {}).items():
            add(t, f"menu.speech.{w}", f'say "{w}"', "speech")
        add(menu.get("on_fail"), "menu.on_fail", "on_fail", "outcome")
        add(menu.get("on_no_input"), "menu.on_no_input", "on_no_input", "outcome")
        if (
            isinstance(agent_key, Mapping)
            and menu.get("agent_key", True)
            and str(agent_key.get("key")) not in {str(k) for k in options}
        ):
            key = str(agent_key.get("key"))
            add(agent_key.get("goto"), "agent_key", f"key {key} (agent)", "agent_key")
        return out + visibility
    if kind == "switch":
        for i, rule in enumerate(raw.get("switch") or ()):
            add(rule.get("goto"), f"switch[{i}]", f"if {rule.get('if')}", "condition")
        add(raw.get("default"), "default", "default", "default")
        return out
    for name in TARGETS.get(kind, ()):
        add(raw.get(name), name, name, "outcome" if name in OUTCOME_FIELDS else "next")
    if kind == "collect":
        add((raw.get("collect") or {}).get("on_fail"), "collect.on_fail", "on_fail", "outcome")
    return out


def flow_edges(ir: Mapping[str, Any], module_irs: Mapping[str, Mapping[str, Any]]) -> FlowEdges:
    """Nodes and edges of `ir` and of the subflow modules it calls (from `module_irs`, keyed
    by the path written in `subflow:`), joined by `call` and `return` edges."""
    name = str(ir.get("name"))
    fe = FlowEdges(name)
    fe.prefixes[name] = ""
    _add_flow(fe, ir, "", module_irs, {name})
    return fe


def _add_flow(
    fe: FlowEdges,
    ir: Mapping[str, Any],
    prefix: str,
    module_irs: Mapping[str, Mapping[str, Any]],
    seen: set[str],
) -> None:
    nodes: Mapping[str, Any] = ir.get("nodes") or {}
    agent = ir.get("agent_key")
    for node_id, raw in nodes.items():
        fe.nodes.append(prefix + node_id)
        fe.kinds[prefix + node_id] = str(raw.get("kind"))
        for edge in _node_edges(
            prefix, node_id, raw, agent if isinstance(agent, Mapping) else None
        ):
            fe.add_edge(edge)
    callers: dict[str, list[str]] = {}
    for node_id, raw in nodes.items():
        if raw.get("kind") == "subflow":
            callers.setdefault(str(raw.get("subflow")), []).append(node_id)
    for path, called_by in callers.items():
        mod = module_irs.get(path)
        if mod is None:
            continue
        mod_name = str(mod.get("name"))
        mod_prefix = f"{mod_name}."
        if mod_name not in seen:
            seen.add(mod_name)
            fe.prefixes[mod_name] = mod_prefix
            _add_flow(fe, mod, mod_prefix, module_irs, seen)
        mod_nodes: Mapping[str, Any] = mod.get("nodes") or {}
        entry = mod.get("entry") or next(iter(mod_nodes), None)
        returns = [n for n, raw in mod_nodes.items() if raw.get("kind") == "return"]
        for caller in called_by:
            if entry:
                fe.add_edge(Edge(prefix + caller, "subflow", "call", mod_prefix + entry, "call"))
            nxt = nodes[caller].get("next")
            if not nxt:
                continue
            label = "return" if len(called_by) == 1 else f"return to {caller}"
            for r in returns:
                fe.add_edge(Edge(mod_prefix + r, "return", label, prefix + nxt, "return"))


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


def covered_nodes(paths: Iterable[Sequence[str]]) -> set[str]:
    return {n for p in paths for n in p}
