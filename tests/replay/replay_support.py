"""Record every example's runnable scenarios as emulated calls into a journal: the e2e
harness's runtime (emulator -> ESL -> runtime -> interpreter), with the journal at a URL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import e2e_support as E

from runtime.emulator.profile import Unrecorded
from runtime.server import ServeConfig
from runtime.translate import MediaConfig

SCENARIOS = E.all_scenarios()
IDS = [E.scenario_id(item) for item in SCENARIOS]
PLANS = {sid: E.plan(*item) for item, sid in zip(SCENARIOS, IDS, strict=True)}
RUNNABLE = [sid for sid in IDS if not PLANS[sid].needs]
ITEMS = dict(zip(IDS, SCENARIOS, strict=True))


@dataclass
class Recorded:
    bundle: Path
    journal: str
    calls: dict[str, str] = field(default_factory=dict)  # scenario id -> call id
    refused: dict[str, str] = field(default_factory=dict)
    mock_url: str = ""


@contextlib.asynccontextmanager
async def runtime_at(bundle: Path, journal: str) -> AsyncIterator[E.E2ERuntime]:
    config = ServeConfig(
        bundle=bundle,
        listen=[("127.0.0.1", 0)],
        env="e2e",
        journal=journal,
        reload_interval=0,
        instance="e2e",
        timeouts=E.E2E_TIMEOUTS,
        journal_options={"flush_interval": 0.01},
        media=MediaConfig(),
    )
    rt = E.E2ERuntime(config, lookup_env=E.lookup_env(), lookup_options={"max_deadline_ms": 300})
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop(drain_timeout=2.0)


async def record_examples(tmp: Path, journal: str, only: list[str] | None = None) -> Recorded:
    """Run the runnable scenarios (or `only`) as emulated calls journaled at `journal`."""
    http = E.MockHTTP()
    await http.start()
    try:
        bundle = E.compile_e2e_bundle(tmp, http.url)
        http.timeouts = E.service_timeouts(bundle)
        out = Recorded(bundle, journal, mock_url=http.url)
        async with runtime_at(bundle, journal) as rt:
            for sid in only or RUNNABLE:
                p = E.plan(*ITEMS[sid])
                try:
                    async with asyncio.timeout(120):
                        await E.run_scenario(rt, http, p)
                except Unrecorded as refused:
                    await E.settle(rt)
                    out.refused[sid] = str(refused)
                    continue
                out.calls[sid] = p.call_id or ""
            assert rt.journal is not None
            await rt.journal.flush()
        return out
    finally:
        await http.close()
