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


def main() -> None:
    streams = []
    for f in sorted(FIXTURES.glob("*.jsonl")):
        lines = [json.loads(x) for x in f.read_text("utf-8").splitlines()[1:]]
        streams.append(b"".join(x["data"].encode() for x in lines if x["dir"] == "from_switch"))
    total = sum(len(s) for s in streams)
    passes: list[tuple[str, Callable[[Event], object]]] = [
        ("event name only", lambda e: e.name),
        ("every header decoded", lambda e: e.headers),
    ]
    for label, use in passes:
        best = float("inf")
        count = 0
        for _ in range(5):
            t0 = time.perf_counter()
            count = 0
            for s in streams:
                for msg in ESLParser().feed(s):
                    count += 1
                    if msg.is_event:
                        use(Event.from_message(msg))
            best = min(best, time.perf_counter() - t0)
        print(
            f"fixtures: {count} messages, {total / 1e6:.2f} MB: {count / best:,.0f} messages/s "
            f"(parse + {label}), {total / best / 1e6:.0f} MB/s"
        )
    t0 = time.perf_counter()
    try:
        ESLParser().feed(b"A" * 60_000 + b"\n\n")
    except RemoteProtocolError:
        pass
    print(f"60 KB line without a colon rejected in {(time.perf_counter() - t0) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
