"""Bare-protocol baseline for the runtime benchmark: runtime.esl.aio alone vs the switch emulator.

    python bench/emulator_baseline.py [--levels 100 1000 5000] [--hold 5] [--json]

A minimal outbound handler written directly on ``runtime.esl.aio`` (connect,
myevents json, linger, uuid_setvar, answer, play_and_get_digits, set, hangup, exit: what the
runtime sends for the benchmark flow) is served on 127.0.0.1 in its own process;
``runtime.emulator.aio.measure_load`` drives it with emulated FreeSWITCH calls (the
caller presses one digit and ``#``).  Two passes per concurrency level:

* throughput: ``2 x level`` calls (at least 1,000), at most ``level`` at once,
  the caller never waits (``time_scale=0``): calls/s is the handler's capacity;
* held: ``level`` calls whose caller thinks ``--hold`` seconds (real time)
  before pressing the digits, so ``level`` calls really are up at the same
  time: event-to-command latency and memory per call under that load.

Reported: calls/s; event-to-command latency p50/p99 (from the emulator writing
an application's CHANNEL_EXECUTE_COMPLETE to it receiving the next
``sendmsg`` on that call, ``runtime.emulator.metrics.LatencyRecorder``); call
duration p50/p99; memory per call = peak RSS growth of the handler process
(and of the emulator process) / peak number of calls in flight; failures.
Call slots open over ``level/1000`` s (``--ramp``): a switch does not open thousands of
calls in one instant, and such a burst would measure the kernel's SYN handling more than
the server (``serve_outbound`` listens with a backlog of 4096).

The full-runtime benchmark uses the same harness (``measure_load``) with the
runtime's server instead of ``handler`` below, so the two are comparable.
Both processes share the machine's CPUs; run on an otherwise idle host.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import multiprocessing as mp
import resource
import sys
import uuid
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime.emulator import CallerScript, CallSpec, LatencyRecorder
from runtime.emulator.aio import Measurement, measure_load
from runtime.esl import AsyncESL, serve_outbound
from runtime.esl import commands as cmd

PAGD = cmd.pagd_args(
    1, 4, 1, 600_000, "#", "tone_stream://%(200,0,800)", "", "ivr_digits", r"\d+", 2000
)


async def handler(esl: AsyncESL) -> None:
    """The bare protocol: the runtime's exchanges for the benchmark flow (a collect, then a
    hang-up), byte for byte in kind and order, with no runtime logic at all."""
    setup = [
        esl.send_nowait(cmd.myevents("json")),
        esl.send_nowait(cmd.linger()),
        esl.send_nowait(cmd.api(f"uuid_setvar {esl.channel_uuid} flowc_served 1")),
    ]
    await asyncio.gather(*setup)  # written back to back, as the runtime does
    await esl.execute("answer")
    done = await esl.execute("play_and_get_digits", PAGD)
    if not esl.hangup_seen:
        # The runtime mirrors the collected variable and hangs up without waiting in between.
        digits = done.variable("ivr_digits") or ""
        esl.send_nowait(cmd.sendmsg_execute("set", f"flowc_var_code={digits}", str(uuid.uuid4())))
        await esl.command(cmd.sendmsg_hangup("NORMAL_CLEARING"))
    await esl.wait_disconnect_notice()
    await esl.exit()


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _serve(conn: Connection) -> None:
    raise_fd_limit()
    # Overload shows in the emulator's numbers; one log line per dropped call would swamp them.
    logging.disable(logging.WARNING)

    async def main() -> None:
        server = await serve_outbound(handler, "127.0.0.1", 0, timeout=60.0)
        conn.send(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()  # until terminated

    asyncio.run(main())


@contextlib.contextmanager
def handler_process() -> Iterator[tuple[int, int]]:
    """A fresh process serving ``handler`` (fresh, so its RSS growth belongs to one pass)."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(child,), daemon=True)
    proc.start()
    try:
        if not parent.poll(30):
            raise RuntimeError("handler process did not start")
        port = int(parent.recv())
        assert proc.pid is not None
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.join(10)


