"""FL302 menu-without-agent: a menu offers the caller no way to ask for a person.

Why: callers whose need is not on the menu (or who cannot use a keypad) are stuck with no
way to an agent; they hang up angry or press keys at random. Offering a person from every
menu is basic call-centre practice.

A menu offers a person when it inherits the global `agent_key` (the header defines one and
the menu does not say `agent_key: false`) or when one of its options or speech keywords
leads directly to a `queue` or `transfer` node.

Example::

    nodes:
      main_menu:
        menu: {prompt: "1 for balance, 2 for news", options: {1: balance, 2: news},
               agent_key: false}

Fix: define `agent_key: {key: "0", goto: agent_queue}` in the header (and drop
`agent_key: false`), or add an option that leads to a queue or a transfer.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext
from flowc.model.nodes import MenuNode

CODE = "FL302"
NAME = "menu-without-agent"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    nodes = ctx.flow.nodes
    has_global = ctx.flow.header.agent_key is not None
    people = ctx.person_nodes
    for node_id, node in nodes.items():
        if not isinstance(node, MenuNode):
            continue
        menu = node.menu
        if has_global and menu.agent_key:
            continue
        if any(e.goto in people for e in menu.option_tuple) or any(
            t in people for t in menu.speech.values()
        ):
            continue
        why = (
            "`agent_key: false` switches off the global agent key"
            if has_global
            else "the flow has no global `agent_key`"
        )
        yield ctx.diag(
            CODE,
            SEVERITY,
            f"menu `{node_id}` offers no way to a person: {why} and no option leads to a queue"
            " or transfer",
            ("nodes", node_id),
            key=True,
            hint="add an option to a queue or transfer node"
            + ("" if has_global else ", or define `agent_key` in the header"),
        )
