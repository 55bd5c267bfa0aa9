"""`flowc graph` and `flowc stats` from the command line, including every example flow."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowc.cli.main import app
from flowc.pipeline import find_flow_files

runner = CliRunner()
# Flow files only (the pipeline leaves `*.test.yaml` scenarios to `flowc test`).
EXAMPLES = (
    [p for p in find_flow_files([Path("examples")]) if p.parent == Path("examples")]
    if Path("examples").is_dir()
    else []
)

SMALL = """\
flow: small
locales: [en-US]
queues: {q: {}}
nodes:
  menu:
    menu: {prompt: "Press 1 for news, 0 for a person.", options: {1: news, 0: agent}}
  news: {play: "No news today.", next: bye}
  agent: {queue: q}
  bye: {hangup: null}
"""


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("suffix", ["svg", "png", "html", "dot"])
def test_graph_writes_each_format(tmp_path: Path, suffix: str) -> None:
    src = write(tmp_path, "small.yaml", SMALL)
    out = tmp_path / f"out.{suffix}"
    r = runner.invoke(app, ["graph", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert f"wrote {out}" in r.output
    data = out.read_bytes()
    if suffix == "png":
        assert data.startswith(b"\x89PNG")
    elif suffix == "svg":
        ET.fromstring(data)
    elif suffix == "dot":
        assert data.startswith(b"digraph small")
    else:
        assert b"<svg" in data and b"<script>" in data


def test_graph_without_output_prints_dot(tmp_path: Path) -> None:
    r = runner.invoke(app, ["graph", str(write(tmp_path, "small.yaml", SMALL))])
    assert r.exit_code == 0 and r.output.startswith("digraph small")


def test_graph_focus_and_locale(tmp_path: Path) -> None:
    src = write(tmp_path, "small.yaml", SMALL)
    out = tmp_path / "f.dot"
    r = runner.invoke(app, ["graph", str(src), "-o", str(out), "--focus", "news", "--depth", "1"])
    assert r.exit_code == 0 and "3 of 4 nodes" in r.output
    r = runner.invoke(app, ["graph", str(src), "--focus", "nwes"])
    assert r.exit_code == 2 and "did you mean `news`" in r.output
    r = runner.invoke(app, ["graph", str(src), "--locale", "fr-FR"])
    assert r.exit_code == 2 and "not a locale" in r.output
    r = runner.invoke(app, ["graph", str(src), "-o", str(tmp_path / "x.pdf")])
    assert r.exit_code == 2 and ".svg, .png" in r.output


def test_graph_of_an_invalid_flow_explains(tmp_path: Path) -> None:
    src = write(tmp_path, "bad.yaml", "flow: bad\nnodes:\n  a: {menu: 3}\n")
    r = runner.invoke(app, ["graph", str(src)])
    assert r.exit_code == 1 and "does not validate" in r.output


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_draws(example: Path, tmp_path: Path) -> None:
    out = tmp_path / f"{example.stem}.svg"
    r = runner.invoke(app, ["graph", str(example), "-o", str(out)])
    assert r.exit_code == 0, r.output
    root = ET.fromstring(out.read_bytes())
    ids = {el.get("id") for el in root.iter("{http://www.w3.org/2000/svg}g")}
    from flowc.pipeline import load_source

    names = load_source(example).data["nodes"]  # YAML or .flow: both forms draw
    assert {f"node-{n}" for n in names} <= ids


def test_stats_text_and_json(tmp_path: Path) -> None:
    src = write(tmp_path, "small.yaml", SMALL)
    r = runner.invoke(app, ["stats", str(src), "--format", "json"])
    assert r.exit_code == 0, r.output
    (data,) = json.loads(r.output)
    assert data["flow"] == "small" and data["agent_presses"] == 1
    assert data["max_menu_depth"] == 1 and data["self_service_ends"] == ["bye"]
    r = runner.invoke(app, ["stats", str(src)])
    assert r.exit_code == 0
    assert "flow statistics" in r.output and "keys to agent" in r.output
    assert "[en-US]" in r.output  # locales shown literally, not eaten as markup
    assert "bye [hangup] (self-service)" in r.output


def test_stats_reports_invalid_files(tmp_path: Path) -> None:
    write(tmp_path, "small.yaml", SMALL)
    write(tmp_path, "bad.yaml", "flow: bad\nnodes:\n  a: {menu: 3}\n")
    r = runner.invoke(app, ["stats", str(tmp_path), "-f", "json"])
    assert r.exit_code == 1
    assert "bad.yaml: does not validate" in r.output
