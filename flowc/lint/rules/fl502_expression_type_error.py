"""FL502 expression-type-error: an expression or template mixes types that cannot work.

Why: the evaluation fails on a live call (the condition is an error, the call takes the
error path or drops), or quietly compares things that are never equal: a string variable
compared with a number is always false.

Checked: operators and built-in calls get the types they need (see the expression
language), conditions are bools (patterns are FL506), queue
priorities are ints, menu option ranks are numbers, and `set` stores a value of the variable's
type.

Example::

    variables: {tier: string, attempts: {type: int, default: 0}}
    nodes:
      route: {switch: [{if: "tier == 3", goto: vip}], default: main_menu}
      count: {set: {attempts: "{attempts + '1'}"}, next: retry}

Fix: compare like with like (`tier == "3"`, or `int(tier) == 3`), and convert values with
`int(x)` / `str(x)` where a type changes.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lang.expr import Type, is_assignable
from flowc.lint.context import LintContext, SiteCheck

CODE = "FL502"
NAME = "expression-type-error"
SEVERITY = Severity.ERROR

_BOOL_TEXT = frozenset({"true", "false"})


def _literal_fits(text: str, dst: Type) -> bool:
    """Whether literal template text (YAML `attempts: 0`) is a fine value for type `dst`."""
    t = text.strip()
    if dst is Type.INT:
        return t.lstrip("+-").isdigit()
    if dst is Type.FLOAT:
        try:
            float(t)
        except ValueError:
            return False
        return True
    if dst is Type.BOOL:
        return t in _BOOL_TEXT
    return True


def _a(t: Type) -> str:
    return f"an {t}" if str(t)[0] in "aeiou" else f"a {t}"


def _value_problem(checked: SiteCheck, dst: Type) -> str | None:
    """Why the value of a template cannot be stored as `dst` (None when it can)."""
    if dst in (Type.STRING, Type.ANY) or checked.type is None:
        return None
    text = checked.site.text
    if checked.literal:
        return None if _literal_fits(text, dst) else f"`{text}` is not {_a(dst)}"
    if checked.single_hole:
        if is_assignable(checked.type, dst):
            return None
        return f"the value is {_a(checked.type)}, not {_a(dst)}"
    return f"text around a `{{...}}` makes the value a string, not {_a(dst)}"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    variables = ctx.flow.header.variables
    for checked in ctx.checked_sites:
        site = checked.site
        for issue in checked.issues:
            if issue.kind == "unknown_name" and not issue.message.startswith("unknown function"):
                continue  # FL501 (names) and FL205 (schedules)
            if issue.kind == "regex":
                continue  # FL506
            yield ctx.diag_at(
                CODE,
                SEVERITY,
                issue.message,
                ctx.site_span(site, issue.start, issue.end),
                hint=issue.hint,
            )
        if checked.error is not None:
            continue
        if site.role == "priority":
            problem = _value_problem(checked, Type.INT)
            if problem:
                yield ctx.diag(
                    CODE,
                    SEVERITY,
                    f"a queue priority must be an int: {problem}",
                    site.path,
                    hint='write a number, or one `{...}` giving an int: "{5 if vip else 1}"',
                )
        elif site.role == "rank" and checked.type not in (Type.INT, Type.FLOAT, Type.ANY, None):
            yield ctx.diag(
                CODE,
                SEVERITY,
                f"an option's rank must be a number: the value is {_a(checked.type)}",
                site.path,
                hint="rank with a number or a numeric variable: `rank: uses`, `rank: 0 - uses`",
            )
        elif site.role == "set" and site.target in variables:
            dst = Type.from_name(variables[site.target].type)
            problem = _value_problem(checked, dst)
            if problem:
                yield ctx.diag(
                    CODE,
                    SEVERITY,
                    f"`{site.target}` is {_a(dst)} variable: {problem}",
                    site.path,
                    hint="convert it with int(x), float(x) or str(x), or change the variable's"
                    " type",
                )
