"""The typed journal records: what `NodeEntered` says about why a node was entered, and the
JSON form every record keeps (the one fixtures and logs were written with)."""

from __future__ import annotations

from datetime import UTC, datetime

from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from tests.interpreter.flowkit import Driver, program

FLOW = """
flow: j
queues: {general: {}}
nodes:
  main:
    menu:
      prompt: "Press 1 for the queue."
      options: {1: q}
      retries: 1
      timeout: 2s
      on_fail: bye
  q: {queue: general, after: thanks}
  thanks: {play: "Thanks.", next: bye}
  bye: {hangup: null}
"""


def entered(out: list[cmd.Command]) -> list[cmd.NodeEntered]:
    return [c for c in out if isinstance(c, cmd.NodeEntered)]


def test_node_entered_says_why_the_call_came_there() -> None:
    d = Driver(program(FLOW))
    d.start()
    [first] = entered(d.send(ev.Answered))
    assert (first.node, first.node_kind, first.flow, first.why) == ("main", "menu", "j", "start")
    assert first.at == d.now
    [queue] = entered(d.send(ev.Digits, digits="1"))
    assert queue.node == "q" and queue.why.startswith("key 1")
    assert entered(d.send(ev.QueueResult, outcome="answered", agent="1001")) == []
    [thanks] = entered(d.send(ev.AgentDone))
    assert (thanks.node, thanks.why) == ("thanks", cmd.RESUMED)
    [bye] = entered(d.send(ev.PromptDone))
    assert (bye.node, bye.why) == ("bye", "next")


def test_a_call_started_at_a_node_is_resumed() -> None:
    d = Driver(program(FLOW))
    d.call.start(d.now, at_node="thanks")
    [thanks] = entered(d.send(ev.Answered))
    assert (thanks.node, thanks.why) == ("thanks", cmd.RESUMED)


def test_records_keep_the_json_form_of_their_kind() -> None:
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    forms = [
        (
            cmd.NodeEntered("f", "n", "menu", at, "start"),
            {"flow": "f", "node": "n", "kind": "menu"},
        ),
        (
            cmd.MenuFailed("n", 3, 2, 1, None),
            {"node": "n", "failures": 3, "no_input": 2, "no_match": 1, "target": None},
        ),
        (cmd.MenuEmpty("n", "bye"), {"node": "n", "target": "bye"}),
        (cmd.Escalated("n", 4, "agent"), {"node": "n", "failures": 4, "target": "agent"}),
        (
            cmd.QueueDone("n", "general", 2, "answered", "1001"),
            {
                "node": "n",
                "queue": "general",
                "priority": 2,
                "outcome": "answered",
                "agent": "1001",
            },
        ),
        (
            cmd.VoicemailLeft("n", "box", "/v/1.wav", 4000),
            {"node": "n", "mailbox": "box", "path": "/v/1.wav", "duration_ms": 4000},
        ),
        (
            cmd.CallbackBooked("n", "123", at, True),
            {
                "node": "n",
                "number": "123",
                "requested_at": "2026-03-01T09:30:00+00:00",
                "confirmed": True,
            },
        ),
        (
            cmd.SurveyAnswered("n", "csat", "1-5", 4),
            {"node": "n", "question": "csat", "scale": "1-5", "answer": 4},
        ),
    ]
    for record, data in forms:
        assert record.to_json() == {"type": "journal", "kind": record.record, "data": data}
        assert cmd.JOURNAL_RECORDS[record.record] is type(record)
    assert set(cmd.JOURNAL_RECORDS) == {
        "node",
        "menu",
        "menu_failed",
        "menu_empty",
        "escalate",
        "queue",
        "voicemail",
        "callback",
        "survey",
    }
