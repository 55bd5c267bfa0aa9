"""Issue 12's campaign: 10,000 generated hostile look-up answers and caller inputs through one
running runtime and the strict emulator of FreeSWITCH 1.10.12.

The flow (`hostile_flows/hostile.yaml`) takes a CRM answer and puts it everywhere a value can
reach the switch: TTS prompts with the answer's fields interpolated, `say` values (money,
number, digits, date) written out in a collect's `say:` prompt and, after switching the call
to zh-CN, given to the `say` application, `set` of flow variables (mirrored as
`set flowc_var_...`), the caller's entry read back, a queue with an exit key, and a transfer
whose target is a field of the answer. Record, voicemail and speech nodes are left out: no
capture shows the stock switch running `record` or an ASR module, so the strict emulator
refuses them (`profile.Unrecorded`); sound files likewise (it has none).

Hypothesis generates the calls with fixed seeds (the same 10,000 on every run), in chunks of
1,000 in a forked process while the calls of earlier chunks run; the calls run 50 at a time
through one runtime; every byte the runtime sends is recorded by the emulator and checked
(`hostile_campaign.wire_hazards`); at the end every call must have had exactly one call end
written (counted at `Journal.record`) and held in the journal, and the runtime's log no
traceback and no `internal_error`. A failure lists the first calls with their generated case.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import sqlite3
import time
import traceback
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

from runtime import scenario_calls as sc
from runtime.emulator import BridgeOutcome, CallerScript, CallSpec, QueueOutcome, place_call
from runtime.journal import CallEnd
from runtime.lookup.breaker import BreakerConfig
from runtime.server import Runtime, ServeConfig
from runtime.translate import MediaConfig
from tests.e2e.e2e_support import E2E_TIMEOUTS
from tests.e2e.hostile_campaign import CASES, Case, LookupServer, Sinks, wire_hazards

HERE = Path(__file__).resolve().parent
FLOWS = HERE / "hostile_flows"
CALLS = 10_000
CONCURRENCY = 50  # calls at once: 58 calls/s here at 25 or 50, 51 at 100 (the look-up pool)
CHUNK = 1_000  # calls generated at a time, in a worker process, while earlier ones run
SEED = 12
QUEUE = "hostile__care"
TIMEOUTS = E2E_TIMEOUTS  # the example scenarios' bounds, the same for every e2e call


def generate_cases(n: int, chunk: int = 0) -> list[Case]:
    """`n` calls from `CASES`, the same ones on every run: hypothesis with a fixed seed
    (`chunk`, so that chunks differ), no example database."""
    cases: list[Case] = []

    @settings(
        max_examples=n,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @seed(SEED + chunk)
    @given(CASES)
    def collect(case: Case) -> None:
        cases.append(case)

    collect()
    return cases[:n]


class _Problems(logging.Handler):
    """Log records that show a defect: an exception with its traceback, an error, or an
    `internal_error` anywhere in a record."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        fields = getattr(record, "fields", None)
        shown = f"{record.name} {record.levelname} {text} {fields!r}"[:500]
        if record.exc_info or record.levelno >= logging.ERROR or "internal_error" in shown:
            if record.exc_info:
                shown += "\n" + "".join(traceback.format_exception(*record.exc_info))[-1500:]
            self.records.append(shown)


def _spec(i: int, case: Case, did: str, script_base: CallerScript) -> CallSpec:
    script = CallerScript(
        inputs=case.inputs,
        hangup_after_apps=case.hangup_after_apps,
        queues={QUEUE: QueueOutcome(case.queue, wait=5.0, talk_time=3.0)},  # type: ignore[arg-type]
        bridges=[BridgeOutcome(case.bridge)],  # type: ignore[arg-type]
        dialplan=script_base.dialplan,
        count_dialplan_apps=False,
    )
    return CallSpec(caller=caller_number(i), did=did, script=script, caller_name=case.caller_name)


def caller_number(i: int) -> str:
    return f"7{i:07d}"


