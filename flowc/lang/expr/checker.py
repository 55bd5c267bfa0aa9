"""Static checking of expressions: unknown names and type errors, never raising.

The rules, kept simple and predictable:

- `ANY` is compatible with everything, but an operand whose own type can never work is an
  error even next to `ANY` (`true + x`).
- Unknown names are `unknown_name` issues with a did-you-mean hint; their type is then `ANY`,
  so one mistake gives one issue.
- `and`, `or`, `not` and the condition of `x if c else y` need `bool` (or `any`); the result
  of `and`/`or`/`not` is `bool`.
- `==`/`!=`: operands must be of the same type, both numeric, or one `null` or `any`
  (`tier == 3` with `tier: string` -> "cannot compare string with int").
- `< <= > >=`: two numbers, two strings or two datetimes; bool, list and null cannot be ordered.
- `in`/`not in`: the right side is a list (any item type), or a string when the left is a
  string (substring test).
- `matches`, `startswith`, `endswith`: two strings. A literal `matches` pattern is compiled
  now: a bad regex (or one longer than the run-time cap) is a `type_error`.
- `+`: int+int -> int, numbers -> float, string+string -> string, list+list -> list.
  `- * %`: numbers (int op int -> int, else float); `/` always gives float. Nothing else,
  so string repetition and string/number mixes are errors.
- unary `-`: a number. `x if c else y` has the join of both branch types (numbers join to
  float, `null` joins to the other type, anything else to `any`).
- Calls: known built-in (did-you-mean otherwise), right number of arguments, each argument
  of an accepted type (`int` passes where `float` is accepted). `in_hours` takes a string
  literal that must name a schedule when the environment lists them.
- Names of plain variables have no members (`tier.x` is an error); closed namespaces have
  only their members; `env` is never visible (use `${NAME}` in templates).
"""

from __future__ import annotations

import re

from flowc.diagnostics import did_you_mean
from flowc.lang.expr.ast import (
    ARITH_OPS,
    BOOL_OPS,
    EQUALITY_OPS,
    MEMBERSHIP_OPS,
    ORDER_OPS,
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
    walk,
)
from flowc.lang.expr.functions import FUNCTIONS
from flowc.lang.expr.types import IssueKind, Type, TypeEnv, TypeIssue, join
from flowc.lang.regex import MAX_PATTERN_LENGTH, RegexError, compile_regex

__all__ = ["MAX_PATTERN_LENGTH", "check_condition", "check_expr", "names_used"]


_ARITH_VERB = {
    "+": "add",
    "-": "subtract",
    "*": "multiply",
    "/": "divide",
    "%": "take the remainder of",
}
_ORDERABLE = frozenset({Type.INT, Type.FLOAT, Type.STRING, Type.DATETIME, Type.ANY})
_PYTHONISMS = {"True": "true", "False": "false", "None": "null"}


def check_expr(expr: Expr, env: TypeEnv) -> tuple[Type, list[TypeIssue]]:
    """The static type of `expr` and every issue found (offsets into the expression text)."""
    checker = _Checker(env)
    return checker.check(expr), checker.issues


def check_condition(expr: Expr, env: TypeEnv) -> list[TypeIssue]:
    """Issues of `expr` used as a condition (`if:`): it must also be a bool (or any)."""
    type_, issues = check_expr(expr, env)
    if type_ not in (Type.BOOL, Type.ANY):
        issues.append(
            TypeIssue(
                f"a condition must be a bool, got {type_}",
                expr.start,
                expr.end,
                "compare it, e.g. `x == ...`",
            )
        )
    return issues


def names_used(expr: Expr) -> set[str]:
    """The (dotted) names `expr` reads, e.g. {"tier", "caller.number"}."""
    return {node.name for node in walk(expr) if isinstance(node, Name)}


