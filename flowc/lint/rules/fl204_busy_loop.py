"""FL204 busy-loop: a loop in the flow has nothing in it that waits for the caller.

Why: the call runs round the loop as fast as the server can go: it replays the same prompt
over and over, hammers a web service with retries, or burns CPU with `goto`s, until the
call is torn down. A loop is only safe when it passes a node that waits for the caller
(menu, collect, survey, record, callback or queue), or a subflow whose module does.

A loop is not reported when it counts its way out: a `switch` in the loop has a way out
whose conditions read a variable that the loop itself `set`s (a retry counter).

Example::

    lookup: {fetch: crm, next: main_menu, on_error: sorry}
    sorry: {play: "One moment please.", next: lookup}     # retries the CRM forever

Fix: count the attempts and leave the loop after a few (`set: {tries: "{tries + 1}"}` and a
`switch` on `tries`), or send the caller to a menu or an agent.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext, strongly_connected
from flowc.model.nodes import INPUT_KINDS, Node, SubflowNode

CODE = "FL204"
NAME = "busy-loop"
SEVERITY = Severity.ERROR


def _counted(ctx: LintContext, members: set[str]) -> bool:
    """A switch in the loop leaves it on a condition about a variable the loop assigns."""
    assigned: set[str] = set()
    for n in members:
        assigned |= ctx.assigned.get(n, set())
    if not assigned:
        return False
    for n in members:
        node = ctx.flow.nodes[n]
        if node.kind != "switch":
            continue
        leaves = any(t not in members for t in ctx.succ[n])
        if leaves and ctx.node_reads.get(n, set()) & assigned:
            return True
    return False


def _cycle(ctx: LintContext, members: set[str], start: str) -> list[str]:
    """The shortest loop from `start` back to itself inside `members` (for the message)."""
    parent: dict[str, str] = {}
    todo = deque([start])
    while todo:
        current = todo.popleft()
        for t in ctx.succ[current]:
            if t == start:
                path = [current]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [*reversed(path), start]
            if t in members and t not in parent:
                parent[t] = current
                todo.append(t)
    return [start, start]


def _waits(ctx: LintContext, node: Node) -> bool:
    """Whether a node (may) wait for the caller. A subflow waits when its module does, or
    when the module is not loaded here (no guessing against the author)."""
    if node.kind in INPUT_KINDS:
        return True
    if isinstance(node, SubflowNode):
        module = ctx.modules.get(node.subflow)
        return module is None or any(n.kind in INPUT_KINDS for n in module.nodes.values())
    return False


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    nodes = ctx.flow.nodes
    waiting_free = [n for n, node in nodes.items() if not _waits(ctx, node)]
    for comp in strongly_connected(waiting_free, ctx.succ, ctx.order):
        first = comp[0]
        if len(comp) == 1 and first not in ctx.succ[first]:
            continue
        members = set(comp)
        if _counted(ctx, members):
            continue
        loop = _cycle(ctx, members, first)
        shown = " -> ".join(loop) if len(loop) <= 7 else " -> ".join([*loop[:6], "..."])
        yield ctx.diag(
            CODE,
            SEVERITY,
            f"loop without caller input: {shown}; the call would spin forever",
            ("nodes", first),
            key=True,
            hint="count the attempts and leave the loop with a `switch`, or pass a menu or collect",
        )
