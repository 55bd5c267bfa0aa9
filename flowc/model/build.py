"""SourceDoc -> validated Flow, with every schema error mapped to the file, line and column.

Shape checks only (types, required and unknown fields, one kind per node); meaning is checked
afterwards by the lint rules, which need the whole validated flow. Each node and the header are
validated separately so that one mistake does not hide the others.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from flowc.codes import code
from flowc.diagnostics import Diagnostic, Severity, did_you_mean
from flowc.hours import parse_schedule
from flowc.model.flow import HEADER_KEYS, Flow, FlowHeader
from flowc.model.nodes import NODE_CLASSES, NODE_KINDS, Node, kind_keys
from flowc.model.values import IDENT_RE
from flowc.source.document import Path, SourceDoc

# Permanent codes of the schema stage.
UNKNOWN_FIELD = code("FL101")
MISSING_FIELD = code("FL102")
BAD_VALUE = code("FL103")
NODE_KIND = code("FL104")


def _model_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names (as written) of the model that `loc` points into, for did-you-mean."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        fields = getattr(current, "model_fields", None)
        if not fields:
            return []
        for name, info in fields.items():
            if part in (name, info.alias):
                current = _inner_model(info.annotation)
                break
        # else: a key of a mapping of models (a menu option's key): the model stays
    if current is None or not hasattr(current, "model_fields"):
        return []
    return [info.alias or name for name, info in current.model_fields.items()]


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _errors(
    exc: ValidationError, doc: SourceDoc, base: Path, model: type[BaseModel]
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    errors = exc.errors()
    for err in errors:
        loc = tuple(str(p) if not isinstance(p, int) else p for p in err["loc"])
        # pydantic appends validator names such as `function-before[...]` to some locations.
        loc = tuple(p for p in loc if not (isinstance(p, str) and "[" in p))
        ctx = err.get("ctx") or {}
        path: Path = base + loc + tuple(ctx.get("subpath", ()))
        kind = err["type"]
        if kind == "extra_forbidden":
            field = str(loc[-1])
            known = _model_fields(model, loc[:-1])
            out.append(
                Diagnostic(
                    UNKNOWN_FIELD,
                    Severity.ERROR,
                    f"unknown field `{field}`",
                    doc.span_of(path, key=True),
                    did_you_mean(field, known)
                    or (f"allowed here: {', '.join(sorted(known))}" if known else None),
                )
            )
        elif kind == "missing":
            field = str(loc[-1])
            out.append(
                Diagnostic(
                    MISSING_FIELD,
                    Severity.ERROR,
                    f"missing required field `{field}`",
                    doc.span_of(path[:-1], key=True),
                    f"add `{field}:` here",
                )
            )
        else:
            if kind == "too_short" and any(
                len(e["loc"]) > len(err["loc"]) and tuple(e["loc"])[: len(err["loc"])] == err["loc"]
                for e in errors
            ):
                continue  # the list is short only because an item inside it was refused
            shown = ".".join(str(p) for p in loc) or "value"
            msg, hint = _plain(err)
            out.append(
                Diagnostic(BAD_VALUE, Severity.ERROR, f"{shown}: {msg}", doc.span_of(path), hint)
            )
    return out


def _is_block(raw: object, key: object) -> bool:
    return isinstance(raw, dict) and isinstance(raw.get(key), dict | list)


def _shown_input(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\n", " ")
    return text if len(text) <= 40 else text[:39] + "…"


def _plain(err: Any) -> tuple[str, str | None]:
    """pydantic's error as a flow author reads it: what was written, what is wanted."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = f"`{_shown_input(err.get('input'))}`"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{got} is not a whole number", "write digits, e.g. `3`"
    if kind in ("float_parsing", "float_type"):
        return f"{got} is not a number", "write digits, e.g. `2.5`"
    if kind in ("bool_parsing", "bool_type"):
        return f"{got} is not true or false", "write `true` or `false`"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "`")
        choices = re.findall(r"`([^`]*)`", expected)
        hint = did_you_mean(str(err.get("input")), choices) if choices else None
        return f"{got} is not one of {expected}", hint
    if kind in ("greater_than_equal", "greater_than"):
        return f"{got} is too small (at least {ctx.get('ge', ctx.get('gt'))})", None
    if kind in ("less_than_equal", "less_than"):
        return f"{got} is too large (at most {ctx.get('le', ctx.get('lt'))})", None
    if kind in ("string_type",):
        return f"{got} is not text", "put the text in quotes"
    if kind == "model_type":
        return f"{got} is not a mapping of fields", "write it as `{field: value, ...}`"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return msg, None


