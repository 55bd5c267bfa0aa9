"""A recorded call as a `flowc test` scenario: the caller's inputs, the look-up, queue and
transfer answers it got (mocks), and what happened as the expectation (path and outcome).

Built by replaying the call through the program it is tested against, so each answer is
given as that program asked for it. A secret entry was journaled only as valid or invalid:
a valid one becomes digits the collect accepts (made from its pattern, never the caller's),
an invalid one a key it refuses (`*`).
"""

from __future__ import annotations

from typing import Any

from flowc.interpreter import Program
from flowc.interpreter import events as ev
from flowc.replay.engine import Replayed, replay_call
from flowc.replay.format import RecordedCall

INVALID_KEY = "*"


def to_scenario(program: Program, rec: RecordedCall) -> tuple[dict[str, Any], Replayed]:
    """The scenario of `rec` (plain data for a `*.test.yaml`), and the replay it came from
    (when that is not identical to the recording the scenario expects what the program does
    now, and the caller should say so)."""
    res = replay_call(program, rec, keep=True)
    inputs: list[str] = []
    mocks: dict[str, list[Any]] = {}
    queues: dict[str, list[Any]] = {}
    transfers: dict[str, list[Any]] = {}
    hangup_at: str | None = None
    for state, node, key, e in res.trail:
        if state == "collecting":
            inputs.append(_input(e))
        elif isinstance(e, ev.Hangup):
            hangup_at = node or None
        elif isinstance(e, ev.FetchResult):
            mocks.setdefault(key, []).append({"status": e.status, "body": e.body})
        elif isinstance(e, ev.FetchFailed):
            mocks.setdefault(key, []).append(e.reason)
        elif isinstance(e, ev.TimerFired) and state == "fetching":
            mocks.setdefault(key, []).append("hang")
        elif isinstance(e, ev.QueueResult):
            answer: dict[str, Any] = {"outcome": e.outcome}
            if e.agent:
                answer["agent"] = e.agent
            queues.setdefault(key, []).append(answer)
        elif isinstance(e, ev.TransferResult):
            transfers.setdefault(key, []).append(
                {"ok": True} if e.ok else {"ok": False, "cause": e.cause or "NO_ANSWER"}
            )
    scenario: dict[str, Any] = {
        "name": f"recorded call {rec.call_id}",
        "description": f"journaled {rec.started_at.isoformat()}"
        + (f" on {rec.bundle}" if rec.bundle else ""),
        "call_id": rec.call_id,
        "at": rec.started_at.isoformat(),
        "caller": rec.caller_number,
    }
    if rec.caller_name:
        scenario["caller_name"] = rec.caller_name
    if rec.did:
        scenario["did"] = rec.did
    if rec.locale:
        scenario["locale"] = rec.locale
    if rec.flags:
        scenario["flags"] = dict(rec.flags)
    scenario["inputs"] = inputs
    if mocks:
        scenario["mocks"] = {k: {"responses": v} for k, v in mocks.items()}
    if queues:
        scenario["queues"] = queues
    if transfers:
        scenario["transfers"] = transfers
    if hangup_at is not None:
        scenario["hangup_at"] = hangup_at
    outcome: dict[str, Any] = {"kind": res.end_kind}
    if res.end_node is not None:
        outcome["node"] = res.end_node
    scenario["expect"] = {"path": list(res.path), "outcome": outcome}
    return scenario, res


def _input(e: ev.Event) -> str:
    if isinstance(e, ev.Digits):
        keys = e.digits + (e.terminator or "")
        if keys:
            return f"press {keys}"
        return "silence" if e.result == "timeout" else f"press {INVALID_KEY}"
    if isinstance(e, ev.SpeechResult):
        return f"say {e.text}" if e.text.strip() else "mumble"
    if isinstance(e, ev.SpeechNoMatch):
        return "silence" if e.reason == "no_input" else "mumble"
    if isinstance(e, ev.Hangup):
        return "hangup"
    return "silence"
