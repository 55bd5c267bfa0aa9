"""A scripted change to each example flow gives a diff that names exactly that change."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from flowc.diff import FlowDiff, diff_flows, to_markdown
from flowc.model.build import build_flow
from flowc.model.flow import Flow
from flowc.source.document import SourceDoc
from flowc.source.yaml_loader import load_yaml_file

EXAMPLES = sorted(
    p
    for p in [*Path("examples").glob("*.yaml"), *Path("flows").glob("*.yaml")]
    if not p.name.endswith(".test.yaml")
)


def as_flow(data: dict[str, Any], file: str) -> Flow:
    flow, diags = build_flow(SourceDoc(file, "", data))
    assert flow is not None, [d.message for d in diags]
    return flow


def first_menu(data: dict[str, Any], *, free_key: bool = False) -> tuple[str, dict[str, Any]]:
    for name, node in data["nodes"].items():
        menu = node.get("menu") if isinstance(node, dict) else None
        if menu and menu.get("options") and (not free_key or len(menu["options"]) < 5):
            return name, menu
    raise AssertionError("no menu")


def goto_of(option: Any) -> Any:
    """An option's target: the value itself, or the `goto` of an adaptive option."""
    return option["goto"] if isinstance(option, dict) else option


def rename_refs(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {k: rename_refs(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [rename_refs(v, old, new) for v in value]
    return new if value == old else value


def only_changed(d: FlowDiff) -> set[str]:
    assert d.added == [] and d.removed == [] and d.renamed == [], (d.added, d.removed, d.renamed)
    assert d.header == []
    return {c.node for c in d.changed}


@pytest.fixture(params=EXAMPLES, ids=lambda p: p.stem)
def example(request: pytest.FixtureRequest) -> tuple[dict[str, Any], Flow, str]:
    path: Path = request.param
    data = load_yaml_file(path).data
    return data, as_flow(data, str(path)), str(path)


def test_add_an_option(example: tuple[dict[str, Any], Flow, str]) -> None:
    data, old, file = example
    new = copy.deepcopy(data)
    name, menu = first_menu(new, free_key=True)
    key = next(k for k in "987654321" if k not in menu["options"])
    option = next(iter(menu["options"].values()))
    target = goto_of(option)
    menu["options"][key] = option
    d = diff_flows(old, as_flow(new, file))
    assert only_changed(d) == {name}
    (change,) = d.changed
    paths = [a.path for a in change.changes]
    if isinstance(option, dict):  # an adaptive option: its target and its fragment
        assert f"menu.options.{key}.goto" in paths
        assert all(p.startswith(f"menu.options.{key}.") for p in paths)
    else:
        assert paths == [f"menu.options.{key}"]
    assert [(e.source, e.old_target, e.new_target) for e in d.edges] == [(name, None, target)]
    assert f"`{name}`" in to_markdown(d)


def test_reword_a_prompt(example: tuple[dict[str, Any], Flow, str]) -> None:
    data, old, file = example
    new = copy.deepcopy(data)
    name, menu = first_menu(new)
    prompt = menu["prompt"]
    locale = next(k for k in prompt if k != "barge_in") if isinstance(prompt, dict) else None
    if locale is not None:
        prompt[locale] = "A reworded menu prompt."
    else:
        menu["prompt"] = "A reworded menu prompt."
    d = diff_flows(old, as_flow(new, file))
    assert only_changed(d) == {name}
    assert d.edges == []
    paths = [a.path for a in d.changed[0].changes]
    assert len(paths) == 1 and paths[0].startswith("menu.prompt")
    assert "A reworded menu prompt." in to_markdown(d)


def test_move_a_branch(example: tuple[dict[str, Any], Flow, str]) -> None:
    data, old, file = example
    new = copy.deepcopy(data)
    name, menu = first_menu(new)
    key, option = next(iter(menu["options"].items()))
    was = goto_of(option)
    targets = [goto_of(o) for o in menu["options"].values()]
    now = next(t for t in targets if t != was) if len(set(targets)) > 1 else name
    menu["options"][key] = {**option, "goto": now} if isinstance(option, dict) else now
    d = diff_flows(old, as_flow(new, file))
    assert only_changed(d) == {name}
    assert [(e.source, e.old_target, e.new_target) for e in d.edges] == [(name, was, now)]
    # Whatever moved out of reach is called out, and nothing else.
    assert all(r.kind in ("unreachable", "agent_lost", "dead_end") for r in d.reach)


def test_rename_a_node(example: tuple[dict[str, Any], Flow, str]) -> None:
    data, old, file = example
    entry = old.entry
    victim = next(n for n in data["nodes"] if n != entry and n != data.get("entry"))
    new = copy.deepcopy(data)
    new["nodes"] = {(f"{victim}_renamed" if k == victim else k): v for k, v in new["nodes"].items()}
    for key in ("nodes", "agent_key"):
        if key in new:
            new[key] = rename_refs(new[key], victim, f"{victim}_renamed")
    d = diff_flows(old, as_flow(new, file))
    assert d.renamed == [(victim, f"{victim}_renamed")]
    assert d.added == [] and d.removed == [] and d.reach == []
    assert f"{victim}_renamed" in to_markdown(d)
