"""Semantic diff of two versions of a flow: what changed for callers, not which lines moved.

Nodes are matched by name. Each node is compared as its compiled IR
(`flowc.compiler.ir.compile_flow`) without the cosmetic fields (`description`, `tags`), flattened
to attribute paths such as `menu.options.5`, `menu.prompt[en-US]`, `switch[0].if` or
`priority`. A removed node and an added node with identical content, once references are
mapped through the renames, are a rename. Edge changes and reachability changes (nodes no longer
reachable, menus from which callers can no longer reach a person, new dead ends) are computed
on the call graphs of both versions.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import networkx as nx

from flowc.analysis.graph import PERSON_KINDS, build_graph
from flowc.compiler.ir import compile_flow
from flowc.ir.codec import to_json
from flowc.ir.edges import ref_paths
from flowc.ir.nodes import Node as IRNode
from flowc.model.flow import Flow
from flowc.model.nodes import TERMINAL_KINDS

COSMETIC = frozenset({"description", "tags"})
_HEADER_SECTIONS = (
    "entry",
    "default_locale",
    "locales",
    "agent_key",
    "escalate",
    "params",
    "returns",
    "variables",
    "prompts",
    "schedules",
    "services",
    "queues",
    "numbers",
    "mailboxes",
)
_ENDS_WITHOUT_NEXT = frozenset({"voicemail", "record", "callback", "survey"})


@dataclass
class AttrChange:
    path: str
    old: Any = None
    new: Any = None

    @property
    def status(self) -> str:
        if self.old is None:
            return "added"
        return "removed" if self.new is None else "changed"


@dataclass
class NodeChange:
    node: str
    kind: str
    changes: list[AttrChange]
    old_kind: str | None = None


@dataclass
class EdgeChange:
    source: str
    label: str
    old_target: str | None
    new_target: str | None

    @property
    def status(self) -> str:
        if self.old_target is None:
            return "added"
        return "removed" if self.new_target is None else "retargeted"


@dataclass
class ReachChange:
    kind: str  # unreachable, reachable, agent_lost, agent_gained, dead_end, audience
    node: str
    message: str


@dataclass
class FlowDiff:
    name: str
    old_file: str | None
    new_file: str | None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    changed: list[NodeChange] = field(default_factory=list)
    edges: list[EdgeChange] = field(default_factory=list)
    header: list[AttrChange] = field(default_factory=list)
    reach: list[ReachChange] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)  # node (old name if removed) -> kind
    old_flow: Flow | None = field(default=None, repr=False, compare=False)
    new_flow: Flow | None = field(default=None, repr=False, compare=False)

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.renamed
            or self.changed
            or self.edges
            or self.header
            or self.reach
        )

    def rewired(self) -> list[EdgeChange]:
        """Edge changes between nodes both versions have (added and removed nodes bring and
        take their own edges)."""
        gone = set(self.removed)
        new = set(self.added)
        return [e for e in self.edges if e.source not in gone and e.source not in new]

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "renamed": len(self.renamed),
            "changed": len(self.changed),
            "edges": len(self.rewired()),
            "header": len(self.header),
            "reachability": len(self.reach),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "flow": self.name,
            "old_file": self.old_file,
            "new_file": self.new_file,
            "counts": self.counts(),
            "added": [{"node": n, "kind": self.kinds.get(n)} for n in self.added],
            "removed": [{"node": n, "kind": self.kinds.get(n)} for n in self.removed],
            "renamed": [{"old": a, "new": b} for a, b in self.renamed],
            "changed": [
                {
                    "node": c.node,
                    "kind": c.kind,
                    "old_kind": c.old_kind,
                    "changes": [asdict(a) | {"status": a.status} for a in c.changes],
                }
                for c in self.changed
            ],
            "edges": [asdict(e) | {"status": e.status} for e in self.edges],
            "header": [asdict(a) | {"status": a.status} for a in self.header],
            "reachability": [asdict(r) for r in self.reach],
        }


# --------------------------------------------------------------------------- flattening


def _is_prompt(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"variants", "barge_in"}


def prompt_ir_text(value: Mapping[str, Any], locale: str) -> str:
    out: list[str] = []
    for part in value["variants"].get(locale, ()):
        kind, text = part.get("kind"), part.get("text", "")
        if kind == "tts":
            out.append(text)
        elif kind == "audio":
            out.append(f"♪{text}")
        elif kind == "say":
            out.append(f"‹{part.get('say_as')}: {text}›")
        else:
            out.append(f"{{prompt: {text}}}")
    return " + ".join(out) if len(out) > 1 else (out[0] if out else "")


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Leaf values by path: `a.b`, `a[0]`, prompts as `prompt[locale]` text."""
    out: dict[str, Any] = {}
    if _is_prompt(value):
        for loc in value["variants"]:
            out[f"{path}[{loc}]" if loc else path] = prompt_ir_text(value, loc)
        if value["barge_in"] is False:
            out[f"{path}.barge_in"] = False
        return out
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(flatten(v, f"{path}.{k}" if path else str(k)))
        return out
    if isinstance(value, list):
        for i, v in enumerate(value):
            out.update(flatten(v, f"{path}[{i}]"))
        return out
    if value is not None:
        out[path] = value
    return out


