"""The journal against both databases: each test using `journal_url` runs on SQLite and on a real
PostgreSQL server (see conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
from journal_support import T0, call_items, run, until

from runtime.journal import (
    MASK,
    SCHEMA_VERSION,
    TABLES,
    CallbackRequest,
    CallEnd,
    CallRecord,
    Item,
    Journal,
    ReplayLog,
    SchemaError,
    StepRecord,
    SurveyAnswer,
    open_journal,
)
from runtime.journal.pgserver import PgServer
from runtime.journal.postgres import PostgresJournal
from runtime.journal.sqlite import SQLiteJournal

CARD = "4111111111111111"


def journal_for(url: str, **options: Any) -> Journal:
    """open_journal with quick retries, and options that only one backend knows left out."""
    options.setdefault("min_backoff", 0.02)
    options.setdefault("max_backoff", 0.2)
    if url.startswith("sqlite"):
        options.pop("connect_timeout", None)
    else:
        options.pop("busy_timeout", None)
    return open_journal(url, **options)


@contextlib.asynccontextmanager
async def opened(url: str, **options: Any) -> AsyncIterator[Journal]:
    journal = journal_for(url, **options)
    await journal.open()
    try:
        yield journal
    finally:
        await journal.close()


def execute(url: str, sql: str) -> None:
    """Run one statement on the journal's database, outside the journal."""
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db, db:
            db.execute(sql)
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.encode())


async def counts(journal: Journal) -> dict[str, int]:
    return {table: await journal.count(table) for table in TABLES}


class Outage:
    """Make the journal's database unwritable, then writable again.

    PostgreSQL: the session's server is stopped (clients are disconnected) and started again.
    SQLite: another connection holds the write lock (BEGIN EXCLUSIVE), so the journal's writes
    fail with "database is locked" once its busy_timeout has passed.
    """

    def __init__(self, url: str, request: pytest.FixtureRequest) -> None:
        self.url = url
        self.request = request
        self.lock: sqlite3.Connection | None = None
        self.server: PgServer | None = None

    async def begin(self) -> None:
        if self.url.startswith("sqlite"):
            self.lock = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None)
            self.lock.execute("BEGIN EXCLUSIVE")
        else:
            self.server = self.request.getfixturevalue("pg_server")
            await asyncio.to_thread(self.server.pause)

    async def end(self) -> None:
        if self.lock is not None:
            self.lock.execute("COMMIT")
            self.lock.close()
            self.lock = None
        if self.server is not None:
            await asyncio.to_thread(self.server.restart)
            self.server = None


@pytest.fixture
def outage(journal_url: str, request: pytest.FixtureRequest) -> Any:
    state = Outage(journal_url, request)
    yield state
    run(state.end())  # never leave the session's server stopped


# ---- round trip ----------------------------------------------------------------------------


