"""Test kit: YAML flow text -> IR (through the real front half), and scripted runs.

Used by the interpreter tests and by `python -m tests.interpreter.regen`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import yaml

from flowc.compiler.ir import compile_flow
from flowc.diagnostics import Severity
from flowc.interpreter import Call, CallInfo, Program, event_from_json
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.model.build import build_flow
from flowc.model.values import parse_duration_ms
from flowc.pipeline import check_doc
from flowc.source.yaml_loader import load_yaml_text

GOLDEN_DIR = Path(__file__).parent / "golden"
DEFAULT_START = "2026-03-02T10:00:00+08:00"  # a Monday, 10:00 in Shanghai
T = TypeVar("T")


class FlowInvalid(AssertionError):
    pass


def _check(
    text: str, file: str, modules: Mapping[str, Any] | None = None, *, lint: bool = True
) -> Any:
    """The validated flow; with `lint=False` only shape errors count (to test what the
    interpreter does with flows the linter would refuse)."""
    doc = load_yaml_text(text, file)
    if lint:
        checked = check_doc(doc, modules=dict(modules or {}))
        flow, diagnostics = checked.flow, checked.diagnostics
    else:
        flow, diagnostics = build_flow(doc)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors or flow is None:
        raise FlowInvalid(f"{file}: " + "; ".join(f"{d.code} {d.message}" for d in errors))
    return flow


def _text(flow: Any) -> str:
    if isinstance(flow, str):
        return flow
    return yaml.safe_dump(flow, allow_unicode=True, sort_keys=False)


def compile_yaml(
    flow: str | Mapping[str, Any],
    modules: Mapping[str, str | Mapping[str, Any]] | None = None,
    *,
    lint: bool = True,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(main IR, {subflow path: module IR}), in their JSON form (as in bundle.json), for a
    flow given as YAML text or as data."""
    module_flows: dict[str, Any] = {}
    module_irs: dict[str, dict[str, Any]] = {}
    for path, source in (modules or {}).items():
        mflow = _check(_text(source), path, lint=lint)
        module_flows[path] = mflow
        module_irs[path] = compile_flow(mflow).to_json()
    main = _check(_text(flow), "flow.yaml", module_flows, lint=lint)
    ir = compile_flow(main, {p: f.name for p, f in module_flows.items()}).to_json()
    return ir, module_irs


def program(
    flow: str | Mapping[str, Any], modules: Mapping[str, Any] | None = None, *, lint: bool = True
) -> Program:
    ir, module_irs = compile_yaml(flow, modules, lint=lint)
    return Program.from_ir(ir, module_irs)


def at(text: str = DEFAULT_START, seconds: float = 0) -> datetime:
    return datetime.fromisoformat(text) + timedelta(seconds=seconds)


class Driver:
    """A call plus a clock that advances one second per event unless told otherwise."""

    def __init__(
        self,
        prog: Program,
        info: CallInfo | None = None,
        *,
        start: str = DEFAULT_START,
        flags: Mapping[str, bool] | None = None,
    ) -> None:
        self.call = Call(prog, info or CallInfo("+8613800000000", "Li Lei", "5000"), flags=flags)
        self.now = datetime.fromisoformat(start)
        self.log: list[tuple[Any, list[cmd.Command]]] = []

    def start(self) -> list[cmd.Command]:
        out = self.call.start(self.now)
        self.log.append(("start", out))
        return out

    def send(
        self, event_type: type[ev.Event], after: float = 1.0, **fields: Any
    ) -> list[cmd.Command]:
        self.now += timedelta(seconds=after)
        event = event_type(at=self.now, **fields)
        out = self.call.handle(event)
        self.log.append((event, out))
        return out

    def answer(self) -> list[cmd.Command]:
        self.start()
        return self.send(ev.Answered)


def kinds(commands: Iterable[cmd.Command], *, journal: bool = False) -> list[str]:
    """Command types, without the journal/set_variable noise unless asked."""
    skip = () if journal else ("journal", "set_variable")
    return [c.type for c in commands if c.type not in skip]


def only(commands: Iterable[cmd.Command], kind: type[T]) -> T:
    found = [c for c in commands if isinstance(c, kind)]
    assert len(found) == 1, f"expected one {kind.__name__} in {commands}"
    return found[0]


# ---------------------------------------------------------------------- golden files


@dataclass
class Golden:
    name: str
    flow: Any
    modules: dict[str, Any] = field(default_factory=dict)
    call: dict[str, Any] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)
    start: str = DEFAULT_START
    events: list[dict[str, Any]] = field(default_factory=list)


def golden_names() -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in GOLDEN_DIR.glob("*.yaml"))


def load_golden(name: str) -> Golden:
    data = yaml.safe_load((GOLDEN_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    start = data.get("start", DEFAULT_START)
    return Golden(
        name,
        data["flow"],
        dict(data.get("modules") or {}),
        dict(data.get("call") or {}),
        dict(data.get("flags") or {}),
        start if isinstance(start, str) else start.isoformat(),
        list(data.get("events") or []),
    )


def run_golden(
    g: Golden, *, step_trace: bool = True, calls: list[Call] | None = None
) -> dict[str, Any]:
    """The transcript of a golden case: commands per input, and the outcome. `step_trace`:
    `Call(steps=...)`; `calls`: gets the call, for its trace."""
    prog = program(g.flow, g.modules)
    info = CallInfo(
        str(g.call.get("caller_number", "+8613800000000")),
        str(g.call.get("caller_name", "")),
        str(g.call.get("did", "5000")),
        g.call.get("locale"),
        str(g.call.get("call_id", "call-1")),
    )
    call = Call(prog, info, flags=g.flags, steps=step_trace)
    if calls is not None:
        calls.append(call)
    now = datetime.fromisoformat(g.start)
    steps: list[dict[str, Any]] = [
        {"on": "start", "commands": cmd.commands_to_json(call.start(now))}
    ]
    for raw in g.events:
        spec = dict(raw)
        after = spec.pop("after", 1)
        if "at" in spec:
            now = datetime.fromisoformat(str(spec.pop("at")))
        else:
            now = now + timedelta(milliseconds=parse_duration_ms(after))
        event = event_from_json({**spec, "at": now.isoformat()})
        on = event.to_json()
        steps.append({"on": on, "commands": cmd.commands_to_json(call.handle(event))})
    return {
        "steps": steps,
        "outcome": call.outcome.to_json() if call.outcome is not None else None,
    }


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"
