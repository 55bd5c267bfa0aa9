"""Each FL40x code, with its severity and the path the caller maps to a source position."""

from __future__ import annotations

import pytest

from flowc.hours import Schedule, ScheduleIssue, check_schedule, parse_schedule

BASE: dict[str, object] = {"timezone": "UTC", "weekly": {"mon-fri": "09:00-17:00"}}


def issues_of(raw: dict[str, object]) -> tuple[Schedule | None, list[ScheduleIssue]]:
    return parse_schedule("care", raw)


def only(raw: dict[str, object], code: str) -> ScheduleIssue:
    _, issues = issues_of(raw)
    found = [i for i in issues if i.code == code]
    assert len(found) == 1, issues
    return found[0]


# -- FL401 -----------------------------------------------------------------------------------


def test_fl401_missing_timezone() -> None:
    schedule, issues = issues_of({"weekly": {"mon-fri": "09:00-17:00"}})
    assert schedule is None
    assert issues == [
        ScheduleIssue(
            "FL401",
            "schedule `care` has no timezone",
            (),
            "add `timezone: Europe/London` (IANA name)",
            "error",
        )
    ]


def test_fl401_unknown_timezone_did_you_mean() -> None:
    issue = only({**BASE, "timezone": "Europe/Londn"}, "FL401")
    assert issue.path == ("timezone",)
    assert issue.severity == "error"
    assert issue.hint == "did you mean `Europe/London`?"
    assert "Europe/Londn" in issue.message


@pytest.mark.parametrize("value", [None, 5, "", ["UTC"]])
def test_fl401_timezone_not_a_name(value: object) -> None:
    schedule, issues = issues_of({**BASE, "timezone": value})
    assert schedule is None
    assert [(i.code, i.path) for i in issues] == [("FL401", ("timezone",))]


def test_fl401_unknown_timezone_without_suggestion() -> None:
    issue = only({**BASE, "timezone": "Qqqqq"}, "FL401")
    assert issue.hint is not None
    assert "IANA" in issue.hint


# -- FL402 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weekly", "path", "message", "hint"),
    [
        ({"mon": "8-5"}, ("weekly", "mon"), "`8-5` is not a time range", "HH:MM-HH:MM"),
        ({"mon": "08:00"}, ("weekly", "mon"), "not a time range", "HH:MM-HH:MM"),
        ({"mon": "open"}, ("weekly", "mon"), "not a time range", "closed"),
        (
            {"mon": "22:00-02:00"},
            ("weekly", "mon"),
            "ends before it starts",
            "overnight ranges must be split at midnight",
        ),
        (
            {"mon": "08:00-08:00"},
            ("weekly", "mon"),
            "is empty",
            "overnight ranges must be split at midnight",
        ),
        ({"mon": "25:00-26:00"}, ("weekly", "mon"), "hours go from 00 to 24", None),
        ({"mon": "08:60-09:00"}, ("weekly", "mon"), "minutes must be below 60", None),
        ({"mon": "08:00-24:30"}, ("weekly", "mon"), "past the end of the day", None),
        ({"mon": "24:00-24:00"}, ("weekly", "mon"), "is empty", None),
        ({"mon": ["08:00-12:00", "13:00-1800"]}, ("weekly", "mon", 1), "not a time range", None),
        ({"mon": ["08:00-12:00", 5]}, ("weekly", "mon", 1), "not a time range", None),
        ({"mon": ["08:00-12:00", "closed"]}, ("weekly", "mon", 1), "cannot be mixed", None),
        ({"mon": "08:00-12:00,closed"}, ("weekly", "mon"), "cannot be mixed", None),
        ({"mon": "08:00-12:00,"}, ("weekly", "mon"), "empty time range", None),
        ({"mon": []}, ("weekly", "mon"), "no hours given", None),
        ({"mon": None}, ("weekly", "mon"), "expected opening hours", None),
        ({"mnday": "08:00-12:00"}, ("weekly", "mnday"), "unknown day `mnday`", "`monday`"),
        ({"tues": "08:00-12:00"}, ("weekly", "tues"), "unknown day `tues`", "`tue`"),
        ({"mon-fir": "08:00-12:00"}, ("weekly", "mon-fir"), "unknown day `fir`", "`fri`"),
        ({"sat,,sun": "08:00-12:00"}, ("weekly", "sat,,sun"), "empty day", None),
        ({"xyzzy": "08:00-12:00"}, ("weekly", "xyzzy"), "unknown day", "mon, tue"),
    ],
)
def test_fl402_weekly(
    weekly: dict[str, object], path: tuple[str | int, ...], message: str, hint: str | None
) -> None:
    schedule, issues = issues_of({"timezone": "UTC", "weekly": weekly})
    assert schedule is None
    errors = [i for i in issues if i.code == "FL402"]
    assert errors, issues
    issue = errors[0]
    assert issue.severity == "error"
    assert issue.path == path
    assert message in issue.message
    if hint is not None:
        assert issue.hint is not None
        assert hint in issue.hint


