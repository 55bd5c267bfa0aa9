"""ESL parser throughput on the recorded FreeSWITCH sessions, and on hostile input.

Two passes: a consumer that reads each event's name (a JSON event is then not decoded
further, see ``runtime.esl.message.Event``) and one that reads every header.

python bench/esl_parser.py
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime.esl import ESLParser, Event, RemoteProtocolError

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "freeswitch"


def _streams(names: list[Path]) -> list[bytes]:
    out = []
    for f in names:
        lines = [json.loads(x) for x in f.read_text("utf-8").splitlines()[1:]]
        out.append(b"".join(x["data"].encode() for x in lines if x["dir"] == "from_switch"))
    return out


def main() -> None:
    files = sorted(FIXTURES.glob("*.jsonl"))
    groups = {
        "all sessions": _streams(files),
        "JSON-event sessions": _streams([f for f in files if "_json" in f.name]),
    }
    passes: list[tuple[str, Callable[[Event], object]]] = [
        ("event name only", lambda e: e.name),
        ("every header decoded", lambda e: e.headers),
    ]
    for group, streams in groups.items():
        total = sum(len(s) for s in streams)
        for label, use in passes:
            best = float("inf")
            count = 0
            for _ in range(7):
                t0 = time.perf_counter()
                count = 0
                for s in streams:
                    for msg in ESLParser().feed(s):
                        count += 1
                        if msg.is_event:
                            use(Event.from_message(msg))
                best = min(best, time.perf_counter() - t0)
            print(
                f"{group}: {count} messages, {total / 1e6:.2f} MB: {count / best:,.0f} "
                f"messages/s (parse + {label}), {total / best / 1e6:.0f} MB/s"
            )
    t0 = time.perf_counter()
    try:
        ESLParser().feed(b"A" * 60_000 + b"\n\n")
    except RemoteProtocolError:
        pass
    print(f"60 KB line without a colon rejected in {(time.perf_counter() - t0) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
