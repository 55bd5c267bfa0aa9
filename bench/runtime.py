"""The full runtime under emulated FreeSWITCH load, next to the bare-protocol baseline.

    python bench/runtime.py [--levels 100 1000 5000] [--hold 5] [--json] [--quick]

Two servers, each in a fresh process pinned to one CPU core (the emulator gets the other
cores), driven by the same harness (`runtime.emulator.aio.measure_load`) with the same
calls (the caller presses one digit and `#`):

* baseline: `bench/emulator_baseline.py`'s handler, the bare protocol written directly on
  `runtime.esl.aio` (myevents, linger, answer, play_and_get_digits, hangup, exit);
* runtime: `flowc serve` on a compiled one-collect flow (`collect` -> `hangup`): channel data
  -> flow by DID, the interpreter, the driver, metrics, the SQLite journal (a call record,
  a step per node and the call's end, flushed before the process reports its memory).

Two passes per concurrency level: `throughput` (2 x level calls, at least 1,000, at most
`level` at once, the caller never waits: calls/s is the server's capacity), and `held`:
`level` calls arriving at `--rate` new calls per second (a real switch does not open
thousands of calls in one instant), each caller thinking until every call is up (the
ramp + 2 s, or `--hold`; the collect waits up to 600 s, so nobody times out while thinking),
so `level` calls really are live together while the latency of
every event-to-command step is measured; memory per call is the peak RSS growth / peak
calls in flight of that pass. CPU ms/call is the server process's user + system CPU time
over the pass / completed calls: the cost of a call, unlike calls/s, barely moves when other
work shares the machine.

Targets (printed with the table): at 1,000 concurrent calls the runtime reaches >= 80 % of
the baseline's calls/s and its p99 event-to-command latency is < 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import emulator_baseline as base  # noqa: E402
from runtime.emulator import LatencyRecorder  # noqa: E402
from runtime.emulator.aio import Measurement, measure_load  # noqa: E402
from runtime.server import rare_full_collections  # noqa: E402

FLOW = """\
flowc: 1
flow: bench
entry: ask
locale: en-US
locales: [en-US]
variables:
  code: {type: string, default: ""}
nodes:
  ask:
    collect:
      into: code
      prompt: {audio: "tone_stream://%(200,0,800)"}
      min: 1
      max: 4
      terminator: "#"
      retries: 1
      timeout: 600s
      inter_digit_timeout: 2s
      on_fail: bye
    next: bye
  bye: {hangup: NORMAL_CLEARING}
"""
BINDINGS = """\
environment: bench
flows:
  bench: {dids: ["5000"]}