def test_round_trip_of_every_record_type(journal_url: str) -> None:
    cst = timezone(timedelta(hours=8))
    started = datetime(2026, 3, 1, 16, 0, 0, 250000, tzinfo=cst)  # 08:00:00.25 UTC

    async def go() -> None:
        async with opened(journal_url) as journal:
            journal.record(
                CallRecord(
                    "c-1", "acme_care", "sha256:9f", "4001", "+8613800138000", started, "rt-a"
                )
            )
            journal.record(StepRecord("c-1", 0, started, "start", "hours", "start", outcome="open"))
            at = started + timedelta(seconds=3)
            journal.record(
                StepRecord("c-1", 1, at, "main_menu", "menu", "dtmf 1", "1", "balance", 2950)
            )
            naive = datetime(2026, 3, 1, 8, 0, 5)
            journal.record(
                StepRecord(
                    "c-1", 2, naive, "pin", "collect", "digits", "****", None, None, sensitive=True
                )
            )
            journal.record(SurveyAnswer("c-1", "acme_care", "csat", 4, started))
            journal.record(SurveyAnswer("c-1", "acme_care", "comment", "很好", started))
            journal.record(CallbackRequest("c-1", "acme_care", "+8613800138000", started))
            detail = {"reason": "完成", "digits": [1, 2], "nested": {"ok": True}}
            ended = started + timedelta(minutes=2)
            journal.record(CallEnd("c-1", ended, "self_served", "balance", detail))
            journal.record(CallRecord("c-2", "acme_care", "sha256:9f", "4001", "", started, "rt-a"))
            log = {"v": 1, "events": [{"t": "digits", "v": 1}], "end": {"kind": "hangup"}}
            journal.record(ReplayLog("c-1", log))
            journal.record(ReplayLog("c-1", {"v": 1, "events": []}))  # the first one wins
            await journal.flush()

            utc_start = started.astimezone(UTC)
            assert await journal.fetch_call("c-1") == dict(
                call_id="c-1",
                flow="acme_care",
                flow_version="sha256:9f",
                did="4001",
                caller="+8613800138000",
                started_at=utc_start,
                instance="rt-a",
                ended_at=utc_start + timedelta(minutes=2),
                outcome="self_served",
                end_node="balance",
                detail={"reason": "完成", "digits": [1, 2], "nested": {"ok": True}},
            )
            unended = await journal.fetch_call("c-2")
            assert unended is not None
            assert (unended["ended_at"], unended["outcome"], unended["detail"]) == (None,) * 3
            assert await journal.fetch_call("nope") is None

            steps = await journal.fetch_steps("c-1")
            assert [s["seq"] for s in steps] == [0, 1, 2]
            assert steps[1] == dict(
                call_id="c-1",
                seq=1,
                at=utc_start + timedelta(seconds=3),
                node="main_menu",
                kind="menu",
                why="dtmf 1",
                input="1",
                sensitive=False,
                outcome="balance",
                duration_ms=2950,
            )
            assert steps[0]["input"] is None and steps[0]["duration_ms"] is None
            # a naive datetime is UTC, never local time
            assert steps[2]["at"] == datetime(2026, 3, 1, 8, 0, 5, tzinfo=UTC)
            assert steps[2]["at"].utcoffset() == timedelta(0)
            assert (steps[2]["input"], steps[2]["sensitive"]) == (MASK, True)

            survey = await journal.fetch_survey("c-1")
            assert [(a["question"], a["value"]) for a in survey] == [
                ("comment", "很好"),
                ("csat", 4),
            ]
            assert survey[1]["flow"] == "acme_care" and survey[1]["at"] == utc_start
            assert await journal.fetch_callbacks("c-1") == [
                dict(call_id="c-1", number="+8613800138000", flow="acme_care", at=utc_start)
            ]
            assert await counts(journal) == {
                "calls": 2,
                "steps": 3,
                "call_ends": 1,
                "survey_answers": 2,
                "callback_requests": 1,
                "call_replay": 1,
            }
            rows = await journal._query("SELECT call_id, part, format, data FROM call_replay", ())
            kept = journal._decode("call_replay", rows[0])
            assert (kept["call_id"], kept["part"], kept["format"]) == ("c-1", 0, 1)
            assert kept["data"] == log
            assert (journal.written, journal.dropped) == (11, 0)

    run(go())


def test_schema_version_and_reopen(journal_url: str) -> None:
    async def go() -> None:
        async with opened(journal_url) as journal:
            for item in call_items("c-1"):
                journal.record(item)
        async with opened(journal_url) as journal:  # schema already there: reopen, keep data
            assert await journal.count("calls") == 1
            assert await journal.count("steps") == 10
            with pytest.raises(ValueError, match="unknown journal table"):
                await journal.count("calls; DROP TABLE calls")
            rows = await journal._query("SELECT version FROM schema_version", ())
            assert rows == [{"version": SCHEMA_VERSION}]
        # a newer runtime migrated the database: this one must refuse to write to it
        execute(journal_url, "INSERT INTO schema_version SELECT 99, applied_at FROM schema_version")
        newer = journal_for(journal_url)
        with pytest.raises(SchemaError, match="newer"):
            await newer.open()
        await newer.close()

    run(go())


def test_records_given_before_open_are_written(journal_url: str) -> None:
    async def go() -> None:
        journal = journal_for(journal_url)
        for item in call_items("early"):
            journal.record(item)
        await journal.open()
        await journal.flush()
        assert await journal.count("steps") == 10
        await journal.close()

    run(go())


