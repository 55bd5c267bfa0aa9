"""Events: what the host (runtime, simulator, `flowc test`) tells a call happened.

Every event carries `at`, the instant it happened: the interpreter has no clock of its own.
Events are frozen dataclasses; `to_json()` / `event_from_json()` give the plain-data form used
by golden fixtures, scenario files and the simulator.

Which event answers which command:

| command            | answered by                                                        |
|--------------------|--------------------------------------------------------------------|
| Answer             | Answered                                                           |
| Play               | PromptDone (also when a key press interrupted the playback)       |
| Collect            | Digits, or SpeechResult / SpeechNoMatch when `speech` is on        |
| Fetch              | FetchResult or FetchFailed (or the guard's TimerFired)             |
| StartTimer         | TimerFired                                                         |
| Enqueue            | QueueResult, then (answered, with `resume_at`) AgentDone            |
| Transfer           | TransferResult                                                     |
| Voicemail / Record | RecordDone                                                         |
| any                | Hangup (the caller hung up)                                        |
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar, Literal

from flowc.interpreter.slot_init import slot_init

DigitsResult = Literal["success", "timeout", "failure"]
QueueOutcome = Literal["answered", "timeout", "no_agent", "exit_key"]


@dataclass(frozen=True, slots=True)
class Event:
    """Base of all events. `at` is keyword-only so subclasses take their own fields first."""

    type: ClassVar[str] = "event"
    at: datetime = field(kw_only=True)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "at": self.at.isoformat()}
        for f in fields(self):
            if f.name != "at":
                out[f.name] = getattr(self, f.name)
        return out


@dataclass(frozen=True, slots=True)
class Answered(Event):
    """The channel is answered (reply to `Answer`)."""

    type: ClassVar[str] = "answered"


@dataclass(frozen=True, slots=True)
class Digits(Event):
    """The result of one `Collect`, as play_and_get_digits reports it after all its tries.

    - `success`: `digits` is the accepted entry (terminator not included);
    - `timeout`: nothing (or not enough) entered on the last try;
    - `failure`: something entered but rejected (too short/long, regex mismatch); `digits` may
      carry the rejected entry (FreeSWITCH's `<var>_invalid`) for the trace, or be empty.
    """

    type: ClassVar[str] = "digits"
    digits: str = ""
    terminator: str | None = None
    result: DigitsResult = "success"


@dataclass(frozen=True, slots=True)
class SpeechResult(Event):
    """Recognised speech during a `Collect` with `speech` on."""

    type: ClassVar[str] = "speech_result"
    text: str = ""
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class SpeechNoMatch(Event):
    """Speech recognition ended without a result: `no_match` (heard, not understood) or
    `no_input` (silence)."""

    type: ClassVar[str] = "speech_no_match"
    reason: Literal["no_match", "no_input"] = "no_match"


@dataclass(frozen=True, slots=True)
class PromptDone(Event):
    """The playback of the last `Play` finished (or was interrupted by a key)."""

    type: ClassVar[str] = "prompt_done"


@dataclass(frozen=True, slots=True)
class TimerFired(Event):
    type: ClassVar[str] = "timer_fired"
    timer_id: str = ""


@dataclass(frozen=True, slots=True)
class FetchResult(Event):
    """An HTTP answer to `Fetch`: `status` and the parsed JSON `body` (None when not JSON)."""

    type: ClassVar[str] = "fetch_result"
    request_id: str = ""
    status: int = 200
    body: Any = None


@dataclass(frozen=True, slots=True)
class FetchFailed(Event):
    """No HTTP answer to `Fetch` after the host's retries: `timeout` or `error` (connection,
    DNS, TLS, malformed JSON ...)."""

    type: ClassVar[str] = "fetch_failed"
    request_id: str = ""
    reason: Literal["timeout", "error"] = "error"
    detail: str = ""


@dataclass(frozen=True, slots=True)
class QueueResult(Event):
    """How `Enqueue` ended: an agent `answered` (the call is bridged to `agent`), max wait
    reached (`timeout`), no agent logged in (`no_agent`) or the caller pressed the exit key."""

    type: ClassVar[str] = "queue_result"
    outcome: QueueOutcome = "answered"
    agent: str | None = None


@dataclass(frozen=True, slots=True)
class AgentDone(Event):
    """The agent conversation of an answered `Enqueue` is over and the caller is back under
    the flow's control (the second socket connection of the dialplan); the flow resumes at the
    queue node's `after` (`Enqueue.resume_at`)."""

    type: ClassVar[str] = "agent_done"


@dataclass(frozen=True, slots=True)
class TransferResult(Event):
    type: ClassVar[str] = "transfer_result"
    ok: bool = True
    cause: str = ""


@dataclass(frozen=True, slots=True)
class RecordDone(Event):
    """A `Record` or `Voicemail` finished; `path` is where the host stored the audio."""

    type: ClassVar[str] = "record_done"
    path: str = ""
    duration_ms: int = 0


@dataclass(frozen=True, slots=True)
class Hangup(Event):
    """The caller hung up (CHANNEL_HANGUP)."""

    type: ClassVar[str] = "hangup"
    cause: str = "NORMAL_CLEARING"


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        Answered,
        Digits,
        SpeechResult,
        SpeechNoMatch,
        PromptDone,
        TimerFired,
        FetchResult,
        FetchFailed,
        QueueResult,
        AgentDone,
        TransferResult,
        RecordDone,
        Hangup,
    )
}
for _cls in EVENT_TYPES.values():
    slot_init(_cls)  # built for every answer a host gives (see slot_init)

_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "digits": (str,),
    "terminator": (str, type(None)),
    "text": (str,),
    "confidence": (int, float),
    "timer_id": (str,),
    "request_id": (str,),
    "status": (int,),
    "detail": (str,),
    "agent": (str, type(None)),
    "ok": (bool,),
    "cause": (str,),
    "path": (str,),
    "duration_ms": (int,),
}
_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("digits", "result"): ("success", "timeout", "failure"),
    ("speech_no_match", "reason"): ("no_match", "no_input"),
    ("fetch_failed", "reason"): ("timeout", "error"),
    ("queue_result", "outcome"): ("answered", "timeout", "no_agent", "exit_key"),
}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")


class EventError(ValueError):
    """Plain data that is not an event."""


def event_from_json(data: Any) -> Event:
    """The event described by `{"type": ..., "at": iso-datetime, field: value ...}`."""
    if not isinstance(data, dict):
        raise EventError(f"an event is a mapping with `type` and `at`, not {data!r}")
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise EventError(f"unknown event type {kind!r}; one of {', '.join(sorted(EVENT_TYPES))}")
    at = data.get("at")
    if isinstance(at, str) and _ISO.match(at):
        at = datetime.fromisoformat(at)
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise EventError(f"`{kind}` needs `at`: an ISO datetime with a UTC offset")
    known = {f.name for f in fields(cls)} - {"at"}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("type", "at"):
            continue
        if key not in known:
            raise EventError(f"`{kind}` has no field `{key}` (fields: {', '.join(sorted(known))})")
        if key == "terminator" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if key == "digits" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        allowed = _FIELD_TYPES.get(key)
        if allowed is not None and (
            not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed)
        ):
            raise EventError(f"`{kind}.{key}` cannot be {value!r}")
        choices = _CHOICES.get((cls.type, key))
        if choices is not None and value not in choices:
            raise EventError(f"`{kind}.{key}` is one of {', '.join(choices)}")
        kwargs[key] = value
    return cls(at=at, **kwargs)
