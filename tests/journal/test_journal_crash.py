"""Crash safety: a process journaling calls into SQLite is SIGKILLed mid-way; reopening the file
shows every call it had flushed, whole, and what is there is a prefix of what it recorded."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from runtime.journal import open_journal
from tests.journal.journal_support import run

HERE = Path(__file__).resolve().parent
WRITER = HERE / "crash_writer.py"
STEPS = 10  # as in crash_writer.py


async def write_then_kill(db: Path, kill_after: int) -> int:
    """Start the writer; SIGKILL it once it reported `kill_after` flushed calls, a little
    after that (while it is writing more); return the last flushed count it reported."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(WRITER), str(db), stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    flushed = 0
    try:
        async with asyncio.timeout(60):
            while flushed < kill_after:
                line = (await proc.stdout.readline()).decode()
                assert line, "the writer died before it was killed"
                if line.startswith("flushed "):
                    flushed = int(line.split()[1])
            await asyncio.sleep(0.01)  # let it get into the next batches
            proc.send_signal(signal.SIGKILL)
            # it may have flushed more before the signal landed
            async for raw in proc.stdout:
                line = raw.decode()
                if line.startswith("flushed "):
                    flushed = int(line.split()[1])
            assert await proc.wait() == -signal.SIGKILL
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return flushed


@pytest.mark.parametrize("kill_after", [50, 300, 1000])
def test_flushed_calls_survive_sigkill(tmp_path: Path, kill_after: int) -> None:
    db = tmp_path / "journal.db"
    flushed = run(write_then_kill(db, kill_after))
    assert flushed >= kill_after

    # the file as the killed process left it (WAL not checkpointed): consistent, and a prefix
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        calls = [r[0] for r in conn.execute("SELECT call_id FROM calls ORDER BY call_id")]
        assert calls == [f"call-{i:06d}" for i in range(len(calls))]  # no hole
        assert len(calls) >= flushed
        orphans = conn.execute(
            "SELECT (SELECT count(*) FROM steps WHERE call_id NOT IN (SELECT call_id FROM calls))"
            " + (SELECT count(*) FROM call_ends WHERE call_id NOT IN (SELECT call_id FROM calls))"
        ).fetchone()[0]
        assert orphans == 0, "a step or call end without its call row"
        steps = dict(conn.execute("SELECT call_id, count(*) FROM steps GROUP BY call_id"))
        ends = {r[0] for r in conn.execute("SELECT call_id FROM call_ends")}
        last = calls[-1]
        for call_id in calls[:-1]:  # every call but the one being written when killed is whole
            assert steps.get(call_id) == STEPS and call_id in ends, call_id
        seqs = [r[0] for r in conn.execute("SELECT seq FROM steps WHERE call_id = ?", (last,))]
        assert sorted(seqs) == list(range(len(seqs)))  # the last call: a prefix of its steps
        assert last not in ends or len(seqs) == STEPS

    # and the journal reopens it and goes on
    async def reopen() -> None:
        journal = open_journal(f"sqlite:///{db}")
        await journal.open()
        assert await journal.count("calls") == len(calls)
        assert await journal.count("steps") == sum(steps.values())
        whole = await journal.fetch_call(f"call-{flushed - 1:06d}")
        assert whole is not None and whole["outcome"] == "hangup"
        await journal.close()

    run(reopen())
