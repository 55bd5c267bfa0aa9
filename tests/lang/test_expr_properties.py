"""Property tests: the parser only ever raises ExprError; printing and reparsing is lossless."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flowc.lang.expr import (
    ARITH_OPS,
    BOOL_OPS,
    COMPARE_OPS,
    FUNCTIONS,
    KEYWORDS,
    BinOp,
    BoolLit,
    Call,
    EvalError,
    Expr,
    ExprError,
    FloatLit,
    IfElse,
    IntLit,
    ListLit,
    Name,
    NullLit,
    StrLit,
    Type,
    TypeEnv,
    Unary,
    check_expr,
    evaluate,
    parse_expr,
    to_source,
)
from flowc.lang.template import parse_template

VALID = [
    'tier == "gold" and caller.number matches "^\\\\+8610"',
    "5 if tier == 'gold' else 1",
    "not (a or b) and c != [1, 2.5, null]",
    "len(digits(caller.number)) >= 11 or x not in ['a', 'b']",
    "weekday() <= 5 and hour() >= 8 and in_hours('care_hours')",
    "-(a + b) * c / 2 % 3 - -d",
    "result.customer.tier startswith 'g' or s endswith \"x\"",
    "str(int('42') + 1) + lower(upper(name))",
]

_CHARS = list("abcxyz_019 .,()[]'\"\\=!<>+-*/%&|{}$#:;@~^\t\n")
_WORDS = ["and", "or", "not", "in", "if", "else", "matches", "==", "true", "null", "中"]
ALPHABET = st.sampled_from(_CHARS + _WORDS)


def assert_parse_is_safe(text: str) -> None:
    try:
        expr = parse_expr(text)
    except ExprError as err:
        assert 0 <= err.start <= err.end <= len(text), (text, err)
        assert err.message
        return
    # Whatever parses prints back to an equivalent expression.
    assert parse_expr(to_source(expr)) == expr


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
@example("")
@example("(" * 200)
@example(")" * 200)
@example("'" * 3)
@example("\\")
def test_random_text_only_raises_expr_error(text: str) -> None:
    assert_parse_is_safe(text)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, max_size=30).map("".join))
def test_random_token_soup_only_raises_expr_error(text: str) -> None:
    assert_parse_is_safe(text)


@st.composite
def mutations(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "swap"]))
        piece = draw(ALPHABET)
        if kind == "insert":
            text = text[:pos] + piece + text[pos:]
        elif kind == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 5)) :]
        elif kind == "replace":
            text = text[:pos] + piece + text[pos + 1 :]
        elif pos + 1 < len(text):
            text = text[:pos] + text[pos + 1] + text[pos] + text[pos + 2 :]
    return text


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_mutated_expressions_only_raise_expr_error(text: str) -> None:
    assert_parse_is_safe(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_mutated_templates_only_raise_expr_error(text: str) -> None:
    template = "Dear {" + text + "}, ${ENV} {{x}}"
    try:
        parse_template(template)
    except ExprError as err:
        assert 0 <= err.start <= err.end <= len(template)


# ---------------------------------------------------------------- random ASTs

_SEGMENT = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True)
_NAMES = st.builds(
    lambda first, rest: ".".join([first, *rest]),
    _SEGMENT.filter(lambda s: s not in KEYWORDS),
    st.lists(_SEGMENT, max_size=2),
).map(lambda n: Name(n))

_LEAVES: st.SearchStrategy[Expr] = st.one_of(
    st.text(max_size=8).map(lambda s: StrLit(s)),
    st.integers(min_value=0, max_value=10**20).map(lambda i: IntLit(i)),
    st.floats(min_value=0, max_value=1e300, allow_nan=False, allow_infinity=False).map(
        lambda f: FloatLit(abs(f))
    ),
    st.booleans().map(lambda b: BoolLit(b)),
    st.just(NullLit()),
    _NAMES,
)

_BINARY = sorted(BOOL_OPS | COMPARE_OPS | ARITH_OPS)


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.one_of(
        st.builds(BinOp, st.sampled_from(_BINARY), children, children),
        st.builds(Unary, st.sampled_from(["-", "not"]), children),
        st.builds(IfElse, children, children, children),
        st.builds(
            Call,
            st.sampled_from(sorted(FUNCTIONS)),
            st.lists(children, max_size=3).map(tuple),
        ),
        st.lists(children, max_size=3).map(lambda items: ListLit(tuple(items))),
    )


EXPRS: st.SearchStrategy[Expr] = st.recursive(_LEAVES, _extend, max_leaves=25)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRS)
def test_printed_asts_reparse_equal(expr: Expr) -> None:
    text = to_source(expr)
    reparsed = parse_expr(text)
    assert reparsed == expr, text
    assert to_source(reparsed) == text


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRS, st.dictionaries(st.sampled_from(["a", "b", "x.y"]), st.integers() | st.text()))
def test_check_and_evaluate_never_crash(expr: Expr, values: dict[str, object]) -> None:
    env = TypeEnv.standard({"a": Type.ANY, "b": Type.INT})
    type_, issues = check_expr(expr, env)
    assert isinstance(type_, Type)
    for issue in issues:
        assert issue.kind in ("unknown_name", "type_error", "regex")  # regex: RE2 cannot run it
    try:
        evaluate(expr, values)
    except EvalError:
        pass
