"""One edge enumerator for every node kind, model and IR alike (`flowc.ir.edges`).

Each kind is built once with every continuation field set to its own target; the enumerator
must yield each target with its label, field and source path, in drawing order, and the same
edges for the model node and for the IR node it compiles to."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flowc.compiler.ir import _node_ir
from flowc.ir import nodes as ir_nodes
from flowc.ir.codec import from_json
from flowc.ir.edges import NodeEdge, node_edges, ref_paths
from flowc.model import nodes as m
from flowc.model.flow import AgentKey

# kind -> (the node as written, [(target, label, field, kind, path)] in drawing order)
CASES: dict[str, tuple[dict[str, Any], list[tuple[str, str, str, str, tuple[Any, ...]]]]] = {
    "menu": (
        {
            "menu": {
                "prompt": "p",
                "options": {"1": "t_key1", "2": "t_key2"},
                "speech": {"billing": "t_word"},
                "on_fail": "t_fail",
                "on_no_input": "t_silence",
            }
        },
        [
            ("t_key1", "key 1", "menu.options.1", "key", ("menu", "options", "1")),
            ("t_key2", "key 2", "menu.options.2", "key", ("menu", "options", "2")),
            (
                "t_word",
                'say "billing"',
                "menu.speech.billing",
                "speech",
                ("menu", "speech", "billing"),
            ),
            ("t_fail", "on_fail", "menu.on_fail", "outcome", ("menu", "on_fail")),
            ("t_silence", "on_no_input", "menu.on_no_input", "outcome", ("menu", "on_no_input")),
        ],
    ),
    "collect": (
        {"collect": {"into": "pin", "prompt": "p", "on_fail": "t_fail"}, "next": "t_next"},
        [
            ("t_next", "next", "next", "next", ("next",)),
            ("t_fail", "on_fail", "collect.on_fail", "outcome", ("collect", "on_fail")),
        ],
    ),
    "switch": (
        {"switch": [{"if": "a == 1", "goto": "t_a"}, {"if": "b", "goto": "t_b"}], "default": "t_d"},
        [
            ("t_a", "if a == 1", "switch[0]", "condition", ("switch", 0, "goto")),
            ("t_b", "if b", "switch[1]", "condition", ("switch", 1, "goto")),
            ("t_d", "default", "default", "default", ("default",)),
        ],
    ),
    "hours": (
        {"hours": "s", "open": "t_o", "closed": "t_c", "holiday": "t_h", "emergency": "t_e"},
        [
            ("t_o", "open", "open", "outcome", ("open",)),
            ("t_c", "closed", "closed", "outcome", ("closed",)),
            ("t_h", "holiday", "holiday", "outcome", ("holiday",)),
            ("t_e", "emergency", "emergency", "outcome", ("emergency",)),
        ],
    ),
    "fetch": (
        {"fetch": "crm", "next": "t_n", "on_error": "t_err", "on_timeout": "t_to"},
        [
            ("t_n", "next", "next", "next", ("next",)),
            ("t_err", "on_error", "on_error", "outcome", ("on_error",)),
            ("t_to", "on_timeout", "on_timeout", "outcome", ("on_timeout",)),
        ],
    ),
    "set": ({"set": {"a": "1"}, "next": "t_n"}, [("t_n", "next", "next", "next", ("next",))]),
    "play": ({"play": "hi", "next": "t_n"}, [("t_n", "next", "next", "next", ("next",))]),
    "queue": (
        {
            "queue": "q",
            "on_timeout": "t_to",
            "on_no_agent": "t_na",
            "on_exit": "t_ex",
            "after": "t_af",
        },
        [
            ("t_to", "on_timeout", "on_timeout", "outcome", ("on_timeout",)),
            ("t_na", "on_no_agent", "on_no_agent", "outcome", ("on_no_agent",)),
            ("t_ex", "on_exit", "on_exit", "outcome", ("on_exit",)),
            ("t_af", "after", "after", "outcome", ("after",)),
        ],
    ),
    "transfer": (
        {"transfer": "1000", "on_fail": "t_f"},
        [("t_f", "on_fail", "on_fail", "outcome", ("on_fail",))],
    ),
    "voicemail": (
        {"voicemail": "box", "next": "t_n"},
        [("t_n", "next", "next", "next", ("next",))],
    ),
    "record": ({"record": "msg", "next": "t_n"}, [("t_n", "next", "next", "next", ("next",))]),
    "callback": ({"callback": None, "next": "t_n"}, [("t_n", "next", "next", "next", ("next",))]),
    "survey": (
        {"survey": [{"id": "q1", "ask": "how?"}], "next": "t_n"},
        [("t_n", "next", "next", "next", ("next",))],
    ),
    "subflow": ({"subflow": "m.yaml", "next": "t_n"}, [("t_n", "next", "next", "next", ("next",))]),
    "return": ({"return": {"a": "1"}}, []),
    "hangup": ({"hangup": None}, []),
    "goto": ({"goto": "t_g"}, [("t_g", "goto", "goto", "next", ("goto",))]),
}


def _as_tuples(edges: list[NodeEdge]) -> list[tuple[str, str, str, str, tuple[Any, ...]]]:
    return [(e.target, e.label, e.field, e.kind, e.path) for e in edges]


def _both(raw: dict[str, Any]) -> tuple[m.Node, ir_nodes.Node]:
    model_node: m.Node = m.NODE_KINDS[next(k for k in raw if k in m.NODE_KINDS)].model_validate(raw)  # type: ignore[assignment]  # NODE_KINDS maps a kind to its class: validate() gives that union member
    ir_json = json.loads(json.dumps(_node_ir(model_node)))
    ir_node = from_json(ir_nodes.NODE_CLASSES[model_node.kind], ir_json)
    return model_node, ir_node


def test_every_node_kind_has_a_case() -> None:
    assert set(CASES) == set(m.NODE_KINDS) == set(ir_nodes.NODE_CLASSES)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_kind_yields_every_target_with_its_label(kind: str) -> None:
    raw, expected = CASES[kind]
    model_node, ir_node = _both(raw)
    assert model_node.kind == ir_node.kind == kind
    assert _as_tuples(list(node_edges(model_node))) == expected
    assert _as_tuples(list(node_edges(ir_node))) == expected


@pytest.mark.parametrize("kind", sorted(CASES))
def test_ref_paths_are_the_ir_paths_that_hold_the_targets(kind: str) -> None:
    """What `flowc diff` maps through renames: each path, read in the IR's JSON, is a target."""
    raw, expected = CASES[kind]
    model_node, ir_node = _both(raw)
    ir_json = _node_ir(model_node)
    for path in ref_paths(ir_node):
        value: Any = ir_json
        for part in path.replace("[", ".").replace("]", "").split("."):
            value = value[int(part)] if isinstance(value, list) else value[part]
        assert value in {t for t, *_ in expected}
    assert len(ref_paths(ir_node)) == len(expected)


