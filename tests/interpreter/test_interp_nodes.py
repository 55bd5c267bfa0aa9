"""One test group per node kind (menu and collect have their own files)."""

from __future__ import annotations

from typing import Any

import pytest

from flowc.interpreter import CallInfo
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from tests.interpreter.flowkit import Driver, kinds, only, program


def journal(out: list[cmd.Command], kind: type[cmd.Journal]) -> list[dict[str, Any]]:
    """The JSON data of each journal record of class `kind` (the form fixtures hold)."""
    return [c.to_json()["data"] for c in out if isinstance(c, kind)]


# ---------------------------------------------------------------------- switch

SWITCH = """
flow: s
variables: {tier: {type: string, default: ""}, n: {type: int, default: 0}}
nodes:
  route:
    switch:
      - {if: 'n / 0 > 1', goto: never}
      - {if: 'tier == "gold"', goto: gold}
      - {if: 'caller.number startswith "+8610"', goto: beijing}
    default: other
  never: {hangup: null}
  gold: {hangup: null}
  beijing: {hangup: null}
  other: {hangup: null}
"""


def test_switch_first_true_rule_wins_and_eval_errors_count_as_false() -> None:
    d = Driver(program(SWITCH), CallInfo("+8610555"))
    d.answer()
    assert d.call.node == "beijing"
    notes = [t for t in d.call.trace if t.kind == "note"]
    assert "counted as false" in notes[0].why
    decisions = [t for t in d.call.trace if t.kind == "decision"]
    assert decisions[0].detail["rule"] == 3


def test_switch_default() -> None:
    d = Driver(program(SWITCH), CallInfo("+8621555"))
    d.answer()
    assert d.call.node == "other"


# ---------------------------------------------------------------------- hours

HOURS = """
flow: h
schedules:
  care:
    timezone: Asia/Shanghai
    weekly: {mon-fri: "08:00-20:00"}
    holidays: {closed: ["2026-10-01"]}
    emergency: storm
nodes:
  start: {hours: care, open: open, closed: closed, holiday: holiday}
  open: {hangup: null}
  closed: {hangup: null}
  holiday: {hangup: null}
"""


@pytest.mark.parametrize(
    ("start", "flags", "node"),
    [
        ("2026-03-02T10:00:00+08:00", {}, "open"),
        ("2026-03-02T21:00:00+08:00", {}, "closed"),
        ("2026-03-02T02:00:00+00:00", {}, "open"),  # 10:00 in Shanghai
        ("2026-10-01T10:00:00+08:00", {}, "holiday"),
        ("2026-03-02T10:00:00+08:00", {"storm": True}, "closed"),  # emergency -> closed
    ],
)
def test_hours_branches_on_the_injected_time(start: str, flags: dict[str, bool], node: str) -> None:
    d = Driver(program(HOURS), start=start, flags=flags)
    d.start()
    d.send(ev.Answered, after=0)
    assert d.call.node == node
    decision = next(t for t in d.call.trace if t.kind == "decision")
    assert decision.detail["rule"]  # the schedule's own sentence


# ---------------------------------------------------------------------- fetch

FETCH = """
flow: f
variables: {tier: string}
services:
  crm:
    url: "${CRM_URL}/customers?ani={caller.number}"
    headers: {Authorization: "Bearer ${CRM_TOKEN}", X-Call: "{call.id}"}
    timeout: 1500ms
    retries: 1
nodes:
  look:
    fetch: crm
    params: {view: "full"}
    set: {tier: "{result.customer.tier}"}
    next: ok
    on_error: error
    on_timeout: timeout
  ok: {hangup: null}
  error: {hangup: null}
  timeout: {hangup: null}
"""


def _fetch(flow: str = FETCH) -> tuple[Driver, cmd.Fetch, cmd.StartTimer]:
    d = Driver(program(flow), CallInfo("+86 10", call_id="abc"))
    out = d.answer()
    return d, only(out, cmd.Fetch), only(out, cmd.StartTimer)


