"""FL504 sensitive-leak: a sensitive value (a PIN, a card number) is read where it leaks.

Why: prompts end up in TTS requests and logs, service URLs and headers in proxy and access
logs, service bodies in the service's own logs, transfer targets in signalling and call
records, and a copy in an ordinary variable in traces and debug dumps. Sensitive values
are for comparing, and for `fetch` params of a POST/PUT/PATCH service (they go in the
request body, which the runtime redacts), nothing else. Params of a GET or DELETE service
go in the URL's query string, where access logs keep them: that is a leak too.

Sensitive: variables declared with `sensitive: true`, and the `into` variable of a
`collect` with `sensitive: true`. Only reads whose value ends up in the text or value are
leaks: `{len(pin)}` or `{pin == "0000"}` do not give the value away.

Example::

    variables: {pin: {type: string, sensitive: true}, note: string}
    nodes:
      confirm: {play: "You entered {pin}.", next: verify}     # read out and logged
      keep: {set: {note: "{pin}"}, next: verify}              # copied out of the vault
      check: {fetch: lookup, params: {pin: "{pin}"}, next: ok}  # lookup is GET: in the URL

Fix: do not read the value back (say "Thank you" instead), pass it only as a `fetch`
param of a POST service, and mark any variable that must hold a copy `sensitive: true` too.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lang.expr import ARITH_OPS, BinOp, Call, Expr, IfElse, ListLit, Name, Unary
from flowc.lint.context import LintContext, SiteCheck
from flowc.model.nodes import CollectNode

CODE = "FL504"
NAME = "sensitive-leak"
SEVERITY = Severity.ERROR

_AS_PARAM = "pass it as a `fetch` param of a POST service (params go in the request body)"
_QUERY_METHODS = frozenset({"GET", "DELETE", "HEAD"})

_WHERE = {
    "prompt": ("is read out in a prompt (and sent to TTS and its logs)", "do not read it back"),
    "url": ("is put in a service URL (URLs end up in access logs)", _AS_PARAM),
    "header": ("is put in a service header (headers end up in logs)", _AS_PARAM),
    "body": ("is put in a service body", _AS_PARAM),
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
        if isinstance(node, CollectNode) and node.collect.sensitive:
            out.add(node.collect.into)
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


def _leak(ctx: LintContext, checked: SiteCheck, sensitive: set[str]) -> tuple[str, str] | None:
    site = checked.site
    if site.role == "set":
        if site.target in sensitive:
            return None
        return (
            f"is copied into `{site.target}`, which is not sensitive",
            f"mark `{site.target}` `sensitive: true`, or do not copy the value",
        )
    if site.role == "params":
        return _query_leak(ctx, site.node)
    return _WHERE.get(site.role)


def _query_leak(ctx: LintContext, node_id: str | None) -> tuple[str, str] | None:
    """Fetch params are safe in a request body, not in the query string of a GET."""
    node = ctx.flow.nodes.get(node_id or "")
    service_name = getattr(node, "fetch", None)
    service = ctx.flow.header.services.get(service_name or "")
    if service is None or service.method not in _QUERY_METHODS:
        return None
    return (
        f"is a param of `{service_name}`, a {service.method} service, so it goes in the URL's "
        "query string (URLs end up in access logs)",
        f"make `{service_name}` a POST service (params go in the request body)",
    )


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    sensitive = sensitive_variables(ctx)
    if not sensitive:
        return
    for checked in ctx.checked_sites:
        if checked.site.usage == "expr":
            continue  # conditions only decide where the call goes
        leak = _leak(ctx, checked, sensitive)
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
