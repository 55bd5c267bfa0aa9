"""Parsing every accepted schedule shape, and the canonical IR form."""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

import pytest
import yaml

from flowc.diagnostics import Severity
from flowc.hours import Schedule, ScheduleIssue, parse_schedule
from flowc.source.document import Span

DOC_EXAMPLE = """
care_hours:
  timezone: Asia/Shanghai   # required, IANA name
  weekly: {mon-fri: "08:00-20:00", sat: "09:00-17:00", sun: closed}
  holidays:
    calendar: CN
    closed: [2026-12-31, "2026-10-01..2026-10-07"]
    yearly: ["12-25"]
  special: {2026-12-24: "08:00-12:00"}
  emergency: storm_closure
"""

ALL_WEEK = {d: () for d in range(7)}


def parse_ok(raw: dict[str, object]) -> Schedule:
    schedule, issues = parse_schedule("s", raw)
    assert [i for i in issues if i.severity == "error"] == []
    assert schedule is not None
    return schedule


def weekly_of(weekly: object) -> dict[int, tuple[tuple[int, int], ...]]:
    return parse_ok({"timezone": "UTC", "weekly": weekly}).weekly


def test_documented_example_loaded_by_yaml() -> None:
    raw = yaml.safe_load(DOC_EXAMPLE)["care_hours"]
    schedule, issues = parse_schedule("care_hours", raw)
    assert issues == []
    assert schedule is not None
    assert schedule.name == "care_hours"
    assert schedule.timezone == "Asia/Shanghai"
    assert schedule.tz == ZoneInfo("Asia/Shanghai")
    assert schedule.weekly == {
        0: ((480, 1200),),
        1: ((480, 1200),),
        2: ((480, 1200),),
        3: ((480, 1200),),
        4: ((480, 1200),),
        5: ((540, 1020),),
        6: (),
    }
    assert schedule.closed_dates == frozenset({date(2026, 12, 31)})
    assert schedule.closed_ranges == ((date(2026, 10, 1), date(2026, 10, 7)),)
    assert schedule.yearly == frozenset({(12, 25)})
    assert schedule.calendar == "CN"
    assert schedule.subdiv is None
    assert schedule.special == {date(2026, 12, 24): ((480, 720),)}
    assert schedule.emergency_flag == "storm_closure"


@pytest.mark.parametrize(
    ("key", "days"),
    [
        ("mon", {0}),
        ("sun", {6}),
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("sat,sun", {5, 6}),
        (" Sat , Sun ", {5, 6}),
        ("daily", {0, 1, 2, 3, 4, 5, 6}),
        ("weekdays", {0, 1, 2, 3, 4}),
        ("weekends", {5, 6}),
        ("sun-thu", {6, 0, 1, 2, 3}),  # ranges may wrap around the week
        ("mon-wed,fri", {0, 1, 2, 4}),
        ("Monday", {0}),
        ("monday-wednesday", {0, 1, 2}),
        ("weekdays,sat", {0, 1, 2, 3, 4, 5}),
    ],
)
def test_day_keys(key: str, days: set[int]) -> None:
    weekly = weekly_of({key: "09:00-17:00"})
    assert {d for d, r in weekly.items() if r} == days
    assert all(weekly[d] == ((540, 1020),) for d in days)


@pytest.mark.parametrize(
    ("hours", "ranges"),
    [
        ("08:00-20:00", ((480, 1200),)),
        ("8:00-9:30", ((480, 570),)),
        ("08:00 - 20:00", ((480, 1200),)),
        (["08:00-12:00", "13:00-18:00"], ((480, 720), (780, 1080))),
        ("08:00-12:00,13:00-18:00", ((480, 720), (780, 1080))),
        ("13:00-18:00, 08:00-12:00", ((480, 720), (780, 1080))),  # sorted
        (["08:00-10:00,10:30-11:00", "13:00-14:00"], ((480, 600), (630, 660), (780, 840))),
        ("08:00-12:00,12:00-13:00", ((480, 780),)),  # touching ranges merge
        ("closed", ()),
        ("Closed", ()),
        (["closed"], ()),
        ("00:00-24:00", ((0, 1440),)),
        ("22:00-24:00", ((1320, 1440),)),
    ],
)
def test_hours_shapes(hours: object, ranges: tuple[tuple[int, int], ...]) -> None:
    assert weekly_of({"wed": hours})[2] == ranges


def test_unlisted_days_are_closed_and_weekly_is_optional() -> None:
    weekly = weekly_of({"mon": "09:00-17:00"})
    assert weekly[0] == ((540, 1020),)
    assert all(weekly[d] == () for d in range(1, 7))
    schedule = parse_ok({"timezone": "UTC", "special": {"2026-12-24": "08:00-12:00"}})
    assert schedule.weekly == ALL_WEEK


def test_holidays_shapes() -> None:
    schedule = parse_ok(
        {
            "timezone": "America/Los_Angeles",
            "weekly": {"daily": "09:00-17:00"},
            "holidays": {
                "calendar": "us",  # codes are case-insensitive, stored upper-case
                "subdiv": "ca",
                "closed": [
                    "2026-12-31",
                    date(2027, 1, 2),  # unquoted YAML dates arrive as date objects
                    "2026-10-01..2026-10-07",
                    "2026-11-05..2026-11-05",  # a one-day range is a date
                ],
                "yearly": ["12-25", "02-29"],
            },
        }
    )
    assert schedule.calendar == "US"
    assert schedule.subdiv == "CA"
    assert schedule.closed_dates == {date(2026, 12, 31), date(2027, 1, 2), date(2026, 11, 5)}
    assert schedule.closed_ranges == ((date(2026, 10, 1), date(2026, 10, 7)),)
    assert schedule.yearly == {(12, 25), (2, 29)}


