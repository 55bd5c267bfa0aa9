"""Under a rollout a call finishes on the version it started with: its resume after the
agent, on another instance and after the canary was rolled back, runs the canary's flow (the
version travels in the signed `flowc_state`), while a new call from the same caller gets the
stable version."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from runtime.journal import open_journal
from runtime.rollout.board import Board
from tests.server.fakeswitch import FakeCall, Script
from tests.server.serverkit import compile_bundle, running

CALLER = "+8613800000000"  # FakeCall's

FLOW = """\
flowc: 1
flow: care
queues: {billing: {}}
nodes:
  main:
    menu: {prompt: "Billing 1.", options: {1: billing}, retries: 2, on_fail: bye}
  billing: {queue: billing, after: again}
  again:
    menu: {prompt: "PROMPT", options: {1: bye}, retries: 1, on_fail: bye}
  bye: {hangup: NORMAL_CLEARING}
"""

BINDINGS = """\
environment: test
runtime: ["127.0.0.1:8084"]
flows:
  care: {dids: ["8001"]}
queues:
  care.billing: test_billing@default
"""


def _build(tmp: Path, name: str, prompt: str) -> tuple[Path, str]:
    src = tmp / f"src-{name}"
    (src / "bindings").mkdir(parents=True)
    (src / "care.yaml").write_text(FLOW.replace("PROMPT", prompt))
    (src / "bindings" / "test.yaml").write_text(BINDINGS)
    out = compile_bundle(tmp / name, src)
    return out, json.loads((out / "bundle.json").read_text())["hash"]


def go(coro: Awaitable[Any], timeout: float = 60.0) -> Any:
    async def bounded() -> Any:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(bounded())


def _said(record: Any, text: str) -> bool:
    return any(text in arg for _, arg in record.apps)


def test_resume_after_rollback_finishes_on_the_canary(tmp_path: Path) -> None:
    v1, h1 = _build(tmp_path, "v1", "Stable asks: anything else? 1 to end.")
    v2, h2 = _build(tmp_path, "v2", "Canary asks: anything else? 1 to end.")
    url = f"sqlite:///{tmp_path / 'shared.db'}"

    async def scenario() -> None:
        journal = open_journal(url)
        await journal.open()
        board = Board(journal)
        try:
            for path, h in ((v1, h1), (v2, h2)):
                await board.store_bundle(h, (path / "bundle.json").read_text())
            first = await board.create("test", h1, "")
            assert first is not None
            canary = await board.change(first, "canary", stable=h1, canary=h2, callers=[CALLER])
            assert canary is not None
            async with (
                running(v1, tmp_path, journal=url, instance="A", rollout_poll=30) as a,
                running(v1, tmp_path, journal=url, instance="B", rollout_poll=30) as b,
            ):
                assert a.rollout is not None and b.rollout is not None
                script = Script(
                    inputs=["press 1", "press 1"],
                    queue=["answered"],
                    agent_talk=1.0,
                    resume_host=("127.0.0.1", b.port),
                )
                call = FakeCall("127.0.0.1", a.port, dest="8001", script=script)
                task = asyncio.create_task(call.run(20))
                while not any(d.with_agent for d in a.drivers):  # bounded by go()'s timeout
                    await asyncio.sleep(0.01)
                # with the agent: the canary is rolled back, both instances serve that
                back = await board.change(canary, "rollback", stable=h1, canary=None)
                assert back is not None
                await a.rollout.refresh()
                await b.rollout.refresh()
                picked = b.rollout.pick(CALLER, "8001")
                assert picked is not None and picked.hash == h1
                record = await task
                while a.drivers or b.drivers:
                    await asyncio.sleep(0.01)
                assert record.resumed
                assert _said(record, "Canary asks") and not _said(record, "Stable asks")
                # a new call from the same caller: the stable version
                again = FakeCall("127.0.0.1", b.port, dest="8001", script=Script(["press 1"]))
                second = await again.run(20)
                while b.drivers:
                    await asyncio.sleep(0.01)
                assert not _said(second, "Canary asks")
                for rt in (a, b):
                    assert rt.journal is not None
                    await rt.journal.flush()
                assert b.journal is not None
                row = await b.journal.fetch_call(call.uuid)
                assert row is not None and row["instance"] == "A"
                assert row["detail"]["bundle"] == h2  # ended on B, on the canary
                row = await b.journal.fetch_call(again.uuid)
                assert row is not None and row["detail"]["bundle"] == h1
        finally:
            await journal.close()

    go(scenario())
