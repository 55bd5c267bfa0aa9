"""Flow -> IR: the versioned, deterministic JSON the interpreter and the runtime load.

The IR holds meaning only: the same flow written in YAML or in the DSL compiles to
byte-identical IR. Where things came from (file, line, column) lives beside it in the source
map, keyed by the same node names, so tracebacks of a live call still point at source.

Layout of one compiled flow::

    {"ir": "flowc-ir", "version": 1, "name", "description", "entry", "default_locale",
     "locales", "agent_key", "params", "returns", "variables", "prompts", "schedules",
     "services", "queues", "numbers", "mailboxes", "modules", "nodes": {id: {"kind", ...}}}

A bundle is {"ir": "flowc-bundle", "version": 1, "flows": {name: flow}, "hash": sha256}.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from flowc.ir import IR_VERSION, BundleIR, FlowIR
from flowc.model.flow import Flow
from flowc.source.document import SourceDoc

__all__ = ["IR_VERSION", "compile_flow", "content_hash", "dumps", "make_bundle", "source_map"]


def canonical_json(value: Any) -> str:
    """Compact, key-sorted JSON (of an IR flow or bundle: of its JSON form)."""
    if isinstance(value, FlowIR | BundleIR):
        value = value.to_json()
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(value: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def _node_ir(node: Any) -> dict[str, Any]:
    body = node.model_dump(mode="json", by_alias=True)
    return {"kind": node.kind, **body}


def compile_flow(flow: Flow, modules: dict[str, str] | None = None) -> FlowIR:
    """The IR of one validated flow. `modules` maps subflow paths to module flow names.

    The model's JSON form (`model_dump` by alias) is the IR's JSON form: the typed IR is read
    from it, so the two cannot drift apart (tests/golden and the round-trip test hold it)."""
    h = flow.header
    dump = h.model_dump(mode="json", by_alias=True)
    ir: dict[str, Any] = {
        "ir": "flowc-ir",
        "version": IR_VERSION,
        "name": flow.name,
        "description": h.description,
        "entry": flow.entry,
        "default_locale": flow.default_locale,
        "locales": list(flow.locales),
        "agent_key": dump["agent_key"],
        "params": dump["params"],
        "returns": dump["returns"],
        "variables": dump["variables"],
        "prompts": dump["prompts"],
        "schedules": {name: s.to_json() for name, s in flow.schedules.items()},
        "services": dump["services"],
        "queues": dump["queues"],
        "numbers": dump["numbers"],
        "mailboxes": dump["mailboxes"],
        "modules": dict(sorted((modules or {}).items())),
    }
    if h.escalate is not None:  # only when set: flows without it keep their IR
        ir["escalate"] = dump["escalate"]
    ir["nodes"] = {node_id: _node_ir(node) for node_id, node in flow.nodes.items()}
    ir["hash"] = content_hash(ir)
    return FlowIR.from_json(ir)


def source_map(flow: Flow, doc: SourceDoc) -> dict[str, Any]:
    """Node name -> [line, column] of its definition, plus the file."""
    nodes = {}
    for node_id in flow.nodes:
        span = doc.span_of(("nodes", node_id), key=True)
        nodes[node_id] = [span.line, span.col]
    return {"file": doc.file, "flow": flow.name, "nodes": nodes}


def make_bundle(
    flows: list[FlowIR],
    maps: list[dict[str, Any]] | None = None,
    bindings: dict[str, Any] | None = None,
) -> BundleIR:
    bundle = BundleIR(
        flows={f.name: f for f in sorted(flows, key=lambda f: f.name)},
        bindings=dict(sorted((bindings or {}).items())),
    )
    bundle = dataclasses.replace(bundle, hash=content_hash(bundle.to_json()))
    if maps is not None:
        sourcemap = {m["flow"]: m for m in sorted(maps, key=lambda m: str(m["flow"]))}
        bundle = dataclasses.replace(bundle, sourcemap=sourcemap)
    return bundle


def dumps(value: FlowIR | BundleIR | dict[str, Any]) -> str:
    """Deterministic, readable JSON for files people may diff."""
    data = value if isinstance(value, dict) else value.to_json()
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
