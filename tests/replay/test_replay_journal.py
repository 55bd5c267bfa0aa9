"""The journal side of replay, on SQLite and on a real PostgreSQL server: the schema
migration from version 1, old rows read from their steps, the two parts of a call that went
to an agent joined into one."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import psycopg

from flowc.replay import build_report, render, replay_call
from runtime.journal import CallEnd, CallRecord, ReplayLog, StepRecord, open_journal
from runtime.journal.replay_read import NO_SECOND_PART, read_recorded
from tests.interpreter.flowkit import program

T0 = datetime.fromisoformat("2026-03-02T10:00:00+08:00")
FLOW = """
flow: mini
queues:
  general: {skill: retail}
nodes:
  menu:
    menu:
      prompt: "For an agent press 0."
      options: {'0': agent}
  agent: {queue: general, after: thanks}
  thanks: {play: "Thank you.", next: bye}
  bye: {hangup: NORMAL_CLEARING}
"""


def execute(url: str, sql: str) -> None:
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db, db:
            db.execute(sql)
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.encode())


def test_a_version_1_journal_is_migrated_and_its_rows_replay_from_steps(journal_url: str) -> None:
    async def write_v1() -> None:
        journal = open_journal(journal_url)
        await journal.open()
        journal.record(CallRecord("old", "mini", "sha256:v1", "5000", "+861", T0, "rt"))
        journal.record(StepRecord("old", 1, T0, "menu", "menu", "start", "0", "agent", 900))
        at = T0 + timedelta(seconds=1)
        journal.record(StepRecord("old", 2, at, "agent", "queue", "dtmf 0", None, "answered"))
        journal.record(CallEnd("old", T0 + timedelta(seconds=30), "queued", "bye", {}))
        journal.record(CallRecord("live", "mini", "sha256:v1", "5000", "+862", T0, "rt"))
        await journal.close()

    asyncio.run(write_v1())
    # what a version 1 runtime left: no call_replay table, version 1 only
    execute(journal_url, "DROP TABLE call_replay")
    execute(journal_url, "DELETE FROM schema_version")
    execute(
        journal_url,
        "INSERT INTO schema_version (version, applied_at) VALUES (1, now())"
        if not journal_url.startswith("sqlite")
        else "INSERT INTO schema_version (version, applied_at) VALUES (1, '2026-01-01')",
    )

    async def reopen() -> None:
        journal = open_journal(journal_url)
        await journal.open()
        try:
            rows = await journal._query("SELECT version FROM schema_version ORDER BY version", ())
            assert [r["version"] for r in rows] == [1, 2, 3]
            assert await journal.count("call_replay") == 0
            calls, skipped = await read_recorded(journal)
            assert [c.call_id for c in calls] == ["old"] and calls[0].source == "steps"
            assert skipped == {"the call has not ended (or its end was not journaled)": 1}
            prog = program(FLOW)
            res = replay_call(prog, calls[0])
            text = render(build_report([(calls[0], res)], skipped=skipped))
            assert "1 call(s) were journaled before replay data was kept" in text
            assert "1 call(s) not replayed: the call has not ended" in text
        finally:
            await journal.close()

    asyncio.run(reopen())


def test_the_parts_before_and_after_an_agent_are_joined(journal_url: str) -> None:
    first = {
        "v": 1, "flow": "mini", "start": T0.isoformat(), "part": 0, "open": True,
        "caller": {"number": "+861", "did": "5000"},
        "events": [{"t": "answered", "ms": 0}, {"t": "digits", "ms": 2000, "d": "0",
                   "r": "success"}, {"t": "queue_result", "ms": 9000, "q": "general",
                   "o": "answered", "a": "1001"}],
        "asks": ["|answer|", "menu|collect|aa", "agent|queue|general"],
        "path": ["menu", "agent"], "end": None,
    }  # fmt: skip
    second = {
        "v": 1, "flow": "mini", "start": (T0 + timedelta(seconds=60)).isoformat(), "part": 1,
        "open": False, "events": [{"t": "answered", "ms": 0}, {"t": "prompt_done", "ms": 1500}],
        "asks": ["|answer|", "thanks|play|bb"], "path": ["thanks", "bye"],
        "end": {"kind": "queued", "node": "bye"},
    }  # fmt: skip

    async def go() -> None:
        journal = open_journal(journal_url)
        await journal.open()
        try:
            for cid in ("joined", "half"):
                journal.record(CallRecord(cid, "mini", "sha256:v2", "5000", "+861", T0, "rt"))
                journal.record(CallEnd(cid, T0 + timedelta(seconds=62), "queued", "bye", {}))
                journal.record(ReplayLog(cid, first, 0))
            journal.record(ReplayLog("joined", second, 1))
            await journal.flush()
            calls, skipped = await read_recorded(journal)
        finally:
            await journal.close()
        assert [c.call_id for c in calls] == ["joined"] and skipped == {NO_SECOND_PART: 1}
        rec = calls[0]
        assert [e["t"] for e in rec.events] == [
            "answered", "digits", "queue_result", "agent_done", "prompt_done",
        ]  # fmt: skip
        assert rec.events[3]["ms"] == 60000 and rec.events[4]["ms"] == 61500
        assert rec.path == ["menu", "agent", "thanks", "bye"]
        assert rec.asks == ["|answer|", "menu|collect|aa", "agent|queue|general", "thanks|play|bb"]
        res = replay_call(program(FLOW), rec)
        assert res.path == rec.path and (res.end_kind, res.end_node) == ("queued", "bye")

    asyncio.run(go())


def _mini_bundle(tmp: Path) -> Path:
    from flowc.compiler.bundle import compile_paths

    src = tmp / "src"
    src.mkdir()
    (src / "mini.yaml").write_text(FLOW, encoding="utf-8")
    out = tmp / "build"
    assert compile_paths([src], out, echo=lambda _line: None) == 0
    return out


def test_bad_arguments_are_one_error_line_and_exit_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flowc_app import full_app

    bundle = _mini_bundle(tmp_path)
    missing = tmp_path / "nowhere" / "journal.db"
    runner = CliRunner()
    cases = [
        (["--journal", f"sqlite:///{missing}", "--bundle", str(bundle)], "no journal at"),
        (["--journal", "bogus://x", "--bundle", str(bundle)], "unknown scheme"),
        (["--journal", "sqlite:///j.db", "--bundle", str(tmp_path / "none")], "cannot read"),
        (["--bundle", str(bundle), "--since", "yesterday-ish"], "cannot read the time"),
    ]
    for args, words in cases:
        result = runner.invoke(full_app(), ["replay", *args])
        assert result.exit_code == 2, (args, result.output)
        assert words in result.output and "Traceback" not in result.output
    assert not missing.parent.exists()  # a read-only command creates no journal


def test_a_caller_who_hangs_up_with_the_agent_is_not_resumed() -> None:
    from flowc.replay import RecordedCall
    from flowc.replay.format import merge_parts

    first = {
        "v": 1, "flow": "mini", "start": T0.isoformat(), "part": 0, "open": True,
        "events": [{"t": "answered", "ms": 0}, {"t": "digits", "ms": 2000, "d": "0",
                   "r": "success"}, {"t": "queue_result", "ms": 9000, "q": "general",
                   "o": "answered", "a": "1001"}],
        "asks": ["|answer|", "menu|collect|aa", "agent|queue|general"], "path": ["menu", "agent"],
    }  # fmt: skip
    second = {
        "v": 1, "flow": "mini", "start": T0.isoformat(), "part": 1, "path": [],
        "events": [{"t": "hangup", "ms": 70000, "c": "NORMAL_CLEARING"}], "asks": [],
        "end": {"kind": "queued", "node": "agent"},
    }  # fmt: skip
    rec = RecordedCall.from_log("c", merge_parts(first, second))
    assert [e["t"] for e in rec.events] == ["answered", "digits", "queue_result", "hangup"]
    res = replay_call(program(FLOW), rec)
    # (the prompt hashes written above are made up: only the route and the end count here)
    assert res.path == ["menu", "agent"] and (res.end_kind, res.end_node) == ("queued", "agent")
    assert res.kinds <= {"new_prompts"}
