"""FL1xx: the shape of a loaded file: fields, types, required keys, one kind per node."""

from __future__ import annotations

from flowc.codes.entry import Entry
from flowc.diagnostics import Severity

E = Severity.ERROR

ENTRIES: tuple[Entry, ...] = (
    Entry(
        "FL101",
        "unknown-field",
        E,
        "A key is not one the format defines at that place (in the header, a node, a "
        "definition or a binding file).",
        what="The hint names the closest field, or lists the fields allowed there.",
        why="a misspelt optional key would otherwise be ignored and its default used: "
        "`timout: 10s` leaves the menu at its default timeout.",
        example_form="yaml",
        example="""\
flowc: 1
flow: clinic
entry: welcome
nodes:
  welcome: {play: "Welcome to the clinic.", nxt: goodbye}
  goodbye: {hangup: NORMAL_CLEARING}""",
        fix="correct the spelling (here `next`), or remove the key.",
    ),
    Entry(
        "FL102",
        "missing-field",
        E,
        "A required key is missing: a flow without `nodes`, or a node or definition "
        "without a field its kind needs.",
        why="the flow cannot be compiled without it, and no default would be right: a "
        "`collect` without `into` has nowhere to keep what the caller keyed in.",
        example_form="yaml",
        example="""\
flowc: 1
flow: clinic
entry: account
nodes:
  account: {collect: {prompt: "Enter your patient number", max: 8}, next: goodbye}
  goodbye: {hangup: NORMAL_CLEARING}""",
        fix="add the field the message names, e.g. `into: patient_id`.",
    ),
    Entry(
        "FL103",
        "bad-value",
        E,
        "A value has the wrong type or is not allowed where it is written.",
        what="Examples: `retries: three` where a number is needed, a node name with "
        "characters other than letters, digits and `_` (or starting with a digit), "
        "`schedules` or `nodes` that is not a mapping. The message names the field and what "
        "it accepts.",
        why="a value of the wrong kind cannot mean what the author intended, and guessing "
        "would make the call behave differently from the file.",
        example_form="yaml",
        example="""\
flowc: 1
flow: clinic
entry: welcome
nodes:
  welcome: {play: "Welcome to the clinic.", next: goodbye}
  goodbye: {hangup: true}""",
        fix="write a value of the kind the message asks for (here a hangup cause such as "
        "`NORMAL_CLEARING`).",
    ),
    Entry(
        "FL104",
        "node-kind",
        E,
        "A node has no kind, more than one kind, an unknown kind, or is not a mapping.",
        what="A node's kind is its one kind key (`menu`, `collect`, `play`, `queue`, ...); "
        'an unknown key close to a kind gets a "did you mean".',
        why="the kind decides what the node does; a node that is two things, or nothing, "
        "cannot be compiled.",
        example_form="yaml",
        example="""\
flowc: 1
flow: clinic
entry: welcome
nodes:
  welcome: {plya: "Welcome to the clinic.", next: goodbye}
  goodbye: {hangup: NORMAL_CLEARING}""",
        fix="start the node with exactly one kind (here `play`); split a node that does two "
        "things into two nodes.",
    ),
)
