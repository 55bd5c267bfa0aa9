"""`flowc report` on the command line: the three formats, filters, -o, and every way a journal
cannot be read (one error line, exit 2, no traceback)."""

from __future__ import annotations

import json
import socket
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flowc_app import full_app
from runtime.journal.pgserver import PgServer
from tests.report.report_support import T0, S, call, dataset, write_journal

app = full_app()

runner = CliRunner()


def flowc(*args: str) -> Any:
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('report')}/journal.db"
    write_journal(url, dataset())
    return url


def assert_one_error_line(result: Any, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.output


# ---- formats ---------------------------------------------------------------------------------


def test_json(journal: str) -> None:
    result = flowc("report", "--journal", journal, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["journal"] == journal
    assert data["overall"]["calls"] == 16
    assert [f["flow"] for f in data["flows"]] == ["care", "sales"]
    care = data["flows"][0]
    assert care["self_service"] == {"calls": 3, "rate": 0.25}
    assert care["abandoned"] == {"calls": 2, "rate": 0.1667, "in_queue": 1}


def test_text(journal: str) -> None:
    result = flowc("report", "--journal", journal)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (
        "flowc report",
        "Overview (share of ended calls)",
        "Times, p50 / p90",
        "Where callers hang up",
        "flow care",
        "Menus and collects",
        "Look-ups",
        "Survey",
        "Busiest nodes",
        "Flow versions",
        "a1a1a1a1a1a1",  # V1, shortened
    ):
        assert expected in out
    overview = out[out.index("Overview") : out.index("Times, p50")]
    care_row = next(line for line in overview.splitlines() if " care " in line)
    # calls, self-service, reached a person, voicemail, abandoned, failed
    for cell in ("13", "3 (25.0%)", "1 (8.3%)", "2 (16.7%)"):
        assert cell in care_row
    all_row = next(line for line in overview.splitlines() if "all flows" in line)
    assert "16" in all_row and "5 (33.3%)" in all_row
    lookups = out[out.index("Look-ups") :]
    balance = next(line for line in lookups.splitlines() if "balance_lookup" in line)
    # node, visits, errors, timeouts, failure rate
    assert [c.strip() for c in balance.split("│")][1:6] == [
        "balance_lookup",
        "3",
        "1",
        "1",
        "66.7%",
    ]
    assert "+0.0" in out  # the NPS of care's `nps` question
    for entered in ("hello", "I need help", "987654", "****"):
        assert entered not in out


def test_markdown(journal: str) -> None:
    result = flowc("report", "--journal", journal, "--format", "markdown", "--flow", "care")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("# flowc report\n")
    assert "## flow care" in out
    assert "## flow sales" not in out
    assert (
        "| Flow | Calls | Self-service | Reached a person | Voicemail | Abandoned | Failed |" in out
    )
    assert "| care | 13 | 3 (25.0%) | 3 (25.0%) | 1 (8.3%) | 2 (16.7%) | 3 (25.0%) |" in out
    assert "| main_menu | menu | 11 | 3 | 3 | 1 | 9.1% |" in out
    assert "| balance_lookup | 3 | 1 | 1 | 66.7% |" in out
    assert "| nps | 0-10 | 5 | 7.20 | +0.0 | — |" in out
    assert "hello" not in out


def test_brief_and_top(journal: str) -> None:
    result = flowc("report", "--journal", journal, "--brief", "--top", "1", "-f", "markdown")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "**Overview (share of ended calls)**" in out
    assert "## flow" not in out
    leave = out[out.index("**Where callers hang up**") :]
    assert "| care | agent | queue | 1 | 33.3% |" in leave
    assert "main_menu" not in leave
    assert "... and 2 more node(s)" in leave


def test_output_file(journal: str, tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    result = flowc("report", "--journal", journal, "-o", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    text = target.read_text(encoding="utf-8")
    assert "Overview (share of ended calls)" in text and "flow sales" in text
    assert "\x1b[" not in text  # no colour codes in files
    as_json = tmp_path / "report.json"
    assert flowc("report", "--journal", journal, "-f", "json", "-o", str(as_json)).exit_code == 0
    assert json.loads(as_json.read_text(encoding="utf-8"))["overall"]["calls"] == 16


# ---- filters -----------------------------------------------------------------------------------


def test_flow_filter(journal: str) -> None:
    result = flowc("report", "--journal", journal, "-f", "json", "--flow", "sales")
    data = json.loads(result.stdout)
    assert data["filters"]["flows"] == ["sales"]
    assert data["overall"]["calls"] == 3
    assert data["overall"]["outcomes"] == {"completed": 2, "caller_hangup": 1}


def test_since_and_until(journal: str) -> None:
    since = (T0 - timedelta(days=1)).date().isoformat()  # a date alone: its midnight, UTC
    result = flowc("report", "--journal", journal, "-f", "json", "--since", since)
    data = json.loads(result.stdout)
    assert data["filters"]["since"] == f"{since}T00:00:00+00:00"
    assert data["overall"]["calls"] == 15
    # Until 08:06 UTC, written in UTC+8 (exclusive): care's first six calls and two of sales.
    until = "2026-03-02T16:06:00+08:00"
    result = flowc("report", "--journal", journal, "-f", "json", "--since", since, "--until", until)
    data = json.loads(result.stdout)
    assert data["overall"]["calls"] == 8


def test_since_a_span_back_from_now(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/recent.db"
    now = datetime.now(UTC)
    items = [
        item
        for call_id, start in (("old", now - timedelta(days=2)), ("new", now - timedelta(hours=1)))
        for item in call(
            call_id,
            "sales",
            "v",
            start,
            [S("intro", "play", "start", "completed")],
            ("completed", "intro", 30, {}),
        )
    ]
    write_journal(url, items)
    assert (
        json.loads(flowc("report", "--journal", url, "-f", "json").stdout)["overall"]["calls"] == 2
    )
    for span, calls in (("1d", 1), ("3d", 2), ("12h", 1)):
        result = flowc("report", "--journal", url, "-f", "json", "--since", span)
        assert json.loads(result.stdout)["overall"]["calls"] == calls, span


def test_a_flow_with_no_calls(journal: str) -> None:
    result = flowc("report", "--journal", journal, "--flow", "nobody")
    assert result.exit_code == 0, result.output
    assert "No calls for flow(s) nobody." in result.stdout
    result = flowc("report", "--journal", journal, "--flow", "nobody", "--flow", "sales")
    assert result.exit_code == 0
    assert "No calls for flow nobody." in result.stdout
    assert "flow sales" in result.stdout


def test_empty_journal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    write_journal(url, [])
    result = flowc("report", "--journal", url)
    assert result.exit_code == 0, result.output
    assert "No calls in the journal." in result.stdout
    result = flowc("report", "--journal", url, "--since", "7d")
    assert "No calls in the journal in this period." in result.stdout
    data = json.loads(flowc("report", "--journal", url, "-f", "json").stdout)
    assert data["overall"]["calls"] == 0 and data["flows"] == []


# ---- journals that cannot be read ------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    result = flowc("report", "--journal", f"sqlite:///{missing}")
    assert_one_error_line(result, "journal not found", str(missing))
    assert not missing.exists()


def test_bad_urls() -> None:
    result = flowc("report", "--journal", "mysql://me:secret@h/db")
    assert_one_error_line(result, "unknown scheme", "me:***@h")
    assert "secret" not in result.output
    assert_one_error_line(flowc("report", "--journal", "journal.db"), "expected sqlite:///")


def test_not_a_journal(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE things (x)")
    result = flowc("report", "--journal", f"sqlite:///{other}")
    assert_one_error_line(result, "not a flowc journal")
    with sqlite3.connect(other) as db:  # the report created nothing
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master")]
    assert names == ["things"]
    text = tmp_path / "notes.db"
    text.write_text("not a database at all\n" * 100)
    assert_one_error_line(flowc("report", "--journal", f"sqlite:///{text}"), "not a flowc journal")


def test_bad_time_filter(journal: str) -> None:
    assert_one_error_line(
        flowc("report", "--journal", journal, "--since", "yesterday"), "cannot read the time"
    )


def test_unreachable_postgresql() -> None:
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql://report:secret@127.0.0.1:{port}/journal"
    result = flowc("report", "--journal", url)
    assert_one_error_line(result, "cannot connect to the journal", "report:***@127.0.0.1")
    assert "secret" not in result.output


def test_postgresql_database_that_is_not_a_journal(pg_server: PgServer) -> None:
    result = flowc("report", "--journal", pg_server.create_database())
    assert_one_error_line(result, "not a flowc journal")


def test_postgresql_journal(pg_server: PgServer) -> None:
    url = pg_server.create_database()
    write_journal(url, dataset())
    result = flowc("report", "--journal", url, "-f", "json", "--flow", "care")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["overall"]["calls"] == 13
