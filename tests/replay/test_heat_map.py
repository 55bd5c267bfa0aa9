"""The heat map (`flowc graph FLOW --journal URL`, `flowc diff A B --journal URL`) from a
journal of real calls: every runnable example scenario called through the emulator and the
runtime, journaled on SQLite and on a real PostgreSQL server (the `recorded` fixture).

The counts are checked against the calls' replay logs (`call_replay`: the path each call
took), which the heat map does not read (it reads the steps and ends), and against what the
bank's scenarios are known to do."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

import tests.replay.replay_support as R
from flowc.render_graph.traffic import Traffic
from flowc.replay import RecordedCall
from flowc_app import main
from flowc_app.heat import load_traffic
from flowc_app.replay_cmd import load_recorded

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ["bank", "ecommerce_aftersales", "telecom_care", "telecom_line"]
SVG = "{http://www.w3.org/2000/svg}"


def _calls(rec: R.Recorded, flow: str) -> list[RecordedCall]:
    calls, skipped = load_recorded(rec.journal, flows=[flow])
    assert not skipped, skipped
    return calls


def _scenarios(rec: R.Recorded, flow: str) -> int:
    return sum(1 for sid in rec.calls if sid.startswith(f"{flow}:"))


def _run(args: list[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code in (0, None)


@pytest.mark.parametrize("flow", FLOWS)
def test_counts_are_the_calls_paths_and_ends(recorded: R.Recorded, flow: str) -> None:
    calls = _calls(recorded, flow)
    traffic = load_traffic(recorded.journal, flow, None, None)
    assert traffic.calls == len(calls) >= 5
    # A node counts the calls that entered it, an edge the calls that went along it.
    nodes = Counter(n for c in calls for n in set(c.path))
    edges = Counter(
        p
        for c in calls
        for p in {(a, b) for a, b in zip(c.path, c.path[1:], strict=False) if a != b}
    )
    assert {n: t.calls for n, t in traffic.nodes.items() if t.calls} == dict(nodes)
    assert traffic.edges == dict(edges)
    hung = Counter(c.end_node for c in calls if c.end_kind == "caller_hangup")
    assert {n: t.hangups for n, t in traffic.nodes.items() if t.hangups} == dict(hung)
    ends = Counter(c.end_node for c in calls)
    assert {n: t.ends for n, t in traffic.nodes.items() if t.ends} == dict(ends)
    first = min(c.started_at for c in calls)
    last = max(c.started_at for c in calls)
    # (the calls table and the replay log note the start a few microseconds apart)
    assert traffic.since is not None and traffic.until is not None
    assert abs(traffic.since - first) < timedelta(seconds=1)
    assert abs(traffic.until - last) < timedelta(seconds=1)


def test_the_bank_s_known_nodes(recorded: R.Recorded) -> None:
    t = load_traffic(recorded.journal, "bank", None, None)
    n = _scenarios(recorded, "bank")
    assert t.calls == t.node("welcome").calls == n
    # "the caller hangs up while entering the card number": the bank's only hang-up.
    assert {k: v.hangups for k, v in t.nodes.items() if v.hangups} == {"ask_card": 1}
    # Retries that ran out: silence three times in the main menu and in the account menu;
    # the PIN (wrong length then silence; two wrong PINs and silence); the card number wrong
    # three times.
    failed = {k: v.failed for k, v in t.nodes.items() if v.failed}
    assert failed["main_menu"] == 1 and failed["account_menu"] == 1
    assert failed["verify_pin.ask_pin"] == 2 and failed["ask_card"] == 1
    # From the main menu to an agent: once because the menu failed, the others by key 0.
    assert t.failure_edges[("main_menu", "agent_general")] == 1
    assert t.edges[("main_menu", "agent_general")] >= 2
    # Drawn without its modules, the PIN subflow's steps count on `verify`, which called it:
    # its `next` edge carries every call that came back.
    paths = [c.path for c in _calls(recorded, "bank")]
    flat = load_traffic(recorded.journal, "bank", None, None, hide=["verify_pin."])
    assert not any(k.startswith("verify_pin.") for k in flat.nodes)
    back = sum(1 for p in paths if "verify" in p and "after_verify" in p)
    assert flat.edges[("verify", "after_verify")] == back > 0
    assert flat.node("verify").failed == t.node("verify_pin.ask_pin").failed
    # A window of the calls, cut between two start times (many calls start at the same
    # scenario time; the journal's tables note it microseconds apart).
    calls = _calls(recorded, "bank")
    starts = sorted({c.started_at.replace(microsecond=0) for c in calls})
    assert len(starts) >= 3
    cut = starts[len(starts) // 2] - timedelta(milliseconds=500)
    later = load_traffic(recorded.journal, "bank", cut.isoformat(), None)
    assert later.calls == sum(1 for c in calls if c.started_at >= cut)
    earlier = load_traffic(recorded.journal, "bank", None, cut.isoformat())
    assert earlier.calls + later.calls == n


def _fill(group: ET.Element) -> tuple[int, int, int]:
    """The fill of a node's first filled shape (its box), as RGB."""
    for shape in group.iter():
        fill = shape.get("fill", "")
        if shape.tag in (f"{SVG}polygon", f"{SVG}path") and re.fullmatch(r"#[0-9a-f]{6}", fill):
            return int(fill[1:3], 16), int(fill[3:5], 16), int(fill[5:7], 16)
    raise AssertionError(f"no filled shape in {group.get('id')}")


