"""FL4xx: business-hours schedules under `schedules:`."""

from __future__ import annotations

from flowc.codes.entry import Entry
from flowc.diagnostics import Severity

ENTRIES: tuple[Entry, ...] = (
    Entry(
        "FL401",
        "schedule-timezone",
        Severity.ERROR,
        "A schedule has no `timezone`, or it is not a known IANA time-zone name.",
        why="opening hours are local times; without a zone the same schedule would mean "
        "different hours on servers in different zones, and daylight-saving changes could "
        "not be applied.",
        example_form="yaml",
        example="""\
flowc: 1
flow: clinic
entry: open
schedules:
  office: {weekly: {mon-fri: "08:00-18:00"}}
nodes:
  open: {hours: office, open: goodbye, closed: goodbye}
  goodbye: {hangup: NORMAL_CLEARING}""",
        fix="add `timezone: Europe/London` (any name of the IANA database) to the schedule.",
    ),
    Entry(
        "FL402",
        "bad-schedule",
        Severity.ERROR,
        "Something in a schedule is impossible or malformed.",
        what="Reported for an unknown key, day name or holiday calendar, a time that is not "
        "00:00-24:00 or not a time at all, an end before its start, an impossible date or a "
        "backwards date range, `closed` mixed with opening hours, and a `weekly`, "
        "`holidays` or `special` that is not a mapping.",
        why="the schedule decides whether callers reach people; a part that cannot be read "
        "must not be guessed at.",
        example_form="yaml",
        example="""\
flowc: 1
flow: clinic
entry: open
schedules:
  office: {timezone: Europe/London, weekly: {mon-fri: "08:00-25:00"}}
nodes:
  open: {hours: office, open: goodbye, closed: goodbye}
  goodbye: {hangup: NORMAL_CLEARING}""",
        fix="follow the hint; here, the latest time of a day is `24:00`.",
    ),
    Entry(
        "FL403",
        "overlapping-hours",
        Severity.WARNING,
        "A schedule names a day (or a special date) twice, or gives it overlapping hours.",
        what="A day named by several entries gets the union of their hours: "
        "`mon-fri: 08:00-20:00` with `wed: closed` does not close Wednesday.",
        why="the union is rarely what the author meant, above all when one of the entries "
        "says `closed`.",
        example_form="yaml",
        example="""\
flowc: 1
flow: clinic
entry: open
schedules:
  office:
    timezone: Europe/London
    weekly: {mon-fri: "08:00-18:00", wed: closed}
nodes:
  open: {hours: office, open: goodbye, closed: goodbye}
  goodbye: {hangup: NORMAL_CLEARING}""",
        fix="name each day once (`mon-tue,thu-fri: ...`), or use `special` for one date.",
    ),
    Entry(
        "FL404",
        "never-open",
        Severity.WARNING,
        "No weekday and no special day of a schedule has any opening hours.",
        why="every call would take the `closed` branch. It is a warning, not an error, "
        "because a line kept closed on purpose (being retired, or special days still to be "
        "added) is legal.",
        example_form="yaml",
        example="""\
flowc: 1
flow: clinic
entry: open
schedules:
  office: {timezone: Europe/London, weekly: {mon-sun: closed}}
nodes:
  open: {hours: office, open: goodbye, closed: goodbye}
  goodbye: {hangup: NORMAL_CLEARING}""",
        fix="add the opening hours under `weekly` (or `special`).",
    ),
)
