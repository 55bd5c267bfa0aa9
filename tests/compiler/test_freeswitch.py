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


# ---------------------------------------------------------------------- voicemail limit

VM_FLOW = """\
flow: hotline
mailboxes: {general: {}, urgent: {}}
nodes:
  start: {subflow: modules/after_hours.yaml, next: message}
  message: {voicemail: general, max_length: 90s, next: long}
  long: {voicemail: urgent, max_length: 150500ms}
"""
VM_MODULE = """\
flow: after_hours
params: {}
returns: {}
mailboxes: {night: {}}
nodes:
  start: {voicemail: night, max_length: %s, next: done}
  done: {return: {}}
"""
VM_BINDINGS = """\
environment: %s
flows:
  %s
mailboxes:
  hotline.general: "default/1000"
  hotline.urgent: "default/1001"
  after_hours.night: "default/1002"
"""


def compile_voicemail(tmp_path: Path, module_length: str = "60s") -> tuple[Path, str]:
    flows = tmp_path / "flows"
    (flows / "modules").mkdir(parents=True)
    (flows / "hotline.yaml").write_text(VM_FLOW, encoding="utf-8")
    (flows / "modules" / "after_hours.yaml").write_text(VM_MODULE % module_length, encoding="utf-8")
    (tmp_path / "bindings").mkdir()
    for env, routed in [("prod", 'hotline: {dids: ["5000"]}'), ("lab", "{}")]:
        text = VM_BINDINGS % (env, routed)
        (tmp_path / "bindings" / f"{env}.yaml").write_text(text, encoding="utf-8")
    out = tmp_path / "build"
    args = ["compile", str(flows), str(tmp_path / "bindings"), "-o", str(out)]
    r = CliRunner().invoke(app, [*args, "--target", "freeswitch"])
    assert r.exit_code == 0, r.output
    return out / "freeswitch", r.output


def included(fragment: Path, profile_params: str) -> ET.Element:
    """The profile as FreeSWITCH reads it with the fragment included: its pre-processor
    (`preprocess` in switch_xml.c) skips every line that holds `<include>`, `</include>` or
    `<?`, and pastes the rest where the X-PRE-PROCESS include stands."""
    kept = [
        line
        for line in fragment.read_text(encoding="utf-8").splitlines()
        if "<include>" not in line and "</include>" not in line and "<?" not in line
    ]
    return ET.fromstring(f'<profile name="default">{"".join(kept)}{profile_params}</profile>')


def test_voicemail_profile_limit_is_the_longest_voicemail_the_environment_serves(
    tmp_path: Path,
) -> None:
    base, output = compile_voicemail(tmp_path, module_length="200500ms")
    fragment = base / "prod" / "flowc" / "voicemail_profile.xml"
    root = ET.parse(fragment).getroot()
    assert root.tag == "include"
    # The subflow module's 200.5 s voicemail is the longest: rounded up to whole seconds.
    assert [(p.get("name"), p.get("value")) for p in root.iter("param")] == [
        ("max-record-len", "201")
    ]
    profile = included(fragment, '<param name="file-extension" value="wav"/>')
    params = {p.get("name"): p.get("value") for p in profile.findall("param")}
    assert params == {"max-record-len": "201", "file-extension": "wav"}
    assert "prod: 2 voicemail node(s) have a shorter max_length" in output
    assert "hotline.long, hotline.message" in output


def test_no_voicemail_profile_for_an_environment_without_voicemail(tmp_path: Path) -> None:
    base, _ = compile_voicemail(tmp_path)
    assert (base / "prod" / "flowc" / "voicemail_profile.xml").exists()
    # `lab` routes no flow to the runtime: it serves no voicemail node.
    assert (base / "lab" / "dialplan" / "flowc.xml").exists()
    assert not (base / "lab" / "flowc").exists()


def test_voicemail_profile_limit_stays_in_mod_voicemail_range(tmp_path: Path) -> None:
    base, output = compile_voicemail(tmp_path, module_length="20m")
    root = ET.parse(base / "prod" / "flowc" / "voicemail_profile.xml").getroot()
    # 1000 and more are refused by mod_voicemail, which then falls back to 300 s.
    assert [p.get("value") for p in root.iter("param")] == ["999"]
    assert "over mod_voicemail's limit of 999s: messages stop at 999s (after_hours.start)" in output
