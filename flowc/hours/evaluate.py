"""Evaluating a schedule at an instant: open, closed, holiday or emergency, and why.

Precedence, first match wins:

1. **emergency**: the schedule's emergency flag is set. It is an operational override (storm,
   outage, evacuation) decided at run time, so it must beat everything written in advance,
   special hours included.
2. **special day**: the local date is under `special`. Its hours alone decide open/closed for
   that date (outcome `open` or `closed`, never `holiday`). A special entry is the most specific
   statement an author can make about one date, so it beats holidays: writing
   `special: {2026-12-24: "08:00-12:00"}` is how you open half a day on a calendar holiday.
3. **holiday**: the local date is in `holidays.closed` (dates or ranges), `holidays.yearly`, or
   the python-holidays `calendar`. Outcome `holiday`, so a flow can route holidays to their own
   message; the `hours` node sends it to `closed` when it has no `holiday:` branch.
4. **weekly**: the local weekday's ranges, half-open `[start, end)` in whole minutes.

Everything is decided on the *local wall clock of the schedule's timezone*: the instant is
converted with zoneinfo first, whatever timezone it came in. That is what makes DST right
without special cases: on a spring-forward day local 01:30 never happens, so `01:00-03:00` is
open for one real hour; on a fall-back day local 01:30 happens twice, so `01:00-02:00` is open
for two real hours. Dates (special days, holidays) are local dates too.

`next_change` finds when the outcome next changes without stepping minute by minute: the
outcome can only change where the wall clock crosses a range boundary or midnight, or where the
UTC offset jumps, so it evaluates just those instants.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from flowc.hours.spec import (
    DAY_FULL_NAMES,
    MINUTES_PER_DAY,
    Schedule,
    format_minute,
    format_ranges,
    in_ranges,
)

Outcome = Literal["open", "closed", "holiday", "emergency"]

if TYPE_CHECKING:
    from holidays import HolidayBase

_NO_FLAGS: Mapping[str, bool] = MappingProxyType({})
NEXT_CHANGE_HORIZON = timedelta(days=14)


@dataclass(frozen=True)
class Decision:
    """The outcome, the rule that decided it (a sentence), and the local time it was decided at."""

    outcome: Outcome
    rule: str
    local_time: datetime

    @property
    def is_open(self) -> bool:
        return self.outcome == "open"


def evaluate(schedule: Schedule, at: datetime, flags: Mapping[str, bool] = _NO_FLAGS) -> Decision:
    """Decide `schedule` at the aware instant `at`; `flags` holds runtime flags by name."""
    _require_aware(at)
    local = at.astimezone(schedule.tz)
    flag = schedule.emergency_flag
    if flag is not None and flags.get(flag, False):
        return Decision("emergency", f"emergency flag `{flag}` is set", local)

    day = local.date()
    minute = local.hour * 60 + local.minute
    now = format_minute(minute)
    special = schedule.special.get(day)
    if special is not None:
        if not special:
            return Decision("closed", f"special hours on {day}: closed all day", local)
        inside = in_ranges(special, minute)
        return Decision(
            "open" if inside else "closed",
            f"special hours on {day}: {format_ranges(special, ', ')}, "
            f"now {now} is {'inside' if inside else 'outside'}",
            local,
        )

    reason = holiday_reason(schedule, day)
    if reason is not None:
        return Decision("holiday", reason, local)

    weekday = DAY_FULL_NAMES[day.weekday()]
    ranges = schedule.weekly.get(day.weekday(), ())
    if not ranges:
        return Decision("closed", f"{weekday} has no opening hours: closed all day", local)
    inside = in_ranges(ranges, minute)
    return Decision(
        "open" if inside else "closed",
        f"{weekday} {format_ranges(ranges, ', ')}, {now} is {'inside' if inside else 'outside'}",
        local,
    )


def holiday_reason(schedule: Schedule, day: date) -> str | None:
    """Why `day` (a local date) is a holiday, or None. Explicit lists are checked first."""
    if day in schedule.closed_dates:
        return f"{day} is listed under holidays.closed"
    for first, last in schedule.closed_ranges:
        if first <= day <= last:
            return f"{day} is listed under holidays.closed ({first}..{last})"
    if (day.month, day.day) in schedule.yearly:
        return f"{day} is listed under holidays.yearly ({day.month:02d}-{day.day:02d})"
    if schedule.calendar is not None:
        name = holiday_calendar(schedule.calendar, schedule.subdiv, day.year).get(day)
        if name is not None:
            label = schedule.calendar
            if schedule.subdiv is not None:
                label = f"{label}-{schedule.subdiv}"
            return f"{day} is a holiday: {name} ({label} calendar)"
    return None


@functools.lru_cache(maxsize=256)
def holiday_calendar(country: str, subdiv: str | None, year: int) -> HolidayBase:
    """The python-holidays calendar for one country/subdivision/year, built once (it is slow).

    Built with `expand=False` so lookups never mutate the shared object, and in English so the
    rule sentences are stable whatever the host's locale.
    """
    import holidays as _holidays  # slow to import: only calendars need it

    return _holidays.country_holidays(
        country, subdiv=subdiv, years=year, expand=False, language="en_US"
    )


def next_change(
    schedule: Schedule,
    at: datetime,
    flags: Mapping[str, bool] = _NO_FLAGS,
    horizon: timedelta = NEXT_CHANGE_HORIZON,
) -> datetime | None:
    """The first instant after `at` (within `horizon`, default 14 days) whose outcome differs
    from the outcome at `at`, or None if it does not change.

    The result is in UTC on purpose: an aware datetime in a zoneinfo zone does wall-clock
    arithmetic and, inside a DST fold, never compares equal to other zones (PEP 495). Use
    `.astimezone(schedule.tz)` to show it.
    """
    _require_aware(at)
    start = at.astimezone(UTC)
    current = evaluate(schedule, start, flags).outcome
    if current == "emergency":  # flags do not change by themselves
        return None
    for instant in _candidates(schedule, start, start + horizon):
        if evaluate(schedule, instant, flags).outcome != current:
            return instant
    return None


def _candidates(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """Every instant in (start, end] where the outcome *may* change, sorted.

    Between UTC-offset transitions the wall clock is UTC plus a fixed offset, so each wall-clock
    boundary (midnight, range starts and ends) maps to exactly one instant in that stretch;
    the transitions themselves are candidates too (the wall clock jumps there).
    """
    tz = schedule.tz
    cuts = [start, *_transitions(schedule, start, end), end]
    found: set[datetime] = set(cuts[1:-1])
    for seg_start, seg_end in pairwise(cuts):
        offset = seg_start.astimezone(tz).utcoffset() or timedelta(0)
        first_day = (seg_start + offset).date()
        last_day = (seg_end + offset).date()
        day = first_day
        while day <= last_day:
            midnight = datetime.combine(day, time(), tzinfo=UTC) - offset
            for minute in _boundaries(schedule, day):
                instant = midnight + timedelta(minutes=minute)
                if seg_start < instant <= seg_end:
                    found.add(instant)
            day += timedelta(days=1)
    return sorted(t for t in found if start < t <= end)


def _boundaries(schedule: Schedule, day: date) -> set[int]:
    minutes = {0, MINUTES_PER_DAY}
    for start, end in (*schedule.weekly.get(day.weekday(), ()), *schedule.special.get(day, ())):
        minutes.add(start)
        minutes.add(end)
    return minutes


def _transitions(schedule: Schedule, start: datetime, end: datetime) -> Iterator[datetime]:
    """UTC-offset changes in (start, end]: an hourly scan, then bisection to the second.

    Assumes at most one change per hour, which holds for every zone in tzdata.
    """
    tz = schedule.tz
    step = timedelta(hours=1)
    lo = start.replace(second=0, microsecond=0)
    lo_offset = lo.astimezone(tz).utcoffset()
    while lo < end:
        hi = lo + step
        hi_offset = hi.astimezone(tz).utcoffset()
        if hi_offset != lo_offset:
            a, b = lo, hi  # offset(a) == lo_offset, offset(b) == hi_offset
            while b - a > timedelta(seconds=1):
                mid = a + (b - a) // 2
                mid = mid.replace(microsecond=0)
                if mid.astimezone(tz).utcoffset() == lo_offset:
                    a = mid
                else:
                    b = mid
            if start < b <= end:
                yield b
        lo, lo_offset = hi, hi_offset


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"`at` must be timezone-aware, got naive {at.isoformat()}")
