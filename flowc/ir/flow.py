"""A compiled flow and a bundle of them: the typed form of `bundle.json`.

`FlowIR.from_json(json.loads(text))` gives back exactly what the compiler produced, and
`to_json()` writes it out again key for key (the JSON form is the contract with deployed
runtimes: see `flowc.compiler.ir` for its layout).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from flowc.ir.codec import IRError, from_json, mapping, omitted, to_json
from flowc.ir.nodes import NODE_CLASSES, Node
from flowc.ir.prompts import Prompt

IR_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentKey:
    key: str = "0"
    goto: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalate:
    """The call's struggle budget: after this many failed inputs, go to `goto` at once."""

    after_failures: int
    goto: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Variable:
    type: Literal["string", "int", "float", "bool", "any"] = "string"
    default: Any = None
    sensitive: bool = False
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    url: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    headers: Mapping[str, str] = mapping()
    body: Mapping[str, str] | None = None
    timeout: int = 2000
    retries: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Queue:
    skill: str | None = None
    strategy: str | None = None
    moh: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Mailbox:
    description: str | None = None
    email: str | None = None


def read_nodes(raw: Any) -> Mapping[str, Node]:
    """Node name -> node; errors name the node."""
    if not isinstance(raw, Mapping):
        raise IRError("`nodes` is not a mapping")
    out: dict[str, Node] = {}
    for node_id, body in raw.items():
        where = f"node `{node_id}`"
        kind = body.get("kind") if isinstance(body, Mapping) else None
        if not isinstance(body, Mapping):
            raise IRError(f"{where} is malformed")
        cls = NODE_CLASSES.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise IRError(f"{where}: unknown node kind {kind!r}")
        try:
            out[str(node_id)] = from_json(cls, body)
        except IRError as exc:
            raise IRError(f"{where}: malformed {kind} node ({exc})") from None
    return MappingProxyType(out)


def _check_tag(raw: Any) -> str:
    if raw != "flowc-ir":
        raise IRError("not a compiled flow (expected `ir: flowc-ir`)")
    return "flowc-ir"


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowIR:
    """One compiled flow. `schedules` stay in their JSON form (`flowc.hours.Schedule`
    reads them); `hash` is the content hash of everything before it."""

    ir: Literal["flowc-ir"] = dataclasses.field(default="flowc-ir", metadata={"read": _check_tag})
    version: int = IR_VERSION
    name: str
    description: str | None = None
    entry: str | None = None
    default_locale: str = "en-US"
    locales: tuple[str, ...] = ()
    agent_key: AgentKey | None = None
    params: Mapping[str, str] = mapping()
    returns: Mapping[str, str] = mapping()
    variables: Mapping[str, Variable] = mapping()
    prompts: Mapping[str, Prompt] = mapping()
    schedules: Mapping[str, Any] = mapping()
    services: Mapping[str, Service] = mapping()
    queues: Mapping[str, Queue] = mapping()
    numbers: Mapping[str, str] = mapping()
    mailboxes: Mapping[str, Mailbox] = mapping()
    modules: Mapping[str, str] = mapping()  # subflow path -> module flow name
    # written only when set (`omitted(None)`, spelt out for the linter)
    escalate: Escalate | None = dataclasses.field(default=None, metadata={"omit": None})
    nodes: Mapping[str, Node] = dataclasses.field(
        default_factory=dict, metadata={"read": read_nodes}
    )
    hash: str | None = omitted(None)

    @classmethod
    def from_json(cls, raw: Any) -> FlowIR:
        """Raises `IRError` on JSON that is not a compiled flow of this IR version."""
        if not isinstance(raw, Mapping) or raw.get("ir") != "flowc-ir":
            raise IRError("not a compiled flow (expected `ir: flowc-ir`)")
        if raw.get("version") != IR_VERSION:
            raise IRError(f"IR version {raw.get('version')!r} is not supported")
        return from_json(cls, raw)

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleIR:
    """Flows by name, the environments' bindings (their JSON form: the FreeSWITCH backend
    and the runtime read them), the content hash, and the source maps when kept."""

    ir: Literal["flowc-bundle"] = "flowc-bundle"
    version: int = IR_VERSION
    flows: Mapping[str, FlowIR] = mapping()
    bindings: Mapping[str, Any] = mapping()
    hash: str | None = omitted(None)
    sourcemap: Mapping[str, Any] | None = omitted(None)

    @classmethod
    def from_json(cls, raw: Any) -> BundleIR:
        if not isinstance(raw, Mapping) or raw.get("ir") != "flowc-bundle":
            raise IRError("not a flowc bundle (no `ir: flowc-bundle`)")
        return from_json(cls, raw)

    def to_json(self) -> dict[str, Any]:
        return to_json(self)
