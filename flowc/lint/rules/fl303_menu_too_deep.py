"""FL303 menu-too-deep: menus are nested deeper than callers can follow.

Why: every menu level costs the caller half a minute of listening; past three levels
(`max_menu_depth` in `[tool.flowc]`) callers lose their way, guess, and end up at an agent
anyway, annoyed. Depth counts the menus on the shortest path from the entry node, the menu
itself included. Each branch that is too deep is reported once, at its deepest menu.

Example::

    main_menu:     {menu: {prompt: "...", options: {1: accounts}}}
    accounts:      {menu: {prompt: "...", options: {1: cards}}}
    cards:         {menu: {prompt: "...", options: {1: card_limits}}}
    card_limits:   {menu: {prompt: "...", options: {1: raise_limit}}}   # 4th level

Fix: flatten the tree (merge small sub-menus, put the most used choices higher), or offer
speech keywords that jump straight to the leaf.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext

CODE = "FL303"
NAME = "menu-too-deep"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    limit = ctx.config.max_menu_depth
    depth, parent = ctx.menu_depths
    nodes = ctx.flow.nodes
    too_deep = [n for n, d in depth.items() if d > limit and nodes[n].kind == "menu"]
    if not too_deep:
        return
    # Only the deepest menu of each branch: drop menus on the way to a deeper one.
    on_the_way: set[str] = set()
    for m in too_deep:
        p: str | None = parent[m]
        while p is not None and p not in on_the_way:
            on_the_way.add(p)
            p = parent[p]
    for m in sorted(too_deep, key=ctx.order.__getitem__):
        if m in on_the_way:
            continue
        chain: list[str] = []
        step: str | None = m
        while step is not None:
            if nodes[step].kind == "menu":
                chain.append(step)
            step = parent[step]
        chain.reverse()
        shown = (
            " > ".join(chain) if len(chain) <= 6 else " > ".join([*chain[:2], "...", *chain[-3:]])
        )
        yield ctx.diag(
            CODE,
            SEVERITY,
            f"menu `{m}` is {depth[m]} menus deep ({shown}); callers get lost past {limit}",
            ("nodes", m),
            key=True,
            hint="flatten the menu tree, or offer speech keywords that jump to this choice",
        )