def test_fetch_renders_the_request_and_guards_it_with_a_timer() -> None:
    d, f, t = _fetch()
    assert f.request_id == "r1" and f.service == "crm" and f.method == "GET"
    assert f.url == "${CRM_URL}/customers?ani=%2B86%2010&view=full"
    assert f.headers == (("Authorization", "Bearer ${CRM_TOKEN}"), ("X-Call", "abc"))
    assert (f.timeout_ms, f.retries, f.body) == (1500, 1, None)
    assert t == cmd.StartTimer("t2", 1500 * 2 + 1000)
    assert d.call.state == "fetching"


def test_fetch_2xx_sets_result_and_goes_next() -> None:
    d, f, t = _fetch()
    body = {"customer": {"tier": "gold"}}
    out = d.send(ev.FetchResult, request_id=f.request_id, status=200, body=body)
    assert out[0] == cmd.CancelTimer(t.timer_id)
    assert only(out, cmd.SetVariable) == cmd.SetVariable("tier", "gold")
    assert d.call.node == "ok"


@pytest.mark.parametrize(
    ("event", "fields", "node"),
    [
        (ev.FetchResult, {"status": 500, "body": None}, "error"),
        (ev.FetchFailed, {"reason": "error", "detail": "refused"}, "error"),
        (ev.FetchFailed, {"reason": "timeout"}, "timeout"),
    ],
)
def test_fetch_failures(event: type[ev.Event], fields: dict[str, Any], node: str) -> None:
    d, f, _ = _fetch()
    d.send(event, request_id=f.request_id, **fields)
    assert d.call.node == node


def test_fetch_guard_timer_counts_as_a_timeout() -> None:
    d, f, t = _fetch()
    out = d.send(ev.TimerFired, timer_id=t.timer_id)
    assert not any(isinstance(c, cmd.CancelTimer) for c in out)
    assert d.call.node == "timeout"
    # the late answer is stale now
    assert d.send(ev.FetchResult, request_id=f.request_id, status=200) == []


def test_fetch_branch_defaults() -> None:
    only_timeout = FETCH.replace("    on_error: error\n", "")
    d, f, _ = _fetch(only_timeout)
    d.send(ev.FetchResult, request_id=f.request_id, status=404)
    assert d.call.node == "timeout"  # on_error defaults to on_timeout
    only_error = FETCH.replace("    on_timeout: timeout\n", "")
    d, f, _ = _fetch(only_error)
    d.send(ev.FetchFailed, request_id=f.request_id, reason="timeout")
    assert d.call.node == "error"
    neither = only_error.replace("    on_error: error\n", "")
    d, f, _ = _fetch(neither)
    out = d.send(ev.FetchFailed, request_id=f.request_id, reason="error")
    assert kinds(out) == ["cancel_timer", "hangup", "end"]


def test_fetch_stale_ids_are_ignored() -> None:
    d, _, _ = _fetch()
    assert d.send(ev.FetchResult, request_id="r99", status=200) == []
    assert d.send(ev.TimerFired, timer_id="t99") == []
    assert [t.kind for t in d.call.trace[-2:]] == ["ignored", "ignored"]
    assert d.call.state == "fetching"


def test_fetch_post_body_and_sensitive_request_masking() -> None:
    flow = (
        FETCH.replace("fetch: crm", "fetch: verify")
        .replace(
            "variables: {tier: string}",
            "variables: {tier: string, pin: {type: string, sensitive: true}}",
        )
        .replace("nodes:", "verify_service\nnodes:")
        .replace(
            "verify_service",
            '  verify: {url: "${CRM_URL}/verify", method: POST, body: {pin: "{pin}"}}',
        )
        .replace("  look:", '  pre:\n    set: {pin: "1234"}\n    next: look\n  look:')
    )
    d = Driver(program(flow, lint=False))
    out = d.answer()
    f = only(out, cmd.Fetch)
    assert f.method == "POST" and f.body == {"pin": "1234", "view": "full"}
    assert f.sensitive
    assert "1234" not in repr(f) and "1234" not in str(f.to_json())


