"""build_graph: node attributes, edge labels and kinds, source lines, subflow modules."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from flowc.analysis.graph import build_graph, reachable
from flowc.analysis.load import load_flow
from flowc.model.build import build_flow
from flowc.model.flow import Flow
from flowc.pipeline import load_text
from flowc.source.document import SourceDoc

FLOW = """\
flow: care
locales: [en-US, zh-CN]
agent_key: {key: "0", goto: agents}
queues: {general: {}}
schedules:
  office: {timezone: Europe/London, weekly: {mon-fri: "09:00-17:00"}}
services:
  crm: {url: "https://crm.invalid/{caller.number}"}
variables: {tier: string}
nodes:
  start: {hours: office, open: lookup, closed: closed_msg}
  lookup: {fetch: crm, set: {tier: "{result.tier}"}, next: route, on_error: main_menu}
  route:
    switch:
      - {if: 'tier == "gold"', goto: agents}
    default: main_menu
  main_menu:
    menu:
      prompt: {en-US: "Press 1 for news.", zh-CN: "新闻请按1。"}
      options: {1: news}
      speech: {news: news, help: agents}
      on_fail: agents
  news: {play: "No news today.", next: bye}
  closed_msg: {play: {prompt: closed}, next: bye}
  agents: {queue: general, priority: 5, after: bye}
  bye: {hangup: null, prompt: "Goodbye."}
prompts:
  closed: {en-US: "We are closed.", zh-CN: "我们已下班。"}
"""


def parse(text: str, file: str = "care.yaml") -> tuple[Flow, SourceDoc]:
    doc = load_text(text, file)
    flow, diags = build_flow(doc)
    assert flow is not None, diags
    return flow, doc


def edges(g: nx.MultiDiGraph, node: str) -> list[tuple[str, str, str]]:
    return [(str(d["label"]), v, str(d["kind"])) for _, v, d in g.out_edges(node, data=True)]


def test_nodes_carry_kind_prompts_and_lines() -> None:
    flow, doc = parse(FLOW)
    g = build_graph(flow, doc)
    assert list(g.nodes) == list(flow.nodes)
    menu = g.nodes["main_menu"]
    assert menu["kind"] == "menu"
    assert menu["prompts"] == {"en-US": "Press 1 for news.", "zh-CN": "新闻请按1。"}
    assert menu["line"] == 17 and menu["file"] == "care.yaml"
    assert g.nodes["closed_msg"]["prompts"]["zh-CN"] == "我们已下班。"  # reusable prompt resolved
    assert g.nodes["agents"]["detail"] == "queue general · priority 5"
    assert g.nodes["start"]["entry"] is True and g.nodes["news"]["entry"] is False
    assert g.graph["entry"] == "start" and g.graph["locales"] == ["en-US", "zh-CN"]


def test_lines_are_absent_without_a_source_document() -> None:
    flow, _ = parse(FLOW)
    assert build_graph(flow).nodes["main_menu"]["line"] is None


def test_edges_are_labelled_by_key_keyword_condition_and_outcome() -> None:
    flow, doc = parse(FLOW)
    g = build_graph(flow, doc)
    assert edges(g, "main_menu") == [
        ("key 1", "news", "key"),
        ('say "news"', "news", "speech"),
        ('say "help"', "agents", "speech"),
        ("on_fail", "agents", "outcome"),
        ("key 0 (agent)", "agents", "agent_key"),
    ]
    assert edges(g, "route") == [
        ('if tier == "gold"', "agents", "condition"),
        ("default", "main_menu", "default"),
    ]
    assert edges(g, "start") == [("open", "lookup", "outcome"), ("closed", "closed_msg", "outcome")]
    assert edges(g, "lookup") == [("next", "route", "next"), ("on_error", "main_menu", "outcome")]
    assert edges(g, "agents") == [("after", "bye", "outcome")]
    data = {d["label"]: d for _, _, d in g.out_edges("main_menu", data=True)}
    assert data["key 1"]["dtmf"] == "1" and data["key 0 (agent)"]["dtmf"] == "0"
    assert data["on_fail"]["failure"] is True and data["key 1"]["failure"] is False
    assert data["on_fail"]["field"] == "menu.on_fail"


def test_missing_targets_become_missing_nodes() -> None:
    flow, _ = parse(FLOW.replace("next: bye}\n  closed_msg", "next: byee}\n  closed_msg"))
    g = build_graph(flow)
    assert g.nodes["byee"]["kind"] == "missing"
    (edge,) = [d for _, v, d in g.out_edges("news", data=True)]
    assert edge["dangling"] is True
    assert "byee" in reachable(g, "start")


def test_subflow_modules_join_with_call_and_return_edges() -> None:
    loaded = load_flow(Path("examples/bank.yaml"))
    g = loaded.graph()
    info = g.graph["modules"]["modules/verify_pin.yaml"]
    prefix = info["prefix"]
    entry = prefix + info["entry"]
    assert g.nodes[entry]["module"] == "modules/verify_pin.yaml"
    assert g.nodes[entry]["line"] is not None
    assert g.nodes[entry]["file"].endswith("verify_pin.yaml")
    callers = [u for u, _, d in g.in_edges(entry, data=True) if d["kind"] == "call"]
    assert callers == ["verify"]
    returns = [(u, v) for u, v, d in g.edges(data=True) if d["kind"] == "return"]
    assert returns and all(v == "after_verify" for _, v in returns)
    (bypass,) = [d for _, _, d in g.out_edges("verify", data=True) if d.get("bypass")]
    assert bypass["label"] == "next"
    # Without modules: the flow alone, as lint rules see it.
    alone = loaded.graph(with_modules=False)
    assert set(alone.nodes) == set(loaded.flow.nodes)
