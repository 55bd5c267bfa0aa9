"""Queue announcements end to end: emulator -> ESL -> runtime -> interpreter, in real time.

A caller joins a queue with two callers ahead of them (members of the emulated switch's
mod_callcenter table that joined earlier). The runtime asks the switch for the queue's
members every `announce_every`, and the caller hears "number 3", then, once one of the two
callers ahead has been taken by an agent, "number 2"; then an agent answers, and the
generated dialplan the call runs ends it (a queue without `after`).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from runtime import queue_announce as qa
from runtime.emulator import CallerScript, CallSpec, QueueMember, QueueOutcome, Switch, place_call
from runtime.emulator.channel import ChannelConfig
from runtime.scenario_calls import compile_with_bindings
from tests.e2e import e2e_support as E

FLOW = """\
flowc: 1
flow: hold
description: a queue that tells callers where they are
entry: wait
locale: en-US
locales: [en-US]
queues:
  support: {skill: support}
nodes:
  wait:
    queue: support
    announce: position
    announce_every: 400ms
    on_timeout: bye
    on_no_agent: bye
  bye:
    hangup: NORMAL_CLEARING
"""
QUEUE = "hold__support@e2e"
AGENT = "1007@e2e"


def _announced(apps: list[tuple[str, str | None]]) -> list[int]:
    """The positions the caller heard, in order."""
    out = []
    for app, data in apps:
        m = re.search(r"You are number (\d+) in line", data or "") if app == "speak" else None
        if m:
            out.append(int(m.group(1)))
    return out


def _events(rec: Any) -> list[tuple[str, str]]:
    """(Event-Name, Application) of the events the runtime received (`myevents json`)."""
    out = []
    for m in rec.messages:
        head, _, body = str(m["data"]).partition("\n\n")
        if m["dir"] == "from_switch" and "Content-Type: text/event-json" in head:
            event = json.loads(body)
            out.append((event["Event-Name"], event.get("Application", "")))
    return out


def test_a_waiting_caller_hears_their_position_twice_then_an_agent_answers(tmp_path: Path) -> None:
    src = tmp_path / "flows"
    src.mkdir()
    (src / "hold.yaml").write_text(FLOW, encoding="utf-8")
    bundle = compile_with_bindings([src], tmp_path, "http://127.0.0.1:9", "e2e")
    qa.observations.clear()

    async def scenario() -> tuple[Any, dict[str, Any]]:
        switch = Switch()
        now = int(time.time())
        ahead = [
            QueueMember(queue=QUEUE, uuid="m-1", session_uuid="s-1", joined_epoch=now - 90),
            QueueMember(queue=QUEUE, uuid="m-2", session_uuid="s-2", joined_epoch=now - 30),
        ]
        switch.members.extend(ahead)
        async with E.e2e_runtime(bundle, tmp_path) as rt:
            script = CallerScript(
                queues={
                    "hold__support": QueueOutcome("answered", wait=2.2, talk_time=0.2, agent=AGENT)
                },
                tts_ms_per_char=2,
                dialplan=rt.dialplan(),
            )
            spec = CallSpec(did="9000", script=script, config=ChannelConfig(profile=rt.profile))
            rt.setups[spec.uuid] = E.CallSetup(
                "hold", datetime.now().astimezone(), {"flowc_flow": "hold"}, {}
            )
            call = asyncio.create_task(place_call(spec, timeout=30, time_scale=1.0, switch=switch))
            # once the caller has heard the first announcement, the longest waiting caller
            # ahead is taken by an agent: it no longer waits
            heard_first: list[int] = []
            async with asyncio.timeout(20):
                while not heard_first:
                    ch = switch.locate(spec.uuid)
                    if ch is not None:
                        heard_first = _announced(list(ch.app_log))
                    await asyncio.sleep(0.005)
            ahead[0].state, ahead[0].serving_agent = "Answered", "1001@e2e"
            rec = await call
            await E.settle(rt)
            assert rt.journal is not None
            await rt.journal.flush()
            result = await E.neutral_result(rt, spec.uuid)
            return rec, result

    rec, result = asyncio.run(scenario())
    assert rec.ok, rec.error
    assert rec.routes[-1][2] == "flowc_agent_done" and rec.hangup_cause == "NORMAL_CLEARING"
    heard = _announced(rec.apps)
    # the first announcement: two callers ahead; then one
    assert heard[0] == 3
    assert heard[1:] and set(heard[1:]) == {2}
    events = _events(rec)
    done = events.index(("CHANNEL_EXECUTE_COMPLETE", "callcenter"))
    spoken = [i for i, e in enumerate(events) if e == ("CHANNEL_EXECUTE", "speak")]
    assert len([i for i in spoken if i < done]) >= 2  # over the hold music, before the agent
    # the announcement is the flow's TTS, the text through the channel variable
    (first,) = [d for a, d in rec.apps if a == "speak"][:1]
    assert first == "flite|kal|You are number 3 in line. Please stay on the line."
    assert result["outcome"]["kind"] == "queued"
    assert result["path"] == ["wait"]
    # the answer taught the runtime the queue's pace
    assert qa.observations.per_position(QUEUE) is not None
