"""The simulator on small flows: transcript, path, edges, outcome, virtual time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flowc.flowtest import Scenario, build_scenario, parse_input
from flowc.flowtest.scenario import MockResponse, QueueAnswer, TransferAnswer
from flowc.simulate import (
    CompiledFlow,
    SimResult,
    Simulator,
    compile_file,
    compile_text,
    simulate,
)

AT = datetime(2026, 10, 9, 10, 0)  # a Friday

MENU = """
flow: small
locale: en-US
locales: [en-US, zh-CN]
agent_key: {key: "0", goto: agent}
variables:
  balance: {type: float, default: 0}
services:
  billing: {url: "https://billing.example/{caller.number}", timeout: 2s}
queues:
  general: {skill: general}
nodes:
  menu:
    menu:
      prompt: {en-US: "For your balance press 1.", zh-CN: "查余额请按1。"}
      options: {1: lookup}
      speech: {balance: lookup}
      retries: 2
      no_input: "Sorry, I didn't hear you."
      no_match: "Sorry, that's not an option."
      on_fail: agent
  lookup:
    fetch: billing
    set: {balance: "{result.balance}"}
    next: report
    on_error: agent
    on_timeout: agent
  report:
    play: {en-US: ["Your balance is", {say: {money: "{balance}"}}, "."], zh-CN: "余额"}
    next: bye
  agent: {queue: general, priority: 3, after: survey}
  survey:
    survey: [{id: csat, ask: "Rate us from 1 to 5.", scale: "1-5"}]
    next: bye
  bye: {hangup: NORMAL_CLEARING, prompt: "Goodbye."}
