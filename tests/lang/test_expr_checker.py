from __future__ import annotations

import pytest

from flowc.lang.expr import (
    FUNCTIONS,
    Type,
    TypeEnv,
    TypeIssue,
    check_condition,
    check_expr,
    is_assignable,
    join,
    parse_expr,
)


def env() -> TypeEnv:
    return TypeEnv.standard(
        {
            "tier": Type.STRING,
            "attempts": Type.INT,
            "balance": Type.FLOAT,
            "vip": Type.BOOL,
            "items": Type.LIST,
            "data": Type.ANY,
        },
        schedules=["care_hours", "sales_hours"],
    )


def check(text: str) -> tuple[Type, list[TypeIssue]]:
    return check_expr(parse_expr(text), env())


@pytest.mark.parametrize(
    ("text", "type_"),
    [
        ("'x'", Type.STRING),
        ("1", Type.INT),
        ("1.5", Type.FLOAT),
        ("true", Type.BOOL),
        ("null", Type.NULL),
        ("[1, 'a']", Type.LIST),
        ("tier", Type.STRING),
        ("caller.number", Type.STRING),
        ("call.locale", Type.STRING),
        ("result.customer.tier", Type.ANY),
        ("result", Type.ANY),
        ("flags.storm", Type.BOOL),
        ("survey.csat", Type.INT),
        ("attempts + 1", Type.INT),
        ("attempts + 1.5", Type.FLOAT),
        ("attempts / 2", Type.FLOAT),
        ("attempts % 2", Type.INT),
        ("balance % 2", Type.FLOAT),
        ("-attempts", Type.INT),
        ("-balance", Type.FLOAT),
        ("tier + '!'", Type.STRING),
        ("items + [1]", Type.LIST),
        ("data + 1", Type.ANY),
        ("data * 2", Type.ANY),
        ("data / 2", Type.FLOAT),
        ("data", Type.ANY),
        ("tier == 'gold'", Type.BOOL),
        ("attempts == 1.0", Type.BOOL),
        ("tier == null", Type.BOOL),
        ("data == 3", Type.BOOL),
        ("not vip", Type.BOOL),
        ("vip and flags.x or data", Type.BOOL),
        ("5 if tier == 'gold' else 1", Type.INT),
        ("5 if vip else 1.5", Type.FLOAT),
        ("'a' if vip else null", Type.STRING),
        ("'a' if vip else 1", Type.ANY),
        ("len(tier)", Type.INT),
        ("len(items)", Type.INT),
        ("len(data)", Type.INT),
        ("lower(caller.name)", Type.STRING),
        ("digits(caller.number)", Type.STRING),
        ("int('3') + int(2.5)", Type.INT),
        ("float(attempts)", Type.FLOAT),
        ("str(items)", Type.STRING),
        ("now()", Type.DATETIME),
        ("now() > now()", Type.BOOL),
        ("weekday() <= 5 and hour() >= 8 and minute() < 30", Type.BOOL),
        ("contains(tier, 'o')", Type.BOOL),
        ("in_hours('care_hours')", Type.BOOL),
        ("tier in ['gold', 'silver']", Type.BOOL),
        ("'go' in tier", Type.BOOL),
        ("data not in items", Type.BOOL),
        ("caller.number matches '^\\+86'", Type.BOOL),
        ("tier startswith 'g' and tier endswith 'd'", Type.BOOL),
        ("'a' < tier", Type.BOOL),
    ],
)
def test_well_typed(text: str, type_: Type) -> None:
    got, issues = check(text)
    assert issues == []
    assert got is type_


