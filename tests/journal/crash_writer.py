"""Child process for the crash-safety test: journal whole calls into a SQLite file for ever.

    python tests/journal/crash_writer.py DB_PATH

Call i has id "call-{i:06d}": a CallRecord, STEPS steps, a CallEnd. After every FLUSH_EVERY
calls it awaits `flush()` and prints "flushed N" (N calls committed); the test SIGKILLs it.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from runtime.journal import open_journal
from tests.journal.journal_support import call_items

STEPS = 10
FLUSH_EVERY = 50


async def main(path: str) -> None:
    journal = open_journal(f"sqlite:///{path}", batch_size=200, flush_interval=0.005)
    await journal.open()
    print("ready", flush=True)
    i = 0
    while True:
        for item in call_items(f"call-{i:06d}", STEPS):
            journal.record(item)
        i += 1
        await asyncio.sleep(0)  # let the writer commit batches in the background, as in a runtime
        if i % FLUSH_EVERY == 0:
            await journal.flush()
            print(f"flushed {i}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
