"""FL205 unknown-definition: a node names a schedule, service, queue, mailbox, number or prompt
that the header does not define.

Why: the name is looked up while the call runs; a misspelt `queue: billng` or
`{prompt: goodbey}` fails on a live line and the caller is dropped or hears silence.

A transfer target that is a bare name must be defined under `numbers`; a `+E164` number, a
digits-only extension, a `sip:` URI or a template with `{...}` is dialled as written.
`in_hours("name")` in an expression must also name a schedule.

Example::

    queues: {billing: {skill: billing}}
    nodes:
      agent: {queue: billng}                 # no queue `billng`
      legal: {transfer: legal_desk}          # `legal_desk` is not under `numbers`

Fix: correct the name (the hint suggests the closest definition) or add the definition to
the header.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flowc.diagnostics import Diagnostic, Severity, did_you_mean
from flowc.lint.context import LintContext
from flowc.model.nodes import FetchNode, HoursNode, Node, QueueNode, TransferNode, VoicemailNode
from flowc.model.values import IDENT_RE
from flowc.source.document import Path

CODE = "FL205"
NAME = "unknown-definition"
SEVERITY = Severity.ERROR

# header section -> what one of its definitions is called
_WHAT = {"schedules": "schedule", "services": "service", "queues": "queue"}
_WHAT |= {"mailboxes": "mailbox", "numbers": "number"}


def is_logical_number(target: str) -> bool:
    """A transfer target that names an entry of `numbers` (rather than being dialled as is)."""
    return bool(IDENT_RE.match(target)) and not target.isdigit()


def named_definition(node: Node) -> tuple[str, str, str] | None:
    """(field, header section, name) of the header definition a node names, if it names one."""
    match node:
        case HoursNode():
            return "hours", "schedules", node.hours
        case FetchNode():
            return "fetch", "services", node.fetch
        case QueueNode():
            return "queue", "queues", node.queue
        case VoicemailNode():
            return "voicemail", "mailboxes", node.voicemail
        case TransferNode() if is_logical_number(node.transfer.strip()):
            return "transfer", "numbers", node.transfer.strip()
    return None


def _unknown(
    ctx: LintContext, what: str, name: str, section: str, known: Iterable[str], path: Path
) -> Diagnostic:
    known = list(known)
    hint = did_you_mean(name, known) or (
        f"defined {section}: {', '.join(sorted(known))}"
        if known
        else f"add `{section}:` with `{name}` to the header"
    )
    return ctx.diag(CODE, SEVERITY, f"no {what} named `{name}` in `{section}`", path, hint=hint)


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    defined = ctx.definitions
    for node_id, node in ctx.flow.nodes.items():
        ref = named_definition(node)
        if ref is not None:
            fname, section, name = ref
            if name not in defined[section]:
                yield _unknown(
                    ctx, _WHAT[section], name, section, defined[section], ("nodes", node_id, fname)
                )
    for path, loc, i, part in ctx.prompt_parts("ref"):
        if part.text not in defined["prompts"]:
            yield _unknown(
                ctx,
                "prompt",
                part.text,
                "prompts",
                defined["prompts"],
                ctx.part_path(path, loc, i, part),
            )
    for use in ctx.schedule_calls:
        if use.name not in defined["schedules"]:
            hint = did_you_mean(use.name, defined["schedules"])
            yield ctx.diag_at(
                CODE,
                SEVERITY,
                f"no schedule named `{use.name}` in `schedules`",
                ctx.site_span(use.site, use.start, use.end),
                hint=hint or "add the schedule under `schedules:`",
            )