@pytest.mark.parametrize(
    ("text", "message", "span"),
    [
        ("tier == 3", "cannot compare string with int", (0, 9)),
        ("3 != tier", "cannot compare int with string", (0, 9)),
        ("vip == 1", "cannot compare bool with int", (0, 8)),
        ("now() > '2026-01-01'", "cannot compare datetime with string", (0, 20)),
        ("tier < 3", "cannot compare string with int", (0, 8)),
        ("vip < true", "cannot order bool values with `<`", (0, 10)),
        ("items > data", "cannot order list values", (0, 12)),
        ("null < 1", "cannot order null values", (0, 8)),
        ("tier + 1", "cannot add string and int", (0, 8)),
        ("1 + tier", "cannot add int and string", (0, 8)),
        ("tier * 2", "cannot multiply string and int", (0, 8)),
        ("tier - 'a'", "cannot subtract string and string", (0, 10)),
        ("vip + data", "cannot add bool and any", (0, 10)),
        ("data - tier", "cannot subtract any and string", (0, 11)),
        ("-tier", "cannot negate a string", (0, 5)),
        ("not tier", "`not` needs a bool, got string", (4, 8)),
        ("tier and vip", "`and` needs a bool, got string", (0, 4)),
        ("vip or attempts", "`or` needs a bool, got int", (7, 15)),
        ("1 if tier else 2", "a condition needs a bool, got string", (5, 9)),
        ("1 in tier", "needs a string on the left, got int", (0, 9)),
        ("tier in attempts", "cannot use `in` with a int on the right", (8, 16)),
        ("attempts matches 'x'", "`matches` needs strings, got int", (0, 8)),
        ("tier startswith 1", "`startswith` needs strings, got int", (16, 17)),
        ("tier matches '(unclosed'", "invalid regular expression", (13, 24)),
        ("tier matches '*'", "invalid regular expression", (13, 16)),
        ("tier matches '" + "a" * 501 + "'", "longer than 500", (13, 516)),
        ("len(1, 2)", "`len()` takes 1 argument, got 2", (0, 9)),
        ("now(1)", "`now()` takes 0 arguments, got 1", (0, 6)),
        ("contains(tier)", "`contains()` takes 2 arguments, got 1", (0, 14)),
        ("lower(attempts)", "argument 1 of `lower()` must be string, got int", (6, 14)),
        ("len(attempts)", "argument 1 of `len()` must be list or string, got int", (4, 12)),
        ("int(null)", "argument 1 of `int()` must be", (4, 8)),
        ("in_hours(tier)", "schedule name as a string literal", (9, 13)),
        ("tier.size", "`tier` is a string and has no member `size`", (0, 9)),
    ],
)
def test_type_errors(text: str, message: str, span: tuple[int, int]) -> None:
    _, issues = check(text)
    assert len(issues) == 1, issues
    (issue,) = issues
    assert issue.kind == "type_error"
    assert message in issue.message
    assert (issue.start, issue.end) == span


@pytest.mark.parametrize(
    ("text", "message", "span", "hint"),
    [
        ("tierr == 'gold'", "unknown name `tierr`", (0, 5), "did you mean `tier`?"),
        ("caller.numbr", "unknown name `caller.numbr`", (0, 12), "did you mean `caller.number`?"),
        ("call.qqqqqq", "unknown name `call.qqqqqq`", (0, 11), "`call` has `call.did`"),
        ("reslt.tier", "unknown name `reslt.tier`", (0, 10), "did you mean `result.tier`?"),
        ("flag.storm", "unknown name `flag.storm`", (0, 10), "did you mean `flags.storm`?"),
        ("caller", "`caller` is a namespace", (0, 6), "`caller.name`, `caller.number`"),
        ("env.CRM_TOKEN", "environment values are not visible", (0, 13), "${NAME}"),
        ("True", "unknown name `True`", (0, 4), "write `true`"),
        ("None", "unknown name `None`", (0, 4), "write `null`"),
        ("lenght(tier)", "unknown function `lenght`", (0, 6), "did you mean `len`?"),
        ("frobnicate()", "unknown function `frobnicate`", (0, 10), "built-in functions:"),
        ("in_hours('care_hour')", "unknown schedule `care_hour`", (9, 20), "did you mean"),
        ("in_hours('x')", "unknown schedule `x`", (9, 12), "schedules: care_hours, sales_hours"),
        ("zzz", "unknown name `zzz`", (0, 3), None),
    ],
)
def test_unknown_names(text: str, message: str, span: tuple[int, int], hint: str | None) -> None:
    _, issues = check(text)
    assert len(issues) == 1, issues
    (issue,) = issues
    assert issue.kind == "unknown_name"
    assert message in issue.message
    assert (issue.start, issue.end) == span
    if hint is None:
        assert issue.hint is None
    else:
        assert issue.hint is not None and hint in issue.hint