# ---------------------------------------------------------------------- set, goto, play

SET = """
flow: v
locales: [en-US, zh-CN]
variables:
  n: {type: int, default: 1}
  f: float
  label: string
nodes:
  a:
    set: {n: "{n + 1}", f: "{n * 2}", label: "n is {n}", call.locale: zh-CN}
    next: b
  b: {goto: c}
  c:
    play:
      en-US: ["Hi", {say: {number: "{n}"}}]
      zh-CN: ["你好", {say: {number: "{n}"}}, {audio: "x.wav"}]
    next: d
  d: {hangup: null}
"""


def test_set_goto_play() -> None:
    d = Driver(program(SET, lint=False))
    out = d.answer()
    assert d.call.variables == {"n": 2, "f": 4.0, "label": "n is 2"}
    play = only(out, cmd.Play)
    assert play.locale == "zh-CN"
    assert [i.to_json() for i in play.items] == [
        {"tts": "你好"},
        {"say": "number", "value": "2"},
        {"audio": "x.wav"},
    ]
    assert d.call.state == "playing"
    assert kinds(d.send(ev.PromptDone)) == ["hangup", "end"]


def test_play_waits_for_prompt_done_and_ignores_digits() -> None:
    d = Driver(program(SET, lint=False))
    d.answer()
    assert d.send(ev.Digits, digits="1") == []
    assert d.call.trace[-1].kind == "ignored"
    assert not d.call.finished


def test_bad_template_value_renders_empty_and_is_noted() -> None:
    flow = SET.replace('label: "n is {n}"', 'label: "x{n / 0}y"')
    d = Driver(program(flow, lint=False))
    d.answer()
    assert d.call.variables["label"] is None
    assert any("could not be evaluated" in t.why for t in d.call.trace)


# ---------------------------------------------------------------------- queue

QUEUE = """
flow: q
variables: {tier: {type: string, default: gold}}
queues: {billing: {}}
nodes:
  q:
    queue: billing
    priority: "{5 if tier == 'gold' else 1}"
    announce: wait_time
    max_wait: 10m
    exit_key: "*"
    on_timeout: t
    on_no_agent: n
    on_exit: x
    after: survey
  t: {hangup: null}
  n: {hangup: null}
  x: {hangup: null}
  survey: {hangup: null, prompt: "bye"}
"""


def test_queue_enqueue_and_branches() -> None:
    d = Driver(program(QUEUE))
    e = only(d.answer(), cmd.Enqueue)
    assert e == cmd.Enqueue("billing", 5, "wait_time", 600_000, "*", "survey", 60_000)
    for outcome, node in [("timeout", "t"), ("no_agent", "n"), ("exit_key", "x")]:
        d = Driver(program(QUEUE))
        d.answer()
        out = d.send(ev.QueueResult, outcome=outcome)
        assert journal(out, cmd.QueueDone)[0]["outcome"] == outcome
        assert d.call.node == node


def test_queue_answered_then_agent_done_resumes_at_after() -> None:
    d = Driver(program(QUEUE))
    d.answer()
    out = d.send(ev.QueueResult, outcome="answered", agent="1001")
    assert kinds(out) == []
    assert d.call.state == "with_agent"
    assert d.send(ev.PromptDone) == []  # not expected now
    out = d.send(ev.AgentDone)
    assert only(out, cmd.Play).items[0].text == "bye"
    d.send(ev.PromptDone)
    o = d.call.outcome
    assert o is not None and o.kind == "queued"
    assert o.detail["queue"] == "billing" and o.detail["agent"] == "1001"
    assert o.detail["ended"] == "hangup"


