"""The resume state (`flowc_state`) is signed: a channel that names a resume node with a state
of its own choosing does not get to run the flow from there (issue 12: `flowc_resume_node=xfer`
skipped the PIN and bridged to a premium number)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest
from fakeswitch import FakeCall, Record, Script
from serverkit import HERE, compile_bundle, running

from runtime import translate as tr
from runtime.logs import setup_logging
from runtime.resume_state import ENV_VAR, ResumeKeyError, ResumeKeys
from runtime.server import Runtime

OLD = "old-resume-key-0123456789abcdef"
NEW = "new-resume-key-fedcba9876543210"
CALL = "5c31d958-0000-4000-8000-000000000001"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_bundle(tmp_path_factory.mktemp("resume") / "build", HERE / "flows_live")


def go(coro: Awaitable[Any], timeout: float = 30.0) -> Any:
    async def bounded() -> Any:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(bounded())


STATE: dict[str, Any] = {
    "flow": "care",
    "version": "",
    "seq": 2,
    "vars": {},
    "queue": {"queue": "billing", "priority": 0},
}


# ------------------------------------------------------------------ tokens


def test_seal_and_open() -> None:
    keys = ResumeKeys.of([NEW], "test")
    token = keys.seal(STATE, CALL, "survey")
    assert keys.open(token, CALL, "survey") == STATE


@pytest.mark.parametrize(
    ("token_for", "call", "node", "reason"),
    [
        ("unsigned", CALL, "xfer", "resume state not signed"),  # the issue-12 forgery
        ("other_node", CALL, "xfer", "bad signature"),  # signed for survey, resumed at xfer
        ("other_call", CALL, "survey", "bad signature"),  # another channel's state
        ("tampered", CALL, "survey", "bad signature"),  # variables changed after signing
        ("unknown_key", CALL, "survey", "bad signature"),
        ("garbage_mac", CALL, "survey", "bad signature"),
        ("none", CALL, "survey", "no resume state"),
    ],
)
def test_open_refuses(token_for: str, call: str, node: str, reason: str) -> None:
    keys = ResumeKeys.of([NEW], "test")
    good = keys.seal(STATE, CALL, "survey")
    payload, _, mac = good.rpartition(".")
    tokens: dict[str, str | None] = {
        "unsigned": tr.encode_state({**STATE, "vars": {"pin_ok": True}}),
        "other_node": good,
        "other_call": keys.seal(STATE, "another-call", "survey"),
        "tampered": tr.encode_state({**STATE, "vars": {"verified": True}}) + "." + mac,
        "unknown_key": ResumeKeys.of(["attacker-key-0123456789abcdef"], "x").seal(
            STATE, CALL, "survey"
        ),
        "garbage_mac": payload + ".!!!!",
        "none": None,
    }
    assert keys.open(tokens[token_for], call, node) == reason


def test_rotation_the_first_key_signs_all_verify() -> None:
    before = ResumeKeys.of([OLD], "test")
    after = ResumeKeys.of([NEW, OLD], "test")
    old_token = before.seal(STATE, CALL, "survey")
    assert after.open(old_token, CALL, "survey") == STATE  # a call still in the queue
    new_token = after.seal(STATE, CALL, "survey")
    assert before.open(new_token, CALL, "survey") == "bad signature"  # signed by NEW
    assert ResumeKeys.of([NEW], "test").open(new_token, CALL, "survey") == STATE
    retired = ResumeKeys.of([NEW], "test")
    assert retired.open(old_token, CALL, "survey") == "bad signature"


def test_key_settings(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(f"# signing key first\n{NEW}\n\n{OLD}\n")
    keys = ResumeKeys.configured(path, {})
    assert keys.keys == (NEW.encode(), OLD.encode()) and not keys.generated
    env = ResumeKeys.configured(None, {ENV_VAR: f" {NEW} , {OLD} "})
    assert env.keys == (NEW.encode(), OLD.encode())
    generated = ResumeKeys.configured(None, {})
    assert generated.generated and len(generated.keys[0]) == 32
    assert ResumeKeys.configured(None, {}).keys != generated.keys  # per process, random
    with pytest.raises(ResumeKeyError, match="at least 16"):
        ResumeKeys.configured(None, {ENV_VAR: "short"})
    with pytest.raises(ResumeKeyError, match="not a regular file"):
        ResumeKeys.configured(tmp_path, {})
    (tmp_path / "empty").write_text("# nothing\n")
    with pytest.raises(ResumeKeyError, match="no resume key"):
        ResumeKeys.configured(tmp_path / "empty", {})


# ------------------------------------------------------------------ through the runtime


async def resume_call(
    rt: Runtime, node: str, state: str | None, inputs: list[str]
) -> tuple[Record, dict[str, Any] | None]:
    variables = {"flowc_resume_node": node, "cc_agent": "1000@default"}
    if state is not None:
        variables["flowc_state"] = state
    call = FakeCall(
        "127.0.0.1",
        rt.port,
        dest="8001",
        script=Script(inputs=inputs),
        variables=variables,
        call_uuid=CALL,
    )
    record = await call.run(10)
    async with asyncio.timeout(10):
        while rt.drivers:
            await asyncio.sleep(0.01)
    assert rt.journal is not None
    await rt.journal.flush()
    return record, await rt.journal.fetch_call(CALL)


def test_forged_resume_state_is_refused_and_journaled(bundle: Path, tmp_path: Path) -> None:
    """Issue 12's attack: `flowc_resume_node=xfer` with an unsigned state of one's choosing.
    No app of the flow runs (no bridge to the premium number): the runtime hangs up, the
    journal has `error` / `resume_refused`, the log a `resume_refused` line."""
    out = io.StringIO()
    handler = setup_logging("info", out)
    forged = tr.encode_state({"flow": "care", "seq": 0, "vars": {"pin": "1234"}})
    try:

        async def scenario() -> None:
            async with running(bundle, tmp_path) as rt:
                record, row = await resume_call(rt, "xfer", forged, [])
                assert not any(app == "bridge" for app, _ in record.apps)
                assert record.apps == [("hangup", "NORMAL_TEMPORARY_FAILURE")]
                assert row is not None and row["outcome"] == "error"
                assert row["detail"]["runtime"] == "resume_refused"
                assert row["detail"]["reason"] == "resume state not signed"
                assert row["end_node"] == "xfer"
                assert rt.metrics.value("flowc_errors_total", {"kind": "resume_refused"}) == 1

        go(scenario())
    finally:
        logging.getLogger("flowc.runtime").removeHandler(handler)
    lines = [json.loads(x) for x in out.getvalue().splitlines() if x.startswith("{")]
    refused = [x for x in lines if x["event"] == "resume_refused"]
    assert len(refused) == 1 and refused[0]["call_id"] == CALL and refused[0]["node"] == "xfer"


def test_signed_state_for_another_node_is_refused(bundle: Path, tmp_path: Path) -> None:
    """A genuine state (signed for `survey`) on a channel that names `xfer`: refused."""

    async def scenario() -> None:
        async with running(bundle, tmp_path, resume_keys=ResumeKeys.of([NEW], "t")) as rt:
            token = ResumeKeys.of([NEW], "t").seal(STATE, CALL, "survey")
            record, row = await resume_call(rt, "xfer", token, [])
            assert not any(app == "bridge" for app, _ in record.apps)
            assert row is not None and row["detail"]["reason"] == "bad signature"

    go(scenario())


def test_state_signed_with_the_old_key_resumes_after_rotation(bundle: Path, tmp_path: Path) -> None:
    """A call queued before the rotation (signed with OLD) resumes on an instance that now
    signs with NEW and still accepts OLD: the survey runs; with OLD retired it is refused."""

    async def scenario() -> None:
        token = ResumeKeys.of([OLD], "t").seal(STATE, CALL, "survey")
        rotated = ResumeKeys.of([NEW, OLD], "t")
        async with running(bundle, tmp_path, resume_keys=rotated) as rt:
            record, row = await resume_call(rt, "survey", token, ["press 4", "press 9"])
            assert row is not None and row["outcome"] == "queued"
            assert row["detail"]["survey"] == {"csat": 4, "nps": 9}
            assert row["detail"]["queue"] == "billing"
            assert ("hangup", "NORMAL_CLEARING") in record.apps

    go(scenario())

    async def retired() -> None:
        token = ResumeKeys.of([OLD], "t").seal(STATE, CALL, "survey")
        async with running(bundle, tmp_path / "2", resume_keys=ResumeKeys.of([NEW], "t")) as rt:
            record, row = await resume_call(rt, "survey", token, ["press 4", "press 9"])
            assert not any(app == "play_and_get_digits" for app, _ in record.apps)
            assert row is not None and row["detail"]["runtime"] == "resume_refused"

    (tmp_path / "2").mkdir()
    go(retired())


def test_without_a_configured_key_another_instance_refuses_the_resume(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random per-process keys: the survey socket reaching instance B is refused (B cannot
    verify A's state) and the journal says so; each instance logged at start that resuming
    elsewhere needs a configured key."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    out = io.StringIO()
    handler = setup_logging("info", out)

    async def scenario() -> None:
        journal = f"sqlite:///{tmp_path / 'shared.db'}"
        async with running(bundle, tmp_path, journal=journal, instance="A", resume_keys=None) as a:
            async with running(
                bundle, tmp_path, journal=journal, instance="B", resume_keys=None
            ) as b:
                assert a.host.resume_keys.generated and b.host.resume_keys.generated
                script = Script(inputs=["press 1", "press 5"], resume_host=("127.0.0.1", b.port))
                call = FakeCall("127.0.0.1", a.port, dest="8001", script=script)
                record = await call.run(10)
                async with asyncio.timeout(10):
                    while a.drivers or b.drivers:
                        await asyncio.sleep(0.01)
                assert record.resumed
                assert not any(
                    app == "play_and_get_digits" and "flowc_survey" in arg
                    for app, arg in record.apps
                )
                assert b.journal is not None
                await b.journal.flush()
                row = await b.journal.fetch_call(call.uuid)
                assert row["outcome"] == "error" and row["detail"]["runtime"] == "resume_refused"

    try:
        go(scenario())
    finally:
        logging.getLogger("flowc.runtime").removeHandler(handler)
    events = [json.loads(x)["event"] for x in out.getvalue().splitlines() if x.startswith("{")]
    assert events.count("resume_key_generated") == 2


STRUGGLE_FLOW = """\
flowc: 1
flow: struggle
escalate: {after_failures: 3, goto: person}
queues: {billing: {}, general: {}}
nodes:
  main:
    menu: {prompt: "Billing 1.", options: {1: billing}, retries: 5, on_fail: bye}
  billing: {queue: billing, after: again}
  again:
    menu: {prompt: "Anything else? 1 to end.", options: {1: bye}, retries: 5, on_fail: bye}
  bye: {hangup: NORMAL_CLEARING}
  person: {queue: general}
