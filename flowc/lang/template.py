"""Templates: text with `{expr}` holes, as used in prompts, `set`, params, URLs and targets.

- `{expr}` is an expression hole (see `flowc.lang.expr`); `{{` and `}}` are literal braces.
  Inside a hole, braces within string literals are fine: `{x if y else "}"}`.
- `${NAME}` is an environment reference: not an expression, kept in the text as written (the
  environment is substituted later, outside the call) and listed in `Template.env_refs`.
  `$` anywhere else is an ordinary character.
- A template that is exactly one hole (`"{5 if tier == 'gold' else 1}"`) has the type and the
  value of its expression; any other template is a string.

Offsets (`Hole.start`/`end`, `ExprError`, `TypeIssue`, `EvalError`) are character offsets into
the template text. A hole's `start`/`end` span its expression text, inside the braces, so
`text[hole.start:hole.end] == hole.text`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flowc.lang.expr import (
    EvalError,
    Expr,
    ExprError,
    Type,
    TypeEnv,
    TypeIssue,
    Value,
    check_expr,
    evaluate,
    names_used,
    parse_expr,
    to_text,
)
from flowc.lang.expr.budget import check_string_length

__all__ = [
    "Hole",
    "Template",
    "check_template",
    "evaluate_template",
    "parse_template",
    "render_template",
    "template_names_used",
]


@dataclass(frozen=True)
class Hole:
    """One `{expr}`: its parsed expression, its text, and where that text is in the template."""

    expr: Expr
    text: str
    start: int
    end: int


@dataclass
class Template:
    parts: list[str | Hole]
    env_refs: list[str]
    is_single_hole: bool
    text: str = field(default="", compare=False)

    @property
    def holes(self) -> list[Hole]:
        return [p for p in self.parts if isinstance(p, Hole)]

    @property
    def is_literal(self) -> bool:
        """True when the template has no holes (it may still hold `${NAME}` references)."""
        return not any(isinstance(p, Hole) for p in self.parts)


_SPECIAL = re.compile(r"[{}$]")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def parse_template(text: str) -> Template:
    """Parse a template. Raises `ExprError` with offsets into `text`."""
    parts, env_refs = _parse_cached(text)
    return Template(
        list(parts), list(env_refs), len(parts) == 1 and isinstance(parts[0], Hole), text
    )


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> tuple[tuple[str | Hole, ...], tuple[str, ...]]:
    parts: list[str | Hole] = []
    env_refs: list[str] = []
    buf: list[str] = []
    i, n = 0, len(text)
    while i < n:
        m = _SPECIAL.search(text, i)
        if m is None:
            buf.append(text[i:])
            break
        j = m.start()
        buf.append(text[i:j])
        ch = text[j]
        if ch == "{":
            if text.startswith("{{", j):
                buf.append("{")
                i = j + 2
                continue
            close = _hole_end(text, j)
            expr_text = text[j + 1 : close]
            if not expr_text.strip():
                raise ExprError(
                    "empty `{}` in template",
                    j,
                    close + 1,
                    "put an expression inside, or write `{{` for a literal brace",
                )
            try:
                expr = parse_expr(expr_text)
            except ExprError as exc:
                raise exc.shifted(j + 1) from None
            literal = "".join(buf)
            if literal:
                parts.append(literal)
            buf = []
            parts.append(Hole(expr, expr_text, j + 1, close))
            i = close + 1
        elif ch == "}":
            if text.startswith("}}", j):
                buf.append("}")
                i = j + 2
                continue
            raise ExprError("single `}` in template", j, j + 1, "write `}}` for a literal brace")
        else:  # "$"
            if text.startswith("${", j) and not text.startswith("${{", j):
                ref = _ENV_REF.match(text, j)
                if ref is None:
                    close_at = text.find("}", j)
                    raise ExprError(
                        "invalid environment reference",
                        j,
                        close_at + 1 if close_at >= 0 else n,
                        "write `${NAME}` with letters, digits and `_`",
                    )
                buf.append(ref.group(0))
                if ref.group(1) not in env_refs:
                    env_refs.append(ref.group(1))
                i = ref.end()
            else:
                buf.append("$")
                i = j + 1
    literal = "".join(buf)
    if literal:
        parts.append(literal)
    return tuple(parts), tuple(env_refs)


def _hole_end(text: str, open_at: int) -> int:
    """Index of the `}` closing the hole opened at `open_at` (skipping string literals)."""
    i, n = open_at + 1, len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'":
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise ExprError("unclosed string", i, n, f"close the string with a matching {ch}")
            i = j + 1
            continue
        if ch == "}":
            return i
        if ch == "{":
            raise ExprError(
                "unexpected `{` inside `{...}`",
                i,
                i + 1,
                "holes cannot nest; write `{{` outside a hole for a literal brace",
            )
        i += 1
    raise ExprError(
        "unclosed `{` in template",
        open_at,
        open_at + 1,
        "close it with `}`, or write `{{` for a literal brace",
    )


def _eval_hole(hole: Hole, scope: Mapping[str, object]) -> Value:
    try:
        return evaluate(hole.expr, scope)
    except EvalError as exc:
        raise exc.shifted(hole.start) from None


def render_template(t: Template, scope: Mapping[str, object]) -> str:
    """The text of `t` with every hole evaluated and turned into text. Raises `EvalError`."""
    out: list[str] = []
    for part in t.parts:
        if isinstance(part, str):
            out.append(part)
        else:
            value = _eval_hole(part, scope)
            try:
                out.append(to_text(value))
            except EvalError as exc:
                raise exc.located(part.start, part.end) from None
    check_string_length(sum(map(len, out)))
    return "".join(out)


def evaluate_template(t: Template, scope: Mapping[str, object]) -> Value:
    """The value of `t`: a single-hole template gives its typed value, others their text."""
    if t.is_single_hole:
        hole = t.parts[0]
        assert isinstance(hole, Hole)
        return _eval_hole(hole, scope)
    return render_template(t, scope)


def check_template(t: Template, env: TypeEnv) -> tuple[Type, list[TypeIssue]]:
    """The static type of `t` and the issues of all its holes (offsets in the template)."""
    issues: list[TypeIssue] = []
    single: Type | None = None
    for hole in t.holes:
        type_, found = check_expr(hole.expr, env)
        issues.extend(issue.shifted(hole.start) for issue in found)
        single = type_
    if t.is_single_hole and single is not None:
        return single, issues
    return Type.STRING, issues


def template_names_used(t: Template) -> set[str]:
    """The (dotted) names read by the holes of `t`."""
    out: set[str] = set()
    for hole in t.holes:
        out |= names_used(hole.expr)
    return out