"""


def compile_bench_bundle(folder: Path) -> Path:
    from flowc.compiler.bundle import compile_paths

    src = folder / "src"
    (src / "bindings").mkdir(parents=True, exist_ok=True)
    (src / "bench.yaml").write_text(FLOW, encoding="utf-8")
    (src / "bindings" / "bench.yaml").write_text(BINDINGS, encoding="utf-8")
    out = folder / "build"
    lines: list[str] = []
    if compile_paths([src], out, echo=lines.append) != 0:
        raise RuntimeError("\n".join(lines))
    return out


def _pin(pid: int, cpus: set[int]) -> None:
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(pid, cpus)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux /proc), or NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class GcPauses:
    """Time the cyclic garbage collector stops the process (gc.callbacks): a full collection
    with many live calls is a pause every call waits out."""

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.longest = 0.0
        self._t0 = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
            return
        took = time.perf_counter() - self._t0
        self.count += 1
        self.total += took
        self.longest = max(self.longest, took)

    def reset(self) -> None:
        self.count, self.total, self.longest = 0, 0.0, 0.0


def _pct(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    return samples[min(len(samples) - 1, int(len(samples) * q / 100))]


def _serve_runtime(conn: Connection, bundle: str, journal: str) -> None:
    base.raise_fd_limit()
    from runtime.logs import setup_logging
    from runtime.server import Runtime, ServeConfig

    setup_logging("error")
    pauses = GcPauses()

    async def main() -> None:
        config = ServeConfig(
            bundle=Path(bundle),
            listen=[("127.0.0.1", 0)],
            env="bench",
            journal=journal,
            reload_interval=0,
            instance="bench",
            esl_timeout=120.0,
            tune_process=True,  # as `flowc serve` runs
        )
        rt = Runtime(config)
        await rt.start()
        conn.send(rt.port)
        loop = asyncio.get_running_loop()
        while True:  # serve; answer "flush" requests until terminated
            ready = await loop.run_in_executor(None, conn.poll, 0.2)
            if ready:
                msg = conn.recv()
                if msg == "flush" and rt.journal is not None:
                    await rt.journal.flush()
                    samples = sorted(rt.metrics.latency_samples)
                    conn.send(
                        {
                            "written": rt.journal.written,
                            "dropped": rt.journal.dropped,
                            "internal_p50_ms": _pct(samples, 50) * 1000,
                            "internal_p99_ms": _pct(samples, 99) * 1000,
                            "gc_count": pauses.count,
                            "gc_total_ms": pauses.total * 1000,
                            "gc_longest_ms": pauses.longest * 1000,
                        }
                    )
                elif msg == "reset":
                    rt.metrics.latency_samples.clear()
                    pauses.reset()
                    conn.send("ok")

    asyncio.run(main())


@contextlib.contextmanager
def runtime_process(bundle: Path, journal: str) -> Iterator[tuple[int, int, Connection]]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve_runtime, args=(child, str(bundle), journal), daemon=True)
    proc.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("runtime process did not start")
        port = int(parent.recv())
        assert proc.pid is not None
        yield port, proc.pid, parent
    finally:
        proc.terminate()
        proc.join(10)


@contextlib.contextmanager
def baseline_process() -> Iterator[tuple[int, int, Connection | None]]:
    with base.handler_process() as (port, pid):
        yield port, pid, None


def measure(
    port: int, pid: int, calls: int, concurrency: int, hold: float, args: argparse.Namespace
) -> Measurement:
    if hold:
        ramp = concurrency / args.rate
    else:
        ramp = args.ramp if args.ramp is not None else concurrency / 1000
    return asyncio.run(
        measure_load(
            "127.0.0.1",
            port,
            calls,
            concurrency,
            base.make_spec(hold),
            server_pid=pid,
            timeout=args.timeout,
            time_scale=1.0 if hold else 0.0,
            latency=LatencyRecorder(),
            ramp=ramp,
        )
    )


def quiet_instrument() -> None:
    """The emulator is the measuring instrument: its own full garbage collections (thousands
    of emulated channels) would be counted as the server's latency. Make them rare here; each
    pass starts with a collection (`run_pass`), so what one pass leaves does not pause the
    next."""
    rare_full_collections()


def run_pass(
    server: Callable[[], Any],
    calls: int,
    concurrency: int,
    hold: float,
    args: argparse.Namespace,
    cpus: set[int],
) -> tuple[Measurement, dict[str, Any]]:
    """One pass against a fresh server process: the load's measurement and the server's own
    figures (CPU ms per completed call; for the runtime, journal counts and its in-process
    latency)."""
    with server() as (port, pid, conn):
        _pin(pid, cpus)
        measure(port, pid, 50, 10, 0.0, args)  # warm-up (imports, caches)
        gc.collect()
        if conn is not None:
            conn.send("reset")
            conn.poll(30)
            conn.recv()
        cpu0 = cpu_seconds(pid)
        m = measure(port, pid, calls, concurrency, hold, args)
        cpu = cpu_seconds(pid) - cpu0
        stats: dict[str, Any] = {"cpu_ms_per_call": cpu * 1000 / max(m.result.completed, 1)}
        if conn is not None:
            conn.send("flush")
            if conn.poll(120):
                stats.update(conn.recv())
    return m, stats


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--levels", type=int, nargs="+", default=[100, 1000, 5000])
    p.add_argument("--calls", type=int, default=0, help="calls per throughput pass")
    p.add_argument(
        "--hold",
        type=float,
        default=None,
        help="caller think time (held pass), s (default: ramp + 2)",
    )
    p.add_argument("--rate", type=float, default=100.0, help="new calls/s in the held pass")
    p.add_argument("--no-held", action="store_true", help="only the throughput pass")
    p.add_argument("--held-only", action="store_true", help="only the held pass")
    p.add_argument("--ramp", type=float, default=None, help="seconds to open the call slots")
    p.add_argument("--timeout", type=float, default=120.0, help="per-call timeout, s")
    p.add_argument("--quick", action="store_true", help="levels 100 1000, hold 2 s")
    p.add_argument("--json", action="store_true", help="one JSON object per row")
    args = p.parse_args(argv)
    if args.quick:
        args.levels, args.rate = [100, 1000], 200.0
    limit = base.raise_fd_limit()
    if max(args.levels) * 2 + 100 > limit:
        print(f"warning: open-file limit {limit} is low", file=sys.stderr)
    ncpu = os.cpu_count() or 1
    server_cpus = {0}
    _pin(0, set(range(1, ncpu)) or {0})  # the emulator (this process) off the server's core
    quiet_instrument()

    tmp = Path(tempfile.mkdtemp(prefix="flowc-bench-"))
    bundle = compile_bench_bundle(tmp)
    columns = [
        ("server", "server", 9),
        ("pass", "mode", 10),
        ("conc", "concurrency", 6),
        ("calls", "calls", 6),
        ("ok", "completed", 6),
        ("peak", "peak_in_flight", 6),
        ("calls/s", "calls_per_s", 8),
        ("lat p50 ms", "latency_p50_ms", 11),
        ("lat p99 ms", "latency_p99_ms", 11),
        ("srv KiB/call", "server_kib_per_call", 13),
        ("CPU ms/call", "cpu_ms_per_call", 12),
        ("vs base", "ratio", 8),
        ("in-rt p50/p99 ms", "internal", 17),
        ("GC max ms", "gc_longest_ms", 10),
    ]
    if not args.json:
        print(f"one server core (cpu 0); emulator on cpus {sorted(set(range(1, ncpu)) or {0})}")
        print(" ".join(f"{title:>{width}}" for title, _, width in columns))
    results: dict[tuple[str, str, int], dict[str, Any]] = {}
    for conc in args.levels:
        passes = [] if args.held_only else [("throughput", args.calls or max(2 * conc, 1000), 0.0)]
        if not args.no_held:
            hold = args.hold if args.hold is not None else conc / args.rate + 2.0
            passes.append(("held", conc, hold))
        for mode, calls, hold in passes:
            for name, server in (("baseline", baseline_process), ("runtime", None)):
                if server is None:
                    journal = f"sqlite:///{tmp / f'journal-{conc}-{mode}.db'}"

                    def server(j: str = journal) -> Any:
                        return runtime_process(bundle, j)

                m, jstats = run_pass(server, calls, conc, hold, args, server_cpus)
                data = base.row(mode, conc, m)
                data["server"] = name
                data["internal"] = ""
                data["gc_longest_ms"] = ""
                data["cpu_ms_per_call"] = round(jstats.pop("cpu_ms_per_call"), 3)
                if "internal_p50_ms" in jstats:
                    data["journal"] = jstats
                    data["internal"] = (
                        f"{jstats['internal_p50_ms']:.2f}/{jstats['internal_p99_ms']:.2f}"
                    )
                    data["gc_longest_ms"] = f"{jstats['gc_longest_ms']:.1f}"
                ref = results.get(("baseline", mode, conc))
                data["ratio"] = (
                    f"{data['calls_per_s'] / ref['calls_per_s']:.0%}"
                    if ref and mode == "throughput" and ref["calls_per_s"]
                    else ""
                )
                results[(name, mode, conc)] = data
                if args.json:
                    print(json.dumps(data))
                else:
                    print(" ".join(f"{data[key]!s:>{width}}" for _, key, width in columns))
                    for err, count in list(m.result.errors.items())[:5]:
                        print(f"       {count} x {err}")
                sys.stdout.flush()
    if not args.json and 1000 in args.levels:
        rt = results.get(("runtime", "throughput", 1000))
        bl = results.get(("baseline", "throughput", 1000))
        held = results.get(("runtime", "held", 1000)) or rt
        if rt and bl and held:
            share = rt["calls_per_s"] / bl["calls_per_s"] if bl["calls_per_s"] else 0.0
            p99 = held["latency_p99_ms"]
            print(
                f"\ntarget at 1,000 calls: runtime {share:.0%} of baseline calls/s (>= 80%: "
                f"{'met' if share >= 0.8 else 'NOT met'}); p99 {p99} ms (< 10 ms: "
                f"{'met' if p99 < 10 else 'NOT met'})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
