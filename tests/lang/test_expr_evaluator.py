from __future__ import annotations

import timeit
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from flowc.lang.expr import (
    IN_HOURS_KEY,
    NOW_KEY,
    EvalError,
    Scope,
    Value,
    evaluate,
    parse_expr,
    to_text,
)

MONDAY_0930 = datetime(2026, 1, 5, 9, 30)  # a Monday


def scope(**extra: object) -> Scope:
    values: dict[str, object] = {
        "tier": "gold",
        "caller.number": "+8610123456",
        "caller.name": "Li Lei",
        "attempts": 2,
        "balance": 12.5,
        "vip": True,
        "empty": "",
        "nothing": None,
        "items": ["a", "b", 3],
        "result": {"customer": {"tier": "silver", "tags": ["x"]}, "count": 0},
        "flags": {"storm": False},
        "survey.csat": 4,
    }
    values.update(extra)
    return Scope(values, now=MONDAY_0930, in_hours=lambda name: name == "care_hours")


def ev(text: str, sc: Mapping[str, object] | None = None) -> Value:
    return evaluate(parse_expr(text), scope() if sc is None else sc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # literals and names
        ("'a'", "a"),
        ("[1, 'a', null]", [1, "a", None]),
        ("tier", "gold"),
        ("caller.number", "+8610123456"),
        ("result.customer.tier", "silver"),
        ("result.customer.missing", None),
        ("result.nope.deeper", None),
        ("flags.storm", False),
        ("survey.csat", 4),
        # boolean operators: short-circuit, always bools
        ("vip and tier", True),
        ("empty or nothing", False),
        ("vip or undefined_name", True),
        ("not vip", False),
        ("not empty", True),
        ("not items", False),
        # equality
        ("tier == 'gold'", True),
        ("tier != 'gold'", False),
        ("1 == 1.0", True),
        ("attempts == 2.0", True),
        ("true == 1", False),
        ("false == 0", False),
        ("'1' == 1", False),
        ("nothing == null", True),
        ("nothing != null", False),
        ("tier == null", False),
        ("[1, true] == [1, 1]", False),
        ("[1, 2] == [1.0, 2]", True),
        # ordering
        ("attempts < 3", True),
        ("attempts <= 2", True),
        ("balance > 12", True),
        ("balance >= 12.6", False),
        ("'apple' < 'banana'", True),
        ("nothing < 1", False),
        ("1 > nothing", False),
        ("now() >= now()", True),
        # membership and strings
        ("tier in ['gold', 'silver']", True),
        ("3 in items", True),
        ("3.0 in items", True),
        ("true in [1]", False),
        ("'x' not in items", True),
        ("'ol' in tier", True),
        ("'customer' in result", True),
        ("'x' in nothing", False),
        ("caller.number matches '^\\+8610'", True),
        ("caller.number matches '^86'", False),
        ("caller.number matches '\\d{6}$'", True),
        ("nothing matches 'x'", False),
        ("tier startswith 'go'", True),
        ("tier endswith 'x'", False),
        ("nothing startswith 'x'", False),
        # arithmetic
        ("attempts + 1", 3),
        ("attempts + 0.5", 2.5),
        ("attempts - 5", -3),
        ("attempts * 3", 6),
        ("7 / 2", 3.5),
        ("6 / 3", 2.0),
        ("7 % 3", 1),
        ("-7 % 3", 2),
        ("-attempts", -2),
        ("- -balance", 12.5),
        ("tier + '!'", "gold!"),
        ("[1] + [2]", [1, 2]),
        ("1 + 2 * 3 - 4 / 2", 5.0),
        # conditional
        ("5 if tier == 'gold' else 1", 5),
        ("5 if nothing else 1", 1),
        ("'a' if false else 'b' if true else 'c'", "b"),
        ("1 if vip else 1 / 0", 1),
        # functions
        ("now()", MONDAY_0930),
        ("weekday()", 1),
        ("hour()", 9),
        ("minute()", 30),
        ("len(tier)", 4),
        ("len(items)", 3),
        ("len(result)", 2),
        ("lower('AbC')", "abc"),
        ("upper(tier)", "GOLD"),
        ("int('42')", 42),
        ("int(' 7 ')", 7),
        ("int(3.9)", 3),
        ("int(true)", 1),
        ("float('2.5')", 2.5),
        ("float(2)", 2.0),
        ("str(12)", "12"),
        ("str(1.5)", "1.5"),
        ("str(true)", "true"),
        ("str(nothing)", ""),
        ("str(items)", "a, b, 3"),
        ("str(now())", "2026-01-05T09:30:00"),
        ("digits(caller.number)", "8610123456"),
        ("digits('(010) 1234-5678 ext. ²')", "01012345678"),
        ("contains(tier, 'ol')", True),
        ("contains(items, 3)", True),
        ("contains(items, 'z')", False),
        ("contains(nothing, 'z')", False),
        ("in_hours('care_hours')", True),
        ("in_hours('sales_hours')", False),
    ],
)
def test_evaluate(text: str, expected: Value) -> None:
    result = ev(text)
    assert result == expected
    assert type(result) is type(expected)


def test_weekday_over_a_week() -> None:
    for day in range(7):
        sc = Scope(now=datetime(2026, 1, 5 + day, 23, 59))
        assert ev("weekday()", sc) == day + 1
        assert ev("hour() * 100 + minute()", sc) == 2359


def test_clock_may_be_a_callable() -> None:
    ticks = iter([datetime(2026, 3, 1, 8, 0), datetime(2026, 3, 1, 8, 1)])
    sc = Scope(now=lambda: next(ticks))
    assert ev("hour()", sc) == 8
    assert ev("minute()", sc) == 1


