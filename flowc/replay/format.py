"""The replay log of one call (what `runtime.replay_log` journals) and its reading.

A log is plain JSON data::

    {"v": 1, "flow": "bank", "bundle": "<bundle hash>", "version": "<flow IR hash>",
     "start": "2026-03-02T09:00:00+08:00", "part": 0, "open": false,
     "caller": {"number": "...", "name": "...", "did": "...", "locale": null},
     "flags": {"flag": true},
     "events": [{"t": "answered", "ms": 0}, {"t": "digits", "ms": 5200, "d": "1", "r": "success"},
                {"t": "fetch_result", "ms": 5300, "s": "accounts", "st": 200, "b": {...}}, ...],
     "asks": ["main|collect|3fa2c1d0aa01", "balance|fetch|accounts", ...],
     "path": ["main", "balance", ...], "end": {"kind": "hangup", "node": "bye"}}

`events` are the answers the host gave the interpreter, in order, `ms` after `start`. Keys by
event type: digits `d` (digits), `r` (result), `k` (terminator); a sensitive entry has `v`
(1: a valid entry, 0: an invalid one) and, with a journal key, `h` (a keyed hash) instead of
`d`; speech_result `x` (text; `v` when sensitive), `c` (confidence); speech_no_match `r`;
fetch_result `s` (service), `st` (status), `b` (the answer cut to the fields the flow reads,
sensitive ones masked); fetch_failed `s`, `r`; queue_result `q` (queue), `o` (outcome), `a`
(agent); transfer_result `to` (target), `ok`, `cause`; record_done `p`, `dur`; hangup `c`.
An input the recorded flow did not accept (no match) has `nm: 1`.
`asks` are the commands that wanted an answer, as `node|kind|key` (a prompt's key is a short
hash of what it says). `path` is the nodes entered (`flow.node` inside subflows).

A call that went to an agent and came back (a queue's `after`) has two logs: part 0, `open`,
up to the agent's answer, and part 1 from the resume on (`merge_parts` joins them).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev

LOG_VERSION = 1
MASK = "****"
INPUT_TYPES = frozenset({"digits", "speech_result", "speech_no_match"})


_HASHES: dict[tuple[cmd.PlayItem, ...], str] = {}
# The same, by the tuple's identity: a prompt without holes renders to one tuple, built with
# the program (`flowc.interpreter.prompts.Variant.fixed`), so most look-ups need no hashing
# of the items. Each entry holds its tuple, so an id is not reused while it is remembered.
_BY_ID: dict[int, tuple[tuple[cmd.PlayItem, ...], str]] = {}
_HASHES_MAX = 65536


def prompt_hash(items: tuple[cmd.PlayItem, ...]) -> str:
    """A short hash of what a prompt says (sensitive items masked, as in `to_json`).
    Remembered by value: a replay renders the same prompts over and over."""
    known = _BY_ID.get(id(items))
    if known is not None and known[0] is items:
        return known[1]
    found = _HASHES.get(items)
    if found is None:
        text = json.dumps([i.to_json() for i in items], ensure_ascii=False, sort_keys=True)
        found = hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()
        if any(i.sensitive for i in items):
            return found  # a secret is not kept in memory beyond the call
        if len(_HASHES) >= _HASHES_MAX:
            _HASHES.clear()
        _HASHES[items] = found
    if len(_BY_ID) >= _HASHES_MAX:
        _BY_ID.clear()
    _BY_ID[id(items)] = (items, found)
    return found


def _play(node: str, c: Any) -> str:
    return f"{node}|play|{prompt_hash(c.items)}"


def _collect(node: str, c: Any) -> str:
    return f"{node}|collect|{prompt_hash(c.prompt + c.invalid_prompt)}"


ASKS: dict[type, Any] = {  # command type -> its ask, `(node, command) -> str`
    cmd.Play: _play,
    cmd.Collect: _collect,
    cmd.Fetch: lambda node, c: f"{node}|fetch|{c.service}",
    cmd.Enqueue: lambda node, c: f"{node}|queue|{c.queue}",
    cmd.Transfer: lambda node, c: f"{node}|transfer|{c.target}",
    cmd.Answer: lambda node, c: f"{node}|answer|",
    cmd.Voicemail: lambda node, c: f"{node}|voicemail|",
    cmd.Record: lambda node, c: f"{node}|record|",
}


def ask_of(node: str, c: cmd.Command) -> str | None:
    """`node|kind|key` for a command that wants an answer, None for the others."""
    make = ASKS.get(type(c))
    return None if make is None else str(make(node, c))


@dataclass(slots=True)
class RecordedCall:
    """One recorded call as replay needs it. `source`: `log` (a replay log) or `steps` (an
    older journal row: inputs from its steps, no look-up answers, queue outcomes or timings)."""

    call_id: str
    flow: str
    started_at: datetime
    caller_number: str = ""
    caller_name: str = ""
    did: str = ""
    locale: str | None = None
    flags: dict[str, bool] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    asks: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    end_kind: str | None = None
    end_node: str | None = None
    bundle: str | None = None
    source: str = "log"
    resumed: bool = False  # only the part after an agent (its first part is missing)
    open: bool = False  # only the part up to an agent (the rest is missing)

    @classmethod
    def from_log(cls, call_id: str, log: Mapping[str, Any]) -> RecordedCall:
        """From a replay log (see the module docstring); ValueError when it is not one."""
        if not isinstance(log, Mapping) or not isinstance(log.get("v"), int):
            raise ValueError("not a replay log")
        if log["v"] > LOG_VERSION:
            raise ValueError(f"replay log version {log['v']} is newer than this flowc's")
        start = _time(log.get("start"))
        if start is None:
            raise ValueError("a replay log without its start time")
        caller = _map(log.get("caller"))
        end = _map(log.get("end"))
        flags = _map(log.get("flags"))
        events = [e for e in log.get("events") or () if isinstance(e, Mapping)]
        return cls(
            call_id=call_id,
            flow=str(log.get("flow") or ""),
            started_at=start,
            caller_number=str(caller.get("number") or ""),
            caller_name=str(caller.get("name") or ""),
            did=str(caller.get("did") or ""),
            locale=caller.get("locale") if isinstance(caller.get("locale"), str) else None,
            flags={str(k): bool(v) for k, v in flags.items()},
            events=[dict(e) for e in events],
            asks=[str(a) for a in log.get("asks") or ()],
            path=[str(p) for p in log.get("path") or ()],
            end_kind=_opt(end.get("kind")),
            end_node=_opt(end.get("node")),
            bundle=_opt(log.get("bundle")),
            resumed=log.get("part") == 1,
            open=bool(log.get("open")),
        )

    @classmethod
    def from_steps(
        cls, call: Mapping[str, Any], steps: Sequence[Mapping[str, Any]]
    ) -> RecordedCall:
        """From an older journal row without a replay log: the caller's inputs from its steps
        (masked ones as valid entries), the queue and transfer outcomes its steps and end
        imply, its path and its end."""
        start = _time(call.get("started_at"))
        if start is None:
            raise ValueError("a call without its start time")
        events: list[dict[str, Any]] = [{"t": "answered", "ms": 0}]
        path: list[str] = []
        for step in steps:
            node = str(step.get("node") or "")
            path.append(node)
            at = _time(step.get("at")) or start
            ms = max(0, int((at - start).total_seconds() * 1000))
            text = step.get("input")
            if isinstance(text, str) and text:
                for piece in text.split(","):
                    events.append(_step_input(piece, ms))
            kind, outcome = step.get("kind"), step.get("outcome")
            if kind == "queue" and outcome == "answered":
                events.append({"t": "queue_result", "ms": ms, "o": "answered"})
        end_kind = _opt(call.get("outcome"))
        ended = _time(call.get("ended_at")) or start
        end_ms = max(0, int((ended - start).total_seconds() * 1000))
        if end_kind == "transferred":
            events.append({"t": "transfer_result", "ms": end_ms, "ok": True})
        if end_kind == "caller_hangup":
            events.append({"t": "hangup", "ms": end_ms, "c": "NORMAL_CLEARING"})
        detail = call.get("detail")
        if isinstance(detail, Mapping) and detail.get("interpreter_outcome"):
            end_kind = str(detail["interpreter_outcome"])
        return cls(
            call_id=str(call.get("call_id") or ""),
            flow=str(call.get("flow") or ""),
            started_at=start,
            caller_number=str(call.get("caller") or ""),
            did=str(call.get("did") or ""),
            events=events,
            path=path,
            end_kind=end_kind,
            end_node=_opt(call.get("end_node")),
            bundle=_opt(call.get("flow_version")),
            source="steps",
        )

    def at(self, entry: Mapping[str, Any], not_before: datetime | None = None) -> datetime:
        """When `entry` happened; `not_before`: no earlier than that (the replay's clock)."""
        ms = entry.get("ms")
        # Positional microseconds: the cheapest timedelta to build, once per answer.
        at = self.started_at + timedelta(0, 0, ms * 1000 if isinstance(ms, int) else 0)
        return at if not_before is None or at > not_before else not_before


def merge_parts(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    """One log of a call from its part 0 (up to the agent) and part 1 (after it): the agent
    conversation's end becomes one `agent_done`, the resume's own answer is dropped, times
    are counted from the first part's start."""
    start0, start1 = _time(first.get("start")), _time(second.get("start"))
    shift = int((start1 - start0).total_seconds() * 1000) if start0 and start1 else 0
    later = [dict(e) for e in second.get("events") or () if isinstance(e, Mapping)]
    resumed: list[dict[str, Any]] = []
    if later and later[0].get("t") in ("answered", "agent_done"):
        # The call came back from the agent (else the caller hung up while with the agent).
        ms = later[0].get("ms")
        resumed = [{"t": "agent_done", "ms": (ms if isinstance(ms, int) else 0) + shift}]
        later = later[1:]
    for e in later:
        ms = e.get("ms")
        e["ms"] = (ms if isinstance(ms, int) else 0) + shift
    asks = list(second.get("asks") or ())
    if asks and str(asks[0]).endswith("|answer|"):
        asks = asks[1:]
    merged = dict(first)
    merged.update(
        events=[*(first.get("events") or ()), *resumed, *later],
        asks=[*(first.get("asks") or ()), *asks],
        path=[*(first.get("path") or ()), *(second.get("path") or ())],
        end=second.get("end"),
        open=False,
        part=0,
    )
    return merged


def _step_input(piece: str, ms: int) -> dict[str, Any]:
    if piece == MASK:
        return {"t": "digits", "ms": ms, "v": 1, "r": "success"}
    if piece.startswith("say:"):
        return {"t": "speech_result", "ms": ms, "x": piece[4:], "c": 1.0}
    if piece in ("no_match", "no_input"):
        return {"t": "speech_no_match", "ms": ms, "r": piece}
    if piece in ("timeout", "failure"):
        return {"t": "digits", "ms": ms, "d": "", "r": piece}
    return {"t": "digits", "ms": ms, "d": piece, "r": "success"}


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return None


def fitting_digits(c: cmd.Collect) -> str | None:
    """Digits this collect accepts, for an entry recorded only as "valid" (its digits were
    secret): a string built from the collect's regex (its shortest form, lengthened to
    `min`), checked against `min`/`max` and the regex; else a repeated digit that fits."""
    return _fitting(c.regex, c.min, c.max)


@functools.lru_cache(maxsize=1024)
def _fitting(regex: str, min_: int, max_: int) -> str | None:
    """`fitting_digits` by the collect's rules (a replay asks the same collects over and
    over: the regex is parsed once per rule, not once per call)."""
    try:
        pattern = re.compile(regex) if regex else None
    except re.error:
        pattern = None
    lo, hi = max(1, min_), max(1, max_)

    def fits(value: str) -> bool:
        return lo <= len(value) <= hi and (pattern is None or pattern.search(value) is not None)

    if pattern is not None:
        for extra in range(0, hi + 1):
            value = _example(pattern.pattern, extra)
            if value is not None and fits(value):
                return value
    for n in range(lo, hi + 1):
        for d in "0123456789":
            if fits(d * n):
                return d * n
    return None


def _example(regex: str, extra: int) -> str | None:
    """A string `regex` matches: each repeat at its minimum, the first open-ended or ranged
    repeat `extra` more times; None for constructs this does not build."""
    try:
        from re import _parser

        tree = _parser.parse(regex)
    except Exception:
        return None
    budget = [extra]
    out: list[str] = []
    try:
        _build(tree, out, budget, 0)
    except _NoExample:
        return None
    return "".join(out)


class _NoExample(Exception):
    pass


def _build(items: Any, out: list[str], budget: list[int], depth: int) -> None:
    if depth > 50:
        raise _NoExample
    from re import _constants as k

    for op, av in items:
        if op is k.LITERAL:
            out.append(chr(av))
        elif op is k.IN:
            out.append(_member(av, k))
        elif op is k.ANY:
            out.append("0")
        elif op in (k.MAX_REPEAT, k.MIN_REPEAT, getattr(k, "POSSESSIVE_REPEAT", None)):
            low, high, sub = av
            n = low
            if budget[0] > 0 and (high is k.MAXREPEAT or high > low):
                more = budget[0] if high is k.MAXREPEAT else min(budget[0], high - low)
                n += more
                budget[0] -= more
            for _ in range(n):
                _build(sub, out, budget, depth + 1)
        elif op is k.SUBPATTERN:
            _build(av[-1], out, budget, depth + 1)
        elif op is k.BRANCH:
            _build(av[1][0], out, budget, depth + 1)
        elif op is k.AT:
            continue
        else:
            raise _NoExample


def _member(av: Any, k: Any) -> str:
    for op, value in av:
        if op is k.LITERAL:
            return chr(value)
        if op is k.RANGE:
            return chr(value[0])
        if op is k.CATEGORY and value is k.CATEGORY_DIGIT:
            return "0"
    raise _NoExample


def input_to_event(
    entry: Mapping[str, Any], c: cmd.Collect | None, at: datetime
) -> ev.Event | None:
    """The input event for a recorded input entry, given the collect now asking (None: the
    entry cannot be given to it: a secret valid entry no digits of which fit)."""
    t = entry.get("t")
    if t == "speech_result":
        if "v" in entry:
            text = "x" if entry.get("v") else ""
        else:
            text = str(entry.get("x") or "")
        conf = entry.get("c")
        return ev.SpeechResult(text, float(conf) if isinstance(conf, int | float) else 1.0, at=at)
    if t == "speech_no_match":
        if entry.get("r") == "no_input":
            return ev.SpeechNoMatch("no_input", at=at)
        return ev.SpeechNoMatch("no_match", at=at)
    result = entry.get("r") if entry.get("r") in ("success", "timeout", "failure") else "success"
    term = entry.get("k") if isinstance(entry.get("k"), str) else None
    if "v" in entry:
        if not entry.get("v"):  # nothing, or an entry the flow refused
            return ev.Digits("", term, "failure" if result == "success" else result, at=at)  # type: ignore[arg-type]
        digits = fitting_digits(c) if c is not None else "1"
        if digits is None:
            return None
        return ev.Digits(digits, term, "success", at=at)
    return ev.Digits(str(entry.get("d") or ""), term, result, at=at)  # type: ignore[arg-type]
