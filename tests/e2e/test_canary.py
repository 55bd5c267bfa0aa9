"""Canary rollout end to end: two `flowc serve --rollout` instances, one PostgreSQL journal,
calls from the emulated switch through the dialplan `flowc compile` writes (half the calls
try instance A first, half B), and `flowc deploy`.

* A bad version (its look-up's service is missing, so its calls end in `error`) is
  deployed as a 50 % canary: the instances judge it against the stable version by its
  bindings' rules and roll it back on their own, after `min_calls` canary calls, well inside
  the rules' window; then every new call is on the stable version again.
* A good version (a reworded greeting) is promoted once it has run `promote_after` with no
  rule tripped; then every new call is on it.
* No call is lost: every call placed has exactly one call row and one end in the journal, on
  the version its end names, with the outcome that version gives.

The instances' /health says which revision of the decision each serves: the test waits (with
a bound) until both serve a change before placing the calls that check it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from runtime.emulator import CallSpec, Dialplan, place_call
from runtime.journal import open_journal
from runtime.journal.pgserver import PgServer
from runtime.rollout.board import Board
from runtime.scenario_calls import generated_dialplan
from tests.e2e.two_instances import free_port, short_call

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "tests" / "server" / "flows"
MIN_CALLS = 6
BATCH = 8
MAX_BATCHES = 12  # the bound on calls placed while waiting for a decision


def _version(tmp: Path, name: str, edit: dict[str, str], rules: str) -> Path:
    """The test flows with text replaced in shop.yaml and `rules` appended to the bindings,
    compiled."""
    from flowc.compiler.bundle import compile_paths

    src = tmp / f"src-{name}"
    shutil.copytree(FLOWS, src)
    shop = src / "shop.yaml"
    text = shop.read_text()
    for old, new in edit.items():
        assert old in text
        text = text.replace(old, new)
    shop.write_text(text)
    bindings = src / "bindings" / "test.yaml"
    bindings.write_text(bindings.read_text() + rules)
    lines: list[str] = []
    assert compile_paths([src], tmp / name, echo=lines.append) == 0, lines
    return tmp / name


def _lose_service(bundle: Path) -> None:
    """A broken deploy: the bundle lost the definition of the look-up's service (its fetch
    node now ends every call in `error`, "unknown service"); hashed anew like a build."""
    file = bundle / "bundle.json"
    data = json.loads(file.read_text())
    del data["flows"]["shop"]["services"]["crm"]
    data["flows"]["shop"]["hash"] = data["hash"] = (
        "sha256:" + hashlib.sha256(json.dumps(data["flows"], sort_keys=True).encode()).hexdigest()
    )
    file.write_text(json.dumps(data))


def _hash(bundle: Path) -> str:
    value: str = json.loads((bundle / "bundle.json").read_text())["hash"]
    return value


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CRM_URL"}  # the look-up fails
    env["PYTHONPATH"] = str(ROOT)
    return env


def _flowc(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flowc_app", *args],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _serve(
    bundle: Path, port: int, metrics: int, journal: str, name: str, tmp: Path
) -> subprocess.Popen[bytes]:
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
            "--journal-spool",
            "none",
            "--metrics",
            f"127.0.0.1:{metrics}",
            "--instance",
            name,
            "--rollout",
            "--rollout-poll",
            "0.2",
            "--reload-interval",
            "0",
            "--drain-timeout",
            "20",
            "--log-level",
            "warning",
        ],
        cwd=tmp,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=(tmp / f"{name}.log").open("wb"),
    )


async def _health(port: int) -> dict[str, Any]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /health HTTP/1.0\r\nHost: x\r\n\r\n")
        await writer.drain()
        raw = await reader.read(1 << 20)
    finally:
        writer.close()
    body = raw.split(b"\r\n\r\n", 1)[1]
    data: dict[str, Any] = json.loads(body)
    return data


async def _serving(metrics: list[int], revision: int) -> None:
    """Until every instance serves this revision of the decision (bounded)."""
    async with asyncio.timeout(60):
        while True:
            try:
                seen = [(await _health(p))["rollout"]["revision"] for p in metrics]
            except OSError:
                seen = []
            if seen and all(r == revision for r in seen):
                return
            await asyncio.sleep(0.05)


class Calls:
    """Places calls, alternating which instance the dialplan tries first."""

    def __init__(self, plans: list[Dialplan]) -> None:
        self.plans = plans
        self.placed: list[CallSpec] = []
        self.failed: list[str] = []

    async def batch(self, n: int = BATCH) -> list[CallSpec]:
        specs = [
            short_call(i, self.plans[i % 2]) for i in range(len(self.placed), len(self.placed) + n)
        ]
        self.placed.extend(specs)
        records = await asyncio.gather(*(place_call(s, timeout=60) for s in specs))
        for spec, rec in zip(specs, records, strict=True):
            if not rec.ok:
                self.failed.append(f"{spec.caller}: {rec.closed_by} {rec.error}")
        return specs


async def _ends(board: Board, specs: list[CallSpec]) -> dict[str, tuple[str, str | None]]:
    """call id -> (outcome, bundle hash) of the calls' ends."""
    out: dict[str, tuple[str, str | None]] = {}
    async with asyncio.timeout(30):  # the instances commit within their flush interval
        for spec in specs:
            while True:
                row = await board.journal.fetch_call(spec.uuid)
                if row is not None and row.get("outcome") is not None:
                    break
                await asyncio.sleep(0.05)
            out[spec.uuid] = (row["outcome"], row["detail"].get("bundle"))
    return out


