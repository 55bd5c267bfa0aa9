"""FL6xx: binding files (`bindings/<env>.yaml`), cross-checked against the flows they bind.

The examples bind a flow `clinic` that defines a queue `front_desk`. A binding file's own
shape is checked with the FL1xx codes.
"""

from __future__ import annotations

from flowc.codes.entry import Entry
from flowc.diagnostics import Severity

ENTRIES: tuple[Entry, ...] = (
    Entry(
        "FL601",
        "unknown-flow",
        Severity.ERROR,
        "A binding file's `flows:` names a flow that is not among the flows checked with it.",
        why="calls to the numbers bound to it would find no flow to run.",
        example_form="bindings",
        example="""\
environment: prod
flows:
  clinc: {dids: ["+442070000000"]}
queues: {clinic.front_desk: front_desk@default}""",
        fix="correct the flow's name (the hint suggests the closest), or check the flow "
        "together with the binding file: `flowc check flows/ bindings/`.",
    ),
    Entry(
        "FL602",
        "unknown-resource",
        Severity.ERROR,
        "A binding file binds a queue, number, mailbox, service or flag that its flow does "
        "not define, or a key that is not `<flow>.<name>`.",
        why="a binding nothing uses is usually a misspelling of one that is needed; the "
        "needed one then stays unbound.",
        example_form="bindings",
        example="""\
environment: prod
flows:
  clinic: {dids: ["+442070000000"]}
queues: {clinic.frontdesk: front_desk@default}""",
        fix="write the key as `<flow>.<name>` with a name the flow defines (here "
        "`clinic.front_desk`).",
    ),
    Entry(
        "FL603",
        "unbound-resource",
        Severity.WARNING,
        "A queue, number or mailbox of a flow that the binding file routes calls to has no "
        "binding in that environment.",
        why="the flow would reach the resource on a live call and find nothing there: the "
        "caller is not queued, transferred or recorded.",
        example_form="bindings",
        example="""\
environment: prod
flows:
  clinic: {dids: ["+442070000000"]}""",
        fix="add the binding the hint shows, e.g. `queues: {clinic.front_desk: "
        "front_desk@default}`.",
    ),
    Entry(
        "FL604",
        "duplicate-did",
        Severity.ERROR,
        "One number (DID) is bound to two flows, or twice, in a binding file.",
        why="a number reaches exactly one flow; which one would answer is otherwise a "
        "matter of chance.",
        example_form="bindings",
        example="""\
environment: prod
flows:
  clinic: {dids: ["+442070000000", "+442070000000"]}
queues: {clinic.front_desk: front_desk@default}""",
        fix="keep the number under one flow, once.",
    ),
    Entry(
        "FL605",
        "bad-binding-value",
        Severity.ERROR,
        "A binding value that goes into FreeSWITCH's configuration has a form the switch "
        "cannot use.",
        why="the compiler writes these values into the generated XML: a mailbox must be "
        "`<domain>/<box>` (mod_voicemail looks the box up in that directory domain), each "
        "runtime instance one `host:port` (one socket action each), a DID a plain number "
        "(it becomes a dialplan expression), and hold music a file or stream name without "
        "variables (mod_callcenter expands variables for every caller).",
        example_form="bindings",
        example="""\
environment: prod
flows:
  clinic: {dids: ["+442070000000"]}
queues: {clinic.front_desk: front_desk@default}
mailboxes: {clinic.front_desk: "1000"}""",
        fix="write the mailbox as `<domain>/<box>` (on a stock switch the domain is its IP "
        "address: `fs_cli -x 'global_getvar domain'`), one `host:port` per runtime entry, "
        "digits and + * # for DIDs, and a plain file or `tone_stream://` name for hold music.",
    ),
    Entry(
        "FL606",
        "bad-rollout-rule",
        Severity.ERROR,
        "The `rollout:` rules of a binding file (when `flowc serve` promotes or rolls back a "
        "canary) have an unknown key or a value of the wrong form.",
        why="the runtime applies these rules to live calls on its own: a misspelt threshold "
        "would silently never roll a bad version back.",
        example_form="bindings",
        example="""\
environment: prod
flows:
  clinic: {dids: ["+442070000000"]}
queues: {clinic.front_desk: front_desk@default}
rollout:
  window: 10m
  rollback_if: {error_rate_above: 2%}""",
        fix="use `window`, `min_calls`, `promote_after` and `rollback_if` with "
        "`error_rate_over`, `abandon_rate_over`, `containment_drop_over` (percentages such "
        "as `2%`) and `time_to_agent_over` (a duration such as `30s`, `10m`, `1h`).",
    ),
)
