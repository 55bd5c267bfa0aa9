"""The node kinds of a flow. Each node is a mapping with exactly one kind key.

Field names are the keys authors write. Continuations (`next`, `on_fail`, option targets...)
are node names; whether they exist is a semantic check (lint), not a schema check, so a
misspelt target is reported with "did you mean" rather than as a shape error.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal, NamedTuple

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)

from flowc.model.prompts import Prompt, normalize_prompt
from flowc.model.values import (
    DTMF_KEYS,
    IDENT_RE,
    DtmfKey,
    Duration,
    Ident,
    NodeRef,
    Text,
    as_text,
)

# A placeholder: pydantic resolves real $refs itself; flowc.schema swaps this for one.
PROMPT_SCHEMA_REF = {"x-flowc-ref": "PromptInput"}
PromptField = Annotated[
    Prompt, BeforeValidator(normalize_prompt), WithJsonSchema(PROMPT_SCHEMA_REF)
]


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _NodeBase(_Base):
    # The key that names the kind in the source. A node's continuations are enumerated in
    # one place, `flowc.ir.edges.node_edges`, for the model and the IR alike.
    kind: ClassVar[str]
    description: str | None = None
    tags: tuple[str, ...] = ()


def _escalation(raw: Any) -> Any:
    # A list here is escalation (the n-th failure plays the n-th prompt, the last repeats);
    # concatenated parts inside one escalation step go in a locale map or a reusable prompt.
    if raw is None:
        return ()
    return tuple(raw) if isinstance(raw, list) else (raw,)


Escalations = Annotated[
    tuple[PromptField, ...],
    BeforeValidator(_escalation),
    WithJsonSchema({"anyOf": [PROMPT_SCHEMA_REF, {"type": "array", "items": PROMPT_SCHEMA_REF}]}),
]


# A condition or a number in the expression language (not a template: no `{...}` around it).
ExprText = Annotated[
    str,
    BeforeValidator(as_text),
    WithJsonSchema(
        {"type": ["string", "number", "boolean"], "description": "an expression (no braces)"}
    ),
]


class MenuOption(_Base):
    """One option of an adaptive menu: where it goes, and when and where it is offered.

    `when`: a condition over call variables and look-up results; the option is offered (and
    its key accepted) only while it is true. `rank`: an expression giving a number; options
    with a rank are offered before those without, lowest first (ties keep the written order).
    `say`: the option's prompt fragment, in every locale; `{key}` in it reads the key the
    option is offered on, so what the caller hears and the keys accepted never disagree.
    """

    goto: NodeRef
    when: ExprText | None = None
    rank: ExprText | None = None
    say: PromptField | None = None

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if v is not None}


def _option_shape(raw: Any) -> str | None:
    if isinstance(raw, dict | MenuOption):
        return "option[block]"
    if isinstance(raw, list | tuple):
        return "option[list]"
    return "option[name]" if isinstance(raw, str) else None


OPTION_SHAPES = (
    "an option is a node name, an option block `{goto: node, say: ..., when: ..., rank: ...}`"
    " or a list of option blocks"
)


# One key: a node name, one adaptive option, or several alternatives (told apart by `when`).
# The written shape picks the branch, so a malformed option gets the errors of the form it was
# written in and not one per union branch ("not a valid name", "not a valid tuple"...). The
# tags show in error locations; like pydantic's validator names they hold `[` and the schema
# error mapping drops them.
OptionValue = Annotated[
    Annotated[NodeRef, Tag("option[name]")]
    | Annotated[MenuOption, Tag("option[block]")]
    | Annotated[tuple[MenuOption, ...], Tag("option[list]")],
    Discriminator(
        _option_shape, custom_error_type="option_shape", custom_error_message=OPTION_SHAPES
    ),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": IDENT_RE.pattern, "description": "name of a node"},
                {"x-flowc-ref": "MenuOption"},
                {"type": "array", "items": {"x-flowc-ref": "MenuOption"}},
            ]
        }
    ),
]


class OptionEntry(NamedTuple):
    """One option of a menu as every tool sees it: `alt` is its position among the
    alternatives written on one key (None for a single option); `path` its source path
    below the menu body. A tuple: every menu builds its entries, and a frozen dataclass (one
    `object.__setattr__` per field) or a pydantic model costs several times as much to build
    in flows of thousands of menus."""

    key: str
    goto: str
    alt: int | None = None
    when: str | None = None
    rank: str | None = None
    say: Prompt | None = None

    @property
    def path(self) -> tuple[str | int, ...]:
        return ("options", self.key) if self.alt is None else ("options", self.key, self.alt)

    @property
    def conditional(self) -> bool:
        return self.when is not None


def option_entries(options: dict[str, OptionValue]) -> list[OptionEntry]:
    """Every option of a menu in written order, alternatives on one key included."""
    out: list[OptionEntry] = []
    for key, value in options.items():
        if isinstance(value, str):
            out.append(OptionEntry(key, value))
            continue
        alts = value if isinstance(value, tuple) else (value,)
        for i, opt in enumerate(alts):
            index = i if isinstance(value, tuple) else None
            out.append(OptionEntry(key, opt.goto, index, opt.when, opt.rank, opt.say))
    return out


class MenuBody(_Base):
    prompt: PromptField
    options: dict[str, OptionValue] = Field(default_factory=dict)
    speech: dict[str, NodeRef] = Field(default_factory=dict)
    timeout: Duration = 5000
    inter_digit_timeout: Duration = 2000
    retries: int = Field(default=3, ge=1, le=10)
    no_input: Escalations = ()
    no_match: Escalations = ()
    on_fail: NodeRef | None = None
    # Silence goes here at once (no retry); wrong keys still retry, then `on_fail`. For menus
    # where pressing nothing is an answer: "for English press 2; or hold for Mandarin".
    on_no_input: NodeRef | None = None
    repeat_key: DtmfKey | None = None
    agent_key: bool = True
    # Adaptive menus: keys follow the offered order (1, 2, 3 ... skipping the agent and repeat
    # keys) instead of staying fixed per option; `first` names the option (its target node)
    # offered before all others, e.g. the one this caller chose most, from a look-up.
    renumber: bool = False
    first: Text | None = None

    @field_validator("options", mode="before")
    @classmethod
    def _keys(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            for key, value in raw.items():
                if key not in DTMF_KEYS:
                    raise ValueError(f"`{key}` is not a phone key; menu options use 0-9, * or #")
                if isinstance(value, list) and not value:
                    raise ValueError(f"key {key} has an empty list of options")
        return raw

    @model_validator(mode="after")
    def _fragments(self) -> MenuBody:
        if not self.renumber and self.first is None:
            # a menu of plain targets (the usual kind) is not adaptive: nothing to check
            if all(type(v) is str for v in self.options.values()):
                return self
        entries = self.option_tuple
        adaptive = (
            self.renumber
            or self.first is not None
            or any(e.when is not None or e.rank is not None or e.say is not None for e in entries)
            or any(isinstance(v, tuple) for v in self.options.values())
        )
        if adaptive:
            bare = [e.key for e in entries if e.say is None]
            if bare:
                raise ValueError(
                    "an adaptive menu (options with `when`, `rank` or `say`, `renumber`,"
                    " `first`) builds its prompt from the options' `say` fragments: give every"
                    f" option one (missing on key {', '.join(dict.fromkeys(bare))})"
                )
        return self

    @property
    def adaptive(self) -> bool:
        """Whether the prompt is assembled from the offered options' fragments."""
        return any(e.say is not None for e in self.entries())

    @cached_property
    def option_tuple(self) -> tuple[OptionEntry, ...]:
        """The options in written order, computed once: the body is frozen, and lint, graph
        and stats ask for them many times (pydantic leaves cached properties out of `==`)."""
        return tuple(option_entries(self.options))

    def entries(self) -> list[OptionEntry]:
        return list(self.option_tuple)

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Menus without the adaptive settings keep the IR they always had.
        data: dict[str, Any] = handler(self)
        if not self.renumber:
            data.pop("renumber", None)
        if self.first is None:
            data.pop("first", None)
        return data


