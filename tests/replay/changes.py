"""Scripted changes to the examples, and which recorded calls each one changes according to
the simulator (an oracle independent of the replay engine): a scenario's call changes when
its simulated path, outcome or prompts heard differ between the two versions of its flow."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flowc.flowtest import load_scenario_file
from flowc.simulate import Simulator, compile_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@dataclass(frozen=True)
class Change:
    name: str
    file: str  # the flow file edited
    edits: tuple[tuple[str, str], ...]  # (old text, new text), each found exactly once


CHANGES = [
    # A key callers pressed in vain (a no-match) becomes an option.
    Change(
        "new option",
        "telecom_care.yaml",
        (
            (
                "options: {'1': outage_check, '2': sales_queue, '9': main_menu}",
                "options: {'1': outage_check, '2': sales_queue, '5': outage_check, '9': main_menu}",
            ),
        ),
    ),
    # The goodbye says something else: the same paths, other words heard.
    Change(
        "reworded prompt",
        "ecommerce_aftersales.yaml",
        (("感谢您的来电，祝您购物愉快，再见。", "感谢您的来电，再见。"),),
    ),
    # "Anything else? 2 = no" now goes back to the main menu instead of saying goodbye.
    Change(
        "moved branch",
        "bank.yaml",
        (
            (
                "options: {'1': account_menu, '2': goodbye, '3': fraud_transfer}",
                "options: {'1': account_menu, '2': main_menu, '3': fraud_transfer}",
            ),
        ),
    ),
    # The wealth queue is gone: its callers go to the general agents' hours check.
    Change(
        "removed queue",
        "bank.yaml",
        (
            (
                "or aum / 10000 >= 600', goto: wealth_queue}",
                "or aum / 10000 >= 600', goto: agent_hours}",
            ),
            ("    on_fail: wealth_queue\n", "    on_fail: agent_hours\n"),
            (
                "  wealth_queue:\n    queue: wealth\n    priority: '{agent_priority}'\n"
                "    announce: wait_time\n    max_wait: 5m\n    on_timeout: agent_hours\n"
                "    after: survey\n",
                "",
            ),
        ),
    ),
]


def apply(change: Change, dest: Path) -> Path:
    """A copy of the examples at `dest` with `change` made; returns `dest`."""
    shutil.copytree(EXAMPLES, dest)
    path = dest / change.file
    text = path.read_text(encoding="utf-8")
    for old, new in change.edits:
        assert text.count(old) == 1, f"{change.name}: {old!r} is not in {change.file} once"
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    # The DSL twin of the flow (the same flow in the other syntax) would now differ from it.
    path.with_suffix(".flow").unlink(missing_ok=True)
    return dest


def _signature(examples: Path, test_file: str, scenario_name: str) -> tuple[object, ...]:
    sf = load_scenario_file(examples / test_file, test_file)
    sc = next(s for s in sf.scenarios if s.name == scenario_name)
    result = Simulator(_compiled(sf.flow), sc, asr=False).run()
    outcome = (result.outcome.get("kind"), result.outcome.get("node"))
    return (tuple(result.path), outcome, tuple(result.heard))


_flows: dict[Path, object] = {}


def _compiled(path: Path) -> object:
    if path not in _flows:
        _flows[path] = compile_file(path)
    return _flows[path]


def changed_by_simulation(
    examples: Path, scenario_ids: list[str], split: Callable[[str], tuple[str, str]]
) -> set[str]:
    """The scenario ids whose simulated call differs between `EXAMPLES` and `examples`."""
    out: set[str] = set()
    for sid in scenario_ids:
        stem, name = split(sid)
        test_file = f"{stem}.test.yaml"
        if _signature(EXAMPLES, test_file, name) != _signature(examples, test_file, name):
            out.add(sid)
    return out
