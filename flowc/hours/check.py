"""Static checks on schedules: FL403 overlapping hours, FL404 never open.

FL401 (timezone) and FL402 (anything impossible: bad times, end before start, unknown day
names, impossible dates, backwards date ranges, unknown calendars) are found while parsing, in
`flowc.hours.spec`. The checks here look at what parsed cleanly:

- FL403 (warning) works on the `HoursEntry`s *as written*, before merging, because the merged
  `Schedule` can no longer tell that `mon-fri: 08:00-20:00` and `wed: 09:00-12:00` both named
  Wednesday. A day (or special date) named twice gets the union of its entries' hours, which is
  rarely what the author meant when one of them says `closed`, hence the warning.
- FL404 (warning) fires when no weekday has hours and no special day has hours: every call
  would take the `closed` branch. It is a warning, not an error, because a schedule kept closed
  on purpose (a line being retired, or one whose special days are still to be added) is legal.

All issues carry a `path` relative to the schedule mapping, pointing at the later of two
conflicting entries so the caller's span lands on the line the author most likely just added.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import combinations

from flowc.hours.spec import (
    FL403,
    FL404,
    DayKey,
    HoursEntry,
    IssuePath,
    Schedule,
    ScheduleIssue,
    TimeRange,
    format_days,
    format_range,
    format_ranges,
    merge_ranges,
)

_UNION_NOTE = "a day's hours are the union of every entry that names it"


def _overlap(a: TimeRange, b: TimeRange) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def check_overlaps(entries: Sequence[HoursEntry]) -> list[ScheduleIssue]:
    """FL403: overlapping ranges within an entry, days named twice in one entry or across
    entries (with or without overlapping hours). One issue per entry or per pair of entries."""
    issues: list[ScheduleIssue] = []
    for entry in entries:
        issues.extend(_within(entry))
    for first, second in combinations(entries, 2):
        issue = _across(first, second)
        if issue is not None:
            issues.append(issue)
    return issues


def _within(entry: HoursEntry) -> list[ScheduleIssue]:
    issues: list[ScheduleIssue] = []
    seen: set[DayKey] = set()
    repeated: list[DayKey] = []
    for day in entry.days:
        if day in seen and day not in repeated:
            repeated.append(day)
        seen.add(day)
    if repeated:
        issues.append(
            ScheduleIssue(
                FL403,
                f"{format_days(repeated)} listed twice in `{entry.label}`",
                entry.path,
                "name each day once",
                "warning",
            )
        )
    ordered = sorted(entry.ranges)
    for i, (rng, _) in enumerate(ordered):
        for other, other_path in ordered[i + 1 :]:
            if _overlap(rng, other):
                merged = merge_ranges([rng, other])
                issues.append(
                    ScheduleIssue(
                        FL403,
                        f"`{format_range(rng)}` and `{format_range(other)}` overlap "
                        f"in `{entry.label}`",
                        other_path,
                        f"merge them into `{format_ranges(merged, ',')}`",
                        "warning",
                    )
                )
    return issues


def _across(first: HoursEntry, second: HoursEntry) -> ScheduleIssue | None:
    common_set = set(first.days) & set(second.days)
    if not common_set:
        return None
    common = format_days(common_set)
    rest = set(first.days) - common_set
    if rest and not any(isinstance(d, date) for d in rest):
        split_hint = (
            f"list each day under one key, e.g. `{format_days(rest)}` instead of `{first.label}`"
        )
    else:
        split_hint = "list each day under one key"
    overlapping = [(a, b) for a in first.hours for b in second.hours if _overlap(a, b)]
    if overlapping:
        a, b = overlapping[0]
        message = (
            f"overlapping hours on {common}: `{first.label}` gives {format_range(a)} "
            f"and `{second.label}` gives {format_range(b)}"
        )
    elif not first.hours or not second.hours:
        closed, open_ = (first, second) if not first.hours else (second, first)
        if not open_.hours:
            message = f"{common} listed as closed under both `{first.label}` and `{second.label}`"
        else:
            message = (
                f"{common} listed under both `{first.label}` and `{second.label}`: "
                f"`{closed.label}: closed` does not close what `{open_.label}` opens "
                f"({_UNION_NOTE}), so it is open {format_ranges(open_.hours)}"
            )
    else:
        message = (
            f"{common} listed under both `{first.label}` and `{second.label}`; "
            f"{_UNION_NOTE}: {format_ranges(merge_ranges((*first.hours, *second.hours)))}"
        )
    return ScheduleIssue(FL403, message, second.path, split_hint, "warning")


def check_never_open(schedule: Schedule, path: IssuePath = ()) -> list[ScheduleIssue]:
    """FL404: no weekday and no special day has any opening hours."""
    if not schedule.never_open:
        return []
    return [
        ScheduleIssue(
            FL404,
            f"schedule `{schedule.name}` is never open: every day is closed "
            "and no special day has hours",
            path,
            'add hours under `weekly`, e.g. `mon-fri: "09:00-17:00"`',
            "warning",
        )
    ]


def check_schedule(schedule: Schedule) -> list[ScheduleIssue]:
    """The checks that still make sense on a built `Schedule` (e.g. one loaded from the IR)."""
    return check_never_open(schedule)