def test_queue_answered_without_after_ends_without_hanging_up() -> None:
    flow = QUEUE.replace("    after: survey\n", "")
    d = Driver(program(flow, lint=False))
    d.answer()
    out = d.send(ev.QueueResult, outcome="answered", agent="a")
    assert kinds(out) == ["end"]
    assert d.call.outcome is not None and d.call.outcome.kind == "queued"
    assert d.call.outcome.detail == {"queue": "billing", "priority": 5, "agent": "a"}


def test_queue_caller_hangup_with_agent_stays_queued() -> None:
    d = Driver(program(QUEUE))
    d.answer()
    d.send(ev.QueueResult, outcome="answered")
    d.send(ev.Hangup)
    assert d.call.outcome is not None and d.call.outcome.kind == "queued"
    assert d.call.outcome.detail["ended"] == "caller_hangup"


def test_queue_bad_priority_is_zero_with_a_note() -> None:
    flow = QUEUE.replace("\"{5 if tier == 'gold' else 1}\"", '"{tier}"')
    d = Driver(program(flow, lint=False))
    assert only(d.answer(), cmd.Enqueue).priority == 0
    assert any("not a whole number" in t.why for t in d.call.trace)


def test_queue_default_branches_hang_up() -> None:
    flow = "\n".join(line for line in QUEUE.splitlines() if not line.startswith("    on_"))
    d = Driver(program(flow, lint=False))
    d.answer()
    assert kinds(d.send(ev.QueueResult, outcome="no_agent")) == ["hangup", "end"]


# ---------------------------------------------------------------------- transfer

TRANSFER = """
flow: t
numbers: {legal: "sip:legal@example.invalid"}
nodes:
  a: {transfer: legal, mode: warm, prompt: "Connecting you.", on_fail: b}
  b: {transfer: "+8610{caller.number}", on_fail: c}
  c: {hangup: null}
"""


def test_transfer_logical_number_and_template_targets() -> None:
    d = Driver(program(TRANSFER), CallInfo("123"))
    out = d.answer()
    assert only(out, cmd.Play).items[0].text == "Connecting you."
    t = only(d.send(ev.PromptDone), cmd.Transfer)
    assert t == cmd.Transfer("sip:legal@example.invalid", "warm", "legal")
    t2 = only(d.send(ev.TransferResult, ok=False, cause="USER_BUSY"), cmd.Transfer)
    assert t2 == cmd.Transfer("+8610123", "blind", None)
    out = d.send(ev.TransferResult, ok=True)
    assert kinds(out) == ["end"]
    o = d.call.outcome
    assert o is not None and o.kind == "transferred" and o.detail["target"] == "+8610123"


def test_transfer_failure_without_on_fail_hangs_up() -> None:
    d = Driver(program("flow: t\nnodes:\n  a: {transfer: '1000'}\n"))
    assert only(d.answer(), cmd.Transfer) == cmd.Transfer("1000", "blind")
    out = d.send(ev.TransferResult, ok=False, cause="NO_ROUTE_DESTINATION")
    assert kinds(out) == ["hangup", "end"]
    o = d.call.outcome
    assert o is not None and o.kind == "hangup"
    assert o.detail["reason"] == "a failed transfer (NO_ROUTE_DESTINATION)"


# ---------------------------------------------------------------------- voicemail, record

VM = """
flow: vm
mailboxes: {general: {}}
variables: {memo: string}
nodes:
  rec: {record: memo, prompt: "Say your name", max_length: 5s, beep: false, next: vm}
  vm: {voicemail: general, prompt: "Leave a message", max_length: 90s}
"""


def test_record_then_voicemail() -> None:
    d = Driver(program(VM))
    d.answer()
    out = d.send(ev.PromptDone)
    assert only(out, cmd.Record) == cmd.Record("memo", 5000, False)
    out = d.send(ev.RecordDone, path="/rec/1.wav", duration_ms=1200)
    assert only(out, cmd.SetVariable) == cmd.SetVariable("memo", "/rec/1.wav")
    out = d.send(ev.PromptDone)
    assert only(out, cmd.Voicemail) == cmd.Voicemail("general", 90_000)
    out = d.send(ev.RecordDone, path="/vm/2.wav", duration_ms=30_000)
    assert journal(out, cmd.VoicemailLeft) == [
        {"node": "vm", "mailbox": "general", "path": "/vm/2.wav", "duration_ms": 30_000}
    ]
    assert kinds(out) == ["hangup", "end"]
    o = d.call.outcome
    assert o is not None and o.kind == "voicemail" and o.detail["ended"] == "completed"


