"""The rollout's shared decision in the journal database (SQLite and a real PostgreSQL), and
two instances (`Rollout` objects, each with its own connection) judging one canary."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from runtime.journal import CallEnd, CallRecord, StepRecord, open_journal
from runtime.rollout.board import Board
from runtime.rollout.live import Rollout
from tests.journal.journal_support import run

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "tests" / "server" / "flows"


@pytest.fixture(scope="module")
def bundle_json(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from flowc.compiler.bundle import compile_paths

    out = tmp_path_factory.mktemp("build")
    lines: list[str] = []
    assert compile_paths([FLOWS], out, echo=lines.append) == 0, lines
    data: dict[str, Any] = json.loads((out / "bundle.json").read_text())
    return data


def _variant(base: dict[str, Any], tag: str, rollout: dict[str, Any] | None) -> tuple[str, str]:
    data = json.loads(json.dumps(base))
    data["hash"] = f"{tag}-{base['hash']}"
    if rollout is not None:
        data["bindings"]["test"]["rollout"] = rollout
    return data["hash"], json.dumps(data)


def test_decision_table_compare_and_set(journal_url: str, bundle_json: dict[str, Any]) -> None:
    async def go() -> None:
        j = open_journal(journal_url)
        await j.open()
        try:
            board = Board(j)
            assert await board.read("test") is None
            stable, body = _variant(bundle_json, "s", None)
            await board.store_bundle(stable, body)
            await board.store_bundle(stable, body)  # again: no change, no error
            assert await board.bundle_body(stable) == body
            assert await board.bundle_body("nope") is None
            first = await board.create("test", stable, "first")
            assert first is not None and first.state == "stable" and first.revision == 1
            assert await board.create("test", "other", "again") is None  # one first deploy
            canary = await board.change(
                first,
                "canary",
                stable=stable,
                canary="c1",
                share_bp=500,
                callers=["+4420"],
                dids=["8001"],
                note="5%",
            )
            assert canary is not None and canary.state == "canary"
            assert (canary.revision, canary.share_bp, canary.callers, canary.dids) == (
                2,
                500,
                ("+4420",),
                ("8001",),
            )
            assert canary.canary_since is not None
            # a change decided on the old revision is refused: someone changed it first
            assert await board.change(first, "rollback", stable=stable, canary=None) is None
            back = await board.change(canary, "rollback", stable=stable, canary=None, note="bad")
            assert back is not None and back.state == "stable" and back.canary is None
            events = await board.events("test")
            assert [(e.revision, e.action) for e in events] == [
                (3, "rollback"),
                (2, "canary"),
                (1, "deploy"),
            ]
            assert events[0].note == "bad" and events[1].canary == "c1"
        finally:
            await j.close()

    run(go())


def test_outcomes_by_version(journal_url: str) -> None:
    async def go() -> None:
        j = open_journal(journal_url)
        await j.open()
        try:
            now = datetime.now(UTC)
            for i, (bundle, outcome) in enumerate(
                [("s", "hangup"), ("c", "error"), ("c", "queued"), (None, "hangup")]
            ):
                cid = f"call-{i}"
                j.record(CallRecord(cid, "shop", "v", "8001", "+1", now, "A"))
                if outcome == "queued":
                    j.record(StepRecord(cid, 1, now + timedelta(seconds=7), "sales", "queue", "1"))
                detail = {} if bundle is None else {"bundle": bundle}
                j.record(CallEnd(cid, now + timedelta(seconds=9), outcome, "n", detail))
            j.record(CallRecord("old", "shop", "v", "8001", "+1", now, "A"))
            j.record(CallEnd("old", now - timedelta(hours=2), "error", "n", {"bundle": "c"}))
            await j.flush()
            board = Board(j)
            since = now - timedelta(minutes=1)
            counts = sorted(await board.outcome_counts(since, ("s", "c")), key=str)
            assert counts == [("c", "error", 1), ("c", "queued", 1), ("s", "hangup", 1)]
            assert await board.to_person(since, ("s", "c")) == [("c", 7.0)]
            assert await board.outcome_counts(since, ()) == []
            stable, canary = await board.compare(since, "s", "c")
            assert (stable.calls, canary.calls, canary.errors) == (1, 2, 1)
            assert canary.median_to_person_s() == 7.0
            # the hour-old end is outside the window
            stable, canary = await board.compare(now - timedelta(hours=3), "s", "c")
            assert canary.calls == 3
        finally:
            await j.close()

    run(go())


def test_two_instances_one_rollback(journal_url: str, bundle_json: dict[str, Any]) -> None:
    """Both instances judge a failing canary at once: one rollback is recorded, both serve
    the stable version after it, and a later deploy is not undone by a stale judgement."""
    rules = {"window": "10m", "min_calls": 3, "rollback_if": {"error_rate_over": "10%"}}

    async def go() -> None:
        journals = [open_journal(journal_url) for _ in range(3)]
        for j in journals:
            await j.open()
        try:
            board = Board(journals[0])
            stable, sbody = _variant(bundle_json, "s", None)
            canary, cbody = _variant(bundle_json, "c", rules)
            await board.store_bundle(stable, sbody)
            await board.store_bundle(canary, cbody)
            first = await board.create("test", stable, "")
            assert first is not None
            d = await board.change(first, "canary", stable=stable, canary=canary, share_bp=5000)
            assert d is not None
            a, b = (Rollout(j, "test", 64 << 20, poll_s=0.05) for j in journals[1:])
            await a.refresh()
            await b.refresh()
            assert a.plan is not None and a.plan.canary is not None
            assert a.plan.canary.hash == canary
            # the split: callers spread over both versions, the same answer on both instances
            versions = set()
            for n in range(200):
                caller = f"+86139{n:08d}"
                on_a, on_b = a.pick(caller, "8001"), b.pick(caller, "8001")
                assert on_a is not None and on_b is not None and on_a.hash == on_b.hash
                versions.add(on_a.hash)
            assert versions == {stable, canary}
            hold = await a.judge()
            assert hold is not None and hold.action == "hold"  # no calls yet
            w = journals[0]
            now = datetime.now(UTC)
            for i in range(4):
                for bundle, outcome in ((stable, "hangup"), (canary, "error")):
                    cid = f"{bundle[:1]}{i}"
                    w.record(CallRecord(cid, "shop", "v", "8001", "+1", now, "A"))
                    w.record(CallEnd(cid, now, outcome, "lookup", {"bundle": bundle}))
            await w.flush()
            decisions = await asyncio.gather(a.judge(), b.judge())
            assert [x.action for x in decisions if x] == ["rollback", "rollback"]
            after = await board.read("test")
            assert after is not None and after.state == "stable" and after.stable == stable
            events = await board.events("test")
            assert [e.action for e in events].count("rollback") == 1
            assert "error_rate" in events[0].note and events[0].note.startswith("automatic")
            for r in (a, b):
                await r.refresh()
                assert r.plan is not None and r.plan.canary is None
                for n in range(50):
                    picked = r.pick(f"+86139{n:08d}", "8001")
                    assert picked is not None and picked.hash == stable
            assert await a.judge() is None  # nothing to judge any more
        finally:
            for j in journals:
                await j.close()

    run(go())
