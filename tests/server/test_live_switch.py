"""The driver's behaviour where the live FreeSWITCH 1.10.12 captures showed it wrong
(tests/fixtures/freeswitch/live, README "Divergences"), through the runtime and the fake
switch (which models what those captures show) and, for what the driver reads from events,
with the captured events themselves."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime import translate as tr
from runtime.esl.message import Event
from runtime.esl.parser import ESLParser
from runtime.server import Runtime
from tests.server.fakeswitch import FakeCall, Record, Script
from tests.server.serverkit import FAST, HERE, START, compile_bundle, running

LIVE = HERE.parents[1] / "tests" / "fixtures" / "freeswitch" / "live"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_bundle(tmp_path_factory.mktemp("live") / "build", HERE / "flows_live")


def go(coro: Awaitable[Any], timeout: float = 30.0) -> Any:
    async def bounded() -> Any:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(bounded())


async def call_through(
    rt: Runtime, script: Script, variables: dict[str, str] | None = None
) -> tuple[FakeCall, Record, dict[str, Any], list[dict[str, Any]]]:
    call = FakeCall("127.0.0.1", rt.port, dest="8001", script=script, variables=variables)
    record = await call.run(10)
    async with asyncio.timeout(10):
        while rt.drivers:
            await asyncio.sleep(0.01)
    assert rt.journal is not None
    await rt.journal.flush()
    row = await rt.journal.fetch_call(call.uuid)
    steps = await rt.journal.fetch_steps(call.uuid)
    return call, record, row, steps


def nodes(steps: list[dict[str, Any]]) -> list[str]:
    return [s["node"] for s in steps]


# ------------------------------------------------------------------ captured events


def captured_events(name: str) -> Iterator[tuple[int, Event]]:
    """(line of the chunk that completes it, event) for every event the switch sent in a
    live capture, parsed by the runtime's own ESL parser, connection by connection."""
    parsers: dict[int, ESLParser] = {}
    for lineno, line in enumerate((LIVE / name).read_text().splitlines(), 1):
        row = json.loads(line)
        if row.get("kind") != "esl" or row.get("dir") != "fs->rt":
            continue
        parser = parsers.setdefault(row["conn"], ESLParser())
        for message in parser.feed(row["text"].encode()):
            if message.content_type == "text/event-json":
                yield lineno, Event.from_message(message)


def first_hangup(name: str) -> tuple[int, Event]:
    return next((n, e) for n, e in captured_events(name) if e.name == "CHANNEL_HANGUP")


# ------------------------------------------------------------------ 2. the survey after an agent


def test_who_hung_up_is_read_from_the_captured_events() -> None:
    """T04 line 74: the dialplan's `hangup` (after the survey was cut); T14 line 21: the
    caller's BYE; T07: the switch's MEDIA_TIMEOUT; D1: the runtime's own `sendmsg` hangup
    (nothing about a far end: the driver knows it sent it)."""
    line, dialplan = first_hangup("T04_lookup_error_queue_answered_survey.jsonl")
    assert line == 74 and tr.hangup_by(dialplan) == "dialplan"
    line, caller = first_hangup("T14_hangup_mid_prompt.jsonl")
    assert line == 21 and tr.hangup_by(caller) == "caller"
    _, media = first_hangup("T07_pin_sensitive_balance.jsonl")
    assert tr.hangup_cause(media) == "MEDIA_TIMEOUT" and tr.hangup_by(media) == "switch"
    _, ours = first_hangup("D1_diag_survey_old_socket_kept.jsonl")
    assert tr.hangup_by(ours) is None
    for name in ("T13_crm_error_apology_then_hangup.jsonl", "T06a_exit_key_broken_moh.jsonl"):
        assert tr.hangup_by(first_hangup(name)[1]) == "caller", name