# ---- batching --------------------------------------------------------------------------------


def test_many_records_are_written_in_few_transactions(journal_url: str) -> None:
    sizes: list[int] = []

    async def go() -> None:
        journal = journal_for(journal_url, batch_size=500, flush_interval=10.0)
        original = journal._write

        async def counting_write(batch: list[Item]) -> Any:  # one call = one transaction
            sizes.append(len(batch))
            return await original(batch)

        journal._write = counting_write  # type: ignore[method-assign]
        await journal.open()
        for c in range(200):
            for item in call_items(f"c{c}", steps=9):  # 11 records a call: 2,200 in all
                journal.record(item)
        await journal.flush()
        assert sizes == [500, 500, 500, 500, 200]
        assert journal.batches == 5
        assert journal.written == 2200
        assert await journal.count("steps") == 1800
        await journal.close()

    run(go())


def test_a_partial_batch_is_written_after_flush_interval(journal_url: str) -> None:
    async def go() -> None:
        async with opened(journal_url, batch_size=500, flush_interval=0.05) as journal:
            for item in call_items("c1", steps=3):
                journal.record(item)
            assert journal.written == 0  # queued, not yet written: record() never writes
            await until(lambda: journal.written == 5, timeout=5)  # no flush(): the timer did it
            assert journal.batches == 1
            assert await journal.count("steps") == 3

    run(go())


def test_record_from_another_thread_wakes_the_writer(journal_url: str) -> None:
    async def go() -> None:
        async with opened(journal_url, flush_interval=0.01) as journal:

            def worker() -> None:
                for item in call_items("threaded"):
                    journal.record(item)

            await asyncio.to_thread(worker)
            await until(lambda: journal.written == 12, timeout=5)  # no flush(): the timer
            assert await journal.count("steps") == 10

    run(go())


# ---- idempotency -----------------------------------------------------------------------------


def test_the_same_records_twice_leave_one_copy(journal_url: str) -> None:
    async def go() -> None:
        extra: list[Item] = [
            SurveyAnswer("c1", "acme", "csat", 5, T0),
            CallbackRequest("c1", "acme", "+1555", T0),
        ]
        items = call_items("c1") + call_items("c2") + extra
        async with opened(journal_url) as journal:
            for item in items:
                journal.record(item)
            await journal.flush()
            for item in items + items:  # a retried batch, and duplicates inside one batch
                journal.record(item)
            # the first copy wins: a second end, answer or step with the same key changes nothing
            journal.record(CallEnd("c1", T0, "abandoned", "other", {}))
            journal.record(SurveyAnswer("c1", "acme", "csat", 1, T0))
            journal.record(StepRecord("c1", 0, T0, "changed", "menu", "again"))
            await journal.flush()
            assert await counts(journal) == {
                "calls": 2,
                "steps": 20,
                "call_ends": 2,
                "survey_answers": 1,
                "callback_requests": 1,
                "call_replay": 0,
            }
            call = await journal.fetch_call("c1")
            assert call is not None and call["outcome"] == "hangup"
            assert (await journal.fetch_survey("c1"))[0]["value"] == 5
            assert (await journal.fetch_steps("c1"))[0]["node"] == "node0"

    run(go())


# ---- masking ---------------------------------------------------------------------------------


def test_sensitive_input_is_never_stored(journal_url: str, tmp_path: Path) -> None:
    async def go() -> None:
        async with opened(journal_url) as journal:
            journal.record(CallRecord("c1", "pay", "v1", "4002", "+1555", T0, "rt"))
            # the caller forgot to mask: the journal masks anyway
            journal.record(
                StepRecord("c1", 0, T0, "card", "collect", "digits", CARD, "ok", 10, True)
            )
            journal.record(
                StepRecord("c1", 1, T0, "pin", "collect", "digits", None, None, None, True)
            )
            journal.record(StepRecord("c1", 2, T0, "menu", "menu", "dtmf", "2"))
            await journal.flush()
            steps = await journal.fetch_steps("c1")
            assert [(s["input"], s["sensitive"]) for s in steps] == [
                (MASK, True),
                (MASK, True),
                ("2", False),
            ]
        if journal_url.startswith("sqlite"):
            for file in tmp_path.iterdir():  # the database file, the WAL, the shared memory
                assert CARD.encode() not in file.read_bytes(), file

    run(go())