"""

STRUGGLE_BINDINGS = """\
environment: test
runtime: ["127.0.0.1:8084"]
flows:
  struggle: {dids: ["8001"]}
queues:
  struggle.billing: test_billing@default
  struggle.general: test_general@default
"""


def test_failed_inputs_before_the_agent_still_count_on_another_instance(tmp_path: Path) -> None:
    """Two failed inputs before the billing agent, one after it on instance B (which has only
    `flowc_state`): the third of the call reaches the flow's `escalate` budget there."""
    src = tmp_path / "src"
    (src / "bindings").mkdir(parents=True)
    (src / "struggle.yaml").write_text(STRUGGLE_FLOW)
    (src / "bindings" / "test.yaml").write_text(STRUGGLE_BINDINGS)
    built = compile_bundle(tmp_path / "build", src)

    async def scenario() -> None:
        journal = f"sqlite:///{tmp_path / 'shared.db'}"
        async with running(built, tmp_path, journal=journal, instance="A") as a:
            async with running(built, tmp_path, journal=journal, instance="B") as b:
                script = Script(
                    inputs=["press 7", "press 8", "press 1", "press 9", "press 1"],
                    queue=["answered", "answered"],
                    resume_host=("127.0.0.1", b.port),
                )
                call = FakeCall("127.0.0.1", a.port, script=script)
                record = await call.run(10)
                async with asyncio.timeout(10):
                    while a.drivers or b.drivers:
                        await asyncio.sleep(0.01)
                assert record.resumed
                assert ("callcenter", "test_general@default") in record.apps
                assert b.journal is not None and a.journal is not None
                await a.journal.flush()
                await b.journal.flush()
                steps = await b.journal.fetch_steps(call.uuid)
                assert [s["node"] for s in steps][-2:] == ["again", "person"]

    go(scenario())