class _Checker:
    def __init__(self, env: TypeEnv) -> None:
        self.env = env
        self.issues: list[TypeIssue] = []

    def error(self, node: Expr, message: str, hint: str | None = None) -> None:
        self.issues.append(TypeIssue(message, node.start, node.end, hint, "type_error"))

    def unknown(self, node: Expr, message: str, hint: str | None, end: int | None = None) -> None:
        self.issues.append(
            TypeIssue(message, node.start, node.end if end is None else end, hint, "unknown_name")
        )

    # ------------------------------------------------------------ dispatch

    def check(self, node: Expr) -> Type:
        if isinstance(node, StrLit):
            return Type.STRING
        if isinstance(node, BoolLit):
            return Type.BOOL
        if isinstance(node, IntLit):
            return Type.INT
        if isinstance(node, FloatLit):
            return Type.FLOAT
        if isinstance(node, NullLit):
            return Type.NULL
        if isinstance(node, ListLit):
            for item in node.items:
                self.check(item)
            return Type.LIST
        if isinstance(node, Name):
            return self.name(node)
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, BinOp):
            return self.binop(node)
        if isinstance(node, IfElse):
            then_t = self.check(node.then)
            self.need_bool(node.cond, self.check(node.cond), "a condition")
            return join(then_t, self.check(node.orelse))
        return self.call(node)

    def need_bool(self, node: Expr, type_: Type, what: str) -> None:
        if type_ not in (Type.BOOL, Type.ANY):
            self.error(node, f"{what} needs a bool, got {type_}", "compare it, e.g. `x == ...`")

    # ------------------------------------------------------------ names

    def name(self, node: Name) -> Type:
        name, env = node.name, self.env
        found = env.lookup(name)
        if found is not None:
            return found
        first = name.split(".", 1)[0]
        if first == "env" and env.lookup("env") is None:
            self.unknown(
                node,
                "environment values are not visible in expressions",
                "use `${NAME}` in a template instead",
            )
            return Type.ANY
        if name in _PYTHONISMS:
            self.unknown(node, f"unknown name `{name}`", f"write `{_PYTHONISMS[name]}`")
            return Type.ANY
        var = env.variable_prefix(name)
        if var is not None:
            self.error(
                node,
                f"`{var}` is a {env.names[var]} and has no member `{name[len(var) + 1 :]}`",
                "only namespaces such as `caller` or `result` have members",
            )
            return Type.ANY
        members = env.closed_namespaces.get(name)
        if members is not None:
            listed = ", ".join(f"`{name}.{m}`" for m in sorted(members))
            self.unknown(node, f"`{name}` is a namespace, not a value", f"use one of {listed}")
            return Type.ANY
        ns = env.namespace_of(name)
        hint: str | None
        if ns is not None and ns in env.closed_namespaces:
            dotted = [f"{ns}.{m}" for m in sorted(env.closed_namespaces[ns])]
            hint = did_you_mean(name, dotted) or f"`{ns}` has " + ", ".join(
                f"`{m}`" for m in dotted
            )
        else:
            hint = did_you_mean(name, env.candidates(name))
        self.unknown(node, f"unknown name `{name}`", hint)
        return Type.ANY

    # ------------------------------------------------------------ operators

    def unary(self, node: Unary) -> Type:
        t = self.check(node.operand)
        if node.op == "not":
            self.need_bool(node.operand, t, "`not`")
            return Type.BOOL
        if t.is_numeric or t is Type.ANY:
            return t
        self.error(node, f"cannot negate a {t}")
        return Type.ANY

    def binop(self, node: BinOp) -> Type:
        op = node.op
        lt, rt = self.check(node.left), self.check(node.right)
        if op in BOOL_OPS:
            self.need_bool(node.left, lt, f"`{op}`")
            self.need_bool(node.right, rt, f"`{op}`")
            return Type.BOOL
        if op in ARITH_OPS:
            return self.arith(node, lt, rt)
        if op in EQUALITY_OPS:
            if not _comparable(lt, rt):
                self.error(node, f"cannot compare {lt} with {rt}", _compare_hint(lt, rt))
        elif op in ORDER_OPS:
            if lt not in _ORDERABLE or rt not in _ORDERABLE:
                bad = lt if lt not in _ORDERABLE else rt
                self.error(node, f"cannot order {bad} values with `{op}`")
            elif not _comparable(lt, rt):
                self.error(node, f"cannot compare {lt} with {rt}", _compare_hint(lt, rt))
        elif op in MEMBERSHIP_OPS:
            self.membership(node, lt, rt)
        else:  # matches, startswith, endswith
            for side, t in ((node.left, lt), (node.right, rt)):
                if t not in (Type.STRING, Type.ANY):
                    self.error(side, f"`{op}` needs strings, got {t}")
            if op == "matches" and isinstance(node.right, StrLit):
                self.pattern(node.right)
        return Type.BOOL

    def membership(self, node: BinOp, lt: Type, rt: Type) -> None:
        op = node.op
        if rt in (Type.LIST, Type.ANY):
            return
        if rt is Type.STRING:
            if lt not in (Type.STRING, Type.ANY):
                self.error(
                    node,
                    f"`{op}` with a string on the right needs a string on the left, got {lt}",
                    "convert with str(x)",
                )
            return
        self.error(node.right, f"cannot use `{op}` with a {rt} on the right; use a list")

    def pattern(self, lit: StrLit) -> None:
        try:
            compile_regex(lit.value)
        except RegexError as exc:
            # A pattern no engine accepts stays a plain error (FL502); one only RE2 refuses
            # (a backreference, a lookaround) is "regex" (FL506), with the hint to rewrite it.
            unsupported = len(lit.value) <= MAX_PATTERN_LENGTH and _python_accepts(lit.value)
            kind: IssueKind = "regex" if unsupported else "type_error"
            hint = exc.hint if unsupported else None
            self.issues.append(TypeIssue(str(exc), lit.start, lit.end, hint, kind))

    def arith(self, node: BinOp, lt: Type, rt: Type) -> Type:
        op = node.op
        if op == "+":
            if lt is Type.STRING and rt is Type.STRING:
                return Type.STRING
            if lt is Type.LIST and rt is Type.LIST:
                return Type.LIST
            addable = (Type.STRING, Type.LIST, Type.INT, Type.FLOAT, Type.ANY)
            if (lt is Type.ANY and rt in addable) or (rt is Type.ANY and lt in addable):
                return Type.ANY
        elif lt is Type.ANY and (rt.is_numeric or rt is Type.ANY):
            return Type.FLOAT if op == "/" else Type.ANY
        elif rt is Type.ANY and lt.is_numeric:
            return Type.FLOAT if op == "/" else Type.ANY
        if lt.is_numeric and rt.is_numeric:
            if op == "/" or Type.FLOAT in (lt, rt):
                return Type.FLOAT
            return Type.INT
        hint = None
        if op == "+" and Type.STRING in (lt, rt):
            hint = "convert the other side with str(x)"
        elif op == "*" and Type.STRING in (lt, rt):
            hint = "strings cannot be repeated"
        self.error(node, f"cannot {_ARITH_VERB[op]} {lt} and {rt}", hint)
        return Type.ANY

    # ------------------------------------------------------------ calls

    def call(self, node: Call) -> Type:
        arg_types = [self.check(a) for a in node.args]
        func = FUNCTIONS.get(node.func)
        name_end = node.start + len(node.func)
        if func is None:
            hint = did_you_mean(node.func, FUNCTIONS) or (
                "built-in functions: " + ", ".join(sorted(FUNCTIONS))
            )
            self.unknown(node, f"unknown function `{node.func}`", hint, end=name_end)
            return Type.ANY
        if len(node.args) != func.arity:
            plural = "" if func.arity == 1 else "s"
            self.error(
                node,
                f"`{func.name}()` takes {func.arity} argument{plural}, got {len(node.args)}",
                func.signature(),
            )
            return func.returns
        for i, (arg, t, accepted) in enumerate(
            zip(node.args, arg_types, func.params, strict=True), 1
        ):
            if not _accepts(accepted, t):
                wanted = " or ".join(sorted(str(a) for a in accepted))
                self.error(arg, f"argument {i} of `{func.name}()` must be {wanted}, got {t}")
        if func.name == "in_hours":
            self.schedule_arg(node.args[0])
        return func.returns

    def schedule_arg(self, arg: Expr) -> None:
        if not isinstance(arg, StrLit):
            self.error(
                arg,
                "in_hours() takes the schedule name as a string literal",
                'write `in_hours("care_hours")`',
            )
            return
        schedules = self.env.schedules
        if schedules is not None and arg.value not in schedules:
            hint = did_you_mean(arg.value, schedules) or (
                "schedules: " + ", ".join(sorted(schedules)) if schedules else "no schedules"
            )
            self.unknown(arg, f"unknown schedule `{arg.value}`", hint)


def _comparable(a: Type, b: Type) -> bool:
    return a is b or Type.ANY in (a, b) or Type.NULL in (a, b) or (a.is_numeric and b.is_numeric)


def _compare_hint(a: Type, b: Type) -> str | None:
    if {a, b} == {Type.STRING, Type.INT} or {a, b} == {Type.STRING, Type.FLOAT}:
        return "quote the number, or convert with int(x) / str(x)"
    return None


def _accepts(accepted: frozenset[Type], t: Type) -> bool:
    return (
        t is Type.ANY
        or Type.ANY in accepted
        or t in accepted
        or (t is Type.INT and Type.FLOAT in accepted)
    )


def _python_accepts(pattern: str) -> bool:
    """Whether Python's `re` parses the pattern (parsing only: nothing is matched)."""
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError, ValueError):
        return False
    return True
