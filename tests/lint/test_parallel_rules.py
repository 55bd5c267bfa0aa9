"""The rules of a big flow split over two processes (flowc.lint.parallel) give exactly the
diagnostics of one process, whatever happens to the child."""

from __future__ import annotations

import json
import os
import pickle
import time
from pathlib import Path

import pytest

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint import parallel
from flowc.lint.config import LintConfig
from flowc.lint.registry import GRAPH_RULES
from flowc.pipeline import Checked, check_text
from flowc.source.document import Span

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="no fork on this system")


def _chain(menus: int) -> str:
    """A chain of menus, with a mistake for each half of the rules: a reference to no node
    and a node nothing reaches (call-graph rules), an unknown variable and an unused one
    (expression rules)."""
    nodes: dict[str, object] = {}
    for i in range(menus):
        nodes[f"m{i}"] = {
            "menu": {
                "prompt": f"Menu {i}, press 1 to 3.",
                "options": {"1": f"m{i + 1}" if i + 1 < menus else "agents", "2": "m0", "3": "bye"},
                "no_input": "Sorry?",
                "on_fail": "agents",
            }
        }
    nodes["m7"]["menu"]["options"]["4"] = "nowhere"  # type: ignore[index]
    nodes["m9"]["menu"]["prompt"] = "Your balance is {mystery}."  # type: ignore[index]
    nodes["island"] = {"play": "Nobody comes here.", "next": "bye"}
    nodes["agents"] = {"queue": "care"}
    nodes["bye"] = {"hangup": None}
    flow = {
        "flow": "chain",
        "locales": ["en-US"],
        "queues": {"care": {"skill": "care"}},
        "variables": {"unused": "string"},
        "nodes": nodes,
    }
    return json.dumps(flow, indent=1)  # JSON is YAML


def _check(text: str, jobs: int) -> Checked:
    return check_text(text, "chain.yaml", LintConfig(jobs=jobs))


@pytest.fixture(scope="module")
def big() -> str:
    return _chain(parallel.MIN_NODES + 10)


def test_two_processes_give_the_diagnostics_of_one(big: str) -> None:
    one = _check(big, 1).diagnostics
    two = _check(big, 2).diagnostics
    codes = {d.code for d in one}
    # both halves have something to say, so a lost half would show
    assert {"FL201", "FL202"} <= codes & GRAPH_RULES
    assert {"FL501", "FL505"} <= codes - GRAPH_RULES
    assert two == one


def test_a_child_that_fails_costs_only_time(big: str, monkeypatch: pytest.MonkeyPatch) -> None:
    one = _check(big, 1).diagnostics

    def refuse(*_args: object, **_kwargs: object) -> bytes:
        raise RuntimeError("the answer cannot be written")

    monkeypatch.setattr(pickle, "dumps", refuse)  # only the child pickles
    assert _check(big, 2).diagnostics == one


def test_a_child_that_cannot_be_forked_costs_only_time(
    big: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = _check(big, 1).diagnostics

    def no_fork() -> int:
        raise OSError("no more processes")

    monkeypatch.setattr(os, "fork", no_fork)
    assert _check(big, 2).diagnostics == one


def test_a_small_flow_stays_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise AssertionError("a small flow was forked")

    monkeypatch.setattr(os, "fork", no_fork)
    checked = _check(_chain(50), 2)
    assert {"FL201", "FL501"} <= {d.code for d in checked.diagnostics}


def _diag(text: str) -> Diagnostic:
    return Diagnostic("FL201", Severity.ERROR, text, Span("x.yaml", 1, 1, 1, 2))


def test_the_picked_rules_run_in_another_process_and_keep_their_order() -> None:
    rules = ["a", "B", "c", "D", "e"]
    out = parallel.run_split(rules, str.isupper, lambda r: [_diag(f"{r} {os.getpid()}")])
    names = [d.message.split()[0] for d in out]
    pids = {d.message.split()[0]: int(d.message.split()[1]) for d in out}
    assert names == rules
    assert {pids["B"], pids["D"]} == {pids["B"]} != {os.getpid()}
    assert pids["a"] == pids["c"] == pids["e"] == os.getpid()


def test_an_error_in_the_parent_stops_the_child(tmp_path: Path) -> None:
    started = tmp_path / "child"

    def run(rule: str) -> list[Diagnostic]:
        if rule == "slow":
            started.write_text(str(os.getpid()))
            time.sleep(60)  # ended by the parent, long before this
        if rule == "bad":
            for _ in range(5000):  # the child has started (bounded: at most 5 s)
                if started.exists() and started.read_text():
                    break
                time.sleep(0.001)
            raise ValueError("a rule failed")
        return []

    with pytest.raises(ValueError, match="a rule failed"):
        parallel.run_split(["slow", "bad"], lambda r: r == "slow", run)
    pid = int(started.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # gone, and reaped
