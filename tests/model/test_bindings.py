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