def test_survey_after_the_agent_keeps_the_first_socket_until_the_call_ends(
    bundle: Path, tmp_path: Path
) -> None:
    """T04: `exit` on the first socket once the resume socket was connected ended the new
    socket's park, the dialplan hung up after the first question and the journal said
    caller_hangup. D1: with the first socket kept open the whole survey runs. The fake
    switch ends the park as the real one does (see fakeswitch), so this fails on the old
    driver."""

    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            script = Script(
                inputs=["press 1", "press 5", "press 7"],
                resume_host=("127.0.0.1", rt.port),
                agent_talk=0.2,  # the first socket's driver is waiting with the agent
            )
            call, record, row, steps = await call_through(rt, script)
            assert record.resumed and record.connections == 2
            # no socket ended while the call was up; the first one ended last (D1 line 110)
            assert record.sockets_ended == [(1, True), (0, True)]
            assert record.hangup_by == "runtime"
            assert row["outcome"] == "queued" and row["detail"]["ended"] == "hangup"
            assert row["detail"]["survey"] == {"csat": 5, "nps": 7}
            assert nodes(steps) == ["menu", "billing_queue", "survey", "bye"]
            assert rt.journal is not None
            survey = await rt.journal.fetch_survey(call.uuid)
            assert [(s["question"], s["value"]) for s in survey] == [("csat", 5), ("nps", 7)]

    go(scenario())


def test_a_call_the_dialplan_hangs_up_is_not_a_caller_hangup(bundle: Path, tmp_path: Path) -> None:
    """What T04's journal should have said: the dialplan's hangup (current_application
    hangup) ends a queued call as `dialplan_hangup`, not `caller_hangup`. Here the dialplan
    after the agent has no resume socket (the fake's `flowc_agent_done`)."""

    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            script = Script(inputs=["press 1"], agent_talk=0.1)  # no resume_host
            _, record, row, _ = await call_through(rt, script)
            assert record.hangup_by == "dialplan"
            assert row["outcome"] == "queued"
            assert row["detail"]["ended"] == "dialplan_hangup"
            assert row["detail"]["hangup_by"] == "dialplan"

            # the caller hanging up with the agent stays the caller's
            script = Script(inputs=["press 1"], agent_talk=0.1, hangup_with_agent=True)
            _, record, row, _ = await call_through(rt, script)
            assert record.hangup_by == "caller"
            assert row["detail"]["ended"] == "caller_hangup"
            assert row["detail"]["hangup_by"] == "caller"

    go(scenario())


def test_a_switch_hangup_mid_flow_is_an_error_not_abandonment(bundle: Path, tmp_path: Path) -> None:
    """A call the switch ends while the flow still runs (here the dialplan's `hangup` while
    a menu plays) is journaled `error` with who ended it, never `caller_hangup`."""

    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            script = Script(stall_during="play_and_get_digits")
            call = FakeCall("127.0.0.1", rt.port, dest="8001", script=script)
            task = asyncio.create_task(call.run(10))
            async with asyncio.timeout(5):
                while not any(app == "play_and_get_digits" for app, _ in call.record.apps):
                    await asyncio.sleep(0.01)
            call.hangup("NORMAL_CLEARING", "dialplan")
            await task
            async with asyncio.timeout(10):
                while rt.drivers:
                    await asyncio.sleep(0.01)
            assert rt.journal is not None
            await rt.journal.flush()
            row = await rt.journal.fetch_call(call.uuid)
            assert row["outcome"] == "error"
            assert row["detail"]["runtime"] == "dialplan_hangup"
            assert row["detail"]["hangup_by"] == "dialplan"
            assert row["detail"]["interpreter_outcome"] == "caller_hangup"
            steps = await rt.journal.fetch_steps(call.uuid)
            assert steps[-1]["node"] == "menu"
            assert steps[-1]["outcome"] == "dialplan_hangup"

    go(scenario())


# ------------------------------------------------------------------ 3. max_wait


def _callcenter_completion(name: str) -> Event:
    return next(
        e
        for _, e in captured_events(name)
        if e.name == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application") == "callcenter"
    )


def test_queue_result_of_the_captured_exit_key_completion() -> None:
    """E1 line 41: the completion after `uuid_recv_dtmf <uuid> *`. Pressed by the driver at
    max_wait it is the max wait's timeout; pressed by the caller it is the exit key. T08's
    BREAK_OUT (after the runtime's guard hung up) stays a timeout when the guard broke it."""
    e1 = _callcenter_completion("E1_uuid_recv_dtmf_ends_queue_wait.jsonl")
    assert e1.variable("cc_cancel_reason") == "EXIT_WITH_KEY"
    assert e1.variable("cc_exit_key") == "*"
    at = START
    assert tr.queue_result(e1, True, at).outcome == "timeout"
    assert tr.queue_result(e1, False, at).outcome == "exit_key"
    t08 = _callcenter_completion("T08_vip_no_agent_max_wait_break.jsonl")
    assert t08.variable("cc_cancel_reason") == "BREAK_OUT"
    assert tr.queue_result(t08, True, at).outcome == "timeout"


