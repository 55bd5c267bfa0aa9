"""The schema stage: shapes, types and unknown fields, reported at the author's line:col."""

from __future__ import annotations

import textwrap

from flowc.diagnostics import Diagnostic
from flowc.pipeline import check_doc, load_text


def diags(yaml_text: str) -> list[Diagnostic]:
    doc = load_text(textwrap.dedent(yaml_text).lstrip("\n"), "t.yaml")
    return check_doc(doc).diagnostics


def at(d: Diagnostic) -> tuple[str, int, int]:
    return (d.code, d.span.line, d.span.col)


def test_minimal_flow_is_valid() -> None:
    out = diags("""
        flow: tiny
        nodes:
          start: {hangup: null}
    """)
    assert [d for d in out if d.code < "FL2"] == []


def test_unknown_node_field_points_at_key_with_did_you_mean() -> None:
    out = diags("""
        flow: tiny
        nodes:
          start: {play: "hi", nxt: bye}
          bye: {hangup: null}
    """)
    assert [at(d) for d in out if d.code == "FL101"] == [("FL101", 3, 23)]
    (d,) = [d for d in out if d.code == "FL101"]
    assert d.message == "unknown field `nxt`"
    assert d.hint == "did you mean `next`?"


def test_unknown_header_field_did_you_mean() -> None:
    out = diags("""
        flow: tiny
        locals: [en-US]
        nodes:
          start: {hangup: null}
    """)
    assert [(at(d), d.hint) for d in out] == [(("FL101", 2, 1), "did you mean `locales`?")]


def test_unknown_field_inside_menu_body() -> None:
    out = diags("""
        flow: tiny
        nodes:
          m:
            menu:
              prompt: "Press 1"
              option: {1: m}
    """)
    (d,) = out
    assert at(d) == ("FL101", 6, 7)
    assert d.hint == "did you mean `options`?"


def test_missing_required_field_points_at_node() -> None:
    out = diags("""
        flow: tiny
        nodes:
          start: {play: "hello"}
    """)
    (d,) = out
    assert at(d) == ("FL102", 3, 3)
    assert d.message == "missing required field `next`"


def test_wrong_type_points_at_value() -> None:
    out = diags("""
        flow: tiny
        nodes:
          m:
            menu:
              prompt: "Press 1"
              options: {1: m}
              retries: many
    """)
    (d,) = out
    assert at(d) == ("FL103", 7, 16)
    assert d.message == "menu.retries: `many` is not a whole number"


def test_bad_menu_key_and_bad_duration() -> None:
    out = diags("""
        flow: tiny
        nodes:
          m:
            menu:
              prompt: "Press 1"
              options: {12: m}
              timeout: soon
    """)
    codes = sorted(at(d) for d in out)
    assert codes == [("FL103", 6, 16), ("FL103", 7, 16)]
    assert any("not a phone key" in d.message for d in out)
    assert any("`soon` is not a duration" in d.message for d in out)


def test_node_kind_errors() -> None:
    out = diags("""
        flow: tiny
        nodes:
          a: {mneu: {prompt: x}}
          b: {play: hi, hangup: null, next: a}
          c: {next: a}
    """)
    assert [at(d) for d in out] == [("FL104", 3, 7), ("FL104", 4, 17), ("FL104", 5, 3)]
    assert out[0].hint == "did you mean `menu`?"


def test_fetch_with_set_is_a_fetch_node() -> None:
    out = diags("""
        flow: tiny
        variables: {tier: string}
        services: {crm: {url: "http://crm.invalid/{caller.number}"}}
        nodes:
          start: {fetch: crm, set: {tier: "{result.tier}"}, next: bye, on_error: bye}
          bye: {hangup: null}
    """)
    assert [d for d in out if d.code.startswith("FL1")] == []


def test_prompt_shapes_errors_point_inside_the_prompt() -> None:
    out = diags("""
        flow: tiny
        locales: [en-US]
        nodes:
          start: {play: {say: {colour: "{x}"}}, next: bye}
          bye: {hangup: null}
    """)
    (d,) = out
    assert d.code == "FL103"
    assert "cannot read `colour` aloud" in d.message
    assert (d.span.line, d.span.col) == (4, 32)


def test_invalid_node_name() -> None:
    out = diags("""
        flow: tiny
        nodes:
          2nd: {hangup: null}
    """)
    assert [at(d) for d in out] == [("FL103", 3, 3)]


def test_a_malformed_menu_option_gets_one_message_of_the_form_it_was_written_in() -> None:
    """An option is a name, a block or a list of blocks: each mistake is reported once, by the
    form written, at the mistake (not once per form it could have been)."""
    out = diags("""
        flow: tiny
        nodes:
          m:
            menu:
              prompt: "Hello."
              options:
                1: {goto: a, say: "Bills, {key}.", wehn: "true"}
                2: {say: "Repairs, {key}."}
                3: [{goto: a, say: "Data, {key}.", rank: [1]}]
                4: 5
                5: [{goto: a, say: "Roaming, {key}."}, a]
                6: not a name
          a: {hangup: null}
    """)
    schema = sorted((d for d in out if d.code < "FL2"), key=lambda d: d.span.line)
    assert [(at(d), d.message) for d in schema] == [
        (("FL101", 7, 44), "unknown field `wehn`"),
        (("FL102", 8, 9), "missing required field `goto`"),
        (("FL103", 9, 50), "menu.options.3.0.rank: expected text or a number"),
        (
            ("FL103", 10, 12),
            "menu.options.4: an option is a node name, an option block"
            " `{goto: node, say: ..., when: ..., rank: ...}` or a list of option blocks",
        ),
        (("FL103", 11, 48), "menu.options.5.1: `a` is not a mapping of fields"),
        (
            ("FL103", 12, 12),
            "menu.options.6: `not a name` is not a valid name"
            " (letters, digits and _, not starting with a digit)",
        ),
    ]
    assert schema[0].hint is not None and "did you mean `when`" in schema[0].hint
