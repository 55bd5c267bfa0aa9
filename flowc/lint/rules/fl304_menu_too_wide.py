"""FL304 menu-too-wide: a menu offers more options than callers can keep in mind.

Why: by the time the sixth option is read out, callers have forgotten the first; they wait
for the end, replay the menu or press 0. The limit is `max_menu_options` in
`[tool.flowc]` (default 5); the agent key and the repeat key are not counted.

Example::

    main_menu:
      menu:
        prompt: "..."
        options: {1: balance, 2: payments, 3: cards, 4: loans, 5: travel, 6: fraud, 7: other}

Fix: group related options under a sub-menu (without making menus too deep, FL303), or
move rarely used ones behind "other services".
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext
from flowc.model.nodes import MenuNode

CODE = "FL304"
NAME = "menu-too-wide"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    limit = ctx.config.max_menu_options
    agent = ctx.flow.header.agent_key
    for node_id, node in ctx.flow.nodes.items():
        if not isinstance(node, MenuNode):
            continue
        menu = node.menu
        if len(menu.options) <= limit:
            continue  # fits whatever the menu's own keys take away
        skip = {menu.repeat_key}
        if agent is not None and menu.agent_key:
            skip.add(agent.key)
        count = len(menu.options.keys() - skip)
        if count > limit:
            yield ctx.diag(
                CODE,
                SEVERITY,
                f"menu `{node_id}` has {count} options; callers remember about {limit}",
                ("nodes", node_id, "menu", "options"),
                key=True,
                hint=f"keep at most {limit} (`max_menu_options`): group the others in a sub-menu",
            )
