"""The node kinds of a compiled flow, one frozen class each, told apart by `kind`.

Field names and order are the IR's JSON keys (`if_`, `with_`, `return_` are written `if`,
`with`, `return`) and its defaults are the model's: `flowc.ir.codec` reads and writes them
from these declarations alone, so a new field is declared here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal, NamedTuple

from flowc.ir.codec import mapping, omitted, renamed
from flowc.ir.prompts import Prompt


@dataclass(frozen=True, slots=True, kw_only=True)
class _Node:
    # Redefined by each kind with its own literal: a redefined field keeps this first place.
    kind: str = ""
    description: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class MenuOption:
    """An option of an adaptive menu (`flowc.model.nodes.MenuOption`): its target, and the
    condition, rank and prompt fragment it is offered with."""

    goto: str
    when: str | None = omitted(None)
    rank: str | None = omitted(None)
    say: Prompt | None = field(default=None, metadata={"omit": None})  # = omitted(None)


class OptionEntry(NamedTuple):
    """One option in written order, alternatives on one key included (as the model's
    `OptionEntry`, a tuple for the same reason): `alt` is its place among several written on
    one key."""

    key: str
    goto: str
    alt: int | None = None
    when: str | None = None
    rank: str | None = None
    say: Prompt | None = None

    @property
    def path(self) -> tuple[str | int, ...]:
        return ("options", self.key) if self.alt is None else ("options", self.key, self.alt)


@dataclass(frozen=True, slots=True, kw_only=True)
class MenuBody:
    prompt: Prompt
    # phone key -> a node, an adaptive option, or several alternatives told apart by `when`
    options: Mapping[str, str | MenuOption | tuple[MenuOption, ...]] = mapping()
    speech: Mapping[str, str] = mapping()  # spoken keyword -> node
    timeout: int = 5000
    inter_digit_timeout: int = 2000
    retries: int = 3
    no_input: tuple[Prompt, ...] = ()
    no_match: tuple[Prompt, ...] = ()
    on_fail: str | None = None
    on_no_input: str | None = None
    repeat_key: str | None = None
    agent_key: bool = True
    # Adaptive menus; written only when used, so other menus keep their IR.
    renumber: bool = omitted(False)
    first: str | None = omitted(None)

    def entries(self) -> list[OptionEntry]:
        """Every option in written order, alternatives on one key included."""
        out: list[OptionEntry] = []
        for key, value in self.options.items():
            if isinstance(value, str):
                out.append(OptionEntry(key, value))
                continue
            several = isinstance(value, tuple)
            for i, opt in enumerate(value if isinstance(value, tuple) else (value,)):
                out.append(
                    OptionEntry(key, opt.goto, i if several else None, opt.when, opt.rank, opt.say)
                )
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class MenuNode(_Node):
    KIND: ClassVar[str] = "menu"
    kind: Literal["menu"] = "menu"
    menu: MenuBody


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectBody:
    into: str
    prompt: Prompt
    min: int = 1
    max: int = 16
    terminator: str | None = "#"
    pattern: str | None = None
    timeout: int = 5000
    inter_digit_timeout: int = 3000
    retries: int = 3
    no_input: tuple[Prompt, ...] = ()
    no_match: tuple[Prompt, ...] = ()
    confirm: Prompt | None = None
    sensitive: bool = False
    speech: bool = False
    on_fail: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectNode(_Node):
    KIND: ClassVar[str] = "collect"
    kind: Literal["collect"] = "collect"
    collect: CollectBody
    next: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    if_: str = renamed("if")
    goto: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SwitchNode(_Node):
    KIND: ClassVar[str] = "switch"
    kind: Literal["switch"] = "switch"
    switch: tuple[Rule, ...]
    default: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HoursNode(_Node):
    KIND: ClassVar[str] = "hours"
    kind: Literal["hours"] = "hours"
    hours: str
    open: str
    closed: str
    holiday: str | None = None
    emergency: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchNode(_Node):
    KIND: ClassVar[str] = "fetch"
    kind: Literal["fetch"] = "fetch"
    fetch: str
    params: Mapping[str, str] = mapping()
    set: Mapping[str, str] = mapping()
    next: str
    on_error: str | None = None
    on_timeout: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetNode(_Node):
    KIND: ClassVar[str] = "set"
    kind: Literal["set"] = "set"
    set: Mapping[str, str]
    next: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayNode(_Node):
    KIND: ClassVar[str] = "play"
    kind: Literal["play"] = "play"
    play: Prompt
    next: str


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueNode(_Node):
    KIND: ClassVar[str] = "queue"
    kind: Literal["queue"] = "queue"
    queue: str
    priority: str = "0"
    announce: Literal["none", "position", "wait_time", "both"] = "none"
    announce_every: int = 60_000
    max_wait: int | None = None
    exit_key: str | None = None
    on_timeout: str | None = None
    on_no_agent: str | None = None
    on_exit: str | None = None
    after: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferNode(_Node):
    KIND: ClassVar[str] = "transfer"
    kind: Literal["transfer"] = "transfer"
    transfer: str
    mode: Literal["blind", "warm"] = "blind"
    prompt: Prompt | None = None
    on_fail: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VoicemailNode(_Node):
    KIND: ClassVar[str] = "voicemail"
    kind: Literal["voicemail"] = "voicemail"
    voicemail: str
    prompt: Prompt | None = None
    max_length: int = 120_000
    next: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordNode(_Node):
    KIND: ClassVar[str] = "record"
    kind: Literal["record"] = "record"
    record: str
    prompt: Prompt | None = None
    max_length: int = 60_000
    beep: bool = True
    next: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackBody:
    number: str = "{caller.number}"
    prompt: Prompt | None = None
    confirm: Prompt | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackNode(_Node):
    KIND: ClassVar[str] = "callback"
    kind: Literal["callback"] = "callback"
    callback: CallbackBody = CallbackBody()
    next: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    id: str
    ask: Prompt
    scale: Literal["1-5", "0-10", "yes_no"] = "1-5"
    retries: int = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyNode(_Node):
    KIND: ClassVar[str] = "survey"
    kind: Literal["survey"] = "survey"
    survey: tuple[Question, ...]
    thanks: Prompt | None = None
    next: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SubflowNode(_Node):
    KIND: ClassVar[str] = "subflow"
    kind: Literal["subflow"] = "subflow"
    subflow: str
    with_: Mapping[str, str] = renamed("with", default_factory=dict)
    set: Mapping[str, str] = mapping()
    next: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnNode(_Node):
    KIND: ClassVar[str] = "return"
    kind: Literal["return"] = "return"
    return_: Mapping[str, str] = renamed("return", default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class HangupNode(_Node):
    KIND: ClassVar[str] = "hangup"
    kind: Literal["hangup"] = "hangup"
    hangup: str = "NORMAL_CLEARING"
    prompt: Prompt | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GotoNode(_Node):
    KIND: ClassVar[str] = "goto"
    kind: Literal["goto"] = "goto"
    goto: str


Node = (
    MenuNode
    | CollectNode
    | SwitchNode
    | HoursNode
    | FetchNode
    | SetNode
    | PlayNode
    | QueueNode
    | TransferNode
    | VoicemailNode
    | RecordNode
    | CallbackNode
    | SurveyNode
    | SubflowNode
    | ReturnNode
    | HangupNode
    | GotoNode
)
NODE_CLASSES: Mapping[str, type[Node]] = {
    cls.KIND: cls
    for cls in (
        MenuNode,
        CollectNode,
        SwitchNode,
        HoursNode,
        FetchNode,
        SetNode,
        PlayNode,
        QueueNode,
        TransferNode,
        VoicemailNode,
        RecordNode,
        CallbackNode,
        SurveyNode,
        SubflowNode,
        ReturnNode,
        HangupNode,
        GotoNode,
    )
}
