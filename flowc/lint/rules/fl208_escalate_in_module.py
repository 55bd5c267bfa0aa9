"""FL208 escalate-in-module: a subflow module sets `escalate`, which only the main flow can.

Why: `escalate` is the call's struggle budget. Failed inputs are counted across the whole
call, modules included, against the `escalate` of the flow the call started in; when that
budget is reached the call leaves every module for the main flow's `goto`. A module's own
`escalate` would never be consulted: its author would believe the module escalates while
the call goes on retrying (or escalates somewhere else).

Example::

    # modules/verify_pin.yaml
    flow: verify_pin
    escalate: {after_failures: 2, goto: give_up}   # never used
    nodes:
      ask: {collect: {into: pin, prompt: "Your PIN?", on_fail: give_up}, next: done}
      ...

Fix: set `escalate` in the main flow (failures in the module count toward it), and in the
module handle its own failures with the collect's or menu's `retries` and `on_fail`.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext
from flowc.model.nodes import SubflowNode

CODE = "FL208"
NAME = "escalate-in-module"
SEVERITY = Severity.ERROR


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    reported: set[str] = set()
    for node_id, node in ctx.flow.nodes.items():
        if not isinstance(node, SubflowNode):
            continue
        ref = node.subflow
        module = ctx.modules.get(ref)
        if module is None or module.header.escalate is None or ref in reported:
            continue
        reported.add(ref)
        esc = module.header.escalate
        yield ctx.diag(
            CODE,
            SEVERITY,
            f"module `{module.name}` ({ref}) sets `escalate: {{after_failures:"
            f" {esc.after_failures}, goto: {esc.goto}}}`, which a module cannot have: the"
            " call's failed inputs count against the main flow's `escalate` only",
            ("nodes", node_id, "subflow"),
            hint="move `escalate` to the main flow (failures in the module count toward it),"
            " and remove it from the module",
        )
