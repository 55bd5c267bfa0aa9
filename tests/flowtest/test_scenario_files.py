"""Scenario files: the format, its validation with positions, and `check_expectations` on a
neutral result (no simulator involved)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from flowc.flowtest import (
    CallerInput,
    Scenario,
    ScenarioError,
    build_scenario,
    check_expectations,
    load_scenario_file,
    parse_input,
)
from flowc.flowtest.scenario import MockResponse, QueueAnswer, TransferAnswer

FLOW = """\
flow: tiny
nodes:
  start: {hangup: null, prompt: "hello"}
"""


def write(tmp_path: Path, text: str, name: str = "tiny.test.yaml") -> Path:
    (tmp_path / "tiny.yaml").write_text(FLOW, encoding="utf-8")
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def errors(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_file(path, "t.test.yaml")
    return [
        f"{d.code} {d.span.line}:{d.span.col} {d.message} | {d.hint}"
        for d in info.value.diagnostics
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("press 1", CallerInput("press", "1")),
        ("press 1234#", CallerInput("press", "1234#")),
        ("press 12 34", CallerInput("press", "1234")),
        ('press "#"', CallerInput("press", "#")),
        ("9*", CallerInput("press", "9*")),
        (7, CallerInput("press", "7")),
        ("say 查话费", CallerInput("say", "查话费")),
        ("say lost phone", CallerInput("say", "lost phone")),
        ("silence", CallerInput("silence")),
        ("Hangup", CallerInput("hangup")),
        ("mumble", CallerInput("mumble")),
    ],
)
def test_inputs(raw: object, expected: CallerInput) -> None:
    assert parse_input(raw) == expected


@pytest.mark.parametrize("raw", ["press", "say", "pres 1", "press x", True, None, [1]])
def test_bad_inputs(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_input(raw)


def test_a_full_scenario_file(tmp_path: Path) -> None:
    (tmp_path / "mocks").mkdir()
    (tmp_path / "mocks" / "crm.json").write_text('{"tier": "gold"}', encoding="utf-8")
    p = write(
        tmp_path,
        """\
flow: tiny.yaml
description: tiny tests
defaults:
  at: 2026-10-09 10:00
  caller: +8613800000000
  mocks: {crm: {file: mocks/crm.json}}
scenarios:
  - name: one
    did: 5000
    locale: en-US
    flags: [storm]
    inputs: [press 1, "1234#", 0123, say 查话费, silence, hangup]
    mocks:
      billing: {status: 503}
      orders: {responses: [error, {ok: 1}]}
      auth: {valid: false, status: locked}
    queues: {vip: answered, tech: [timeout, {outcome: answered, agent: "8001", wait: 30s}]}
    transfers: {desk: fail, "8001": {ok: false, cause: USER_BUSY}}
    hangup_after: 2m
    expect:
      path: [start]
      heard: hello
      outcome: {hangup: NORMAL_CLEARING}
  - name: two
    skip: not today
""",
    )
    sf = load_scenario_file(p, "t.test.yaml")
    assert sf.flow == tmp_path / "tiny.yaml" and sf.description == "tiny tests"
    one, two = sf.scenarios
    assert one.name == "one" and one.line == 8 and one.file == "t.test.yaml"
    assert one.caller == "+8613800000000"  # YAML reads it as a number: the text as written
    assert one.did == "5000" and one.locale == "en-US" and one.flags == {"storm": True}
    assert one.at == datetime(2026, 10, 9, 10, 0)
    assert [str(i) for i in one.inputs] == [
        "press 1",
        "press 1234#",
        "press 0123",
        "say 查话费",
        "silence",
        "hangup",
    ]
    assert one.mocks["crm"] == [MockResponse("ok", 200, {"tier": "gold"})]
    assert one.mocks["billing"] == [MockResponse("ok", 503, None)]
    assert one.mocks["orders"] == [MockResponse("error"), MockResponse("ok", 200, {"ok": 1})]
    # a real answer that has a `status` field is a body, not an HTTP status
    assert one.mocks["auth"] == [MockResponse("ok", 200, {"valid": False, "status": "locked"})]
    assert one.queues == {
        "vip": [QueueAnswer("answered")],
        "tech": [QueueAnswer("timeout"), QueueAnswer("answered", "8001", 30_000)],
    }
    assert one.transfers == {
        "desk": [TransferAnswer(False, "NO_ANSWER")],
        "8001": [TransferAnswer(False, "USER_BUSY")],
    }
    assert one.hangup_after_ms == 120_000
    assert one.expect.heard == ["hello"] and one.expect.path == ["start"]
    where = one.where("expect", "outcome", "hangup")
    assert where is not None and where.line == 23
    assert two.skip == "not today" and two.caller == "+8613800000000"


def test_unknown_keys_have_positions_and_did_you_mean(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        """\
flow: tiny.yaml
senarios: []
scenarios:
  - name: x
    imputs: [press 1]
    expect: {outcom: queued, path: [start]}
""",
    )
    found = errors(p)
    assert "FT101 2:1 unknown key `senarios` | did you mean `scenarios`?" in found
    assert "FT101 5:5 unknown key `imputs` | did you mean `inputs`?" in found
    assert "FT101 6:14 unknown key `outcom` | did you mean `outcome`?" in found


def test_bad_values_are_reported_where_they_are(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        """\
flow: tiny.yml
scenarios:
  - name: x
    at: next tuesday
    inputs: [press 1, pres 2]
    queues: {vip: answerd}
    mocks: {crm: {file: nope.json}}
    expect: {outcome: queue}
  - name: x
