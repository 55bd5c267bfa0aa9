"""`flowc report` on journals that hold what the runtime did not plan for: calls the runtime
itself cut off (shutdown, lost), control sequences in stored texts, broken JSON details."""

from __future__ import annotations

import json
from typing import Any

from report_support import T0, V1, S, call, write_journal

from runtime.report import Filters, build_report, render_json, render_text


def report_json(url: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render_json(build_report(url, Filters())))
    return data


def _drained_and_lost() -> list[Any]:
    menu = S("main_menu", "menu", "start", "caller_hangup", ms=1000, input="1")
    items: list[Any] = []
    # Two calls hung up by a drain: the interpreter saw a hang-up (caller_hangup), the
    # detail says the runtime's drain did it.
    for i in range(2):
        items += call(f"d{i}", "care", V1, T0, [menu], ("caller_hangup", "main_menu", 5, {}))
    items = [
        type(x)(x.call_id, x.ended_at, x.outcome, x.node, {**x.detail, "runtime": "drain"})
        if type(x).__name__ == "CallEnd"
        else x
        for x in items
    ]
    items += call("l0", "care", V1, T0, [menu], ("lost", "main_menu", 5, {}))
    items += call("a0", "care", V1, T0, [menu], ("caller_hangup", "main_menu", 5, {}))
    return items


def test_calls_cut_off_by_the_runtime_are_not_abandoned(journal_url: str) -> None:
    write_journal(journal_url, _drained_and_lost())
    overall = report_json(journal_url)["overall"]
    assert overall["outcomes"] == {"caller_hangup": 1, "shutdown": 2, "lost": 1}
    assert overall["abandoned"] == {"calls": 1, "rate": 0.25, "in_queue": 0}
    assert overall["interrupted"] == {"calls": 3, "rate": 0.75}
    assert overall["other"] == {"calls": 0, "rate": 0.0}
    text = render_text(build_report(journal_url, Filters()))
    assert "Cut off by the runtime (shutdown, lost)" in text
