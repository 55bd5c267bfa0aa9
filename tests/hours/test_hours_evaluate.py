"""Evaluation: precedence, rule sentences, DST, holiday calendars, next_change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from flowc.hours import Schedule, evaluate, holiday_calendar, next_change, parse_schedule


def make(raw: dict[str, object]) -> Schedule:
    schedule, issues = parse_schedule("s", raw)
    assert schedule is not None, issues
    return schedule


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


CARE = make(
    {
        "timezone": "Asia/Shanghai",
        "weekly": {"mon-fri": "08:00-20:00", "sat": "09:00-17:00", "sun": "closed"},
        "holidays": {
            "calendar": "CN",
            "closed": ["2026-12-31", "2026-11-02..2026-11-04"],
            "yearly": ["12-25"],
        },
        "special": {"2026-12-24": "08:00-12:00", "2026-10-02": "10:00-12:00"},
        "emergency": "storm_closure",
    }
)


# -- weekly ------------------------------------------------------------------------------------


def test_weekly_inside_and_outside() -> None:
    # Thursday 2026-12-03, Shanghai is UTC+8.
    d = evaluate(CARE, utc("2026-12-03T13:15"))
    assert d.outcome == "closed"
    assert d.rule == "Thursday 08:00-20:00, 21:15 is outside"
    assert d.local_time == datetime(2026, 12, 3, 21, 15, tzinfo=ZoneInfo("Asia/Shanghai"))
    d = evaluate(CARE, utc("2026-12-03T01:30"))
    assert (d.outcome, d.rule) == ("open", "Thursday 08:00-20:00, 09:30 is inside")
    assert d.is_open


def test_weekly_closed_day() -> None:
    d = evaluate(CARE, utc("2026-12-06T03:00"))  # Sunday
    assert (d.outcome, d.rule) == ("closed", "Sunday has no opening hours: closed all day")


def test_half_open_boundaries() -> None:
    assert evaluate(CARE, utc("2026-12-03T00:00")).outcome == "open"  # 08:00 local
    assert evaluate(CARE, utc("2026-12-02T23:59:59")).outcome == "closed"  # 07:59:59
    assert evaluate(CARE, utc("2026-12-03T11:59:59")).outcome == "open"  # 19:59:59
    assert evaluate(CARE, utc("2026-12-03T12:00")).outcome == "closed"  # 20:00


def test_all_day_and_several_ranges() -> None:
    s = make(
        {"timezone": "UTC", "weekly": {"mon": "00:00-24:00", "tue": "08:00-12:00,13:00-18:00"}}
    )
    assert evaluate(s, utc("2026-12-07T00:00")).outcome == "open"
    assert evaluate(s, utc("2026-12-07T23:59:59")).outcome == "open"
    d = evaluate(s, utc("2026-12-08T12:30"))
    assert (d.outcome, d.rule) == ("closed", "Tuesday 08:00-12:00, 13:00-18:00, 12:30 is outside")


def test_instant_in_any_timezone_gives_the_same_decision() -> None:
    at = utc("2026-12-03T13:15")
    for tz in ("America/New_York", "Asia/Kolkata", "Pacific/Chatham"):
        assert evaluate(CARE, at.astimezone(ZoneInfo(tz))) == evaluate(CARE, at)
    assert evaluate(CARE, at.astimezone(timezone(timedelta(hours=-3)))) == evaluate(CARE, at)


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(CARE, datetime(2026, 12, 3, 9, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        next_change(CARE, datetime(2026, 12, 3, 9, 0))


# -- holidays ----------------------------------------------------------------------------------


def test_cn_calendar_national_day() -> None:
    d = evaluate(CARE, utc("2026-10-01T03:00"))  # Thursday 11:00 local, normally open
    assert d.outcome == "holiday"
    assert d.rule == "2026-10-01 is a holiday: National Day (CN calendar)"


def test_holidays_use_the_local_date() -> None:
    # 2026-09-30T16:30Z is already 2026-10-01 00:30 in Shanghai.
    assert evaluate(CARE, utc("2026-09-30T16:30")).outcome == "holiday"
    assert evaluate(CARE, utc("2026-09-30T15:59")).outcome == "closed"  # 23:59 on the 30th


def test_closed_dates_ranges_and_yearly() -> None:
    d = evaluate(CARE, utc("2026-12-31T03:00"))
    assert (d.outcome, d.rule) == ("holiday", "2026-12-31 is listed under holidays.closed")
    d = evaluate(CARE, utc("2026-11-03T03:00"))
    assert (d.outcome, d.rule) == (
        "holiday",
        "2026-11-03 is listed under holidays.closed (2026-11-02..2026-11-04)",
    )
    d = evaluate(CARE, utc("2027-12-25T03:00"))
    assert (d.outcome, d.rule) == ("holiday", "2027-12-25 is listed under holidays.yearly (12-25)")
    assert evaluate(CARE, utc("2026-11-05T03:00")).outcome == "open"


def test_subdivision_calendar() -> None:
    s = make(
        {
            "timezone": "America/Los_Angeles",
            "weekly": {"daily": "09:00-17:00"},
            "holidays": {"calendar": "US", "subdiv": "CA"},
        }
    )
    # Cesar Chavez Day (31 March) is a California holiday, not a federal one.
    d = evaluate(s, utc("2026-03-31T18:00"))
    assert d.outcome == "holiday"
    assert d.rule.startswith("2026-03-31 is a holiday: ")
    assert d.rule.endswith("(US-CA calendar)")


def test_holiday_calendar_is_cached() -> None:
    first = holiday_calendar("CN", None, 2026)
    assert holiday_calendar("CN", None, 2026) is first
    before = holiday_calendar.cache_info().hits
    for hour in range(16):  # 08:00 to 23:00 on 2026-10-01 in Shanghai
        evaluate(CARE, utc("2026-10-01T00:00") + timedelta(hours=hour))
    assert holiday_calendar.cache_info().hits >= before + 16
    assert holiday_calendar("CN", None, 2027) is not first


# -- precedence --------------------------------------------------------------------------------


def test_special_hours() -> None:
    d = evaluate(CARE, utc("2026-12-24T01:30"))
    assert (d.outcome, d.rule) == (
        "open",
        "special hours on 2026-12-24: 08:00-12:00, now 09:30 is inside",
    )
    d = evaluate(CARE, utc("2026-12-24T05:00"))
    assert (d.outcome, d.rule) == (
        "closed",
        "special hours on 2026-12-24: 08:00-12:00, now 13:00 is outside",
    )


def test_special_day_overrides_holiday() -> None:
    # 2026-10-02 is National Day in the CN calendar but has special hours 10:00-12:00.
    assert evaluate(CARE, utc("2026-10-02T03:00")).outcome == "open"  # 11:00 local
    d = evaluate(CARE, utc("2026-10-02T05:00"))  # 13:00: outside special hours -> closed
    assert d.outcome == "closed"
    assert d.rule.startswith("special hours on 2026-10-02")


def test_special_closed_overrides_weekly() -> None:
    s = make(
        {"timezone": "UTC", "weekly": {"daily": "09:00-17:00"}, "special": {"2026-12-07": "closed"}}
    )
    d = evaluate(s, utc("2026-12-07T10:00"))
    assert (d.outcome, d.rule) == ("closed", "special hours on 2026-12-07: closed all day")


def test_special_beats_explicit_closed_date() -> None:
    s = make(
        {
            "timezone": "UTC",
            "weekly": {"daily": "09:00-17:00"},
            "holidays": {"closed": ["2026-12-07"]},
            "special": {"2026-12-07": "10:00-11:00"},
        }
    )
    assert evaluate(s, utc("2026-12-07T10:30")).outcome == "open"
    assert evaluate(s, utc("2026-12-08T10:30")).outcome == "open"


@pytest.mark.parametrize(
    "at",
    [
        "2026-12-03T01:30",  # open by weekly hours
        "2026-12-06T03:00",  # closed Sunday
        "2026-10-01T03:00",  # holiday
        "2026-12-24T01:30",  # special day, open
        "2026-10-02T03:00",  # special day on a holiday
    ],
)
def test_emergency_overrides_everything(at: str) -> None:
    d = evaluate(CARE, utc(at), {"storm_closure": True})
    assert (d.outcome, d.rule) == ("emergency", "emergency flag `storm_closure` is set")
    assert evaluate(CARE, utc(at), {"storm_closure": False}).outcome != "emergency"
    assert evaluate(CARE, utc(at), {"other_flag": True}).outcome != "emergency"


def test_flags_without_an_emergency_flag_are_ignored() -> None:
    s = make({"timezone": "UTC", "weekly": {"daily": "09:00-17:00"}})
    assert evaluate(s, utc("2026-12-07T10:00"), {"storm_closure": True}).outcome == "open"


# -- DST ---------------------------------------------------------------------------------------

LONDON = make({"timezone": "Europe/London", "weekly": {"daily": "01:00-03:00"}})
NEW_YORK = make({"timezone": "America/New_York", "weekly": {"daily": "01:00-02:00"}})


def open_minutes(schedule: Schedule, day_utc: str) -> list[datetime]:
    start = utc(day_utc)
    return [
        start + timedelta(minutes=m)
        for m in range(24 * 60)
        if evaluate(schedule, start + timedelta(minutes=m)).outcome == "open"
    ]


def test_london_spring_forward() -> None:
    # 2026-03-29 (last Sunday of March): 01:00 GMT jumps to 02:00 BST; 01:xx local never exists.
    assert evaluate(LONDON, utc("2026-03-29T00:59")).outcome == "closed"  # 00:59 GMT
    d = evaluate(LONDON, utc("2026-03-29T01:00"))  # 02:00 BST
    assert d.outcome == "open"
    assert (d.local_time.hour, d.local_time.minute) == (2, 0)
    assert d.local_time.utcoffset() == timedelta(hours=1)
    assert evaluate(LONDON, utc("2026-03-29T01:59")).outcome == "open"  # 02:59 BST
    assert evaluate(LONDON, utc("2026-03-29T02:00")).outcome == "closed"  # 03:00 BST
    opened = open_minutes(LONDON, "2026-03-29T00:00")
    assert len(opened) == 60  # one real hour, not two
    assert opened[0] == utc("2026-03-29T01:00")
    # An ordinary day: 01:00-03:00 GMT.
    assert len(open_minutes(LONDON, "2026-03-22T00:00")) == 120
    assert next_change(LONDON, utc("2026-03-29T00:30")) == utc("2026-03-29T01:00")
    assert next_change(LONDON, utc("2026-03-29T01:00")) == utc("2026-03-29T02:00")


def test_london_range_starting_inside_the_gap() -> None:
    s = make({"timezone": "Europe/London", "weekly": {"daily": "01:30-02:30"}})
    # Local 01:30 does not exist on 2026-03-29; the range opens at the jump (02:00 BST).
    assert evaluate(s, utc("2026-03-29T00:59")).outcome == "closed"
    assert evaluate(s, utc("2026-03-29T01:00")).outcome == "open"
    assert next_change(s, utc("2026-03-29T00:00")) == utc("2026-03-29T01:00")
    assert next_change(s, utc("2026-03-29T01:00")) == utc("2026-03-29T01:30")


def test_new_york_fall_back() -> None:
    # 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:xx local happens twice.
    assert evaluate(NEW_YORK, utc("2026-11-01T04:59")).outcome == "closed"  # 00:59 EDT
    first = evaluate(NEW_YORK, utc("2026-11-01T05:00"))  # 01:00 EDT
    second = evaluate(NEW_YORK, utc("2026-11-01T06:00"))  # 01:00 EST
    assert first.outcome == second.outcome == "open"
    assert first.local_time.utcoffset() == timedelta(hours=-4)
    assert second.local_time.utcoffset() == timedelta(hours=-5)
    assert second.local_time.fold == 1
    assert evaluate(NEW_YORK, utc("2026-11-01T06:59")).outcome == "open"  # 01:59 EST
    assert evaluate(NEW_YORK, utc("2026-11-01T07:00")).outcome == "closed"  # 02:00 EST
    opened = open_minutes(NEW_YORK, "2026-11-01T00:00")
    assert len(opened) == 120  # two real hours
    assert next_change(NEW_YORK, utc("2026-11-01T04:00")) == utc("2026-11-01T05:00")
    # Still open across the fold: the next change is at 02:00 EST.
    assert next_change(NEW_YORK, utc("2026-11-01T05:00")) == utc("2026-11-01T07:00")


def test_new_york_fall_back_reopens_at_the_transition() -> None:
    s = make({"timezone": "America/New_York", "weekly": {"daily": "01:00-01:30"}})
    assert evaluate(s, utc("2026-11-01T05:15")).outcome == "open"  # 01:15 EDT
    assert evaluate(s, utc("2026-11-01T05:45")).outcome == "closed"  # 01:45 EDT
    assert evaluate(s, utc("2026-11-01T06:15")).outcome == "open"  # 01:15 EST
    assert next_change(s, utc("2026-11-01T05:45")) == utc("2026-11-01T06:00")  # the fall back
    assert next_change(s, utc("2026-11-01T06:00")) == utc("2026-11-01T06:30")


# -- next_change -------------------------------------------------------------------------------


def brute_next_change(schedule: Schedule, at: datetime, limit: timedelta) -> datetime | None:
    at = at.astimezone(UTC)  # step in real time, not wall-clock time
    current = evaluate(schedule, at).outcome
    t = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while t <= at + limit:
        if evaluate(schedule, t).outcome != current:
            return t
        t += timedelta(minutes=1)
    return None


@pytest.mark.parametrize(
    ("schedule", "start"),
    [
        (CARE, "2026-09-28T00:00"),
        (CARE, "2026-12-22T10:07"),
        (LONDON, "2026-03-27T12:00"),
        (NEW_YORK, "2026-10-30T12:00"),
        (
            make(
                {
                    "timezone": "Australia/Lord_Howe",  # 30-minute DST shift
                    "weekly": {"sun": "01:30-02:30,02:45-03:00", "sat": "23:00-24:00"},
                }
            ),
            "2026-10-02T00:00",
        ),
    ],
)
def test_next_change_matches_brute_force(schedule: Schedule, start: str) -> None:
    at = utc(start)
    for _ in range(12):
        expected = brute_next_change(schedule, at, timedelta(days=4))
        got = next_change(schedule, at, horizon=timedelta(days=4))
        assert got == expected
        if got is None:
            break
        at = got


def test_next_change_returns_utc() -> None:
    got = next_change(CARE, datetime(2026, 12, 3, 21, 15, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert got is not None
    assert got.tzinfo is UTC
    assert got.astimezone(CARE.tz) == datetime(2026, 12, 4, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_next_change_none_when_nothing_changes() -> None:
    always = make({"timezone": "Europe/London", "weekly": {"daily": "00:00-24:00"}})
    assert next_change(always, utc("2026-03-28T12:00")) is None
    never = make({"timezone": "UTC", "weekly": {"daily": "closed"}})
    assert next_change(never, utc("2026-03-28T12:00")) is None
    assert next_change(CARE, utc("2026-12-03T01:30"), {"storm_closure": True}) is None


def test_next_change_horizon() -> None:
    s = make(
        {"timezone": "UTC", "weekly": {"daily": "closed"}, "special": {"2026-12-20": "09:00-10:00"}}
    )
    assert next_change(s, utc("2026-12-01T00:00")) is None  # 19 days away
    assert next_change(s, utc("2026-12-10T00:00")) == utc("2026-12-20T09:00")
    assert next_change(s, utc("2026-12-01T00:00"), horizon=timedelta(days=30)) == utc(
        "2026-12-20T09:00"
    )


def test_holiday_to_weekly_is_a_change() -> None:
    # From a holiday (closed range 2026-11-02..04) to a normal open day at local midnight.
    got = next_change(CARE, utc("2026-11-03T03:00"))
    assert got == utc("2026-11-04T16:00")  # 2026-11-05 00:00 in Shanghai
    assert evaluate(CARE, got).outcome == "closed"
    assert date(2026, 11, 5).weekday() == 3
