from __future__ import annotations

import pickle

import pytest

from flowc.lang.expr import (
    MAX_DEPTH,
    BinOp,
    Call,
    ExprError,
    FloatLit,
    IntLit,
    ListLit,
    Name,
    NullLit,
    StrLit,
    names_used,
    parse_expr,
    to_source,
    walk,
)
from tests.lang.exprutil import sx

PRECEDENCE = [
    ("a or b and c", "(or a (and b c))"),
    ("a and b or c", "(or (and a b) c)"),
    ("a or b or c", "(or (or a b) c)"),
    ("not a and b", "(and (not a) b)"),
    ("not a == b", "(not (== a b))"),
    ("not not a", "(not (not a))"),
    ("a == b and c != d", "(and (== a b) (!= c d))"),
    ("a + b * c", "(+ a (* b c))"),
    ("a * b + c", "(+ (* a b) c)"),
    ("a - b - c", "(- (- a b) c)"),
    ("a / b * c % d", "(% (* (/ a b) c) d)"),
    ("-a * b", "(* (- a) b)"),
    ("- -a", "(- (- a))"),
    ("a - -b", "(- a (- b))"),
    ("-(a + b)", "(- (+ a b))"),
    ("(a + b) * c", "(* (+ a b) c)"),
    ("a + b < c * d", "(< (+ a b) (* c d))"),
    ("a < b == false", None),  # chained: an error, see below
    ("x in [1, 2] and y not in z", "(and (in x [1 2]) (not in y z))"),
    ("not x in y", "(not (in x y))"),
    ("s matches 'a' or s startswith 'b'", "(or (matches s 'a') (startswith s 'b'))"),
    ("s endswith 'x' + 'y'", "(endswith s (+ 'x' 'y'))"),
    ("a if b else c", "(if b a c)"),
    ("a if b else c if d else e", "(if b a (if d c e))"),
    ("a or b if c or d else e and f", "(if (or c d) (or a b) (and e f))"),
    ("(a if b else c) if d else e", "(if d (if b a c) e)"),
    ("x + 1 if y else 2", "(if y (+ x 1) 2)"),
    ("f(a, b + 1)", "(f() a (+ b 1))"),
    ("len(x) > 3", "(> (len() x) 3)"),
    ("now()", "(now())"),
    ("[a, [b], []]", "[a [b] []]"),
    ("[1, 2,]", "[1 2]"),
    ("caller.number", "caller.number"),
    ("result.customer.tier", "result.customer.tier"),
    ("order or android", "(or order android)"),
    ("notice and iffy", "(and notice iffy)"),
    ("result.in and flags.not", "(and result.in flags.not)"),
]


@pytest.mark.parametrize(("text", "expected"), [p for p in PRECEDENCE if p[1] is not None])
def test_precedence_and_associativity(text: str, expected: str) -> None:
    assert sx(parse_expr(text)) == expected


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ('"abc"', "abc", StrLit),
        ("'abc'", "abc", StrLit),
        ("''", "", StrLit),
        (r'"a\"b"', 'a"b', StrLit),
        (r"'it\'s'", "it's", StrLit),
        (r'"tab\tnl\n\\"', "tab\tnl\n\\", StrLit),
        (r'"\x41\u4e2d"', "A中", StrLit),
        (r'"^\+86\d+$"', r"^\+86\d+$", StrLit),  # unknown escapes are kept: regexes read well
        ('"中文"', "中文", StrLit),
        ("12", 12, IntLit),
        ("007", 7, IntLit),
        ("1.5", 1.5, FloatLit),
        ("2e3", 2000.0, FloatLit),
        ("1.25E-2", 0.0125, FloatLit),
    ],
)
def test_literals(text: str, value: object, kind: type[StrLit | IntLit | FloatLit]) -> None:
    e = parse_expr(text)
    assert isinstance(e, kind)
    assert e.value == value
    assert (e.start, e.end) == (0, len(text))


def test_keyword_literals() -> None:
    assert sx(parse_expr("[true, false, null]")) == "[true false null]"
    assert isinstance(parse_expr("null"), NullLit)
    assert isinstance(parse_expr("truer"), Name)


def test_offsets() -> None:
    text = 'tier == "gold" and (caller.number matches "^1")'
    e = parse_expr(text)
    assert isinstance(e, BinOp) and e.op == "and"
    assert (e.start, e.end) == (0, len(text))
    left, right = e.left, e.right
    assert text[left.start : left.end] == 'tier == "gold"'
    assert text[right.start : right.end] == '(caller.number matches "^1")'  # parens included
    assert isinstance(right, BinOp)
    assert text[right.left.start : right.left.end] == "caller.number"
    call = parse_expr("  len( x )  ")
    assert isinstance(call, Call) and (call.start, call.end) == (2, 10)
    lst = parse_expr("[1, 2]")
    assert isinstance(lst, ListLit) and (lst.start, lst.end) == (0, 6)


def test_offsets_ignored_by_equality() -> None:
    assert parse_expr("a+b") == parse_expr(" a  +  b ")
    assert parse_expr("(a)") == parse_expr("a")
    assert parse_expr("1") != parse_expr("1.0")
    assert parse_expr("true") != parse_expr("1")


def test_parse_is_cached_and_ast_immutable() -> None:
    a = parse_expr("x == 1 and y")
    assert parse_expr("x == 1 and y") is a
    assert isinstance(a, BinOp)
    with pytest.raises(AttributeError):
        a.op = "or"  # type: ignore[misc]
    hash(a)


def test_pickle_drops_compiled_closure() -> None:
    from flowc.lang.expr import evaluate

    e = parse_expr("x + 1")
    assert evaluate(e, {"x": 1}) == 2  # compiles and caches a closure on the node
    assert pickle.loads(pickle.dumps(e)) == e


