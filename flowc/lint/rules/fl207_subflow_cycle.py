"""FL207 subflow-cycle: subflow modules that call each other in a circle.

Why: a call entering the circle goes round it until the interpreter's depth limit ends the
call with an error; `flowc serve` refuses to load such a bundle at all. The cycle may be
further away than the flow itself (a -> b -> c -> b): every flow that reaches it is refused.

Example::

    # main.yaml
    nodes:
      verify: {subflow: modules/verify.yaml, next: menu}
    # modules/verify.yaml calls modules/retry.yaml, which calls modules/verify.yaml again

Fix: move the shared part into its own module that calls neither, or turn the repetition
into a loop inside one module (count the attempts and leave the loop with a `switch`).
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext
from flowc.model.nodes import SubflowNode

CODE = "FL207"
NAME = "subflow-cycle"
SEVERITY = Severity.ERROR


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for node_id, node in ctx.flow.nodes.items():
        if not isinstance(node, SubflowNode):
            continue
        issue = ctx.module_issues.get(node.subflow)
        if issue is not None and issue.kind == "cycle":
            yield ctx.diag(
                CODE, SEVERITY, issue.message, ("nodes", node_id, "subflow"), hint=issue.hint
            )
