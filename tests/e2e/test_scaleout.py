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
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from runtime.emulator import CallSpec, Dialplan, place_call
from runtime.journal import open_journal
from runtime.journal.pgserver import PgServer
from runtime.scenario_calls import generated_dialplan
from tests.e2e.two_instances import free_port, short_call

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "tests" / "server" / "flows"
CALLS = 240
CONCURRENCY = 24
STOP_AFTER = 80  # calls started before instance A is stopped


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


def _took_call(rec: Any) -> list[int]:
    """The sockets (indexes into ``rec.sockets``) on which the runtime sent ``connect``:
    the instance took the call there (messages on socket n > 0 carry ``"socket": n``)."""
    return sorted(
        {
            int(m.get("socket", 0))
            for m in rec.messages
            if m["dir"] == "to_switch" and str(m["data"]).split("\n", 1)[0].strip() == "connect"
        }
    )


async def dial_failover(targets: list[tuple[str, int]], spec: CallSpec) -> tuple[Any, list[int]]:
    """The call runs the generated dialplan: its socket action for the first target, then,
    if that one returns, for the next; returns the record and the targets that took the
    call, in order (empty: none).

    A target took the call where the runtime sent ``connect``, not where a TCP connection
    was merely made: a connection the kernel completes in A's listen backlog just as A
    closes its port on SIGTERM is reset unread; the socket action returns, and with
    ``flowc_served`` unset the dialplan goes on to B (``flowc_next_2``, as FreeSWITCH does
    in Qc_two_instances_first_stopped.jsonl:176-240), so such a call's first connected
    socket is A while B served it.  Under SIGKILL, A may take a call and die before its
    ``uuid_setvar flowc_served`` lands: the dialplan then goes on to B as well, and B serves
    it (both took it)."""
    rec = await place_call(spec, timeout=60, time_scale=1.0)
    ports = [port for _, port in targets]
    return rec, [ports.index(rec.sockets[i].port) for i in _took_call(rec)]


def _handed_over(rec: Any, taken: list[int]) -> bool:
    """The call's socket to A connected but B served it: A dropped the connection, unread
    (SIGTERM) or before marking the call served (SIGKILL)."""
    first = rec.sockets[0] if rec.sockets else None
    return taken[-1:] == [1] and first is not None and first.outcome == "connected"


async def _load(
    targets: list[tuple[str, int]], dialplan: Dialplan, stop: Any
) -> tuple[list[tuple[CallSpec, Any, list[int], float]], float]:
    results: list[tuple[CallSpec, Any, list[int], float]] = []
    started = 0
    stopped_at = 0.0
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        async with sem:
            spec = short_call(i, dialplan)
            t = time.monotonic()
            rec, taken = await dial_failover(targets, spec)
            results.append((spec, rec, taken, t))

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


def _scale_out(pg_server: PgServer, sig: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="flowc-scale-"))
    bundle = _compile(tmp / "build")
    url = pg_server.create_database()
    pa, pb = free_port(), free_port()
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


def test_sigterm_one_instance_mid_load(pg_server: PgServer) -> None:
    out = _scale_out(pg_server, signal.SIGTERM)
    results = out["results"]
    assert out["codes"] == (0, 0), out["logs"]
    assert len(results) == CALLS
    served = {0: 0, 1: 0}
    fell_back = 0
    handed_over = 0
    for spec, rec, taken, started in results:
        row = out["rows"][spec.uuid]
        if not rec.ok and _raced(rec, started, out["stopped_at"]):
            # connected in the instant A closed its port: A closed the socket without
            # serving the call; the runtime never had it
            fell_back += 1
            assert row is None
            continue
        assert rec.ok, (rec.closed_by, rec.error)
        # a draining instance finishes every call it took: no call is taken twice
        assert len(taken) == 1, (spec.uuid, rec.sockets, taken)
        target = taken[0]
        served[target] += 1
        assert row is not None and row["outcome"] == "hangup", row
        assert row["instance"] == "AB"[target], (target, rec.sockets)
        if _handed_over(rec, taken):
            # A's port closed under this connection: only at the instant A stopped
            assert abs(started - out["stopped_at"]) < 1.0, (started, out["stopped_at"])
            handed_over += 1
        if started > out["stopped_at"] + 0.5:
            assert target == 1  # new calls go to the instance still up
    assert fell_back + handed_over <= CONCURRENCY
    assert served[0] >= STOP_AFTER - CONCURRENCY and served[1] > 0
    assert out["calls"] == out["ends"] == CALLS - fell_back
    assert out["orphans"] == 0 and out["dupes"] == 0


def test_sigkill_one_instance_mid_load(pg_server: PgServer) -> None:
    out = _scale_out(pg_server, signal.SIGKILL)
    results = out["results"]
    assert out["codes"][0] == -signal.SIGKILL and out["codes"][1] == 0
    # B served the call when it was the last to take it
    on_b = [(s, r, taken, t) for s, r, taken, t in results if taken[-1:] == [1]]
    assert len(on_b) > CALLS - STOP_AFTER - CONCURRENCY
    for spec, rec, taken, started in on_b:  # the surviving instance: every call whole
        row = out["rows"][spec.uuid]
        assert row is not None and row["outcome"] == "hangup", row
        if not _handed_over(rec, taken):
            assert taken == [1] and rec.ok, (taken, rec.closed_by, rec.error)
            assert row["instance"] == "B", row
            continue
        # A dropped its connection as it died: only at the instant A was killed.  The
        # record keeps that socket's reset (``closed_by`` ``error``) though B served the
        # call to its end: B's journal says so (outcome hangup, at goodbye).
        assert abs(started - out["stopped_at"]) < 1.0, (started, out["stopped_at"])
        assert rec.ok or "connection lost" in (rec.error or ""), (rec.closed_by, rec.error)
        if taken == [1]:
            assert row["instance"] == "B", row
        else:
            # A took it first and died before marking it served; the calls row is the
            # first written (ON CONFLICT DO NOTHING): B's, or A's if A's flush got there
            assert taken == [0, 1] and row["instance"] in ("A", "B"), (taken, row)
    for _, _, taken, started in results:
        if started > out["stopped_at"] + 0.5:
            assert taken == [1], "a call went to the killed instance"
    # what reached the database is whole: no end without its call, no duplicate step
    assert out["orphans"] == 0 and out["dupes"] == 0
    assert out["ends"] <= out["calls"] <= CALLS
