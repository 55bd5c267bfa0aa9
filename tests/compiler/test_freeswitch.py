"""`flowc compile --target freeswitch`: the dialplan and callcenter XML, parsed back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from flowc.cli.main import app

FLOW = """\
flow: care
queues: {billing: {skill: billing, strategy: round-robin}}
nodes:
  start: {queue: billing, after: bye}
  bye: {hangup: null}
"""
BINDINGS = """\
environment: prod
runtime: ["127.0.0.2:8084", "127.0.0.3:8084"]
fallback: "bridge:user/1000"
flows:
  care: {dids: ["+862150000000", "5000"]}
queues:
  care.billing: billing@default
"""


def compile_tree(tmp_path: Path) -> Path:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "care.yaml").write_text(FLOW, encoding="utf-8")
    (tmp_path / "bindings").mkdir()
    (tmp_path / "bindings" / "prod.yaml").write_text(BINDINGS, encoding="utf-8")
    out = tmp_path / "build"
    r = CliRunner().invoke(
        app,
        [
            "compile",
            str(tmp_path / "flows"),
            str(tmp_path / "bindings"),
            "-o",
            str(out),
            "--target",
            "freeswitch",
        ],
    )
    assert r.exit_code == 0, r.output
    return out / "freeswitch" / "prod"


def test_dialplan_routes_dids_to_runtime_with_failover_and_fallback(tmp_path: Path) -> None:
    base = compile_tree(tmp_path)
    root = ET.parse(base / "dialplan" / "flowc.xml").getroot()
    ext = root.find("./context[@name='public']/extension[@name='flowc_care']")
    assert ext is not None
    cond = ext.find("condition")
    assert cond is not None
    assert cond.get("expression") == r"^(\+862150000000|5000)$"
    actions = [(a.get("application"), a.get("data")) for a in cond.findall("action")]
    assert ("set", "flowc_flow=care") in actions
    socket = [d for a, d in actions if a == "socket"]
    assert socket == ["127.0.0.2:8084|127.0.0.3:8084 async full"]
    # Something must follow the socket, or a caller is dropped when the runtime is down.
    apps = [a for a, _ in actions]
    assert apps.index("socket") < len(apps) - 1
    assert actions[-1] == ("transfer", "flowc_after_${flowc_resume} XML flowc")
    fallback = root.find("./context[@name='flowc']/extension[@name='flowc_fallback']/condition")
    assert fallback is not None
    assert ("bridge", "user/1000") in [
        (a.get("application"), a.get("data")) for a in fallback.findall("action")
    ]
    resume = root.find("./context[@name='flowc']/extension[@name='flowc_resume']/condition")
    assert resume is not None
    assert [a.get("application") for a in resume.findall("action")].count("socket") == 1


def test_callcenter_queues_from_bindings(tmp_path: Path) -> None:
    base = compile_tree(tmp_path)
    conf = ET.parse(base / "autoload_configs" / "callcenter.conf.xml").getroot()
    queues = conf.findall("./queues/queue")
    assert [q.get("name") for q in queues] == ["billing@default"]
    params = {p.get("name"): p.get("value") for p in queues[0].findall("param")}
    assert params["strategy"] == "round-robin"


def test_bundle_is_deterministic(tmp_path: Path) -> None:
    compile_tree(tmp_path)
    first = (tmp_path / "build" / "bundle.json").read_bytes()
    compile_tree_again = CliRunner().invoke(
        app,
        [
            "compile",
            str(tmp_path / "flows"),
            str(tmp_path / "bindings"),
            "-o",
            str(tmp_path / "build2"),
        ],
    )
    assert compile_tree_again.exit_code == 0
    assert (tmp_path / "build2" / "bundle.json").read_bytes() == first
