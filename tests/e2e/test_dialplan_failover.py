"""The generated dialplan, played for real: two runtime instances (A, B) on loopback ports in
the bindings' `runtime` list, `flowc compile --target freeswitch`, and emulated calls that
start in the `dialplan/` files it writes (`runtime.emulator.call_through_dialplan`): its
`socket` action per instance, the `flowc_next` decisions, the runtime's `flowc_served` mark
(`uuid_setvar`) and the fallback.

Each instance has its own SQLite journal, so which instance served a call is where its
record is.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowc.compiler.bundle import compile_paths
from runtime.demo import free_ports
from runtime.emulator import (
    CallerScript,
    CallRecord,
    CallSpec,
    QueueOutcome,
    Switch,
    call_through_dialplan,
)
from runtime.server import Runtime, ServeConfig
from tests.e2e import e2e_support as E

DID = "7000"
FLOW = """\
flowc: 1
flow: desk
entry: start
locale: en-US
locales: [en-US]
queues:
  care: {skill: care}
  sales: {skill: sales}
nodes:
  start:
    menu:
      prompt: "For care press 1, for sales press 2, to leave press 3."
      options: {1: care, 2: sales, 3: bye}
      retries: 1
      timeout: 2s
      on_fail: bye
  care: {queue: care, after: survey, on_timeout: bye, on_no_agent: bye}
  sales: {queue: sales, on_timeout: bye, on_no_agent: bye}
  survey:
    survey:
      - {id: csat, ask: "Rate us from 1 to 5.", scale: "1-5"}
    thanks: "Thanks."
    next: bye
  bye: {hangup: NORMAL_CLEARING, prompt: "Goodbye."}
"""
# What an instance that has not received the `desk` flow yet serves.
STALE_FLOW = """\
flowc: 1
flow: other
entry: bye
locale: en-US
locales: [en-US]
nodes:
  bye: {hangup: NORMAL_CLEARING, prompt: "Goodbye."}
"""
BINDINGS = """\
environment: e2e
runtime: ["127.0.0.1:{a}", "127.0.0.1:{b}"]
fallback: "callcenter:operators@default"
flows:
  {flow}: {{dids: ["{did}"]}}
queues:
  desk.care: care@default
  desk.sales: sales@default
