"""FL507 unbounded-growth: a loop that makes a variable longer (or larger) on every turn.

Why: a variable set from an expression that joins or multiplies the variable itself, in a
node the call can come back to, grows each time round: doubled strings reach gigabytes in
a few dozen turns. The runtime stops such a value at its evaluation budget (64 KiB of text,
10,000 list items, 64-digit integers) and ends the call with outcome `error`: the caller is
cut off.

Checked: `set` assignments (in `set` and `fetch` nodes) inside a loop of the call graph whose
value reads the variable being set under `+` or `*`, or puts text around it in a template.
Counters (`n + 1` on an int variable) grow slowly and are left alone.

Example::

    variables: {history: string}
    nodes:
      menu: {menu: {prompt: "...", options: {1: note}}}
      note: {set: {history: "{history + history}"}, next: menu}

Fix: keep only what the call needs (the last entry, or a count), or leave the loop after a
few turns.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lang.expr import BinOp, Expr, IntLit, Name, walk
from flowc.lint.context import LintContext, SiteCheck, strongly_connected

CODE = "FL507"
NAME = "unbounded-growth"
SEVERITY = Severity.WARNING


def _reads(expr: Expr, name: str) -> bool:
    return any(isinstance(e, Name) and e.name == name for e in walk(expr))


def _counter(op: BinOp) -> bool:
    """`n + 1`, `1 + n`: a count, not growth."""
    return op.op == "+" and (isinstance(op.left, IntLit) or isinstance(op.right, IntLit))


def _grows(checked: SiteCheck, name: str) -> bool:
    for _, expr in checked.exprs:
        for e in walk(expr):
            if isinstance(e, BinOp) and e.op in ("+", "*") and _reads(e, name) and not _counter(e):
                return True
    # "{history}, {last}" or "{history}x": the template's text is the variable plus more
    if checked.single_hole or checked.literal:
        return False
    return any(_reads(expr, name) for _, expr in checked.exprs)


def _in_loops(ctx: LintContext) -> set[str]:
    out: set[str] = set()
    for comp in strongly_connected(ctx.flow.nodes, ctx.succ, ctx.order):
        if len(comp) > 1 or comp[0] in ctx.succ[comp[0]]:
            out.update(comp)
    return out


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    looping: set[str] | None = None
    for checked in ctx.checked_sites:
        site = checked.site
        if site.role != "set" or site.target is None or site.node is None:
            continue
        if checked.error is not None or not _grows(checked, site.target):
            continue
        if looping is None:
            looping = _in_loops(ctx)
        if site.node not in looping:
            continue
        yield ctx.diag(
            CODE,
            SEVERITY,
            f"`{site.target}` grows on every turn of a loop through `{site.node}`: the call"
            " ends with an error once it passes the evaluation budget",
            site.path,
            hint="keep only what the call needs (the last value, or a count), or leave the"
            " loop after a few turns",
        )
