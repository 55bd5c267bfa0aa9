"""Interpreter speed: `python -m tests.interpreter.bench`.

1. a simple menu loop driven by events (menu -> key 1 -> play -> PromptDone -> menu ...):
   events handled per second and node steps per second, trace and journal included;
2. steps that need no input (switch -> set -> goto chains) inside one event.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flowc.interpreter import Call, CallInfo
from flowc.interpreter import events as ev
from tests.interpreter.flowkit import program

MENU_LOOP = """
flow: bench_menu
variables: {n: {type: int, default: 0}}
nodes:
  main:
    menu:
      prompt: "For news press 1. You have called {n} times."
      options: {1: news}
  news: {play: ["Today's news", {say: {number: "{n}"}}], next: count}
  count: {set: {n: "{n + 1}"}, next: main}
"""

CHAIN = """
flow: bench_chain
variables: {n: {type: int, default: 0}, tier: {type: string, default: gold}}
nodes:
  start: {play: "go", next: s0}
{chain}
  done: {play: "done", next: start}
"""


def _chain(length: int) -> str:
    lines = []
    for i in range(length):
        nxt = f"s{i + 1}" if i + 1 < length else "done"
        if i % 3 == 0:
            lines.append(
                f"  s{i}:\n    switch:\n      - {{if: 'tier == \"x\"', goto: done}}\n"
                f"      - {{if: 'n >= 0 and tier startswith \"g\"', goto: {nxt}}}\n"
                f"    default: done"
            )
        elif i % 3 == 1:
            lines.append(f"  s{i}: {{set: {{n: '{{n + 1}}'}}, next: {nxt}}}")
        else:
            lines.append(f"  s{i}: {{goto: {nxt}}}")
    return "\n".join(lines)


def bench_menu(events: int = 60_000) -> tuple[float, float]:
    prog = program(MENU_LOOP, lint=False)
    call = Call(prog, CallInfo("+8613800000000"))
    now = datetime.fromisoformat("2026-03-02T10:00:00+08:00")
    call.start(now)
    call.handle(ev.Answered(at=now))
    step = timedelta(milliseconds=10)
    t0 = time.perf_counter()
    entered = 0
    for i in range(events // 2):
        now += step
        call.handle(ev.Digits("1", at=now))
        now += step
        call.handle(ev.PromptDone(at=now))
        entered += 3
        if i % 500 == 0:
            call.trace.clear()  # a live call's trace is bounded by its length; keep memory flat
    elapsed = time.perf_counter() - t0
    return events / elapsed, entered / elapsed


def bench_chain(length: int = 900, rounds: int = 200) -> float:
    prog = program(CHAIN.replace("{chain}", _chain(length)), lint=False)
    call = Call(prog, CallInfo("+8613800000000"))
    now = datetime.fromisoformat("2026-03-02T10:00:00+08:00")
    call.start(now)
    call.handle(ev.Answered(at=now))
    t0 = time.perf_counter()
    for _ in range(rounds):
        call.handle(ev.PromptDone(at=now))  # start -> chain -> done
        call.handle(ev.PromptDone(at=now))  # done -> start
        call.trace.clear()
    elapsed = time.perf_counter() - t0
    assert not call.finished, call.outcome
    return rounds * (length + 2) / elapsed


def main() -> None:
    events_s, steps_s = bench_menu()
    print(f"menu loop: {events_s:,.0f} events/s, {steps_s:,.0f} node steps/s")
    print(f"no-input chain (switch/set/goto): {bench_chain():,.0f} node steps/s")


if __name__ == "__main__":
    main()
