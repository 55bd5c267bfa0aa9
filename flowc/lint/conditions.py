"""What the checker can tell about conditions without running a call.

Used by the adaptive-menu rules (FL308-FL311): a `when:` that is always or never true, two
conditions that can never hold together (alternatives on one key), and two that cover every
call between them (so a menu always has an option). Each answer is `True`/`False` only when
it holds for every value the variables' types allow; `None` means "cannot tell", and the rules
say nothing then.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from flowc.lang.expr import (
    BinOp,
    BoolLit,
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
    evaluate,
    parse_expr,
    truthy,
    walk,
)

_LITERALS = (StrLit, IntLit, FloatLit, BoolLit, NullLit)
_NUMERIC = (Type.INT, Type.FLOAT)
_EMPTY_SCOPE: Mapping[str, object] = {}


def _constant(expr: Expr) -> bool:
    """No names in it: its value is the same on every call."""
    return not any(isinstance(n, Name) for n in walk(expr))


def _same(a: Expr, b: Expr) -> bool:
    return a == b  # node equality ignores positions


def _interval(expr: Expr, env: TypeEnv) -> tuple[str, float, float, bool, bool] | None:
    """`n < 5`, `3 <= n`, `n == 2` over a numeric name as (name, low, high, low closed,
    high closed); None for anything else."""
    if not isinstance(expr, BinOp) or expr.op not in ("<", "<=", ">", ">=", "=="):
        return None
    left, right, op = expr.left, expr.right, str(expr.op)
    if isinstance(left, IntLit | FloatLit) and isinstance(right, Name):
        left, right = right, left
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}[op]
    if not isinstance(left, Name) or not isinstance(right, IntLit | FloatLit):
        return None
    if env.lookup(left.name) not in _NUMERIC:
        return None
    v = float(right.value)
    inf = math.inf
    return {
        "<": (left.name, -inf, v, False, False),
        "<=": (left.name, -inf, v, False, True),
        ">": (left.name, v, inf, False, False),
        ">=": (left.name, v, inf, True, False),
        "==": (left.name, v, v, True, True),
    }[op]


def _disjoint(
    a: tuple[str, float, float, bool, bool], b: tuple[str, float, float, bool, bool]
) -> bool:
    if a[0] != b[0]:
        return False
    low, low_closed = (
        (a[1], a[3]) if a[1] > b[1] else (b[1], b[3]) if b[1] > a[1] else (a[1], a[3] and b[3])
    )
    high, high_closed = (
        (a[2], a[4]) if a[2] < b[2] else (b[2], b[4]) if b[2] < a[2] else (a[2], a[4] and b[4])
    )
    return low > high or (low == high and not (low_closed and high_closed))


def _covers(
    a: tuple[str, float, float, bool, bool], b: tuple[str, float, float, bool, bool]
) -> bool:
    """Two intervals of one name that together hold every number."""
    if a[0] != b[0]:
        return False
    lo, hi = (a, b) if a[1] <= b[1] else (b, a)
    if lo[1] != -math.inf or hi[2] != math.inf:
        return False
    return lo[2] > hi[1] or (lo[2] == hi[1] and (lo[4] or hi[3]))


def verdict(expr: Expr, env: TypeEnv) -> bool | None:
    """True/False when `expr` has that truth value on every call, else None."""
    if _constant(expr):
        try:
            return truthy(evaluate(expr, _EMPTY_SCOPE))
        except EvalError:
            return None
    if isinstance(expr, Unary) and expr.op == "not":
        inner = verdict(expr.operand, env)
        return None if inner is None else not inner
    if isinstance(expr, IfElse):
        cond = verdict(expr.cond, env)
        if cond is not None:
            return verdict(expr.then if cond else expr.orelse, env)
        then, orelse = verdict(expr.then, env), verdict(expr.orelse, env)
        return then if then is not None and then == orelse else None
    if not isinstance(expr, BinOp):
        return None
    op = expr.op
    if op in ("and", "or"):
        left, right = verdict(expr.left, env), verdict(expr.right, env)
        if op == "and":
            if left is False or right is False or exclusive(expr.left, expr.right, env):
                return False
            return True if left and right else None
        if left is True or right is True or complementary(expr.left, expr.right, env):
            return True
        return False if left is False and right is False else None
    if _same(expr.left, expr.right) and not _constant(expr.left):
        return {"==": True, "<=": True, ">=": True, "!=": False, "<": False, ">": False}.get(op)
    if op in ("in", "not in") and isinstance(expr.right, ListLit) and not expr.right.items:
        return op == "not in"
    return None


def _negation(a: Expr, b: Expr) -> bool:
    return (isinstance(a, Unary) and a.op == "not" and _same(a.operand, b)) or (
        isinstance(b, Unary) and b.op == "not" and _same(b.operand, a)
    )


def _equality(expr: Expr) -> tuple[Expr, frozenset[object], bool] | None:
    """`x == lit`, `x != lit`, `x in [lits]`, `x not in [lits]` as (x, values, positive)."""
    if not isinstance(expr, BinOp) or expr.op not in ("==", "!=", "in", "not in"):
        return None
    left, right = expr.left, expr.right
    if expr.op in ("==", "!=") and isinstance(left, _LITERALS) and not isinstance(right, _LITERALS):
        left, right = right, left
    if isinstance(left, _LITERALS):
        return None
    if expr.op in ("==", "!="):
        if not isinstance(right, _LITERALS):
            return None
        values: frozenset[object] = frozenset({_lit(right)})
    else:
        if not isinstance(right, ListLit) or not all(isinstance(i, _LITERALS) for i in right.items):
            return None
        values = frozenset(_lit(i) for i in right.items)
    return left, values, expr.op in ("==", "in")


def _lit(node: Expr) -> object:
    if isinstance(node, StrLit | IntLit | FloatLit | BoolLit):
        return (type(node).__name__, node.value)
    return None


def exclusive(a: Expr, b: Expr, env: TypeEnv) -> bool:
    """`a` and `b` are never true on the same call."""
    if verdict(a, env) is False or verdict(b, env) is False or _negation(a, b):
        return True
    ea, eb = _equality(a), _equality(b)
    if ea is not None and eb is not None and _same(ea[0], eb[0]):
        (_, va, pa), (_, vb, pb) = ea, eb
        if pa and pb:
            return not (va & vb)
        if pa and not pb:
            return va <= vb
        if pb and not pa:
            return vb <= va
        return False
    ia, ib = _interval(a, env), _interval(b, env)
    return ia is not None and ib is not None and _disjoint(ia, ib)


def complementary(a: Expr, b: Expr, env: TypeEnv) -> bool:
    """On every call at least one of `a` and `b` is true."""
    if verdict(a, env) is True or verdict(b, env) is True or _negation(a, b):
        return True
    ea, eb = _equality(a), _equality(b)
    if ea is not None and eb is not None and _same(ea[0], eb[0]):
        (_, va, pa), (_, vb, pb) = ea, eb
        if pa != pb:
            pos, neg = (va, vb) if pa else (vb, va)
            return neg <= pos
        if not pa and not pb:
            return not (va & vb)
        return False
    ia, ib = _interval(a, env), _interval(b, env)
    return ia is not None and ib is not None and _covers(ia, ib)


def parsed(text: str | None) -> Expr | None:
    """`text` parsed as an expression, or None (absent, or a syntax error: FL503 says so)."""
    if text is None:
        return None
    try:
        return parse_expr(text)
    except ExprError:
        return None
