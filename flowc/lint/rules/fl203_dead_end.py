"""FL203 dead-end: from a node the call can never end, or a node that needs a way on has none.

Why: a caller who gets there is stuck: either the flow loops among menus and plays forever
with no path to a hangup, transfer, queue or mailbox, or the node finishes (a `collect`
after the digits are in) and there is nothing to run next, so the call drops.

Endings are `hangup`, `transfer`, `queue`, `voicemail` and `return` nodes, and `record`,
`callback` and `survey` nodes without `next` (they hang up after). A trap is reported once,
at its first node in the file; nodes that can only lead into it are not reported again.

Example::

    nodes:
      main_menu: {menu: {prompt: "1 for news", options: {1: news}}}
      news: {play: "No news today.", next: main_menu}     # no way out, ever
      get_pin: {collect: {into: pin, prompt: "Your PIN"}}  # no `next`

Fix: give the loop an exit (an option to an agent, a hangup after the last message), and
give every `collect` a `next`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext
from flowc.model.nodes import TERMINAL_KINDS, CollectNode

CODE = "FL203"
NAME = "dead-end"
SEVERITY = Severity.ERROR

# Kinds that hang up by themselves when they have no `next`.
_ENDS_WITHOUT_NEXT = frozenset({"voicemail", "record", "callback", "survey"})


def _show(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(f"`{n}`" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    nodes = ctx.flow.nodes
    no_next: set[str] = set()
    for node_id, node in nodes.items():
        if isinstance(node, CollectNode) and node.next is None:
            no_next.add(node_id)
            yield ctx.diag(
                CODE,
                SEVERITY,
                f"collect `{node_id}` has no `next`: once the caller has entered the digits"
                " the call has nowhere to go",
                ("nodes", node_id),
                key=True,
                hint="add `next: <node>` to say what happens with the input",
            )

    ends: set[str] = set(no_next) | ctx.has_dangling  # reported already (here or FL201)
    for node_id, node in nodes.items():
        if node.kind in TERMINAL_KINDS or (
            node.kind in _ENDS_WITHOUT_NEXT and getattr(node, "next", None) is None
        ):
            ends.add(node_id)
    can_end = set(ends)
    todo = deque(ends)
    pred = ctx.pred
    while todo:
        for p in pred[todo.popleft()]:
            if p not in can_end:
                can_end.add(p)
                todo.append(p)
    if len(can_end) == len(nodes):
        return

    succ = ctx.succ
    for comp in ctx.components:
        first = comp[0]
        if first in can_end:
            continue
        members = set(comp)
        if any(t not in members for n in comp for t in succ[n]):
            continue  # leads into another trap: that one is reported
        if len(comp) == 1 and first not in succ[first]:
            yield ctx.diag(
                CODE,
                SEVERITY,
                f"{nodes[first].kind} `{first}` has no continuation and does not end the call",
                ("nodes", first),
                key=True,
                hint="add a continuation, or end the call with a hangup, transfer or queue",
            )
        else:
            yield ctx.diag(
                CODE,
                SEVERITY,
                f"no path from `{first}` ever ends the call: it loops through"
                f" {_show(comp)} forever",
                ("nodes", first),
                key=True,
                hint="give the loop an exit to a hangup, transfer, queue or voicemail",
            )
