"""Whatever a call's values hold, its records are written (on SQLite and PostgreSQL): huge
integers, NaN, NUL characters, lone surrogates, cycles. And a drained call is `shutdown`."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from runtime.journal import CallEnd, StepRecord, SurveyAnswer, open_journal
from runtime.journal.safe import json_safe, safe_dumps
from tests.journal.journal_support import T0, call_items, run

HUGE = 10**5000  # str() refuses integers over 4,300 digits


def _hostile_detail() -> dict[Any, Any]:
    cyclic: list[Any] = [1]
    cyclic.append(cyclic)
    return {
        "variables": {
            "huge": HUGE,
            "negative_huge": -HUGE,
            "wide": 2**70,
            "nan": float("nan"),
            "inf": float("-inf"),
            "nul": "a\x00b",
            "surrogate": "x\udcffy",
            "cyclic": cyclic,
            7: "an int key",
            HUGE: "a huge key",
        }
    }


async def _write_and_read(url: str) -> tuple[Any, ...]:
    items = call_items("c1", steps=1)[:-1]
    items.append(StepRecord("c1", 5, T0, "n\x00ode", "collect", "why", input="1\x002"))
    items.append(SurveyAnswer("c1", "acme", "csat", HUGE, T0))
    items.append(SurveyAnswer("c1", "acme", "nps", 2**70, T0))
    items.append(SurveyAnswer("c1", "acme", "ok", True, T0))
    items.append(CallEnd("c1", T0 + timedelta(seconds=3), "hangup", "node0", _hostile_detail()))
    journal = open_journal(url)
    await journal.open()
    try:
        for item in items:
            journal.record(item)
        await journal.flush()
        dropped = journal.dropped
        call = await journal.fetch_call("c1")
        survey = await journal.fetch_survey("c1")
        steps = await journal.fetch_steps("c1")
    finally:
        await journal.close()
    return dropped, call, survey, steps


def test_records_with_hostile_values_are_all_written(journal_url: str) -> None:
    dropped, call, survey, steps = run(_write_and_read(journal_url))
    assert dropped == 0
    assert call is not None and call["outcome"] == "hangup"
    variables = call["detail"]["variables"]
    assert variables["huge"] == "<int: about 5001 digits>"
    assert variables["negative_huge"] == "<int: -about 5001 digits>"
    assert variables["wide"] == 2**70
    assert variables["nan"] == "NaN" and variables["inf"] == "-Infinity"
    assert variables["nul"] == "a\ufffdb"
    assert variables["surrogate"] == "x\\udcffy"
    assert variables["cyclic"] == [1, "<...>"]
    assert variables["7"] == "an int key"
    assert variables["<int: about 5001 digits>"] == "a huge key"
    by_question = {row["question"]: row["value"] for row in survey}
    assert by_question == {"csat": "<int: about 5001 digits>", "nps": str(2**70), "ok": 1}
    assert [(s["node"], s["input"]) for s in steps if s["seq"] == 5] == [("n\ufffdode", "1\ufffd2")]


def test_safe_dumps_is_valid_json_for_anything() -> None:
    class Odd:
        def __str__(self) -> str:
            raise RuntimeError("no")

    text = safe_dumps({"a": Odd(), "b": {1, 2}, "c": float("nan")})
    assert json.loads(text) == {"a": "<Odd>", "b": [1, 2], "c": "NaN"}
    deep: Any = []
    for _ in range(200):
        deep = [deep]
    assert "<...>" in safe_dumps(deep)
    assert json_safe(HUGE) == "<int: about 5001 digits>"


def test_a_call_ended_by_a_drain_is_journaled_as_shutdown(tmp_path: Any) -> None:
    async def scenario() -> Any:
        journal = open_journal(f"sqlite:///{tmp_path}/j.db")
        await journal.open()
        try:
            for item in call_items("c1", steps=1)[:-1]:
                journal.record(item)
            detail = {"runtime": "drain", "cause": "SYSTEM_SHUTDOWN"}
            journal.record(CallEnd("c1", T0, "caller_hangup", "node0", detail))
            await journal.flush()
            return await journal.fetch_call("c1")
        finally:
            await journal.close()

    row = run(scenario())
    assert row["outcome"] == "shutdown"
    assert row["detail"] == {
        "runtime": "drain",
        "cause": "SYSTEM_SHUTDOWN",
        "interpreter_outcome": "caller_hangup",
    }
