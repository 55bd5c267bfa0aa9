"""FL309 option-key-clash: two options on one key can be offered to the same caller.

What: a key may carry several alternatives (`2: [{goto: repair, when: ...}, {goto: data,
when: ...}]`), one for each audience. Their conditions must exclude each other (`plan ==
"broadband"` / `plan != "broadband"`, `vip` / `not vip`, disjoint value lists or number
ranges); an alternative without `when`, or two conditions the checker cannot tell apart,
may both hold on one call.

Why: the caller would hear two options announced on the same key and get only the first;
the second audience's option silently disappears.

Example::

    variables: {plan: string, vip: bool}
    nodes:
      main:
        menu:
          prompt: "Welcome."
          options:
            2:
              - {goto: repair, when: 'plan == "broadband"', say: "Repair, press {key}."}
              - {goto: vip_desk, when: vip, say: "Your VIP desk, press {key}."}

Fix: make the conditions exclusive (`vip and plan != "broadband"`), move one option to a
free key, or set `renumber: true` so offered options get their keys in order.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.conditions import exclusive, parsed
from flowc.lint.context import LintContext
from flowc.model.nodes import MenuNode, OptionEntry

CODE = "FL309"
NAME = "option-key-clash"
SEVERITY = Severity.ERROR


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    env = ctx.type_env
    for node_id, node in ctx.flow.nodes.items():
        if not isinstance(node, MenuNode):
            continue
        menu = node.menu
        if menu.renumber:
            continue  # keys are handed out in offered order: no two share one
        if len(menu.option_tuple) == len(menu.options):
            continue  # one option per key (most menus)
        by_key: dict[str, list[OptionEntry]] = {}
        for opt in menu.option_tuple:
            by_key.setdefault(opt.key, []).append(opt)
        for key, alts in by_key.items():
            for j, later in enumerate(alts):
                b = parsed(later.when)
                for earlier in alts[:j]:
                    a = parsed(earlier.when)
                    if a is not None and b is not None and exclusive(a, b, env):
                        continue
                    why = (
                        "one of them has no `when`"
                        if a is None or b is None
                        else "their conditions can both be true"
                    )
                    yield ctx.diag(
                        CODE,
                        SEVERITY,
                        f"key {key} may offer both `{earlier.goto}` and `{later.goto}` on one"
                        f" call: {why}",
                        ("nodes", node_id, "menu", *later.path),
                        hint="make the conditions exclude each other, move one option to a"
                        " free key, or set `renumber: true`",
                    )
                    break