def test_names_used_and_walk() -> None:
    e = parse_expr('tier == "gold" and caller.number matches "^1" or len(result.items) > n')
    assert names_used(e) == {"tier", "caller.number", "result.items", "n"}
    assert sum(1 for _ in walk(e)) == 12


@pytest.mark.parametrize(
    "text",
    [
        "a + b * c",
        "(a + b) * c",
        "a - (b - c)",
        "a / (b * c)",
        "not (a and b)",
        "(not a) == b",
        "-(-a)",
        "-(a + 1)",
        "(a if b else c) if d else e",
        "a if (b if c else d) else e",
        "(a or b) and c",
        "(a == b) == c",
        "a == (b == c)",
        "x not in [1, 2.5, 'a\"b', null, true]",
        'f(a, [b, c] if d else "")',
        '"\\\\d+\\n\\t\\x01"',
        "1e-05 + 2.0",
    ],
)
def test_to_source_roundtrip(text: str) -> None:
    e = parse_expr(text)
    printed = to_source(e)
    assert parse_expr(printed) == e
    assert to_source(parse_expr(printed)) == printed  # canonical: printing is idempotent


def test_to_source_is_minimal() -> None:
    assert to_source(parse_expr("((a)) + ((b * c))")) == "a + b * c"
    assert to_source(parse_expr("a - (b - c)")) == "a - (b - c)"
    assert to_source(parse_expr("'x'")) == '"x"'
    assert to_source(parse_expr("a not  in b")) == "a not in b"


# ---------------------------------------------------------------- errors

ERRORS = [
    # text, message fragment, start, end, hint fragment (or None)
    ("", "empty expression", 0, 0, "write an expression"),
    ("   ", "empty expression", 0, 3, None),
    ("tier = 'gold'", "`=` is not an operator", 5, 6, "use `==` to compare"),
    ("f(x) = 1", "`=` is not an operator", 5, 6, "use `==`"),
    ("a && b", "`&&` is not an operator", 2, 4, "use `and`"),
    ("a || b", "`||` is not an operator", 2, 4, "use `or`"),
    ("a & b", "`&` is not an operator", 2, 3, "use `and`"),
    ("!a", "`!` is not an operator", 0, 1, "use `not`"),
    ("a and !b", "`!` is not an operator", 6, 7, "use `not`"),
    ("a ==", "expected an operand after `==`", 4, 4, None),
    ("a == )", "unbalanced parenthesis: `)` has no matching `(`", 5, 6, None),
    ("(a == )", "expected an operand after `==`, found `)`", 6, 7, None),
    ("a and", "expected an operand after `and`", 5, 5, None),
    ("a not in", "expected an operand after `not in`", 8, 8, None),
    ("x matches", "expected an operand after `matches`", 9, 9, None),
    ("1 + * 2", "expected an operand after `+`, found `*`", 4, 5, None),
    ("== 1", "cannot start with `==`", 0, 2, None),
    ("'abc", "unclosed string", 0, 4, "matching '"),
    ('x == "abc', "unclosed string", 5, 9, None),
    ('"abc\\"', "unclosed string", 0, 6, None),
    ("(a + b", "unbalanced parenthesis: `(` is never closed", 0, 1, "add `)`"),
    ("f(a, (b)", "unbalanced parenthesis: `(` is never closed", 1, 2, None),
    ("[1, 2", "`[` is never closed", 0, 1, "add `]`"),
    ("a + b)", "unbalanced parenthesis: `)` has no matching `(`", 5, 6, None),
    ("(a]", "`]` has no matching `[`", 2, 3, None),
    ("a == b == c", "comparisons cannot be chained", 7, 9, "and"),
    ("1 < x < 3", "comparisons cannot be chained", 6, 7, None),
    ("a if b", "without `else`", 6, 6, "x if condition else y"),
    ("a b", "expected an operator before `b`", 2, 3, None),
    ("a is b", "expected an operator before `is`", 2, 4, "use `==`"),
    ("[1 2]", "missing `,` between list items", 3, 4, None),
    ("f(a b)", "missing `,` between arguments", 4, 5, None),
    ("a not b", "expected `in` after `not`", 6, 7, None),
    ("f(1,,2)", "expected an operand after `,`", 4, 5, None),
    ("_x", "cannot start with `_`", 0, 1, None),
    ("a.b.", "unexpected `.`", 3, 4, "no methods or attributes"),
    ("{x}", "unexpected `{`", 0, 1, "templates"),
    ("x; y", "unexpected character `;`", 1, 2, None),
    ("9" * 101, "number is too long", 0, 101, None),
    ("1e999", "out of range", 0, 5, None),
    ("caller.number.upper()", "is not a function", 0, 19, "only built-in functions"),
]


@pytest.mark.parametrize(("text", "message", "start", "end", "hint"), ERRORS)
def test_syntax_errors(text: str, message: str, start: int, end: int, hint: str | None) -> None:
    with pytest.raises(ExprError) as info:
        parse_expr(text)
    err = info.value
    assert message in err.message
    assert (err.start, err.end) == (start, end)
    if hint is not None:
        assert err.hint is not None and hint in err.hint
    assert str(err) == err.message


def test_nesting_limit() -> None:
    parse_expr("-" * (MAX_DEPTH - 1) + "a")
    with pytest.raises(ExprError, match="nested too deeply"):
        parse_expr("-" * MAX_DEPTH + "a")
    with pytest.raises(ExprError, match="nested too deeply"):
        parse_expr("-(" * 50_000 + "a" + ")" * 50_000)
    # Redundant parentheses add no nodes: no depth, and no recursion anywhere.
    assert parse_expr("(" * 50_000 + "a" + ")" * 50_000) == Name("a")
