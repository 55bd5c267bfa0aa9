"""The JSON Schema of flow files, for editors: validation and completion as authors type.

Generated from the same pydantic models that validate flows, with the input shapes authors
write (prompts in all their forms, durations as text) rather than the normalised model.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from flowc.model.flow import FlowHeader, Mailbox, Queue, Variable
from flowc.model.nodes import NODE_KINDS, CallbackBody, MenuOption
from flowc.model.prompts import PART_KEYS, SAY_KINDS
from flowc.model.values import LOCALE_RE

SCHEMA_ID = "https://flowc.dev/schemas/flow.schema.json"

_TIME_RANGES = {
    "anyOf": [
        {"type": "string", "description": "08:00-20:00, comma-separated ranges, or closed"},
        {"type": "array", "items": {"type": "string"}},
    ]
}

_SCHEDULE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["timezone"],
    "properties": {
        "timezone": {"type": "string", "description": "IANA timezone, e.g. Asia/Shanghai"},
        "weekly": {
            "type": "object",
            "description": "day or day range -> hours",
            "additionalProperties": _TIME_RANGES,
        },
        "holidays": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "calendar": {"type": "string", "description": "country code (python-holidays)"},
                "subdiv": {"type": "string"},
                "closed": {"type": "array", "items": {"type": "string"}},
                "yearly": {"type": "array", "items": {"type": "string", "pattern": r"^\d\d-\d\d$"}},
            },
        },
        "special": {"type": "object", "additionalProperties": _TIME_RANGES},
        "emergency": {"type": "string", "description": "name of an emergency override flag"},
    },
}


def _prompt_input() -> dict[str, Any]:
    part = {
        "anyOf": [
            {"type": ["string", "number"], "description": "text to speech; {expr} interpolates"},
            *(
                {
                    "type": "object",
                    "required": [k],
                    "properties": {
                        k: (
                            {
                                "type": "object",
                                "propertyNames": {"enum": list(SAY_KINDS)},
                                "minProperties": 1,
                                "maxProperties": 1,
                            }
                            if k == "say"
                            else {"type": "string"}
                        ),
                        "barge_in": {"type": "boolean"},
                    },
                    "additionalProperties": False,
                }
                for k in PART_KEYS
            ),
        ]
    }
    parts = {"anyOf": [part, {"type": "array", "items": part, "minItems": 1}]}
    locale_map = {
        "type": "object",
        "properties": {"barge_in": {"type": "boolean"}},
        "patternProperties": {LOCALE_RE.pattern: parts},
        "additionalProperties": False,
    }
    return {"anyOf": [parts, locale_map], "description": "a prompt"}


def _swap_refs(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"x-flowc-ref"}:
            return {"$ref": f"#/$defs/{value['x-flowc-ref']}"}
        out = {k: _swap_refs(v) for k, v in value.items()}
        if str(out.get("description", "")).startswith("1500ms"):
            # Model defaults are milliseconds; as written input they would read as seconds.
            out.pop("default", None)
        return out
    if isinstance(value, list):
        return [_swap_refs(v) for v in value]
    return value


def flow_schema() -> dict[str, Any]:
    extra = (Variable, Queue, Mailbox, CallbackBody, MenuOption)  # through x-flowc-ref only
    kinds: list[type[BaseModel]] = [FlowHeader, *NODE_KINDS.values(), *extra]
    models: list[tuple[type[BaseModel], Literal["validation"]]] = [(m, "validation") for m in kinds]
    refs, top = models_json_schema(models, ref_template="#/$defs/{model}")
    defs: dict[str, Any] = top.get("$defs", {})
    defs["PromptInput"] = _prompt_input()
    defs["Schedule"] = _SCHEDULE
    header = defs.pop(FlowHeader.__name__)
    node_refs = [refs[(m, "validation")] for m in NODE_KINDS.values()]
    props = dict(header["properties"])
    props["schedules"] = {"type": "object", "additionalProperties": {"$ref": "#/$defs/Schedule"}}
    props["nodes"] = {
        "type": "object",
        "minProperties": 1,
        "description": "node name -> node; the first node is the default entry",
        "additionalProperties": {"oneOf": node_refs},
    }
    schema: dict[str, Any] = _swap_refs(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": SCHEMA_ID,
            "title": "flowc call flow",
            "type": "object",
            "required": ["flow", "nodes"],
            "additionalProperties": False,
            "properties": props,
            "$defs": dict(sorted(defs.items())),
        }
    )
    return schema


def schema_text() -> str:
    return json.dumps(flow_schema(), ensure_ascii=False, indent=2) + "\n"