# ---- concurrency -----------------------------------------------------------------------------


def test_10000_calls_from_100_tasks(journal_url: str) -> None:
    calls_per_task, tasks, steps = 100, 100, 10

    async def caller(journal: Journal, task: int) -> None:
        for n in range(calls_per_task):
            for item in call_items(f"t{task:03d}-c{n:03d}", steps):
                journal.record(item)
                await asyncio.sleep(0)  # calls interleave record by record
            # 100 tasks x 12 records every 30 ms is ~40,000 records/s (a real call takes a
            # step every few seconds): fast, yet within what one writer commits, so that
            # nothing is dropped with the default queue bound (the bound has its own test)
            await asyncio.sleep(0.03)

    async def go() -> None:
        async with opened(journal_url) as journal:
            await asyncio.gather(*(caller(journal, t) for t in range(tasks)))
            await journal.flush()
            total = tasks * calls_per_task
            assert journal.dropped == 0
            assert journal.written == total * (steps + 2)
            assert await counts(journal) == {
                "calls": total,
                "steps": total * steps,
                "call_ends": total,
                "survey_answers": 0,
                "callback_requests": 0,
                "call_replay": 0,
            }
            for task, n in [(0, 0), (57, 42), (99, 99)]:
                assert [
                    s["seq"] for s in await journal.fetch_steps(f"t{task:03d}-c{n:03d}")
                ] == list(range(steps))

    run(go())


def test_two_instances_write_one_journal_concurrently(journal_url: str) -> None:
    """Two Journal objects (two runtime instances) on one database, interleaved calls, some
    calls journaled by both (a hand-over): nothing lost, nothing twice."""

    async def instance(journal: Journal, name: str, calls: range) -> None:
        for n in calls:
            for item in call_items(f"c{n:05d}", steps=5, instance=name):
                journal.record(item)
            if n % 7 == 0:
                await asyncio.sleep(0)

    async def go() -> None:
        async with (
            opened(journal_url, batch_size=100, flush_interval=0.01) as a,
            opened(journal_url, batch_size=100, flush_interval=0.01) as b,
        ):
            await asyncio.gather(
                instance(a, "rt-a", range(0, 3000, 2)),  # even calls
                instance(b, "rt-b", range(1, 3000, 2)),  # odd calls
                instance(a, "rt-a", range(1000, 1200)),  # both write these 200
                instance(b, "rt-b", range(1000, 1200)),
            )
            await asyncio.gather(a.flush(), b.flush())
            assert a.dropped == b.dropped == 0
            assert await counts(a) == {
                "calls": 3000,
                "steps": 15000,
                "call_ends": 3000,
                "survey_answers": 0,
                "callback_requests": 0,
                "call_replay": 0,
            }
            rows = await a._query(
                "SELECT instance, count(*) AS n FROM calls GROUP BY instance ORDER BY instance", ()
            )
            by_instance = {row["instance"]: row["n"] for row in rows}
            assert sum(by_instance.values()) == 3000
            assert by_instance["rt-a"] >= 1400 and by_instance["rt-b"] >= 1400

    run(go())


# ---- the database goes away ------------------------------------------------------------------


def test_database_down_then_up_loses_nothing(journal_url: str, outage: Outage) -> None:
    async def go() -> None:
        async with opened(journal_url, busy_timeout=0.05, connect_timeout=2) as journal:
            for item in call_items("before"):
                journal.record(item)
            await journal.flush()
            await outage.begin()
            for c in range(50):
                for item in call_items(f"during-{c}"):
                    journal.record(item)  # never raises, never blocks
            await until(lambda: journal.failures >= 2, timeout=20)  # it kept trying
            assert journal.written == 12 and journal.dropped == 0
            await outage.end()
            async with asyncio.timeout(30):
                await journal.flush()
            assert await journal.count("calls") == 51
            assert await journal.count("steps") == 510
            assert journal.dropped == 0

    run(go())


