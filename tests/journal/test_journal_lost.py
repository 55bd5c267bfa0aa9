"""Calls a dead runtime left open are closed as `lost` at the next start (issue 11, Qb): only
this instance's, or any instance's started long enough ago; a real end written later wins."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from runtime.journal import CallEnd, CallRecord, StepRecord, open_journal
from tests.journal.journal_support import T0, run


def _open_call(call_id: str, instance: str, start_h: float, steps: int = 2) -> list[Any]:
    start = T0 + timedelta(hours=start_h)
    items: list[Any] = [CallRecord(call_id, "acme", "v1", "9000", "+86138", start, instance)]
    for seq in range(1, steps + 1):
        at = start + timedelta(seconds=seq)
        items.append(StepRecord(call_id, seq, at, f"n{seq}", "menu", "why"))
    return items


def test_lost_calls_are_closed_for_this_instance_or_when_old(journal_url: str) -> None:
    async def scenario() -> dict[str, Any]:
        journal = open_journal(journal_url)
        await journal.open()
        try:
            items = [
                *_open_call("a-open", "A", 10),
                *_open_call("a-ended", "A", 10),
                CallEnd("a-ended", T0 + timedelta(hours=10, seconds=9), "hangup", "n2", {}),
                *_open_call("b-recent", "B", 10),
                *_open_call("b-old", "B", 1, steps=0),
            ]
            for item in items:
                journal.record(item)
            await journal.flush()
            out: dict[str, Any] = {}
            out["first"] = await journal.close_lost_calls("A")
            await journal.flush()
            out["again"] = await journal.close_lost_calls("A")
            out["old"] = await journal.close_lost_calls("A", started_before=T0 + timedelta(hours=5))
            await journal.flush()
            out["rows"] = {c: await journal.fetch_call(c) for c in ("a-open", "b-recent", "b-old")}
            out["a-ended"] = await journal.fetch_call("a-ended")
            # the call went on elsewhere (a queue's resume socket): its real end wins
            journal.record(CallEnd("a-open", T0 + timedelta(hours=11), "queued", "q", {"x": 1}))
            # ... and a late `lost` never overwrites a real end
            journal.record(CallEnd("a-ended", T0, "lost", None, {}))
            await journal.flush()
            out["replaced"] = await journal.fetch_call("a-open")
            out["kept"] = await journal.fetch_call("a-ended")
            out["ends"] = await journal.count("call_ends")
            return out
        finally:
            await journal.close()

    out = run(scenario())
    assert out["first"] == ["a-open"]
    assert out["again"] == []
    assert out["old"] == ["b-old"]
    lost = out["rows"]["a-open"]
    assert lost["outcome"] == "lost" and lost["end_node"] == "n2"
    assert lost["ended_at"] == T0 + timedelta(hours=10, seconds=2)  # its last known step
    assert lost["detail"]["runtime"] == "lost" and lost["detail"]["closed_by"] == "A"
    assert out["rows"]["b-recent"]["outcome"] is None  # another instance's call may be live
    assert out["rows"]["b-old"]["outcome"] == "lost"
    assert out["rows"]["b-old"]["ended_at"] == T0 + timedelta(hours=1)  # no step: its start
    assert out["a-ended"]["outcome"] == "hangup"
    assert out["replaced"]["outcome"] == "queued" and out["replaced"]["detail"] == {"x": 1}
    assert out["kept"]["outcome"] == "hangup"
    assert out["ends"] == 3  # b-recent stays open


def test_in_one_batch_a_real_end_still_beats_a_lost_one(journal_url: str) -> None:
    async def scenario() -> list[Any]:
        journal = open_journal(journal_url, flush_interval=1.0)
        await journal.open()
        try:
            for item in _open_call("x", "A", 0) + _open_call("y", "A", 0):
                journal.record(item)
            journal.record(CallEnd("x", T0, "lost", None, {}))
            journal.record(CallEnd("x", T0, "hangup", "n2", {}))
            journal.record(CallEnd("x", T0, "error", "n2", {}))  # a second real end: ignored
            journal.record(CallEnd("y", T0, "hangup", "n1", {}))
            journal.record(CallEnd("y", T0, "lost", None, {}))
            await journal.flush()
            return [(await journal.fetch_call(c) or {}).get("outcome") for c in ("x", "y")]
        finally:
            await journal.close()

    assert run(scenario()) == ["hangup", "hangup"]