def test_fl402_overnight_hint_suggests_the_split() -> None:
    issue = only({"timezone": "UTC", "weekly": {"fri": "22:00-02:00"}}, "FL402")
    assert issue.hint == (
        "overnight ranges must be split at midnight: `22:00-24:00` on this day "
        "and `00:00-02:00` on the next"
    )


@pytest.mark.parametrize(
    ("holidays", "path", "message", "hint"),
    [
        (
            {"closed": ["2026-12-31", "2026-02-30"]},
            ("holidays", "closed", 1),
            "`2026-02-30` is not a date: February 2026 has 28 days",
            None,
        ),
        ({"closed": ["2026-13-01"]}, ("holidays", "closed", 0), "no month 13", None),
        ({"closed": ["31/12/2026"]}, ("holidays", "closed", 0), "is not a date", "YYYY-MM-DD"),
        (
            {"closed": ["2026-10-07..2026-10-01"]},
            ("holidays", "closed", 0),
            "starts after it ends",
            "`2026-10-01..2026-10-07`",
        ),
        (
            {"closed": ["2026-10-01..2026-10-32"]},
            ("holidays", "closed", 0),
            "October 2026 has 31 days",
            None,
        ),
        ({"yearly": ["02-30"]}, ("holidays", "yearly", 0), "February has at most 29", None),
        ({"yearly": ["12/25"]}, ("holidays", "yearly", 0), "not a yearly date", "MM-DD"),
        ({"calendar": "XX"}, ("holidays", "calendar"), "unknown holiday calendar `XX`", None),
        ({"calendar": "CNN"}, ("holidays", "calendar"), "unknown holiday calendar", None),
        ({"calendar": 44}, ("holidays", "calendar"), "must be a country code", None),
        (
            {"calendar": "US", "subdiv": "CAL"},
            ("holidays", "subdiv"),
            "unknown subdivision `CAL` of the US calendar",
            None,
        ),
        ({"subdiv": "CA"}, ("holidays", "subdiv"), "needs a `calendar`", None),
        ({"clsoed": []}, ("holidays", "clsoed"), "unknown key `clsoed`", "`closed`"),
    ],
)
def test_fl402_holidays(
    holidays: dict[str, object], path: tuple[str | int, ...], message: str, hint: str | None
) -> None:
    issue = only({**BASE, "holidays": holidays}, "FL402")
    assert issue.path == path
    assert message in issue.message
    if hint is not None:
        assert issue.hint is not None
        assert hint in issue.hint


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        ({"special": {"2026-02-29": "closed"}}, ("special", "2026-02-29"), "has 28 days"),
        ({"special": {"2026-12-24": "12:00-08:00"}}, ("special", "2026-12-24"), "ends before"),
        (
            {"special": {"2026-12-31..2026-12-24": "closed"}},
            ("special", "2026-12-31..2026-12-24"),
            "starts after it ends",
        ),
        (
            {"special": {"2000-01-01..2099-01-01": "closed"}},
            ("special", "2000-01-01..2099-01-01"),
            "spans",
        ),
        ({"special": ["2026-12-24"]}, ("special",), "must be a mapping"),
        ({"weekly": ["mon"]}, ("weekly",), "must be a mapping"),
        ({"holidays": ["2026-12-24"]}, ("holidays",), "must be a mapping"),
        ({"emergency": "Storm Closure"}, ("emergency",), "must be an identifier"),
        ({"emergency": True}, ("emergency",), "must be an identifier"),
        ({"wekly": {}}, ("wekly",), "unknown key `wekly`"),
    ],
)
def test_fl402_other(raw: dict[str, object], path: tuple[str | int, ...], message: str) -> None:
    schedule, issues = issues_of({**BASE, **raw})
    assert schedule is None
    errors = [i for i in issues if i.code == "FL402"]
    assert len(errors) == 1, issues
    assert errors[0].path == path
    assert message in errors[0].message


def test_fl402_unknown_schedule_key_suggests() -> None:
    issue = only({**BASE, "wekly": {}}, "FL402")
    assert issue.hint == "did you mean `weekly`?"


def test_errors_are_all_reported_at_once() -> None:
    _, issues = issues_of(
        {
            "weekly": {"mnday": "08:00-12:00", "tue": "25:00-26:00"},
            "holidays": {"closed": ["2026-02-30"]},
        }
    )
    assert [i.code for i in issues].count("FL401") == 1
    paths = {i.path for i in issues if i.code == "FL402"}
    assert {("weekly", "mnday"), ("weekly", "tue"), ("holidays", "closed", 0)} <= paths