def node_attrs(node: IRNode) -> dict[str, Any]:
    """A node's IR (its JSON form) flattened, cosmetic fields left out."""
    return flatten({k: v for k, v in to_json(node).items() if k not in COSMETIC})


def _mapped(
    refs: frozenset[str], attrs: Mapping[str, Any], renames: Mapping[str, str]
) -> dict[str, Any]:
    return {p: (renames.get(v, v) if p in refs else v) for p, v in attrs.items()}


def _shape(refs: frozenset[str], attrs: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((p, "\0" if p in refs else repr(v)) for p, v in attrs.items()))


def attr_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[AttrChange]:
    """Changed, added and removed leaves, in the order the new (then old) version has them."""
    out: list[AttrChange] = []
    for path in [*new, *(p for p in old if p not in new)]:
        a, b = old.get(path), new.get(path)
        if a != b:
            out.append(AttrChange(path, a, b))
    return out


# --------------------------------------------------------------------------- renames


def detect_renames(
    old_attrs: Mapping[str, dict[str, Any]],
    new_attrs: Mapping[str, dict[str, Any]],
    removed: list[str],
    added: list[str],
    old_refs: Mapping[str, frozenset[str]],
    new_refs: Mapping[str, frozenset[str]],
) -> dict[str, str]:
    """old name -> new name for removed/added pairs with identical content once references
    are mapped through the renames (nodes that refer to each other may be renamed together)."""
    by_shape: dict[tuple[Any, ...], list[str]] = {}
    for a in added:
        by_shape.setdefault(_shape(new_refs[a], new_attrs[a]), []).append(a)
    cands: dict[str, list[str]] = {}
    claimed: dict[str, int] = {}
    for r in removed:
        c = by_shape.get(_shape(old_refs[r], old_attrs[r]), [])
        if c:
            cands[r] = c
            for a in c:
                claimed[a] = claimed.get(a, 0) + 1

    def holds(r: str, a: str, renames: Mapping[str, str]) -> bool:
        return _mapped(old_refs[r], old_attrs[r], renames) == new_attrs[a]

    # Unambiguous pairs first, checked together until they agree with each other.
    renames = {r: c[0] for r, c in cands.items() if len(c) == 1 and claimed[c[0]] == 1}
    while True:
        bad = [r for r, a in renames.items() if not holds(r, a, renames)]
        if not bad:
            break
        for r in bad:
            del renames[r]
    # Then the ambiguous ones, greedily in file order.
    taken = set(renames.values())
    for r in removed:
        if r in renames or r not in cands:
            continue
        for a in cands[r]:
            if a not in taken and holds(r, a, {**renames, r: a}):
                renames[r] = a
                taken.add(a)
                break
    return renames


# --------------------------------------------------------------------------- graph facts


