"""Expression evaluation has budgets (text length, list length, integer size); a flow that
grows a value past one ends the call with outcome `error` instead of exhausting memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowc.cli.main import app
from flowc.lang.expr import BudgetError, EvalError, Scope, evaluate, parse_expr
from flowc.lang.expr.budget import MAX_INT_DIGITS, MAX_LIST_LENGTH, MAX_STRING_LENGTH
from flowc.lang.template import parse_template, render_template


def ev(text: str, **values: object) -> object:
    return evaluate(parse_expr(text), Scope(values))


def test_string_concatenation_past_the_budget_is_refused_before_it_is_built() -> None:
    half = "x" * (MAX_STRING_LENGTH // 2)
    assert ev("s + s", s=half) == half + half  # exactly at the limit is fine
    with pytest.raises(BudgetError) as err:
        ev("s + s + 'y'", s=half)
    assert isinstance(err.value, EvalError)  # the evaluator's one error type
    assert (err.value.start, err.value.end) == (0, 11)


def test_list_concatenation_past_the_budget_is_refused() -> None:
    items = list(range(MAX_LIST_LENGTH // 2 + 1))
    with pytest.raises(BudgetError, match="list would have"):
        ev("a + a", a=items)


def test_integer_growth_is_refused_without_computing_the_product() -> None:
    big = 10 ** (MAX_INT_DIGITS - 1)
    assert ev("n + 1", n=big) == big + 1
    with pytest.raises(BudgetError, match="more than 64 digits"):
        ev("n * n", n=big)
    # a product of two 100,000-digit ints would take seconds; the budget answers at once
    with pytest.raises(BudgetError):
        ev("n * n", n=1 << 300_000)
    with pytest.raises(BudgetError):
        ev("int(s)", s="9" * 100)


def test_text_of_a_list_of_big_strings_is_refused_item_by_item() -> None:
    chunk = "z" * 10_000
    with pytest.raises(BudgetError):
        ev("str(items)", items=[chunk] * 1000)
    with pytest.raises(BudgetError):
        render_template(parse_template("{a}{a}{a}{a}{a}{a}{a}"), Scope({"a": chunk}))


GROW = """\
flow: grow
agent_key: {key: "0", goto: agent}
variables: {s: {type: string, default: "ab"}, n: {type: int, default: 7}}
queues: {support: {}}
nodes:
  start:
    menu: {prompt: "Press 1", options: {1: double}}
  double: {set: {s: "{s + s}"}, next: start}
  agent: {queue: support}
"""


def _simulate(flow: Path, *args: str) -> tuple[int, str]:
    runner = CliRunner()
    result = runner.invoke(
        app, ["simulate", str(flow), "--at", "2026-10-01 09:30", "-f", "json", *args]
    )
    return result.exit_code, result.output


def test_a_flow_doubling_a_string_ends_the_call_with_outcome_error(tmp_path: Path) -> None:
    flow = tmp_path / "grow.yaml"
    flow.write_text(GROW, encoding="utf-8")
    presses = ["1"] * 40  # 2**40 characters without a budget
    _, out = _simulate(flow, "--press", *presses)
    data = json.loads(out)
    assert data["outcome"]["kind"] == "error"
    assert data["outcome"]["reason"] == "budget"
    ends = [line for line in data["trace"] if line["kind"] == "end"]
    assert ends and ends[-1]["detail"]["outcome"] == "error"
    assert len(data["variables"]["s"]) <= MAX_STRING_LENGTH


def test_simulate_json_survives_an_integer_squared_in_a_loop(tmp_path: Path) -> None:
    flow = tmp_path / "grow.yaml"
    flow.write_text(GROW.replace('{s: "{s + s}"}', '{n: "{n * n}"}'), encoding="utf-8")
    code, out = _simulate(flow, "--press", *(["1"] * 14))  # 7**16384 without a budget
    assert code == 0, out
    data = json.loads(out)
    assert data["outcome"]["kind"] == "error" and "64 digits" in data["outcome"]["error"]
