"""The typed IR reads back exactly what the compiler wrote: every golden `bundle.json` flow
loads into `FlowIR` and writes out byte for byte, and reading that again gives an equal IR."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from flowc.ir import BundleIR, FlowIR, IRError
from flowc.ir import nodes as n
from flowc.ir.codec import from_json, mapping, omitted, to_json

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "ir"
FILES = sorted(GOLDEN.glob("*.json"))


def _dumps(value: object) -> str:
    # The compiler's own layout (flowc.compiler.ir.dumps), without importing the compiler.
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def test_there_are_golden_flows() -> None:
    assert len(FILES) >= 5


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_golden_ir_round_trips_byte_for_byte(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    ir = FlowIR.from_json(json.loads(text))
    assert _dumps(ir.to_json()) == text
    assert FlowIR.from_json(json.loads(_dumps(ir.to_json()))) == ir


def test_golden_ir_is_typed() -> None:
    ir = FlowIR.from_json(json.loads((GOLDEN / "examples__bank.json").read_text("utf-8")))
    kinds = {type(node) for node in ir.nodes.values()}
    assert n.MenuNode in kinds and n.SwitchNode in kinds and n.QueueNode in kinds
    menus = [node for node in ir.nodes.values() if isinstance(node, n.MenuNode)]
    assert all(isinstance(m.menu.timeout, int) for m in menus)
    assert ir.agent_key is not None and ir.agent_key.goto in ir.nodes


def test_a_bundle_round_trips() -> None:
    flows = {
        p.stem: json.loads(p.read_text(encoding="utf-8")) for p in FILES if "modules" not in p.stem
    }
    by_name = {f["name"]: f for f in flows.values()}
    raw = {
        "ir": "flowc-bundle",
        "version": 1,
        "flows": by_name,
        "bindings": {"dev": {"environment": "dev", "flows": {}}},
        "hash": "sha256:x",
    }
    bundle = BundleIR.from_json(raw)
    assert _dumps(bundle.to_json()) == _dumps(raw)
    assert all(isinstance(f, FlowIR) for f in bundle.flows.values())


def test_ir_is_frozen() -> None:
    ir = FlowIR.from_json(json.loads((GOLDEN / "examples__bank.json").read_text("utf-8")))
    with pytest.raises(AttributeError):
        ir.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ir.nodes["x"] = ir.nodes[ir.entry or ""]  # type: ignore[index]


def test_missing_fields_take_the_model_defaults() -> None:
    raw = {"ir": "flowc-ir", "version": 1, "name": "f", "nodes": {}}
    raw["nodes"] = {"m": {"kind": "menu", "menu": {"prompt": {"variants": {"": []}}}}}
    menu = FlowIR.from_json(raw).nodes["m"]
    assert isinstance(menu, n.MenuNode)
    assert (menu.menu.timeout, menu.menu.retries, menu.menu.agent_key) == (5000, 3, True)


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        ({"x": {"kind": "teleport"}}, "node `x`: unknown node kind 'teleport'"),
        ({"x": {"kind": "goto"}}, "node `x`: malformed goto node (`goto` is missing)"),
        ({"x": {"kind": "goto", "goto": 3}}, "malformed goto node (`goto`: expected text"),
        ({"x": {"kind": "queue", "queue": "q", "announce": "loud"}}, "'loud' is not one of"),
        ({"x": []}, "node `x` is malformed"),
    ],
)
def test_malformed_ir_is_refused_with_the_node_named(nodes: object, message: str) -> None:
    with pytest.raises(IRError) as info:
        FlowIR.from_json({"ir": "flowc-ir", "version": 1, "name": "f", "nodes": nodes})
    assert message in str(info.value)


def test_other_json_is_not_a_flow() -> None:
    with pytest.raises(IRError, match="not a compiled flow"):
        FlowIR.from_json({"ir": "something"})
    with pytest.raises(IRError, match="version 2"):
        FlowIR.from_json({"ir": "flowc-ir", "version": 2, "name": "f"})


@dataclass(frozen=True, slots=True, kw_only=True)
class _Option:
    goto: str
    rank: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class _Body:
    options: Mapping[str, str | _Option | tuple[_Option, ...]] = mapping()
    renumber: bool = omitted(False)
    first: str | None = omitted(None)


def test_a_field_may_hold_text_or_an_ir_class() -> None:
    """How a field grows from a plain value to a structure (a menu option that is a node name
    today and may carry more tomorrow) without a reader or writer of its own."""
    raw = {"options": {"1": "a", "2": {"goto": "b", "rank": 2}}, "renumber": True}
    body = from_json(_Body, raw)
    assert body.options["1"] == "a" and body.options["2"] == _Option(goto="b", rank=2)
    assert to_json(body) == raw
    with pytest.raises(IRError):
        from_json(_Body, {"options": {"1": 5}})


def test_a_setting_left_out_while_unused_keeps_the_json_as_it_was() -> None:
    """Settings added to the IR later (`renumber`, `first`) are written only when used, and
    a key may hold several alternatives (a list)."""
    plain = {"options": {"1": "a"}}
    body = from_json(_Body, plain)
    assert (body.renumber, body.first) == (False, None)
    assert to_json(body) == plain
    used = {
        "options": {"1": [{"goto": "a", "rank": 1}, {"goto": "b", "rank": 0}]},
        "renumber": True,
        "first": "b",
    }
    body = from_json(_Body, used)
    assert body.options["1"] == (_Option(goto="a", rank=1), _Option(goto="b", rank=0))
    assert to_json(body) == used