def _edges(g: nx.MultiDiGraph, renames: Mapping[str, str]) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for u, v, data in g.edges(data=True):
        out[(renames.get(u, u), str(data["label"]))] = renames.get(v, v)
    return out


def _reach(g: nx.MultiDiGraph, start: str | None, nodes: Iterable[str]) -> set[str]:
    names = set(nodes)
    if start is None or start not in names:
        return set()
    return ({start} | set(nx.descendants(g, start))) & names


def _backward(g: nx.MultiDiGraph, seeds: set[str], names: set[str]) -> set[str]:
    seen = set(seeds)
    todo = deque(seeds)
    while todo:
        v = todo.popleft()
        for u in g.predecessors(v):
            if u in names and u not in seen:
                seen.add(u)
                todo.append(u)
    return seen


def _facts(flow: Flow | None) -> tuple[nx.MultiDiGraph, set[str], set[str], set[str]]:
    """Graph, reachable nodes, nodes that can reach a person, nodes that can end the call."""
    if flow is None:
        return nx.MultiDiGraph(), set(), set(), set()
    g = build_graph(flow)
    nodes = flow.nodes
    names = set(nodes)
    reach = _reach(g, flow.entry, names)
    person = _backward(g, {n for n, x in nodes.items() if x.kind in PERSON_KINDS}, names)
    ends = {
        n
        for n, x in nodes.items()
        if x.kind in TERMINAL_KINDS
        or (x.kind in _ENDS_WITHOUT_NEXT and getattr(x, "next", None) is None)
    }
    return g, reach, person, _backward(g, ends, names)


# --------------------------------------------------------------------------- the diff


def _ir_nodes(flow: Flow | None) -> Mapping[str, IRNode]:
    if flow is None:
        return {}
    return compile_flow(flow).nodes


def _header(flow: Flow | None) -> dict[str, Any]:
    if flow is None:
        return {}
    ir = compile_flow(flow).to_json()
    return flatten({k: ir.get(k) for k in _HEADER_SECTIONS})


_OPTION_SETTING_RE = re.compile(r"^menu\.options\.([^.\[]+)(?:\[(\d+)\])?\.(when|rank)$")


def _audience(change: NodeChange, attrs: Mapping[str, Any]) -> list[ReachChange]:
    """Who is offered which option, and in what order: changed `when` and `rank` in words."""
    out: list[ReachChange] = []
    for a in change.changes:
        m = _OPTION_SETTING_RE.match(a.path)
        if m is None:
            continue
        key, alt, what = m.groups()
        base = a.path.rsplit(".", 1)[0]
        target = attrs.get(f"{base}.goto") or "?"
        option = f"key {key}" + (f"#{int(alt) + 1}" if alt is not None else "")
        if what == "when":
            now = f"offered when `{a.new}`" if a.new is not None else "offered to every caller"
            was = f"`{a.old}`" if a.old is not None else "every caller"
        else:
            now = f"ranked by `{a.new}`" if a.new is not None else "no longer ranked"
            was = f"`{a.old}`" if a.old is not None else "unranked"
        out.append(
            ReachChange(
                "audience",
                change.node,
                f"menu `{change.node}`: {option} (`{target}`) is now {now} (was {was})",
            )
        )
    return out


