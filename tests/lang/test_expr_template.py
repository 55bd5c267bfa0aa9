from __future__ import annotations

from datetime import datetime

import pytest

from flowc.lang.expr import EvalError, ExprError, Name, Scope, Type, TypeEnv, parse_expr
from flowc.lang.template import (
    Hole,
    Template,
    check_template,
    evaluate_template,
    parse_template,
    render_template,
    template_names_used,
)

SCOPE = Scope(
    {"tier": "gold", "caller.number": "+8610123", "caller.name": "Li", "balance": 12.5, "n": 3},
    now=datetime(2026, 1, 5, 9, 30),
)
ENV = TypeEnv.standard({"tier": Type.STRING, "balance": Type.FLOAT, "n": Type.INT})


def test_plain_text() -> None:
    t = parse_template("Welcome to ACME")
    assert t.parts == ["Welcome to ACME"]
    assert t.env_refs == [] and not t.is_single_hole and t.is_literal
    assert render_template(t, SCOPE) == "Welcome to ACME"
    assert check_template(t, ENV) == (Type.STRING, [])


def test_empty_template() -> None:
    t = parse_template("")
    assert t.parts == [] and render_template(t, SCOPE) == ""
    assert evaluate_template(t, SCOPE) == ""


def test_holes_and_offsets() -> None:
    text = "Hello {caller.name}, your balance is {balance}."
    t = parse_template(text)
    assert len(t.parts) == 5
    h1, h2 = t.holes
    assert isinstance(h1, Hole) and h1.expr == Name("caller.name")
    assert text[h1.start : h1.end] == h1.text == "caller.name"
    assert text[h2.start : h2.end] == "balance"
    assert render_template(t, SCOPE) == "Hello Li, your balance is 12.5."
    assert template_names_used(t) == {"caller.name", "balance"}


def test_brace_escapes() -> None:
    t = parse_template("{{not a hole}} and {{{tier}}}")
    assert render_template(t, SCOPE) == "{not a hole} and {gold}"
    assert parse_template("}}{{").parts == ["}{"]


def test_braces_inside_strings_in_holes() -> None:
    t = parse_template("""{tier if n > 1 else "}{"}!""")
    assert render_template(t, SCOPE) == "gold!"
    t = parse_template("""a{'\\'}'}b""")
    assert render_template(t, SCOPE) == "a'}b"


def test_env_refs_are_kept_and_listed() -> None:
    text = "${CRM_URL}/customers?ani={caller.number}&k=${CRM_KEY}&again=${CRM_URL}"
    t = parse_template(text)
    assert t.env_refs == ["CRM_URL", "CRM_KEY"]
    assert render_template(t, SCOPE) == (
        "${CRM_URL}/customers?ani=+8610123&k=${CRM_KEY}&again=${CRM_URL}"
    )
    assert template_names_used(t) == {"caller.number"}
    assert parse_template("Bearer ${TOKEN}").env_refs == ["TOKEN"]


def test_dollar_alone_is_text() -> None:
    t = parse_template("costs $5, ${{literal}}, $")
    assert t.env_refs == []
    assert render_template(t, SCOPE) == "costs $5, ${literal}, $"


def test_single_hole_is_typed() -> None:
    t = parse_template("{5 if tier == 'gold' else 1}")
    assert t.is_single_hole
    assert check_template(t, ENV) == (Type.INT, [])
    assert evaluate_template(t, SCOPE) == 5
    assert render_template(t, SCOPE) == "5"
    spaced = parse_template(" {n}")
    assert not spaced.is_single_hole
    assert check_template(spaced, ENV)[0] is Type.STRING
    assert evaluate_template(spaced, SCOPE) == " 3"
    assert evaluate_template(parse_template("{n}{n}"), SCOPE) == "33"
    assert check_template(parse_template("{balance > 1}"), ENV)[0] is Type.BOOL


def test_check_template_offsets_are_in_template_text() -> None:
    text = "Dear {caller.nmae}, tier {tier + 1}"
    _, issues = check_template(parse_template(text), ENV)
    assert [i.kind for i in issues] == ["unknown_name", "type_error"]
    assert text[issues[0].start : issues[0].end] == "caller.nmae"
    assert issues[0].hint == "did you mean `caller.name`?"
    assert text[issues[1].start : issues[1].end] == "tier + 1"


def test_render_errors_are_eval_errors_in_template_offsets() -> None:
    text = "total: {n / 0}"
    with pytest.raises(EvalError) as info:
        render_template(parse_template(text), SCOPE)
    assert text[info.value.start : info.value.end] == "n / 0"
    with pytest.raises(EvalError):
        evaluate_template(parse_template("{missing}"), SCOPE)


@pytest.mark.parametrize(
    ("text", "message", "start", "end"),
    [
        ("Hello {name", "unclosed `{`", 6, 7),
        ("Hello } there", "single `}`", 6, 7),
        ("a {} b", "empty `{}`", 2, 4),
        ("a {  } b", "empty `{}`", 2, 6),
        ("x {a {b}}", "unexpected `{` inside", 5, 6),
        ("{tier == 'gold}", "unclosed string", 9, 15),
        ("Hi {tier = 'x'}", "`=` is not an operator", 9, 10),
        ("Hi {tier ==}", "expected an operand after `==`", 11, 11),
        ("n={(n + 1}", "`(` is never closed", 3, 4),
        ("${CRM-URL}", "invalid environment reference", 0, 10),
        ("${ X }", "invalid environment reference", 0, 6),
        ("${X", "invalid environment reference", 0, 3),
    ],
)
def test_template_syntax_errors(text: str, message: str, start: int, end: int) -> None:
    with pytest.raises(ExprError) as info:
        parse_template(text)
    assert message in info.value.message
    assert (info.value.start, info.value.end) == (start, end)


def test_parse_template_returns_fresh_objects() -> None:
    a = parse_template("x {n}")
    b = parse_template("x {n}")
    assert a == b and a is not b
    a.parts.append("mutated")
    assert parse_template("x {n}").parts == b.parts
    assert isinstance(a, Template)
    assert a.holes[0].expr is parse_expr("n")  # expressions are shared (immutable, cached)
