"""FL310 menu-may-be-empty: every option of a menu has a `when`, and all may be false at once.

What: when no option is offered, the menu has nothing to say and goes to its `on_fail` at
once (or hangs up without one). The checker knows a menu always offers something when one
option has no `when`, one condition is always true, or two conditions cover every call
between them (`vip` / `not vip`, `plan == "x"` / `plan != "x"`, `n < 5` / `n >= 5`).

Why: a caller outside every audience (a look-up that failed, a new plan type) reaches a
menu that offers nothing and is sent on without being asked.

Example::

    variables: {plan: string}
    nodes:
      main:
        menu:
          prompt: "Welcome."
          options:
            1: {goto: mobile, when: 'plan == "mobile"', say: "Mobile, press {key}."}
            2: {goto: repair, when: 'plan == "broadband"', say: "Repair, press {key}."}
          on_fail: agent

Fix: offer at least one option to everyone (no `when`), or add the missing audience, e.g.
`when: 'plan not in ["mobile", "broadband"]'`.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.conditions import complementary, parsed, verdict
from flowc.lint.context import LintContext
from flowc.model.nodes import MenuNode

CODE = "FL310"
NAME = "menu-may-be-empty"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    env = ctx.type_env
    for node_id, node in ctx.flow.nodes.items():
        if not isinstance(node, MenuNode):
            continue
        menu = node.menu
        entries = menu.option_tuple
        if not entries or any(e.when is None for e in entries):
            continue
        conds = [parsed(e.when) for e in entries]
        known = [c for c in conds if c is not None]
        if len(known) < len(conds):
            continue  # a syntax error: FL503
        if any(verdict(c, env) is True for c in known):
            continue
        if any(complementary(a, b, env) for i, a in enumerate(known) for b in known[i + 1 :]):
            continue
        then = f"goes to `{menu.on_fail}`" if menu.on_fail else "hangs up"
        yield ctx.diag(
            CODE,
            SEVERITY,
            f"menu `{node_id}` may offer no option: every option has a `when` and they can all"
            f" be false on one call (the menu then {then} without asking)",
            ("nodes", node_id, "menu", "options"),
            key=True,
            hint="offer one option to everyone (no `when`), or cover the remaining callers",
        )