"""


def flow(text: str = MENU, **kw: object) -> CompiledFlow:
    return compile_text(text, **kw)  # type: ignore[arg-type]


def scenario(**kw: object) -> Scenario:
    data: dict[str, object] = {"name": "t", "at": "2026-10-09 10:00"}
    data.update(kw)
    return build_scenario(data)


def lines(result: SimResult) -> list[tuple[str, str]]:
    return [(line.kind, line.text) for line in result.transcript]


def test_self_service_call_transcript_path_and_outcome() -> None:
    sc = scenario(inputs=["press 1"], mocks={"billing": {"balance": 12.5}})
    r = simulate(flow(), sc)
    assert lines(r) == [
        ("system", "call from +8613800000000; small answers"),
        ("prompt", "For your balance press 1."),
        ("caller", "presses 1"),
        ("route", "key 1: go to `lookup`"),
        ("system", "look-up billing: HTTP 200"),
        ("route", "billing answered 200: go to `report`"),
        ("prompt", "Your balance is [money 12.50] ."),
        ("prompt", "Goodbye."),
        ("system", "the flow hangs up (NORMAL_CLEARING)"),
        ("system", "call ended: hangup (cause=NORMAL_CLEARING)"),
    ]
    assert r.path == ["menu", "lookup", "report", "bye"]
    assert r.edges == [
        ("menu", "menu.options.1", "lookup"),
        ("lookup", "next", "report"),
        ("report", "next", "bye"),
    ]
    assert r.outcome == {"kind": "hangup", "node": "bye", "cause": "NORMAL_CLEARING"}
    assert r.heard == ["For your balance press 1.", "Your balance is [money 12.50] .", "Goodbye."]
    assert r.variables == {"balance": 12.5}
    assert r.finished and r.error is None and r.unused_inputs == []
    assert r.actions == ["press 1"]


def test_prompts_follow_the_locale() -> None:
    r = simulate(flow(), scenario(locale="zh-CN", inputs=["press 1"], mocks={"billing": {}}))
    assert r.heard[:2] == ["查余额请按1。", "余额"]
    assert r.locale == "zh-CN"
    assert {line.locale for line in r.transcript if line.kind == "prompt"} == {"zh-CN"}


def test_virtual_time_advances_with_prompts_and_waits() -> None:
    r = simulate(flow(), scenario(inputs=["silence", "silence"], queues={"general": "answered"}))
    assert r.started_at == datetime(2026, 10, 9, 10, 0, tzinfo=UTC)
    # two 5 s menu timeouts, a 20 s queue wait and a 3 min conversation at least
    assert r.duration > timedelta(seconds=5 + 5 + 20 + 180)
    times = [line.at for line in r.transcript]
    assert times == sorted(times)


def test_no_input_twice_takes_on_fail_with_escalation() -> None:
    r = simulate(flow(), scenario(inputs=["silence", "silence", "press 4"]))
    assert r.heard[:3] == [
        "For your balance press 1.",
        "Sorry, I didn't hear you. For your balance press 1.",
        "Rate us from 1 to 5.",
    ]
    assert r.path == ["menu", "agent", "survey", "bye"]
    assert ("menu", "menu.on_fail", "agent") in r.edges
    assert ("agent", "after", "survey") in r.edges
    assert r.outcome["kind"] == "queued" and r.outcome["queue"] == "general"
    assert r.outcome["priority"] == 3 and r.outcome["ended"] == "hangup"
    assert r.survey == {"csat": 4}


def test_agent_key_and_speech_edges_are_named() -> None:
    r = simulate(flow(), scenario(inputs=["press 0"], queues={"general": "no_agent"}))
    assert r.edges[0] == ("menu", "agent_key", "agent")
    assert r.outcome["kind"] == "hangup"  # no on_no_agent: the default hang-up
    r = simulate(flow(), scenario(inputs=["say balance"], mocks={"billing": {"balance": 1}}))
    assert r.edges[0] == ("menu", "menu.speech.balance", "lookup")
    assert ("caller", 'says "balance"') in lines(r)


def test_unknown_key_is_no_match() -> None:
    r = simulate(flow(), scenario(inputs=["press 7", "press 8"]))
    assert "Sorry, that's not an option. For your balance press 1." in r.heard
    assert r.path[:2] == ["menu", "agent"]


@pytest.mark.parametrize(
    ("mock", "reason"),
    [("error", "error"), ("timeout", "timeout"), ({"status": 500}, "error"), ("hang", "timeout")],
)
def test_lookup_failures_take_their_branch(mock: object, reason: str) -> None:
    r = simulate(flow(), scenario(inputs=["press 1"], mocks={"billing": mock}))
    assert r.path[:3] == ["menu", "lookup", "agent"]
    field = "on_timeout" if reason == "timeout" else "on_error"
    assert ("lookup", field, "agent") in r.edges
    if mock == "hang":
        assert any("guard timer" in s.why for s in r.trace)


def test_a_lookup_without_mock_is_a_connection_error() -> None:
    r = simulate(flow(), scenario(inputs=["press 1"]))
    said = "look-up billing: no mock given (--mock billing=...), answering as a connection error"
    assert ("system", said) in lines(r)
    assert r.path[:3] == ["menu", "lookup", "agent"]


def test_mock_responses_in_order_and_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text(json.dumps({"balance": 7}), encoding="utf-8")
    sc = build_scenario(
        {
            "name": "t",
            "inputs": ["press 1"],
            "mocks": {"billing": {"responses": ["error", {"file": "b.json"}]}},
        },
        base_dir=tmp_path,
    )
    assert sc.mocks["billing"] == [MockResponse("error"), MockResponse("ok", 200, {"balance": 7})]


def test_queue_answered_then_agent_done_resumes_at_the_survey() -> None:
    sc = scenario(
        inputs=["press 0", "press 5"],
        queues={"general": {"outcome": "answered", "agent": "7007", "wait": "45s", "talk": "2m"}},
    )
    r = simulate(flow(), sc)
    assert ("system", "agent 7007 answers after 45s") in lines(r)
    assert ("caller", "talks with the agent (2m)") in lines(r)
    assert r.outcome["agent"] == "7007" and r.survey == {"csat": 5}


def test_caller_hangs_up_at_an_input_and_at_a_node() -> None:
    r = simulate(flow(), scenario(inputs=["hangup"]))
    assert r.outcome == {
        "kind": "caller_hangup",
        "node": "menu",
        "cause": "NORMAL_CLEARING",
        "state": "collecting",
    }
    r = simulate(flow(), scenario(inputs=["press 1"], hangup_at="report", mocks={"billing": {}}))
    assert r.outcome["kind"] == "caller_hangup" and r.outcome["node"] == "report"
    assert r.path[-1] == "report"
    r = simulate(flow(), scenario(hangup_after="2s"))
    assert r.outcome["kind"] == "caller_hangup"
    assert r.duration == timedelta(seconds=2)


def test_inputs_run_out_means_silence_and_unused_inputs_are_reported() -> None:
    r = simulate(flow(), scenario(inputs=[]))
    assert r.actions[:2] == ["silence", "silence"]
    r = simulate(flow(), scenario(inputs=["press 1", "press 1", "press 1"], mocks={"billing": {}}))
    assert [str(i) for i in r.unused_inputs] == ["press 1", "press 1"]


LOOP = """
flow: loop
nodes:
  a: {play: "tick", next: b}
  b: {play: "tock", next: a}