def test_the_svg_heat_map_of_the_bank(recorded: R.Recorded, tmp_path: Path) -> None:
    out = tmp_path / "heat.svg"
    _run(["graph", "examples/bank.yaml", "--journal", recorded.journal, "-o", str(out)])
    t = load_traffic(recorded.journal, "bank", None, None)
    root = ET.parse(out).getroot()
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g")}
    # Every traffic edge: its drawn width and the calls its label says.
    drawn: list[tuple[int, float, str]] = []
    for gid, g in groups.items():
        if "traffic" not in (g.get("class") or "").split():
            continue
        path = g.find(f"{SVG}path")
        assert path is not None
        label = next(x.text for x in g.iter(f"{SVG}text") if x.get("font-weight") == "bold")
        m = re.fullmatch(r"([\d,]+) · (\d+)%", label or "")
        assert m, label
        calls = int(m.group(1).replace(",", ""))
        assert int(m.group(2)) == round(100 * calls / t.calls)
        drawn.append((calls, float(path.get("stroke-width", "1")), str(gid)))
    assert len(drawn) >= 40
    # Widths are ordered as the calls are: more calls, a wider line; as many, as wide.
    for a_calls, a_width, a in drawn:
        for b_calls, b_width, b in drawn:
            if a_calls > b_calls:
                assert a_width > b_width, (a, a_calls, a_width, b, b_calls, b_width)
            elif a_calls == b_calls:
                assert a_width == b_width, (a, b)
    # An edge the journal's pairs fully account for carries their count.
    single = {gid: c for c, _, gid in drawn if gid.count("-") == 2}
    assert single["edge-welcome-identify"] == t.edges[("welcome", "identify")] == t.calls
    busiest = max(drawn)
    assert busiest[0] == max(t.edges.values())

    # Node colours: red where callers hang up, purple where retries run out, green where the
    # calls go to a person; a node nobody leaves from stays pale.
    def node(name: str) -> tuple[str, tuple[int, int, int]]:
        group = groups[f"node-{name}"]
        return group.get("class") or "", _fill(group)

    classes, (rd, gn, bl) = node("ask_card")
    assert "heat-hangup" in classes and rd > gn + 60 and rd > bl + 60, (rd, gn, bl)
    classes, (rd, gn, bl) = node("main_menu")
    assert "heat-failed" in classes and rd > gn + 30 and bl > gn + 30, (rd, gn, bl)
    queues = [n for n in t.nodes if "kind-queue" in node(n)[0]]
    person = max(queues, key=lambda n: t.nodes[n].calls)
    classes, (rd, gn, bl) = node(person)
    assert "heat-person" in classes and gn > rd + 40 and gn > bl + 40, (person, rd, gn, bl)
    classes, (rd, gn, bl) = node("identify")
    assert "heat-none" in classes and min(rd, gn, bl) >= 0xE0
    # Every node says its numbers.
    text = " ".join(x.text or "" for x in groups["node-ask_card"].iter(f"{SVG}text"))
    ask = t.node("ask_card")
    assert f"{ask.calls} calls · {round(100 * ask.calls / t.calls)}%" in text
    assert "1 hang up" in text