def test_max_wait_presses_a_dedicated_exit_key_when_the_flow_has_none(
    bundle: Path, tmp_path: Path
) -> None:
    """T08/T09: `uuid_break` left the caller waiting until the runtime's guard faulted the
    call. Now the queue gets `cc_exit_keys=D` and at max_wait the driver sends
    `uuid_recv_dtmf <uuid> D` (E1's command); the wait ends and the flow takes on_timeout."""

    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            script = Script(inputs=["press 2"], queue=["max_wait"])
            call, record, row, steps = await call_through(rt, script)
            sets = [arg for app, arg in record.apps if app == "set"]
            assert f"cc_exit_keys={tr.MAX_WAIT_KEY}" in sets
            assert sets.index("cc_exit_keys=D") < record.apps.index(
                ("callcenter", "test_vip@default")
            )
            assert f"api uuid_recv_dtmf {call.uuid} D" in record.commands
            assert not any("uuid_break" in c for c in record.commands)
            assert nodes(steps) == ["menu", "vip_queue", "spill", "bye"]
            assert steps[1]["outcome"] == "spill"
            assert row["outcome"] == "hangup" and "runtime" not in row["detail"]
            assert record.hangup_cause == "NORMAL_CLEARING"

    go(scenario())


def test_max_wait_presses_the_flows_own_exit_key_and_still_takes_on_timeout(
    bundle: Path, tmp_path: Path
) -> None:
    """With an exit key of its own (`*`, as in E1) the driver presses that key; the driver
    knows it pressed it, so the branch is on_timeout (spill), not on_exit (left). The
    caller's own `*` still takes on_exit."""

    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            script = Script(inputs=["press 3"], queue=["max_wait"])
            call, record, row, steps = await call_through(rt, script)
            assert "cc_exit_keys=*" in [arg for app, arg in record.apps if app == "set"]
            assert f"api uuid_recv_dtmf {call.uuid} *" in record.commands
            assert nodes(steps) == ["menu", "broadband_queue", "spill", "bye"]
            assert row["outcome"] == "hangup" and "runtime" not in row["detail"]

            script = Script(inputs=["press 3"], queue=["exit_key"])
            _, record, _, steps = await call_through(rt, script)
            assert nodes(steps) == ["menu", "broadband_queue", "left", "bye"]
            assert not any("uuid_recv_dtmf" in c for c in record.commands)

    go(scenario())


def test_max_wait_key_and_sets() -> None:
    from flowc.interpreter import commands as cmd

    plain = cmd.Enqueue("q", 1, "none", 1000, None, None)
    assert tr.max_wait_key(plain) == "D"
    assert "cc_exit_keys=D" in tr.enqueue_sets(plain)
    own = cmd.Enqueue("q", 1, "none", 1000, "*", None)
    assert tr.max_wait_key(own) == "*"
    assert [s for s in tr.enqueue_sets(own) if s.startswith("cc_exit_keys")] == ["cc_exit_keys=*"]
    no_wait = cmd.Enqueue("q", 1, "none", None, None, None)
    assert tr.max_wait_key(no_wait) is None
    assert not any(s.startswith("cc_exit_keys") for s in tr.enqueue_sets(no_wait))


# ------------------------------------------------------------------ 7. the transfer target


def test_transfer_journals_what_was_bridged_and_the_flows_number(
    bundle: Path, tmp_path: Path
) -> None:
    """T11 line 44: the switch bridged the bound `loopback/8001/default`; line 625: the
    journal said only `target: sip:care@pbx.example.invalid`. It now also has the dial
    string that was bridged (`dialled`); `target` stays the flow's (what `flowc test`
    predicts), `number` the logical name."""

    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            _, record, row, _ = await call_through(rt, Script(inputs=["press 5"]))
            assert ("bridge", "loopback/8001/default") in record.apps
            assert row["outcome"] == "transferred"
            assert row["detail"]["dialled"] == "loopback/8001/default"
            assert row["detail"]["target"] == "sip:care@pbx.example.invalid"
            assert row["detail"]["number"] == "care_line"

    go(scenario())


