"""Replay speed: recorded calls re-run per second through a bundle by `flowc replay`'s engine.

    python bench/replay.py [--calls 20000]

The recorded calls are every example scenario (examples/*.test.yaml), simulated with the
runtime's replay recorder watching (the same `runtime.replay_log.ReplayRecorder` the driver
uses, fed the commands and events of the call), then copied under new ids up to `--calls`.
Each is replayed through the same programs (all identical, which the run checks). The
figure is CPU time of this process (`time.process_time`: one core, whatever else the machine
runs), the target 5,000 calls/s.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flowc.flowtest import load_scenario_file
from flowc.interpreter import Program
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.replay import RecordedCall, build_report, replay_call
from flowc.replay.format import merge_parts
from flowc.simulate import Simulator, compile_file
from flowc_app.gctune import rare_full_collections
from runtime.journal import ReplayLog
from runtime.replay_log import ReplayRecorder

ROOT = Path(__file__).resolve().parent.parent
TARGET = 5000


@dataclasses.dataclass
class _Bundle:
    hash: str = "bench"
    versions: dict[str, str] = dataclasses.field(default_factory=dict)


class _Journal:
    def __init__(self) -> None:
        self.logs: list[ReplayLog] = []

    def record(self, item: Any) -> None:
        if isinstance(item, ReplayLog):
            self.logs.append(item)


class _Driver:
    """What the recorder reads of a call's driver."""

    def __init__(self, sim: Simulator, journal: _Journal) -> None:
        self.program = sim.flow.program
        self.call = sim.call
        self.journal = journal
        self.flow = sim.flow.program.name
        self.bundle = _Bundle()
        self.info = sim.call.info
        self.call_id = "bench"
        self._sim = sim

    def now(self) -> datetime:
        return self._sim.now


class _Watched(Simulator):
    """The simulator with the replay recorder seeing each command and event."""

    recorder: ReplayRecorder
    driver: _Driver

    def _execute(self, c: cmd.Command) -> None:
        self.recorder("bench", c)
        super()._execute(c)

    def watch(self, journal: _Journal) -> None:
        self.driver = _Driver(self, journal)  # the recorder holds it weakly
        self.recorder = ReplayRecorder(self.driver, None, journal)
        handle = self.call.handle

        def seen(event: ev.Event) -> list[cmd.Command]:
            self.recorder("bench", event)
            return handle(event)

        self.call.handle = seen  # type: ignore[method-assign]


def recorded_examples() -> tuple[dict[str, Program], list[RecordedCall]]:
    programs: dict[str, Program] = {}
    calls: list[RecordedCall] = []
    for path in sorted((ROOT / "examples").glob("*.test.yaml")):
        sf = load_scenario_file(path, str(path.relative_to(ROOT)))
        flow = compile_file(sf.flow)
        programs[flow.program.name] = flow.program
        for sc in sf.scenarios:
            if sc.skip:
                continue
            journal = _Journal()
            sim = _Watched(flow, sc, keep_transcript=False)
            sim.watch(journal)
            sim.run()
            data = journal.logs[0].data
            if len(journal.logs) == 2:  # the parts before and after an agent
                data = merge_parts(data, journal.logs[1].data)
            calls.append(RecordedCall.from_log(sc.name, data))
    return programs, calls


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=20000)
    args = ap.parse_args()
    programs, base = recorded_examples()
    calls = [dataclasses.replace(base[i % len(base)], call_id=f"c{i}") for i in range(args.calls)]
    answers = sum(len(c.events) for c in calls)
    for rec in base:  # warm up (compiled expressions, prompt hashes)
        replay_call(programs[rec.flow], rec)
    gc.collect()
    gc.freeze()
    rare_full_collections()  # as `flowc replay` runs: the command line's GC setting
    t0 = time.process_time()
    pairs = [(rec, replay_call(programs[rec.flow], rec)) for rec in calls]
    took = time.process_time() - t0
    report = build_report(pairs)
    rate = len(calls) / took
    print(
        f"recorded calls: {len(base)} example scenarios in {len(programs)} flows,"
        f" {answers / len(calls):.1f} answers per call"
    )
    print(
        f"replayed {len(calls):,} calls in {took:.2f} s CPU: {rate:,.0f} calls/s,"
        f" {answers / took:,.0f} answers/s (target {TARGET:,} calls/s:"
        f" {'met' if rate >= TARGET else 'NOT met'})"
    )
    print(f"identical: {report.identical:,} of {report.calls:,}")
    if report.identical != report.calls:
        sys.exit("the unchanged programs must replay every call identically")


if __name__ == "__main__":
    main()
