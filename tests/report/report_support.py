"""Journals for the report tests, written through the journal's own writer.

`call` makes the records of one call the way the runtime's driver writes them: the call, one
step per node visited (numbered from 1; `outcome` is the next node, or the end's outcome kind
in the last node; `why` is the previous node's last decision), the end, survey answers and
callback requests. `DATASET` is a journal whose figures the tests know by heart (see the
comments on each call and `tests/report/test_report.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from runtime.journal import (
    CallbackRequest,
    CallEnd,
    CallRecord,
    Item,
    StepRecord,
    SurveyAnswer,
    open_journal,
)
from tests.journal.journal_support import run

T0 = datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=UTC)
V1 = "sha256:" + "a1" * 32
V2 = "sha256:" + "b2" * 32
VS = "sha256:" + "c3" * 32


@dataclass(frozen=True)
class S:
    """One step: the node, its kind, why the call came, where it went, when (seconds after the
    call started) and how long it stayed (ms), what the caller entered there."""

    node: str
    kind: str
    why: str
    outcome: str
    at: float = 0.0
    ms: int = 0
    input: str | None = None
    sensitive: bool = False


def call(
    call_id: str,
    flow: str,
    version: str,
    start: datetime,
    steps: list[S],
    end: tuple[str, str | None, float, dict[str, Any]] | None,
    survey: dict[str, int | str] | None = None,
    callbacks: int = 0,
) -> list[Item]:
    """`end` is (outcome, node, seconds after the start, detail) or None (not ended)."""
    items: list[Item] = [CallRecord(call_id, flow, version, "9000", "+8613800000000", start, "t")]
    for seq, s in enumerate(steps, start=1):
        items.append(
            StepRecord(
                call_id,
                seq,
                start + timedelta(seconds=s.at),
                s.node,
                s.kind,
                s.why,
                input=s.input,
                outcome=s.outcome,
                duration_ms=s.ms,
                sensitive=s.sensitive,
            )
        )
    ended = start
    if end is not None:
        outcome, node, seconds, detail = end
        ended = start + timedelta(seconds=seconds)
        items.append(CallEnd(call_id, ended, outcome, node, {"cause": "NORMAL_CLEARING", **detail}))
    for question, value in (survey or {}).items():
        items.append(SurveyAnswer(call_id, flow, question, value, ended))
    for i in range(callbacks):
        items.append(CallbackRequest(call_id, flow, f"+86138000000{i:02d}", ended))
    return items


async def _write(url: str, items: list[Item]) -> None:
    journal = open_journal(url)
    await journal.open()
    try:
        for i, item in enumerate(items, start=1):
            journal.record(item)
            if i % 10_000 == 0:  # the writer's queue is bounded
                await journal.flush()
        await journal.flush()
        assert journal.dropped == 0, "a test record was refused"
    finally:
        await journal.close()


def write_journal(url: str, items: list[Item]) -> None:
    """Create the journal at `url` (if needed) and commit `items` to it."""
    run(_write(url, items))


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


WELCOME = S("welcome", "play", "start", "main_menu")


def _menu(input: str, outcome: str) -> S:
    return S("main_menu", "menu", "next", outcome, at=2, ms=3000, input=input)


def dataset() -> list[Item]:
    """16 calls: 13 of flow `care` (7 on version V1, 6 on V2; one not ended), 3 of `sales`
    (one three days before the others)."""
    items: list[Item] = []
    care = "care"
    # ---- care, V1 ------------------------------------------------------------------------
    # c1: self-service, completed after a balance look-up and a survey (60 s).
    items += call(
        "c1",
        care,
        V1,
        _at(0),
        [
            WELCOME,
            _menu("1", "balance_lookup"),
            S("balance_lookup", "fetch", "key 1: go to `balance_lookup`", "balance_report", 5),
            S("balance_report", "play", "crm answered 200: go to `balance_report`", "survey", 6),
            S("survey", "survey", "next", "completed", 10, input="10"),
        ],
        ("completed", "survey", 60, {}),
        survey={"nps": 10, "csat": 5, "resolved": "yes"},
    )
    # c2: no key, then 0: an agent answers after 40 s in the queue (queue entered at 20 s).
    items += call(
        "c2",
        care,
        V1,
        _at(1),
        [
            WELCOME,
            _menu("timeout,0", "agent"),
            S("agent", "queue", "key 0: go to `agent`", "answered", at=20, ms=40_000),
        ],
        ("queued", "agent", 90, {"queue": "care", "agent": "1001@default"}),
        survey={"nps": 9, "csat": 4},
    )
    # c3: key 2, put through to billing: transfer node entered at 10 s, through at 15 s.
    items += call(
        "c3",
        care,
        V1,
        _at(2),
        [
            WELCOME,
            _menu("2", "billing"),
            S("billing", "transfer", "key 2: go to `billing`", "transferred", at=10, ms=5000),
        ],
        ("transferred", "billing", 15, {"target": "sip:billing@example.invalid"}),
        survey={"nps": 8, "resolved": "yes"},
    )
    # c4: hangs up in the main menu after one no-input; asked for a callback before.
    items += call(
        "c4",
        care,
        V1,
        _at(3),
        [WELCOME, _menu("timeout", "caller_hangup")],
        ("caller_hangup", "main_menu", 8, {"state": "collecting"}),
        callbacks=1,
    )
    # c5: hangs up while waiting in the queue (120 s).
    items += call(
        "c5",
        care,
        V1,
        _at(4),
        [
            WELCOME,
            _menu("0", "agent"),
            S("agent", "queue", "key 0: go to `agent`", "caller_hangup", at=5, ms=115_000),
        ],
        ("caller_hangup", "agent", 120, {"state": "queued"}),
    )
    # c6: a wrong key, nothing, another wrong key: the menu fails, no on_fail: hang-up (30 s).
    items += call(
        "c6",
        care,
        V1,
        _at(5),
        [WELCOME, _menu("7,timeout,8", "hangup")],
        ("hangup", "main_menu", 30, {"reason": "a failed menu"}),
        callbacks=1,
    )
    # c7: the balance look-up times out; the flow apologises and hangs up on purpose (45.25 s).
    items += call(
        "c7",
        care,
        V1,
        _at(6),
        [
            WELCOME,
            _menu("1", "balance_lookup"),
            S("balance_lookup", "fetch", "key 1: go to `balance_lookup`", "sorry", 5, 1500),
            S("sorry", "play", "crm failed (timeout): go to `sorry`", "goodbye", 7),
            S("goodbye", "hangup", "next", "hangup", 9),
        ],
        ("hangup", "goodbye", 45.25, {}),
    )
    # ---- care, V2 ------------------------------------------------------------------------
    # c8: speech not understood (with a comma in it), then key 3: voicemail (75 s).
    items += call(
        "c8",
        care,
        V2,
        _at(60),
        [
            WELCOME,
            _menu("say:hello, I need help,3", "leave_message"),
            S("leave_message", "voicemail", "key 3: go to `leave_message`", "voicemail", 9),
        ],
        ("voicemail", "leave_message", 75, {"mailbox": "care", "ended": "completed"}),
    )
    # c9: the balance look-up fails (error), no on_error: hang-up in the fetch node (20 s).
    items += call(
        "c9",
        care,
        V2,
        _at(61),
        [
            WELCOME,
            _menu("1", "balance_lookup"),
            S("balance_lookup", "fetch", "key 1: go to `balance_lookup`", "hangup", 5),
        ],
        ("hangup", "balance_lookup", 20, {"reason": "a failed fetch (error)"}),
    )
    # c10: the runtime gave up on the call in the welcome prompt (5 s).
    items += call(
        "c10",
        care,
        V2,
        _at(62),
        [S("welcome", "play", "start", "error")],
        ("error", "welcome", 5, {"runtime": "idle_timeout"}),
    )
    # c11: still in progress (no end).
    items += call("c11", care, V2, _at(63), [WELCOME], None)
    # c12: key 4, an account number: too short, nothing, then right and confirmed (100 s).
    items += call(
        "c12",
        care,
        V2,
        _at(64),
        [
            WELCOME,
            _menu("4", "ask_account"),
            S(
                "ask_account",
                "collect",
                "key 4: go to `ask_account`",
                "account_lookup",
                4,
                input="12,timeout,987654,1",
            ),
            S("account_lookup", "fetch", "entry confirmed (1)", "account_report", 20),
            S("account_report", "play", "accounts answered 200: go to", "completed", 21),
        ],
        ("completed", "account_report", 100, {}),
        survey={"nps": 6, "csat": 4},
    )
    # c13: key 5, a PIN (masked) never valid: on_fail is the agent queue (entered at 30 s,
    # answered 30 s later); the call ends at 200 s.
    items += call(
        "c13",
        care,
        V2,
        _at(65),
        [
            WELCOME,
            _menu("5", "ask_pin"),
            S(
                "ask_pin",
                "collect",
                "key 5: go to `ask_pin`",
                "agent",
                4,
                input="****",
                sensitive=True,
            ),
            S(
                "agent",
                "queue",
                "nothing valid collected after 3 tries (no input)",
                "answered",
                at=30,
                ms=30_000,
            ),
        ],
        ("queued", "agent", 200, {"queue": "care"}),
        survey={"nps": 3, "resolved": "no"},
    )
    # ---- sales -----------------------------------------------------------------------------
    intro = "intro"
    items += call(
        "s0",
        "sales",
        VS,
        T0 - timedelta(days=3),
        [S(intro, "play", "start", "completed")],
        ("completed", intro, 10, {}),
    )
    items += call(
        "s1",
        "sales",
        VS,
        _at(1.5),
        [S(intro, "play", "start", "completed")],
        ("completed", intro, 30, {}),
    )
    items += call(
        "s2",
        "sales",
        VS,
        _at(2.5),
        [S(intro, "play", "start", "caller_hangup")],
        ("caller_hangup", intro, 4, {}),
        callbacks=1,
    )
    return items
