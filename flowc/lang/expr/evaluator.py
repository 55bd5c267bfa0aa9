"""Evaluating expressions: a safe interpreter over the AST (no eval/exec, no attribute access).

Each node is compiled once into a Python closure, cached on the node; since `parse_expr` is
cached too, evaluating a flow condition is a handful of function calls.

The scope is any `Mapping[str, object]` from dotted names to values. A name is looked up as
is (`scope["caller.number"]`); failing that, its longest prefix found in the scope is taken
and the rest walked through nested mappings (`result.customer.tier` in
`{"result": {"customer": {...}}}`). A member missing from such a mapping is `null` (as in
JSON); a name with no prefix in the scope is an `EvalError`. Only mapping items are ever
read - never Python attributes. Time and schedules come from the scope as well
(`NOW_KEY`, `IN_HOURS_KEY`; `Scope` builds such a mapping).

Semantics (Python-like, but strict about types):
- `==`/`!=` never fail: ints and floats compare numerically, a bool only equals a bool,
  values of different types are unequal.
- `< <= > >=` compare two numbers, two strings or two datetimes; with `null` on either side
  the answer is false; other mixes are an `EvalError`.
- `and`/`or`/`not` and conditions use truthiness (null, false, 0, "", [] are false),
  short-circuit, and give bools.
- `in`: item of a list, substring of a string (both strings), key of a mapping;
  `x in null` is false.
- `matches` (regex search, run by RE2 in linear time: see `flowc.lang.regex`), `startswith`,
  `endswith`: strings; `null` on the left is false. Patterns RE2 cannot run (backreferences,
  lookaround), longer than `MAX_PATTERN_LENGTH`, or subjects longer than `MAX_SUBJECT_LENGTH`
  are refused (an `EvalError`); compiled patterns are cached.
- `+` adds numbers, joins two strings or two lists; a string with a non-string is an error
  (use `str(x)`). `- * / %` need numbers; `/` is true division; division or remainder by zero
  is an error.
- Bools are not numbers: `true + 1` is an error.

`evaluate` raises nothing but `EvalError`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from flowc.lang.expr.ast import (
    BinOp,
    BoolLit,
    Call,
    Expr,
    FloatLit,
    IfElse,
    IntLit,
    ListLit,
    Name,
    NullLit,
    StrLit,
    Unary,
)
from flowc.lang.expr.budget import (
    check_int,
    check_list_length,
    check_product_bits,
    check_string_length,
)
from flowc.lang.expr.errors import BudgetError, EvalError
from flowc.lang.expr.functions import (
    FUNCTIONS,
    IN_HOURS_KEY,
    NOW_KEY,
    type_name,
    values_equal,
)
from flowc.lang.expr.types import Value
from flowc.lang.regex import MAX_PATTERN_LENGTH, Regex, RegexError, compile_regex

__all__ = [
    "IN_HOURS_KEY",
    "MAX_PATTERN_LENGTH",
    "MAX_SUBJECT_LENGTH",
    "NOW_KEY",
    "EvalError",
    "Scope",
    "evaluate",
    "truthy",
]

MAX_SUBJECT_LENGTH = 10_000

ScopeLike = Mapping[str, object]
_ABSENT = object()
_Fn = Callable[[ScopeLike], Value]

_PLAIN = frozenset({str, int, float, bool, type(None)})


class Scope(Mapping[str, object]):
    """A ready-made scope: values by (dotted) name, plus the injected clock and schedules.

    `now` is a datetime or a zero-argument callable returning one (never the real clock
    unless the runtime passes it); `in_hours(schedule_name) -> bool` answers `in_hours()`.
    """

    def __init__(
        self,
        values: Mapping[str, object] | None = None,
        *,
        now: datetime | Callable[[], datetime] | None = None,
        in_hours: Callable[[str], bool] | None = None,
    ) -> None:
        self._data: dict[str, object] = dict(values or {})
        if now is not None:
            self._data[NOW_KEY] = now
        if in_hours is not None:
            self._data[IN_HOURS_KEY] = in_hours

    def __getitem__(self, key: str) -> object:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def evaluate(expr: Expr, scope: ScopeLike) -> Value:
    """The value of `expr` in `scope`. Raises only `EvalError`."""
    try:
        return _compiled(expr)(scope)
    except EvalError:
        raise
    except RecursionError:
        raise EvalError("expression is nested too deeply", expr.start, expr.end) from None
    except Exception as exc:  # a defect or a hostile scope object: still only EvalError
        raise EvalError(f"evaluation failed: {exc}", expr.start, expr.end) from exc


def truthy(value: object) -> bool:
    """Truthiness of a value: null, false, 0, 0.0, "", [] and {} are false."""
    return bool(value)


# ---------------------------------------------------------------- compilation


def _compiled(expr: Expr) -> _Fn:
    fn: _Fn | None = expr.__dict__.get("_fn")
    if fn is None:
        fn = _COMPILERS[type(expr)](expr)
        object.__setattr__(expr, "_fn", fn)
    return fn


def _const(value: Value) -> _Fn:
    return lambda scope: value


def _c_str(e: Any) -> _Fn:
    return _const(e.value)


def _c_null(e: Any) -> _Fn:
    return _const(None)


def _c_list(e: ListLit) -> _Fn:
    items = [_compiled(i) for i in e.items]
    return lambda scope: [f(scope) for f in items]


def _clean(value: object, name: str, start: int, end: int) -> Value:
    """Admit a scope value into the language, or refuse it."""
    if type(value) in _PLAIN:
        return value  # type: ignore[return-value]
    if isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return value  # type: ignore[return-value]
    if isinstance(value, str | int | float | datetime):  # subclasses, e.g. IntEnum, StrEnum
        return value
    raise EvalError(f"`{name}` holds an unsupported value ({type(value).__name__})", start, end)


def _c_name(e: Name) -> _Fn:
    name, start, end = e.name, e.start, e.end
    if "." not in name:

        def simple(scope: ScopeLike) -> Value:
            try:
                value = scope[name]
            except KeyError:
                raise EvalError(f"unknown name `{name}`", start, end) from None
            if type(value) in _PLAIN:
                return value  # type: ignore[return-value]
            return _clean(value, name, start, end)

        return simple

    parts = name.split(".")
    prefixes = [(".".join(parts[:i]), parts[i:]) for i in range(len(parts) - 1, 0, -1)]

    def dotted(scope: ScopeLike) -> Value:
        value = scope.get(name, _ABSENT)  # mostly absent: a member of a namespace
        if value is _ABSENT:
            value = _descend(scope, name, prefixes, start, end)
        if type(value) in _PLAIN:
            return value  # type: ignore[return-value]
        return _clean(value, name, start, end)

    return dotted


def _descend(
    scope: ScopeLike, name: str, prefixes: list[tuple[str, list[str]]], start: int, end: int
) -> object:
    for prefix, rest in prefixes:
        current = scope.get(prefix, _ABSENT)
        if current is _ABSENT:
            continue
        path = prefix
        for part in rest:
            if current is None:
                return None
            if not isinstance(current, Mapping):
                raise EvalError(
                    f"`{path}` is a {type_name(current)} and has no member `{part}`", start, end
                )
            current = current.get(part)
            path = f"{path}.{part}"
        return current
    raise EvalError(f"unknown name `{name}`", start, end)


def _c_unary(e: Unary) -> _Fn:
    operand = _compiled(e.operand)
    if e.op == "not":
        return lambda scope: not operand(scope)
    start, end = e.start, e.end

    def negate(scope: ScopeLike) -> Value:
        v = operand(scope)
        if type(v) is int or type(v) is float:
            return -v
        raise EvalError(f"cannot negate a {type_name(v)}", start, end)

    return negate


def _c_ifelse(e: IfElse) -> _Fn:
    then, cond, orelse = _compiled(e.then), _compiled(e.cond), _compiled(e.orelse)
    return lambda scope: then(scope) if cond(scope) else orelse(scope)


def _c_call(e: Call) -> _Fn:
    start, end = e.start, e.end
    func = FUNCTIONS.get(e.func)
    if func is None:
        message = f"unknown function `{e.func}`"

        def unknown(scope: ScopeLike) -> Value:
            raise EvalError(message, start, start + len(e.func))

        return unknown
    if len(e.args) != func.arity:
        message = f"`{func.name}()` takes {func.arity} arguments, got {len(e.args)}"

        def bad_arity(scope: ScopeLike) -> Value:
            raise EvalError(message, start, end)

        return bad_arity
    args = [_compiled(a) for a in e.args]
    impl = func.impl

    def call(scope: ScopeLike) -> Value:
        values = [f(scope) for f in args]
        try:
            return impl(scope, values)
        except EvalError as exc:
            raise exc.located(start, end) from None

    return call


# ---------------------------------------------------------------- binary operators


def _c_binop(e: BinOp) -> _Fn:
    left, right = _compiled(e.left), _compiled(e.right)
    op, start, end = e.op, e.start, e.end

    if op == "and":
        return lambda scope: bool(left(scope)) and bool(right(scope))
    if op == "or":
        return lambda scope: bool(left(scope)) or bool(right(scope))
    if op in ("==", "!="):
        negate = op == "!="
        if isinstance(e.right, StrLit):  # the common `tier == "gold"`: str equality suffices
            const = e.right.value
            if negate:
                return lambda scope: left(scope) != const
            return lambda scope: left(scope) == const
        if negate:
            return lambda scope: not values_equal(left(scope), right(scope))
        return lambda scope: values_equal(left(scope), right(scope))
    if op in _ORDER:
        compare = _ORDER[op]

        def order(scope: ScopeLike) -> Value:
            return _ordered(compare, op, left(scope), right(scope), start, end)

        return order
    if op in ("in", "not in"):
        negate = op == "not in"

        def member(scope: ScopeLike) -> Value:
            return _contains(left(scope), right(scope), op, start, end) != negate

        return member
    if op == "matches":
        return _c_matches(e, left, right)
    if op in ("startswith", "endswith"):
        method = str.startswith if op == "startswith" else str.endswith

        def affix(scope: ScopeLike) -> Value:
            subject, affix_ = left(scope), right(scope)
            if subject is None:
                return False
            if not isinstance(subject, str):
                raise EvalError(f"`{op}` needs a string, got {type_name(subject)}", start, end)
            if not isinstance(affix_, str):
                raise EvalError(f"`{op}` needs a string, got {type_name(affix_)}", start, end)
            return method(subject, affix_)

        return affix
    arith = _ARITH[op]

    def arithmetic(scope: ScopeLike) -> Value:
        return arith(left(scope), right(scope), start, end)

    return arithmetic


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _is_number(v: object) -> bool:
    return (type(v) is int or type(v) is float) or (
        isinstance(v, int | float) and not isinstance(v, bool)
    )


def _ordered(
    compare: Callable[[Any, Any], bool], op: str, a: Value, b: Value, start: int, end: int
) -> bool:
    if a is None or b is None:
        return False
    if (
        (_is_number(a) and _is_number(b))
        or (isinstance(a, str) and isinstance(b, str))
        or (isinstance(a, datetime) and isinstance(b, datetime))
    ):
        try:
            return compare(a, b)
        except TypeError:  # naive vs aware datetimes
            raise EvalError(f"cannot compare these datetimes with `{op}`", start, end) from None
    raise EvalError(f"cannot compare {type_name(a)} with {type_name(b)}", start, end)


def _contains(item: Value, container: Value, op: str, start: int, end: int) -> bool:
    if container is None:
        return False
    if isinstance(container, list):
        if type(item) is str:
            return item in container
        return any(values_equal(item, x) for x in container)
    if isinstance(container, str):
        if not isinstance(item, str):
            raise EvalError(
                f"`{op}` with a string on the right needs a string, got {type_name(item)}",
                start,
                end,
            )
        return item in container
    if isinstance(container, Mapping):
        return isinstance(item, str) and item in container
    raise EvalError(f"cannot use `{op}` with a {type_name(container)}", start, end)


def _regex(pattern: str) -> Regex:
    try:
        return compile_regex(pattern)
    except RegexError as exc:
        raise EvalError(str(exc), hint=exc.hint) from None


def _c_matches(e: BinOp, left: _Fn, right: _Fn) -> _Fn:
    start, end = e.start, e.end
    fixed: Regex | None = None
    if isinstance(e.right, StrLit):
        try:
            fixed = _regex(e.right.value)
        except EvalError:
            fixed = None  # reported on every evaluation below

    def subject_of(scope: ScopeLike) -> str | None:
        subject = left(scope)
        if subject is None:
            return None
        if not isinstance(subject, str):
            raise EvalError(f"`matches` needs a string, got {type_name(subject)}", start, end)
        if len(subject) > MAX_SUBJECT_LENGTH:
            raise EvalError(
                f"text is too long for `matches` (over {MAX_SUBJECT_LENGTH} characters)",
                start,
                end,
            )
        return subject

    if fixed is not None:
        search = fixed.search

        def matches_fixed(scope: ScopeLike) -> Value:
            subject = subject_of(scope)
            return subject is not None and search(subject) is not None

        return matches_fixed

    def matches(scope: ScopeLike) -> Value:
        subject = subject_of(scope)
        pattern = right(scope)
        if not isinstance(pattern, str):
            raise EvalError(
                f"`matches` needs a string pattern, got {type_name(pattern)}", start, end
            )
        try:
            regex = _regex(pattern)
        except EvalError as exc:
            raise exc.located(e.right.start, e.right.end) from None
        return subject is not None and regex.search(subject) is not None

    return matches


def _add(a: Value, b: Value, start: int, end: int) -> Value:
    if isinstance(a, str) and isinstance(b, str):
        _budget(lambda: check_string_length(len(a) + len(b)), start, end)
        return a + b
    if _is_number(a) and _is_number(b):
        return _int_budget(a + b, start, end)  # type: ignore[operator]
    if isinstance(a, list) and isinstance(b, list):
        _budget(lambda: check_list_length(len(a) + len(b)), start, end)
        return a + b
    hint = "convert with str(x)" if isinstance(a, str) or isinstance(b, str) else None
    raise EvalError(f"cannot add {type_name(a)} and {type_name(b)}", start, end, hint)


def _numbers(verb: str, a: Value, b: Value, start: int, end: int) -> tuple[float, float]:
    if _is_number(a) and _is_number(b):
        return a, b  # type: ignore[return-value]
    raise EvalError(f"cannot {verb} {type_name(a)} and {type_name(b)}", start, end)


def _sub(a: Value, b: Value, start: int, end: int) -> Value:
    x, y = _numbers("subtract", a, b, start, end)
    return _int_budget(x - y, start, end)


def _mul(a: Value, b: Value, start: int, end: int) -> Value:
    x, y = _numbers("multiply", a, b, start, end)
    if type(x) is int and type(y) is int:
        _budget(lambda: check_product_bits(x, y), start, end)  # before building a huge product
    return _int_budget(x * y, start, end)


def _budget(check: Callable[[], object], start: int, end: int) -> None:
    """Run a budget check; its `BudgetError` is located at the operator."""
    try:
        check()
    except BudgetError as exc:
        raise exc.located(start, end) from None


def _int_budget(value: Any, start: int, end: int) -> Value:
    """Ints (not bools or floats) over the digit budget are refused."""
    if type(value) is int:
        _budget(lambda: check_int(value), start, end)
    return value  # type: ignore[no-any-return]


def _div(a: Value, b: Value, start: int, end: int) -> Value:
    x, y = _numbers("divide", a, b, start, end)
    if y == 0:
        raise EvalError("division by zero", start, end)
    try:
        result = x / y
    except OverflowError:
        raise EvalError("number too large", start, end) from None
    return result


def _mod(a: Value, b: Value, start: int, end: int) -> Value:
    x, y = _numbers("take the remainder of", a, b, start, end)
    if y == 0:
        raise EvalError("remainder by zero", start, end)
    return x % y


_ARITH: dict[str, Callable[[Value, Value, int, int], Value]] = {
    "+": _add,
    "-": _sub,
    "*": _mul,
    "/": _div,
    "%": _mod,
}

_COMPILERS: dict[type, Callable[[Any], _Fn]] = {
    StrLit: _c_str,
    IntLit: _c_str,
    FloatLit: _c_str,
    BoolLit: _c_str,
    NullLit: _c_null,
    ListLit: _c_list,
    Name: _c_name,
    Unary: _c_unary,
    BinOp: _c_binop,
    IfElse: _c_ifelse,
    Call: _c_call,
}
