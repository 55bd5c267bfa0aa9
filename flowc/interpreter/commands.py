"""Commands: what a call asks its host to do. Frozen dataclasses; `to_json()` for fixtures.

Hosts execute commands in list order. Fire-and-forget commands (SetVariable, Journal,
StartTimer, CancelTimer, End) need no answer; every other command is answered by one event
(see `flowc.interpreter.events`), and a call waits for at most one such answer at a time.

Sensitive values (collected PINs, card numbers and anything computed from them) are real in
the fields the host reads (`SetVariable.value`, `PlayItem.text`, `Fetch.url`...) so it can act
on them, and masked as "****" in `repr()` and `to_json()`, which is what logs, traces and
fixtures see. `Journal` records and `End.outcome` are masked at the source: never clear.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar, Final, Literal

from flowc.interpreter.slot_init import slot_init
from flowc.interpreter.trace import MASK, Outcome

PlayKind = Literal["tts", "audio", "say"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PlayItem:
    """One piece of a prompt, rendered for the call's locale.

    `tts`: text to speak (interpolation done); `audio`: a sound file path as written in the
    flow (relative paths are the host's to resolve); `say`: `text` is the value read aloud as
    `say_as` (number, money, digits, date, time, ordinal) in the prompt's locale.
    """

    kind: PlayKind
    text: str
    say_as: str | None = None
    sensitive: bool = False

    def to_json(self) -> dict[str, Any]:
        text = MASK if self.sensitive else self.text
        if self.kind == "say":
            return {"say": self.say_as, "value": text}
        return {self.kind: text}

    def __repr__(self) -> str:
        text = MASK if self.sensitive else self.text
        extra = f", say_as={self.say_as!r}" if self.say_as else ""
        return f"PlayItem({self.kind!r}, {text!r}{extra})"


Items = tuple[PlayItem, ...]


def _json(value: Any) -> Any:
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class Command:
    type: ClassVar[str] = "command"
    _masked: ClassVar[tuple[str, ...]] = ()

    def _sensitive(self) -> bool:
        return False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        hide = self._sensitive()
        for f in fields(self):
            value = getattr(self, f.name)
            if hide and f.name in self._masked and value is not None:
                out[f.name] = MASK
            else:
                out[f.name] = _json(value)
        return out

    def __repr__(self) -> str:
        body = self.to_json()
        body.pop("type")
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in body.items())})"


@dataclass(frozen=True, slots=True, repr=False)
class Answer(Command):
    """Answer the channel; reply: Answered."""

    type: ClassVar[str] = "answer"


@dataclass(frozen=True, slots=True, repr=False)
class Play(Command):
    """Play `items` in order; reply: PromptDone. `barge_in`: a key press stops the playback."""

    type: ClassVar[str] = "play"
    items: Items
    barge_in: bool = True
    locale: str = "en-US"


@dataclass(frozen=True, slots=True, repr=False)
class Collect(Command):
    """Collect input; reply: Digits (or SpeechResult / SpeechNoMatch when `speech`).

    The first ten fields are play_and_get_digits' arguments, in its order:
    `<min> <max> <tries> <timeout_ms> <terminators> <prompt> <invalid_prompt> <var> <regex>
    <digit_timeout_ms>`. Conventions the host translates: `terminators` "" means none (write
    `none`), an empty `prompt` / `invalid_prompt` means silence (write `silence_stream://250`:
    an empty argument would shift the later ones). `prompt` is always interruptible by a key.
    `sensitive`: the entry is secret (suppress DTMF logging, clear `var` after reading it).
    With `speech`, recognise the caller's words too (`speech_keywords`: the phrases a menu
    listens for; empty for free-form collection).
    """

    type: ClassVar[str] = "collect"
    min: int
    max: int
    tries: int
    timeout_ms: int
    terminators: str
    prompt: Items
    invalid_prompt: Items
    var: str
    regex: str
    digit_timeout_ms: int
    speech: bool = False
    speech_keywords: tuple[str, ...] = ()
    locale: str = "en-US"
    sensitive: bool = False


@dataclass(frozen=True, slots=True, repr=False)
class StartTimer(Command):
    """Send TimerFired(timer_id) after `ms` milliseconds unless cancelled."""

    type: ClassVar[str] = "start_timer"
    timer_id: str
    ms: int


@dataclass(frozen=True, slots=True, repr=False)
class CancelTimer(Command):
    type: ClassVar[str] = "cancel_timer"
    timer_id: str


@dataclass(frozen=True, slots=True, repr=False)
class Fetch(Command):
    """An HTTP request; reply: FetchResult or FetchFailed with the same `request_id`.

    `service` is the flow's logical service name (bindings may override its URL and provide
    the environment). `url` and header values still hold `${ENV}` references for the host to
    substitute; expression holes are done (and percent-encoded inside the URL). `body` is the
    JSON body or None. The host makes `retries` further attempts, each limited to `timeout_ms`.
    """

    type: ClassVar[str] = "fetch"
    _masked: ClassVar[tuple[str, ...]] = ("url", "headers", "body")
    request_id: str
    service: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: Any
    timeout_ms: int
    retries: int
    sensitive: bool = False

    def _sensitive(self) -> bool:
        return self.sensitive


@dataclass(frozen=True, slots=True, repr=False)
class SetVariable(Command):
    """Mirror a flow variable onto the switch channel (e.g. for the dialplan and CDRs)."""

    type: ClassVar[str] = "set_variable"
    _masked: ClassVar[tuple[str, ...]] = ("value",)
    name: str
    value: Any
    sensitive: bool = False

    def _sensitive(self) -> bool:
        return self.sensitive


@dataclass(frozen=True, slots=True, repr=False)
class Enqueue(Command):
    """Hand the call to the agent queue `queue` (logical name); reply: QueueResult.

    When `resume_at` is set, the flow continues there after the agent conversation: the host
    sends AgentDone (see the package docs). `max_wait_ms` None = the queue's own limit.
    """

    type: ClassVar[str] = "enqueue"
    queue: str
    priority: int
    announce: str
    max_wait_ms: int | None
    exit_key: str | None
    resume_at: str | None
    announce_every_ms: int = 60_000


@dataclass(frozen=True, slots=True, repr=False)
class Transfer(Command):
    """Transfer the call; reply: TransferResult. `number` is the logical number name when the
    target came from the flow's `numbers` (bindings may re-point it), else None."""

    type: ClassVar[str] = "transfer"
    target: str
    mode: Literal["blind", "warm"]
    number: str | None = None