def test_queue_is_bounded_and_drops_are_counted(
    journal_url: str, outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    async def go() -> None:
        async with opened(journal_url, max_queue=10, busy_timeout=0.05) as journal:
            await outage.begin()
            with caplog.at_level(logging.ERROR, logger="runtime.journal"):
                for n in range(25):
                    journal.record(CallRecord(f"c{n}", "f", "v", "1", "2", T0, "rt"))
                assert (journal.accepted, journal.dropped, journal.queued) == (10, 15, 10)
                assert "queue full" in caplog.text
                await until(lambda: journal.failures >= 1, timeout=20)
                for n in range(25, 30):  # the writer holds the 10 in flight; the queue has room
                    journal.record(CallRecord(f"c{n}", "f", "v", "1", "2", T0, "rt"))
            await outage.end()
            async with asyncio.timeout(30):
                await journal.flush()
            assert await journal.count("calls") == 15
            assert (journal.written, journal.dropped) == (15, 15)

    run(go())


def test_close_gives_up_on_a_dead_database_after_close_timeout(
    journal_url: str, outage: Outage
) -> None:
    async def go() -> None:
        journal = journal_for(journal_url, close_timeout=0.5, busy_timeout=0.05)
        await journal.open()
        await outage.begin()
        for item in call_items("lost"):
            journal.record(item)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await journal.close()
        assert loop.time() - started < 5
        assert journal.dropped == 12
        journal.record(call_items("late")[0])  # after close: dropped, not raised
        assert journal.dropped == 13

    run(go())


def test_record_never_raises_and_bad_records_do_not_block_good_ones(journal_url: str) -> None:
    async def go() -> None:
        async with opened(journal_url) as journal:
            journal.record("not a record")  # type: ignore[arg-type]
            journal.record(None)  # type: ignore[arg-type]
            good = call_items("good", steps=3)
            bad_time = StepRecord("bad", 0, "yesterday", "n", "menu", "x")  # type: ignore[arg-type]
            too_big = StepRecord("big", 0, T0, "n", "menu", "x", duration_ms=2**70)
            nul = StepRecord("nul", 0, T0, "n", "menu", "x", input="a\x00b")
            for item in [*good[:2], bad_time, too_big, nul, *good[2:]]:
                journal.record(item)
            await journal.flush()
            assert await journal.fetch_call("good") is not None
            assert [s["seq"] for s in await journal.fetch_steps("good")] == [0, 1, 2]
            # A NUL (which PostgreSQL refuses) and a duration outside bigint are stored as
            # U+FFFD and NULL, the same on both databases: those records are kept.
            assert (await journal.fetch_steps("nul"))[0]["input"] == "a\ufffdb"
            assert (await journal.fetch_steps("big"))[0]["duration_ms"] is None
            assert (await journal.count("steps"), journal.dropped) == (5, 3)
            assert journal.written == len(good) + 2

    run(go())


# ---- configuration -----------------------------------------------------------------------------


def test_open_journal_urls(tmp_path: Path) -> None:
    def path(url: str) -> str:
        journal = open_journal(url)
        assert isinstance(journal, SQLiteJournal)
        return journal.path

    assert path("sqlite://") == "journal.db"
    assert path("sqlite:///") == "journal.db"
    assert path("sqlite:///data/journal.db") == "data/journal.db"
    assert path("sqlite:////var/lib/flowc/j.db") == "/var/lib/flowc/j.db"
    for url in ["postgresql://u@127.0.0.1:5/db", "postgres://u@h/db", "postgresql+psycopg://h/d"]:
        journal = open_journal(url, connect_timeout=1)
        assert isinstance(journal, PostgresJournal) and journal.url.startswith("postgresql://")
    assert "secret" not in repr(open_journal("postgresql://u:secret@h/db"))
    for bad in ["mysql://h/db", "journal.db", "sqlite://host/db"]:
        with pytest.raises(ValueError):
            open_journal(bad)
    with pytest.raises(ValueError):
        open_journal("sqlite:///x.db", batch_size=0)
