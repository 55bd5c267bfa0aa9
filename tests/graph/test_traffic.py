"""Counting traffic (flowc.render_graph.traffic) and drawing it (flow_dot with a Traffic): calls
per node and edge, where calls leave, widths and colours; the plain drawing is unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from flowc.analysis.load import load_flow
from flowc.render_graph import DrawOptions, flow_dot
from flowc.render_graph.traffic import (
    FAILED,
    HANGUP,
    PERSON,
    CallSteps,
    count_traffic,
    edge_width,
    heat_colours,
    node_heat,
)

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)

SMALL = """\
flow: small
locales: [en-US]
queues: {q: {}}
nodes:
  menu:
    menu:
      prompt: "Press 1 for news, 0 for a person."
      options: {1: news, 0: agent}
      on_fail: bye
  news: {play: "No news today.", next: bye}
  agent: {queue: q}
  bye: {hangup: null}
"""


def call(minutes: int, *steps: tuple[str, str], outcome: str = "hangup", **kw: str) -> CallSteps:
    return CallSteps(T0 + timedelta(minutes=minutes), list(steps), outcome, **kw)


START = ("menu", "start")
NEWS = ("news", "key 1: go to `news`")
BYE = ("bye", "next")
AGENT = ("agent", "key 0: go to `agent`")
FAILED_MENU = ("bye", "menu failed 3 times: go to `bye`")

CALLS = [
    call(0, START, NEWS, BYE, end_node="bye"),
    call(1, START, NEWS, BYE, end_node="bye"),
    call(2, START, NEWS, outcome="caller_hangup", end_node="news"),
    call(3, START, AGENT, outcome="queued", end_node="agent"),
    call(4, START, FAILED_MENU, end_node="bye"),
    # The default hang-up after a failed menu (no on_fail): the call ends at the menu.
    call(5, START, end_node="menu", end_reason="a failed menu"),
    # Round a loop twice: counted once per node and edge.
    call(6, START, NEWS, ("menu", "next"), NEWS, BYE, end_node="bye"),
    # Not ended: left out.
    CallSteps(T0, [START], None),
]


def test_counts_are_calls_per_node_and_edge() -> None:
    t = count_traffic(CALLS)
    assert t.calls == 7
    assert {n: x.calls for n, x in t.nodes.items()} == {
        "menu": 7,
        "news": 4,
        "bye": 4,
        "agent": 1,
    }
    assert t.edges == {
        ("menu", "news"): 4,
        ("news", "bye"): 3,
        ("menu", "agent"): 1,
        ("menu", "bye"): 1,
        ("news", "menu"): 1,
    }
    assert t.failure_edges == {("menu", "bye"): 1}
    assert t.node("news").hangups == 1 and t.node("menu").hangups == 0
    # Retries ran out at the menu twice: once to its on_fail, once to the default hang-up.
    assert t.node("menu").failed == 2
    assert t.node("bye").ends == 4 and t.node("menu").ends == 1
    assert (t.since, t.until) == (T0, T0 + timedelta(minutes=6))
    assert t.days == 1.0 and t.per_day(7) == 7


def test_a_window_sets_the_days_and_watched_nodes_count_calls() -> None:
    t = count_traffic(CALLS, since=T0, until=T0 + timedelta(days=7), watch={"agent", "news"})
    assert t.days == 7 and t.per_day(t.watched) == 5 / 7
    assert t.watched == 5  # 4 calls heard the news, 1 went to the agent
    renamed = t.renamed({"news": "headlines"})
    assert renamed.node("headlines").calls == 4 and ("menu", "headlines") in renamed.edges
    assert renamed.watch == {"agent", "headlines"}


def test_heat_of_nodes_and_widths_of_edges() -> None:
    t = count_traffic(CALLS)
    assert node_heat(t, "play", "news") == (HANGUP, 1)
    assert node_heat(t, "menu", "menu") == (FAILED, 2)
    assert node_heat(t, "queue", "agent") == (PERSON, 1)
    assert node_heat(t, "hangup", "bye") == (None, 0)
    assert heat_colours(t, "play", "nowhere") == ("#ffffff", "#cbd5e1")
    fill = heat_colours(t, "menu", "menu")[0]
    r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    assert r > g and b > g  # purple
    widths = {e: edge_width(t, c) for e, c in t.edges.items()}
    assert widths[("menu", "news")] > widths[("news", "bye")] > widths[("menu", "agent")]
    assert widths[("menu", "agent")] == widths[("menu", "bye")]
    assert edge_width(t, 0) < widths[("menu", "agent")]


def test_the_drawing_carries_the_traffic(tmp_path: Path) -> None:
    flow = tmp_path / "small.yaml"
    flow.write_text(SMALL, encoding="utf-8")
    g = load_flow(flow).graph()
    plain = flow_dot(g, DrawOptions()).source
    t = count_traffic(CALLS)
    heat = flow_dot(g, DrawOptions(traffic=t)).source
    assert plain == flow_dot(g, DrawOptions()).source  # drawing twice: the same
    assert "traffic" not in plain and "heat-" not in plain and "__legend__" not in plain
    assert 'class="kind-play heat-hangup"' in heat
    assert 'class="kind-queue heat-person"' in heat
    assert "__legend__" in heat and "7 recorded calls" in heat
    assert "4 calls · 57%" in heat  # news: 4 of 7 calls
    assert "1 hang up" in heat and "2 fail" in heat


def test_a_module_not_drawn_counts_on_its_caller_and_ends_inside_it_are_found() -> None:
    calls = [
        CallSteps(
            T0,
            [
                ("main", "start"),
                ("pin", "key 2: go to `pin`"),
                ("check.ask", "call subflow `check`"),
                ("check.no", "nothing valid collected after 3 tries (no input)"),
                ("after", "returned from `check` to `pin`"),
            ],
            "hangup",
            "after",
        ),
        # Hung up inside the module: the end names the module's node without its prefix.
        CallSteps(
            T0, [("main", "start"), ("pin", "x"), ("check.ask", "y")], "caller_hangup", "ask"
        ),
    ]
    drawn = count_traffic(calls)
    assert drawn.node("check.ask").hangups == 1 and "ask" not in drawn.nodes
    assert drawn.node("check.ask").failed == 1
    collapsed = count_traffic(calls, hide=["check."])
    assert not any(n.startswith("check.") for n in collapsed.nodes)
    assert collapsed.edges == {("main", "pin"): 2, ("pin", "after"): 1}
    assert collapsed.node("pin").hangups == 1 and collapsed.node("pin").failed == 1
    assert collapsed.node("pin").calls == 2