def test_plain_mapping_scope_with_reserved_keys() -> None:
    sc = {"x": 1, NOW_KEY: datetime(2026, 1, 1, tzinfo=UTC), IN_HOURS_KEY: lambda n: True}
    assert ev("x + hour()", sc) == 1
    assert ev("in_hours('a')", sc) is True


def test_scope_values_are_checked() -> None:
    assert ev("t + [1]", {"t": (0,)}) == [0, 1]

    class Weird:
        pass

    with pytest.raises(EvalError, match="unsupported value"):
        ev("w", {"w": Weird()})
    with pytest.raises(EvalError, match="unsupported value"):
        ev("a.b", {"a.b": object()})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("undefined", "unknown name `undefined`"),
        ("caller.nope", "unknown name `caller.nope`"),
        ("tier.size", "`tier` is a string and has no member `size`"),
        ("result.customer.tier.x", "`result.customer.tier` is a string and has no member `x`"),
        ("1 / 0", "division by zero"),
        ("attempts / 0.0", "division by zero"),
        ("5 % 0", "remainder by zero"),
        ("tier + 1", "cannot add string and int"),
        ("1 + tier", "cannot add int and string"),
        ("vip + 1", "cannot add bool and int"),
        ("tier * 2", "cannot multiply string and int"),
        ("nothing - 1", "cannot subtract null and int"),
        ("-tier", "cannot negate a string"),
        ("-vip", "cannot negate a bool"),
        ("tier < 1", "cannot compare string with int"),
        ("items < items", "cannot compare list with list"),
        ("1 in tier", "needs a string, got int"),
        ("1 in 5", "cannot use `in` with a int"),
        ("attempts matches 'x'", "`matches` needs a string, got int"),
        ("tier matches 1", "needs a string pattern, got int"),
        ("tier matches '('", "invalid regular expression"),
        ("tier matches lower('(')", "invalid regular expression"),
        ("tier startswith 1", "`startswith` needs a string, got int"),
        ("int('x1')", "cannot convert 'x1' to an int"),
        ("int(nothing)", "int() needs a string or a number, got null"),
        ("float('abc')", "cannot convert 'abc' to a float"),
        ("len(5)", "len() needs a string or a list, got int"),
        ("lower(5)", "lower() needs a string, got int"),
        ("digits(nothing)", "digits() needs a string, got null"),
        ("contains(tier, 1)", "contains() on a string needs a string, got int"),
        ("contains(5, 1)", "contains() needs a string or a list, got int"),
        ("frob(1)", "unknown function `frob`"),
        ("len(1, 2)", "takes 1 arguments, got 2"),
        ("in_hours('x', 1)", "takes 1 arguments, got 2"),
    ],
)
def test_runtime_errors(text: str, message: str) -> None:
    with pytest.raises(EvalError) as info:
        ev(text)
    assert message in info.value.message
    assert 0 <= info.value.start <= info.value.end <= len(text)


def test_error_spans_point_at_the_failing_part() -> None:
    text = "vip and (attempts / 0 > 1)"
    with pytest.raises(EvalError) as info:
        ev(text)
    assert text[info.value.start : info.value.end] == "attempts / 0"
    text = "x == 1 or lower(attempts) == 'a'"
    with pytest.raises(EvalError) as info:
        ev(text, scope(x=2))
    assert text[info.value.start : info.value.end] == "lower(attempts)"


def test_missing_clock_and_schedules() -> None:
    with pytest.raises(EvalError, match="no clock"):
        ev("hour()", {})
    with pytest.raises(EvalError, match="no schedules"):
        ev("in_hours('a')", {})

    def broken(name: str) -> bool:
        raise RuntimeError("boom")

    with pytest.raises(EvalError, match="boom"):
        ev("in_hours('a')", Scope(in_hours=broken))
    with pytest.raises(EvalError, match="true or false"):
        ev("in_hours('a')", Scope(in_hours=lambda n: "yes"))  # type: ignore[arg-type,return-value]


def test_regex_limits() -> None:
    long_subject = "a" * 10_001
    with pytest.raises(EvalError, match="too long"):
        ev("s matches 'a'", {"s": long_subject})
    assert ev("s matches 'a'", {"s": "a" * 10_000}) is True
    with pytest.raises(EvalError, match="longer than 500"):
        ev("s matches p", {"s": "a", "p": "a" * 501})


def test_naive_and_aware_datetimes_do_not_crash() -> None:
    sc = {"a": datetime(2026, 1, 1), "b": datetime(2026, 1, 1, tzinfo=UTC)}
    assert ev("a == b", sc) is False
    with pytest.raises(EvalError, match="cannot compare these datetimes"):
        ev("a < b", sc)


def test_huge_numbers_are_eval_errors() -> None:
    big = "9" * 99
    with pytest.raises(EvalError):
        ev(f"{big} * {big} * {big} * {big} / 3")
    with pytest.raises(EvalError):
        ev("int(s)", {"s": "9" * 5000})


def test_to_text() -> None:
    assert to_text(None) == ""
    assert to_text(False) == "false"
    assert to_text([1, None, "a"]) == "1, , a"
    assert to_text({"b": 1, "a": "x"}) == '{"a": "x", "b": 1}'


def test_evaluation_is_fast() -> None:
    expr = parse_expr('tier == "gold" and caller.number matches "^\\\\+8610"')
    sc = {"tier": "gold", "caller.number": "+8610123456"}
    assert evaluate(expr, sc) is True
    n = 20_000
    per_call = min(timeit.repeat(lambda: evaluate(expr, sc), number=n, repeat=3)) / n
    assert per_call < 20e-6  # typically well under 1 microsecond