def test_unset_targets_yield_no_edge() -> None:
    model_node, ir_node = _both({"fetch": "crm", "next": "n"})
    for node in (model_node, ir_node):
        assert [e.field for e in node_edges(node)] == ["next"]


AGENT = AgentKey(key="0", goto="agent")


@pytest.mark.parametrize(
    ("menu", "edge"),
    [
        ({"options": {"1": "a"}}, True),  # inherits the global key
        ({"options": {"1": "a"}, "agent_key": False}, False),  # switched off on this menu
        ({"options": {"0": "own"}}, False),  # the menu uses the key itself
    ],
)
def test_agent_key_rule(menu: dict[str, Any], edge: bool) -> None:
    model_node, ir_node = _both({"menu": {"prompt": "p", **menu}})
    for node in (model_node, ir_node):
        agent_edges = [e for e in node_edges(node, AGENT) if e.kind == "agent_key"]
        if edge:
            assert _as_tuples(agent_edges) == [
                ("agent", "key 0 (agent)", "agent_key", "agent_key", ("agent_key", "goto"))
            ]
            assert agent_edges[0].dtmf == "0"
        else:
            assert agent_edges == []
        assert [e for e in node_edges(node) if e.kind == "agent_key"] == []


def test_only_menus_get_the_agent_edge() -> None:
    for kind, (raw, expected) in CASES.items():
        if kind != "menu":
            model_node, _ = _both(raw)
            assert len(list(node_edges(model_node, AGENT))) == len(expected)


