"""FL308 option-condition-constant: a menu option's `when` is always true or never true.

What: the checker reads each option's condition with the variables' types. A condition that
holds on every call (`true`, `x == x`, `n <= 5 or n > 5` for a number `n`, `plan in [...]
or plan not in [...]`) makes `when` pointless; one that never holds (`false`, `n > 5 and n <
3`, `tier != tier`) hides the option from every caller.

Why: a personalised option that nobody is ever offered is a dead branch that still needs
prompts in every locale and tests; an always-true condition suggests the author meant
something else (a typo in a variable name or a value).

Example::

    variables: {usage: int}
    nodes:
      main:
        menu:
          prompt: "Welcome."
          options:
            1: {goto: heavy, when: "usage > 100 and usage < 10", say: "Offers, press {key}."}

Fix: correct the condition (usually `or` for `and`, or the bounds), or drop `when` and offer
the option to everyone.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.conditions import parsed, verdict
from flowc.lint.context import LintContext
from flowc.model.nodes import MenuNode

CODE = "FL308"
NAME = "option-condition-constant"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for node_id, node in ctx.flow.nodes.items():
        if not isinstance(node, MenuNode):
            continue
        for opt in node.menu.option_tuple:
            if opt.when is None:
                continue
            expr = parsed(opt.when)
            if expr is None:
                continue
            found = verdict(expr, ctx.type_env)
            if found is None:
                continue
            path = ("nodes", node_id, "menu", *opt.path, "when")
            if found:
                yield ctx.diag(
                    CODE,
                    SEVERITY,
                    f"`{opt.when}` is true on every call: the option to `{opt.goto}` is offered"
                    " to everyone",
                    path,
                    hint="drop `when`, or correct the condition",
                )
            else:
                yield ctx.diag(
                    CODE,
                    SEVERITY,
                    f"`{opt.when}` is never true: no caller is ever offered `{opt.goto}`",
                    path,
                    hint="correct the condition (`or` for `and`? the bounds?), or remove the"
                    " option",
                )