def test_canary_rolled_back_then_promoted(pg_server: PgServer, tmp_path: Path) -> None:
    tmp = tmp_path
    rules = (
        "rollout: {{window: 10m, min_calls: {n}, promote_after: {p}, "
        "rollback_if: {{error_rate_over: 20%}}}}\n"
    )
    stable = _version(tmp, "v1", {}, "")
    bad = _version(tmp, "bad", {}, rules.format(n=MIN_CALLS, p="1h"))
    _lose_service(bad)
    good = _version(
        tmp,
        "good",
        {"Welcome to the shop.": "Welcome to our shop."},
        rules.format(n=MIN_CALLS, p="2s"),
    )
    h_stable, h_bad, h_good = _hash(stable), _hash(bad), _hash(good)
    url = pg_server.create_database()
    _flowc("deploy", str(stable), "--journal", url)
    ports, metrics = [free_port(), free_port()], [free_port(), free_port()]
    addrs = [f"127.0.0.1:{p}" for p in ports]
    plans = [
        generated_dialplan(stable, "test", addrs),
        generated_dialplan(stable, "test", addrs[::-1]),
    ]
    procs = [_serve(stable, ports[i], metrics[i], url, "AB"[i], tmp) for i in range(2)]
    calls = Calls(plans)
    try:

        async def scenario() -> None:
            journal = open_journal(url)
            await journal.open()
            board = Board(journal)
            try:
                await _serving(metrics, 1)
                # the bad canary, to half of the callers
                _flowc("deploy", str(bad), "--canary", "50%", "--journal", url)
                await _serving(metrics, 2)
                bad_phase: list[CallSpec] = []
                for _ in range(MAX_BATCHES):
                    bad_phase += await calls.batch()
                    await journal.flush()
                    d = await board.read("test")
                    assert d is not None
                    if d.state == "stable":
                        break
                d = await board.read("test")
                assert d is not None and d.state == "stable" and d.stable == h_stable
                assert d.canary is None and d.revision == 3
                events = await board.events("test")
                assert events[0].action == "rollback" and events[0].note.startswith("automatic")
                assert "error_rate" in events[0].note
                since = events[1].at
                assert events[0].at - since < timedelta(minutes=10)  # inside the window
                ends = await _ends(board, bad_phase)
                on_bad = [o for o, b in ends.values() if b == h_bad]
                on_stable = [o for o, b in ends.values() if b == h_stable]
                assert len(on_bad) + len(on_stable) == len(bad_phase)
                assert len(on_bad) >= MIN_CALLS and set(on_bad) == {"error"}
                assert on_stable and set(on_stable) == {"hangup"}
                # rolled back: every new call on the stable version
                await _serving(metrics, 3)
                after = await calls.batch()
                assert {v for v in (await _ends(board, after)).values()} == {("hangup", h_stable)}
                # the good canary: promoted after promote_after with enough calls
                _flowc("deploy", str(good), "--canary", "50%", "--journal", url)
                await _serving(metrics, 4)
                good_phase: list[CallSpec] = []
                for _ in range(MAX_BATCHES):
                    good_phase += await calls.batch()
                    await journal.flush()
                    d = await board.read("test")
                    assert d is not None
                    if d.state == "stable":
                        break
                d = await board.read("test")
                assert d is not None and d.state == "stable" and d.stable == h_good
                events = await board.events("test")
                assert events[0].action == "promote" and events[0].note.startswith("automatic")
                ends = await _ends(board, good_phase)
                assert {o for o, _ in ends.values()} == {"hangup"}
                assert {b for _, b in ends.values()} <= {h_stable, h_good}
                assert sum(b == h_good for _, b in ends.values()) >= MIN_CALLS
                await _serving(metrics, 5)
                after = await calls.batch()
                assert {v for v in (await _ends(board, after)).values()} == {("hangup", h_good)}
                status = _flowc("deploy", "status", "--journal", url, "--json")
                assert [e["action"] for e in json.loads(status)["history"]] == [
                    "promote",
                    "canary",
                    "rollback",
                    "canary",
                    "deploy",
                ]
            finally:
                await journal.close()

        asyncio.run(scenario())
        for proc in procs:
            proc.terminate()
        codes = [proc.wait(timeout=60) for proc in procs]
        assert codes == [0, 0], [(tmp / f"{n}.log").read_text()[-2000:] for n in "AB"]

        async def count() -> None:
            journal = open_journal(url)
            await journal.open()
            try:
                ids = [s.uuid for s in calls.placed]
                assert len(set(ids)) == len(ids)
                for table in ("calls", "call_ends"):
                    rows = await journal.execute(
                        f"SELECT call_id, count(*) AS n FROM {table} GROUP BY call_id"
                    )
                    assert {r["call_id"]: r["n"] for r in rows} == dict.fromkeys(ids, 1), table
                rows = await journal.execute("SELECT DISTINCT instance FROM calls")
                assert {r["instance"] for r in rows} == {"A", "B"}  # both served calls
            finally:
                await journal.close()

        asyncio.run(count())
        assert calls.failed == []
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