""",
    )
    found = errors(p)
    assert any(
        f.startswith("FT201 1:7 no flow file `tiny.yml`") and "tiny.yaml" in f for f in found
    )
    assert any(f.startswith("FT102 4:9 cannot read the time `next tuesday`") for f in found)
    assert any(f.startswith("FT102 5:23 `pres 2` is not an input") for f in found)
    assert "FT102 6:19 `answerd` is not a queue outcome | did you mean `answered`?" in found
    assert any(f.startswith("FT202 7:25 cannot read mock file `nope.json`") for f in found)
    assert "FT102 8:23 `queue` is not an outcome | did you mean `queued`?" in found
    assert any(f.startswith("FT104 9:11 two scenarios are named `x`") for f in found)


def test_a_scenario_needs_a_name_and_the_file_needs_scenarios(tmp_path: Path) -> None:
    assert any(
        "needs a `name`" in f for f in errors(write(tmp_path, "flow: tiny.yaml\nscenarios: [{}]\n"))
    )
    assert any("non-empty list" in f for f in errors(write(tmp_path, "flow: tiny.yaml\n")))
    assert any("needs `flow:`" in f for f in errors(write(tmp_path, "scenarios: [{name: a}]\n")))


# ---------------------------------------------------------------------- expectations


RESULT: dict[str, Any] = {
    "path": ["start", "greet", "identify", "route", "vip_queue", "survey", "goodbye"],
    "heard": ["欢迎致电客服热线", "尊敬的王先生，您好", "请对本次服务进行评价", "再见"],
    "variables": {"tier": "gold", "balance": 12.5, "pin": "****", "open_ticket": True},
    "outcome": {
        "kind": "queued",
        "node": "goodbye",
        "queue": "vip",
        "priority": 10,
        "agent": "1001",
        "ended": "hangup",
        "cause": "NORMAL_CLEARING",
    },
    "survey": {"csat": 4, "nps": 9},
}


def judge(**expect: object) -> list[str]:
    sc = build_scenario({"name": "n", "expect": expect})
    return [f"{f.step}: {f.message}" for f in check_expectations(RESULT, sc)]


def test_passing_expectations() -> None:
    assert (
        judge(
            path=["start", "route", "vip_queue"],
            path_exact=RESULT["path"],
            not_visited=["main_menu"],
            heard=["欢迎", "王先生", "再见"],
            not_heard=["欠费"],
            variables={"tier": "gold", "balance": "12.50", "pin": "****", "open_ticket": "true"},
            outcome={"queue": "vip", "priority": 10, "hangup": "NORMAL_CLEARING", "agent": 1001},
            survey={"csat": 4},
        )
        == []
    )
    assert judge(outcome="queued") == []


def test_failing_expectations_name_the_step() -> None:
    assert judge(path=["start", "vip_queue", "route"]) == [
        "expect.path.2: node `route` was not entered after `vip_queue`"
    ]
    assert judge(path=["main_menu"]) == ["expect.path.0: node `main_menu` was never entered"]
    assert judge(path_exact=["start", "greet"]) == [
        "expect.path_exact: the path differs from step 3 on"
    ]
    assert judge(not_visited=["survey"]) == ["expect.not_visited.0: node `survey` was entered"]
    assert judge(heard=["再见", "欢迎"]) == [
        "expect.heard.1: the caller never heard '欢迎' in this order"
    ]
    assert judge(not_heard=["王先生"]) == ["expect.not_heard.0: the caller heard '王先生'"]
    assert judge(variables={"tier": "silver", "nope": 1}) == [
        "expect.variables.tier: `tier` is 'gold'",
        "expect.variables.nope: no variable `nope`",
    ]
    assert judge(survey={"csat": 5}) == ["expect.survey.csat: survey answer `csat` is 4"]
    said = (
        "queued at `goodbye` "
        "(queue=vip, priority=10, agent=1001, ended=hangup, cause=NORMAL_CLEARING)"
    )
    assert judge(outcome={"queue": "billing"}) == [f"expect.outcome.queue: the call ended {said}"]
    assert judge(outcome={"transfer": "desk"}) == [
        f"expect.outcome.transfer: the call was not transferred: it ended {said}"
    ]
    assert judge(outcome="caller_hangup") == [f"expect.outcome: the call ended {said}"]
    assert judge(outcome={"hangup": "CALL_REJECTED"}) == [
        f"expect.outcome.hangup: the call ended {said}"
    ]
    assert judge(outcome={"callback": True}) == ["expect.outcome.callback: no callback was booked"]


def test_failures_carry_expected_got_and_where(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        """\
flow: tiny.yaml
scenarios:
  - name: vip
    expect:
      outcome: {queue: billing}
""",
    )
    sc = load_scenario_file(p, "t.test.yaml").scenarios[0]
    (failure,) = check_expectations(RESULT, sc)
    assert failure.expected == "billing" and failure.got == "vip"
    assert failure.where is not None and (failure.where.file, failure.where.line) == (
        "t.test.yaml",
        5,
    )
    assert failure.to_json()["where"] == "t.test.yaml:5:24"


def test_check_expectations_reads_attributes_too() -> None:
    class Result:
        path = RESULT["path"]
        heard = RESULT["heard"]
        variables = RESULT["variables"]
        outcome = RESULT["outcome"]
        survey = RESULT["survey"]

    sc = Scenario(name="obj")
    sc.expect.outcome = {"queue": "vip"}
    assert check_expectations(Result(), sc) == []
