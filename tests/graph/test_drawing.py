"""Drawings, checked by parsing what `dot` produces: node ids, source links, edge labels, fill
colours per kind, focus, large-flow layout; PNG and the self-contained HTML page."""

from __future__ import annotations

import json
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest
import yaml

from flowc.analysis.graph import build_graph
from flowc.model.build import build_flow
from flowc.pipeline import load_text
from flowc.render_graph import DrawOptions, flow_dot, html_page, render
from flowc.render_graph.dot import choose_rankdir, visible_nodes
from flowc.render_graph.output import RenderError, format_of

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"

FLOW = """\
flow: care
locales: [en-US, zh-CN]
agent_key: {key: "0", goto: agents}
queues: {general: {}}
variables: {tier: string}
nodes:
  route:
    switch:
      - {if: 'tier == "gold"', goto: agents}
    default: main_menu
  main_menu:
    menu:
      prompt: {en-US: "Press 1 for news, 2 for hours.", zh-CN: "新闻请按1，营业时间请按2。"}
      options: {1: news, 2: hours_info}
      speech: {news: news, 新闻: news}
      on_fail: agents
  news: {play: {en-US: "No news today.", zh-CN: "今天没有新闻。"}, next: bye}
  hours_info: {play: "We are open nine to five.", next: bye}
  agents: {queue: general, priority: 5, after: bye}
  bye: {hangup: null, prompt: "Goodbye."}
"""


def graph(text: str = FLOW, file: str = "care.yaml") -> nx.MultiDiGraph:
    doc = load_text(text, file)
    flow, diags = build_flow(doc)
    assert flow is not None, diags
    return build_graph(flow, doc)


def svg_of(g: nx.MultiDiGraph, opts: DrawOptions | None = None) -> ET.Element:
    return ET.fromstring(render(flow_dot(g, opts), "svg"))


def nodes_by_id(root: ET.Element) -> dict[str, ET.Element]:
    return {
        str(el.get("id")): el
        for el in root.iter(f"{SVG}g")
        if "node" in (el.get("class") or "").split()
    }


def texts(el: ET.Element) -> str:
    return " ".join(t.text or "" for t in el.iter(f"{SVG}text"))


def fills(el: ET.Element) -> set[str]:
    return {str(p.get("fill")) for tag in ("polygon", "path") for p in el.iter(f"{SVG}{tag}")} - {
        "none"
    }


def test_svg_nodes_have_ids_titles_classes_and_source_links() -> None:
    root = svg_of(graph())
    found = nodes_by_id(root)
    assert set(found) == {
        "node-__start__",
        "node-route",
        "node-main_menu",
        "node-news",
        "node-hours_info",
        "node-agents",
        "node-bye",
    }
    menu = found["node-main_menu"]
    assert menu.findtext(f"{SVG}title") == "main_menu"
    assert "kind-menu" in (menu.get("class") or "")
    (link,) = menu.iter(f"{SVG}a")
    assert link.get(f"{XLINK}title") == "care.yaml:11"
    href = link.get(f"{XLINK}href") or ""
    assert href.startswith("vscode://file/") and href.endswith("/care.yaml:11")
    assert str(Path.cwd().resolve() / "care.yaml") in href


def test_colours_and_shapes_per_kind() -> None:
    found = nodes_by_id(svg_of(graph()))
    assert "#bbf7d0" in fills(found["node-agents"])  # a person: green
    assert "#e5e7eb" in fills(found["node-bye"])  # hang-up: grey
    assert "#fef3c7" in fills(found["node-route"])  # switch: amber diamond
    assert len(list(found["node-route"].iter(f"{SVG}polygon"))) == 1
    assert "#dbeafe" in fills(found["node-main_menu"])  # menu: blue table


def test_menu_rows_and_edge_labels() -> None:
    root = svg_of(graph())
    menu = nodes_by_id(root)["node-main_menu"]
    shown = texts(menu)
    assert "1 → news" in shown and "2 → hours_info" in shown and "0 → agents" in shown
    assert '"news" "新闻"' in shown  # spoken keywords ride on their key's row
    edge_labels = {
        str(e.findtext(f"{SVG}title")): texts(e)
        for e in root.iter(f"{SVG}g")
        if "edge" in (e.get("class") or "").split()
    }
    assert edge_labels["route->agents"] == 'tier == "gold"'
    assert edge_labels["route->main_menu"] == "default"
    assert edge_labels["main_menu:k1->news"] == ""  # the row says which key
    assert edge_labels["main_menu->agents"] == "on_fail"
    assert edge_labels["agents->bye"] == "after"


def test_dot_source_uses_menu_ports_and_locale() -> None:
    g = graph()
    en = flow_dot(g, DrawOptions(locale="en-US")).source
    zh = flow_dot(g).source  # the flow's default locale: the first listed, en-US
    assert "main_menu:k1 -> news" in en and "main_menu:k2 -> hours_info" in en
    assert "Press 1 for news" in en and "Press 1 for news" in zh
    assert "新闻请按1" in flow_dot(g, DrawOptions(locale="zh-CN")).source
    assert "Noto Sans CJK SC" in en  # fonts with CJK coverage first
    assert "rankdir=LR" in en  # small flows read left to right


