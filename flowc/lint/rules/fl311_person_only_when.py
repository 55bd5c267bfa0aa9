"""FL311 person-only-when: a menu offers a way to a person only under a condition.

What: the menu does not inherit the agent key (`agent_key: false`, or the flow has none) and
every option that leads to a queue or a transfer has a `when`. Callers for whom those
conditions are false have no way to a person from this menu. (An option on the agent key
itself is FL301.)

Why: call-centre practice keeps "press 0 for an agent" in every menu; personalising the
options must not take it away from the callers who are not in the audience.

Example::

    queues: {vip: {}}
    variables: {tier: string}
    nodes:
      main:
        menu:
          prompt: "Welcome."
          agent_key: false
          options:
            1: {goto: info, say: "Opening hours, press {key}."}
            9: {goto: vip_line, when: 'tier == "gold"', say: "Your private banker, {key}."}
      info: {hangup: null}
      vip_line: {queue: vip}

Fix: keep the global agent key in this menu (drop `agent_key: false`), or add an
unconditional option to a queue or transfer.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext
from flowc.model.nodes import MenuNode

CODE = "FL311"
NAME = "person-only-when"
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
        entries = menu.option_tuple
        to_person = [e for e in entries if e.goto in people]
        if not to_person or any(e.when is None for e in to_person):
            continue  # no way at all is FL302; an unconditional one is fine
        # A word to where an option goes is heard only while one of them is offered; a word
        # to a node no option goes to is heard always.
        optional = {e.goto for e in entries}
        if any(t not in optional and t in people for t in menu.speech.values()):
            continue
        conds = " or ".join(f"`{e.when}`" for e in to_person)
        yield ctx.diag(
            CODE,
            SEVERITY,
            f"menu `{node_id}` offers a person only when {conds}: other callers cannot reach"
            " one from here",
            ("nodes", node_id, "menu", *to_person[0].path, "when"),
            hint="keep the agent key in this menu, or add an unconditional option to a queue"
            " or transfer",
        )
