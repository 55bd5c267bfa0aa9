"""`runtime.report`: exact figures of a known journal, on SQLite and on PostgreSQL, and the
same JSON from both; the pieces (visits, percentiles, times) on their own."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from runtime.journal.pgserver import PgServer
from runtime.report import Filters, ReportError, build_report, parse_when, render_json
from runtime.report.compute import classify_visit, percentile
from runtime.report.queries import redact
from tests.report.report_support import T0, V1, V2, VS, dataset, write_journal


def report_json(url: str, **filters: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render_json(build_report(url, Filters(**filters))))
    return data


@pytest.fixture
def known(journal_url: str) -> str:
    write_journal(journal_url, dataset())
    return journal_url


def flow_of(data: dict[str, Any], name: str) -> dict[str, Any]:
    flows: list[dict[str, Any]] = data["flows"]
    (found,) = [f for f in flows if f["flow"] == name]
    return found


# ---- the known journal, on both databases ------------------------------------------------------


def test_overall_figures(known: str) -> None:
    overall = report_json(known)["overall"]
    assert overall["calls"] == 16
    assert overall["ended"] == 15
    assert overall["not_ended"] == 1
    assert list(overall["outcomes"].items()) == [
        ("completed", 4),
        ("hangup", 3),
        ("queued", 2),
        ("transferred", 1),
        ("voicemail", 1),
        ("caller_hangup", 3),
        ("error", 1),
    ]
    assert overall["self_service"] == {"calls": 5, "rate": 0.3333}
    assert overall["reached_person"] == {"calls": 3, "rate": 0.2}
    assert overall["voicemail"] == {"calls": 1, "rate": 0.0667}
    assert overall["abandoned"] == {"calls": 3, "rate": 0.2, "in_queue": 1}
    assert overall["failed"] == {"calls": 3, "rate": 0.2}
    assert overall["other"] == {"calls": 0, "rate": 0.0}
    assert overall["duration"] == {"calls": 15, "p50_s": 30.0, "p90_s": 120.0}
    assert overall["callbacks"] == 3
    assert overall["leave_points"] == [
        {"flow": "care", "node": "agent", "kind": "queue", "calls": 1, "share": 0.3333},
        {"flow": "care", "node": "main_menu", "kind": "menu", "calls": 1, "share": 0.3333},
        {"flow": "sales", "node": "intro", "kind": "play", "calls": 1, "share": 0.3333},
    ]


def test_flow_outcomes_rates_and_times(known: str) -> None:
    data = report_json(known)
    assert [f["flow"] for f in data["flows"]] == ["care", "sales"]
    care = flow_of(data, "care")
    assert (care["calls"], care["ended"], care["not_ended"]) == (13, 12, 1)
    assert care["outcomes"] == {
        "completed": 2,
        "hangup": 3,
        "queued": 2,
        "transferred": 1,
        "voicemail": 1,
        "caller_hangup": 2,
        "error": 1,
    }
    # c7's hangup node is self-service; c6's and c9's hang-ups after a failure are not.
    assert care["self_service"] == {"calls": 3, "rate": 0.25}
    assert care["reached_person"] == {"calls": 3, "rate": 0.25}
    assert care["voicemail"] == {"calls": 1, "rate": 0.0833}
    assert care["abandoned"] == {"calls": 2, "rate": 0.1667, "in_queue": 1}
    assert care["failed"] == {"calls": 3, "rate": 0.25}
    # c2 (queue at 20 s, agent 40 s later), c3 (transfer at 10 s, through 5 s later), c13
    # (queue at 30 s, agent 30 s later).
    assert care["time_to_handoff"] == {"calls": 3, "p50_s": 20.0, "p90_s": 30.0}
    assert care["time_to_person"] == {"calls": 3, "p50_s": 60.0, "p90_s": 60.0}
    assert care["duration"] == {"calls": 12, "p50_s": 45.25, "p90_s": 120.0}
    assert care["callbacks"] == 2
    assert care["leave_points"] == [
        {"flow": "care", "node": "agent", "kind": "queue", "calls": 1, "share": 0.5},
        {"flow": "care", "node": "main_menu", "kind": "menu", "calls": 1, "share": 0.5},
    ]
    sales = flow_of(data, "sales")
    assert sales["outcomes"] == {"completed": 2, "caller_hangup": 1}
    assert sales["time_to_person"] == {"calls": 0, "p50_s": None, "p90_s": None}
    assert sales["duration"] == {"calls": 3, "p50_s": 10.0, "p90_s": 30.0}


def test_menu_collect_and_lookup_failures(known: str) -> None:
    care = flow_of(report_json(known), "care")
    assert care["inputs"] == [
        {
            "node": "main_menu",
            "kind": "menu",
            "visits": 11,
            "masked": 0,
            "no_input": 3,  # c2, c4, c6
            "no_match": 3,  # c6's two wrong keys, c8's speech
            "gave_up": 1,  # c6
            "gave_up_rate": 0.0909,
        },
        {
            "node": "ask_pin",
            "kind": "collect",
            "visits": 1,
            "masked": 1,
            "no_input": 0,
            "no_match": 0,
            "gave_up": 1,
            "gave_up_rate": 1.0,
        },
        {
            "node": "ask_account",
            "kind": "collect",
            "visits": 1,
            "masked": 0,
            "no_input": 1,
            "no_match": 1,
            "gave_up": 0,
            "gave_up_rate": 0.0,
        },
    ]
    assert care["lookups"] == [
        {
            "node": "balance_lookup",
            "visits": 3,
            "errors": 1,
            "timeouts": 1,
            "failure_rate": 0.6667,
        },
        {"node": "account_lookup", "visits": 1, "errors": 0, "timeouts": 0, "failure_rate": 0.0},
    ]


def test_survey_csat_and_nps(known: str) -> None:
    care = flow_of(report_json(known), "care")
    assert care["survey"] == [
        {
            "question": "csat",
            "answers": 3,
            "scale": "1-5",
            "average": 4.33,
            "nps": None,
            "promoters": 0,
            "passives": 0,
            "detractors": 0,
            "yes": 0,
            "no": 0,
        },
        {
            "question": "nps",
            "answers": 5,
            "scale": "0-10",
            "average": 7.2,
            "nps": 0.0,  # promoters 10, 9; detractors 6, 3
            "promoters": 2,
            "passives": 1,
            "detractors": 2,
            "yes": 0,
            "no": 0,
        },
        {
            "question": "resolved",
            "answers": 3,
            "scale": "yes_no",
            "average": None,
            "nps": None,
            "promoters": 0,
            "passives": 0,
            "detractors": 0,
            "yes": 2,
            "no": 1,
        },
    ]
    assert flow_of(report_json(known), "sales")["survey"] == []


def test_node_visits_and_versions(known: str) -> None:
    care = flow_of(report_json(known), "care")
    nodes = {(n["node"], n["kind"]): n for n in care["nodes"]}
    assert care["nodes"][0] == {
        "node": "welcome",
        "kind": "play",
        "visits": 13,
        "calls": 13,
        "avg_s": 0.0,
    }
    assert nodes[("main_menu", "menu")]["visits"] == 11
    assert nodes[("agent", "queue")] == {
        "node": "agent",
        "kind": "queue",
        "visits": 3,
        "calls": 3,
        "avg_s": 61.667,  # (40 + 115 + 30) s / 3
    }
    v1, v2 = care["versions"]
    assert (v1["version"], v1["calls"], v1["ended"]) == (V1, 7, 7)
    assert v1["first_call"] == T0.isoformat()
    assert v1["last_call"] == (T0 + timedelta(minutes=6)).isoformat()
    assert v1["self_service"] == {"calls": 2, "rate": 0.2857}
    assert v1["reached_person"] == {"calls": 2, "rate": 0.2857}
    assert v1["abandoned"] == {"calls": 2, "rate": 0.2857, "in_queue": 1}
    assert v1["callbacks"] == 2
    assert (v2["version"], v2["calls"], v2["ended"]) == (V2, 6, 5)
    assert v2["first_call"] == (T0 + timedelta(minutes=60)).isoformat()
    assert v2["self_service"] == {"calls": 1, "rate": 0.2}
    assert v2["failed"] == {"calls": 2, "rate": 0.4}
    assert v2["abandoned"] == {"calls": 0, "rate": 0.0, "in_queue": 0}
    assert [v["version"] for v in flow_of(report_json(known), "sales")["versions"]] == [VS]


def test_filters_by_flow_and_time(known: str) -> None:
    sales = report_json(known, flows=("sales",))
    assert sales["filters"] == {"flows": ["sales"], "since": None, "until": None}
    assert [f["flow"] for f in sales["flows"]] == ["sales"]
    assert sales["overall"]["calls"] == 3

    since = report_json(known, since=T0 - timedelta(days=1))
    assert since["overall"]["calls"] == 15
    assert flow_of(since, "sales")["calls"] == 2

    # The first half hour: care's V1 calls and the two recent sales calls; `until` excludes.
    window = report_json(known, since=T0 - timedelta(days=1), until=T0 + timedelta(minutes=6))
    assert flow_of(window, "care")["calls"] == 6
    assert [v["version"] for v in flow_of(window, "care")["versions"]] == [V1]
    assert window["overall"]["calls"] == 8


def test_a_flow_without_calls_is_listed_empty(known: str) -> None:
    data = report_json(known, flows=("nobody", "sales"))
    assert [f["flow"] for f in data["flows"]] == ["nobody", "sales"]
    nobody = flow_of(data, "nobody")
    assert nobody["calls"] == 0
    assert nobody["self_service"] == {"calls": 0, "rate": None}
    assert nobody["duration"] == {"calls": 0, "p50_s": None, "p90_s": None}
    assert nobody["versions"] == nobody["nodes"] == nobody["leave_points"] == []


def test_inputs_are_never_in_the_report(known: str) -> None:
    text = render_json(build_report(known, Filters()))
    for entered in ("hello", "I need help", "987654", "****", "timeout,0"):
        assert entered not in text


def test_empty_journal(journal_url: str) -> None:
    write_journal(journal_url, [])
    data = report_json(journal_url)
    assert data["overall"]["calls"] == 0
    assert data["overall"]["self_service"] == {"calls": 0, "rate": None}
    assert data["overall"]["leave_points"] == []
    assert data["flows"] == []


# ---- the same journal in both databases: the same report ---------------------------------------


def test_sqlite_and_postgresql_give_the_same_report(tmp_path: Path, pg_server: PgServer) -> None:
    urls = [f"sqlite:///{tmp_path}/same.db", pg_server.create_database()]
    reports = []
    for url in urls:
        write_journal(url, dataset())
        for filters in (
            Filters(),
            Filters(flows=("care",), since=T0 + timedelta(minutes=1)),
            Filters(until=T0 + timedelta(minutes=62)),
        ):
            data = json.loads(render_json(build_report(url, filters)))
            assert data.pop("journal") == redact(url)
            reports.append(data)
    half = len(reports) // 2
    assert reports[:half] == reports[half:]
    assert reports[0]["overall"]["calls"] == 16


# ---- errors ------------------------------------------------------------------------------------


def test_a_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.db"
    with pytest.raises(ReportError, match="journal not found"):
        build_report(f"sqlite:///{path}", Filters())
    assert not path.exists()


def test_a_postgresql_database_without_a_journal_is_left_untouched(pg_server: PgServer) -> None:
    import psycopg

    url = pg_server.create_database()
    with pytest.raises(ReportError, match="not a flowc journal"):
        build_report(url, Filters())
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)


def test_since_after_until_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="earlier"):
        build_report(f"sqlite:///{tmp_path}/x.db", Filters(since=T0, until=T0 - timedelta(hours=1)))


# ---- pieces ------------------------------------------------------------------------------------


def test_parse_when() -> None:
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert parse_when("1d", now) == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    assert parse_when("7d", now) == datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    assert parse_when("12h", now) == datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
    assert parse_when("2w", now) == datetime(2026, 2, 24, 12, 0, tzinfo=UTC)
    assert parse_when("2026-03-01") == datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_when("2026-03-01T16:00+08:00") == datetime(2026, 3, 1, 8, tzinfo=UTC)
    with pytest.raises(ReportError, match="cannot read the time"):
        parse_when("yesterday")


def test_percentile_is_nearest_rank() -> None:
    values = list(range(1, 11))
    assert [percentile(values, p) for p in (1, 10, 50, 90, 91, 100)] == [1, 1, 5, 9, 10, 10]
    assert percentile([7], 50) == percentile([7], 90) == 7
    assert percentile([1, 2], 50) == 1


@pytest.mark.parametrize(
    ("kind", "entered", "next_why", "end_reason", "expected"),
    [
        # a menu answered at once, after a no-input, after unrecognised speech with commas
        ("menu", "1", "key 1: go to `a`", None, (0, 0, False)),
        ("menu", "timeout,1", "key 1: go to `a`", None, (1, 0, False)),
        ("menu", "say:well, um, no,say:billing", "said 'billing': go to `b`", None, (0, 1, False)),
        # a menu that gave up, with on_fail and without (the call ended in it)
        ("menu", "no_input,9,no_match", "menu failed 3 times: go to `x`", None, (1, 2, True)),
        ("menu", "7,8,timeout", None, "a failed menu", (1, 2, True)),
        # the caller hung up during the menu: every entry so far failed
        ("menu", "9", None, None, (0, 1, False)),
        # a collect: refused entry, then accepted; confirmed; not confirmed
        ("collect", "failure,1234", "next", None, (0, 1, False)),
        ("collect", "12,1234,1", "entry confirmed (1)", None, (0, 1, False)),
        ("collect", "1234,timeout", "entry not confirmed", None, (1, 1, True)),
        ("collect", "timeout,timeout", None, "a failed collect", (2, 0, True)),
    ],
)
def test_classify_menu_and_collect_visits(
    kind: str,
    entered: str,
    next_why: str | None,
    end_reason: str | None,
    expected: tuple[int, int, bool],
) -> None:
    result = classify_visit(kind, entered, next_why, end_reason)
    assert (result.no_input, result.no_match, result.gave_up) == expected
    assert not result.masked


def test_classify_masked_and_fetch_visits() -> None:
    masked = classify_visit("collect", "****", "nothing valid collected after 3 tries (x)", None)
    assert (masked.masked, masked.gave_up, masked.no_input, masked.no_match) == (True, True, 0, 0)
    fetch = classify_visit
    assert fetch("fetch", None, "crm failed (timeout): go to `x`", None).lookup_failure == "timeout"
    assert fetch("fetch", None, "crm failed (error): go to `x`", None).lookup_failure == "error"
    assert fetch("fetch", None, None, "a failed fetch (timeout)").lookup_failure == "timeout"
    assert fetch("fetch", None, "crm answered 200: go to `x`", None).lookup_failure is None
    assert fetch("fetch", None, None, None).lookup_failure is None  # caller hung up meanwhile


def test_redact() -> None:
    assert redact("postgresql://u:secret@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"
    assert redact("sqlite:///j.db") == "sqlite:///j.db"