"""
FALLBACK = [
    ("log", "WARNING flowc: no runtime took the call: falling back"),
    ("callcenter", "operators@default"),
]


def run(coro: Awaitable[Any], limit: float = 90.0) -> Any:
    async def bounded() -> Any:
        async with asyncio.timeout(limit):
            return await coro

    return asyncio.run(bounded())


def _compile(root: Path, flow: str, ports: dict[str, int], *, target: str = "freeswitch") -> Path:
    name = "desk" if flow is FLOW else "other"
    (root / "flows").mkdir(parents=True)
    (root / "flows" / f"{name}.yaml").write_text(flow, encoding="utf-8")
    (root / "bindings").mkdir()
    bindings = BINDINGS.format(a=ports["A"], b=ports["B"], flow=name, did=DID)
    if name == "other":  # its queues are not the stale bundle's
        bindings = bindings.split("queues:")[0]
    (root / "bindings" / "e2e.yaml").write_text(bindings, encoding="utf-8")
    lines: list[str] = []
    out = root / "build"
    code = compile_paths([root / "flows", root / "bindings"], out, target=target, echo=lines.append)
    assert code == 0, lines
    return out


@dataclass
class Site:
    """Two instances behind one DID and the dialplan compiled for them."""

    tmp: Path
    ports: dict[str, int]
    dialplan: Path
    runtimes: dict[str, Runtime] = field(default_factory=dict)

    async def call(
        self, inputs: list[str], *, time_scale: float = 0.0, switch: Switch | None = None
    ) -> CallRecord:
        script = CallerScript(
            inputs=inputs,
            default_queue=QueueOutcome(wait=0.05, talk_time=1.0, agent="1001@default"),
            prompt_ms=20,
            tts_ms_per_char=1,
            digit_delay=0.05,
            inter_digit=0.02,
        )
        rec = await call_through_dialplan(
            self.dialplan,
            DID,
            call=CallSpec(caller="+8613900000001", script=script),
            timeout=60,
            time_scale=time_scale,
            switch=switch,
        )
        await self.settle()
        return rec

    async def settle(self) -> None:
        """Until every instance is done with its calls and its journal is written."""
        for rt in self.runtimes.values():
            if rt.started and not rt.draining:
                async with asyncio.timeout(30):
                    while rt.drivers:
                        await asyncio.sleep(0.005)
                assert rt.journal is not None
                await rt.journal.flush()

    async def row(self, name: str, call_id: str) -> dict[str, Any] | None:
        journal = self.runtimes[name].journal
        assert journal is not None
        row: dict[str, Any] | None = await journal.fetch_call(call_id)
        return row

    async def survey(self, name: str, call_id: str) -> dict[str, Any]:
        journal = self.runtimes[name].journal
        assert journal is not None
        return {a["question"]: a["value"] for a in await journal.fetch_survey(call_id)}


@contextlib.asynccontextmanager
async def site(tmp: Path, up: Iterable[str], stale: Iterable[str] = ()) -> AsyncIterator[Site]:
    """Instances `up` listen on their ports (the others' ports stay closed); an instance in
    `stale` serves a bundle without the `desk` flow."""
    ports = dict(zip("AB", free_ports(2), strict=True))
    build = _compile(tmp / "site", FLOW, ports)
    stale_build = _compile(tmp / "stale", STALE_FLOW, ports, target="ir")
    s = Site(tmp, ports, build / "freeswitch" / "e2e" / "dialplan")
    try:
        for name in up:
            config = ServeConfig(
                bundle=stale_build if name in stale else build,
                listen=[("127.0.0.1", ports[name])],
                env="e2e",
                journal=f"sqlite:///{tmp / f'journal_{name}.db'}",
                reload_interval=0,
                instance=name,
                timeouts=E.E2E_TIMEOUTS,
                journal_options={"flush_interval": 0.01},
            )
            rt = Runtime(config, lookup_env={})
            await rt.start()
            s.runtimes[name] = rt
        yield s
    finally:
        for rt in s.runtimes.values():
            await rt.stop(drain_timeout=2.0)


def sent(rec: CallRecord, index: int) -> list[str]:
    """The first lines of what the application sent on socket `index`."""
    return [
        str(m["data"]).split("\n")[0]
        for m in rec.messages
        if m["dir"] == "to_switch" and m.get("socket", 0) == index
    ]


def outcomes(rec: CallRecord) -> list[tuple[int, str]]:
    return [(s.port, s.outcome) for s in rec.sockets]


def extensions(rec: CallRecord) -> list[str | None]:
    return [extension for _, _, extension in rec.routes]


# -- (i)-(iv): who takes a new call -------------------------------------------------------------


def test_both_up_calls_go_to_the_first_instance(tmp_path: Path) -> None:
    async def body() -> None:
        async with site(tmp_path, "AB") as s:
            for _ in range(3):
                rec = await s.call(["3"])
                assert rec.ok and rec.hangup_cause == "NORMAL_CLEARING"
                assert outcomes(rec) == [(s.ports["A"], "connected")]
                assert extensions(rec) == ["flowc_desk", "flowc_try_1"]
                uuid = rec.spec.uuid
                # the runtime marks the call as taken, with the setup commands
                assert sent(rec, 0)[:4] == [
                    "connect",
                    "myevents json",
                    "linger",
                    f"api uuid_setvar {uuid} flowc_served A",
                ]
                row = await s.row("A", uuid)
                assert row is not None and row["instance"] == "A" and row["outcome"] == "hangup"
                assert row["did"] == DID  # from flowc_did: the destination is flowc_try_1 now
                assert await s.row("B", uuid) is None

    run(body())


def test_first_instance_down_calls_go_to_the_second(tmp_path: Path) -> None:
    async def body() -> None:
        async with site(tmp_path, "B") as s:
            for _ in range(3):
                rec = await s.call(["3"])
                assert rec.ok and rec.hangup_cause == "NORMAL_CLEARING"
                assert outcomes(rec) == [(s.ports["A"], "refused"), (s.ports["B"], "connected")]
                assert extensions(rec) == [
                    "flowc_desk", "flowc_try_1", "flowc_next_2", "flowc_try_2"
                ]  # fmt: skip
                assert f"api uuid_setvar {rec.spec.uuid} flowc_served B" in sent(rec, 1)
                row = await s.row("B", rec.spec.uuid)
                assert row is not None and row["instance"] == "B" and row["outcome"] == "hangup"

    run(body())


def test_first_instance_draining_the_second_takes_new_calls(tmp_path: Path) -> None:
    async def body() -> None:
        async with site(tmp_path, "AB") as s:
            a = s.runtimes["A"]
            switch = Switch()
            # a caller waits in A's queue (1 virtual second is 1 ms: the wait is 100 s), so
            # A drains: its port is closed, its call goes on
            held = asyncio.create_task(
                call_through_dialplan(
                    s.dialplan,
                    DID,
                    call=CallSpec(
                        script=CallerScript(
                            inputs=["1"], default_queue=QueueOutcome(wait=100_000.0)
                        )
                    ),
                    timeout=60,
                    time_scale=0.001,
                    switch=switch,
                )
            )
            async with asyncio.timeout(20):
                while not switch.members:
                    await asyncio.sleep(0.01)
            draining = asyncio.create_task(a.drain(timeout=60))
            async with asyncio.timeout(10):
                while True:  # until A's listening socket is closed
                    try:
                        _, w = await asyncio.open_connection("127.0.0.1", s.ports["A"])
                        w.close()
                        await asyncio.sleep(0.01)
                    except OSError:
                        break
            assert a.draining and a.drivers and not draining.done()
            rec = await s.call(["3"])
            assert rec.ok and outcomes(rec) == [
                (s.ports["A"], "refused"),
                (s.ports["B"], "connected"),
            ]
            row = await s.row("B", rec.spec.uuid)
            assert row is not None and row["instance"] == "B"
            held.cancel()  # the waiting caller goes away: A's drain ends
            with contextlib.suppress(asyncio.CancelledError):
                await held
            async with asyncio.timeout(20):
                await draining

    run(body())


def test_first_instance_refuses_the_second_takes_the_call(tmp_path: Path) -> None:
    async def body() -> None:
        # A does not have the flow (an older bundle): it lets the call go with `resume`,
        # without marking it, and the dialplan tries B
        async with site(tmp_path, "AB", stale="A") as s:
            rec = await s.call(["3"])
            assert rec.ok and rec.hangup_cause == "NORMAL_CLEARING"
            assert outcomes(rec) == [(s.ports["A"], "connected"), (s.ports["B"], "connected")]
            assert sent(rec, 0) == ["connect", "resume", "exit"]
            assert extensions(rec) == [
                "flowc_desk", "flowc_try_1", "flowc_next_2", "flowc_try_2"
            ]  # fmt: skip
            assert await s.row("A", rec.spec.uuid) is None
            row = await s.row("B", rec.spec.uuid)
            assert row is not None and row["instance"] == "B" and row["outcome"] == "hangup"

    run(body())


def test_both_down_the_call_reaches_the_fallback(tmp_path: Path) -> None:
    async def body() -> None:
        async with site(tmp_path, "") as s:
            rec = await s.call(["3"])
            assert outcomes(rec) == [(s.ports["A"], "refused"), (s.ports["B"], "refused")]
            assert extensions(rec)[-1] == "flowc_fallback"
            assert rec.apps[-2:] == FALLBACK
            # the operator answered and hung up: the dialplan has nothing after
            assert rec.ok and not rec.connected and rec.hangup_cause == "NORMAL_CLEARING"

    run(body())


# -- (v), (vi): after the agent --------------------------------------------------------------


def test_queue_with_after_the_survey_runs_after_the_agent(tmp_path: Path) -> None:
    async def body() -> None:
        async with site(tmp_path, "AB") as s:
            rec = await s.call(["1", "5"])
            assert rec.ok and rec.hangup_cause == "NORMAL_CLEARING"
            assert ("callcenter", "care@default") in rec.apps
            # back in the dialplan after the agent: flowc_next (a), the resume socket on the
            # first instance again, which adopts the call it holds
            assert extensions(rec) == [
                "flowc_desk", "flowc_try_1", "flowc_resume", "flowc_try_1"
            ]  # fmt: skip
            assert ("set", "flowc_resume_node=survey") in rec.apps
            assert outcomes(rec) == [(s.ports["A"], "connected")] * 2
            assert f"api uuid_setvar {rec.spec.uuid} flowc_served A" in sent(rec, 1)
            assert await s.survey("A", rec.spec.uuid) == {"csat": 5}
            row = await s.row("A", rec.spec.uuid)
            assert row is not None and row["end_node"] == "bye"
            assert not any(
                app == "callcenter" and "operators" in (arg or "") for app, arg in rec.apps
            )

    run(body())


def test_queue_with_after_the_resume_fails_over_too(tmp_path: Path) -> None:
    async def body() -> None:
        async with site(tmp_path, "B") as s:
            rec = await s.call(["1", "4"])
            assert rec.ok and rec.hangup_cause == "NORMAL_CLEARING"
            a, b = s.ports["A"], s.ports["B"]
            assert outcomes(rec) == [(a, "refused"), (b, "connected")] * 2
            assert extensions(rec) == [
                "flowc_desk", "flowc_try_1", "flowc_next_2", "flowc_try_2",
                "flowc_resume", "flowc_try_1", "flowc_next_2", "flowc_try_2",
            ]  # fmt: skip
            assert await s.survey("B", rec.spec.uuid) == {"csat": 4}

    run(body())


def test_queue_without_after_the_call_ends_after_the_agent(tmp_path: Path) -> None:
    async def body() -> None:
        async with site(tmp_path, "AB") as s:
            rec = await s.call(["2"])
            assert ("callcenter", "sales@default") in rec.apps
            assert extensions(rec) == ["flowc_desk", "flowc_try_1", "flowc_agent_done"]
            assert rec.apps[-2:] == [
                ("transfer", "flowc_next XML flowc"),
                ("hangup", "NORMAL_CLEARING"),
            ]
            assert outcomes(rec) == [(s.ports["A"], "connected")]  # no other socket
            assert rec.ok and rec.hangup_cause == "NORMAL_CLEARING"
            row = await s.row("A", rec.spec.uuid)
            assert row is not None and row["instance"] == "A"

    run(body())
