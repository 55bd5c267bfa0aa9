"""What the checker tells about conditions: always/never true, exclusive, covering."""

from __future__ import annotations

import pytest

from flowc.lang.expr import Type, TypeEnv, parse_expr
from flowc.lint.conditions import complementary, exclusive, verdict

ENV = TypeEnv.standard({"n": Type.INT, "plan": Type.STRING, "vip": Type.BOOL})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("1 == 2", False),
        ("plan == plan", True),
        ("plan != plan", False),
        ("n > 5 and n < 3", False),
        ("n <= 5 or n > 5", True),
        ("n < 5 or n > 5", None),  # 5 itself
        ("vip or not vip", True),
        ("vip and not vip", False),
        ("plan in []", False),
        ('plan == "x" or plan != "x"', True),
        ('plan == "broadband"', None),
        ("n > 5", None),
    ],
)
def test_verdict(text: str, expected: bool | None) -> None:
    assert verdict(parse_expr(text), ENV) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ('plan == "a"', 'plan == "b"', True),
        ('plan == "a"', 'plan != "a"', True),
        ('plan in ["a", "b"]', 'plan == "c"', True),
        ('plan in ["a", "b"]', 'plan == "b"', False),
        ("vip", "not vip", True),
        ("vip", 'plan == "a"', False),
        ("n >= 100", "n < 100", True),
        ("n >= 100", "n <= 100", False),
    ],
)
def test_exclusive(a: str, b: str, expected: bool) -> None:
    assert exclusive(parse_expr(a), parse_expr(b), ENV) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ('plan == "a"', 'plan != "a"', True),
        ('plan == "a"', 'plan == "b"', False),
        ('plan != "a"', 'plan != "b"', True),
        ("vip", "not vip", True),
        ("n < 100", "n >= 100", True),
        ("n < 100", "n > 100", False),
    ],
)
def test_complementary(a: str, b: str, expected: bool) -> None:
    assert complementary(parse_expr(a), parse_expr(b), ENV) is expected


def test_a_rank_that_is_not_a_number_is_a_type_error() -> None:
    from flowc.pipeline import check_text

    text = """\
flow: ranks
agent_key: {key: "0", goto: agent}
variables: {plan: string, uses: int}
queues: {general: {}}
nodes:
  main:
    menu:
      prompt: "Welcome."
      options:
        1: {goto: agent, rank: plan, say: "Agent, {key}."}
        2: {goto: agent, rank: "0 - uses", say: "Again, {key}."}
  agent: {queue: general}
"""
    checked = check_text(text, "ranks.yaml")
    found = [(d.code, d.span.line, d.message) for d in checked.diagnostics if d.code == "FL502"]
    assert found == [("FL502", 10, "an option's rank must be a number: the value is a string")]