def test_unknown_name_is_any_so_one_mistake_one_issue() -> None:
    type_, issues = check("tierr + 1 > 3 and lenght(x) == 2")
    assert type_ is Type.BOOL
    assert [i.kind for i in issues] == ["unknown_name", "unknown_name", "unknown_name"]


def test_issues_in_source_order_and_all_reported() -> None:
    _, issues = check("tier == 3 or nope")
    assert [i.kind for i in issues] == ["type_error", "unknown_name"]


def test_no_schedule_list_means_any_schedule() -> None:
    _, issues = check_expr(parse_expr("in_hours('whatever')"), TypeEnv.standard())
    assert issues == []


def test_result_can_be_left_out() -> None:
    _, issues = check_expr(parse_expr("result.x"), TypeEnv.standard(result=False))
    assert [i.kind for i in issues] == ["unknown_name"]


def test_custom_namespaces() -> None:
    e = TypeEnv().declare("x", Type.INT).declare_open("data", Type.STRING)
    e.declare_closed("agent", {"id": Type.STRING, "skill": Type.STRING})
    assert check_expr(parse_expr("data.a.b + agent.id"), e) == (Type.STRING, [])
    _, issues = check_expr(parse_expr("agent.idd"), e)
    assert issues[0].hint == "did you mean `agent.id`?"
    # Re-declaring a namespace switches it between open and closed.
    closed_survey = TypeEnv.standard().declare_closed("survey", {"csat": Type.INT})
    assert closed_survey.lookup("survey.csat") is Type.INT
    assert closed_survey.lookup("survey.nps") is None
    assert TypeEnv.standard().lookup("survey.nps") is Type.INT
    copy = e.copy()
    copy.declare("y", Type.BOOL)
    assert e.lookup("y") is None and copy.lookup("y") is Type.BOOL


def test_check_condition() -> None:
    assert check_condition(parse_expr("vip"), env()) == []
    assert check_condition(parse_expr("data"), env()) == []
    (issue,) = check_condition(parse_expr("tier"), env())
    assert issue.message == "a condition must be a bool, got string"


def test_type_helpers() -> None:
    assert Type.from_name("string") is Type.STRING
    assert Type.from_name(" Int ") is Type.INT
    with pytest.raises(ValueError):
        Type.from_name("text")
    assert str(Type.FLOAT) == "float"
    assert is_assignable(Type.INT, Type.FLOAT)
    assert not is_assignable(Type.FLOAT, Type.INT)
    assert is_assignable(Type.NULL, Type.STRING)
    assert is_assignable(Type.ANY, Type.BOOL) and is_assignable(Type.BOOL, Type.ANY)
    assert not is_assignable(Type.STRING, Type.INT)
    assert join(Type.INT, Type.FLOAT) is Type.FLOAT
    assert join(Type.NULL, Type.STRING) is Type.STRING
    assert join(Type.STRING, Type.BOOL) is Type.ANY


def test_every_builtin_is_documented_and_typed() -> None:
    expected = {
        "now",
        "weekday",
        "hour",
        "minute",
        "len",
        "lower",
        "upper",
        "int",
        "str",
        "float",
        "digits",
        "contains",
        "in_hours",
    }
    assert set(FUNCTIONS) == expected
    for f in FUNCTIONS.values():
        assert f.summary and f.signature().startswith(f.name + "(")
