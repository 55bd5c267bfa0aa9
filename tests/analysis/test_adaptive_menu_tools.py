"""The tools on adaptive menus: the drawing shows each conditional option with its condition,
the diff names changed conditions and ranks for callers, the statistics take the worst case
over the sets of options a menu may offer, and coverage counts each conditional option shown
and hidden."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from flowc.analysis.graph import build_graph
from flowc.analysis.stats import flow_stats
from flowc.cli.main import app
from flowc.diff import diff_flows, to_markdown
from flowc.model.build import build_flow
from flowc.model.flow import Flow
from flowc.pipeline import load_text
from flowc.render_graph import DrawOptions, flow_dot
from flowc.source.document import SourceDoc
from flowc.source.yaml_loader import load_yaml_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "telecom_line.yaml"


def as_flow(data: dict[str, Any], file: str = "f.yaml") -> Flow:
    flow, diags = build_flow(SourceDoc(file, "", data))
    assert flow is not None, [d.message for d in diags]
    return flow


def test_the_drawing_shows_a_conditional_option_with_its_condition() -> None:
    flow = as_flow(load_yaml_file(EXAMPLE).data, str(EXAMPLE))
    dot = str(flow_dot(build_graph(flow), DrawOptions(locale="en-US")).source)
    assert "2 → repair" in dot
    assert "if plan == &quot;broadband&quot;" in dot
    assert "1 → balance" in dot


def test_the_diff_names_changed_conditions_and_ranks() -> None:
    data = load_yaml_file(EXAMPLE).data
    old = as_flow(data)
    new_data = copy.deepcopy(data)
    options = new_data["nodes"]["main_menu"]["menu"]["options"]
    options["2"]["when"] = 'plan in ["broadband", "fibre"]'
    options["3"]["rank"] = 1
    d = diff_flows(old, as_flow(new_data))
    (change,) = d.changed
    assert [a.path for a in change.changes] == ["menu.options.2.when", "menu.options.3.rank"]
    audience = [r.message for r in d.reach if r.kind == "audience"]
    assert audience == [
        'menu `main_menu`: key 2 (`repair`) is now offered when `plan in ["broadband",'
        ' "fibre"]` (was `plan == "broadband"`)',
        "menu `main_menu`: key 3 (`enter_voucher`) is now ranked by `1` (was unranked)",
    ]
    assert d.edges == []  # the targets did not move
    assert "is now offered when" in to_markdown(d)


def x(seconds: float) -> str:
    return "x" * round(seconds * 14)  # 14 characters a second (see test_stats)


ADAPTIVE = f"""\
flow: adaptive
locales: [en-US]
agent_key: {{key: "0", goto: agent}}
variables: {{vip: bool}}
queues: {{q: {{}}}}
nodes:
  main:
    menu:
      prompt: "{x(2)}"
      retries: 1
      options:
        1: {{goto: done, say: "{x(1)}"}}
        2:
          - {{goto: done, when: vip, say: "{x(4)}"}}
          - {{goto: done, when: not vip, say: "{x(3)}"}}
        3: {{goto: desk, when: vip, say: "{x(5)}"}}
      on_fail: agent
  done: {{hangup: null}}
  desk: {{queue: q}}
  agent: {{queue: q}}
"""


def test_stats_take_the_worst_case_over_the_offered_sets() -> None:
    flow, diags = build_flow(load_text(ADAPTIVE, "a.yaml"))
    assert flow is not None, diags
    stats = flow_stats(flow)
    # best case: the options offered to everyone (intro 2 s + key 1, 1 s), then key 3 for a
    # VIP: no, the agent key 0 is as quick and offered to everyone
    assert stats.seconds_to_agent["en-US"] == 3.0
    # worst case: intro 2 + key 1 (1) + key 2's longer alternative (4) + key 3 (5) = 12 s;
    # the VIP-only key 3 does not count as a way to a person (the agent key does)
    assert stats.worst_seconds_to_agent["en-US"] == 12.0


def test_coverage_counts_each_conditional_option_shown_and_hidden(tmp_path: Path) -> None:
    for name in ("telecom_line.yaml", "telecom_line.test.yaml"):
        shutil.copy(ROOT / "examples" / name, tmp_path / name)
    scenarios = tmp_path / "telecom_line.test.yaml"
    text = scenarios.read_text(encoding="utf-8")
    only_broadband = text[: text.index("  - name: a broadband customer who mostly checks")]
    scenarios.write_text(only_broadband, encoding="utf-8")
    r = CliRunner().invoke(app, ["test", str(scenarios), "--format", "json"])
    report = json.loads(r.output)
    (cov,) = report["coverage"]
    uncovered = {(e["from"], e["label"], e["kind"]) for e in cov["uncovered_edges"]}
    assert ("main_menu", "key 2 hidden", "hidden") in uncovered
    assert ("main_menu", "key 2 shown", "shown") not in uncovered
    full = CliRunner().invoke(
        app, ["test", str(ROOT / "examples" / "telecom_line.test.yaml"), "--format", "json"]
    )
    (cov,) = json.loads(full.output)["coverage"]
    assert cov["uncovered_edges"] == [] and cov["edges"]["percent"] == 100.0
