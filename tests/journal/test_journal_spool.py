"""The journal's spool: with the database unavailable records go to an fsync'd local file and
are written back, without duplicates, when the database is back or at the next start; records
that reach neither are counted (`unsaved`)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runtime.journal import Journal, open_journal
from runtime.journal.pgserver import PgServer, free_port
from runtime.journal.spool import Spool, decode, encode
from tests.journal.journal_support import call_items, run, until


@contextlib.contextmanager
def locked(db: Path) -> Iterator[None]:
    """Another process holds the SQLite write lock: every write of the journal fails."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=0.1)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def _journal(db: Path, spool: Path | None, **options: Any) -> Journal:
    settings: dict[str, Any] = {
        "busy_timeout": 0.05,
        "min_backoff": 0.01,
        "max_backoff": 0.1,
        "spool_after": 0.2,
        "close_timeout": 5,
        "spool": None if spool is None else str(spool),
    }
    return open_journal(f"sqlite:///{db}", **{**settings, **options})


def _counts(db: Path) -> tuple[int, int, int, int]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        calls, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT call_id) FROM calls"
        ).fetchone()
        steps = conn.execute("SELECT count(*) FROM steps").fetchone()[0]
        ends = conn.execute("SELECT count(*) FROM call_ends").fetchone()[0]
    return calls, distinct, steps, ends


def _create(db: Path) -> None:
    async def go() -> None:
        j = _journal(db, None)
        await j.open()
        await j.close()

    run(go())


def test_records_go_to_the_spool_while_the_database_is_down_and_come_back(tmp_path: Path) -> None:
    db, spool = tmp_path / "j.db", tmp_path / "j.spool"
    _create(db)

    async def scenario() -> dict[str, Any]:
        j = _journal(db, spool)
        await j.open()
        try:
            with locked(db):
                for i in range(20):
                    for item in call_items(f"c{i}", steps=3):
                        j.record(item)
                await j.flush()  # returns: the records are in the spool
                spooled = (j.spooled, j.spool_pending, len(Spool(spool).load()))
            # the database is back: the spool is written back (the writer tries the database
            # every max_backoff seconds), and so are records given meanwhile
            for item in call_items("after", steps=1):
                j.record(item)
            await j.flush()
            await until(lambda: j.spool_pending == 0)
            await j.flush()
            return {"spooled": spooled, "replayed": j.replayed, "unsaved": j.unsaved}
        finally:
            await j.close()

    out = run(scenario())
    assert out["spooled"][0] == out["spooled"][1] == out["spooled"][2] > 0
    assert out["replayed"] >= out["spooled"][0] and out["unsaved"] == 0
    assert _counts(db) == (21, 21, 61, 21)
    assert not spool.exists()


def test_closing_with_the_database_down_spools_and_the_next_start_writes_back(
    tmp_path: Path,
) -> None:
    db, spool = tmp_path / "j.db", tmp_path / "j.spool"
    _create(db)
    items = [item for i in range(30) for item in call_items(f"c{i}", steps=2)]

    async def first_life() -> tuple[int, int]:
        j = _journal(db, spool, spool_after=60)  # only closing spills at once
        await j.open()
        for item in items[:40]:  # some records committed before the outage
            j.record(item)
        await j.flush()
        with locked(db):
            for item in items[40:]:
                j.record(item)
            await j.close()
        return j.unsaved, j.spooled

    unsaved, spooled = run(first_life())
    assert unsaved == 0 and spooled == len(items) - 40
    # A duplicate of committed records in the spool (a COMMIT whose answer was lost): the
    # write-back must not duplicate them.
    Spool(spool).append(items[:10])
    assert _counts(db)[0] < 30

    async def second_life() -> tuple[int, int]:
        j = _journal(db, spool)
        await j.open()
        try:
            return j.replayed, j.spool_pending
        finally:
            await j.close()

    replayed, pending = run(second_life())
    assert replayed == len(items) - 40 + 10 and pending == 0
    assert _counts(db) == (30, 30, 60, 30)
    assert not spool.exists()


def test_what_neither_the_database_nor_the_spool_takes_is_counted(tmp_path: Path) -> None:
    db, spool = tmp_path / "j.db", tmp_path / "j.spool"
    _create(db)

    async def scenario(spool_path: Path | None) -> tuple[int, int]:
        j = _journal(db, spool_path, spool_max_bytes=2000, close_timeout=0.5)
        await j.open()
        with locked(db):
            for i in range(10):
                for item in call_items(f"c{i}", steps=3):
                    j.record(item)
            await j.close()
        return j.unsaved, j.spool_refused

    unsaved, refused = run(scenario(spool))
    assert unsaved == 50 and refused >= 50  # the spool is full: nothing of it was taken
    assert spool.stat().st_size <= 2000 if spool.exists() else True
    unsaved, _ = run(scenario(None))  # no spool at all
    assert unsaved == 50


def test_spool_lines_round_trip_and_a_torn_line_is_skipped(tmp_path: Path) -> None:
    items = call_items("c1", steps=2)
    assert [decode(encode(item)) for item in items] == items
    spool = Spool(tmp_path / "s.spool")
    assert spool.append(items)
    with (tmp_path / "s.spool").open("ab") as f:
        f.write(encode(items[0])[:25])  # a crash in the middle of a write
    assert spool.load() == items and spool.bad == 1
    line = json.loads(encode(items[-1]))
    assert line["type"] == "CallEnd" and line["fields"]["call_id"] == "c1"


def test_postgresql_unreachable_then_the_next_start_writes_the_spool_back(
    tmp_path: Path, pg_server: PgServer
) -> None:
    url = pg_server.create_database()
    spool = tmp_path / "pg.spool"
    nowhere = f"postgresql://flowc@127.0.0.1:{free_port()}/nothing"
    items = [item for i in range(25) for item in call_items(f"c{i}", steps=2)]

    async def down() -> tuple[int, int]:
        j = open_journal(
            nowhere, connect_timeout=1, max_backoff=0.1, spool_after=0.2, spool=str(spool)
        )
        await j.open()  # unreachable: logged, not an error
        for item in items:
            j.record(item)
        await j.flush()  # spooled after spool_after seconds of failures
        await j.close()
        return j.spooled, j.unsaved

    spooled, unsaved = run(down())
    assert spooled == len(items) and unsaved == 0

    async def up() -> tuple[int, int, int]:
        j = open_journal(url, spool=str(spool))
        await j.open()
        try:
            return j.replayed, await j.count("calls"), await j.count("call_ends")
        finally:
            await j.close()

    assert run(up()) == (len(items), 25, 25)
    assert run(up()) == (0, 25, 25)  # nothing twice
    assert not spool.exists()
