"""Golden transcripts: every golden/<name>.yaml run gives exactly <name>.expected.json.

Regenerate after an intended change with `python -m tests.interpreter.regen` and review the
diff.
"""

from __future__ import annotations

import json

import pytest

from flowc.interpreter import Call
from flowc.model.nodes import NODE_KINDS
from tests.interpreter.flowkit import GOLDEN_DIR, golden_names, load_golden, run_golden

NAMES = golden_names()


@pytest.mark.parametrize("name", NAMES)
def test_golden(name: str) -> None:
    expected_file = GOLDEN_DIR / f"{name}.expected.json"
    assert expected_file.exists(), f"run `python -m tests.interpreter.regen {name}`"
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    actual = json.loads(json.dumps(run_golden(load_golden(name))))
    for i, (want, got) in enumerate(zip(expected["steps"], actual["steps"], strict=False)):
        assert got == want, f"step {i} ({want['on']})"
    assert len(actual["steps"]) == len(expected["steps"])
    assert actual["outcome"] == expected["outcome"]


def test_every_node_kind_has_a_golden() -> None:
    seen: set[str] = set()
    for name in NAMES:
        for expected in (GOLDEN_DIR / f"{name}.expected.json",):
            data = json.loads(expected.read_text(encoding="utf-8"))
            for step in data["steps"]:
                for command in step["commands"]:
                    if command["type"] == "journal" and command["kind"] == "node":
                        seen.add(command["data"]["kind"])
    assert set(NODE_KINDS) - seen == set()


@pytest.mark.parametrize("name", NAMES)
def test_golden_without_step_trace(name: str) -> None:
    """`Call(steps=False)` (replay) gives the same commands, outcome and rejected inputs; its
    trace is the full trace without node entries, accepted events, assignments, decisions and
    the end."""
    full: list[Call] = []
    lean: list[Call] = []
    want = run_golden(load_golden(name), calls=full)
    assert run_golden(load_golden(name), step_trace=False, calls=lean) == want
    dropped = ("enter", "event", "set", "decision", "end")
    kept = [s for s in full[0].trace if s.kind not in dropped]
    assert lean[0].trace == kept
    assert len(kept) < len(full[0].trace)
    # `rejected_inputs` counts the trace's refusals: a `no_match` failure, an entry that
    # does not fit
    refused = [
        s
        for s in full[0].trace
        if s.kind in ("decision", "note")
        and (s.detail.get("failure") == "no_match" or "does not fit" in s.why)
    ]
    assert full[0].rejected_inputs == lean[0].rejected_inputs == len(refused)


def test_some_goldens_refuse_inputs() -> None:
    """The check above meets refused inputs (menu keys that are no option; collects:
    test_interp_collect)."""
    counts: dict[str, int] = {}
    for name in NAMES:
        calls: list[Call] = []
        run_golden(load_golden(name), step_trace=False, calls=calls)
        counts[name] = calls[0].rejected_inputs
    assert sum(1 for n in counts.values() if n) >= 2, counts