def make_spec(hold: float) -> Callable[[int], CallSpec]:
    def spec(i: int) -> CallSpec:
        script = CallerScript(inputs=[f"{i % 10}#"], digit_delay=hold or 0.4)
        return CallSpec(caller=f"+86138{i:08d}", did="5000", script=script)

    return spec


def level(
    port: int, pid: int, calls: int, concurrency: int, hold: float, args: argparse.Namespace
) -> Measurement:
    ramp = args.ramp if args.ramp is not None else concurrency / 1000
    return asyncio.run(
        measure_load(
            "127.0.0.1",
            port,
            calls,
            concurrency,
            make_spec(hold),
            server_pid=pid,
            timeout=args.timeout,
            time_scale=1.0 if hold else 0.0,
            latency=LatencyRecorder(),
            ramp=ramp,
        )
    )


def row(mode: str, concurrency: int, m: Measurement) -> dict[str, object]:
    r = m.result
    lat = r.latency_summary()
    dur = r.duration_summary()
    return {
        "mode": mode,
        "concurrency": concurrency,
        "calls": r.calls,
        "completed": r.completed,
        "failed": r.failed,
        "peak_in_flight": m.peak_concurrency,
        "wall_s": round(r.wall_time, 3),
        "calls_per_s": round(r.calls_per_second, 1),
        "latency_p50_ms": round(lat.p50 * 1000, 3),
        "latency_p99_ms": round(lat.p99 * 1000, 3),
        "call_p50_ms": round(dur.p50 * 1000, 1),
        "call_p99_ms": round(dur.p99 * 1000, 1),
        "server_kib_per_call": round(m.server_bytes_per_call / 1024, 1),
        "emulator_kib_per_call": round(m.emulator_bytes_per_call / 1024, 1),
        "errors": r.errors,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--levels", type=int, nargs="+", default=[100, 1000, 5000])
    p.add_argument(
        "--calls", type=int, default=0, help="calls per level (default: 2x the level, >= 1000)"
    )
    p.add_argument(
        "--hold", type=float, default=5.0, help="caller think time in the held pass, seconds"
    )
    p.add_argument(
        "--ramp",
        type=float,
        default=None,
        help="seconds over which the call slots open (default: level/1000, i.e. 1000 new "
        "connections per second; 0 = all at once, which overflows the listen backlog)",
    )
    p.add_argument("--timeout", type=float, default=120.0, help="per-call timeout, seconds")
    p.add_argument("--json", action="store_true", help="print one JSON object per level")
    args = p.parse_args(argv)
    limit = raise_fd_limit()
    if max(args.levels) * 2 + 100 > limit:
        print(
            f"warning: open-file limit {limit} is low for {max(args.levels)} calls", file=sys.stderr
        )
    columns = [
        ("pass", "mode", 10),
        ("conc", "concurrency", 6),
        ("calls", "calls", 6),
        ("ok", "completed", 6),
        ("peak", "peak_in_flight", 6),
        ("calls/s", "calls_per_s", 8),
        ("lat p50 ms", "latency_p50_ms", 11),
        ("lat p99 ms", "latency_p99_ms", 11),
        ("call p50 ms", "call_p50_ms", 12),
        ("call p99 ms", "call_p99_ms", 12),
        ("srv KiB/call", "server_kib_per_call", 13),
        ("emu KiB/call", "emulator_kib_per_call", 13),
    ]
    if not args.json:
        print(" ".join(f"{title:>{width}}" for title, _, width in columns))
    for conc in args.levels:
        passes = [("throughput", args.calls or max(2 * conc, 1000), 0.0)]
        if args.hold > 0:
            passes.append(("held", conc, args.hold))
        for mode, calls, hold in passes:
            with handler_process() as (port, pid):
                level(port, pid, 50, 10, 0.0, args)  # warm-up (imports, caches)
                m = level(port, pid, calls, conc, hold, args)
            data = row(mode, conc, m)
            if args.json:
                print(json.dumps(data))
            else:
                print(" ".join(f"{data[key]!s:>{width}}" for _, key, width in columns))
                for err, count in list(m.result.errors.items())[:5]:
                    print(f"       {count} x {err}")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
