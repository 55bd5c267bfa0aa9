"""FL221 time-to-agent: callers may hear more prompts than the budget before reaching a person.

Why: every second of announcements and menus stands between a caller and the person they
rang for; past about a minute (`max_seconds_to_agent` in `[tool.flowc]`, default 60) callers
hang up or press 0 in anger, and the abandon rate shows it in the call-centre report.

The time is the worst case of `flowc stats`: the quickest route a caller can choose to a
`queue` or `transfer` while conditions, opening hours and look-ups take the slowest branch
that still leads to a person, with every menu and `collect` on the way needing all its
retries (its prompt `retries` times, plus the re-prompts between). Prompt lengths are
estimated: about 14 characters a second of TTS for alphabetic scripts, 4 for Chinese, the real
length of WAV recordings. Each locale is checked; the slowest is reported, at the node where
the route runs over the budget.

Example::

    welcome: {play: "<40 seconds of legal notices>", next: main_menu}
    main_menu:
      menu: {prompt: "<a 15-second list of options>", options: {0: agents}, retries: 3}

Fix: shorten or drop announcements before the first menu, put the agent option early in the
menu prompt, use fewer retries, or offer "0 for an agent" from the first menu.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.analysis.prompts import PromptTimer, retry_prompts
from flowc.analysis.stats import Route, seconds_route
from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext

CODE = "FL221"
NAME = "time-to-agent"
SEVERITY = Severity.WARNING


def is_module(ctx: LintContext) -> bool:
    """Subflow modules hand the call back with `return`: they need no way to a person."""
    h = ctx.flow.header
    return bool(h.params or h.returns) or any(n.kind == "return" for n in ctx.flow.nodes.values())


def _step(ctx: LintContext, node_id: str, secs: float) -> str:
    node = ctx.flow.nodes[node_id]
    shown = f"`{node_id}` {secs:.0f} s"
    if node.kind in ("menu", "collect"):
        retries, _ = retry_prompts(node)
        if retries > 1:
            shown += f" ({retries} tries)"
    return shown


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    budget = ctx.config.max_seconds_to_agent
    if is_module(ctx) or ctx.flow.entry not in ctx.flow.nodes:
        return
    timer = PromptTimer(ctx.flow, ctx.config.sounds)
    worst: tuple[float, str, Route] | None = None
    for loc in ctx.flow.locales:
        route = seconds_route(ctx.flow, ctx.graph, ctx.modules, loc, worst=True, timer=timer)
        if route is not None and (worst is None or route.total > worst[0]):
            worst = (route.total, loc, route)
    if worst is None or worst[0] <= budget:
        return
    total, loc, route = worst
    # Report where the route runs over the budget: the first thing to shorten is there or
    # before it.
    elapsed = 0.0
    at = route.nodes[-1]
    for node_id, secs in zip(route.nodes, route.costs, strict=True):
        elapsed += secs
        if elapsed > budget:
            at = node_id
            break
    steps = ", ".join(
        _step(ctx, n, c) for n, c in zip(route.nodes, route.costs, strict=True) if c >= 1
    )
    where = f" ({loc})" if len(ctx.flow.locales) > 1 else ""
    yield ctx.diag(
        CODE,
        SEVERITY,
        f"callers may hear {total:.0f} s of prompts{where} before reaching a person at"
        f" `{route.nodes[-1]}`; the budget is {budget} s: {steps}",
        ("nodes", at),
        key=True,
        hint="shorten announcements before the first menu, name the agent option early,"
        " or lower `retries`",
    )