class MenuNode(_NodeBase):
    kind: ClassVar[Literal["menu"]] = "menu"
    menu: MenuBody


class CollectBody(_Base):
    into: Ident
    prompt: PromptField
    min: int = Field(default=1, ge=0, le=128)
    max: int = Field(default=16, ge=1, le=128)
    terminator: str | None = "#"
    pattern: str | None = None
    timeout: Duration = 5000
    inter_digit_timeout: Duration = 3000
    retries: int = Field(default=3, ge=1, le=10)
    no_input: Escalations = ()
    no_match: Escalations = ()
    confirm: PromptField | None = None
    sensitive: bool = False
    speech: bool = False
    on_fail: NodeRef | None = None

    @field_validator("terminator", mode="before")
    @classmethod
    def _term(cls, raw: Any) -> Any:
        if raw is None or raw == "":
            return None
        text = as_text(raw)
        if any(c not in DTMF_KEYS for c in text):
            raise ValueError(f"`{raw}` is not a phone key; terminators use 0-9, * or #")
        return text


class CollectNode(_NodeBase):
    kind: ClassVar[Literal["collect"]] = "collect"
    collect: CollectBody
    next: NodeRef | None = None


class Rule(_Base):
    if_: str = Field(alias="if")
    goto: NodeRef

    @field_validator("if_", mode="before")
    @classmethod
    def _cond(cls, raw: Any) -> Any:
        return as_text(raw)


