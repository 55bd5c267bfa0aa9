"""FL221 time-to-agent and FL222 no-path-to-agent beyond their fixtures: the budget setting,
where FL221 points, and subflow modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowc.diagnostics import Diagnostic
from flowc.lint.config import ConfigError, LintConfig, _from_table
from flowc.pipeline import check_doc, check_file, load_text


def x(seconds: float) -> str:
    return "x" * round(seconds * 14)


# hello 20 s, then a menu of 10 s heard three times = 50 s to the agent in the worst case.
FLOW = f"""\
flow: slow
locales: [en-US]
queues: {{q: {{}}}}
nodes:
  hello: {{play: "{x(20)}", next: menu}}
  menu:
    menu: {{prompt: "{x(10)}", options: {{0: agent}}, retries: 3, on_fail: agent}}
  agent: {{queue: q}}
"""


def lint(text: str, config: LintConfig, code: str) -> list[Diagnostic]:
    checked = check_doc(load_text(text, "slow.yaml"), config)
    return [d for d in checked.diagnostics if d.code == code]


def test_budget_is_configurable() -> None:
    assert lint(FLOW, LintConfig(), "FL221") == []  # 50 s is within the default 60 s
    (d,) = lint(FLOW, LintConfig(max_seconds_to_agent=40), "FL221")
    assert (d.span.line, d.span.col) == (6, 3)  # `menu`: where the route runs over 40 s
    assert "50 s" in d.message and "40 s" in d.message
    assert "`hello` 20 s" in d.message and "`menu` 30 s (3 tries)" in d.message
    (d,) = lint(FLOW, LintConfig(max_seconds_to_agent=15), "FL221")
    assert d.span.line == 5  # already over at `hello`


def test_budget_setting_in_pyproject() -> None:
    assert _from_table({"max_seconds_to_agent": 90}, "pyproject.toml").max_seconds_to_agent == 90
    assert LintConfig().max_seconds_to_agent == 60
    with pytest.raises(ConfigError):
        _from_table({"max_seconds_to_agent": 0}, "pyproject.toml")


def test_modules_need_no_person() -> None:
    checked = check_file(Path("examples/modules/verify_pin.yaml"))
    assert not [d for d in checked.diagnostics if d.code in ("FL221", "FL222")]


def test_no_path_to_agent_names_an_orphaned_queue() -> None:
    text = FLOW.replace("options: {0: agent}, retries: 3, on_fail: agent", "options: {1: bye}")
    text = text.replace("  agent: {queue: q}", "  agent: {queue: q}\n  bye: {hangup: null}")
    (d,) = lint(text, LintConfig(), "FL222")
    assert d.span.line == 5 and "`agent` is a queue node but nothing leads to it" in (d.hint or "")
