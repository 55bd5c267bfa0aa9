"""Test helpers: an s-expression view of ASTs (shows the structure, not the spelling)."""

from __future__ import annotations

from flowc.lang.expr import (
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


def sx(e: Expr) -> str:
    """Fully parenthesised prefix form: `a + b * c` -> `(+ a (* b c))`."""
    if isinstance(e, Name):
        return e.name
    if isinstance(e, StrLit):
        return repr(e.value)
    if isinstance(e, BoolLit):
        return "true" if e.value else "false"
    if isinstance(e, IntLit | FloatLit):
        return repr(e.value)
    if isinstance(e, NullLit):
        return "null"
    if isinstance(e, ListLit):
        return "[" + " ".join(sx(i) for i in e.items) + "]"
    if isinstance(e, Call):
        return "(" + " ".join([e.func + "()", *(sx(a) for a in e.args)]) + ")"
    if isinstance(e, Unary):
        return f"({e.op} {sx(e.operand)})"
    if isinstance(e, BinOp):
        return f"({e.op} {sx(e.left)} {sx(e.right)})"
    assert isinstance(e, IfElse)
    return f"(if {sx(e.cond)} {sx(e.then)} {sx(e.orelse)})"