"""


def test_runaway_guard_stops_a_call_that_never_ends() -> None:
    r = simulate(flow(LOOP, lint=False), scenario(max_events=50))
    assert not r.finished
    assert r.events == 50
    assert r.error is not None and "runaway guard" in r.error
    assert r.transcript[-1].kind == "error"


COLLECT = """
flow: pins
variables:
  pin: {type: string, sensitive: true}
nodes:
  ask:
    collect:
      into: pin
      prompt: "Enter your PIN, then hash."
      min: 4
      max: 4
      pattern: "^[0-9]{4}$"
      retries: 3
      no_match: "That is not a PIN."
      sensitive: true
      on_fail: fail
    next: ok
  ok: {hangup: NORMAL_CLEARING, prompt: "Thank you."}
  fail: {hangup: CALL_REJECTED}
"""


def test_collect_tries_invalid_prompt_and_sensitive_masking() -> None:
    r = simulate(flow(COLLECT), scenario(inputs=["press 12#", "press 4321#"]))
    assert r.path == ["ask", "ok"]
    # The retry prompt leads the re-prompt, in one play_and_get_digits try.
    assert r.heard == [
        "Enter your PIN, then hash.",
        "That is not a PIN. Enter your PIN, then hash.",
        "Thank you.",
    ]
    assert r.variables == {"pin": "****"}
    text = json.dumps(r.to_json(), ensure_ascii=False)
    assert "4321" not in text and "12#" not in text
    assert ("caller", "presses ****#") in lines(r)


def test_collect_fails_after_its_tries() -> None:
    r = simulate(flow(COLLECT), scenario(inputs=["press 1#", "silence", "press 99#"]))
    assert r.path == ["ask", "fail"]
    assert r.outcome == {"kind": "hangup", "node": "fail", "cause": "CALL_REJECTED"}
    assert ("ask", "collect.on_fail", "fail") in r.edges


def test_speech_on_a_keys_only_collect_is_silence() -> None:
    r = simulate(flow(COLLECT), scenario(inputs=["say one two three four"]))
    assert r.actions[0] == "say one two three four"
    assert r.path == ["ask", "fail"]


HOURS = """
flow: hrs
schedules:
  open:
    timezone: Asia/Shanghai
    weekly: {mon-fri: "09:00-18:00"}
    holidays: {calendar: CN}
    emergency: storm
nodes:
  start: {hours: open, open: opened, closed: shut, holiday: hol, emergency: emg}
  opened: {hangup: null, prompt: "open"}
  shut: {hangup: null, prompt: "closed"}
  hol: {hangup: null, prompt: "holiday"}
  emg: {hangup: null, prompt: "emergency"}
"""


@pytest.mark.parametrize(
    ("at", "flags", "heard"),
    [
        ("2026-10-09 10:00", [], "open"),  # naive: read in Asia/Shanghai
        ("2026-10-09 19:00", [], "closed"),
        ("2026-10-01 10:00", [], "holiday"),
        ("2026-10-09 10:00", ["storm"], "emergency"),
        ("2026-10-09T02:00:00+00:00", [], "open"),  # 10:00 in Shanghai
        ("2026-10-09T12:00:00+00:00", [], "closed"),  # 20:00 in Shanghai
    ],
)
def test_start_time_is_read_in_the_schedules_timezone(
    at: str, flags: list[str], heard: str
) -> None:
    r = simulate(flow(HOURS), scenario(at=at, flags=flags))
    assert r.heard == [heard]
    assert str(r.started_at.tzinfo) == "Asia/Shanghai"


def test_without_schedules_a_naive_time_is_utc() -> None:
    r = simulate(flow(LOOP, lint=False), scenario(max_events=3))
    assert r.started_at.tzinfo is not None and r.started_at.utcoffset() == timedelta(0)


TRANSFER = """
flow: xfer
numbers:
  desk: "sip:desk@example.invalid"
