"""The graph and diff HTML pages as a person sees them: opened in a real headless Chromium with
a 1280x800 viewport, the page measures itself (`#selftest`) and the tests check the geometry:
text size, the width the drawing uses, what sits beside what, where a search lands."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from flowc.analysis.load import load_flow
from flowc.cli.main import app
from tests.graph.browser_support import page_geometry, png_pixels, screenshot

runner = CliRunner()
WIDTH, HEIGHT = 1280, 800
TELECOM = "examples/telecom_care.yaml"
READABLE_PX = 10.9  # the body text (prompt lines) renders at 11 px; names are bigger
SMALLEST_PX = 9.5  # the small grey kind tag above each name


def graph_page(tmp: Path, flow: str) -> Path:
    out = tmp / f"{Path(flow).stem}.html"
    r = runner.invoke(app, ["graph", flow, "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out


def inside(r: dict[str, float], box: dict[str, float]) -> bool:
    return (
        r["x"] >= box["x"] - 0.5
        and r["y"] >= box["y"] - 0.5
        and r["x"] + r["w"] <= box["x"] + box["w"] + 0.5
        and r["y"] + r["h"] <= box["y"] + box["h"] + 0.5
    )


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def whole_nodes(geo: Any) -> set[str]:
    return {n for n, r in geo["nodes"].items() if inside(r, geo["view"])}


@pytest.mark.parametrize("flow", [TELECOM, "examples/bank.yaml"])
def test_graph_page_opens_readable_across_the_whole_width(tmp_path: Path, flow: str) -> None:
    geo = page_geometry(graph_page(tmp_path, flow), width=WIDTH, height=HEIGHT)
    view, drawn = geo["view"], geo["drawn"]
    assert geo["panel"] is None and geo["summary"] is None
    assert view["w"] == WIDTH and view["h"] >= 0.9 * HEIGHT  # a tool bar, a line of hints
    # The drawing fills the view: no half-empty page around a shrunken picture.
    assert drawn["w"] >= 0.99 * view["w"] and drawn["h"] >= 0.99 * view["h"]
    text = geo["textPx"]
    assert len(text) >= 12, text
    assert statistics.median(text) >= READABLE_PX and min(text) >= SMALLEST_PX, sorted(text)
    # It opens where the call starts, with a screenful of nodes around it.
    entry = load_flow(Path(flow)).flow.entry
    shown = whole_nodes(geo)
    assert entry in shown and len(shown) >= 5, shown


def test_search_finds_a_node_by_name_or_by_prompt_text_and_brings_it_into_view(
    tmp_path: Path,
) -> None:
    page = graph_page(tmp_path, TELECOM)
    geo = page_geometry(page, "find=broadband_queue")
    assert geo["find"]["current"] == "broadband_queue" and geo["find"]["status"] == "1 of 1"
    assert "broadband_queue" in whole_nodes(geo)
    assert geo["scale"] >= geo["readableScale"] - 1e-6
    # Any locale's whole text counts, not only what the drawing shows (zh-CN, cut short):
    # Enter moves on to the next match.
    query = "please"
    g = load_flow(Path(TELECOM)).graph()
    expected = {
        n
        for n, d in g.nodes(data=True)
        if any(query in text.lower() for text in (d.get("prompts") or {}).values())
    }
    assert len(expected) >= 2
    first = page_geometry(page, f"find={quote(query)}")["find"]["current"]
    geo = page_geometry(page, f"find={quote(query)}&next=1")
    found = geo["find"]
    assert found["count"] == len(expected) and found["status"] == f"2 of {len(expected)}"
    assert found["current"] in expected and found["current"] != first
    assert found["current"] in whole_nodes(geo)


def test_clicking_a_node_shows_its_whole_prompt_and_where_it_is_defined(tmp_path: Path) -> None:
    page = graph_page(tmp_path, TELECOM)
    zh = "法定节假日期间人工服务暂停，话费和流量查询请使用手机营业厅应用。"
    en = "Our agents are off for the public holiday. You can check your balance and data"
    svg = page.read_text(encoding="utf-8").split("<svg", 1)[1].split("</svg>", 1)[0]
    assert zh not in svg  # the drawing cuts it short
    line = next(
        n
        for n, text in enumerate(Path(TELECOM).read_text(encoding="utf-8").splitlines(), 1)
        if text.strip() == "holiday_notice:"
    )
    geo = page_geometry(page, "pick=holiday_notice")
    said = geo["panelText"]
    assert zh in said and en in said and f"{TELECOM}:{line}" in said
    # The panel opens beside the drawing, which keeps the node in view.
    panel, view = geo["panel"], geo["view"]
    assert panel["x"] + panel["w"] == WIDTH and not overlap(panel, view)
    assert view["w"] >= 0.6 * WIDTH
    assert "holiday_notice" in whole_nodes(geo)
    assert geo["active"] == "panel"


def test_diff_page_summary_sits_beside_the_drawing_and_the_changes_are_in_view(
    tmp_path: Path,
) -> None:
    text = Path(TELECOM).read_text(encoding="utf-8")
    new = text.replace(
        "    on_timeout: main_menu\n  crm_down:", "    on_timeout: crm_down\n  crm_down:"
    )
    new = new.replace(
        "系统繁忙，暂时无法获取您的账户信息", "系统正在维护，暂时无法获取您的账户信息"
    )
    assert new.count("系统正在维护") == 1 and "on_timeout: crm_down" in new
    changed = tmp_path / "telecom_care.yaml"
    changed.write_text(new, encoding="utf-8")
    out = tmp_path / "diff.html"
    r = runner.invoke(app, ["diff", TELECOM, str(changed), "-o", str(out)])
    assert r.exit_code == 0, r.output
    geo = page_geometry(out)
    summary, view = geo["summary"], geo["view"]
    assert summary["x"] == 0 and not overlap(summary, view)
    changes = {n: r for n, r in geo["nodes"].items() if r["status"] == "changed"}
    assert set(changes) == {"identify", "crm_down"}
    for n, rect in changes.items():
        assert inside(rect, view) and not overlap(rect, summary), n
    assert min(geo["textPx"]) >= SMALLEST_PX
    # A changed node's details open on the other side: three columns, none over another.
    geo = page_geometry(out, "pick=crm_down")
    summary, view, panel = geo["summary"], geo["view"], geo["panel"]
    assert not overlap(summary, view) and not overlap(view, panel) and not overlap(summary, panel)
    assert "crm_down" in whole_nodes(geo) and "系统正在维护" in geo["panelText"]
    # Collapsed, the summary gives its room to the drawing; the changes stay in view.
    geo = page_geometry(out, "summary=hide")
    assert geo["summary"] is None and geo["view"]["w"] == WIDTH
    assert {"identify", "crm_down"} <= whole_nodes(geo)


def test_screenshot_of_the_graph_page_is_a_picture_of_the_flow(tmp_path: Path) -> None:
    png = tmp_path / "telecom_care.png"
    width, height, rows = png_pixels(screenshot(graph_page(tmp_path, TELECOM), png))
    assert (width, height) == (WIDTH, HEIGHT) and png.stat().st_size > 0
    step = len(rows[0]) // width
    light = dark = 0
    for row in rows:
        for i in range(0, len(row), step):
            level = row[i] + row[i + 1] + row[i + 2]
            light += level >= 750
            dark += level < 300
    # Mostly white paper, with a good deal of dark ink (text, outlines), not a blank page.
    assert 0.5 * width * height < light < 0.99 * width * height
    assert dark > 3000


def test_the_keyboard_reaches_every_node_and_its_details(tmp_path: Path) -> None:
    page = graph_page(tmp_path, TELECOM)
    welcome = load_flow(Path(TELECOM)).graph().nodes["greet"]["prompts"]["en-US"]
    geo = page_geometry(page, "focus=greet&keys=Enter")
    assert geo["keyboardNodes"] == len(geo["nodes"]) == 44
    assert geo["active"] == "panel" and welcome in geo["panelText"]
    # Escape closes the details and gives the focus back to the node.
    geo = page_geometry(page, "focus=greet&keys=Enter,Escape")
    assert geo["panel"] is None and geo["active"] == "node-greet"