async def run_campaign(chunks: Sequence[Future[list[Case]]], tmp: Path) -> dict[str, Any]:
    """Every case as one call through one runtime (the cases arrive in chunks, generated
    while the calls of earlier chunks run); returns what the test asserts on."""
    crm = LookupServer()
    await crm.start()
    bundle = sc.compile_with_bindings([FLOWS], tmp, crm.url, "e2e")
    config = ServeConfig(
        bundle=bundle,
        listen=[("127.0.0.1", 0)],
        env="e2e",
        journal=f"sqlite:///{tmp / 'journal.db'}",
        reload_interval=0,
        instance="hostile",
        timeouts=TIMEOUTS,
        media=MediaConfig(),  # flite|kal, no ASR: the stock switch
    )
    rt = Runtime(
        config,
        lookup_options={"breaker": BreakerConfig(failure_threshold=10**9)},  # every answer read
    )
    problems = _Problems()
    # the root logger, and any of the runtime's loggers that does not pass records up to it
    watched = [logging.getLogger()] + [
        logger
        for logger in map(logging.getLogger, ("flowc.runtime", "runtime.journal", "runtime"))
        if not logger.propagate
    ]
    for logger in watched:
        logger.addHandler(problems)
    ends: Counter[str] = Counter()
    sinks = Sinks()
    hazards: list[str] = []
    failures: list[str] = []
    closed: Counter[str] = Counter()
    placed: list[str] = []
    await rt.start()
    try:
        assert rt.journal is not None
        record = rt.journal.record

        def counting(item: Any) -> None:
            if isinstance(item, CallEnd):
                ends[item.call_id] += 1
            record(item)

        rt.journal.record = counting
        did = sc.flow_did(bundle, "e2e", "hostile")
        base = CallerScript(dialplan=sc.generated_dialplan(bundle, "e2e", [f"127.0.0.1:{rt.port}"]))
        slots = asyncio.Semaphore(CONCURRENCY)

        async def one(i: int, case: Case) -> None:
            try:
                await call(i, case)
            finally:
                slots.release()

        async def call(i: int, case: Case) -> None:
            spec = _spec(i, case, did, base)
            placed.append(spec.uuid)
            try:
                rec = await place_call(spec, timeout=90, time_scale=0.0, record=True)
            except Exception as exc:  # Unrecorded: the runtime asked for the unknown
                failures.append(f"call {i}: {exc!r}; {case.brief()}")
                return
            closed[rec.closed_by] += 1
            if rec.error is not None:
                failures.append(f"call {i}: {rec.closed_by} {rec.error}; {case.brief()}")
            found = wire_hazards(rec.messages, sinks)
            if found:
                hazards.append(f"call {i}: {found[:3]}; {case.brief()}")
            rec.messages.clear()  # 10,000 calls' events would not fit in memory

        started = time.perf_counter()
        tasks: list[asyncio.Task[None]] = []
        async with asyncio.timeout(900):
            for chunk in chunks:
                for case in await asyncio.wrap_future(chunk):
                    i = len(tasks)
                    crm.answers[caller_number(i)] = (case.status, case.body)
                    await slots.acquire()
                    tasks.append(asyncio.create_task(one(i, case)))
            await asyncio.gather(*tasks)
            while rt.drivers:
                await asyncio.sleep(0.01)
            await rt.journal.flush()
        wall = time.perf_counter() - started
    finally:
        await rt.stop(drain_timeout=5.0)
        await crm.close()
        for logger in watched:
            logger.removeHandler(problems)
    with sqlite3.connect(tmp / "journal.db") as db:
        rows = db.execute("SELECT call_id, outcome, detail FROM call_ends").fetchall()
        started_rows = {r[0] for r in db.execute("SELECT call_id FROM calls")}
    return {
        "wall": wall,
        "placed": placed,
        "ends": ends,
        "rows": rows,
        "started_rows": started_rows,
        "sinks": sinks,
        "hazards": hazards,
        "failures": failures,
        "closed": closed,
        "log_problems": problems.records,
        "lookups": crm.requests,
    }


def _report(result: dict[str, Any]) -> str:
    sinks: Sinks = result["sinks"]
    outcomes = Counter(r[1] for r in result["rows"])
    n = len(result["placed"])
    return (
        f"{n} calls in {result['wall']:.1f} s ({n / result['wall']:.1f} calls/s), "
        f"{result['lookups']} look-ups; outcomes {dict(outcomes)}; closed by "
        f"{dict(result['closed'])}; apps {dict(sinks.apps)}; mirrored sets {sinks.mirrored}; "
        f"say {dict(sinks.say_types)}; bridges {sinks.dial_strings}; "
        f"defused {{system(id)}} in {dict(sinks.defused)}"
    )


def check(result: dict[str, Any], calls: int) -> None:
    placed: list[str] = result["placed"]
    assert len(placed) == calls
    assert not result["failures"], result["failures"][:5]
    assert not result["hazards"], result["hazards"][:5]
    # every call: exactly one end written, and the journal holds it (and its start)
    ends: Counter[str] = result["ends"]
    assert set(ends) == set(placed), sorted(set(placed) ^ set(ends))[:5]
    assert [c for c, k in ends.items() if k != 1] == []
    journaled = Counter(r[0] for r in result["rows"])
    assert set(journaled) == set(placed) and set(journaled.values()) == {1}
    assert result["started_rows"] == set(placed)
    internal = [r for r in result["rows"] if "internal_error" in (r[2] or "")]
    assert internal == [], internal[:5]
    assert result["log_problems"] == [], result["log_problems"][:5]
    # the campaign reached every sink, with hostile data among what it made safe
    sinks: Sinks = result["sinks"]
    # (say values are spoken as TTS text in `speak` and `say:` prompts: the runtime no longer
    # sends the `say` app; were it to, its value must still be of its type)
    for app in ("speak", "set", "play_and_get_digits", "callcenter", "bridge"):
        assert sinks.apps[app] >= calls // 100, (app, _report(result))
    assert sinks.mirrored >= calls // 10
    assert {"speak", "set", "play_and_get_digits"} <= set(sinks.defused), _report(result)