nodes:
  go: {transfer: desk, mode: warm, on_fail: sorry}
  sorry: {hangup: NORMAL_CLEARING, prompt: "Nobody answered."}
"""


def test_transfer_outcomes_by_logical_number_or_target() -> None:
    r = simulate(flow(TRANSFER), scenario())
    assert r.outcome["kind"] == "transferred"
    assert r.outcome["target"] == "sip:desk@example.invalid" and r.outcome["number"] == "desk"
    r = simulate(flow(TRANSFER), scenario(transfers={"desk": "fail"}))
    assert r.path == ["go", "sorry"] and r.heard == ["Nobody answered."]
    sc = scenario()
    sc.transfers = {"sip:desk@example.invalid": [TransferAnswer(False, "USER_BUSY")]}
    r = simulate(flow(TRANSFER), sc)
    assert ("system", "the transfer failed (USER_BUSY)") in lines(r)


MODULE = """
flow: check
params: {limit: int}
returns: {ok: bool}
nodes:
  ask:
    collect: {into: code, prompt: "Code?", min: 2, max: 2, terminator: null, on_fail: bad}
    next: good
  good: {return: {ok: "{true}"}}
  bad: {return: {ok: "{false}"}}
"""

MAIN = """
flow: main
variables: {ok: {type: bool, default: false}}
nodes:
  start:
    subflow: mod.yaml
    with: {limit: "{2}"}
    set: {ok: "{result.ok}"}
    next: after
  after:
    switch: [{if: ok, goto: passed}]
    default: failed
  passed: {hangup: null, prompt: "verified"}
  failed: {hangup: null, prompt: "not verified"}
"""


def test_subflow_path_and_call_return_edges() -> None:
    f = flow(
        MAIN, modules={"mod.yaml": MODULE.replace("collect: {into: code", "collect: {into: x")}
    )
    r = simulate(f, scenario(inputs=["press 42"]))
    assert r.path == ["start", "check.ask", "check.good", "after", "passed"]
    assert r.edges == [
        ("start", "subflow", "check.ask"),
        ("check.ask", "next", "check.good"),
        ("check.good", "return", "after"),
        ("start", "next", "after"),
        ("after", "switch[0]", "passed"),
    ]
    assert r.variables == {"ok": True}
    assert {e.src for e in f.edges.edges} >= {"check.ask", "check.bad", "start"}


def test_step_by_step_interleaving_gives_the_same_calls() -> None:
    f = flow()
    sims = [
        Simulator(f, scenario(inputs=["press 1"], mocks={"billing": {"balance": i}}))
        for i in range(5)
    ]
    for s in sims:
        s.start()
    active = list(sims)
    while active:
        active = [s for s in active if s.step()]
    for i, s in enumerate(sims):
        alone = simulate(f, scenario(inputs=["press 1"], mocks={"billing": {"balance": i}}))
        assert s.result().heard == alone.heard
        assert s.result().outcome == alone.outcome


def test_a_scenario_object_built_in_code() -> None:
    sc = Scenario(
        name="code",
        at=AT,
        inputs=[parse_input("press 0")],
        queues={"general": [QueueAnswer("timeout")]},
    )
    r = simulate(flow(), sc)
    assert r.outcome["kind"] == "hangup"
    assert r.scenario == "code"


def test_compile_file_with_a_subflow_module() -> None:
    f = compile_file(Path("examples/bank.yaml"))
    assert f.name == "bank" and "modules/verify_pin.yaml" in f.module_irs
    assert f.timezone == "Asia/Shanghai"
    assert "verify_pin.ask_pin" in f.edges.nodes


def test_on_line_sees_every_line_as_it_happens() -> None:
    seen: list[str] = []
    r = Simulator(
        flow(),
        scenario(inputs=["press 1"], mocks={"billing": {}}),
        on_line=lambda line: seen.append(line.text),
    ).run()
    assert seen == [line.text for line in r.transcript]
