"""The expression AST: small frozen dataclasses, and `to_source` to print one back.

Every node carries `start`/`end`: character offsets into the expression text (end exclusive).
Offsets are *not* part of equality or hashing, so `parse_expr("a+b") == parse_expr("a + b")`.
A parenthesised expression is represented by its inner node, whose span then covers the
parentheses.

Binary operators share one node type, `BinOp`, told apart by `op`: `or`, `and` (`BOOL_OPS`),
`== != < <= > >= in`, `not in`, `matches startswith endswith` (`COMPARE_OPS`) and
`+ - * / %` (`ARITH_OPS`). Unary operators are `-` and `not`.

`to_source` prints the canonical text of an expression with the fewest parentheses needed;
parsing its output gives back an equal AST (the formatter relies on this).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

UnaryOp: TypeAlias = Literal["-", "not"]
BinaryOp: TypeAlias = Literal[
    "or",
    "and",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not in",
    "matches",
    "startswith",
    "endswith",
    "+",
    "-",
    "*",
    "/",
    "%",
]

BOOL_OPS: frozenset[str] = frozenset({"or", "and"})
EQUALITY_OPS: frozenset[str] = frozenset({"==", "!="})
ORDER_OPS: frozenset[str] = frozenset({"<", "<=", ">", ">="})
MEMBERSHIP_OPS: frozenset[str] = frozenset({"in", "not in"})
STRING_OPS: frozenset[str] = frozenset({"matches", "startswith", "endswith"})
COMPARE_OPS: frozenset[str] = EQUALITY_OPS | ORDER_OPS | MEMBERSHIP_OPS | STRING_OPS
ARITH_OPS: frozenset[str] = frozenset({"+", "-", "*", "/", "%"})

# Words the lexer treats as keywords: they cannot start a name.
KEYWORDS: frozenset[str] = frozenset(
    {
        "if",
        "else",
        "or",
        "and",
        "not",
        "in",
        "matches",
        "startswith",
        "endswith",
        "true",
        "false",
        "null",
    }
)


@dataclass(frozen=True)
class Node:
    """Base of all nodes: the span of the node in the expression text."""

    start: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)

    def __getstate__(self) -> dict[str, object]:
        # The evaluator caches a compiled closure on the node (`_fn`); never pickle it.
        return {k: v for k, v in self.__dict__.items() if k != "_fn"}


@dataclass(frozen=True)
class StrLit(Node):
    value: str


@dataclass(frozen=True)
class IntLit(Node):
    value: int


@dataclass(frozen=True)
class FloatLit(Node):
    value: float


@dataclass(frozen=True)
class BoolLit(Node):
    value: bool


@dataclass(frozen=True)
class NullLit(Node):
    pass


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Name(Node):
    """A variable or a namespace member; `name` is dotted: `caller.number`."""

    name: str


@dataclass(frozen=True)
class Unary(Node):
    op: UnaryOp
    operand: Expr


@dataclass(frozen=True)
class BinOp(Node):
    op: BinaryOp
    left: Expr
    right: Expr


@dataclass(frozen=True)
class IfElse(Node):
    """`then if cond else orelse`."""

    then: Expr
    cond: Expr
    orelse: Expr


@dataclass(frozen=True)
class Call(Node):
    """A call of a built-in function; `func` is a plain (undotted) name."""

    func: str
    args: tuple[Expr, ...]


Expr: TypeAlias = (
    StrLit | IntLit | FloatLit | BoolLit | NullLit | ListLit | Name | Unary | BinOp | IfElse | Call
)


def children(expr: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of `expr`, left to right."""
    if isinstance(expr, BinOp):
        return (expr.left, expr.right)
    if isinstance(expr, Unary):
        return (expr.operand,)
    if isinstance(expr, IfElse):
        return (expr.then, expr.cond, expr.orelse)
    if isinstance(expr, Call):
        return expr.args
    if isinstance(expr, ListLit):
        return expr.items
    return ()


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node of `expr`, pre-order, left to right (iterative: safe on deep trees)."""
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


MAX_DEPTH = 100  # nesting limit: keeps every later (recursive) pass far from the stack limit


def depth(expr: Expr) -> int:
    """The nesting depth of `expr` (a leaf has depth 1), computed without recursion."""
    best = 0
    stack: list[tuple[Expr, int]] = [(expr, 1)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        stack.extend((c, d + 1) for c in children(node))
    return best


# ---------------------------------------------------------------- printing

_PREC_IF, _PREC_OR, _PREC_AND, _PREC_NOT, _PREC_CMP, _PREC_SUM, _PREC_PROD, _PREC_NEG = range(8)
_PREC_ATOM = 8

_BINARY_PREC: dict[str, int] = {
    "or": _PREC_OR,
    "and": _PREC_AND,
    "+": _PREC_SUM,
    "-": _PREC_SUM,
    "*": _PREC_PROD,
    "/": _PREC_PROD,
    "%": _PREC_PROD,
    **dict.fromkeys(COMPARE_OPS, _PREC_CMP),
}


def precedence(expr: Expr) -> int:
    """Binding strength of the top operator of `expr` (higher binds tighter)."""
    if isinstance(expr, IfElse):
        return _PREC_IF
    if isinstance(expr, BinOp):
        return _BINARY_PREC[expr.op]
    if isinstance(expr, Unary):
        return _PREC_NOT if expr.op == "not" else _PREC_NEG
    return _PREC_ATOM


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def quote_string(value: str) -> str:
    """A double-quoted string literal that parses back to `value`."""
    out = ['"']
    for ch in value:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def to_source(expr: Expr) -> str:
    """Canonical source text of `expr`: reparsing it yields an equal AST."""
    return _src(expr, 0)


def _src(expr: Expr, min_prec: int) -> str:
    text = _src_bare(expr)
    return f"({text})" if precedence(expr) < min_prec else text


def _src_bare(expr: Expr) -> str:
    if isinstance(expr, StrLit):
        return quote_string(expr.value)
    if isinstance(expr, BoolLit):
        return "true" if expr.value else "false"
    if isinstance(expr, IntLit):
        return str(expr.value)
    if isinstance(expr, FloatLit):
        return repr(expr.value)
    if isinstance(expr, NullLit):
        return "null"
    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, ListLit):
        return "[" + ", ".join(_src(i, 0) for i in expr.items) + "]"
    if isinstance(expr, Call):
        return expr.func + "(" + ", ".join(_src(a, 0) for a in expr.args) + ")"
    if isinstance(expr, Unary):
        if expr.op == "not":
            return "not " + _src(expr.operand, _PREC_NOT)
        return "-" + _src(expr.operand, _PREC_NEG)
    if isinstance(expr, BinOp):
        prec = _BINARY_PREC[expr.op]
        if prec == _PREC_CMP:  # not associative: both sides one level tighter
            left, right = _src(expr.left, _PREC_SUM), _src(expr.right, _PREC_SUM)
        else:  # left associative
            left, right = _src(expr.left, prec), _src(expr.right, prec + 1)
        return f"{left} {expr.op} {right}"
    # IfElse: `or_expr if or_expr else expr`
    return f"{_src(expr.then, _PREC_OR)} if {_src(expr.cond, _PREC_OR)} else {_src(expr.orelse, 0)}"
