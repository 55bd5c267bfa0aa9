"""FT1xx-FT3xx: scenario files (`*.test.yaml`) read by `flowc test`.

FT1xx are problems in the file itself, FT2xx files it names, FT3xx names in a scenario that
the flow under test lacks (reported as the scenario's failure). The examples test a flow
`clinic.yaml` whose entry `welcome` plays a greeting and goes to `goodbye`.
"""

from __future__ import annotations

from flowc.codes.entry import Entry
from flowc.diagnostics import Severity

E = Severity.ERROR

ENTRIES: tuple[Entry, ...] = (
    Entry(
        "FT101",
        "scenario-unknown-key",
        E,
        "A key in a scenario file is not one scenarios define at that place.",
        what="Keys are checked at every level: the file, each scenario and `defaults`, "
        "`expect` and its `outcome`, queue and transfer answers, and a mock's `responses`.",
        why="a misspelt key (`expcet:`) would be ignored and the scenario would check less "
        "than its author thinks.",
        example_form="scenario",
        example="""\
flow: clinic.yaml
scenarios:
  - name: caller hears the greeting
    expcet: {path: [welcome, goodbye]}""",
        fix="correct the key (the hint suggests the closest, or lists the known keys).",
    ),
    Entry(
        "FT102",
        "scenario-bad-value",
        E,
        "A value in a scenario file has the wrong type or is not valid there.",
        what="Reported for text, mapping or list fields of the wrong type, an input that is "
        "not `press`/`say`/`mumble`/`silence`/`hangup`, an unknown outcome, queue outcome or "
        "transfer outcome, a bad `at` time or timezone, a mock `status` outside 100-599, "
        "flags that are not true/false, and a `max_events` that is not a positive number.",
        why="a scenario that cannot be read exactly cannot check anything.",
        example_form="scenario",
        example="""\
flow: clinic.yaml
scenarios:
  - name: caller hears the greeting
    expect: {outcome: hungup}""",
        fix="follow the hint; here the outcome is `hangup`.",
    ),
    Entry(
        "FT103",
        "scenario-missing-part",
        E,
        "A scenario file lacks `flow:` or a non-empty `scenarios:` list, or a scenario has "
        "no `name`.",
        why="without the flow there is nothing to run; without a name a failure cannot say "
        "which scenario failed.",
        example_form="scenario",
        example="""\
flow: clinic.yaml
scenarios:
  - expect: {path: [welcome, goodbye]}""",
        fix="add the missing part, e.g. `name: what this call checks`.",
    ),
    Entry(
        "FT104",
        "duplicate-scenario",
        E,
        "Two scenarios in one file have the same name.",
        why="reports, `--select` and coverage name scenarios; two with one name cannot be "
        "told apart.",
        example_form="scenario",
        example="""\
flow: clinic.yaml
scenarios:
  - name: caller hears the greeting
  - name: caller hears the greeting
    inputs: [hangup]""",
        fix="give each scenario its own name.",
    ),
    Entry(
        "FT201",
        "scenario-flow-missing",
        E,
        "The flow file a scenario file names does not exist.",
        what="The path is relative to the scenario file's folder.",
        why="there is no flow to run the scenarios against.",
        example_form="scenario",
        example="""\
flow: clnic.yaml
scenarios:
  - name: caller hears the greeting""",
        fix="correct the path (the hint suggests a sibling file with a close name).",
    ),
    Entry(
        "FT202",
        "mock-file",
        E,
        "A mock's `file:` cannot be read or does not hold JSON.",
        why="the look-up's answer would be missing, and the scenario would test something "
        "other than what it says.",
        example_form="scenario",
        example="""\
flow: clinic.yaml
scenarios:
  - name: caller hears the greeting
    mocks: {patients: {file: mocks/patient.json}}""",
        fix="correct the path (relative to the scenario file's folder) or the JSON in the file.",
    ),
    Entry(
        "FT301",
        "scenario-unknown-node",
        E,
        "A scenario names a node the flow does not have, in `expect.path`, "
        "`expect.path_exact`, `expect.not_visited` or `hangup_at`.",
        why="a misspelt node in `not_visited` would always pass, and in `path` it fails "
        "with a message about the path instead of about the name.",
        example_form="scenario",
        example="""\
flow: clinic.yaml
scenarios:
  - name: caller hears the greeting
    expect: {path: [welcom, goodbye]}""",
        fix="correct the node name (the message suggests the closest).",
    ),
    Entry(
        "FT302",
        "scenario-unknown-service",
        E,
        "A scenario mocks a service (look-up) that the flow does not define.",
        why="the mock would answer nothing, and the real look-up would run unmocked.",
        example_form="scenario",
        example="""\
flow: clinic.yaml
scenarios:
  - name: caller hears the greeting
    mocks: {patients: {name: Ann}}""",
        fix="use the name of a `services:` entry of the flow.",
    ),
    Entry(
        "FT303",
        "scenario-unknown-queue",
        E,
        "A scenario says how a queue answers, but the flow defines no queue of that name.",
        why="the queue the flow really uses would take its default answer instead.",
        example_form="scenario",
        example="""\
flow: clinic.yaml
scenarios:
  - name: caller hears the greeting
    queues: {front_desk: timeout}""",
        fix="use the name of a `queues:` entry of the flow.",
    ),
    Entry(
        "FT304",
        "scenario-unknown-variable",
        E,
        "A scenario expects a value of a variable the flow does not declare.",
        why="the expectation could never be met, and the failure would not say why.",
        example_form="scenario",
        example="""\
flow: clinic.yaml
scenarios:
  - name: caller hears the greeting
    expect: {variables: {patient_id: "123"}}""",
        fix="use the name of a variable declared under `variables:`.",
    ),
    Entry(
        "FT305",
        "scenario-unknown-question",
        E,
        "A scenario expects an answer to a survey question the flow does not ask.",
        why="the expectation could never be met, and the failure would not say why.",
        example_form="scenario",
        example="""\
flow: clinic.yaml
scenarios:
  - name: caller hears the greeting
    expect: {survey: {csat: 5}}""",
        fix="use the `id` of a question of one of the flow's `survey` nodes.",
    ),
)