# ------------------------------------------------------------------ 5. voicemail


def _voicemail_completion(name: str) -> Event:
    return next(
        e
        for _, e in captured_events(name)
        if e.name == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application") == "voicemail"
    )


def test_voicemail_recorded_reads_the_captured_completions() -> None:
    """T10 line 44: a message was kept (voicemail_file_path, record_ms 6390, message_len
    00:00:06); T10b (unknown domain) and T10c (no greeting file): nothing was."""
    t10 = _voicemail_completion("T10_voicemail_invoice_message.jsonl")
    assert tr.voicemail_recorded(t10)
    done = tr.record_done(t10, "", START, voicemail=True)
    assert done.duration_ms == 6390 and done.path.endswith(".wav") and "/msg_" in done.path
    for name in ("T10b_voicemail_unknown_domain.jsonl", "T10c_voicemail_no_sound_files.jsonl"):
        assert not tr.voicemail_recorded(_voicemail_completion(name)), name
    only_len = Event({"variable_voicemail_message_len": "00:01:02"})
    assert tr.record_done(only_len, "", START, voicemail=True).duration_ms == 62_000


def test_voicemail_with_nothing_recorded_is_an_error_not_a_message(
    bundle: Path, tmp_path: Path
) -> None:
    """T10b/T10c were journaled `voicemail` with an empty path. Now: outcome `error`, reason
    `voicemail_not_recorded`, no voicemail path; a recorded one stays `voicemail`."""

    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            script = Script(inputs=["press 4"], voicemail_records=False)
            _, record, row, steps = await call_through(rt, script)
            assert ("voicemail", "default default 1001") in record.apps
            assert row["outcome"] == "error"
            assert row["detail"]["runtime"] == "voicemail_not_recorded"
            assert "path" not in row["detail"]
            assert nodes(steps) == ["menu", "finance_message"]
            assert steps[-1]["outcome"] == "error"
            assert rt.metrics.value("flowc_errors_total", {"kind": "voicemail_not_recorded"}) == 1

            _, _, row, _ = await call_through(rt, Script(inputs=["press 4"]))
            assert row["outcome"] == "voicemail"
            assert row["detail"]["path"].endswith(".wav") and row["detail"]["mailbox"] == "finance"

    go(scenario())


def test_survey_resumed_on_another_instance_while_the_first_holds_its_socket(
    bundle: Path, tmp_path: Path
) -> None:
    """The survey socket reaches instance B while A still holds the first socket: A must not
    end it before the call is over either (its end would end B's park, as in T04), so B's
    whole survey runs; A writes no end, B writes the one end."""

    # A stops waiting for the resume socket to come to it after 0.05 s, while B's first
    # survey question still runs (each collect takes 0.2 s): from then on A only holds its
    # socket, which must outlive B's survey.
    quick = dataclasses.replace(FAST, resume_grace=0.05)

    async def scenario() -> None:
        journal = f"sqlite:///{tmp_path / 'shared.db'}"
        async with running(bundle, tmp_path, journal=journal, instance="A", timeouts=quick) as a:
            async with running(bundle, tmp_path, journal=journal, instance="B") as b:
                script = Script(
                    inputs=["press 1", "press 3", "press 8"],
                    resume_host=("127.0.0.1", b.port),
                    agent_talk=0.2,
                    collect_delay=0.2,
                )
                call = FakeCall("127.0.0.1", a.port, dest="8001", script=script)
                record = await call.run(10)
                async with asyncio.timeout(10):
                    while a.drivers or b.drivers:
                        await asyncio.sleep(0.01)
                assert record.resumed and record.hangup_by == "runtime"
                assert record.sockets_ended == [(1, True), (0, True)]
                assert b.journal is not None
                await b.journal.flush()
                row = await b.journal.fetch_call(call.uuid)
                assert row["instance"] == "A" and row["outcome"] == "queued"
                assert row["detail"]["survey"] == {"csat": 3, "nps": 8}
                assert await b.journal.count("call_ends") == 1

    go(scenario())
