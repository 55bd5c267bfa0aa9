"""Lint's call graph (`build_edge_graph`, no networkx) holds the same edges, in the same
order, as the networkx graph drawings and stats use: route searches break ties alike."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench.genflow import generate_flow, generate_menu_chain
from flowc.analysis.edgegraph import EdgeGraph
from flowc.analysis.graph import build_edge_graph, build_graph
from flowc.analysis.load import load_flow
from flowc.analysis.stats import presses_route, seconds_route
from flowc.model.build import build_flow
from flowc.model.flow import Flow
from flowc.pipeline import check_text, load_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _flows() -> list[tuple[str, Flow, dict[str, Flow | None]]]:
    out = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        if path.name.endswith(".test.yaml"):
            continue
        loaded = load_flow(path)
        out.append((path.name, loaded.flow, loaded.modules))
    for name, data in (("tree", generate_flow(300)), ("chain", generate_menu_chain(60))):
        flow, diags = build_flow(load_text(yaml.safe_dump(data, sort_keys=False), name))
        assert flow is not None, diags[:3]
        out.append((name, flow, {}))
    return out


FLOWS = _flows()


@pytest.mark.parametrize(("name", "flow", "modules"), FLOWS, ids=[f[0] for f in FLOWS])
def test_same_edges_in_the_same_order(
    name: str, flow: Flow, modules: dict[str, Flow | None]
) -> None:
    for mods in ({}, modules):
        nxg = build_graph(flow, modules=mods)
        light = build_edge_graph(flow, mods)
        assert list(light.nodes) == list(nxg.nodes)
        assert light.graph == nxg.graph
        assert light.number_of_edges() == nxg.number_of_edges()
        for n in nxg.nodes:
            assert list(light.out_edges(n, data=True)) == list(nxg.out_edges(n, data=True))
            assert list(light.successors(n)) == list(nxg.successors(n))
            assert light.nodes[n]["kind"] == nxg.nodes[n]["kind"]


@pytest.mark.parametrize(("name", "flow", "modules"), FLOWS, ids=[f[0] for f in FLOWS])
def test_routes_are_the_same_on_either_graph(
    name: str, flow: Flow, modules: dict[str, Flow | None]
) -> None:
    nxg, light = build_graph(flow), build_edge_graph(flow)
    assert presses_route(flow, light, modules) == presses_route(flow, nxg, modules)
    for loc in flow.locales:
        for worst in (False, True):
            assert seconds_route(flow, light, modules, loc, worst=worst) == seconds_route(
                flow, nxg, modules, loc, worst=worst
            )


def test_keys_and_parallel_edges_follow_networkx() -> None:
    g = EdgeGraph(name="x")
    assert g.add_edge("a", "b") == 0
    assert g.add_edge("a", "c", key="k", label="one") == "k"
    assert g.add_edge("a", "b") == 1
    g.add_edge("a", "c", key="k", extra=True)  # same key: attributes merge
    assert list(g.out_edges("a")) == [("a", "b"), ("a", "b"), ("a", "c")]
    assert list(g.out_edges("a", data=True))[2] == ("a", "c", {"label": "one", "extra": True})
    assert "c" in g and "z" not in g
    assert g.number_of_edges() == 3


def test_the_chain_benchmark_flow_checks_clean() -> None:
    checked = check_text(yaml.safe_dump(generate_menu_chain(200), sort_keys=False), "c.yaml")
    assert checked.flow is not None
    assert [d.code for d in checked.diagnostics if d.severity.name == "ERROR"] == []
    assert len(checked.flow.nodes) == 202
