"""10,000 simultaneous simulated calls of examples/telecom_care.yaml: `python bench/simulate.py`.

The calls are interleaved the way a busy host sees them: every call is started (answered,
first prompt playing), then the simulator delivers one event to each active call in turn,
round-robin, until all have ended. The scenarios are those of
examples/telecom_care.test.yaml, cycled (VIP routing, self-service tours, queues, look-up
failures, after hours ...), each call with its own caller number.

Printed: interpreter node steps per second and events per second over the whole run (the
simulator's own work included: it plays the switch and the caller; once more with the cyclic
garbage collector paused, whose passes over 10,000 live calls cost about half the time), and
the memory each
active call holds (tracemalloc: snapshot after starting all calls and again mid-run, minus
the snapshot before, divided by the number of calls; measured in a second run, because
tracemalloc slows everything down).

    python bench/simulate.py [--calls 10000]
"""

from __future__ import annotations

import argparse
import copy
import gc
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flowc.flowtest import Scenario, load_scenario_file
from flowc.simulate import CompiledFlow, Simulator, compile_file

ROOT = Path(__file__).resolve().parent.parent
FLOW = ROOT / "examples" / "telecom_care.yaml"
SCENARIOS = ROOT / "examples" / "telecom_care.test.yaml"


def make_calls(flow: CompiledFlow, scenarios: list[Scenario], n: int) -> list[Simulator]:
    sims = []
    for i in range(n):
        sc = copy.copy(scenarios[i % len(scenarios)])
        sc.caller = f"+86138{i:08d}"
        sc.call_id = f"bench-{i}"
        sims.append(Simulator(flow, sc))
    return sims


def run(
    flow: CompiledFlow, scenarios: list[Scenario], n: int, *, pause_gc: bool = False
) -> dict[str, float]:
    sims = make_calls(flow, scenarios, n)
    gc.collect()
    if pause_gc:
        gc.disable()
    t0 = time.perf_counter()
    for s in sims:
        s.start()
    active = [s for s in sims if not s.done]
    rounds = 0
    peak = len(active)
    while active:
        rounds += 1
        active = [s for s in active if s.step()]
    elapsed = time.perf_counter() - t0
    gc.enable()
    events = sum(s.events for s in sims)
    steps = sum(len(s.tracker.path) for s in sims)
    unfinished = sum(1 for s in sims if not s.call.finished)
    return {
        "calls": n,
        "peak_active": peak,
        "rounds": rounds,
        "events": events,
        "steps": steps,
        "seconds": elapsed,
        "unfinished": unfinished,
    }


def memory(flow: CompiledFlow, scenarios: list[Scenario], n: int) -> tuple[float, float]:
    """Bytes per active call: after all calls started, and after 10 rounds of events."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    sims = make_calls(flow, scenarios, n)
    for s in sims:
        s.start()
    gc.collect()
    started = tracemalloc.take_snapshot()
    active = [s for s in sims if not s.done]
    for _ in range(10):
        active = [s for s in active if s.step()]
    gc.collect()
    mid = tracemalloc.take_snapshot()
    tracemalloc.stop()

    def per_call(snap: tracemalloc.Snapshot, calls: int) -> float:
        diff = sum(stat.size_diff for stat in snap.compare_to(before, "filename"))
        return diff / max(1, calls)

    at_start = per_call(started, n)
    at_mid = per_call(mid, len(active)) if active else 0.0
    del sims, active
    return at_start, at_mid


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=10_000)
    args = ap.parse_args()
    flow = compile_file(FLOW)
    scenarios = [s for s in load_scenario_file(SCENARIOS).scenarios if s.skip is None]
    r = run(flow, scenarios, args.calls)
    quiet = run(flow, scenarios, args.calls, pause_gc=True)
    at_start, at_mid = memory(flow, scenarios, args.calls)
    rows = [
        ("flow", f"{flow.name} ({len(flow.edges.nodes)} nodes)"),
        ("simultaneous calls", f"{r['calls']:,.0f} ({len(scenarios)} scenarios, cycled)"),
        ("round-robin rounds", f"{r['rounds']:,.0f}"),
        ("events delivered", f"{r['events']:,.0f}"),
        ("interpreter node steps", f"{r['steps']:,.0f}"),
        ("wall time", f"{r['seconds']:.2f} s"),
        ("node steps / s", f"{r['steps'] / r['seconds']:,.0f}"),
        ("events / s", f"{r['events'] / r['seconds']:,.0f}"),
        ("node steps / s, GC paused", f"{quiet['steps'] / quiet['seconds']:,.0f} (cyclic GC off)"),
        ("memory / call, started", f"{at_start / 1024:,.1f} KiB"),
        ("memory / call, mid-call", f"{at_mid / 1024:,.1f} KiB (after 10 events each)"),
        ("calls not ended", f"{r['unfinished']:,.0f}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'measure'.ljust(width)}  value")
    print(f"{'-' * width}  {'-' * 40}")
    for k, v in rows:
        print(f"{k.ljust(width)}  {v}")


if __name__ == "__main__":
    main()
