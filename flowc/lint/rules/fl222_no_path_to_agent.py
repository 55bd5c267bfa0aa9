"""FL222 no-path-to-agent: no path from the entry ever reaches a person.

Why: a line where no caller can ever reach a `queue` or a `transfer` is self-service only;
callers whose question is not covered (or who cannot use the menus) have nowhere to go. That
is sometimes intended (a recorded-information line), usually an option lost in an edit.

Subflow modules (flows with `params`, `returns` or `return` nodes) are not checked: they hand
the call back to their caller.

Example::

    nodes:
      main_menu: {menu: {prompt: "1 for opening hours", options: {1: hours_info}}}
      hours_info: {play: "We are open 9 to 5.", next: bye}
      bye: {hangup: null}

Fix: add an option (or the header's `agent_key`) that leads to a queue or a transfer; for a
deliberate information line, ignore FL222 for that file.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.analysis.graph import PERSON_KINDS
from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext
from flowc.lint.rules.fl221_time_to_agent import is_module

CODE = "FL222"
NAME = "no-path-to-agent"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    nodes = ctx.flow.nodes
    entry = ctx.flow.entry
    if is_module(ctx) or entry is None or entry not in nodes:
        return
    if any(n in nodes and nodes[n].kind in PERSON_KINDS for n in ctx.reachable):
        return
    people = [n for n, node in nodes.items() if node.kind in PERSON_KINDS]
    hint = (
        f"`{people[0]}` is a {nodes[people[0]].kind} node but nothing leads to it"
        if people
        else "add an option or an `agent_key` that leads to a queue or transfer node"
    )
    yield ctx.diag(
        CODE,
        SEVERITY,
        f"no path from the entry `{entry}` reaches a queue or a transfer: callers can never"
        " reach a person",
        ("nodes", entry),
        key=True,
        hint=hint,
    )
