"""Run one recorded call again through a program: the recorded clock, the caller's recorded
inputs, the recorded look-up answers and queue/transfer outcomes; nothing else.

The call asks (commands), the recording answers. Answers are matched by kind, in recorded
order, so a changed flow still gets the answers that fit it:

* a prompt gets the next recorded `prompt_done` if that is what comes next, else one made up
  (the new version plays a prompt the recorded call did not hear);
* a collect gets the next recorded input, dropping answers the new version no longer asks
  for (a removed look-up) on the way;
* a look-up, a queue, a transfer gets the next recorded answer for the same service, queue,
  target (past inputs the new version does not ask for, not past the caller's hang-up);
  none: the look-up fails (`unrecorded_lookup`), the queue times out, the transfer succeeds
  (`unrecorded_outcome`);
* the caller's recorded hang-up comes when the answers before it are used up.

The result is compared with the recording: same path and end, a different end, a different
path to the same end, prompts heard that the recorded call did not hear, look-ups not
recorded, recorded inputs the new version does not accept.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flowc.interpreter import Call, CallInfo, Program
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.replay.format import ASKS, INPUT_TYPES, RecordedCall, input_to_event

SAME = "same_path"
DIFFERENT_END = "different_end"
DIFFERENT_PATH = "different_path"
NEW_PROMPTS = "new_prompts"
UNRECORDED_LOOKUP = "unrecorded_lookup"
UNRECORDED_OUTCOME = "unrecorded_outcome"
INPUTS_NO_LONGER_FIT = "inputs_no_longer_fit"
KINDS = (
    SAME,
    DIFFERENT_END,
    DIFFERENT_PATH,
    NEW_PROMPTS,
    UNRECORDED_LOOKUP,
    UNRECORDED_OUTCOME,
    INPUTS_NO_LONGER_FIT,
)
MAX_ROUNDS = 5000  # answers given to one call before it is cut off (a recording that loops)

_PASSIVE = frozenset({"answered", "prompt_done", "timer_fired", "agent_done", "record_done"})
_NO_STOP: frozenset[str] = frozenset()
_PROMPTS = ("|play|", "|collect|")
_FETCHED = frozenset({"fetch_result", "fetch_failed", "timer_fired"})
_QUEUED = frozenset({"queue_result"})
_AGENT = frozenset({"agent_done"})
_TRANSFERRED = frozenset({"transfer_result"})
_RECORDED = frozenset({"record_done"})


@dataclass(slots=True)
class Replayed:
    """What a recorded call did when run again. `kinds` holds the divergence kinds (empty:
    the same path, the same end, the same prompts); `split` is where the paths part:
    (last common node, recorded next, replayed next)."""

    call_id: str
    path: list[str] = field(default_factory=list)
    asks: list[str] = field(default_factory=list)
    end_kind: str | None = None
    end_node: str | None = None
    kinds: set[str] = field(default_factory=set)
    split: tuple[str, str, str] | None = None
    new_prompt_nodes: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    # With `replay_call(..., keep=True)`: every answer given, as (state, node, key, event);
    # key: the service, queue or transfer target asked for.
    trail: list[tuple[str, str, str, ev.Event]] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.kinds

    def to_json(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "kinds": sorted(self.kinds) or [SAME],
            "path": self.path,
            "end": {"kind": self.end_kind, "node": self.end_node},
            "split": list(self.split) if self.split else None,
            "notes": self.notes,
        }


class _Answers:
    """The recorded answers of one call, taken by kind (see the module docstring)."""

    __slots__ = ("cursor", "events", "used")

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.used = [False] * len(events)
        self.cursor = 0

    def take(self, j: int, *, drop_before: bool = False) -> dict[str, Any]:
        used = self.used
        if drop_before:
            for k in range(self.cursor, j):
                used[k] = True
        used[j] = True
        cursor, n = self.cursor, len(used)  # on to the first unused answer
        while cursor < n and used[cursor]:
            cursor += 1
        self.cursor = cursor
        return self.events[j]

    def find(
        self, wanted: frozenset[str], key: str | None, value: Any, stop: frozenset[str]
    ) -> tuple[int | None, int | None]:
        """(index of the first unused answer of a `wanted` type whose `key` equals `value`,
        index of the hang-up met first); the search ends at an event of a `stop` type."""
        events, used = self.events, self.used
        for j in range(self.cursor, len(events)):
            if used[j]:
                continue
            e = events[j]
            t = e.get("t")
            if t in wanted and (key is None or e.get(key) == value):
                return j, None
            if t == "hangup":
                return None, j
            if t in stop:
                return None, None
        return None, None

    def next_is(self, wanted: str) -> tuple[int | None, int | None]:
        """The next unused non-passive answer, if it is of type `wanted` (or a hang-up)."""
        events, used = self.events, self.used
        for j in range(self.cursor, len(events)):
            if used[j]:
                continue
            t = events[j].get("t")
            if t == wanted:
                return j, None
            if t == "hangup":
                return None, j
            if t not in _PASSIVE:
                return None, None
        return None, None

    def unused(self) -> list[dict[str, Any]]:
        return [e for e, u in zip(self.events, self.used, strict=True) if not u]


def replay_call(program: Program, rec: RecordedCall, *, keep: bool = False) -> Replayed:
    """Run `rec` through `program` and compare (see the module docstring); `keep`: keep the
    answers given in `Replayed.trail`."""
    out = Replayed(rec.call_id)
    info = CallInfo(
        caller_number=rec.caller_number,
        caller_name=rec.caller_name,
        did=rec.did,
        locale=rec.locale,
        call_id=rec.call_id,
    )
    call = Call(program, info, flags=rec.flags, steps=False)  # `rejected_inputs`, not the trace
    answers = _Answers(rec.events)
    now: datetime = rec.started_at
    node = ""
    fetch: cmd.Fetch | None = None
    timer = ""
    collect: cmd.Collect | None = None
    queue = ""
    target = ""
    commands = call.start(now)
    kinds = out.kinds
    name = program.name
    path, asks = out.path, out.asks
    # Dispatched on the exact type (commands are final dataclasses), the classes held in
    # locals: the loop runs for every command of every replayed call.
    # `c` is Any: mypy does not narrow a command on `t is entered`.
    entered, end, start_timer, ask_of = cmd.NodeEntered, cmd.End, cmd.StartTimer, ASKS.get
    c: Any
    for _ in range(MAX_ROUNDS):
        for c in commands:
            t = type(c)
            if t is entered:
                flow = c.flow
                node = c.node if flow == name else f"{flow}.{c.node}"
                path.append(node)
                continue
            if t is end:
                outcome = c.outcome
                out.end_kind, out.end_node = outcome.kind, outcome.node
                break
            if t is start_timer:
                timer = c.timer_id
                continue
            make = ask_of(t)
            if make is None:
                continue
            asks.append(make(node, c))
            if t is cmd.Fetch:
                fetch = c
            elif t is cmd.Collect:
                collect = c
            elif t is cmd.Enqueue:
                queue = c.queue
            elif t is cmd.Transfer:
                target = c.target
        if call.finished:
            break
        event, entry = _answer(call.state, answers, rec, now, fetch, timer, collect, queue, target)
        if event is None:
            out.notes.append(f"no answer for a call in state `{call.state}`")
            break
        if isinstance(event, _Unrecorded):
            kinds.add(event.kind)
            event = event.event
        if keep:
            state = call.state
            key = {"fetching": fetch.service if fetch else "", "queued": queue}.get(state, "")
            out.trail.append((state, node, target if state == "transferring" else key, event))
        now = event.at
        rejected = call.rejected_inputs
        commands = call.handle(event)
        if entry is not None and entry.get("t") in INPUT_TYPES and not entry.get("nm"):
            if entry.get("_nofit") or call.rejected_inputs > rejected:
                kinds.add(INPUTS_NO_LONGER_FIT)
    else:
        out.notes.append(f"cut off after {MAX_ROUNDS} answers")
    _compare(rec, out)
    return out


@dataclass(frozen=True, slots=True)
class _Unrecorded:
    kind: str
    event: ev.Event


def _answer(
    state: str,
    answers: _Answers,
    rec: RecordedCall,
    now: datetime,
    fetch: cmd.Fetch | None,
    timer: str,
    collect: cmd.Collect | None,
    queue: str,
    target: str,
) -> tuple[ev.Event | _Unrecorded | None, dict[str, Any] | None]:
    """The answer to give a call waiting in `state`, and the recorded entry it came from."""
    if state == "playing" or state == "answering":
        wanted = "prompt_done" if state == "playing" else "answered"
        j, hang = answers.next_is(wanted)
        if j is not None:
            e = answers.take(j, drop_before=True)
            at = rec.at(e, now)
            return (ev.PromptDone(at=at) if state == "playing" else ev.Answered(at=at)), e
        if hang is not None:
            return _hangup(answers, rec, hang, now), None
        return (ev.PromptDone(at=now) if state == "playing" else ev.Answered(at=now)), None
    if state == "collecting":
        j, hang = answers.find(INPUT_TYPES, None, None, _NO_STOP)
        if j is None:
            if hang is not None:
                return _hangup(answers, rec, hang, now), None
            # The recorded caller gave no more input: the caller hangs up here.
            return ev.Hangup("NORMAL_CLEARING", at=now), None
        e = answers.take(j, drop_before=True)
        at = rec.at(e, now)
        event = input_to_event(e, collect, at)
        if event is None:
            return ev.Digits("", None, "failure", at=at), {**e, "_nofit": True}
        return event, e
    if state == "fetching":
        service = fetch.service if fetch is not None else ""
        rid = fetch.request_id if fetch is not None else ""
        j, hang = answers.find(_FETCHED, "s", service, _NO_STOP)
        if j is None:
            failed = ev.FetchFailed(rid, "error", "not recorded", at=now)
            return _Unrecorded(UNRECORDED_LOOKUP, failed), None
        e = answers.take(j)
        at = rec.at(e, now)
        if e.get("t") == "fetch_result":
            status = e.get("st")
            return ev.FetchResult(
                rid, status if isinstance(status, int) else 200, e.get("b"), at=at
            ), e
        if e.get("t") == "timer_fired":
            return ev.TimerFired(timer, at=at), e
        if e.get("r") == "timeout":
            return ev.FetchFailed(rid, "timeout", "", at=at), e
        return ev.FetchFailed(rid, "error", "", at=at), e
    if state == "queued":
        j, hang = answers.find(_QUEUED, None, None, _NO_STOP)
        if j is not None and answers.events[j].get("q") not in (None, queue):
            j = None  # another queue's outcome
        if j is None:
            if hang is not None:
                return _hangup(answers, rec, hang, now), None
            return _Unrecorded(UNRECORDED_OUTCOME, ev.QueueResult("timeout", at=now)), None
        e = answers.take(j)
        o = (
            e.get("o")
            if e.get("o") in ("answered", "timeout", "no_agent", "exit_key")
            else "timeout"
        )
        agent = e.get("a") if isinstance(e.get("a"), str) else None
        return ev.QueueResult(o, agent, at=rec.at(e, now)), e  # type: ignore[arg-type]
    if state == "with_agent":
        j, hang = answers.find(_AGENT, None, None, _NO_STOP)
        if j is None:
            if hang is not None:
                return _hangup(answers, rec, hang, now), None
            return ev.AgentDone(at=now), None
        e = answers.take(j)
        return ev.AgentDone(at=rec.at(e, now)), e
    if state == "transferring":
        j, hang = answers.find(_TRANSFERRED, None, None, _NO_STOP)
        if j is None:
            if hang is not None:
                return _hangup(answers, rec, hang, now), None
            return _Unrecorded(UNRECORDED_OUTCOME, ev.TransferResult(True, "", at=now)), None
        e = answers.take(j)
        cause = _str(e.get("cause"))
        return ev.TransferResult(bool(e.get("ok", True)), cause, at=rec.at(e, now)), e
    if state == "recording":
        j, hang = answers.find(_RECORDED, None, None, _NO_STOP)
        if j is None:
            if hang is not None:
                return _hangup(answers, rec, hang, now), None
            return ev.RecordDone("", 0, at=now), None
        e = answers.take(j)
        dur = e.get("dur")
        path = _str(e.get("p"))
        return ev.RecordDone(path, dur if isinstance(dur, int) else 0, at=rec.at(e, now)), e
    return None, None


def _hangup(answers: _Answers, rec: RecordedCall, j: int, now: datetime) -> ev.Event:
    e = answers.take(j, drop_before=True)
    return ev.Hangup(_str(e.get("c")) or "NORMAL_CLEARING", at=rec.at(e, now))


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _steps(asks: list[str]) -> list[str]:
    """`node|kind` of each ask (what was asked where, not what a prompt said)."""
    return [a.rsplit("|", 1)[0] for a in asks]


def _compare(rec: RecordedCall, out: Replayed) -> None:
    kinds = out.kinds
    if (
        out.asks == rec.asks
        and out.path == rec.path
        and out.end_kind == rec.end_kind
        and out.end_node == rec.end_node
    ):
        return  # the same answers to the same asks, the same route and end (most calls)
    if (out.end_kind, out.end_node) != (rec.end_kind, rec.end_node):
        kinds.add(DIFFERENT_END)
    if out.path != rec.path:
        if DIFFERENT_END not in kinds:
            kinds.add(DIFFERENT_PATH)
        a, b = rec.path, out.path
        k = 0
        while k < len(a) and k < len(b) and a[k] == b[k]:
            k += 1
        before = a[k - 1] if k else "(start)"
        was = a[k] if k < len(a) else f"(end: {rec.end_kind})"
        now = b[k] if k < len(b) else f"(end: {out.end_kind})"
        out.split = (before, was, now)
    elif DIFFERENT_END in kinds:
        last = out.path[-1] if out.path else "(start)"
        out.split = (last, f"(end: {rec.end_kind})", f"(end: {out.end_kind})")
    elif rec.source == "log" and _steps(out.asks) != _steps(rec.asks):
        # The same nodes, asked otherwise: a retry more or less, a prompt played or not.
        kinds.add(DIFFERENT_PATH)
        a, b = _steps(rec.asks), _steps(out.asks)
        k = 0
        while k < len(a) and k < len(b) and a[k] == b[k]:
            k += 1
        at = (a[k] if k < len(a) else b[k]).split("|", 1)[0] or "(start)"
        was = a[k] if k < len(a) else f"(end: {rec.end_kind})"
        now = b[k] if k < len(b) else f"(end: {out.end_kind})"
        out.split = (at, was, now)
    if rec.source == "log":
        heard = Counter(a for a in out.asks if any(p in a for p in _PROMPTS))
        recorded = Counter(a for a in rec.asks if any(p in a for p in _PROMPTS))
        extra = heard - recorded
        if extra:
            kinds.add(NEW_PROMPTS)
            out.new_prompt_nodes = {a.split("|", 1)[0] for a in extra}