def test_failure_edges() -> None:
    model_node, _ = _both(CASES["fetch"][0])
    assert {e.field: e.failure for e in node_edges(model_node)} == {
        "next": False,
        "on_error": True,
        "on_timeout": True,
    }


def test_graph_lint_and_simulator_see_the_same_edges() -> None:
    """The call graph (from the model), lint's successors and the simulator's edges (from the
    IR) of every example agree: they come from the one enumerator."""
    from flowc.analysis.graph import build_graph
    from flowc.compiler.ir import compile_flow
    from flowc.lint.context import LintContext
    from flowc.pipeline import check_file
    from flowc.simulate.edges import flow_edges
    from tests.golden.cases import ROOT, example_files

    for example in example_files():
        checked = check_file(example.relative_to(ROOT))
        assert checked.flow is not None and checked.doc is not None
        g = build_graph(checked.flow)
        drawn = {(u, d["field"], d["label"], v, d["kind"]) for u, v, d in g.edges(data=True)}
        fe = flow_edges(compile_flow(checked.flow), {})
        walked = {(e.src, e.field, e.label, e.dst, e.kind) for e in fe.edges}
        # the simulator's coverage adds conditional options seen shown and seen hidden
        assert drawn == {e for e in walked if e[4] not in ("shown", "hidden")}, example
        ctx = LintContext(checked.flow, checked.doc)
        succ = {(u, v) for u, vs in ctx.succ.items() for v in vs}
        moves = {(u, v) for u, _, _, v, _ in drawn if v in checked.flow.nodes}
        # reachability also counts the call's `escalate` budget, spent on failed inputs
        escalate = checked.flow.header.escalate
        extra = {
            (n, escalate.goto)
            for n, node in checked.flow.nodes.items()
            if escalate is not None and node.kind in ("menu", "collect", "subflow")
        }
        assert moves <= succ <= moves | extra, example


def test_adaptive_options_are_edges_with_their_condition_and_rank() -> None:
    raw = {
        "menu": {
            "prompt": "p",
            "options": {
                "1": {"goto": "plain", "say": "plain"},
                "2": [
                    {"goto": "gold", "when": "tier == 'gold'", "say": "gold, press {key}"},
                    {"goto": "other", "say": "others, press {key}"},
                ],
                "3": {"goto": "ranked", "rank": "visits", "say": "ranked"},
            },
        }
    }
    model_node, ir_node = _both(raw)
    expected = [
        ("plain", "key 1", "menu.options.1", "key", ("menu", "options", "1", "goto")),
        ("gold", "key 2#1", "menu.options.2.0", "key", ("menu", "options", "2", 0, "goto")),
        ("other", "key 2#2", "menu.options.2.1", "key", ("menu", "options", "2", 1, "goto")),
        ("ranked", "key 3", "menu.options.3", "key", ("menu", "options", "3", "goto")),
    ]
    for node in (model_node, ir_node):
        edges = list(node_edges(node))
        assert _as_tuples(edges) == expected
        assert [(e.when, e.rank) for e in edges] == [
            (None, None),
            ("tier == 'gold'", None),
            (None, None),
            (None, "visits"),
        ]
    assert ref_paths(ir_node) == {
        "menu.options.1.goto",
        "menu.options.2[0].goto",
        "menu.options.2[1].goto",
        "menu.options.3.goto",
    }
