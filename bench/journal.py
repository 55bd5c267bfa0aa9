"""Call journal write speed: steps per second into SQLite and PostgreSQL.

    python bench/journal.py [--calls 20000] [--steps 10] [--batch-sizes 100 500 2000]
                            [--tasks 100] [--no-fsync]

Each call is a CallRecord, `--steps` StepRecords and a CallEnd. Two ways of feeding the journal:

* ``bulk``: one task records every call, then awaits `flush()` (the writer's top speed);
* ``tasks``: `--tasks` asyncio tasks record their calls concurrently, yielding to the event loop
  after every record (as live calls do), then `flush()`.

The time runs from the first `record()` to the end of `flush()`: everything committed. The
PostgreSQL server is started here (runtime/journal/pgserver.py: initdb in a temporary
directory, 127.0.0.1, a free port) with its default durability (fsync on, synchronous_commit
on); SQLite runs in WAL mode with synchronous=NORMAL. Every run writes into a fresh database.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime.journal import CallEnd, CallRecord, Item, StepRecord, open_journal
from runtime.journal.pgserver import PgServer

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def call(n: int, steps: int) -> list[Item]:
    call_id = f"bench-{n:08d}"
    items: list[Item] = [
        CallRecord(call_id, "acme_care", "sha256:0123abcd", "4001", "+8613800138000", T0, "b1")
    ]
    for seq in range(steps):
        at = T0 + timedelta(seconds=seq)
        node = ("start", "main_menu", "balance", "tech", "survey")[seq % 5]
        items.append(StepRecord(call_id, seq, at, node, "menu", "dtmf 1", "1", "ok", 1200))
    items.append(CallEnd(call_id, T0 + timedelta(seconds=steps), "hangup", "survey", {"q": 1}))
    return items


async def one_run(
    url: str, calls: int, steps: int, batch_size: int, tasks: int
) -> dict[str, float]:
    journal = open_journal(url, batch_size=batch_size, max_queue=calls * (steps + 2) + 1)
    await journal.open()
    work = [call(n, steps) for n in range(calls)]

    async def feeder(part: list[list[Item]]) -> None:
        for items in part:
            for item in items:
                journal.record(item)
                await asyncio.sleep(0)

    started = time.perf_counter()
    if tasks <= 1:
        for items in work:
            for item in items:
                journal.record(item)
    else:
        await asyncio.gather(*(feeder(work[t::tasks]) for t in range(tasks)))
    await journal.flush()
    elapsed = time.perf_counter() - started
    assert journal.dropped == 0, journal.dropped
    assert await journal.count("steps") == calls * steps
    await journal.close()
    return {
        "seconds": elapsed,
        "steps_per_s": calls * steps / elapsed,
        "records_per_s": journal.written / elapsed,
        "batches": journal.batches,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[100, 500, 2000])
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--no-fsync", action="store_true", help="PostgreSQL with fsync off")
    args = parser.parse_args()

    rows: list[tuple[str, str, int, dict[str, float]]] = []
    with (
        tempfile.TemporaryDirectory(prefix="flowc-bench-") as tmp,
        PgServer.start(durable=not args.no_fsync) as server,
    ):
        backends: dict[str, Callable[[int], str]] = {
            "sqlite": lambda n: f"sqlite:///{tmp}/journal-{n}.db",
            "postgresql": lambda n: server.create_database(f"bench_{n}"),
        }
        n = 0
        for backend, make_url in backends.items():
            for mode, tasks in (("bulk", 1), ("tasks", args.tasks)):
                for batch_size in args.batch_sizes:
                    n += 1
                    result = asyncio.run(
                        one_run(make_url(n), args.calls, args.steps, batch_size, tasks)
                    )
                    rows.append((backend, mode, batch_size, result))
                    print(".", end="", flush=True, file=sys.stderr)
    print(file=sys.stderr)

    records = args.calls * (args.steps + 2)
    print(
        f"{args.calls:,} calls x {args.steps} steps = {records:,} records"
        f" (tasks mode: {args.tasks} concurrent tasks)"
        f"{'; PostgreSQL fsync off' if args.no_fsync else ''}"
    )
    header = ("backend", "mode", "batch", "seconds", "steps/s", "records/s", "transactions")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i < 2 else "---:" for i in range(len(header))) + "|")
    for backend, mode, batch_size, r in rows:
        print(
            f"| {backend} | {mode} | {batch_size} | {r['seconds']:.2f} |"
            f" {r['steps_per_s']:,.0f} | {r['records_per_s']:,.0f} | {r['batches']:.0f} |"
        )


if __name__ == "__main__":
    main()
