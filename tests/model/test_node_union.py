"""The model's `Node` is a discriminated union: a written node validates against the one class
its kind key names, and code narrows it with `match` (no `attr-defined` escapes)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import TypeAdapter, ValidationError

from flowc.model import nodes as m

NODE = TypeAdapter(m.Node)
ROOT = Path(__file__).resolve().parents[2]


def test_the_union_has_one_member_per_kind() -> None:
    union = get_args(m.Node)[0]
    members = {get_args(a)[0] for a in get_args(union)}
    assert members == set(m.NODE_KINDS.values()) == set(m.NODE_CLASSES)


@pytest.mark.parametrize(
    ("raw", "cls"),
    [
        ({"menu": {"prompt": "p", "options": {"1": "a"}}}, m.MenuNode),
        ({"play": "hi", "next": "a"}, m.PlayNode),
        ({"set": {"x": "1"}, "next": "a"}, m.SetNode),
        # `set` is also a field of fetch and subflow: the kind is the key the others fit into
        ({"fetch": "crm", "set": {"x": "1"}, "next": "a"}, m.FetchNode),
        ({"subflow": "m.yaml", "with": {"a": "1"}, "set": {"x": "1"}, "next": "a"}, m.SubflowNode),
        ({"return": None}, m.ReturnNode),
        ({"goto": "a"}, m.GotoNode),
    ],
)
def test_a_written_node_validates_as_the_class_its_kind_names(
    raw: dict[str, Any], cls: type
) -> None:
    node = NODE.validate_python(raw)
    assert type(node) is cls
    assert NODE.validate_python(node) is node  # a built node passes as it is


def test_no_kind_or_two_kinds_is_refused() -> None:
    with pytest.raises(ValidationError):
        NODE.validate_python({"next": "a"})
    with pytest.raises(ValidationError):
        NODE.validate_python({"play": "hi", "goto": "a"})


def test_no_attr_defined_escapes_are_left() -> None:
    found = subprocess.run(
        ["grep", "-rn", "type: ignore\\[attr-defined\\]", "flowc", "runtime"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.stdout == ""
