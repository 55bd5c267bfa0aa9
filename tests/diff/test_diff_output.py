"""Diff renderings: markdown for pull requests, text, JSON, and the coloured drawing."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from flowc.diff import diff_dot, diff_flows, diff_graph, to_json, to_markdown, to_text
from flowc.model.build import build_flow
from flowc.model.flow import Flow
from flowc.pipeline import load_text
from flowc.render_graph import render

SVG = "{http://www.w3.org/2000/svg}"

OLD = """\
flow: care
locales: [en-US]
queues: {general: {}}
nodes:
  menu:
    menu: {prompt: "1 news, 2 tips, 0 agent", options: {1: news, 2: tips, 0: agents}}
  news: {play: "Here is the news.", next: more}
  more: {play: "That was all.", next: bye}
  tips: {play: "Pay by app.", next: bye}
  far: {play: "Unrelated.", next: far2}
  far2: {play: "Also unrelated.", next: bye}
  agents: {queue: general, after: bye}
  bye: {hangup: null}
"""
NEW = (
    OLD.replace("2: tips, ", "")
    .replace('  tips: {play: "Pay by app.", next: bye}\n', "")
    .replace("Here is the news.", "Today's headlines.")
    .replace("next: bye}\n  far:", 'next: bye}\n  hours: {play: "9 to 5.", next: bye}\n  far:')
    .replace("{1: news, 0: agents}", "{1: news, 3: hours, 0: agents}")
)


def flow(text: str) -> Flow:
    f, diags = build_flow(load_text(text, "care.yaml"))
    assert f is not None, diags
    return f


def test_markdown_has_a_headline_and_sections() -> None:
    md = to_markdown(diff_flows(flow(OLD), flow(NEW)))
    assert md.startswith("### flowc diff: `care` (care.yaml)")
    assert "**2 changed · 1 added · 1 removed node(s) · 2 edge(s) rewired**" in md
    assert "#### Added nodes\n\n- `hours` (play): “9 to 5.”" in md
    assert "#### Removed nodes\n\n- `tips` (play)" in md
    assert "| `play` | `Here is the news.` | `Today's headlines.` |" in md
    assert "- ➕ `menu` —key 3→ `hours`" in md and "- ➖ `menu` —key 2→ `tips`" in md
    assert "Reachability" not in md


def test_markdown_for_no_change() -> None:
    md = to_markdown(diff_flows(flow(OLD), flow(OLD)))
    assert "No semantic changes" in md


def test_text_and_json() -> None:
    d = diff_flows(flow(OLD), flow(NEW))
    text = to_text(d)
    assert "  + hours (play)" in text and "  - tips (play)" in text
    assert "      play: Here is the news. -> Today's headlines." in text
    data = json.loads(to_json([d]))
    assert data["counts"] == {
        "added": 1,
        "removed": 1,
        "renamed": 0,
        "changed": 2,
        "edges": 2,
        "header": 0,
        "reachability": 0,
    }
    assert data["removed"] == [{"node": "tips", "kind": "play"}]
    (news,) = [c for c in data["changed"] if c["node"] == "news"]
    assert news["changes"] == [
        {
            "path": "play",
            "old": "Here is the news.",
            "new": "Today's headlines.",
            "status": "changed",
        }
    ]
    assert isinstance(json.loads(to_json([d, d])), list)


def test_drawing_colours_changes_and_collapses_the_rest() -> None:
    d = diff_flows(flow(OLD), flow(NEW))
    g, opts = diff_graph(d)
    assert "tips" in g  # removed nodes are drawn too
    assert opts.node_status["hours"] == "added" and opts.node_status["tips"] == "removed"
    assert opts.node_status["news"] == "changed" and opts.node_status["more"] == "unchanged"
    assert opts.visible is not None and "far2" not in opts.visible  # far from every change
    root = ET.fromstring(render(diff_dot(d), "svg"))
    groups = {str(e.get("id")): e for e in root.iter(f"{SVG}g") if e.get("id")}

    def fill(node: str) -> set[str]:
        return {str(p.get("fill")) for p in groups[f"node-{node}"].iter(f"{SVG}polygon")}

    assert "#bbf7d0" in fill("hours")  # added: green
    assert "#fecaca" in fill("tips")  # removed: red
    assert "#fde68a" in fill("news")  # changed: amber
    assert "#f3f4f6" in fill("bye")  # unchanged: grey
    assert "node-far2" not in groups
    edges = {
        str(e.findtext(f"{SVG}title")): str(e.get("class"))
        for e in root.iter(f"{SVG}g")
        if "edge" in (e.get("class") or "").split()
    }
    assert "diff-added" in edges["menu:k3->hours"]
    assert "diff-removed" in edges["menu:k2->tips"]
    assert "diff-unchanged" in edges["news->more"]
    stubs = [k for k in groups if k.startswith("node-__more__")]
    assert stubs  # collapsed context is marked
