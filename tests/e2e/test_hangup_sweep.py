"""The caller hangs up during every application of a call, one run per application: each
run ends with exactly one call end in the journal, the emulated channel is released (no
socket left open), and the runtime keeps serving the next call."""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
from pathlib import Path

from flowc.simulate import Simulator
from tests.e2e import e2e_support as E


def _longest_scenarios(n: int) -> list[E.Plan]:
    """The `n` scenarios with the longest simulated paths that stay in one socket session and
    need nothing no recording shows (`Plan.needs`: the strict emulator refuses those)."""
    scored = []
    for sf, s in E.all_scenarios():
        if s.hangup_at:
            continue
        p = E.plan(sf, s)
        if p.resume_node is not None or p.needs:
            continue
        scored.append((len(Simulator(p.flow, s, asr=False).run().path), E.scenario_id((sf, s)), p))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [p for _, _, p in scored[:n]]


def test_hangup_during_every_application() -> None:
    plans = _longest_scenarios(2)
    report: list[str] = []

    async def run() -> None:
        tmp = Path(tempfile.mkdtemp(prefix="flowc-sweep-"))
        http = E.MockHTTP()
        await http.start()
        try:
            bundle = E.compile_e2e_bundle(tmp, http.url)
            http.timeouts = E.service_timeouts(bundle)
            async with E.e2e_runtime(bundle, tmp) as rt:
                assert rt.journal is not None
                for p in plans:
                    await E.run_scenario(rt, http, p)
                    total = rt.apps_total[p.call_id]
                    assert total >= 5, total
                    for n in range(1, total + 1):
                        q = dataclasses.replace(p, hangup_after_apps=n)
                        _, records = await E.run_scenario(rt, http, q)
                        row = await rt.journal.fetch_call(q.call_id)
                        where = f"{p.scenario.name} / app {n} of {total}"
                        if row is None or row.get("outcome") is None:
                            report.append(f"{where}: no call end")
                        if any(r.closed_by not in ("switch", "app") for r in records):
                            report.append(f"{where}: {records[0].closed_by} {records[0].error}")
                        if rt.drivers:
                            report.append(f"{where}: {len(rt.drivers)} driver(s) left")
                        if (
                            n < total
                            and row is not None
                            and row.get("outcome")
                            not in (
                                "caller_hangup",
                                "queued",
                                "voicemail",
                                "transferred",
                                "hangup",
                                "completed",
                            )
                        ):
                            report.append(f"{where}: outcome {row.get('outcome')}")
                assert await rt.journal.count("call_ends") == await rt.journal.count("calls")
        finally:
            await http.close()

    asyncio.run(run())
    assert not report, "\n".join(report)
