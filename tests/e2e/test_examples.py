"""Every example scenario (examples/*.test.yaml), played through emulator -> ESL -> runtime ->
interpreter, must end as `flowc test` predicts: same expectations, same judge."""

from __future__ import annotations

import asyncio
import tempfile
import traceback
from pathlib import Path
from typing import Any

import e2e_support as E
import pytest

from runtime.journal import open_journal

SCENARIOS = E.all_scenarios()
IDS = [E.scenario_id(item) for item in SCENARIOS]


class Outcomes:
    """All scenarios, run once in one runtime (one event loop); results by id."""

    def __init__(self) -> None:
        self.failures: dict[str, list[str]] = {}
        self.results: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, str] = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="flowc-e2e-"))
        self.counts: dict[str, int] = {}
        self.dangling = -1
        self.unended: list[str] = []

    async def run(self) -> None:
        http = E.MockHTTP()
        await http.start()
        try:
            bundle = E.compile_e2e_bundle(self.tmp, http.url)
            http.timeouts = E.service_timeouts(bundle)
            async with E.e2e_runtime(bundle, self.tmp) as rt:
                for item, sid in zip(SCENARIOS, IDS, strict=True):
                    try:
                        async with asyncio.timeout(120):
                            p = E.plan(*item)
                            result, records = await E.run_scenario(rt, http, p)
                        self.results[sid] = result
                        self.calls[sid] = p.call_id
                        fails = E.judge(result, item[1])
                        stuck = [r for r in records if r.closed_by in ("timeout", "error")]
                        if stuck:
                            fails.append(f"emulated call did not end cleanly: {stuck[0].error}")
                        self.failures[sid] = fails
                    except Exception:
                        self.failures[sid] = [traceback.format_exc()]
        finally:
            await http.close()
        j = open_journal(f"sqlite:///{self.tmp / 'journal.db'}")
        await j.open()
        try:
            for table in ("calls", "call_ends", "steps", "survey_answers", "callback_requests"):
                self.counts[table] = await j.count(table)
            self.unended = [
                sid
                for sid, call_id in self.calls.items()
                if ((await j.fetch_call(call_id)) or {}).get("outcome") is None
            ]
            rows = await j._query(
                "SELECT count(*) AS n FROM call_ends e LEFT JOIN calls c"
                " ON c.call_id = e.call_id WHERE c.call_id IS NULL",
                (),
            )
            self.dangling = int(rows[0]["n"])
        finally:
            await j.close()


@pytest.fixture(scope="module")
def outcomes() -> Outcomes:
    o = Outcomes()
    asyncio.run(o.run())
    return o


def test_there_are_scenarios_for_every_example() -> None:
    names = {Path(sf.file).name for sf, _ in SCENARIOS}
    assert len(names) >= 4 and len(SCENARIOS) >= 50


@pytest.mark.parametrize("sid", IDS)
def test_scenario_ends_as_flowc_test_predicts(outcomes: Outcomes, sid: str) -> None:
    fails = outcomes.failures.get(sid)
    assert fails is not None, "not run"
    assert not fails, "\n".join(fails) + f"\nresult: {outcomes.results.get(sid)}"


def test_journal_has_one_record_of_each_kind_per_call(outcomes: Outcomes) -> None:
    c = outcomes.counts
    assert c["calls"] >= len(SCENARIOS)
    assert len(outcomes.calls) == len(SCENARIOS)
    assert outcomes.unended == []  # every scenario's call has its end (exactly one: the key)
    assert outcomes.dangling == 0  # no end without its call
    assert c["steps"] > c["calls"]
    assert c["survey_answers"] > 0 and c["callback_requests"] > 0
