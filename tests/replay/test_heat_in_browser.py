"""The heat map page of the bank's recorded calls (every runnable bank scenario called through
the emulator and the runtime, journaled on SQLite) in a real headless Chromium: the page
measures the line width it draws each edge with, and a screenshot shows the nodes in the
colour of how callers leave there."""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.replay.replay_support as R
from flowc_app import main
from flowc_app.heat import load_traffic
from tests.graph.browser_support import page_geometry, png_pixels, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

WIDTH, HEIGHT = 1280, 800
SVG = "{http://www.w3.org/2000/svg}"
BANK = [sid for sid in R.RUNNABLE if sid.startswith("bank:")]


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("heat-browser")
    url = f"sqlite:///{tmp}/journal.db"
    rec = asyncio.run(R.record_examples(tmp, url, BANK))
    assert not rec.refused and len(rec.calls) == len(BANK)
    yield url


def _draw(journal: str, out: Path) -> None:
    with pytest.raises(SystemExit) as done:
        main(["graph", "examples/bank.yaml", "--journal", journal, "-o", str(out)])
    assert done.value.code in (0, None)


def _edge_calls(svg: Path) -> dict[str, int]:
    """Drawn edge id -> the calls its label says."""
    out: dict[str, int] = {}
    for g in ET.parse(svg).getroot().iter(f"{SVG}g"):
        if "traffic" in (g.get("class") or "").split():
            label = next(x.text for x in g.iter(f"{SVG}text") if x.get("font-weight") == "bold")
            m = re.match(r"([\d,]+) · ", label or "")
            assert m, label
            out[str(g.get("id"))] = int(m.group(1).replace(",", ""))
    return out


def _share(rows: list[bytearray], step: int, box: dict[str, float], test: object) -> float:
    """The share of the pixels inside `box` (page px) that pass `test(r, g, b)`."""
    x0, y0 = int(box["x"]) + 1, int(box["y"]) + 1
    x1, y1 = int(box["x"] + box["w"]) - 1, int(box["y"] + box["h"]) - 1
    hits = total = 0
    for y in range(max(y0, 0), min(y1, len(rows))):
        row = rows[y]
        for x in range(max(x0, 0), min(x1, len(row) // step)):
            r, g, b = row[x * step], row[x * step + 1], row[x * step + 2]
            total += 1
            hits += bool(test(r, g, b))  # type: ignore[operator]
    assert total >= 20, box
    return hits / total


def test_the_heat_map_page_in_chromium(journal: str, tmp_path: Path) -> None:
    page, svg = tmp_path / "heat.html", tmp_path / "heat.svg"
    _draw(journal, page)
    _draw(journal, svg)
    traffic = load_traffic(journal, "bank", None, None)
    calls = _edge_calls(svg)
    # The whole drawing on the screen ("0"), measured by the page itself.
    geo = page_geometry(page, "keys=0", width=WIDTH, height=HEIGHT)
    px: dict[str, float] = geo["edgePx"]
    assert set(px) == set(calls) and len(px) >= 40
    # Geometry: the busier an edge, the wider the line the browser draws; as busy, as wide.
    for a, a_px in px.items():
        for b, b_px in px.items():
            if calls[a] > calls[b]:
                assert a_px > b_px, (a, calls[a], a_px, b, calls[b], b_px)
            elif calls[a] == calls[b]:
                assert a_px == pytest.approx(b_px), (a, b)
    widest = max(px, key=lambda e: px[e])
    assert calls[widest] == max(traffic.edges.values())
    assert px[widest] >= 5 * min(px.values())
    # Every node is on the screen, and the screenshot shows them in their heat colours.
    nodes = geo["nodes"]
    view = geo["view"]
    for n in ("ask_card", "main_menu", "general_queue", "identify"):
        r = nodes[n]
        assert r["x"] >= view["x"] and r["x"] + r["w"] <= view["x"] + view["w"], n
        assert r["y"] >= view["y"] and r["y"] + r["h"] <= view["y"] + view["h"], n
    png = tmp_path / "heat.png"
    width, height, rows = png_pixels(screenshot(page, png, WIDTH, HEIGHT, "keys=0"))
    assert (width, height) == (WIDTH, HEIGHT)
    step = len(rows[0]) // width
    # The node where most callers hang up is red.
    most = max(traffic.nodes, key=lambda n: traffic.nodes[n].hangups)
    assert most == "ask_card" and traffic.nodes[most].hangups >= 1

    def red(r: int, g: int, b: int) -> bool:
        return r > g + 50 and r > b + 50

    def purple(r: int, g: int, b: int) -> bool:
        return r > g + 30 and b > g + 30

    def green(r: int, g: int, b: int) -> bool:
        return g > r + 40 and g > b + 40

    assert _share(rows, step, nodes[most], red) >= 0.3
    # Where retries ran out (the main menu: silence three times) is purple, the queue most
    # calls reach is green, and a node every call passes without leaving is neither.
    assert _share(rows, step, nodes["main_menu"], purple) >= 0.3
    assert _share(rows, step, nodes["general_queue"], green) >= 0.3
    for test in (red, purple, green):
        assert _share(rows, step, nodes["identify"], test) < 0.05
        assert _share(rows, step, nodes["ask_card"], test) < 0.05 or test is red