def test_a_diff_says_how_many_calls_a_day_the_change_moves(
    recorded: R.Recorded, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "examples", project)
    old, new = project / "bank.yaml", project / "bank_new.yaml"
    text = old.read_text(encoding="utf-8")
    reworded = "Transferring you to our fraud centre. Please stay on the line."
    assert reworded in text
    new.write_text(
        text.replace(reworded, "One moment, the fraud centre is next."), encoding="utf-8"
    )
    calls = _calls(recorded, "bank")
    moved = sum(1 for c in calls if "fraud_transfer" in c.path)
    assert 0 < moved < len(calls)
    start = min(c.started_at for c in calls).replace(hour=0, minute=0, second=0, microsecond=0)
    stop = start + timedelta(days=2)
    assert max(c.started_at for c in calls) < stop
    args = ["diff", str(old), str(new), "--journal", recorded.journal, "-f", "json"]
    args += ["--since", start.isoformat(), "--until", stop.isoformat()]
    with pytest.raises(SystemExit):
        main([*args, "-o", str(tmp_path / "diff.svg")])
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit):
        main(args)
    data = json.loads(buf.getvalue())
    moves = data["moves"]
    assert moves["nodes"] == ["fraud_transfer"]
    assert (moves["calls"], moves["reaching_changes"]) == (len(calls), moved)
    assert moves["per_day"] == round(moved / 2, 1) and moves["days"] == 2
    # The drawing carries the traffic too: the changed node with its calls.
    root = ET.parse(tmp_path / "diff.svg").getroot()
    node = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "node-fraud_transfer")
    assert "diff-changed" in (node.get("class") or "")
    said = " ".join(x.text or "" for x in node.iter(f"{SVG}text"))
    assert f"{moved} calls" in said


def test_bad_journal_options_are_refused_with_a_message(
    recorded: R.Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.svg"
    cases = [
        (["--journal", f"sqlite:///{tmp_path}/none.db"], "no journal at"),
        (["--journal", recorded.journal, "--since", "yesterday"], "cannot read the time"),
        (["--journal", recorded.journal, "--since", "2d", "--until", "3d"], "earlier than"),
        (["--since", "1d"], "go with --journal"),
        (["--journal", "mysql://x"], "journal"),
    ]
    for extra, says in cases:
        with pytest.raises(SystemExit) as done:
            main(["graph", "examples/bank.yaml", *extra, "-o", str(out)])
        assert done.value.code == 2, extra
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err, (extra, err)
    assert not out.exists() and not (tmp_path / "none.db").exists()
    # A span without calls: drawn (every node white), with a warning.
    with pytest.raises(SystemExit) as done:
        main(
            [
                "graph",
                "examples/bank.yaml",
                "--journal",
                recorded.journal,
                "--since",
                "2000-01-01",
                "--until",
                "2000-01-02",
                "-o",
                str(out),
            ]
        )
    assert done.value.code in (0, None)
    assert "no ended call of flow `bank` in that span" in capsys.readouterr().err
    assert "0 recorded calls" in out.read_text(encoding="utf-8")


def test_traffic_value_is_plain_data(recorded: R.Recorded) -> None:
    t = load_traffic(recorded.journal, "telecom_care", None, None)
    assert isinstance(t, Traffic)
    data = json.loads(json.dumps(t.to_json()))
    assert data["calls"] == t.calls and len(data["edges"]) == len(t.edges)
    # The caller who hung up while the main menu played.
    assert t.node("main_menu").hangups >= 1
