"""`flowc report` on journals that hold what the runtime did not plan for: calls the runtime
itself cut off (shutdown, lost), control sequences in stored texts, broken JSON details."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from flowc_app import full_app
from runtime.report import Filters, build_report, render_json, render_markdown, render_text
from tests.report.report_support import T0, V1, S, call, write_journal

app = full_app()


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


ESC = "\x1b]0;owned\x07\x1b[2J\x9b31m\u202egnp.exe"


def _hostile_names() -> list[Any]:
    steps = [
        S(f"menu{ESC}", "menu", "start", "caller_hangup", ms=1000, input="1"),
    ]
    return call("h0", f"care{ESC}", V1, T0, steps, ("caller_hangup", f"menu{ESC}", 5, {}))


def test_control_sequences_from_the_journal_are_never_printed(journal_url: str) -> None:
    write_journal(journal_url, _hostile_names())
    report = build_report(journal_url, Filters())
    for text in (render_text(report), render_markdown(report)):
        assert not any(ch in text for ch in "\x1b\x07\x9b\u202e"), repr(text)
        assert "care\\x1b]0;owned\\x07" in text
        assert "\\u202egnp.exe" in text
    raw = render_json(report)
    assert not any(ch in raw for ch in "\x1b\x07\x9b\u202e")
    # JSON keeps the value: its escapes decode to the stored text
    assert json.loads(raw)["flows"][0]["flow"] == f"care{ESC}"


def test_a_row_with_broken_json_does_not_fail_the_report(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/j.db"
    menu = S("main_menu", "menu", "start", "hangup", ms=1000, input="1")
    items: list[Any] = []
    for i in range(3):
        items += call(f"c{i}", "care", V1, T0, [menu], ("hangup", "main_menu", 5, {}))
    write_journal(url, items)
    with sqlite3.connect(tmp_path / "j.db") as db:  # what another program could leave there
        db.execute("UPDATE call_ends SET detail = '{not json' WHERE call_id = 'c1'")
        db.execute("UPDATE calls SET started_at = 'garbage' WHERE call_id = 'c2'")
    report = build_report(url, Filters())
    data = json.loads(render_json(report))
    assert data["unreadable_details"] == 1
    assert data["skipped_rows"] >= 1
    assert data["overall"]["outcomes"] == {"hangup": 3}
    for text in (render_text(report), render_markdown(report)):
        assert "Unreadable journal data: 1 call end detail(s) not valid JSON" in text
    result = CliRunner().invoke(app, ["report", "--journal", url, "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert "Unreadable journal data" in result.stdout


def test_drained_calls_of_older_journals_are_read_as_shutdown(tmp_path: Path) -> None:
    """Journals written before the `shutdown` outcome hold caller_hangup with runtime=drain."""
    url = f"sqlite:///{tmp_path}/old.db"
    write_journal(url, _drained_and_lost())
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.execute("UPDATE call_ends SET outcome = 'caller_hangup' WHERE call_id LIKE 'd%'")
    overall = report_json(url)["overall"]
    assert overall["outcomes"] == {"caller_hangup": 1, "shutdown": 2, "lost": 1}
    assert overall["abandoned"]["calls"] == 1 and overall["interrupted"]["calls"] == 3