def diff_flows(old: Flow | None, new: Flow | None) -> FlowDiff:
    """What changed from `old` to `new` (None: the file does not exist in that version)."""
    old_ir, new_ir = _ir_nodes(old), _ir_nodes(new)
    # The JSON form of the typed IR, flattened (`menu.options.1`...); `refs`: which of those
    # paths name other nodes (`flowc.ir.edges.ref_paths`), mapped through renames.
    old_attrs = {n: node_attrs(ir) for n, ir in old_ir.items()}
    new_attrs = {n: node_attrs(ir) for n, ir in new_ir.items()}
    old_refs = {n: ref_paths(ir) for n, ir in old_ir.items()}
    new_refs = {n: ref_paths(ir) for n, ir in new_ir.items()}
    removed = [n for n in old_ir if n not in new_ir]
    added = [n for n in new_ir if n not in old_ir]
    renames = detect_renames(old_attrs, new_attrs, removed, added, old_refs, new_refs)
    name = (new or old).name if (new or old) is not None else ""  # type: ignore[union-attr]
    d = FlowDiff(
        name=name,
        old_file=old.file if old is not None else None,
        new_file=new.file if new is not None else None,
        old_flow=old,
        new_flow=new,
    )
    d.renamed = list(renames.items())
    renamed_new = set(renames.values())
    d.removed = [n for n in removed if n not in renames]
    d.added = [n for n in added if n not in renamed_new]
    d.kinds = {n: str(a["kind"]) for n, a in old_attrs.items()}
    d.kinds.update({n: str(a["kind"]) for n, a in new_attrs.items()})

    # Changed nodes: the same name (or a rename) with different content.
    back = {v: k for k, v in renames.items()}
    for n, attrs in new_attrs.items():
        was = back.get(n, n)
        if was not in old_attrs:
            continue
        before = _mapped(old_refs[was], old_attrs[was], renames)
        changes = attr_changes(before, attrs)
        if changes:
            old_kind = str(before["kind"]) if before["kind"] != attrs["kind"] else None
            d.changed.append(NodeChange(n, str(attrs["kind"]), changes, old_kind))

    # Header: definitions and settings (entry and agent key map through renames).
    ho, hn = _header(old), _header(new)
    for key in ("entry", "agent_key.goto"):
        if key in ho:
            ho[key] = renames.get(ho[key], ho[key])
    d.header = attr_changes(ho, hn)

    # Edges.
    og, oreach, operson, oend = _facts(old)
    ng, nreach, nperson, nend = _facts(new)
    oe, ne = _edges(og, renames), _edges(ng, {})
    for ekey in [*ne, *(k for k in oe if k not in ne)]:
        old_t, new_t = oe.get(ekey), ne.get(ekey)
        if old_t != new_t:
            d.edges.append(EdgeChange(ekey[0], ekey[1], old_t, new_t))

    # Reachability, for nodes both versions have (named as in the new version).
    if new is not None:
        both = {renames.get(n, n) for n in old_ir} & set(new_ir)
        order = {n: i for i, n in enumerate(new.nodes)}
        o_reach = {renames.get(n, n) for n in oreach}
        o_person = {renames.get(n, n) for n in operson}
        o_end = {renames.get(n, n) for n in oend}
        for n in sorted(both, key=order.__getitem__):
            kind = new.nodes[n].kind
            if n in o_reach and n not in nreach:
                d.reach.append(ReachChange("unreachable", n, f"`{n}` is no longer reachable"))
            elif n not in o_reach and n in nreach and old is not None:
                d.reach.append(ReachChange("reachable", n, f"`{n}` is reachable again"))
            if kind == "menu" and n in nreach:
                if n in o_person and n not in nperson:
                    d.reach.append(
                        ReachChange(
                            "agent_lost",
                            n,
                            f"callers can no longer reach an agent from menu `{n}`",
                        )
                    )
                elif n not in o_person and n in nperson:
                    d.reach.append(
                        ReachChange("agent_gained", n, f"callers can now reach an agent from `{n}`")
                    )
            if n in nreach and n not in nend and n in o_end:
                d.reach.append(
                    ReachChange("dead_end", n, f"calls that reach `{n}` can no longer end")
                )
        for change in d.changed:
            if change.kind == "menu":
                d.reach += _audience(change, new_attrs[change.node])
        for n in d.added:
            if n not in nreach:
                d.reach.append(ReachChange("unreachable", n, f"new node `{n}` is not reachable"))
            elif n not in nend:
                d.reach.append(ReachChange("dead_end", n, f"new node `{n}` is a dead end"))
        if (
            new.entry in nreach
            and old is not None
            and old.entry in oreach
            and renames.get(str(old.entry), old.entry) in o_person
            and new.entry not in nperson
        ):
            d.reach.append(
                ReachChange(
                    "agent_lost",
                    str(new.entry),
                    "callers can no longer reach an agent from anywhere in the flow",
                )
            )
    return d