@dataclass(frozen=True, slots=True, repr=False)
class Voicemail(Command):
    """Take a voicemail for the logical `mailbox`; reply: RecordDone."""

    type: ClassVar[str] = "voicemail"
    mailbox: str
    max_length_ms: int


@dataclass(frozen=True, slots=True, repr=False)
class Record(Command):
    """Record the caller; reply: RecordDone (its path goes into the flow variable `var`)."""

    type: ClassVar[str] = "record"
    var: str
    max_length_ms: int
    beep: bool


@dataclass(frozen=True, slots=True, repr=False)
class Hangup(Command):
    type: ClassVar[str] = "hangup"
    cause: str = "NORMAL_CLEARING"


@dataclass(frozen=True, slots=True, repr=False)
class Journal(Command):
    """A record for the call journal (analytics): one subclass per thing that happened, its
    fields typed and already masked. Hosts dispatch on the class (`isinstance` / `match`).

    `record` names the subclass in the JSON form, which stays the one fixtures were written
    with: `{"type": "journal", "kind": <record>, "data": {...}}` (see `_data`).
    """

    type: ClassVar[str] = "journal"
    record: ClassVar[str] = "journal"

    def _data(self) -> dict[str, Any]:
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "kind": self.record, "data": self._data()}


# `NodeEntered.why` of the first node after an agent conversation (the queue's `after`).
RESUMED: Final = "resumed after the agent conversation"


