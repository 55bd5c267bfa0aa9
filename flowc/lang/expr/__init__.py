"""The safe expression language of flow files: parse, check, evaluate.

    expr = parse_expr('tier == "gold" and caller.number matches "^\\\\+8610"')
    type_, issues = check_expr(expr, TypeEnv.standard({"tier": Type.STRING}))
    value = evaluate(expr, Scope({"tier": "gold", "caller.number": "+8610..."}, now=clock))

There is no eval/exec anywhere: the grammar has no attribute access, subscripts, lambdas or
calls of anything but the built-ins in `FUNCTIONS`, names cannot start with `_`, and the
evaluator only reads mapping items of the scope.
"""

from flowc.lang.expr.ast import (
    ARITH_OPS,
    BOOL_OPS,
    COMPARE_OPS,
    KEYWORDS,
    MAX_DEPTH,
    BinaryOp,
    BinOp,
    BoolLit,
    Call,
    Expr,
    FloatLit,
    IfElse,
    IntLit,
    ListLit,
    Name,
    Node,
    NullLit,
    StrLit,
    Unary,
    UnaryOp,
    children,
    precedence,
    quote_string,
    to_source,
    walk,
)
from flowc.lang.expr.checker import MAX_PATTERN_LENGTH, check_condition, check_expr, names_used
from flowc.lang.expr.errors import BudgetError, EvalError, ExprError
from flowc.lang.expr.evaluator import MAX_SUBJECT_LENGTH, Scope, evaluate, truthy
from flowc.lang.expr.functions import (
    FUNCTIONS,
    IN_HOURS_KEY,
    NOW_KEY,
    Function,
    to_text,
    values_equal,
)
from flowc.lang.expr.types import (
    IssueKind,
    Type,
    TypeEnv,
    TypeIssue,
    Value,
    is_assignable,
    join,
    type_of_value,
)


def parse_expr(text: str) -> Expr:
    """Parse one expression (`flowc.lang.expr.parser.parse_expr`). The parser and lark load
    at the first expression: a flow without any, and commands that parse none, skip them."""
    from flowc.lang.expr.parser import parse_expr as parse

    return parse(text)


__all__ = [
    "ARITH_OPS",
    "BOOL_OPS",
    "COMPARE_OPS",
    "FUNCTIONS",
    "IN_HOURS_KEY",
    "KEYWORDS",
    "MAX_DEPTH",
    "MAX_PATTERN_LENGTH",
    "MAX_SUBJECT_LENGTH",
    "NOW_KEY",
    "BinOp",
    "BinaryOp",
    "BoolLit",
    "BudgetError",
    "Call",
    "EvalError",
    "Expr",
    "ExprError",
    "FloatLit",
    "Function",
    "IfElse",
    "IntLit",
    "IssueKind",
    "ListLit",
    "Name",
    "Node",
    "NullLit",
    "Scope",
    "StrLit",
    "Type",
    "TypeEnv",
    "TypeIssue",
    "Unary",
    "UnaryOp",
    "Value",
    "check_condition",
    "check_expr",
    "children",
    "evaluate",
    "is_assignable",
    "join",
    "names_used",
    "parse_expr",
    "precedence",
    "quote_string",
    "to_source",
    "to_text",
    "truthy",
    "type_of_value",
    "values_equal",
    "walk",
]
