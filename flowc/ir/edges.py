"""Every continuation of a node, for each node kind, written once.

`node_edges` takes a node of the model (`flowc.model.nodes`) or of the IR (`flowc.ir.nodes`):
the two spell their fields alike, so one `match` case per kind serves the graph, lint, the
simulator's edge tracking, coverage and diff. With the flow's global agent key it adds the
agent-key edge of each menu that inherits it (the menu keeps `agent_key` on and has no option
of its own on that key).

Each edge says where it leads (`target`), where it is written (`field` as drawings and
coverage name it, `path` below the node as the source has it), `label` (`key 1`,
`say "话费"`, `if tier == "gold"`, `on_fail`, `key 0 (agent)`...) and `kind`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol, TypeAlias

if TYPE_CHECKING:
    # Types only: dispatch is on the `kind` literal both node families carry, so `flowc
    # check` does not load the IR classes and the runtime does not load the model.
    from flowc.ir import nodes as ir
    from flowc.model import nodes as model

EdgeKind = Literal["key", "speech", "agent_key", "condition", "default", "next", "outcome"]
# Fields whose edges are taken when something happens to the call (edge kind `outcome`).
OUTCOME_FIELDS = frozenset(
    {"open", "closed", "holiday", "emergency", "on_error", "on_timeout", "on_no_agent"}
    | {"on_exit", "after", "on_fail"}
)
# Edges taken when something fails.
FAILURE_FIELDS = frozenset({"on_fail", "on_error", "on_timeout", "on_no_agent"})

AnyNode: TypeAlias = "model.Node | ir.Node"
PathItem = str | int


class AgentKeyLike(Protocol):
    """The flow's global agent key (`flowc.model.flow.AgentKey` or `flowc.ir.AgentKey`)."""

    @property
    def key(self) -> str: ...

    @property
    def goto(self) -> str: ...


class NodeEdge(NamedTuple):
    # A tuple: flows of 10,000 menus make 50,000 of these per pass, and lint makes several.
    target: str
    field: str  # `menu.options.1`, `menu.speech.w`, `switch[0]`, `default`, `next`, `agent_key`...
    label: str
    kind: EdgeKind
    # Where the target is written below the node; the agent key's is in the header.
    path: tuple[PathItem, ...]
    dtmf: str | None = None  # the phone key of key and agent_key edges
    word: str | None = None  # the keyword of speech edges
    when: str | None = None  # an adaptive menu option's condition
    rank: str | None = None  # and its rank

    @property
    def failure(self) -> bool:
        # failure fields are all outcome fields; a speech word named `on_fail` is not one
        return self.kind == "outcome" and self.field.rsplit(".", 1)[-1] in FAILURE_FIELDS


def option_label(key: str, index: int | None) -> str:
    """`key 2`, or `key 2#1` for the first of several alternatives written on key 2."""
    return f"key {key}" if index is None else f"key {key}#{index + 1}"


def option_field(key: str, index: int | None) -> str:
    return f"menu.options.{key}" if index is None else f"menu.options.{key}.{index}"


_new_edge = tuple.__new__
# (field, label) of a single option on each phone key
_KEY_NAMES: dict[str, tuple[str, str]] = {
    k: (option_field(k, None), option_label(k, None)) for k in "0123456789*#"
}


def _named(*fields: tuple[str, str | None]) -> Iterator[NodeEdge]:
    """Edges of plain target fields, in the order given: labelled and named by the field."""
    for name, target in fields:
        if target is not None:
            kind: EdgeKind = "outcome" if name in OUTCOME_FIELDS else "next"
            yield NodeEdge(target, name, name, kind, (name,))


def node_edges(node: AnyNode, agent: AgentKeyLike | None = None) -> Iterator[NodeEdge]:
    """The edges of `node` in drawing order; with `agent`, the agent-key edge of a menu."""
    match node.kind:
        case "menu":
            menu = node.menu
            for opt in menu.entries():
                key, index = opt.key, opt.alt
                if index is None:
                    path: tuple[PathItem, ...] = ("menu", "options", key)
                    names = _KEY_NAMES.get(key) or (option_field(key, None), f"key {key}")
                else:
                    path = ("menu", "options", key, index)
                    names = (option_field(key, index), option_label(key, index))
                if opt.say is not None:  # an adaptive option's target is its `goto`
                    path += ("goto",)
                # tuple.__new__: the NamedTuple's constructor is a Python function, and flows
                # of thousands of menus build an edge per option several times per check
                yield _new_edge(
                    NodeEdge,
                    (opt.goto, *names, "key", path, key, None, opt.when, opt.rank),
                )
            for w, t in menu.speech.items():
                yield NodeEdge(
                    t, f"menu.speech.{w}", f'say "{w}"', "speech", ("menu", "speech", w), word=w
                )
            if menu.on_fail is not None:
                yield NodeEdge(
                    menu.on_fail, "menu.on_fail", "on_fail", "outcome", ("menu", "on_fail")
                )
            if menu.on_no_input is not None:
                yield NodeEdge(
                    menu.on_no_input,
                    "menu.on_no_input",
                    "on_no_input",
                    "outcome",
                    ("menu", "on_no_input"),
                )
            if agent is not None and menu.agent_key and agent.key not in menu.options:
                yield NodeEdge(
                    agent.goto,
                    "agent_key",
                    f"key {agent.key} (agent)",
                    "agent_key",
                    ("agent_key", "goto"),
                    dtmf=agent.key,
                )
        case "collect":
            yield from _named(("next", node.next))
            if node.collect.on_fail is not None:
                yield NodeEdge(
                    node.collect.on_fail,
                    "collect.on_fail",
                    "on_fail",
                    "outcome",
                    ("collect", "on_fail"),
                )
        case "switch":
            rules: Sequence[model.Rule | ir.Rule] = node.switch
            for i, rule in enumerate(rules):
                yield NodeEdge(
                    rule.goto, f"switch[{i}]", f"if {rule.if_}", "condition", ("switch", i, "goto")
                )
            yield NodeEdge(node.default, "default", "default", "default", ("default",))
        case "hours":
            yield from _named(
                ("open", node.open),
                ("closed", node.closed),
                ("holiday", node.holiday),
                ("emergency", node.emergency),
            )
        case "fetch":
            yield from _named(
                ("next", node.next), ("on_error", node.on_error), ("on_timeout", node.on_timeout)
            )
        case "queue":
            yield from _named(
                ("on_timeout", node.on_timeout),
                ("on_no_agent", node.on_no_agent),
                ("on_exit", node.on_exit),
                ("after", node.after),
            )
        case "transfer":
            yield from _named(("on_fail", node.on_fail))
        case "set" | "play" | "voicemail" | "record" | "callback" | "survey" | "subflow":
            yield from _named(("next", node.next))
        case "goto":
            yield from _named(("goto", node.goto))
        case "return" | "hangup":
            return


def ref_paths(node: AnyNode) -> frozenset[str]:
    """The node's fields that name other nodes, as `flowc.diff` flattens them
    (`menu.options.1`, `switch[0].goto`, `next`...)."""
    return frozenset(_flat(e.path) for e in node_edges(node))


def _flat(path: tuple[PathItem, ...]) -> str:
    out = ""
    for item in path:
        if isinstance(item, int):
            out += f"[{item}]"
        else:
            out += f".{item}" if out else item
    return out