@dataclass(frozen=True, slots=True, repr=False)
class NodeEntered(Journal):
    """The call entered `node` (of kind `node_kind`) in `flow` (the main flow or a subflow
    module) at `at`; `why`: the decision that led there (the interpreter's one-sentence
    reason), `"next"` when the previous node just went on, `"start"` for the first node,
    `RESUMED` after an agent conversation. `at` and `why` are not in the JSON form."""

    record: ClassVar[str] = "node"
    flow: str
    node: str
    node_kind: str
    at: datetime = field(default=_EPOCH, compare=False)
    why: str = "next"

    def _data(self) -> dict[str, Any]:
        return {"flow": self.flow, "node": self.node, "kind": self.node_kind}


@dataclass(frozen=True, slots=True, repr=False)
class MenuChosen(Journal):
    """A menu option was taken; `via`: `key`, `speech` or `agent_key`."""

    record: ClassVar[str] = "menu"
    node: str
    via: str
    choice: str
    target: str
    failures: int


@dataclass(frozen=True, slots=True, repr=False)
class MenuFailed(Journal):
    """A menu ran out of retries and goes to `target` (its `on_fail`)."""

    record: ClassVar[str] = "menu_failed"
    node: str
    failures: int
    no_input: int
    no_match: int
    target: str | None


@dataclass(frozen=True, slots=True, repr=False)
class MenuEmpty(Journal):
    """An adaptive menu offered no option on this visit and goes to `target` (its
    `on_fail`)."""

    record: ClassVar[str] = "menu_empty"
    node: str
    target: str | None


@dataclass(frozen=True, slots=True, repr=False)
class Escalated(Journal):
    """The caller struggled `failures` times (the flow's `escalate` budget): the call goes to
    `target` from `node`."""

    record: ClassVar[str] = "escalate"
    node: str | None
    failures: int
    target: str


@dataclass(frozen=True, slots=True, repr=False)
class QueueDone(Journal):
    """The agent queue answered the Enqueue."""

    record: ClassVar[str] = "queue"
    node: str
    queue: str
    priority: int
    outcome: str
    agent: str | None


@dataclass(frozen=True, slots=True, repr=False)
class VoicemailLeft(Journal):
    record: ClassVar[str] = "voicemail"
    node: str
    mailbox: str
    path: str
    duration_ms: int


@dataclass(frozen=True, slots=True, repr=False)
class CallbackBooked(Journal):
    """A callback to `number` was booked at `requested_at` (ISO text in the JSON form)."""

    record: ClassVar[str] = "callback"
    node: str
    number: str
    requested_at: datetime
    confirmed: bool | None

    def _data(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "number": self.number,
            "requested_at": self.requested_at.isoformat(),
            "confirmed": self.confirmed,
        }


@dataclass(frozen=True, slots=True, repr=False)
class SurveyAnswered(Journal):
    """One survey question; `answer` None when the caller gave no valid answer."""

    record: ClassVar[str] = "survey"
    node: str
    question: str
    scale: str
    answer: int | bool | None


JOURNAL_RECORDS: dict[str, type[Journal]] = {
    cls.record: cls
    for cls in (
        NodeEntered,
        MenuChosen,
        MenuFailed,
        MenuEmpty,
        Escalated,
        QueueDone,
        VoicemailLeft,
        CallbackBooked,
        SurveyAnswered,
    )
}


@dataclass(frozen=True, slots=True, repr=False)
class End(Command):
    """The call is over for the interpreter (always last). No reply; later events are ignored."""

    type: ClassVar[str] = "end"
    outcome: Outcome


COMMAND_TYPES: dict[str, type[Command]] = {
    cls.type: cls
    for cls in (
        Answer,
        Play,
        Collect,
        StartTimer,
        CancelTimer,
        Fetch,
        SetVariable,
        Enqueue,
        Transfer,
        Voicemail,
        Record,
        Hangup,
        Journal,
        End,
    )
}
# Built for every step of every call (see slot_init).
_BUILT: tuple[type, ...] = (PlayItem, *COMMAND_TYPES.values(), *JOURNAL_RECORDS.values())
for _cls in _BUILT:
    slot_init(_cls)


def commands_to_json(commands: list[Command]) -> list[dict[str, Any]]:
    return [c.to_json() for c in commands]
