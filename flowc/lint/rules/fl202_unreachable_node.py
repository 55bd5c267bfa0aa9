"""FL202 unreachable-node: no path from the entry node leads to this node.

Why: an unreachable node is usually a forgotten menu option or a misspelt target; the
prompts recorded for it are wasted and reviewers are misled about what callers hear.

Example::

    nodes:
      start: {goto: main_menu}
      main_menu: {menu: {prompt: "...", options: {1: billing}}}
      old_promo: {play: "Summer offer!", next: main_menu}   # nothing leads here

Fix: link the node from a menu option or rule, or delete it.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext

CODE = "FL202"
NAME = "unreachable-node"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    if ctx.flow.entry not in ctx.flow.nodes:
        return
    for node_id in ctx.flow.nodes:
        if node_id not in ctx.reachable:
            yield ctx.diag(
                CODE,
                SEVERITY,
                f"node `{node_id}` is never reached from the entry node `{ctx.flow.entry}`",
                ("nodes", node_id),
                key=True,
                hint="link it from a menu option or rule, or delete it",
            )
