"""Business-hours schedules: parse (`spec`), check (`check`), evaluate (`evaluate`).

Evaluation precedence, first match wins: emergency flag > special day (its own hours decide)
> holiday (outcome `holiday`) > weekly hours. See `flowc.hours.evaluate` for why.
"""

from flowc.hours.check import check_never_open, check_overlaps, check_schedule
from flowc.hours.evaluate import (
    Decision,
    Outcome,
    evaluate,
    holiday_calendar,
    holiday_reason,
    next_change,
)
from flowc.hours.spec import (
    FL401,
    FL402,
    FL403,
    FL404,
    HoursEntry,
    Schedule,
    ScheduleIssue,
    TimeRange,
    parse_schedule,
)

__all__ = [
    "FL401",
    "FL402",
    "FL403",
    "FL404",
    "Decision",
    "HoursEntry",
    "Outcome",
    "Schedule",
    "ScheduleIssue",
    "TimeRange",
    "check_never_open",
    "check_overlaps",
    "check_schedule",
    "evaluate",
    "holiday_calendar",
    "holiday_reason",
    "next_change",
    "parse_schedule",
]