def test_not_a_mapping() -> None:
    schedule, issues = parse_schedule("care", "08:00-20:00")  # type: ignore[arg-type]
    assert schedule is None
    assert [(i.code, i.path) for i in issues] == [("FL402", ())]


# -- FL403 -----------------------------------------------------------------------------------


def test_fl403_overlapping_day_groups() -> None:
    schedule, issues = issues_of(
        {"timezone": "UTC", "weekly": {"mon-fri": "08:00-20:00", "wed": "09:00-12:00"}}
    )
    assert schedule is not None  # warnings only
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.code, issue.severity, issue.path) == ("FL403", "warning", ("weekly", "wed"))
    assert "overlapping hours on wed" in issue.message
    assert issue.hint is not None
    assert "mon,tue,thu,fri" in issue.hint


def test_fl403_overlapping_ranges_in_a_list() -> None:
    schedule, issues = issues_of(
        {"timezone": "UTC", "weekly": {"sat": ["08:00-12:00", "11:00-13:00"]}}
    )
    assert schedule is not None
    assert schedule.weekly[5] == ((480, 780),)  # union
    assert [(i.code, i.severity, i.path) for i in issues] == [
        ("FL403", "warning", ("weekly", "sat", 1))
    ]
    assert issues[0].hint == "merge them into `08:00-13:00`"


def test_fl403_overlapping_ranges_in_a_comma_string() -> None:
    issue = only({"timezone": "UTC", "weekly": {"sat": "08:00-12:00,09:00-10:00"}}, "FL403")
    assert issue.path == ("weekly", "sat")


def test_fl403_touching_ranges_do_not_overlap() -> None:
    _, issues = issues_of({"timezone": "UTC", "weekly": {"sat": "08:00-12:00,12:00-13:00"}})
    assert issues == []


def test_fl403_day_listed_twice_without_overlap() -> None:
    schedule, issues = issues_of(
        {"timezone": "UTC", "weekly": {"mon-fri": "08:00-12:00", "fri": "13:00-17:00"}}
    )
    assert schedule is not None
    assert schedule.weekly[4] == ((480, 720), (780, 1020))
    assert [(i.code, i.path) for i in issues] == [("FL403", ("weekly", "fri"))]
    assert "listed under both `mon-fri` and `fri`" in issues[0].message


def test_fl403_closed_does_not_close_a_day_opened_elsewhere() -> None:
    schedule, issues = issues_of(
        {"timezone": "UTC", "weekly": {"mon-fri": "08:00-12:00", "wed": "closed"}}
    )
    assert schedule is not None
    assert schedule.weekly[2] == ((480, 720),)
    assert [(i.code, i.path) for i in issues] == [("FL403", ("weekly", "wed"))]
    assert "`wed: closed` does not close" in issues[0].message


def test_fl403_day_listed_twice_in_one_key() -> None:
    issue = only({"timezone": "UTC", "weekly": {"mon-fri,wed": "08:00-12:00"}}, "FL403")
    assert issue.path == ("weekly", "mon-fri,wed")
    assert "wed listed twice" in issue.message


def test_fl403_daily_and_weekend_group() -> None:
    issue = only(
        {"timezone": "UTC", "weekly": {"daily": "09:00-17:00", "weekends": "closed"}}, "FL403"
    )
    assert issue.path == ("weekly", "weekends")
    assert "sat,sun" in issue.message


def test_fl403_special_date_twice() -> None:
    schedule, issues = issues_of(
        {
            **BASE,
            "special": {"2026-12-24..2026-12-26": "08:00-12:00", "2026-12-25": "10:00-11:00"},
        }
    )
    assert schedule is not None
    assert [(i.code, i.path) for i in issues] == [("FL403", ("special", "2026-12-25"))]


# -- FL404 -----------------------------------------------------------------------------------


def test_fl404_never_open() -> None:
    schedule, issues = issues_of({"timezone": "UTC", "weekly": {"daily": "closed"}})
    assert schedule is not None
    assert [(i.code, i.severity, i.path) for i in issues] == [("FL404", "warning", ("weekly",))]
    assert check_schedule(schedule)[0].code == "FL404"


def test_fl404_without_weekly_points_at_schedule() -> None:
    _, issues = issues_of({"timezone": "UTC", "special": {"2026-12-24": "closed"}})
    assert [(i.code, i.path) for i in issues] == [("FL404", ())]


def test_fl404_not_when_a_special_day_opens() -> None:
    schedule, issues = issues_of(
        {"timezone": "UTC", "weekly": {"daily": "closed"}, "special": {"2026-12-24": "08:00-12:00"}}
    )
    assert schedule is not None
    assert issues == []
    assert check_schedule(schedule) == []


def test_fl404_not_reported_alongside_errors() -> None:
    _, issues = issues_of({"weekly": {"daily": "closed"}})
    assert [i.code for i in issues] == ["FL401"]