def _node(node_id: str, raw: Any, doc: SourceDoc) -> tuple[Node | None, list[Diagnostic]]:
    path: Path = ("nodes", node_id)
    if not IDENT_RE.match(node_id):
        return None, [
            Diagnostic(
                BAD_VALUE,
                Severity.ERROR,
                f"`{node_id}` is not a valid node name",
                doc.span_of(path, key=True),
                "use letters, digits and _, not starting with a digit",
            )
        ]
    if not isinstance(raw, dict):
        return None, [
            Diagnostic(
                NODE_KIND,
                Severity.ERROR,
                f"node `{node_id}` must be a mapping",
                doc.span_of(path),
                f"write it as `{node_id}: {{goto: other_node}}`",
            )
        ]
    kinds = kind_keys(raw)
    if len(kinds) != 1:
        if kinds:
            return None, [
                Diagnostic(
                    NODE_KIND,
                    Severity.ERROR,
                    f"node `{node_id}` has {len(kinds)} kinds: {', '.join(kinds)}",
                    doc.span_of((*path, kinds[1]), key=True),
                    "split it into one node per kind",
                )
            ]
        hint = None
        for key in raw:
            hint = did_you_mean(key, NODE_KINDS)
            if hint:
                return None, [
                    Diagnostic(
                        NODE_KIND,
                        Severity.ERROR,
                        f"node `{node_id}`: unknown node kind `{key}`",
                        doc.span_of((*path, key), key=True),
                        hint,
                    )
                ]
        return None, [
            Diagnostic(
                NODE_KIND,
                Severity.ERROR,
                f"node `{node_id}` has no kind",
                doc.span_of(path, key=True) if path in doc.key_spans else doc.span_of(path),
                f"start it with one of: {', '.join(NODE_KINDS)}",
            )
        ]
    model = NODE_KINDS[kinds[0]]
    try:
        node = model.model_validate(raw)
        assert isinstance(node, NODE_CLASSES)  # every kind's class is one of them
        return node, []
    except ValidationError as exc:
        return None, _errors(exc, doc, path, model)


def build_flow(doc: SourceDoc) -> tuple[Flow | None, list[Diagnostic]]:
    """Validate the shape of a loaded document. The flow is None when any error was found."""
    data = doc.data
    diags: list[Diagnostic] = []
    if not isinstance(data, dict):
        return None, [
            Diagnostic(
                BAD_VALUE, Severity.ERROR, "a flow file must be a mapping", doc.span_of(()), None
            )
        ]
    for key in data:
        if key not in HEADER_KEYS:
            diags.append(
                Diagnostic(
                    UNKNOWN_FIELD,
                    Severity.ERROR,
                    f"unknown field `{key}`",
                    doc.span_of((key,), key=True),
                    did_you_mean(key, HEADER_KEYS),
                )
            )
    header_raw = {
        k: v for k, v in data.items() if k in HEADER_KEYS and k not in ("nodes", "schedules")
    }
    header: FlowHeader | None = None
    try:
        header = FlowHeader.model_validate(header_raw)
    except ValidationError as exc:
        diags += _errors(exc, doc, (), FlowHeader)

    schedules: dict[str, Any] = {}
    raw_schedules = data.get("schedules") or {}
    if not isinstance(raw_schedules, dict):
        diags.append(
            Diagnostic(
                BAD_VALUE,
                Severity.ERROR,
                "`schedules` must be a mapping",
                doc.span_of(("schedules",)),
                None,
            )
        )
        raw_schedules = {}
    for name, raw in raw_schedules.items():
        if not isinstance(raw, dict):
            diags.append(
                Diagnostic(
                    BAD_VALUE,
                    Severity.ERROR,
                    f"schedule `{name}` must be a mapping",
                    doc.span_of(("schedules", name)),
                    None,
                )
            )
            continue
        schedule, issues = parse_schedule(name, raw)
        for issue in issues:
            sev = Severity.ERROR if issue.severity == "error" else Severity.WARNING
            p: Path = ("schedules", name, *issue.path)
            diags.append(
                Diagnostic(
                    issue.code,
                    sev,
                    issue.message,
                    # a top-level entry that is a scalar (`timezone: Mars/Olympus`): the
                    # caret goes under the value that is wrong; a block: under its key
                    doc.span_of(p, key=len(issue.path) == 1 and _is_block(raw, issue.path[0])),
                    issue.hint,
                )
            )
        if schedule is not None:
            schedules[name] = schedule

    nodes: dict[str, Node] = {}
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, dict) or not raw_nodes:
        diags.append(
            Diagnostic(
                MISSING_FIELD if raw_nodes is None else BAD_VALUE,
                Severity.ERROR,
                "a flow needs `nodes`: a mapping of node names to nodes",
                doc.span_of(("nodes",), key=True),
                "add `nodes:` with at least one node",
            )
        )
        raw_nodes = {}
    for node_id, raw in raw_nodes.items():
        node, errs = _node(node_id, raw, doc)
        diags += errs
        if node is not None:
            nodes[node_id] = node

    if header is None or any(d.severity is Severity.ERROR for d in diags):
        return None, diags
    return Flow(header=header, schedules=schedules, nodes=nodes, file=doc.file), diags