def test_long_prompts_are_cut() -> None:
    long = "Press 1 for news. " * 30
    g = graph(FLOW.replace("Press 1 for news, 2 for hours.", long))
    source = flow_dot(g, DrawOptions(locale="en-US")).source
    assert long.strip() not in source and "…" in source


def test_focus_draws_a_neighbourhood_with_stubs() -> None:
    g = graph()
    opts = DrawOptions(focus="news", depth=1)
    assert visible_nodes(g, opts) == {"news", "main_menu", "bye"}
    found = nodes_by_id(svg_of(g, opts))
    assert {"node-news", "node-main_menu", "node-bye"} <= set(found)
    assert "node-agents" not in found and "node-route" not in found
    stubs = {k: texts(v) for k, v in found.items() if k.startswith("node-__more__")}
    assert stubs["node-__more__main_menu"] == "… 4 more"  # route, hours_info, agents x2
    with pytest.raises(KeyError):
        visible_nodes(g, DrawOptions(focus="nope"))


def test_subflow_modules_are_clusters() -> None:
    from flowc.analysis.load import load_flow

    root = svg_of(load_flow(Path("examples/bank.yaml")).graph())
    clusters = [
        texts(c) for c in root.iter(f"{SVG}g") if "cluster" in (c.get("class") or "").split()
    ]
    assert any("subflow modules/verify_pin.yaml" in c for c in clusters)


def big_graph(n: int) -> nx.MultiDiGraph:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench.genflow import generate_flow

    return graph(yaml.safe_dump(generate_flow(n), sort_keys=False), f"bench{n}.yaml")


def test_large_flows_switch_to_names_and_hub_labels() -> None:
    g = big_graph(250)
    source = flow_dot(g).source
    assert "splines=ortho" in source and "<TABLE" not in source
    assert "splines=polyline" in flow_dot(big_graph(500)).source  # ortho gets slow
    # Wide menu trees are drawn left to right; edges into `bye` end at small labels.
    assert choose_rankdir(g, list(g.nodes), "names") == "LR"
    assert source.count('label="→ bye"') > 50
    assert "__to__bye." in source


def test_png_is_rendered_by_dot() -> None:
    data = render(flow_dot(graph()), "png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 400 and height > 100


def test_html_page_is_self_contained() -> None:
    page = render(flow_dot(graph()), "html", title="care").decode("utf-8")
    assert page.startswith("<!doctype html>") and page.count("<svg") == 1
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert 'addEventListener("wheel"' in page and "vscode://" in page
    assert "src=" not in page and "<link" not in page  # nothing fetched from elsewhere
    body = page[page.index("<svg") : page.index("</svg>") + 6]
    ET.fromstring(body)  # the inline SVG is well-formed
    assert "<title>care</title>" in html_page("<svg></svg>", "care")


def test_html_page_carries_each_node_whole_and_safely() -> None:
    long = "Press 1 for news, 2 for hours. " * 4 + "</script><script>alert(1)</script> & more"
    g = graph(FLOW.replace("Press 1 for news, 2 for hours.", long.replace('"', "")))
    dot = flow_dot(g)
    info = dot.node_info["main_menu"]
    assert info["prompts"][0] == ["en-US", long]  # the whole text, the drawn locale first
    assert info["where"] == "care.yaml:11" and info["link"].endswith("care.yaml:11")
    assert ["key 1", "news"] in info["leads"] and ["on_fail", "agents"] in info["leads"]
    page = render(dot, "html").decode("utf-8")
    # The prompt text cannot close the script element it travels in.
    assert page.count("</script>") == 2 and "alert(1)</script>" not in page
    data = page.split('id="flow-nodes">', 1)[1].split("</script>", 1)[0]
    assert json.loads(data)["main_menu"]["prompts"][0][1] == long
    assert 'data-body-pt="9"' in page


def test_formats_come_from_the_file_name() -> None:
    assert format_of(Path("a.SVG")) == "svg" and format_of(Path("a.gv")) == "dot"
    with pytest.raises(RenderError):
        format_of(Path("a.pdf"))


def test_text_fitting_counts_cjk_as_wide_and_keeps_punctuation_attached() -> None:
    from flowc.render_graph.style import truncate, width, wrap

    assert width("ab你好") == 6
    assert truncate("你好世界你好世界", 9) == "你好世界…"
    lines = wrap("查询账户余额请按1，查询最近一笔交易请按2，返回上级菜单请按9。", 30, 3)
    assert lines == ["查询账户余额请按1，查询最近一", "笔交易请按2，返回上级菜单请按9。"]
    assert not any(line[0] in "，。" for line in lines)
    assert wrap("one two three four five six", 9, 2) == ["one two", "three…"]
