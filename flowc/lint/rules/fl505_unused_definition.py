"""FL505 unused-definition: a variable, prompt, schedule, service, queue, number or mailbox
is defined in the header and never used.

Why: dead definitions mislead readers ("which queue do callers end up in?"), keep
bindings, recordings and credentials alive that nobody needs, and often mean the node that
should use them names something else.

Used means: a variable read by some expression or template (or filled by a `record`
node), a prompt referenced with `{prompt: name}`, a schedule named by an `hours` node or
`in_hours("name")`, a service fetched, a queue queued to, a number transferred to, a
mailbox recorded into.

Example::

    queues: {billing: {}, sales: {}}      # no node queues to `sales`
    nodes:
      agent: {queue: billing}

Fix: delete the definition, or use it where it was meant to be used.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext
from flowc.lint.rules.fl205_unknown_definition import named_definition
from flowc.model.nodes import RecordNode

CODE = "FL505"
NAME = "unused-definition"
SEVERITY = Severity.WARNING

_WHAT = {
    "variables": "variable",
    "prompts": "prompt",
    "schedules": "schedule",
    "services": "service",
    "queues": "queue",
    "numbers": "number",
    "mailboxes": "mailbox",
}


def _used(ctx: LintContext) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {section: set() for section in _WHAT}
    used["variables"] = {name.split(".", 1)[0] for name in ctx.names_read}
    used["schedules"] = {use.name for use in ctx.schedule_calls}
    for node in ctx.flow.nodes.values():
        ref = named_definition(node)
        if ref is not None:
            used[ref[1]].add(ref[2])
        elif isinstance(node, RecordNode):
            used["variables"].add(node.record)
    used["prompts"] = {part.text for _, _, _, part in ctx.prompt_parts("ref")}
    return used


def _written(ctx: LintContext) -> set[str]:
    """Variables some node stores a value in (they are still unused if nothing reads them)."""
    out = set(ctx.input_targets)
    for assigned in ctx.assigned.values():
        out |= assigned
    return out


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    used = _used(ctx)
    written = _written(ctx)
    for section, what in _WHAT.items():
        raw = ctx.raw((section,))
        names = [str(k) for k in raw] if isinstance(raw, dict) else []
        for name in names:
            if name in ctx.definitions[section] and name not in used[section]:
                how = (
                    "is set but never read"
                    if section == "variables" and name in written
                    else "is defined but never used"
                )
                yield ctx.diag(
                    CODE,
                    SEVERITY,
                    f"{what} `{name}` {how}",
                    (section, name),
                    key=True,
                    hint="delete it, or use it where it was meant to be used",
                )
