"""The flow header: name, locales, variables and the reusable definitions nodes refer to."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from flowc.model.nodes import Node, PromptField
from flowc.model.values import DtmfKey, Duration, FlowName, Ident, NodeRef, Text

VarType = Literal["string", "int", "float", "bool", "any"]


def _OR_NULL(model: str) -> WithJsonSchema:
    # Definitions may be written empty (`billing:`), which the validators turn into {}.
    return WithJsonSchema({"anyOf": [{"x-flowc-ref": model}, {"type": "null"}]})


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Variable(_Base):
    type: VarType = "string"
    default: Any = None
    sensitive: bool = False
    description: str | None = None


def _variable(raw: Any) -> Any:
    return {"type": raw} if isinstance(raw, str) else raw


class AgentKey(_Base):
    key: DtmfKey = "0"
    goto: NodeRef


class Escalate(_Base):
    """The call's struggle budget: after this many failed inputs (no-inputs and no-matches of
    every menu and collect of the call, added up), the caller goes to `goto` at once."""

    after_failures: int = Field(ge=1, le=100)
    goto: NodeRef


class Service(_Base):
    url: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    headers: dict[str, Text] = Field(default_factory=dict)
    body: dict[str, Text] | None = None
    timeout: Duration = 2000
    retries: int = Field(default=0, ge=0, le=5)

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, raw: Any) -> Any:
        return raw.upper() if isinstance(raw, str) else raw


class Queue(_Base):
    skill: str | None = None
    strategy: str | None = None
    moh: str | None = None
    description: str | None = None


class Mailbox(_Base):
    description: str | None = None
    email: str | None = None


class FlowHeader(_Base):
    """Everything but `nodes` and `schedules` (schedules are parsed by flowc.hours)."""

    flowc: Literal[1] = 1
    flow: FlowName
    description: str | None = None
    entry: NodeRef | None = None
    locale: str | None = None
    locales: Annotated[
        tuple[str, ...],
        WithJsonSchema(
            {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
        ),
    ] = ()
    agent_key: AgentKey | None = None
    escalate: Escalate | None = None
    params: dict[Ident, VarType] = Field(default_factory=dict)
    returns: dict[Ident, VarType] = Field(default_factory=dict)
    variables: dict[
        Ident,
        Annotated[
            Variable,
            WithJsonSchema(
                {"anyOf": [{"enum": list(get_args(VarType))}, {"x-flowc-ref": "Variable"}]}
            ),
        ],
    ] = Field(default_factory=dict)
    prompts: dict[Ident, PromptField] = Field(default_factory=dict)
    services: dict[Ident, Service] = Field(default_factory=dict)
    queues: dict[Ident, Annotated[Queue, _OR_NULL("Queue")]] = Field(default_factory=dict)
    numbers: dict[Ident, Text] = Field(default_factory=dict)
    mailboxes: dict[Ident, Annotated[Mailbox, _OR_NULL("Mailbox")]] = Field(default_factory=dict)

    @field_validator("variables", mode="before")
    @classmethod
    def _vars(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            return {k: _variable(v) for k, v in raw.items()}
        return raw

    @field_validator("queues", "mailboxes", mode="before")
    @classmethod
    def _empty_defs(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            return {k: ({} if v is None else v) for k, v in raw.items()}
        return raw

    @field_validator("locales", mode="before")
    @classmethod
    def _locales(cls, raw: Any) -> Any:
        return [raw] if isinstance(raw, str) else raw


HEADER_KEYS = frozenset(FlowHeader.model_fields) | {"nodes", "schedules"}


class Flow(BaseModel):
    """A validated flow. `nodes` keeps the author's order; the first node is the default entry."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    header: FlowHeader
    schedules: dict[str, Any]  # name -> flowc.hours.Schedule (typed loosely: no import cycle)
    nodes: dict[str, Node]
    file: str

    @property
    def name(self) -> str:
        return self.header.flow

    @property
    def entry(self) -> str | None:
        if self.header.entry:
            return self.header.entry
        return next(iter(self.nodes), None)

    @property
    def default_locale(self) -> str:
        if self.header.locale:
            return self.header.locale
        return self.header.locales[0] if self.header.locales else "en-US"

    @property
    def locales(self) -> tuple[str, ...]:
        return self.header.locales or (self.default_locale,)
