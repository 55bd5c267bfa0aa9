"""`flowc compile --target freeswitch`: the dialplan and callcenter XML, parsed back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
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


def compile_tree(tmp_path: Path, bindings: str = BINDINGS) -> Path:
    (tmp_path / "flows").mkdir(exist_ok=True)
    (tmp_path / "flows" / "care.yaml").write_text(FLOW, encoding="utf-8")
    (tmp_path / "bindings").mkdir(exist_ok=True)
    (tmp_path / "bindings" / "prod.yaml").write_text(bindings, encoding="utf-8")
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


Actions = list[tuple[str | None, str | None]]


def actions(cond: ET.Element) -> Actions:
    return [(a.get("application"), a.get("data")) for a in cond.findall("action")]


def extensions(root: ET.Element, context: str) -> list[tuple[str, list[tuple[str, str]], Actions]]:
    """Every extension of a context in order: (name, [(field, expression)], the actions).
    Only the last condition may carry actions: FreeSWITCH keeps the actions of a passing
    condition even when a later condition of the extension fails."""
    ctx = root.find(f"./context[@name='{context}']")
    assert ctx is not None, context
    out = []
    for ext in ctx.findall("extension"):
        conds = ext.findall("condition")
        assert conds and all(not c.findall("action") for c in conds[:-1]), ext.get("name")
        assert not ext.findall(".//anti-action") and ext.get("continue") is None
        fields = [(str(c.get("field")), str(c.get("expression"))) for c in conds]
        out.append((str(ext.get("name")), fields, actions(conds[-1])))
    return out


def test_public_extension_sets_the_call_and_goes_to_the_first_instance(tmp_path: Path) -> None:
    base = compile_tree(tmp_path)
    root = ET.parse(base / "dialplan" / "public" / "flowc.xml").getroot()
    # extensions only: the stock public context includes this file (public/*.xml)
    assert root.tag == "include" and [e.tag for e in root] == ["extension"]
    wrapped = ET.Element("include")
    ET.SubElement(wrapped, "context", {"name": "public"}).extend(root)
    [(name, fields, acts)] = extensions(wrapped, "public")
    assert name == "flowc_care"
    assert fields == [("destination_number", r"^(\+862150000000|5000)$")]
    assert acts == [
        ("set", "flowc_flow=care"),
        ("set", "flowc_did=${destination_number}"),
        ("set", "flowc_env=prod"),
        ("answer", None),
        ("transfer", "flowc_try_1 XML flowc"),
    ]


NEXT = ("destination_number", "^flowc_next$")


def flowc_next_rules(fallback: Actions) -> list[tuple[str, list[tuple[str, str]], Actions]]:
    """What every environment's `flowc_next` decides, in order, apart from the per-instance
    steps (d)."""
    return [
        (
            "flowc_resume",
            [NEXT, ("${flowc_resume}", "^(.+)$")],
            [
                ("set", "flowc_resume_node=$1"),
                ("unset", "flowc_resume"),
                ("unset", "flowc_served"),
                ("transfer", "flowc_try_1 XML flowc"),
            ],
        ),
        (
            "flowc_agent_done",
            [NEXT, ("${flowc_served}", "^.+$"), ("${cc_queue_answered_epoch}", "^.+$")],
            [("hangup", "NORMAL_CLEARING")],
        ),
        (
            "flowc_lost",
            [NEXT, ("${flowc_served}", "^.+$")],
            [
                ("log", "WARNING flowc: runtime ${flowc_served} lost the call: falling back"),
                *fallback,
            ],
        ),
    ]


def tail_rules(fallback: Actions) -> list[tuple[str, list[tuple[str, str]], Actions]]:
    return [
        (
            "flowc_resume_lost",
            [NEXT, ("${flowc_resume_node}", "^.+$")],
            [
                ("log", "WARNING flowc: no runtime for the call after the agent: hanging up"),
                ("hangup", "NORMAL_CLEARING"),
            ],
        ),
        (
            "flowc_fallback",
            [NEXT],
            [("log", "WARNING flowc: no runtime took the call: falling back"), *fallback],
        ),
    ]


def try_rule(n: int, address: str) -> tuple[str, list[tuple[str, str]], Actions]:
    return (
        f"flowc_try_{n}",
        [("destination_number", f"^flowc_try_{n}$")],
        [
            ("set", f"flowc_try={n}"),
            ("socket", f"{address} async full"),
            ("transfer", "flowc_next XML flowc"),
        ],
    )


def test_two_instances_one_socket_action_each_tried_in_order(tmp_path: Path) -> None:
    base = compile_tree(tmp_path)
    root = ET.parse(base / "dialplan" / "flowc.xml").getroot()
    # no public context of its own: that would shadow the switch's (live capture X2)
    assert [c.get("name") for c in root.iter("context")] == ["flowc"]
    fallback: Actions = [("bridge", "user/1000")]
    assert extensions(root, "flowc") == [
        try_rule(1, "127.0.0.2:8084"),
        try_rule(2, "127.0.0.3:8084"),
        *flowc_next_rules(fallback),
        ("flowc_next_2", [NEXT, ("${flowc_try}", "^1$")], [("transfer", "flowc_try_2 XML flowc")]),
        *tail_rules(fallback),
    ]
    # socket_function takes one host:port: no action may carry a list
    sockets = [a.get("data") for a in root.iter("action") if a.get("application") == "socket"]
    assert sockets == ["127.0.0.2:8084 async full", "127.0.0.3:8084 async full"]


def test_one_instance_and_no_fallback(tmp_path: Path) -> None:
    one = BINDINGS.replace(
        'runtime: ["127.0.0.2:8084", "127.0.0.3:8084"]', 'runtime: ["127.0.0.2:9000"]'
    )
    one = one.replace('fallback: "bridge:user/1000"\n', "")
    assert "fallback" not in one and "127.0.0.3" not in one
    base = compile_tree(tmp_path, one)
    root = ET.parse(base / "dialplan" / "flowc.xml").getroot()
    # without a fallback a caller no runtime takes is hung up with a temporary failure
    hangup: Actions = [("hangup", "NORMAL_TEMPORARY_FAILURE")]
    assert extensions(root, "flowc") == [
        try_rule(1, "127.0.0.2:9000"),
        *flowc_next_rules(hangup),
        *tail_rules(hangup),
    ]


def test_a_runtime_list_in_one_entry_is_refused() -> None:
    from flowc.compiler.freeswitch import dialplan

    with pytest.raises(ValueError, match="one host:port per entry"):
        dialplan({"environment": "prod", "runtime": ["10.0.0.9:8084|10.0.0.10:8084"]})


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
    fragment = base / "prod" / "autoload_configs" / "flowc" / "voicemail_profile.xml"
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
    assert (base / "prod" / "autoload_configs" / "flowc" / "voicemail_profile.xml").exists()
    # `lab` routes no flow to the runtime: it serves no voicemail node.
    assert (base / "lab" / "dialplan" / "flowc.xml").exists()
    assert not (base / "lab" / "autoload_configs" / "flowc").exists()


def test_voicemail_profile_limit_stays_in_mod_voicemail_range(tmp_path: Path) -> None:
    base, output = compile_voicemail(tmp_path, module_length="20m")
    fragment = base / "prod" / "autoload_configs" / "flowc" / "voicemail_profile.xml"
    root = ET.parse(fragment).getroot()
    # 1000 and more are refused by mod_voicemail, which then falls back to 300 s.
    assert [p.get("value") for p in root.iter("param")] == ["999"]
    assert "over mod_voicemail's limit of 999s: messages stop at 999s (after_hours.start)" in output
