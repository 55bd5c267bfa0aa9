"""Whole calls through the runtime: fake switch -> ESL -> driver -> interpreter -> journal."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest

from runtime.logs import setup_logging
from runtime.server import Runtime
from tests.server.fakeswitch import FakeCall, Record, Script
from tests.server.serverkit import MockHTTP, compile_bundle, running


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_bundle(tmp_path_factory.mktemp("bundle") / "build")


def go(coro: Awaitable[Any], timeout: float = 30.0) -> Any:
    async def bounded() -> Any:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(bounded())


async def call_through(
    rt: Runtime, script: Script, *, dest: str = "8001", variables: dict[str, str] | None = None
) -> tuple[FakeCall, Record, dict[str, Any], list[dict[str, Any]]]:
    call = FakeCall("127.0.0.1", rt.port, dest=dest, script=script, variables=variables)
    record = await call.run(10)
    await _settle(rt)
    assert rt.journal is not None
    await rt.journal.flush()
    row = await rt.journal.fetch_call(call.uuid)
    steps = await rt.journal.fetch_steps(call.uuid)
    return call, record, row, steps


async def _settle(rt: Runtime) -> None:
    """Wait (bounded) until the runtime has no call left."""
    async with asyncio.timeout(10):
        while rt.drivers:
            await asyncio.sleep(0.01)


def nodes(steps: list[dict[str, Any]]) -> list[str]:
    return [s["node"] for s in steps]


# ------------------------------------------------------------------ happy paths


def test_sensitive_pin_is_masked_everywhere_and_cleared(bundle: Path, tmp_path: Path) -> None:
    out = io.StringIO()
    handler = setup_logging("debug", out)
    try:

        async def scenario() -> None:
            async with running(bundle, tmp_path) as rt:
                script = Script(inputs=["press 2", "press 4321#"])
                _, record, row, steps = await call_through(rt, script)
                assert row["outcome"] == "hangup" and row["end_node"] == "bye"
                assert row["detail"]["variables"]["pin"] == "****"
                assert nodes(steps) == ["start", "lookup", "menu", "ask_pin", "pin_ok", "bye"]
                pin = steps[3]
                assert pin["sensitive"] and pin["input"] == "****" and pin["outcome"] == "pin_ok"
                assert ("unset", "flowc_in_pin") in record.apps
                assert not any(app == "set" and "4321" in arg for app, arg in record.apps)
                assert record.exits == 1 and record.hangup_cause == "NORMAL_CLEARING"
                assert [s["seq"] for s in steps] == list(range(1, 7))

        go(scenario())
    finally:
        logging.getLogger("flowc.runtime").removeHandler(handler)
    text = out.getvalue()
    assert "4321" not in text
    lines = [json.loads(x) for x in text.splitlines() if x.startswith("{")]
    assert {"call_started", "call_ended"} <= {x["event"] for x in lines}
    assert all({"ts", "level", "event"} <= set(x) for x in lines)


def test_lookup_result_sets_priority_and_queue_answers_then_survey_resumes(
    bundle: Path, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with MockHTTP({"/crm/": (200, {"tier": "gold"}, 0.0)}) as http:
            env = {"CRM_URL": http.url + "/crm"}
            async with running(bundle, tmp_path, lookup_env=env) as rt:
                script = Script(inputs=["press 1", "press 4"], resume_host=("127.0.0.1", rt.port))
                call, record, row, steps = await call_through(rt, script)
                assert http.requests == ["/crm/customers/%2B8613800000000"]
                sets = [arg for app, arg in record.apps if app in ("set", "multiset")]
                joined = " ".join(sets)
                assert "cc_base_score=5" in joined and "flowc_resume=survey" in joined
                assert ("callcenter", "test_sales@default") in record.apps
                assert record.resumed and record.connections == 2
                assert row["outcome"] == "queued"
                assert row["detail"]["queue"] == "sales" and row["detail"]["priority"] == 5
                assert row["detail"]["ended"] == "hangup"
                assert row["detail"]["survey"] == {"csat": 4}
                assert nodes(steps) == ["start", "lookup", "menu", "sales", "survey", "bye"]
                assert steps[3]["outcome"] == "answered"
                assert rt.journal is not None
                survey = await rt.journal.fetch_survey(call.uuid)
                assert [(s["question"], s["value"]) for s in survey] == [("csat", 4)]
                assert record.exits == 2  # both sockets were released with exit

    go(scenario())


def test_queue_resume_on_another_instance(bundle: Path, tmp_path: Path) -> None:
    """The survey socket reaches instance B (A still holds the first socket): B continues the
    call from flowc_state, A detaches without writing an end; one record of each kind."""

    async def scenario() -> None:
        journal = f"sqlite:///{tmp_path / 'shared.db'}"
        async with running(bundle, tmp_path, journal=journal, instance="A") as a:
            async with running(bundle, tmp_path, journal=journal, instance="B") as b:
                script = Script(inputs=["press 1", "press 2"], resume_host=("127.0.0.1", b.port))
                call = FakeCall("127.0.0.1", a.port, script=script)
                record = await call.run(10)
                await _settle(a)
                await _settle(b)
                assert record.resumed and record.exits == 2
                for rt in (a, b):
                    assert rt.journal is not None
                    await rt.journal.flush()
                assert b.journal is not None
                row = await b.journal.fetch_call(call.uuid)
                assert row["instance"] == "A"
                assert row["outcome"] == "queued" and row["detail"]["survey"] == {"csat": 2}
                assert row["detail"]["queue"] == "sales"
                steps = await b.journal.fetch_steps(call.uuid)
                assert nodes(steps) == ["start", "lookup", "menu", "sales", "survey", "bye"]
                assert [s["seq"] for s in steps] == list(range(1, 7))
                assert await b.journal.count("call_ends") == 1
                assert await b.journal.count("calls") == 1

    go(scenario())


def test_speech_menu_queue_max_wait_and_recording(bundle: Path, tmp_path: Path) -> None:
    """lab: the caller says "sales"; the queue never answers, so the runtime's own max-wait
    timer presses the queue's exit key (uuid_recv_dtmf; the flow has none: the dedicated D)
    and the flow records a memo after a beep."""

    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            script = Script(inputs=["say sales"], queue=["max_wait"])
            _, record, row, steps = await call_through(
                rt, script, dest="7000", variables={"flowc_flow": "lab"}
            )
            apps = [app for app, _ in record.apps]
            assert apps.index("detect_speech") < apps.index("play_and_get_digits")
            assert ("detect_speech", "stop") in record.apps
            assert f"api uuid_recv_dtmf {row['call_id']} D" in record.commands
            assert nodes(steps) == ["ask", "wait", "memo", "played", "bye"]
            assert steps[0]["input"] == "say:sales"
            assert steps[1]["why"].startswith("said 'sales'")
            beep = apps.index("record") - 1
            assert record.apps[beep] == ("playback", "tone_stream://%(500,0,800)")
            path = next(arg for app, arg in record.apps if app == "record").split()[0]
            assert row["detail"]["variables"]["memo"] == path
            assert row["outcome"] == "hangup"

    go(scenario())


def test_queue_no_agent_takes_a_message(bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            script = Script(inputs=["press 1"], queue=["no_agent"])
            _, record, row, steps = await call_through(rt, script)
            assert ("voicemail", "default default 1000") in record.apps
            assert row["outcome"] == "voicemail"
            assert nodes(steps)[-2:] == ["sales", "message"]
            # a queue that did not answer must not leave the resume variable set
            assert ("unset", "flowc_resume") in record.apps

    go(scenario())


def test_transfer_bridges_bound_number(bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            _, record, row, _ = await call_through(rt, Script(inputs=["press 3"]))
            assert ("bridge", "user/1901") in record.apps
            joined = " ".join(a for app, a in record.apps if app in ("set", "multiset"))
            assert "continue_on_fail=true" in joined
            assert row["outcome"] == "transferred"
            assert row["detail"]["target"] == "sip:desk@example.invalid"
            assert row["detail"]["dialled"] == "user/1901"  # what was bridged
            assert row["detail"]["number"] == "desk"
            assert record.exits == 1

    go(scenario())


def test_failed_transfer_takes_on_fail(bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            script = Script(inputs=["press 3"], bridge_ok=False)
            _, record, row, steps = await call_through(rt, script)
            assert row["outcome"] == "hangup" and nodes(steps)[-1] == "bye"
            assert record.apps[-1] == ("hangup", "NORMAL_CLEARING")

    go(scenario())


def test_say_digits_and_menu_failure(bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            _, record, row, _ = await call_through(rt, Script(inputs=["press 5"]))
            # the digits are read out by the TTS engine (no `say` app, no say module needed)
            spoken = [arg for app, arg in record.apps if app == "speak"]
            assert any("plus 8 6 1 3 8 0 0 0 0 0 0 0 0" in arg for arg in spoken), spoken
            _, record, row, steps = await call_through(rt, Script(inputs=["press 9", "silence"]))
            assert row["outcome"] == "hangup"
            assert steps[2]["node"] == "menu" and steps[2]["input"] == "9,timeout"

    go(scenario())


# ------------------------------------------------------------------ the caller hangs up


HANGUP_POINTS: list[tuple[str, list[str], str]] = [
    ("speak", [], "start"),  # during the welcome prompt
    ("play_and_get_digits", [], "menu"),  # in the menu
    ("callcenter", ["press 1"], "sales"),  # waiting in the queue
    ("bridge", ["press 3"], "desk"),  # while the transfer rings
    ("voicemail", ["press 4"], "message"),  # while leaving a message
    ("speak:Your number is", ["press 5"], "number"),  # while a number is read out
]


@pytest.mark.parametrize(("app", "inputs", "node"), HANGUP_POINTS)
def test_caller_hangs_up_in_every_state(
    bundle: Path, tmp_path: Path, app: str, inputs: list[str], node: str
) -> None:
    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            script = Script(inputs=inputs, hangup_during=app)
            _, record, row, steps = await call_through(rt, script)
            assert row["outcome"] == "caller_hangup", row
            assert row["end_node"] == node
            assert steps[-1]["node"] == node and steps[-1]["outcome"] == "caller_hangup"
            assert record.exits == 1  # the lingering socket was released
            assert rt.journal is not None
            assert await rt.journal.count("call_ends") == 1

    go(scenario())


def test_caller_hangs_up_with_the_agent(bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            script = Script(inputs=["press 1"], hangup_with_agent=True)
            _, record, row, steps = await call_through(rt, script)
            assert row["outcome"] == "queued" and row["detail"]["ended"] == "caller_hangup"
            assert nodes(steps)[-1] == "sales"
            assert record.exits == 1

    go(scenario())


def test_caller_hangs_up_during_a_slow_lookup(bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with MockHTTP({"/crm/": (200, {"tier": "gold"}, 5.0)}) as http:
            async with running(bundle, tmp_path, lookup_env={"CRM_URL": http.url + "/crm"}) as rt:
                call = FakeCall("127.0.0.1", rt.port, script=Script())
                task = asyncio.create_task(call.run(10))
                async with asyncio.timeout(5):
                    while not http.requests:
                        await asyncio.sleep(0.01)
                call.hangup("NORMAL_CLEARING")
                await task
                await _settle(rt)
                assert rt.journal is not None
                await rt.journal.flush()
                row = await rt.journal.fetch_call(call.uuid)
                assert row["outcome"] == "caller_hangup" and row["end_node"] == "lookup"

    go(scenario())


# ------------------------------------------------------------------ the switch misbehaves


def test_switch_drops_the_socket(bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            _, _, row, _ = await call_through(rt, Script(drop_during="play_and_get_digits"))
            assert row["outcome"] == "caller_hangup"
            assert row["detail"]["runtime"] == "socket_closed"
            # and the runtime keeps serving
            _, _, row2, _ = await call_through(rt, Script(inputs=["press 9", "press 9"]))
            assert row2["outcome"] == "hangup"

    go(scenario())


def test_garbage_bytes_end_only_that_call(bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            _, _, row, _ = await call_through(rt, Script(garbage_during="speak"))
            assert row["outcome"] == "caller_hangup" and row["end_node"] == "start"
            _, _, row2, _ = await call_through(rt, Script(inputs=["press 2", "press 1111#"]))
            assert row2["outcome"] == "hangup"

    go(scenario())


def test_switch_never_completes_an_app(bundle: Path, tmp_path: Path) -> None:
    from runtime.driver import Timeouts
    from tests.server.serverkit import FAST

    short = Timeouts(**{**FAST.__dict__, "app": 0.3})

    async def scenario() -> None:
        async with running(bundle, tmp_path, timeouts=short) as rt:
            _, record, row, _ = await call_through(rt, Script(stall_during="speak"))
            assert row["outcome"] == "error" and row["detail"]["runtime"] == "play_timeout"
            assert row["detail"]["interpreter_outcome"] == "caller_hangup"
            assert record.hangup_cause == "NORMAL_TEMPORARY_FAILURE"

    go(scenario())


# ------------------------------------------------------------------ look-up faults


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ((500, {"error": "boom"}, 0.0), "error"),
        ((200, "malformed", 0.0), "error"),
        ((200, {"tier": "gold"}, 3.0), "timeout"),  # the service's timeout is 1 s
    ],
)
def test_lookup_faults_take_the_error_branches(
    bundle: Path, tmp_path: Path, route: tuple[int, Any, float], reason: str
) -> None:
    async def scenario() -> None:
        async with MockHTTP({"/crm/": route}) as http:
            async with running(bundle, tmp_path, lookup_env={"CRM_URL": http.url + "/crm"}) as rt:
                _, _, row, steps = await call_through(rt, Script(inputs=["press 9", "press 9"]))
                assert nodes(steps)[:3] == ["start", "lookup", "menu"]
                assert f"({reason})" in steps[2]["why"]
                assert row["detail"]["variables"]["tier"] == "standard"
                errors = rt.metrics.value(
                    "flowc_lookups_total", {"service": "crm", "result": reason}
                )
                assert errors == 1.0

    go(scenario())


# ------------------------------------------------------------------ routing


def test_flowc_flow_variable_wins_and_unknown_did_is_released(bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            _, _, row, _ = await call_through(
                rt,
                Script(inputs=["press 9", "press 9"]),
                dest="9999",
                variables={"flowc_flow": "shop"},
            )
            assert row["flow"] == "shop"
            call = FakeCall("127.0.0.1", rt.port, dest="9999", script=Script())
            record = await call.run(5)
            assert record.released and record.exits == 1 and not record.apps
            assert rt.metrics.value("flowc_errors_total", {"kind": "no_flow"}) == 1.0

    go(scenario())


def test_many_concurrent_calls(bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            calls = [
                FakeCall("127.0.0.1", rt.port, script=Script(inputs=["press 2", "press 1234#"]))
                for _ in range(50)
            ]
            await asyncio.gather(*(c.run(20) for c in calls))
            await _settle(rt)
            assert rt.journal is not None
            await rt.journal.flush()
            assert await rt.journal.count("calls") == 50
            assert await rt.journal.count("call_ends") == 50
            assert await rt.journal.count("steps") == 50 * 6
            assert (
                rt.metrics.value("flowc_calls_total", {"flow": "shop", "outcome": "hangup"}) == 50
            )
            assert rt.metrics.value("flowc_calls_active") == 0

    go(scenario(), timeout=60)