# ---------------------------------------------------------------------- callback

CALLBACK = """
flow: cb
nodes:
  cb:
    callback:
      prompt: "We will call you back."
      confirm:
        - "We'll call"
        - {say: {digits: "{caller.number}"}}
        - ". Press 1 to confirm or 2 to change."
    next: bye
  bye: {hangup: null}
"""


def test_callback_confirmed() -> None:
    d = Driver(program(CALLBACK), CallInfo("13800"))
    d.answer()
    c = only(d.send(ev.PromptDone), cmd.Collect)
    assert c.prompt[1].to_json() == {"say": "digits", "value": "13800"}
    out = d.send(ev.Digits, digits="1")
    [booked] = journal(out, cmd.CallbackBooked)
    assert booked["number"] == "13800" and booked["confirmed"] is True
    assert booked["requested_at"] == "2026-03-02T10:00:03+08:00"
    assert d.call.node == "bye"


def test_callback_other_number() -> None:
    d = Driver(program(CALLBACK), CallInfo("13800"))
    d.answer()
    d.send(ev.PromptDone)
    c = only(d.send(ev.Digits, digits="2"), cmd.Collect)
    assert (c.min, c.max, c.terminators) == (3, 20, "#")
    assert c.prompt[0].text.startswith("Please enter the number")
    out = d.send(ev.Digits, digits="02150000000", terminator="#")
    assert journal(out, cmd.CallbackBooked)[0]["number"] == "02150000000"


def test_callback_unanswered_confirmation_books_the_first_number_unconfirmed() -> None:
    d = Driver(program(CALLBACK), CallInfo("13800"))
    d.answer()
    d.send(ev.PromptDone)
    out = d.send(ev.Digits, digits="", result="timeout")
    assert journal(out, cmd.CallbackBooked)[0]["confirmed"] is False


# ---------------------------------------------------------------------- survey

SURVEY = """
flow: sv
nodes:
  s:
    survey:
      - {id: csat, ask: "Rate 1 to 5", scale: "1-5"}
      - {id: nps, ask: "0 to 10", scale: "0-10", retries: 3}
      - {id: again, ask: "1 yes 2 no", scale: yes_no}
    thanks: "Thanks!"
"""


def test_survey_questions_answers_and_journal() -> None:
    d = Driver(program(SURVEY))
    c = only(d.answer(), cmd.Collect)
    assert (c.min, c.max, c.tries, c.regex, c.terminators) == (1, 1, 2, "^[1-5]$", "")
    out = d.send(ev.Digits, digits="4")
    assert journal(out, cmd.SurveyAnswered) == [
        {"node": "s", "question": "csat", "scale": "1-5", "answer": 4}
    ]
    c = only(out, cmd.Collect)
    assert (c.max, c.tries, c.terminators, c.regex) == (2, 3, "#", "^(?:10|[0-9])$")
    d.send(ev.Digits, digits="10")
    out = d.send(ev.Digits, digits="2")
    assert only(out, cmd.Play).items[0].text == "Thanks!"
    assert kinds(d.send(ev.PromptDone)) == ["hangup", "end"]
    o = d.call.outcome
    assert o is not None and o.kind == "completed"
    assert o.survey == {"csat": 4, "nps": 10, "again": False}


def test_survey_skipped_and_invalid_answers_are_null() -> None:
    d = Driver(program(SURVEY))
    d.answer()
    d.send(ev.Digits, digits="", result="timeout")
    d.send(ev.Digits, digits="11")  # switch should have refused it: not trusted
    d.send(ev.Digits, digits="1")
    assert d.call.survey == {"csat": None, "nps": None, "again": True}


