"""The journal through a runtime's shutdown when its database fails: the issue's fault test
(the database killed during SIGTERM with 300 calls in flight: after restart, 300 call records,
none duplicated) and `flowc serve`'s exit status when records are lost."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg

from runtime.journal.pgserver import PgServer, free_port
from runtime.server import Runtime, ServeConfig
from tests.server.fakeswitch import FakeCall, Script
from tests.server.serverkit import FAST, compile_bundle, fixed_clock, running
from tests.server.test_calls import go
from tests.server.test_server import _http_get, _wait_for, _wait_healthy

ROOT = Path(__file__).resolve().parents[2]
N = 300


def _config(build: Path, url: str, spool: Path) -> ServeConfig:
    return ServeConfig(
        bundle=build,
        listen=[("127.0.0.1", 0)],
        env="test",
        journal=url,
        drain_timeout=0.2,
        reload_interval=0.0,
        instance="A",
        timeouts=FAST,
        journal_spool=str(spool),
        journal_options={
            "flush_interval": 0.01,
            "close_timeout": 20,
            "spool_after": 0.5,
            "max_backoff": 0.2,
            "connect_timeout": 1,
        },
    )


def _pg_counts(url: str) -> dict[str, object]:
    with psycopg.connect(url) as conn:
        out: dict[str, object] = {}
        for table in ("calls", "call_ends"):
            row = conn.execute(f"SELECT count(*), count(DISTINCT call_id) FROM {table}").fetchone()
            assert row is not None
            out[table] = (int(row[0]), int(row[1]))
        outcomes = conn.execute("SELECT outcome, count(*) FROM call_ends GROUP BY 1").fetchall()
        out["outcomes"] = dict(outcomes)
        return out


def test_database_killed_during_sigterm_with_300_calls_in_flight(tmp_path: Path) -> None:
    build = compile_bundle(tmp_path / "build")
    spool = tmp_path / "journal.spool"
    pg = PgServer.start(durable=False)
    try:
        url = pg.create_database()

        async def first_life() -> dict[str, int]:
            rt = Runtime(_config(build, url, spool), clock_factory=fixed_clock(), lookup_env={})
            await rt.start()
            script = Script(inputs=["press 1"], queue=["max_wait"])
            calls = [FakeCall("127.0.0.1", rt.port, script=script) for _ in range(N)]
            tasks = [asyncio.create_task(c.run(60)) for c in calls]
            await _wait_for(
                lambda: all(any(a == "callcenter" for a, _ in c.record.apps) for c in calls), 60
            )
            assert len(rt.drivers) == N
            # SIGTERM, and the database dies as the drain begins: the calls' ends (and
            # whatever was still queued) have nowhere to go but the spool.
            rt.request_stop("sigterm")
            await asyncio.to_thread(pg.kill)
            await asyncio.gather(*tasks)
            assert rt._stopping is not None
            await rt._stopping
            journal: Any = rt.journal
            return {
                "unsaved": rt.unsaved_records,
                "spooled": journal.spooled,
                "hung_up": sum(c.hung_up for c in calls),
            }

        first = go(first_life(), timeout=180)
        assert first["hung_up"] == N
        assert first["unsaved"] == 0
        assert first["spooled"] >= N  # at least every call's end
        assert spool.exists()

        pg.restart()

        async def second_life() -> int:
            rt = Runtime(_config(build, url, spool), clock_factory=fixed_clock(), lookup_env={})
            await rt.start()  # writes the spool back before serving
            try:
                journal: Any = rt.journal
                return int(journal.replayed)
            finally:
                await rt.stop(drain_timeout=0.5)

        replayed = go(second_life(), timeout=120)
        assert replayed == first["spooled"]
        assert not spool.exists()
        counts = _pg_counts(url)
        assert counts["calls"] == (N, N)
        assert counts["call_ends"] == (N, N)
        assert counts["outcomes"] == {"shutdown": N}
    finally:
        pg.stop()


def test_flowc_serve_exits_non_zero_when_journal_records_are_lost(tmp_path: Path) -> None:
    """No spool, the SQLite journal locked by another process at SIGTERM: the call's records
    reach nowhere, and the exit status says so."""
    build = compile_bundle(tmp_path / "build")
    db = tmp_path / "j.db"
    port, mport = free_port(), free_port()
    cmd = [
        sys.executable,
        "-m",
        "flowc_app",
        "serve",
        "--bundle",
        str(build),
        "--listen",
        f"127.0.0.1:{port}",
        "--metrics",
        f"127.0.0.1:{mport}",
        "--journal",
        f"sqlite:///{db}",
        "--journal-spool",
        "none",
        "--journal-close-timeout",
        "1",
        "--env",
        "test",
        "--drain-timeout",
        "1",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ}
    )
    lock = None
    try:

        async def scenario() -> None:
            nonlocal lock
            await _wait_healthy(mport, 30)
            lock = sqlite3.connect(db, isolation_level=None, timeout=5)
            lock.execute("BEGIN EXCLUSIVE")
            call = FakeCall("127.0.0.1", port, script=Script(inputs=["press 9", "press 9"]))
            await call.run(10)
            _, body = await _http_get(mport, "/metrics")
            assert "flowc_journal_queued" in body

        go(scenario(), timeout=60)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if lock is not None:
            with contextlib.suppress(Exception):
                lock.execute("ROLLBACK")
            lock.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    text = err.decode()
    assert proc.returncode == 1, text
    assert "written neither to the database nor to the spool" in text
    events = [json.loads(x)["event"] for x in text.splitlines() if x.startswith("{")]
    assert "journal_records_unsaved" in events


_BIG_FLOW = """\
flowc: 1
flow: big
entry: grow
locale: en-US
locales: [en-US]
variables:
  n: {type: int, default: 99999999999}
  i: {type: int, default: 0}
nodes:
  grow: {set: {n: "{n * n}", i: "{i + 1}"}, next: check}
  check:
    switch:
      - {if: "i < 11", goto: grow}
    default: bye
  bye: {hangup: NORMAL_CLEARING, prompt: "Goodbye."}
"""


def test_a_call_with_an_integer_too_long_to_print_keeps_its_end_record(tmp_path: Path) -> None:
    """Issue 12: an integer over 4,300 digits (11 squarings of an 11-digit number: about
    11,000 digits) in a call's variables dropped its end record. The expression budget now
    ends such a call first; its end record must still be written."""
    src = tmp_path / "src"
    (src / "bindings").mkdir(parents=True)
    (src / "big.yaml").write_text(_BIG_FLOW, encoding="utf-8")
    (src / "bindings" / "test.yaml").write_text(
        'environment: test\nruntime: ["127.0.0.1:8084"]\nflows:\n  big: {dids: ["8003"]}\n',
        encoding="utf-8",
    )
    build = compile_bundle(tmp_path / "build", src)

    async def scenario() -> dict[str, Any]:
        async with running(build, tmp_path) as rt:
            call = FakeCall("127.0.0.1", rt.port, dest="8003", script=Script())
            await call.run(10)
            await _wait_for(lambda: not rt.drivers)
            journal: Any = rt.journal
            await journal.flush()
            assert journal.dropped == 0
            row: dict[str, Any] = await journal.fetch_call(call.uuid)
            return row

    row = go(scenario())
    # The expression budget (64-digit integers) now stops the growth first: the call ends
    # as an error, and its end record is there with what the variables held then.
    assert row["outcome"] == "error", row
    assert len(str(row["detail"]["variables"]["n"])) <= 64, row
