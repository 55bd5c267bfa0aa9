"""Scale-out: two runtime instances (`flowc serve` processes) behind one DID, one PostgreSQL
journal. The emulated switch runs the dialplan `flowc compile --target freeswitch` writes for
the two (`runtime.scenario_calls.generated_dialplan`): a socket action for A and, when it
returns, one for B: FreeSWITCH's `socket` application takes one address and, when the
connection is refused, returns and lets the dialplan go on (mod_event_socket
`socket_function`), so B gets the calls A cannot take. One instance is stopped mid-load:
new calls go to the other, and the journal holds every call exactly once.

* SIGTERM: the instance stops accepting at once, finishes its calls (drain) and flushes its
  journal: every call is complete, whichever instance served it.
* SIGKILL: the instance's calls in progress are cut and whatever its journal had queued is
  lost (at most the journal's flush interval); what reached the database is whole: no end
  without its call, no duplicate, and every call the other instance served is complete.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.emulator import CallerScript, CallSpec, Dialplan, place_call
from runtime.journal import open_journal
from runtime.journal.pgserver import PgNotFoundError, PgServer
from runtime.scenario_calls import generated_dialplan

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "tests" / "server" / "flows"
CALLS = 240
CONCURRENCY = 24
STOP_AFTER = 80  # calls started before instance A is stopped


@pytest.fixture(scope="module")
def pg() -> Iterator[PgServer]:
    try:
        server = PgServer.start(durable=False)
    except PgNotFoundError as exc:  # pragma: no cover - scripts/setup.sh installs it
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _compile(out: Path) -> Path:
    from flowc.compiler.bundle import compile_paths

    lines: list[str] = []
    assert compile_paths([FLOWS], out, echo=lines.append) == 0, lines
    return out


def _serve(bundle: Path, port: int, journal: str, name: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flowc_app",
            "serve",
            "--bundle",
            str(bundle),
            "--listen",
            f"127.0.0.1:{port}",
            "--env",
            "test",
            "--journal",
            journal,
            "--metrics",
            "none",
            "--instance",
            name,
            "--drain-timeout",
            "20",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )


async def _wait_listening(port: int) -> None:
    async with asyncio.timeout(30):
        while True:
            try:
                _, w = await asyncio.open_connection("127.0.0.1", port)
                w.close()
                return
            except OSError:
                await asyncio.sleep(0.05)


def _spec(i: int, dialplan: Dialplan) -> CallSpec:
    # a short call: the menu (nothing pressed: 9 is no option) twice, then goodbye
    script = CallerScript(
        inputs=["9", "9"],
        prompt_ms=60,
        tts_ms_per_char=1,
        digit_delay=0.05,
        inter_digit=0.02,
        dialplan=dialplan,
    )
    return CallSpec(caller=f"+86139{i:08d}", did="8001", script=script)


async def dial_failover(targets: list[tuple[str, int]], spec: CallSpec) -> tuple[Any, int]:
    """The call runs the generated dialplan: its socket action for the first target, then,
    if that one returns, for the next; returns the record and which target took the call
    (-1: none)."""
    rec = await place_call(spec, timeout=60, time_scale=1.0)
    ports = [port for _, port in targets]
    taken = [ports.index(s.port) for s in rec.sockets if s.outcome == "connected"]
    return rec, taken[0] if taken else -1


async def _load(
    targets: list[tuple[str, int]], dialplan: Dialplan, stop: Any
) -> tuple[list[tuple[CallSpec, Any, int, float]], float]:
    results: list[tuple[CallSpec, Any, int, float]] = []
    started = 0
    stopped_at = 0.0
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        async with sem:
            spec = _spec(i, dialplan)
            t = time.monotonic()
            rec, target = await dial_failover(targets, spec)
            results.append((spec, rec, target, t))

    tasks = []
    for i in range(CALLS):
        await sem.acquire()
        sem.release()
        started += 1
        if started == STOP_AFTER:
            stop()
            stopped_at = time.monotonic()
        tasks.append(asyncio.create_task(one(i)))
        await asyncio.sleep(0.005)
    await asyncio.gather(*tasks)
    return results, stopped_at


def _scale_out(pg: PgServer, sig: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="flowc-scale-"))
    bundle = _compile(tmp / "build")
    url = pg.create_database()
    pa, pb = _port(), _port()
    dialplan = generated_dialplan(bundle, "test", [f"127.0.0.1:{pa}", f"127.0.0.1:{pb}"])
    a = _serve(bundle, pa, url, "A", tmp / "a.log")
    b = _serve(bundle, pb, url, "B", tmp / "b.log")
    out: dict[str, Any] = {}
    try:

        async def scenario() -> None:
            await _wait_listening(pa)
            await _wait_listening(pb)
            results, stopped_at = await _load(
                [("127.0.0.1", pa), ("127.0.0.1", pb)], dialplan, lambda: a.send_signal(sig)
            )
            out["results"] = results
            out["stopped_at"] = stopped_at

        asyncio.run(scenario())
        a.wait(timeout=60)
        b.send_signal(signal.SIGTERM)
        b.wait(timeout=60)
        out["codes"] = (a.returncode, b.returncode)

        async def read() -> None:
            j = open_journal(url)
            await j.open()
            try:
                rows = {}
                for spec, _, _, _ in out["results"]:
                    rows[spec.uuid] = await j.fetch_call(spec.uuid)
                out["rows"] = rows
                out["calls"] = await j.count("calls")
                out["ends"] = await j.count("call_ends")
                orphans = await j._query(
                    "SELECT count(*) AS n FROM call_ends e LEFT JOIN calls c"
                    " ON c.call_id = e.call_id WHERE c.call_id IS NULL",
                    (),
                )
                out["orphans"] = int(orphans[0]["n"])
                dupes = await j._query(
                    "SELECT count(*) AS n FROM (SELECT call_id, seq FROM steps"
                    " GROUP BY call_id, seq HAVING count(*) > 1) d",
                    (),
                )
                out["dupes"] = int(dupes[0]["n"])
            finally:
                await j.close()

        asyncio.run(read())
    finally:
        for proc in (a, b):
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    out["logs"] = (tmp / "a.log").read_text(errors="replace")[-2000:]
    return out


def _raced(rec: Any, started: float, stopped_at: float) -> bool:
    """A call that connected to A as it stopped: A closed it without serving it."""
    return abs(started - stopped_at) < 1.0 and not rec.connected


def test_sigterm_one_instance_mid_load(pg: PgServer) -> None:
    out = _scale_out(pg, signal.SIGTERM)
    results = out["results"]
    assert out["codes"] == (0, 0), out["logs"]
    assert len(results) == CALLS
    served = {0: 0, 1: 0}
    fell_back = 0
    for spec, rec, target, started in results:
        row = out["rows"][spec.uuid]
        if not rec.ok and _raced(rec, started, out["stopped_at"]):
            # connected in the instant A closed its port: A closed the socket without
            # serving the call; the runtime never had it
            fell_back += 1
            assert row is None
            continue
        assert rec.ok, (rec.closed_by, rec.error)
        assert target in (0, 1)
        served[target] += 1
        assert row is not None and row["outcome"] == "hangup", row
        assert row["instance"] == "AB"[target]
        if started > out["stopped_at"] + 0.5:
            assert target == 1  # new calls go to the instance still up
    assert fell_back <= CONCURRENCY
    assert served[0] >= STOP_AFTER - CONCURRENCY and served[1] > 0
    assert out["calls"] == out["ends"] == CALLS - fell_back
    assert out["orphans"] == 0 and out["dupes"] == 0


def test_sigkill_one_instance_mid_load(pg: PgServer) -> None:
    out = _scale_out(pg, signal.SIGKILL)
    results = out["results"]
    assert out["codes"][0] == -signal.SIGKILL and out["codes"][1] == 0
    on_b = [(s, r) for s, r, t, started in results if t == 1]
    assert len(on_b) > CALLS - STOP_AFTER - CONCURRENCY
    for spec, rec in on_b:  # the surviving instance: every call whole
        row = out["rows"][spec.uuid]
        assert rec.ok and row is not None and row["instance"] == "B"
        assert row["outcome"] == "hangup"
    for _, _, target, started in results:
        if started > out["stopped_at"] + 0.5:
            assert target == 1, "a call went to the killed instance"
    # what reached the database is whole: no end without its call, no duplicate step
    assert out["orphans"] == 0 and out["dupes"] == 0
    assert out["ends"] <= out["calls"] <= CALLS