def test_single_closed_date_scalar() -> None:
    schedule = parse_ok(
        {
            "timezone": "UTC",
            "weekly": {"daily": "09:00-17:00"},
            "holidays": {"closed": "2026-12-31"},
        }
    )
    assert schedule.closed_dates == {date(2026, 12, 31)}


def test_special_shapes() -> None:
    schedule = parse_ok(
        {
            "timezone": "Europe/London",
            "weekly": {"mon-fri": "09:00-17:00"},
            "special": {
                date(2026, 12, 24): "08:00-12:00",
                "2026-12-25..2026-12-26": "closed",
                "2026-12-27": ["10:00-11:00", "15:00-16:00"],
            },
        }
    )
    assert schedule.special == {
        date(2026, 12, 24): ((480, 720),),
        date(2026, 12, 25): (),
        date(2026, 12, 26): (),
        date(2026, 12, 27): ((600, 660), (900, 960)),
    }


def test_emergency_flag() -> None:
    schedule = parse_ok(
        {"timezone": "UTC", "weekly": {"daily": "09:00-17:00"}, "emergency": "storm_closure"}
    )
    assert schedule.emergency_flag == "storm_closure"
    assert parse_ok({"timezone": "UTC", "weekly": {"daily": "09:00-17:00"}}).emergency_flag is None


def test_json_round_trip() -> None:
    raw = yaml.safe_load(DOC_EXAMPLE)["care_hours"]
    schedule = parse_ok(raw)
    data = schedule.to_json()
    text = json.dumps(data, sort_keys=True)
    loaded = Schedule.from_json(json.loads(text))
    assert loaded == schedule
    assert loaded.tz == schedule.tz
    assert loaded.to_json() == data
    assert data["weekly"] == {
        "mon": ["08:00-20:00"],
        "tue": ["08:00-20:00"],
        "wed": ["08:00-20:00"],
        "thu": ["08:00-20:00"],
        "fri": ["08:00-20:00"],
        "sat": ["09:00-17:00"],
        "sun": [],
    }
    assert data["holidays"] == {
        "calendar": "CN",
        "subdiv": None,
        "closed": ["2026-12-31"],
        "closed_ranges": [["2026-10-01", "2026-10-07"]],
        "yearly": ["12-25"],
    }
    assert data["special"] == {"2026-12-24": ["08:00-12:00"]}
    assert data["emergency"] == "storm_closure"


def test_json_is_canonical_across_spellings() -> None:
    a = parse_ok(
        {
            "timezone": "UTC",
            "weekly": {"mon-fri": "08:00-12:00,13:00-18:00", "sat,sun": "closed"},
            "holidays": {"closed": ["2026-12-31", "2026-01-01"], "yearly": ["12-25", "01-01"]},
            "special": {"2026-12-24": "10:00-12:00", "2026-12-23": "closed"},
        }
    )
    b = parse_ok(
        {
            "timezone": "UTC",
            "weekly": {
                "weekdays": ["13:00-18:00", "08:00-10:00", "10:00-12:00"],
            },
            "holidays": {"yearly": ["01-01", "12-25"], "closed": ["2026-01-01", "2026-12-31"]},
            "special": {"2026-12-23": ["closed"], date(2026, 12, 24): "10:00-12:00"},
        }
    )
    assert a == b
    assert json.dumps(a.to_json()) == json.dumps(b.to_json())
    special = a.to_json()["special"]
    assert isinstance(special, dict)
    assert list(special) == ["2026-12-23", "2026-12-24"]


def test_from_json_rejects_malformed_ir() -> None:
    good = parse_ok({"timezone": "UTC", "weekly": {"mon": "09:00-17:00"}}).to_json()
    for broken in (
        {**good, "timezone": "Nowhere/City"},
        {**good, "weekly": {"mon": ["17:00-09:00"]}},
        {**good, "weekly": {"xyz": []}},
        {k: v for k, v in good.items() if k != "holidays"},
        {**good, "special": {"2026-02-30": []}},
        {**good, "holidays": {**good["holidays"], "yearly": ["02-30"]}},  # type: ignore[dict-item]
    ):
        with pytest.raises(ValueError, match="malformed schedule IR"):
            Schedule.from_json(broken)


def test_schedule_is_hashable_and_frozen() -> None:
    schedule = parse_ok({"timezone": "UTC", "weekly": {"mon": "09:00-17:00"}})
    assert isinstance(hash(schedule), int)
    with pytest.raises(AttributeError):
        schedule.name = "other"  # type: ignore[misc]


def test_issue_to_diagnostic() -> None:
    issue = ScheduleIssue("FL403", "overlap", ("weekly", "wed"), "fix it", "warning")
    span = Span("flow.yaml", 3, 5, 3, 9)
    diag = issue.to_diagnostic(span)
    assert diag.code == "FL403"
    assert diag.severity is Severity.WARNING
    assert diag.span == span
    assert diag.hint == "fix it"
    assert ScheduleIssue("FL401", "x", ()).to_diagnostic(span).severity is Severity.ERROR
