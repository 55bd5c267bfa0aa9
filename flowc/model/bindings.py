"""Per-environment binding files: logical names in flows -> real FreeSWITCH resources.

Flows name queues, numbers, mailboxes and services logically; each environment (dev, prod)
has one binding file that says what they are there, which DIDs reach which flow, and where
the runtime instances listen::

    environment: prod
    runtime: ["10.0.0.9:8084", "10.0.0.10:8084"]   # failover order, for the dialplan
    flows:
      telecom_care: {dids: ["+862150000000", "5000"]}
    queues:   {telecom_care.billing: billing@default}
    numbers:  {bank.fraud_desk: "sofia/gateway/pstn/+861012345678"}
    mailboxes: {telecom_care.general: "10.0.0.5/1000"}   # mod_voicemail domain/box
    hold_music: "local_stream://moh"   # the queues' moh-sound
    services: {telecom_care.crm: {env: {CRM_URL: "https://crm.example.invalid"}}}
    flags:    {public_hotline_zh.typhoon_closure: false}
    rollout:  {window: 10m, min_calls: 50, promote_after: 30m,
               rollback_if: {error_rate_over: 2%}}   # canary rules, flowc.model.rollout

Keys of the resource tables are `<flow>.<name>`. Binding files live in a `bindings/` folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from flowc.codes import code
from flowc.diagnostics import Diagnostic, Severity, did_you_mean
from flowc.model.flow import Flow
from flowc.model.rollout import parse_rollout
from flowc.source.document import SourceDoc

UNKNOWN_FLOW = code("FL601")
UNKNOWN_RESOURCE = code("FL602")
UNBOUND_RESOURCE = code("FL603")
DUPLICATE_DID = code("FL604")
BAD_BINDING = code("FL605")
BAD_ROLLOUT = code("FL606")


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FlowBinding(_Base):
    dids: tuple[str, ...] = ()

    @field_validator("dids", mode="before")
    @classmethod
    def _dids(cls, raw: Any) -> Any:
        if isinstance(raw, list):
            return [str(x) for x in raw]
        return raw


class ServiceBinding(_Base):
    """What a service's `${NAME}` references are in this environment. The service's URL is
    the flow's own (`url: "${CRM_URL}/customers"`): a per-environment base goes in `env`."""

    env: dict[str, str] = Field(default_factory=dict)


