"""Flow regexes run on RE2 (linear time); what RE2 cannot run is refused (lint, run time)."""

from __future__ import annotations

import pytest

from flowc.lang.expr import EvalError, Scope, evaluate, parse_expr
from flowc.lang.regex import RegexError, compile_regex, regex_search
from flowc.pipeline import check_text

NESTED = "^(1+)+$"


def test_nested_quantifier_against_digits_is_answered() -> None:
    # With a backtracking engine this took 14 s at 29 digits and doubles with each digit
    # more: 60 digits would not finish in a lifetime.
    expr = parse_expr(f"digits matches '{NESTED}'")
    assert evaluate(expr, Scope({"digits": "1" * 60 + "x"})) is False
    assert evaluate(expr, Scope({"digits": "1" * 60})) is True


def test_regex_search_helper_for_digit_checks() -> None:
    assert regex_search(NESTED, "1" * 5000 + "2") is False
    assert regex_search(r"^\d{4}$", "1234") is True


@pytest.mark.parametrize("pattern", [r"(\d)\1", r"^(?!0)\d+$", r"(?<=A)B", r"a(?=b)"])
def test_patterns_re2_cannot_run_are_refused(pattern: str) -> None:
    with pytest.raises(RegexError) as err:
        compile_regex(pattern)
    assert err.value.hint is not None and "RE2" in err.value.hint
    with pytest.raises(EvalError, match="invalid regular expression"):
        evaluate(parse_expr("x matches p"), Scope({"x": "1", "p": pattern}))


FLOW = """\
flow: t
agent_key: {key: "0", goto: agent}
variables: {ref: string, pin: string}
queues: {support: {}}
nodes:
  ask:
    collect: {into: pin, prompt: "PIN", pattern: '(\\d)\\1{3}', no_input: "?", no_match: "?",
              on_fail: agent}
    next: route
  route:
    switch: [{if: 'ref matches "^(?!0)\\\\d+$"', goto: agent}]
    default: agent
  agent: {queue: support}
"""


def test_lint_refuses_what_re2_cannot_run_with_position_and_hint() -> None:
    checked = check_text(FLOW, "flows/re.yaml")
    found = [(d.code, d.span.line, d.span.col) for d in checked.diagnostics if d.code == "FL506"]
    assert found == [("FL506", 7, 50), ("FL506", 11, 32)]
    for d in checked.diagnostics:
        if d.code == "FL506":
            assert d.severity.name == "ERROR"
            assert d.hint and "backreferences" in d.hint
    assert not checked.ok


def test_collect_pattern_in_the_interpreter_runs_on_re2() -> None:
    from flowc.compiler.ir import compile_flow
    from flowc.interpreter import Program
    from flowc.interpreter.program import CollectN

    text = FLOW.replace("'(\\d)\\1{3}'", f"'{NESTED[1:-1]}'").replace("(?!0)", "")
    checked = check_text(text, "flows/re.yaml")
    assert checked.flow is not None and checked.ok, checked.diagnostics
    program = Program.from_ir(compile_flow(checked.flow))
    node = program.nodes["ask"]
    assert isinstance(node, CollectN)
    assert node.pattern is not None
    assert node.pattern.match("1" * 80 + "2") is None
