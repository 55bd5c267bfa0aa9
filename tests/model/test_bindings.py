"""Binding files: their shape, and the hints for fields they may not have."""

from __future__ import annotations

import textwrap

from flowc.diagnostics import Diagnostic
from flowc.model.bindings import Bindings, check_bindings
from flowc.pipeline import check_doc, load_text

FLOW = """\
flow: care
services:
  crm: {url: "${CRM_URL}/customers?ani={caller.number}", timeout: 1500ms}
nodes:
  start: {fetch: crm, next: bye}
  bye: {hangup: null}
"""


def check(bindings_yaml: str) -> tuple[Bindings | None, list[Diagnostic]]:
    flow = check_doc(load_text(FLOW, "care.yaml")).flow
    assert flow is not None
    doc = load_text(textwrap.dedent(bindings_yaml).lstrip("\n"), "dev.yaml")
    return check_bindings(doc, [flow])


def unknown_fields(out: list[Diagnostic]) -> list[tuple[str, int, int, str | None]]:
    return [(d.message, d.span.line, d.span.col, d.hint) for d in out if d.code == "FL101"]


def test_service_env_binds_the_base_url() -> None:
    b, out = check("""
        environment: dev
        flows: {care: {dids: ["5000"]}}
        services:
          care.crm: {env: {CRM_URL: "http://127.0.0.1:8900/crm"}}
    """)
    assert out == []
    assert b is not None
    assert b.services["care.crm"].env == {"CRM_URL": "http://127.0.0.1:8900/crm"}
    assert b.model_dump(mode="json")["services"] == {
        "care.crm": {"env": {"CRM_URL": "http://127.0.0.1:8900/crm"}}
    }


def test_service_url_is_an_unknown_field_that_points_to_env() -> None:
    b, out = check("""
        environment: dev
        services:
          care.crm: {url: "http://127.0.0.1:8900/crm"}
    """)
    assert b is None
    [(message, line, col, hint)] = unknown_fields(out)
    assert (message, line, col) == ("unknown field `url`", 3, 14)
    assert hint is not None
    assert hint.startswith("did you mean `env`?")
    assert "${CRM_URL}" in hint


def test_misspelt_fields_inside_table_entries_get_did_you_mean() -> None:
    _, out = check("""
        environment: dev
        flows:
          care: {dis: ["5000"]}
        services:
          care.crm: {evn: {CRM_URL: "http://127.0.0.1:8900/crm"}}
          care.other: {timeout: 5}
    """)
    got = {message: hint for message, _, _, hint in unknown_fields(out)}
    assert got == {
        "unknown field `dis`": "did you mean `dids`?",
        "unknown field `evn`": "did you mean `env`?",
        "unknown field `timeout`": "allowed here: env",
    }


def test_top_level_unknown_field_keeps_its_did_you_mean() -> None:
    _, out = check("""
        environment: dev
        mailbox: {care.general: "default/1000"}
    """)
    [(message, _, _, hint)] = unknown_fields(out)
    assert message == "unknown field `mailbox`" and hint == "did you mean `mailboxes`?"


def test_a_mailbox_names_a_directory_domain_and_a_box() -> None:
    b, out = check("""
        environment: dev
        mailboxes:
          care.general: "1000"
          care.night: "127.0.0.1/"
          care.day: "127.0.0.1/ 1000"
          care.ok: "127.0.0.1/1000"
    """)
    assert b is not None
    bad = {d.message: (d.code, d.span.line) for d in out if d.code == "FL605"}
    assert bad == {
        "mailbox `care.general` is '1000': write `<domain>/<box>`": ("FL605", 3),
        "mailbox `care.night` is '127.0.0.1/': write `<domain>/<box>`": ("FL605", 4),
        "mailbox `care.day` is '127.0.0.1/ 1000': write `<domain>/<box>`": ("FL605", 5),
    }
    hint = next(d.hint for d in out if d.code == "FL605")
    assert hint is not None and "$${domain}" in hint


def test_hold_music_is_a_binding() -> None:
    b, out = check("""
        environment: dev
        hold_music: "tone_stream://%(400,2600,440);loops=-1"
    """)
    assert b is not None and out == []
    assert b.model_dump(mode="json")["hold_music"] == "tone_stream://%(400,2600,440);loops=-1"


def test_the_projects_binding_files_check_clean() -> None:
    """bindings/dev.yaml names what a stock switch has; both files pass `flowc check`."""
    from pathlib import Path

    from flowc.compiler.bundle import build_bundle
    from flowc.lint.config import load_config

    root = Path(__file__).resolve().parents[2]
    paths = [root / "examples", root / "flows", root / "bindings"]
    bundle, results = build_bundle(paths, load_config())
    assert bundle is not None
    diags = [d for r in results for d in r.diagnostics if r.bindings is not None]
    assert [d for d in diags if d.code.startswith("FL6")] == []
    dev = bundle.bindings["dev"]
    assert dev["fallback"] == "bridge:user/1000"
    assert all(m.startswith("127.0.0.1/10") for m in dev["mailboxes"].values())
    assert dev["hold_music"].startswith("tone_stream://")


def test_values_written_into_freeswitch_xml_are_checked() -> None:
    b, out = check("""
        environment: dev
        runtime: ["127.0.0.1:8084|127.0.0.1:8085", "[::1]:8084", "10.0.0.9"]
        hold_music: "${system(touch /tmp/x)}"
        flows: {care: {dids: ["+862150000000", "5000 ${x}"]}}
    """)
    assert b is not None
    bad = sorted((d.span.line, d.message) for d in out if d.code == "FL605")
    assert bad == [
        (2, "runtime instance '10.0.0.9' is not one host:port"),
        (2, "runtime instance '127.0.0.1:8084|127.0.0.1:8085' is not one host:port"),
        (3, "hold_music '${system(touch /tmp/x)}' is not a file or stream name"),
        (4, "DID '5000 ${x}' of `care` is not a destination number"),
    ]


def test_an_environment_is_a_plain_name() -> None:
    """It names the build's folder `freeswitch/<env>/` and is set on every call."""
    b, out = check("""
        environment: ../../etc
    """)
    assert b is None
    assert [(d.code, d.span.line) for d in out] == [("FL103", 1)]
    assert "should match pattern" in out[0].message