class SwitchNode(_NodeBase):
    kind: ClassVar[Literal["switch"]] = "switch"
    switch: tuple[Rule, ...] = Field(min_length=1)
    default: NodeRef


class HoursNode(_NodeBase):
    kind: ClassVar[Literal["hours"]] = "hours"
    hours: Ident
    open: NodeRef
    closed: NodeRef
    holiday: NodeRef | None = None
    emergency: NodeRef | None = None


class FetchNode(_NodeBase):
    kind: ClassVar[Literal["fetch"]] = "fetch"
    fetch: Ident
    params: dict[str, Text] = Field(default_factory=dict)
    set: dict[str, Text] = Field(default_factory=dict)
    next: NodeRef
    on_error: NodeRef | None = None
    on_timeout: NodeRef | None = None


class SetNode(_NodeBase):
    kind: ClassVar[Literal["set"]] = "set"
    set: dict[str, Text] = Field(min_length=1)
    next: NodeRef


class PlayNode(_NodeBase):
    kind: ClassVar[Literal["play"]] = "play"
    play: PromptField
    next: NodeRef


class QueueNode(_NodeBase):
    kind: ClassVar[Literal["queue"]] = "queue"
    queue: Ident
    priority: Text = "0"
    announce: Literal["none", "position", "wait_time", "both"] = "none"
    announce_every: Duration = 60_000
    max_wait: Duration | None = None
    exit_key: DtmfKey | None = None
    on_timeout: NodeRef | None = None
    on_no_agent: NodeRef | None = None
    on_exit: NodeRef | None = None
    after: NodeRef | None = None


class TransferNode(_NodeBase):
    kind: ClassVar[Literal["transfer"]] = "transfer"
    transfer: Text
    mode: Literal["blind", "warm"] = "blind"
    prompt: PromptField | None = None
    on_fail: NodeRef | None = None


class VoicemailNode(_NodeBase):
    kind: ClassVar[Literal["voicemail"]] = "voicemail"
    voicemail: Ident
    prompt: PromptField | None = None
    max_length: Duration = 120_000
    next: NodeRef | None = None


class RecordNode(_NodeBase):
    kind: ClassVar[Literal["record"]] = "record"
    record: Ident
    prompt: PromptField | None = None
    max_length: Duration = 60_000
    beep: bool = True
    next: NodeRef | None = None


class CallbackBody(_Base):
    number: Text = "{caller.number}"
    prompt: PromptField | None = None
    confirm: PromptField | None = None


class CallbackNode(_NodeBase):
    kind: ClassVar[Literal["callback"]] = "callback"
    callback: Annotated[
        CallbackBody, WithJsonSchema({"anyOf": [{"x-flowc-ref": "CallbackBody"}, {"type": "null"}]})
    ]
    next: NodeRef | None = None

    @field_validator("callback", mode="before")
    @classmethod
    def _short(cls, raw: Any) -> Any:
        return {} if raw is None else raw


class Question(_Base):
    id: Ident
    ask: PromptField
    scale: Literal["1-5", "0-10", "yes_no"] = "1-5"
    retries: int = Field(default=2, ge=1, le=10)