class Bindings(_Base):
    # also a folder name of the build (`freeswitch/<env>/`) and a dialplan `set` value
    environment: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    runtime: tuple[str, ...] = ("127.0.0.1:8084",)
    fallback: str | None = None  # dialplan action data when no runtime answers
    # mod_callcenter's `moh-sound` for every queue of the environment (a flow's queue `moh`
    # wins); None: flowc.compiler.freeswitch.DEFAULT_HOLD_MUSIC, a mod_tone_stream tone.
    hold_music: str | None = None
    flows: dict[str, FlowBinding] = Field(default_factory=dict)
    queues: dict[str, str] = Field(default_factory=dict)
    numbers: dict[str, str] = Field(default_factory=dict)
    mailboxes: dict[str, str] = Field(default_factory=dict)
    services: dict[str, ServiceBinding] = Field(default_factory=dict)
    flags: dict[str, bool] = Field(default_factory=dict)
    # When `flowc serve` promotes or rolls back a canary (see flowc.model.rollout); kept as
    # written (the runtime parses it again from the bundle), checked by `_rollout_rules`.
    rollout: dict[str, Any] | None = None

    @field_validator("flows", "services", mode="before")
    @classmethod
    def _none_is_empty(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            return {k: ({} if v is None else v) for k, v in raw.items()}
        return raw


# Tables whose values are models: an unknown field inside one entry (`services.<key>.x`) is
# matched against that entry's fields.
_ENTRY_MODELS: dict[str, type[BaseModel]] = {"flows": FlowBinding, "services": ServiceBinding}
_SERVICE_URL_HINT = (
    'did you mean `env`? The URL is the flow\'s (`url: "${CRM_URL}/customers"`); bind its '
    'per-environment base here: `env: {CRM_URL: "https://crm.example.invalid"}`'
)


def _singular(table: str) -> str:
    """`queues` -> queue, `mailboxes` -> mailbox (a table name in a message)."""
    return table[:-2] if table.endswith("xes") else table[:-1]


def _validation_errors(exc: ValidationError, doc: SourceDoc) -> list[Diagnostic]:
    """The model's diagnostics, with the hints of unknown fields inside table entries."""
    from flowc.model.build import UNKNOWN_FIELD, _errors

    hints: dict[Any, str] = {}
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        if err["type"] != "extra_forbidden" or len(loc) != 3 or loc[0] not in _ENTRY_MODELS:
            continue
        field = str(loc[2])
        known = sorted(_ENTRY_MODELS[str(loc[0])].model_fields)
        if loc[0] == "services" and field == "url":
            hint = _SERVICE_URL_HINT
        else:
            hint = did_you_mean(field, known) or f"allowed here: {', '.join(known)}"
        hints[doc.span_of((str(loc[0]), str(loc[1]), field), key=True)] = hint
    return [
        replace(d, hint=hints[d.span]) if d.code == UNKNOWN_FIELD and d.span in hints else d
        for d in _errors(exc, doc, (), Bindings)
    ]


def is_bindings_doc(data: Any) -> bool:
    return isinstance(data, dict) and "environment" in data and "nodes" not in data


_TABLES = ("queues", "numbers", "mailboxes", "services", "flags")


def _flow_resources(flow: Flow, table: str) -> Iterable[str]:
    h = flow.header
    if table == "flags":
        return [
            s.emergency_flag for s in flow.schedules.values() if getattr(s, "emergency_flag", None)
        ]
    names: dict[str, Any] = getattr(h, table)
    return names.keys()


def _mailbox_shapes(b: Bindings, doc: SourceDoc) -> list[Diagnostic]:
    """A mailbox is `<domain>/<box>`: mod_voicemail looks the box up as a user of that
    directory domain (`voicemail <profile> <domain> <box>`); a stock switch has one domain,
    named after its IP address (`$${domain}` = `$${local_ip_v4}` in vanilla vars.xml)."""
    out: list[Diagnostic] = []
    for key, value in b.mailboxes.items():
        domain, slash, box = value.partition("/")
        if slash and domain.strip() and box.strip() and not any(c.isspace() for c in value):
            continue
        out.append(
            Diagnostic(
                BAD_BINDING,
                Severity.ERROR,
                f"mailbox `{key}` is {value!r}: write `<domain>/<box>`",
                doc.span_of(("mailboxes", key)),
                "the domain is the switch's directory domain (on a stock switch its IP "
                "address, `$${domain}`), the box a user in it, e.g. `192.0.2.10/1000`",
            )
        )
    return out


def _switch_values(b: Bindings, doc: SourceDoc) -> list[Diagnostic]:
    """Values the compiler writes into FreeSWITCH's XML: the runtime addresses (one socket
    action each), the DIDs (a dialplan regex) and the hold music, which mod_callcenter
    expands per caller (`switch_channel_expand_variables`, so `${...}` would run there)."""
    out: list[Diagnostic] = []

    def bad(path: tuple[Any, ...], message: str, hint: str) -> None:
        out.append(Diagnostic(BAD_BINDING, Severity.ERROR, message, doc.span_of(path), hint))

    for i, address in enumerate(b.runtime):
        if not re.fullmatch(r"[^\s|]+:[0-9]{1,5}", address):
            bad(
                ("runtime", i),
                f"runtime instance {address!r} is not one host:port",
                "one host:port per entry, in the order the dialplan tries them",
            )
    for flow, fb in b.flows.items():
        for i, did in enumerate(fb.dids):
            if not re.fullmatch(r"[A-Za-z0-9+*#._-]+", did):
                bad(
                    ("flows", flow, "dids", i),
                    f"DID {did!r} of `{flow}` is not a destination number",
                    "digits, letters and + * # . _ - only",
                )
    if b.hold_music is not None and (
        not b.hold_music.strip() or "${" in b.hold_music or any(c in b.hold_music for c in "\r\n")
    ):
        bad(
            ("hold_music",),
            f"hold_music {b.hold_music!r} is not a file or stream name",
            "name the file or stream itself (e.g. `tone_stream://%(400,2600,440);loops=-1`), "
            "without variables: mod_callcenter expands them for every caller",
        )
    return out


def _rollout_rules(b: Bindings, doc: SourceDoc) -> list[Diagnostic]:
    if b.rollout is None:
        return []
    parsed = parse_rollout(b.rollout)
    if not isinstance(parsed, list):
        return []
    return [
        Diagnostic(
            BAD_ROLLOUT,
            Severity.ERROR,
            message,
            doc.span_of(("rollout", *path), key=path[-1:] != () and "unknown" in message),
            hint,
        )
        for path, message, hint in parsed
    ]


def check_bindings(
    doc: SourceDoc, flows: Iterable[Flow]
) -> tuple[Bindings | None, list[Diagnostic]]:
    """Validate a binding file and cross-check it against the flows it binds."""
    try:
        b = Bindings.model_validate(doc.data)
    except ValidationError as exc:
        return None, _validation_errors(exc, doc)
    by_name = {f.name: f for f in flows}
    out: list[Diagnostic] = []
    for name in b.flows:
        if name not in by_name:
            out.append(
                Diagnostic(
                    UNKNOWN_FLOW,
                    Severity.ERROR,
                    f"no flow named `{name}`",
                    doc.span_of(("flows", name), key=True),
                    did_you_mean(name, by_name),
                )
            )
    seen: dict[str, str] = {}
    for name, fb in b.flows.items():
        for i, did in enumerate(fb.dids):
            if did in seen:
                out.append(
                    Diagnostic(
                        DUPLICATE_DID,
                        Severity.ERROR,
                        f"DID {did} is bound to `{seen[did]}` and `{name}`",
                        doc.span_of(("flows", name, "dids", i)),
                        "a number reaches one flow",
                    )
                )
            seen[did] = name
    out.extend(_mailbox_shapes(b, doc))
    out.extend(_switch_values(b, doc))
    out.extend(_rollout_rules(b, doc))
    for table in _TABLES:
        bound = getattr(b, table)
        for key in bound:
            flow_name, _, res = key.partition(".")
            flow = by_name.get(flow_name)
            if not res or flow is None:
                out.append(
                    Diagnostic(
                        UNKNOWN_RESOURCE,
                        Severity.ERROR,
                        f"`{key}` does not name a {_singular(table)} of a known flow",
                        doc.span_of((table, key), key=True),
                        f"write `<flow>.<{_singular(table)}>`"
                        + (
                            f"; {did_you_mean(flow_name, by_name)}"
                            if flow is None and did_you_mean(flow_name, by_name)
                            else ""
                        ),
                    )
                )
                continue
            names = list(_flow_resources(flow, table))
            if res not in names:
                out.append(
                    Diagnostic(
                        UNKNOWN_RESOURCE,
                        Severity.ERROR,
                        f"flow `{flow_name}` has no {_singular(table)} `{res}`",
                        doc.span_of((table, key), key=True),
                        did_you_mean(res, names),
                    )
                )
        for flow_name in b.flows:
            flow = by_name.get(flow_name)
            if flow is None or table in ("services", "flags"):
                continue
            for res in _flow_resources(flow, table):
                if f"{flow_name}.{res}" not in bound:
                    out.append(
                        Diagnostic(
                            UNBOUND_RESOURCE,
                            Severity.WARNING,
                            f"{_singular(table)} `{flow_name}.{res}` is not bound in environment "
                            f"`{b.environment}`",
                            doc.span_of((table,), key=True)
                            if table in doc.data
                            else doc.span_of(("flows", flow_name), key=True),
                            f"add `{flow_name}.{res}: ...` under `{table}`",
                        )
                    )
    return b, out
