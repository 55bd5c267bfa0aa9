"""FL201 dangling-reference: a continuation names a node that does not exist.

Why: the call would fail at that point on a live line; callers would be dropped.

Example::

    main_menu: {menu: {prompt: "...", options: {1: balanse}}}   # no node `balanse`

Fix: correct the name (the hint suggests the closest node) or add the missing node.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity, Suggester
from flowc.lint.context import LintContext
from flowc.source.document import Path

CODE = "FL201"
NAME = "dangling-reference"
SEVERITY = Severity.ERROR


def _target_paths(ctx: LintContext) -> Iterator[tuple[Path, str]]:
    h = ctx.flow.header
    if h.entry:
        yield ("entry",), h.entry
    if h.agent_key:
        yield ("agent_key", "goto"), h.agent_key.goto
    if h.escalate:
        yield ("escalate", "goto"), h.escalate.goto
    for node_id, edges in ctx.edges.items():
        for e in edges:
            if e.kind != "agent_key":  # written in the header, checked above
                yield ("nodes", node_id, *e.path), e.target


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    names = ctx.flow.nodes.keys()
    suggest: Suggester | None = None  # built once, at the first unknown target
    for path, target in _target_paths(ctx):
        if target not in names:
            suggest = suggest or Suggester(names)
            yield ctx.diag(
                CODE,
                SEVERITY,
                f"no node named `{target}`",
                path,
                hint=suggest.hint(target) or "add a node with this name",
            )
