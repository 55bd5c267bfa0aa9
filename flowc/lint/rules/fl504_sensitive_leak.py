"""FL504 sensitive-leak: a sensitive value (a PIN, a card number) is read where it leaks.

Why: prompts end up in TTS requests and logs, service URLs and headers in proxy and access
logs, service bodies in the service's own logs, transfer targets in signalling and call
records, and a copy in an ordinary variable in traces and debug dumps. Sensitive values
are for comparing, and for `fetch` params (which the runtime redacts), nothing else.

Sensitive: variables declared with `sensitive: true`, and the `into` variable of a
`collect` with `sensitive: true`. Only reads whose value ends up in the text or value are
leaks: `{len(pin)}` or `{pin == "0000"}` do not give the value away.

Example::

    variables: {pin: {type: string, sensitive: true}, note: string}
    nodes:
      confirm: {play: "You entered {pin}.", next: verify}     # read out and logged
      keep: {set: {note: "{pin}"}, next: verify}              # copied out of the vault

Fix: do not read the value back (say "Thank you" instead), pass it only as a `fetch`
param, and mark any variable that must hold a copy `sensitive: true` too.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lang.expr import ARITH_OPS, BinOp, Call, Expr, IfElse, ListLit, Name, Unary
from flowc.lint.context import LintContext, SiteCheck

CODE = "FL504"
NAME = "sensitive-leak"
SEVERITY = Severity.ERROR

_WHERE = {
    "prompt": ("is read out in a prompt (and sent to TTS and its logs)", "do not read it back"),
    "url": ("is put in a service URL (URLs end up in access logs)", "pass it as a fetch param"),
    "header": ("is put in a service header (headers end up in logs)", "pass it as a fetch param"),
    "body": ("is put in a service body", "pass it as a fetch param"),
    "transfer": (
        "is part of a transfer target (signalled to the far end, kept in call records)",
        "transfer to a fixed number",
    ),
    "number": (
        "is part of a transfer number (signalled to the far end, kept in call records)",
        "transfer to a fixed number",
    ),
}


def sensitive_variables(ctx: LintContext) -> set[str]:
    out = {name for name, var in ctx.flow.header.variables.items() if var.sensitive}
    for node in ctx.flow.nodes.values():
        if node.kind == "collect" and node.collect.sensitive:  # type: ignore[attr-defined]
            out.add(node.collect.into)  # type: ignore[attr-defined]
    return out


# Built-ins whose result still carries (a form of) the argument's value.
_PASS_THROUGH = frozenset({"lower", "upper", "digits", "str", "int", "float"})


def _flowing(expr: Expr) -> Iterator[Name]:
    """Names whose value flows into the value of `expr` (not those only tested or measured)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            yield node
        elif isinstance(node, BinOp) and node.op in ARITH_OPS:
            stack += [node.left, node.right]
        elif isinstance(node, IfElse):
            stack += [node.then, node.orelse]
        elif isinstance(node, Call) and node.func in _PASS_THROUGH:
            stack += node.args
        elif isinstance(node, ListLit):
            stack += node.items
        elif isinstance(node, Unary) and node.op == "-":
            stack.append(node.operand)


def _leaked(checked: SiteCheck, sensitive: set[str]) -> Iterator[tuple[str, int, int]]:
    for offset, expr in checked.exprs:
        for name in _flowing(expr):
            if name.name in sensitive:
                yield name.name, offset + name.start, offset + name.end


def _leak(checked: SiteCheck, sensitive: set[str]) -> tuple[str, str] | None:
    site = checked.site
    if site.role == "set":
        if site.target in sensitive:
            return None
        return (
            f"is copied into `{site.target}`, which is not sensitive",
            f"mark `{site.target}` `sensitive: true`, or do not copy the value",
        )
    return _WHERE.get(site.role)


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    sensitive = sensitive_variables(ctx)
    if not sensitive:
        return
    for checked in ctx.checked_sites:
        if checked.site.usage == "expr":
            continue  # conditions only decide where the call goes
        leak = _leak(checked, sensitive)
        if leak is None:
            continue
        what, fix = leak
        for name, start, end in _leaked(checked, sensitive):
            yield ctx.diag_at(
                CODE,
                SEVERITY,
                f"sensitive `{name}` {what}",
                ctx.site_span(checked.site, start, end),
                hint=fix,
            )