def campaign(calls: int, tmp: Path) -> dict[str, Any]:
    """`calls` generated calls through one runtime. The cases are generated in a forked
    process (the machine's other core), a chunk ahead of the calls that use them."""
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=fork) as pool:
        sizes = [min(CHUNK, calls - start) for start in range(0, calls, CHUNK)]
        chunks = [pool.submit(generate_cases, size, k) for k, size in enumerate(sizes)]
        return asyncio.run(run_campaign(chunks, tmp))


def test_hostile_campaign_10000_calls_through_one_runtime(tmp_path: Path) -> None:
    result = campaign(CALLS, tmp_path)
    print(f"\nhostile campaign: {_report(result)}")
    check(result, CALLS)


# ------------------------------------------------------------------ the checker itself

_ID = "Event-UUID: 00000000-0000-4000-8000-000000000001\n"
_EXEC = "sendmsg\ncall-command: execute\n" + _ID + "execute-app-name: "
# (what the runtime might have sent, what the check must say about it)
_LEAKS = [
    (_EXEC + "say\nexecute-app-arg: en CURRENCY PRONOUNCED ${system(id)}\n\n", "expansion"),
    (_EXEC + "say\nexecute-app-arg: en NUMBER ITERATED 12a\n\n", "not a value of its type"),
    (_EXEC + "say\nexecute-app-arg: zh NUMBER PRONOUNCED ٣\n\n", "not a value of its type"),
    (_EXEC + "bridge\nexecute-app-arg: {execute_on_answer=system id}user/1000\n\n", "dial"),
    (
        _EXEC + "bridge\nexecute-app-arg: loopback/1000,sofia/gateway/gw/+19005550100/default\n\n",
        "dial string",
    ),
    (_EXEC + "set\nexecute-app-arg: flowc_var_name=^^:a\n\n", "delimiter change"),
    (_EXEC + "speak\nexecute-app-arg: flite|kal|a\x00b\n\n", "CR or NUL"),
    (_EXEC + "speak\nexecute-app-arg: flite|kal|hi\ncall-command: hangup\n\n", "header line"),
    (
        _EXEC + "set\ncontent-type: text/plain\ncontent-length: 6\n\na\nb=cd",
        "a command with a body",
    ),
    (
        _EXEC + "play_and_get_digits\nexecute-app-arg: 1 13 2 3000 # 'say:it's' "
        "silence_stream://250 flowc_in_acct .* 0\n\n",
        "split into",
    ),
    ("api uuid_broadcast u speak::flite|kal|$${x} aleg\n\n", "expansion"),
    # a whole command smuggled in behind a value's blank line: no Event-UUID of its own
    (
        "sendmsg\ncall-command: execute\nexecute-app-name: bridge\n"
        "execute-app-arg: loopback/1000/default\n\n",
        "without an Event-UUID",
    ),
]


@pytest.mark.parametrize(("leak", "why"), _LEAKS)
def test_the_wire_check_sees_each_leak_of_issue_12(leak: str, why: str) -> None:
    found = wire_hazards([{"dir": "to_switch", "data": leak}], Sinks())
    assert any(why in f for f in found), found


def test_the_wire_check_passes_what_flowc_itself_writes() -> None:
    def run(app_uuid: str, app: str, arg: str) -> str:
        return (
            f"sendmsg\ncall-command: execute\nexecute-app-name: {app}\n"
            f"Event-UUID: 00000000-0000-4000-8000-00000000000{app_uuid}\n"
            f"execute-app-arg: {arg}\n\n"
        )

    good = [
        "connect\n\n",
        run("a", "say", "zh CURRENCY PRONOUNCED -12.50"),
        run("b", "speak", "flite|kal|{system(id)} | x"),
        run("c", "bridge", "sofia/external/agent@example.com:5080"),
        run(
            "d",
            "play_and_get_digits",
            "1 13 2 3000 # 'say:it\\'s {x}' silence_stream://250 flowc_in_acct .* 0",
        ),
        "api uuid_broadcast u speak::flite|kal|${flowc_announce_text} aleg\n\n",
        "sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n",
    ]
    sinks = Sinks()
    assert wire_hazards([{"dir": "to_switch", "data": g} for g in good], sinks) == []
    assert sinks.defused["speak"] == 1 and sinks.say_types["CURRENCY PRONOUNCED"] == 1