class SurveyNode(_NodeBase):
    kind: ClassVar[Literal["survey"]] = "survey"
    survey: tuple[Question, ...] = Field(min_length=1)
    thanks: PromptField | None = None
    next: NodeRef | None = None


class SubflowNode(_NodeBase):
    kind: ClassVar[Literal["subflow"]] = "subflow"
    subflow: str
    with_: dict[str, Text] = Field(default_factory=dict, alias="with")
    set: dict[str, Text] = Field(default_factory=dict)
    next: NodeRef


class ReturnNode(_NodeBase):
    kind: ClassVar[Literal["return"]] = "return"
    return_: Annotated[
        dict[str, Text],
        WithJsonSchema(
            {
                "type": ["object", "null"],
                "additionalProperties": {"type": ["string", "number", "boolean"]},
            }
        ),
    ] = Field(default_factory=dict, alias="return")

    @field_validator("return_", mode="before")
    @classmethod
    def _empty(cls, raw: Any) -> Any:
        return {} if raw is None else raw


class HangupNode(_NodeBase):
    kind: ClassVar[Literal["hangup"]] = "hangup"
    hangup: Annotated[
        str, WithJsonSchema({"type": ["string", "null"], "description": "hangup cause"})
    ] = "NORMAL_CLEARING"
    prompt: PromptField | None = None

    @field_validator("hangup", mode="before")
    @classmethod
    def _cause(cls, raw: Any) -> Any:
        return "NORMAL_CLEARING" if raw is None else raw


class GotoNode(_NodeBase):
    kind: ClassVar[Literal["goto"]] = "goto"
    goto: NodeRef


NODE_CLASSES = (
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
NODE_KINDS: dict[str, type[_NodeBase]] = {cls.kind: cls for cls in NODE_CLASSES}
# Nodes after which the call is in someone else's hands or over: paths ending here are fine.
TERMINAL_KINDS = frozenset({"hangup", "transfer", "queue", "voicemail", "return"})
# Nodes that wait for the caller: a loop through one of these is not a busy loop.
INPUT_KINDS = frozenset({"menu", "collect", "survey", "record", "callback", "queue"})


def kind_keys(raw: dict[str, Any]) -> list[str]:
    """The kind keys of a written node: one for a well-formed node. `set` is a kind and also
    a field of fetch and subflow: the kind is the key whose model has all the others as
    fields."""
    kinds = [k for k in raw if k in NODE_KINDS]
    if len(kinds) > 1:
        fitting = [k for k in kinds if all(o == k or o in _written_fields(k) for o in kinds)]
        kinds = fitting if len(fitting) == 1 else kinds
    return kinds


def _written_fields(kind: str) -> set[str]:
    return {info.alias or name for name, info in NODE_KINDS[kind].model_fields.items()}


def _node_tag(value: Any) -> str | None:
    if isinstance(value, _NodeBase):
        return value.kind
    if isinstance(value, dict):
        kinds = kind_keys(value)
        return kinds[0] if len(kinds) == 1 else None
    return None


Node = Annotated[
    Annotated[MenuNode, Tag("menu")]
    | Annotated[CollectNode, Tag("collect")]
    | Annotated[SwitchNode, Tag("switch")]
    | Annotated[HoursNode, Tag("hours")]
    | Annotated[FetchNode, Tag("fetch")]
    | Annotated[SetNode, Tag("set")]
    | Annotated[PlayNode, Tag("play")]
    | Annotated[QueueNode, Tag("queue")]
    | Annotated[TransferNode, Tag("transfer")]
    | Annotated[VoicemailNode, Tag("voicemail")]
    | Annotated[RecordNode, Tag("record")]
    | Annotated[CallbackNode, Tag("callback")]
    | Annotated[SurveyNode, Tag("survey")]
    | Annotated[SubflowNode, Tag("subflow")]
    | Annotated[ReturnNode, Tag("return")]
    | Annotated[HangupNode, Tag("hangup")]
    | Annotated[GotoNode, Tag("goto")],
    Discriminator(_node_tag),
]
"""A node of any kind: a union told apart by the kind key written (pydantic validates a
written mapping against the one class it names); code dispatches with `match`."""
