"""The runtime instance: hot reload, graceful drain, metrics and health, `flowc serve`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runtime.journal.pgserver import free_port
from runtime.server import Runtime, parse_hostport
from tests.server.fakeswitch import FakeCall, Script
from tests.server.serverkit import FLOWS, compile_bundle, running
from tests.server.test_calls import go

ROOT = Path(__file__).resolve().parents[2]


def _edit_flow(src: Path, old: str, new: str) -> None:
    shop = src / "shop.yaml"
    text = shop.read_text(encoding="utf-8")
    assert old in text
    shop.write_text(text.replace(old, new), encoding="utf-8")


def _flows_copy(tmp: Path) -> Path:
    import shutil

    dest = tmp / "flows"
    shutil.copytree(FLOWS, dest)
    return dest


async def _wait_for(predicate: Any, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def _http_get(port: int, path: str) -> tuple[int, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.decode().partition("\r\n\r\n")
    return int(head.split()[1]), body


async def _wait_healthy(port: int, timeout: float) -> None:
    """Until `/health` on `port` answers 200 (a `flowc serve` process has started)."""
    async with asyncio.timeout(timeout):
        while True:
            with contextlib.suppress(OSError):
                status, _ = await _http_get(port, "/health")
                if status == 200:
                    return
            await asyncio.sleep(0.05)


# ------------------------------------------------------------------ reload


def test_reload_serves_new_calls_while_old_calls_keep_their_program(tmp_path: Path) -> None:
    src = _flows_copy(tmp_path)
    build = compile_bundle(tmp_path / "build", src)

    async def scenario() -> None:
        async with running(build, tmp_path) as rt:
            old_hash = rt.store.current.hash
            # call A waits in the queue (the fake queue answers when the runtime breaks it)
            a = FakeCall(
                "127.0.0.1", rt.port, script=Script(inputs=["press 1"], queue=["max_wait"])
            )
            a_task = asyncio.create_task(a.run(20))
            await _wait_for(lambda: any(app == "callcenter" for app, _ in a.record.apps))
            (driver_a,) = rt.drivers
            old_program = driver_a.program

            _edit_flow(src, "Your number is", "Your phone number is")
            compile_bundle(build, src)
            assert await rt.reload("test")
            assert rt.store.current.hash != old_hash

            b = FakeCall("127.0.0.1", rt.port, script=Script(inputs=["press 5"]))
            await b.run(10)
            assert any(h.startswith("flite|kal|Your phone number is ") for h in b.record.heard)
            # A is still on the program it started with
            assert driver_a.program is old_program and driver_a.bundle.hash == old_hash
            a.hangup("NORMAL_CLEARING")
            await a_task
            await _wait_for(lambda: not rt.drivers)
            assert rt.journal is not None
            await rt.journal.flush()
            ra = await rt.journal.fetch_call(a.uuid)
            rb = await rt.journal.fetch_call(b.uuid)
            assert ra["flow_version"] != rb["flow_version"]
            assert ra["outcome"] == "caller_hangup" and rb["outcome"] == "hangup"
            assert rt.metrics.value("flowc_bundle_reloads_total", {"result": "loaded"}) == 2

    go(scenario())


def test_broken_bundle_is_rejected_and_the_old_one_keeps_serving(tmp_path: Path) -> None:
    build = compile_bundle(tmp_path / "build")

    async def scenario() -> None:
        async with running(build, tmp_path, reload_interval=0.05) as rt:
            good = rt.store.current.hash
            for broken in (
                "{ not json",
                json.dumps({"ir": "flowc-bundle", "flows": {}}),
                json.dumps(
                    {
                        "ir": "flowc-bundle",
                        "hash": "x",
                        "flows": {"shop": {"ir": "flowc-ir", "version": 99, "nodes": {}}},
                        "bindings": {"test": {}},
                    }
                ),
            ):
                before = rt.metrics.value("flowc_bundle_reloads_total", {"result": "rejected"})
                (build / "bundle.json").write_text(broken)
                await _wait_for(
                    lambda b=before: (
                        rt.metrics.value("flowc_bundle_reloads_total", {"result": "rejected"}) != b
                    )
                )
                assert rt.store.current.hash == good
                assert rt.health()["last_reload_error"]
            call = FakeCall("127.0.0.1", rt.port, script=Script(inputs=["press 9", "press 9"]))
            await call.run(10)
            assert call.record.hangup_cause == "NORMAL_CLEARING"
            # a good bundle again: picked up by the watcher
            compile_bundle(build)
            await _wait_for(lambda: rt.store.last_error is None)
            assert rt.store.current.hash == good

    go(scenario())


# ------------------------------------------------------------------ drain


def test_sigterm_drain_with_500_calls_in_progress(tmp_path: Path) -> None:
    build = compile_bundle(tmp_path / "build")
    n = 500

    async def scenario() -> None:
        async with running(build, tmp_path, drain_timeout=0.2) as rt:
            calls = [
                FakeCall(
                    "127.0.0.1", rt.port, script=Script(inputs=["press 1"], queue=["max_wait"])
                )
                for _ in range(n)
            ]
            tasks = [asyncio.create_task(c.run(60)) for c in calls]
            await _wait_for(
                lambda: all(any(a == "callcenter" for a, _ in c.record.apps) for c in calls), 60
            )
            assert len(rt.drivers) == n
            assert rt.metrics.value("flowc_calls_active") == n
            port = rt.port
            rt.request_stop("test")
            await asyncio.gather(*tasks)
            assert rt._stopping is not None
            await rt._stopping
            # nothing left hanging on either side
            assert all(c.hung_up and c.record.hangup_cause == "SYSTEM_SHUTDOWN" for c in calls)
            assert all(c.record.exits == 1 for c in calls)
            assert not rt.drivers and rt.metrics.value("flowc_calls_active") == 0
            # the port is closed: FreeSWITCH's failover would try the next instance
            with pytest.raises(OSError):
                await asyncio.open_connection("127.0.0.1", port)
            # the journal was flushed and closed: reopen it to count
            from runtime.journal import open_journal

            j = open_journal(f"sqlite:///{tmp_path / 'journal.db'}")
            await j.open()
            try:
                assert await j.count("calls") == n
                assert await j.count("call_ends") == n
                row = await j.fetch_call(calls[0].uuid)
                assert row is not None
                # the runtime, not the caller, ended these calls: not counted as abandoned
                assert row["outcome"] == "shutdown"
                assert row["detail"]["interpreter_outcome"] == "caller_hangup"
                assert row["detail"]["runtime"] == "drain"
                assert row["detail"]["cause"] == "SYSTEM_SHUTDOWN"
            finally:
                await j.close()

    go(scenario(), timeout=120)


def test_drain_waits_for_calls_that_finish_in_time(tmp_path: Path) -> None:
    build = compile_bundle(tmp_path / "build")

    async def scenario() -> None:
        async with running(build, tmp_path, drain_timeout=10) as rt:
            call = FakeCall(
                "127.0.0.1", rt.port, script=Script(inputs=["press 1"], queue=["max_wait"])
            )
            task = asyncio.create_task(call.run(20))
            await _wait_for(lambda: any(a == "callcenter" for a, _ in call.record.apps))
            rt.request_stop("test")
            await _wait_for(lambda: rt.draining)
            assert rt.health()["status"] == "draining"
            call.hangup("NORMAL_CLEARING")  # the caller finishes on their own
            await task
            assert rt._stopping is not None
            await rt._stopping
            assert call.record.hangup_cause == "NORMAL_CLEARING"

    go(scenario())


# ------------------------------------------------------------------ metrics and health


def test_metrics_and_health_endpoints(tmp_path: Path) -> None:
    build = compile_bundle(tmp_path / "build")

    async def scenario() -> None:
        async with running(build, tmp_path, metrics=True) as rt:
            assert rt.metrics_port
            call = FakeCall("127.0.0.1", rt.port, script=Script(inputs=["press 2", "press 1234#"]))
            await call.run(10)
            await _wait_for(lambda: not rt.drivers)
            status, body = await _http_get(rt.metrics_port, "/metrics")
            assert status == 200
            assert 'flowc_calls_total{flow="shop",outcome="hangup"} 1.0' in body
            assert 'flowc_node_visits_total{flow="shop",node="ask_pin"} 1.0' in body
            assert "flowc_event_to_command_seconds_bucket" in body
            assert "flowc_calls_active 0.0" in body
            # the PIN is in no metric name or label (sample values are numbers: a `_created`
            # timestamp may hold the digits 1234 by chance)
            named = [line.rsplit(" ", 1)[0] for line in body.splitlines() if line]
            assert not [line for line in named if "1234" in line]
            status, body = await _http_get(rt.metrics_port, "/health")
            health = json.loads(body)
            assert status == 200 and health["status"] == "ok"
            assert health["bundle"] == rt.store.current.hash and health["flows"] == ["lab", "shop"]
            status, _ = await _http_get(rt.metrics_port, "/nope")
            assert status == 404

    go(scenario())


# ------------------------------------------------------------------ flowc serve


def test_flowc_serve_command(tmp_path: Path) -> None:
    build = compile_bundle(tmp_path / "build")
    port, mport = free_port(), free_port()
    journal = tmp_path / "j.db"
    cmd = [
        sys.executable,
        "-m",
        "flowc_app",
        "serve",
        "--bundle",
        str(build),
        "--listen",
        f"127.0.0.1:{port}",
        "--metrics",
        f"127.0.0.1:{mport}",
        "--journal",
        f"sqlite:///{journal}",
        "--env",
        "test",
        "--drain-timeout",
        "2",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ}
    )
    try:

        async def scenario() -> None:
            await _wait_healthy(mport, 20)
            call = FakeCall("127.0.0.1", port, script=Script(inputs=["press 9", "press 9"]))
            await call.run(10)
            assert call.record.hangup_cause == "NORMAL_CLEARING"
            proc.send_signal(signal.SIGHUP)
            await asyncio.sleep(0.3)

        go(scenario(), timeout=40)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    assert proc.returncode == 0, err.decode()
    events = [json.loads(x)["event"] for x in err.decode().splitlines() if x.startswith("{")]
    for expected in ("runtime_started", "call_started", "call_ended", "bundle_unchanged"):
        assert expected in events, events
    assert events[-1] == "runtime_stopped"
    assert journal.exists()


def test_serve_refuses_a_broken_bundle_and_public_metrics(tmp_path: Path) -> None:
    (tmp_path / "bundle.json").write_text("{}")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "flowc_app",
            "serve",
            "--bundle",
            str(tmp_path),
            "--journal",
            "none",
        ],
        cwd=ROOT,
        capture_output=True,
        timeout=30,
    )
    assert out.returncode == 2 and b"not a flowc bundle" in out.stderr
    out = subprocess.run(
        [sys.executable, "-m", "flowc_app", "serve", "--metrics", "0.0.0.0:9464"],
        cwd=ROOT,
        capture_output=True,
        timeout=30,
    )
    assert out.returncode == 2 and b"loopback" in out.stderr


def test_parse_hostport() -> None:
    assert parse_hostport("127.0.0.1:8084", 1) == ("127.0.0.1", 8084)
    assert parse_hostport("[::1]:9000", 1) == ("::1", 9000)
    assert parse_hostport("::1", 8084) == ("::1", 8084)
    assert parse_hostport("localhost", 8084) == ("localhost", 8084)


def test_runtime_without_journal(tmp_path: Path) -> None:
    build = compile_bundle(tmp_path / "build")

    async def scenario() -> None:
        async with running(build, tmp_path, journal=None) as rt:
            assert isinstance(rt, Runtime) and rt.journal is None
            call = FakeCall("127.0.0.1", rt.port, script=Script(inputs=["press 9", "press 9"]))
            await call.run(10)
            assert call.record.hangup_cause == "NORMAL_CLEARING"

    go(scenario())


def test_sigterm_exits_after_bundle_json_became_a_fifo(tmp_path: Path) -> None:
    """A FIFO in place of bundle.json: the reload refuses it (logged, the old bundle serves)
    and SIGTERM still ends the process."""
    import shutil

    build = tmp_path / "build"
    shutil.copytree(compile_bundle(tmp_path / "src"), build)
    mport = free_port()
    cmd = [
        sys.executable,
        "-m",
        "flowc_app",
        "serve",
        "--bundle",
        str(build),
        "--listen",
        f"127.0.0.1:{free_port()}",
        "--metrics",
        f"127.0.0.1:{mport}",
        "--journal",
        "none",
        "--reload-interval",
        "0.1",
        "--drain-timeout",
        "1",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    try:

        async def scenario() -> None:
            await _wait_healthy(mport, 30)
            (build / "bundle.json").unlink()
            os.mkfifo(build / "bundle.json")
            async with asyncio.timeout(30):
                while True:
                    _, body = await _http_get(mport, "/health")
                    health = json.loads(body)
                    if health["last_reload_error"]:
                        break
                    await asyncio.sleep(0.05)
            assert "a FIFO" in health["last_reload_error"]
            assert health["status"] == "ok" and health["bundle"]

        go(scenario(), timeout=60)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    assert proc.returncode == 0, err.decode()
    events = [json.loads(x)["event"] for x in err.decode().splitlines() if x.startswith("{")]
    assert "bundle_rejected" in events and events[-1] == "runtime_stopped"


def test_a_restarted_instance_closes_the_call_its_killed_predecessor_left_open(
    tmp_path: Path,
) -> None:
    """Issue 11 Qb (`Qb_kill9_runtime_mid_call.jsonl`: 27 the runtime dies mid-collect, 282
    the journal keeps the steps and no end): the next start of that instance closes it as
    `lost`; another instance sharing the journal leaves it alone."""
    import sqlite3

    build = compile_bundle(tmp_path / "build")
    db = tmp_path / "shared.db"
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "flowc_app",
        "serve",
        "--bundle",
        str(build),
        "--listen",
        f"127.0.0.1:{port}",
        "--metrics",
        "none",
        "--journal",
        f"sqlite:///{db}",
        "--env",
        "test",
        "--instance",
        "A",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    call = FakeCall("127.0.0.1", port, script=Script(stall_during="play_and_get_digits"))

    def journaled() -> bool:
        if not db.exists():
            return False
        with contextlib.closing(sqlite3.connect(db)) as conn:
            try:
                (n,) = conn.execute("SELECT count(*) FROM steps").fetchone()
            except sqlite3.Error:
                return False
        return bool(n >= 2)

    try:

        async def first_life() -> None:
            async with asyncio.timeout(30):
                while True:
                    try:
                        _, probe = await asyncio.open_connection("127.0.0.1", port)
                        probe.close()
                        break
                    except OSError:
                        await asyncio.sleep(0.05)
            task = asyncio.create_task(call.run(60))
            await _wait_for(journaled, 30)
            proc.kill()  # SIGKILL mid-call: no drain, no end written
            proc.wait(timeout=10)
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

        go(first_life(), timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)

    async def restarts() -> None:
        url = f"sqlite:///{db}"
        async with running(build, tmp_path, journal=url, instance="B") as b:
            assert b.journal is not None
            row = await b.journal.fetch_call(call.uuid)
            assert row["instance"] == "A" and row["outcome"] is None  # B may not close it
        async with running(build, tmp_path, journal=url, instance="A") as a:
            assert a.journal is not None
            await a.journal.flush()
            row = await a.journal.fetch_call(call.uuid)
            # the menu step was still open (a step is written when it ends): the end names
            # the last step the journal has
            assert row["outcome"] == "lost" and row["end_node"] == "lookup"
            assert row["detail"]["closed_by"] == "A"

    go(restarts(), timeout=60)