def test_survey_answers_are_visible_to_expressions() -> None:
    flow = SURVEY.replace(
        '    thanks: "Thanks!"',
        '    thanks: "Thanks!"\n    next: r\n  r:\n    switch:\n'
        "      - {if: 'survey.csat <= 2', goto: low}\n    default: high\n"
        "  low: {hangup: null}\n  high: {hangup: null}",
    )
    d = Driver(program(flow))
    d.answer()
    for key in ("1", "5", "1"):
        d.send(ev.Digits, digits=key)
    d.send(ev.PromptDone)
    assert d.call.node == "low"


# ---------------------------------------------------------------------- subflow / return

MODULE = """
flow: verify
params: {account: string}
returns: {ok: bool, masked: string}
variables: {pin: {type: string, sensitive: true}}
nodes:
  ask:
    collect: {into: pin, prompt: "PIN for {account}", min: 4, max: 4, sensitive: true, on_fail: bad}
    next: good
  good: {return: {ok: "{true}", masked: "{account}"}}
  bad: {return: {ok: "{false}", masked: ""}}
"""

MAIN = """
flow: main
variables: {verified: {type: bool, default: false}, acct: {type: string, default: "A1"}}
nodes:
  call_it:
    subflow: modules/verify.yaml
    with: {account: "{acct}"}
    set: {verified: "{result.ok}"}
    next: route
  route:
    switch:
      - {if: verified, goto: accepted}
    default: refused
  accepted: {hangup: null}
  refused: {hangup: null}
"""


def test_subflow_runs_the_module_with_params_and_returns_values() -> None:
    d = Driver(program(MAIN, {"modules/verify.yaml": MODULE}))
    out = d.answer()
    assert only(out, cmd.Collect).prompt[0].text == "PIN for A1"
    assert d.call.depth == 1
    assert not any(isinstance(c, cmd.SetVariable) for c in out)
    out = d.send(ev.Digits, digits="1234")
    assert not any(isinstance(c, cmd.SetVariable) and c.name == "pin" for c in out)
    assert only(out, cmd.SetVariable) == cmd.SetVariable("verified", True)
    assert d.call.node == "accepted" and d.call.depth == 0
    assert "1234" not in repr([t.to_json() for t in d.call.trace])


def test_subflow_recursion_is_bounded() -> None:
    module = """
flow: loop
nodes:
  again: {subflow: loop.yaml, next: out}
  out: {return: {}}
"""
    main = """
flow: main
nodes:
  a: {subflow: loop.yaml, next: b}
  b: {hangup: null}
"""
    d = Driver(program(main, {"loop.yaml": module}, lint=False))
    out = d.answer()
    assert kinds(out) == ["hangup", "end"]
    o = d.call.outcome
    assert o is not None and o.kind == "error" and o.detail["reason"] == "depth"


def test_return_from_the_main_flow_completes_the_call() -> None:
    flow = "flow: r\nnodes:\n  a: {return: {x: '{1}'}}\n"
    d = Driver(program(flow, lint=False))
    assert kinds(d.answer()) == ["hangup", "end"]
    assert d.call.outcome is not None and d.call.outcome.kind == "completed"


# ---------------------------------------------------------------------- hangup


def test_hangup_node_plays_then_hangs_up_with_its_cause() -> None:
    flow = 'flow: h\nnodes:\n  a: {hangup: USER_BUSY, prompt: "Busy."}\n'
    d = Driver(program(flow))
    out = d.answer()
    assert kinds(out) == ["play"]
    out = d.send(ev.PromptDone)
    assert out[0] == cmd.Hangup("USER_BUSY")
    assert isinstance(out[-1], cmd.End)
    o = d.call.outcome
    assert o is not None and o.kind == "hangup" and o.detail == {"cause": "USER_BUSY"}
    assert d.send(ev.PromptDone) == []
