"""Business-hours schedules: parsing the `schedules:` header into a validated `Schedule`.

`parse_schedule(name, raw)` takes one schedule exactly as it comes out of the YAML (plain
dicts, lists and strings; PyYAML `date` objects are accepted where a date is expected) and
returns `(schedule, issues)`. It never raises at the author: every problem becomes a
`ScheduleIssue` whose `path` is relative to the schedule mapping (e.g. `("weekly", "mon-fri")`)
so the caller can map it to a source span. The schedule is `None` when any issue is an error.

Accepted shapes::

    timezone: Asia/Shanghai                    # required, IANA name
    weekly:
      mon-fri: "08:00-20:00"                   # day ranges (may wrap: sun-thu)
      sat,sun: ["09:00-12:00", "13:00-17:00"]  # day lists; several ranges as a list ...
      wed: "08:00-12:00,13:00-18:00"           # ... or comma separated
      daily | weekdays | weekends: ...         # groups
      monday: ...                              # full names too, any case
      sun: closed                              # "00:00-24:00" is all day
    holidays:
      calendar: CN                             # python-holidays country code
      subdiv: ...                              # optional subdivision of that country
      closed: [2026-12-31, "2026-10-01..2026-10-07"]
      yearly: ["12-25"]                        # MM-DD every year
    special: {2026-12-24: "08:00-12:00", "2026-12-30..2026-12-31": closed}
    emergency: storm_closure                   # flag name

Days not named under `weekly` are closed. A day (or special date) named by several entries gets
the union of their hours, and FL403 warns about it: `mon-fri: ..., wed: closed` does *not*
close Wednesday. Times are whole minutes; a range is half-open `[start, end)`, so `08:00-20:00`
is open at 19:59 and closed at 20:00, and adjacent ranges merge.

Issue codes (permanent): FL401 timezone missing or unknown; FL402 anything impossible or
malformed inside a schedule; FL403 overlapping hours / day listed twice (warning); FL404
schedule never open (warning). See `flowc.hours.check` for FL403/FL404.
"""

from __future__ import annotations

import calendar as _calendar
import functools
import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

from flowc.codes import code
from flowc.diagnostics import Diagnostic, Severity, did_you_mean

if TYPE_CHECKING:
    from flowc.source.document import Span

# ---------------------------------------------------------------------------------------------
# Vocabulary

IssuePath = tuple[str | int, ...]
IssueSeverity = Literal["error", "warning"]
TimeRange = tuple[int, int]
"""Minutes since local midnight, half-open: `(480, 1200)` is 08:00-20:00; end may be 1440."""
Ranges = tuple[TimeRange, ...]
DayKey = int | date
"""A weekday (0 = Monday .. 6 = Sunday) under `weekly`, or a date under `special`."""

FL401 = code("FL401")  # timezone missing or unknown
FL402 = code("FL402")  # impossible or malformed hours, days, dates, calendars
FL403 = code("FL403")  # overlapping hours / day listed twice (warning)
FL404 = code("FL404")  # schedule is never open (warning)

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_FULL_NAMES: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
DAY_LOOKUP: dict[str, int] = {
    **{name: i for i, name in enumerate(DAY_NAMES)},
    **{name.lower(): i for i, name in enumerate(DAY_FULL_NAMES)},
}
"""Accepted single-day names: `mon` .. `sun` and `monday` .. `sunday` (any case)."""
DAY_GROUPS: dict[str, tuple[int, ...]] = {
    "daily": (0, 1, 2, 3, 4, 5, 6),
    "weekdays": (0, 1, 2, 3, 4),
    "weekends": (5, 6),
}
MINUTES_PER_DAY = 1440
MAX_SPECIAL_RANGE_DAYS = 3660
"""A `special` date range longer than this (about ten years) is surely a typo."""

SCHEDULE_KEYS = ("timezone", "weekly", "holidays", "special", "emergency")
HOLIDAY_KEYS = ("calendar", "subdiv", "closed", "yearly")

_HOURS_HINT = (
    "write `HH:MM-HH:MM` (e.g. `08:00-20:00`), several ranges as a list or comma-separated, "
    "`00:00-24:00` for all day, or `closed`"
)
_OVERNIGHT_HINT = "overnight ranges must be split at midnight"
_DAYS_HINT = (
    "days are mon, tue, wed, thu, fri, sat, sun (or monday..sunday), daily, weekdays, weekends; "
    "ranges like `mon-fri` and lists like `sat,sun`"
)
_IDENT = re.compile(r"[a-z_][a-z0-9_]*")
_TIME_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")


def format_minute(minute: int) -> str:
    """`480` -> `"08:00"`; `1440` -> `"24:00"`."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_range(rng: TimeRange) -> str:
    return f"{format_minute(rng[0])}-{format_minute(rng[1])}"


def format_ranges(ranges: Iterable[TimeRange], sep: str = " and ") -> str:
    """Ranges for a human sentence; `"closed"` when there are none."""
    text = sep.join(format_range(r) for r in ranges)
    return text or "closed"


def format_days(days: Iterable[DayKey]) -> str:
    """Compact day list: weekdays as runs (`mon-wed,fri`), dates as ISO dates."""
    unique = sorted(set(days), key=_day_sort_key)
    weekdays = [d for d in unique if not isinstance(d, date)]
    dates = [d for d in unique if isinstance(d, date)]
    parts: list[str] = []
    run: list[int] = []
    for d in weekdays:
        if run and d != run[-1] + 1:
            parts.append(_run(run))
            run = []
        run.append(d)
    if run:
        parts.append(_run(run))
    parts.extend(d.isoformat() for d in dates)
    return ",".join(parts)


def _run(run: list[int]) -> str:
    if len(run) == 1:
        return DAY_NAMES[run[0]]
    if len(run) == 2:
        return f"{DAY_NAMES[run[0]]},{DAY_NAMES[run[1]]}"
    return f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}"


def _day_sort_key(day: DayKey) -> tuple[int, str]:
    return (1, day.isoformat()) if isinstance(day, date) else (0, f"{day:02d}")


def merge_ranges(ranges: Iterable[TimeRange]) -> Ranges:
    """Sorted union of half-open ranges; overlapping and touching ranges merge."""
    merged: list[TimeRange] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def in_ranges(ranges: Iterable[TimeRange], minute: int) -> bool:
    return any(start <= minute < end for start, end in ranges)


@functools.cache
def available_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def supported_calendars() -> dict[str, tuple[str, ...]]:
    """python-holidays country codes (with aliases) -> their subdivision codes."""
    import holidays as _holidays  # slow to import: only flows with a holiday calendar ask

    return {k: tuple(v) for k, v in _holidays.list_supported_countries().items()}


# ---------------------------------------------------------------------------------------------
# Issues and entries


@dataclass(frozen=True)
class ScheduleIssue:
    """One problem in one schedule. `path` is relative to the schedule mapping."""

    code: str
    message: str
    path: IssuePath
    hint: str | None = None
    severity: IssueSeverity = "error"

    def to_diagnostic(self, span: Span, related: tuple[tuple[str, Span], ...] = ()) -> Diagnostic:
        """A `flowc.diagnostics.Diagnostic` once the caller has mapped `path` to a span."""
        sev = Severity.ERROR if self.severity == "error" else Severity.WARNING
        return Diagnostic(self.code, sev, self.message, span, self.hint, related)


@dataclass(frozen=True)
class HoursEntry:
    """One `days: hours` item as written (under `weekly` or `special`), before merging.

    `days` keeps the written order and duplicates; `ranges` keeps each range with the path of
    the list item it came from. Empty `ranges` means `closed`. The static checks in
    `flowc.hours.check` work on these, because merging would hide overlaps.
    """

    path: IssuePath
    label: str
    days: tuple[DayKey, ...]
    ranges: tuple[tuple[TimeRange, IssuePath], ...]

    @property
    def hours(self) -> Ranges:
        return tuple(r for r, _ in self.ranges)


# ---------------------------------------------------------------------------------------------
# The schedule


@dataclass(frozen=True)
class Schedule:
    """A validated schedule. Built by `parse_schedule` or `Schedule.from_json`.

    `weekly` always has the seven weekdays (0 = Monday), each with sorted, merged ranges
    (empty = closed); `special` maps each special date to its merged ranges (empty = closed
    all day). `tz` is derived from `timezone`. Equal schedules have equal `to_json()`.
    """

    name: str
    timezone: str
    weekly: dict[int, Ranges] = field(default_factory=dict, hash=False)
    closed_dates: frozenset[date] = frozenset()
    closed_ranges: tuple[tuple[date, date], ...] = ()
    yearly: frozenset[tuple[int, int]] = frozenset()
    calendar: str | None = None
    subdiv: str | None = None
    special: dict[date, Ranges] = field(default_factory=dict, hash=False)
    emergency_flag: str | None = None
    tz: zoneinfo.ZoneInfo = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tz", zoneinfo.ZoneInfo(self.timezone))
        weekly = {d: merge_ranges(self.weekly.get(d, ())) for d in range(7)}
        object.__setattr__(self, "weekly", weekly)
        special = {d: merge_ranges(self.special[d]) for d in sorted(self.special)}
        object.__setattr__(self, "special", special)
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))
        object.__setattr__(self, "closed_ranges", tuple(sorted(set(self.closed_ranges))))
        object.__setattr__(self, "yearly", frozenset(self.yearly))

    @property
    def never_open(self) -> bool:
        """No weekday has hours and no special day has hours."""
        return not any(self.weekly.values()) and not any(self.special.values())

    def to_json(self) -> dict[str, object]:
        """Canonical JSON-able form for the compiled IR: sorted, merged, all strings."""
        return {
            "name": self.name,
            "timezone": self.timezone,
            "weekly": {DAY_NAMES[d]: [format_range(r) for r in self.weekly[d]] for d in range(7)},
            "holidays": {
                "calendar": self.calendar,
                "subdiv": self.subdiv,
                "closed": sorted(d.isoformat() for d in self.closed_dates),
                "closed_ranges": [[a.isoformat(), b.isoformat()] for a, b in self.closed_ranges],
                "yearly": [f"{m:02d}-{d:02d}" for m, d in sorted(self.yearly)],
            },
            "special": {
                d.isoformat(): [format_range(r) for r in rs] for d, rs in self.special.items()
            },
            "emergency": self.emergency_flag,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Schedule:
        """Load what `to_json` produced. Raises `ValueError` on malformed IR."""
        try:
            return _from_json(cls, data)
        except (KeyError, TypeError, ValueError, zoneinfo.ZoneInfoNotFoundError) as exc:
            raise ValueError(f"malformed schedule IR: {exc}") from exc


def _from_json(cls: type[Schedule], data: Mapping[str, object]) -> Schedule:
    def string(value: object) -> str:
        if not isinstance(value, str):
            raise TypeError(f"expected a string, got {value!r}")
        return value

    def opt_string(value: object) -> str | None:
        return None if value is None else string(value)

    def mapping(value: object) -> Mapping[str, object]:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a mapping, got {value!r}")
        return value

    def strings(value: object) -> list[str]:
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {value!r}")
        return [string(v) for v in value]

    def ranges(value: object) -> Ranges:
        out: list[TimeRange] = []
        for text in strings(value):
            rng = _strict_range(text)
            if rng is None:
                raise ValueError(f"bad time range {text!r}")
            out.append(rng)
        return tuple(out)

    def iso(text: str) -> date:
        return date.fromisoformat(text)

    weekly_raw = mapping(data["weekly"])
    weekly: dict[int, Ranges] = {}
    for key, value in weekly_raw.items():
        weekly[DAY_NAMES.index(key)] = ranges(value)
    hol = mapping(data["holidays"])
    closed_ranges: list[tuple[date, date]] = []
    pairs = hol["closed_ranges"]
    if not isinstance(pairs, list):
        raise TypeError("closed_ranges must be a list")
    for pair in pairs:
        a, b = strings(pair)
        closed_ranges.append((iso(a), iso(b)))
    yearly: set[tuple[int, int]] = set()
    for text in strings(hol["yearly"]):
        month, day = (int(p) for p in text.split("-"))
        date(2000, month, day)  # validates; 2000 is a leap year, so 02-29 passes
        yearly.add((month, day))
    special = {iso(k): ranges(v) for k, v in mapping(data["special"]).items()}
    return cls(
        name=string(data["name"]),
        timezone=string(data["timezone"]),
        weekly=weekly,
        closed_dates=frozenset(iso(t) for t in strings(hol["closed"])),
        closed_ranges=tuple(closed_ranges),
        yearly=frozenset(yearly),
        calendar=opt_string(hol["calendar"]),
        subdiv=opt_string(hol["subdiv"]),
        special=special,
        emergency_flag=opt_string(data["emergency"]),
    )


def _strict_range(text: str) -> TimeRange | None:
    m = _TIME_RANGE.fullmatch(text.strip())
    if m is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 >= 60 or m2 >= 60 or not 0 <= start < end <= MINUTES_PER_DAY:
        return None
    return (start, end)


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_schedule(
    name: str, raw: Mapping[str, object]
) -> tuple[Schedule | None, list[ScheduleIssue]]:
    """Parse and check one schedule. The schedule is None when any issue is an error."""
    return _Parser(name).run(raw)


class _Parser:
    def __init__(self, name: str) -> None:
        self.name = name
        self.issues: list[ScheduleIssue] = []

    def error(self, code: str, message: str, path: IssuePath, hint: str | None = None) -> None:
        self.issues.append(ScheduleIssue(code, message, path, hint, "error"))

    # -- top level ------------------------------------------------------------------------

    def run(self, raw: object) -> tuple[Schedule | None, list[ScheduleIssue]]:
        from flowc.hours.check import check_never_open, check_overlaps

        if not isinstance(raw, Mapping):
            self.error(
                FL402,
                f"schedule `{self.name}` must be a mapping, not {_kind(raw)}",
                (),
                "give at least `timezone:` and `weekly:`",
            )
            return None, self.issues
        for key in raw:
            if key not in SCHEDULE_KEYS:
                self.error(
                    FL402,
                    f"unknown key `{key}` in schedule `{self.name}`",
                    (str(key),),
                    did_you_mean(str(key), SCHEDULE_KEYS)
                    or f"schedule keys are {', '.join(SCHEDULE_KEYS)}",
                )
        timezone = self.timezone(raw)
        weekly_entries = self.weekly(raw["weekly"]) if "weekly" in raw else []
        hol = self.holidays(raw["holidays"]) if "holidays" in raw else _Holidays()
        special_entries = self.special(raw["special"]) if "special" in raw else []
        emergency = self.emergency(raw["emergency"]) if "emergency" in raw else None

        self.issues.extend(check_overlaps(weekly_entries))
        self.issues.extend(check_overlaps(special_entries))
        if timezone is None or any(i.severity == "error" for i in self.issues):
            return None, self.issues

        weekly: dict[int, list[TimeRange]] = {}
        for entry in weekly_entries:
            for wd in entry.days:
                assert isinstance(wd, int)
                weekly.setdefault(wd, []).extend(entry.hours)
        special: dict[date, list[TimeRange]] = {}
        for entry in special_entries:
            for day in entry.days:
                assert isinstance(day, date)
                special.setdefault(day, []).extend(entry.hours)
        schedule = Schedule(
            name=self.name,
            timezone=timezone,
            weekly={d: tuple(r) for d, r in weekly.items()},
            closed_dates=frozenset(hol.closed_dates),
            closed_ranges=tuple(hol.closed_ranges),
            yearly=frozenset(hol.yearly),
            calendar=hol.calendar,
            subdiv=hol.subdiv,
            special={d: tuple(r) for d, r in special.items()},
            emergency_flag=emergency,
        )
        self.issues.extend(check_never_open(schedule, ("weekly",) if "weekly" in raw else ()))
        return schedule, self.issues

    def timezone(self, raw: Mapping[str, object]) -> str | None:
        if "timezone" not in raw:
            self.error(
                FL401,
                f"schedule `{self.name}` has no timezone",
                (),
                "add `timezone: Europe/London` (IANA name)",
            )
            return None
        value = raw["timezone"]
        if not isinstance(value, str) or not value.strip():
            self.error(
                FL401,
                f"timezone of schedule `{self.name}` must be an IANA name, not {_kind(value)}",
                ("timezone",),
                "add `timezone: Europe/London` (IANA name)",
            )
            return None
        name = value.strip()
        if name not in available_timezones():
            self.error(
                FL401,
                f"unknown timezone `{name}`",
                ("timezone",),
                did_you_mean(name, available_timezones())
                or "use an IANA name such as `Europe/London` or `Asia/Shanghai`",
            )
            return None
        return name

    # -- weekly ---------------------------------------------------------------------------

    def weekly(self, value: object) -> list[HoursEntry]:
        if not isinstance(value, Mapping):
            self.error(
                FL402,
                f"`weekly` must be a mapping of days to hours, not {_kind(value)}",
                ("weekly",),
                'e.g. `weekly: {mon-fri: "08:00-20:00", sat: "09:00-17:00", sun: closed}`',
            )
            return []
        entries: list[HoursEntry] = []
        for key, hours in value.items():
            path: IssuePath = ("weekly", str(key))
            days = self.days(key, path)
            ranges = self.hours(hours, path)
            if days is not None and ranges is not None:
                entries.append(HoursEntry(path, str(key), days, ranges))
        return entries

    def days(self, key: object, path: IssuePath) -> tuple[int, ...] | None:
        if not isinstance(key, str) or not key.strip():
            self.error(FL402, f"`{key}` is not a day", path, _DAYS_HINT)
            return None
        days: list[int] = []
        ok = True
        for token in key.lower().split(","):
            token = token.strip()
            if not token:
                self.error(FL402, f"empty day in `{key}`", path, _DAYS_HINT)
                ok = False
            elif token in DAY_GROUPS:
                days.extend(DAY_GROUPS[token])
            elif token in DAY_LOOKUP:
                days.append(DAY_LOOKUP[token])
            elif "-" in token:
                first, last = (t.strip() for t in token.split("-", 1))
                bad = [t for t in (first, last) if t not in DAY_LOOKUP]
                for t in bad:
                    self.error(
                        FL402,
                        f"unknown day `{t}` in `{key}`",
                        path,
                        did_you_mean(t, DAY_LOOKUP)
                        or "a day range joins two days, e.g. `mon-fri` or `sun-thu`",
                    )
                if bad:
                    ok = False
                    continue
                # Ranges may wrap around the week: `sun-thu` is sun, mon, tue, wed, thu.
                i, j = DAY_LOOKUP[first], DAY_LOOKUP[last]
                days.extend((i + k) % 7 for k in range((j - i) % 7 + 1))
            else:
                self.error(
                    FL402,
                    f"unknown day `{token}` in `{key}`",
                    path,
                    did_you_mean(token, (*DAY_LOOKUP, *DAY_GROUPS)) or _DAYS_HINT,
                )
                ok = False
        return tuple(days) if ok else None

    def hours(
        self, value: object, path: IssuePath
    ) -> tuple[tuple[TimeRange, IssuePath], ...] | None:
        """Ranges with their paths; `()` for closed; None after reporting an error."""
        items: list[tuple[str, IssuePath]]
        if isinstance(value, str):
            if value.strip().lower() == "closed":
                return ()
            items = [(value, path)]
        elif isinstance(value, list | tuple):
            if not value:
                self.error(FL402, "no hours given", path, _HOURS_HINT)
                return None
            if len(value) == 1 and isinstance(value[0], str):
                if value[0].strip().lower() == "closed":
                    return ()
            items = []
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    self.error(FL402, f"`{item}` is not a time range", (*path, i), _HOURS_HINT)
                    return None
                if item.strip().lower() == "closed":
                    self.error(
                        FL402,
                        "`closed` cannot be mixed with opening hours",
                        (*path, i),
                        "a day is either `closed` or has ranges",
                    )
                    return None
                items.append((item, (*path, i)))
        else:
            self.error(FL402, f"expected opening hours, not {_kind(value)}", path, _HOURS_HINT)
            return None
        out: list[tuple[TimeRange, IssuePath]] = []
        ok = True
        for text, item_path in items:
            for part in text.split(","):
                if not part.strip():
                    self.error(FL402, f"empty time range in `{text}`", item_path, _HOURS_HINT)
                    ok = False
                    continue
                rng = self.time_range(part, item_path)
                if rng is None:
                    ok = False
                else:
                    out.append((rng, item_path))
        return tuple(out) if ok else None

    def time_range(self, text: str, path: IssuePath) -> TimeRange | None:
        text = text.strip()
        if text.lower() == "closed":
            self.error(
                FL402,
                "`closed` cannot be mixed with opening hours",
                path,
                "a day is either `closed` or has ranges",
            )
            return None
        m = _TIME_RANGE.fullmatch(text)
        if m is None:
            self.error(FL402, f"`{text}` is not a time range", path, _HOURS_HINT)
            return None
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        ok = True
        for hour, minute in ((h1, m1), (h2, m2)):
            shown = f"{hour:02d}:{minute:02d}"
            if hour > 24:
                self.error(
                    FL402,
                    f"`{shown}` in `{text}` is not a time: hours go from 00 to 24",
                    path,
                    _OVERNIGHT_HINT if hour < 48 else None,
                )
                ok = False
            elif minute >= 60:
                self.error(
                    FL402,
                    f"`{shown}` in `{text}` is not a time: minutes must be below 60",
                    path,
                )
                ok = False
            elif hour == 24 and minute:
                self.error(
                    FL402,
                    f"`{shown}` in `{text}` is past the end of the day; the latest time is 24:00",
                    path,
                    _OVERNIGHT_HINT,
                )
                ok = False
        if not ok:
            return None
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end <= start:
            if end == start:
                message = f"`{text}` is empty: it ends when it starts"
                hint = f"for a whole day write `00:00-24:00`; {_OVERNIGHT_HINT}"
            else:
                message = f"`{text}` ends before it starts"
                hint = (
                    f"{_OVERNIGHT_HINT}: `{format_minute(start)}-24:00` on this day and "
                    f"`00:00-{format_minute(end)}` on the next"
                )
            self.error(FL402, message, path, hint)
            return None
        return (start, end)

    # -- holidays -------------------------------------------------------------------------

    def holidays(self, value: object) -> _Holidays:
        hol = _Holidays()
        if not isinstance(value, Mapping):
            self.error(
                FL402,
                f"`holidays` must be a mapping, not {_kind(value)}",
                ("holidays",),
                'e.g. `holidays: {calendar: CN, closed: [2026-12-31], yearly: ["12-25"]}`',
            )
            return hol
        for key in value:
            if key not in HOLIDAY_KEYS:
                self.error(
                    FL402,
                    f"unknown key `{key}` under `holidays`",
                    ("holidays", str(key)),
                    did_you_mean(str(key), HOLIDAY_KEYS)
                    or f"`holidays` keys are {', '.join(HOLIDAY_KEYS)}",
                )
        if "calendar" in value:
            hol.calendar = self.calendar(value["calendar"])
        if "subdiv" in value:
            hol.subdiv = self.subdiv(value["subdiv"], hol.calendar, "calendar" in value)
        if "closed" in value:
            for item, path in _items(value["closed"], ("holidays", "closed")):
                span = self.date_or_range(item, path)
                if span is None:
                    continue
                if span[0] == span[1]:
                    hol.closed_dates.add(span[0])
                else:
                    hol.closed_ranges.append(span)
        if "yearly" in value:
            for item, path in _items(value["yearly"], ("holidays", "yearly")):
                md = self.month_day(item, path)
                if md is not None:
                    hol.yearly.add(md)
        return hol

    def calendar(self, value: object) -> str | None:
        path: IssuePath = ("holidays", "calendar")
        supported = supported_calendars()
        if not isinstance(value, str) or not value.strip():
            self.error(
                FL402,
                f"`calendar` must be a country code, not {_kind(value)}",
                path,
                "e.g. `calendar: CN`",
            )
            return None
        code = value.strip().upper()
        if code not in supported:
            self.error(
                FL402,
                f"unknown holiday calendar `{value}`",
                path,
                did_you_mean(code, supported)
                or "use a country code supported by python-holidays, e.g. `CN`, `GB`, `US`",
            )
            return None
        return code

    def subdiv(self, value: object, country: str | None, has_calendar: bool) -> str | None:
        path: IssuePath = ("holidays", "subdiv")
        if not has_calendar:
            self.error(
                FL402, "`subdiv` needs a `calendar`", path, "add `calendar:` with a country code"
            )
            return None
        if country is None:  # the calendar itself was wrong; already reported
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            self.error(FL402, f"`subdiv` must be a code, not {_kind(value)}", path)
            return None
        subdivs = supported_calendars()[country]
        text = str(value).strip()
        by_upper = {s.upper(): s for s in subdivs}
        if text.upper() in by_upper:
            return by_upper[text.upper()]
        if subdivs:
            hint = did_you_mean(text.upper(), subdivs) or (
                f"{country} subdivisions are {', '.join(subdivs[:12])}"
                + (", ..." if len(subdivs) > 12 else "")
            )
        else:
            hint = f"the {country} calendar has no subdivisions; remove `subdiv`"
        self.error(FL402, f"unknown subdivision `{text}` of the {country} calendar", path, hint)
        return None

    def one_date(self, value: object, path: IssuePath) -> date | None:
        if isinstance(value, date):
            if hasattr(value, "hour"):  # a datetime
                self.error(FL402, f"`{value}` has a time of day; expected a date", path)
                return None
            return value
        text = str(value).strip()
        m = _DATE.fullmatch(text)
        if m is None:
            self.error(FL402, f"`{text}` is not a date", path, "write dates as `YYYY-MM-DD`")
            return None
        year, month, day = (int(g) for g in m.groups())
        if not 1 <= month <= 12:
            self.error(FL402, f"`{text}` is not a date: there is no month {month}", path)
            return None
        last = _calendar.monthrange(year, month)[1] if year >= 1 else 31
        if not 1 <= day <= last or year < 1:
            self.error(
                FL402,
                f"`{text}` is not a date: {_calendar.month_name[month]} {year} has {last} days",
                path,
            )
            return None
        return date(year, month, day)

    def date_or_range(self, value: object, path: IssuePath) -> tuple[date, date] | None:
        """A date `d` as `(d, d)`, or a `"A..B"` range as `(A, B)`."""
        if isinstance(value, str) and ".." in value:
            first_text, last_text = value.split("..", 1)
            first = self.one_date(first_text, path)
            last = self.one_date(last_text, path)
            if first is None or last is None:
                return None
            if first > last:
                self.error(
                    FL402,
                    f"date range `{value.strip()}` starts after it ends",
                    path,
                    f"write the earlier date first: `{last}..{first}`",
                )
                return None
            return (first, last)
        single = self.one_date(value, path)
        return None if single is None else (single, single)

    def month_day(self, value: object, path: IssuePath) -> tuple[int, int] | None:
        text = str(value).strip()
        m = _MONTH_DAY.fullmatch(text)
        if m is None:
            self.error(
                FL402,
                f"`{text}` is not a yearly date",
                path,
                "write recurring dates as `MM-DD`, e.g. `12-25`",
            )
            return None
        month, day = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            self.error(FL402, f"`{text}` is not a date: there is no month {month}", path)
            return None
        last = _calendar.monthrange(2000, month)[1]  # a leap year: 02-29 is allowed
        if not 1 <= day <= last:
            self.error(
                FL402,
                f"`{text}` is not a date: {_calendar.month_name[month]} has at most {last} days",
                path,
            )
            return None
        return (month, day)

    # -- special, emergency -----------------------------------------------------------------

    def special(self, value: object) -> list[HoursEntry]:
        if not isinstance(value, Mapping):
            self.error(
                FL402,
                f"`special` must be a mapping of dates to hours, not {_kind(value)}",
                ("special",),
                'e.g. `special: {2026-12-24: "08:00-12:00"}`',
            )
            return []
        entries: list[HoursEntry] = []
        for key, hours in value.items():
            label = key.isoformat() if isinstance(key, date) else str(key)
            path: IssuePath = ("special", label)
            span = self.date_or_range(key, path)
            ranges = self.hours(hours, path)
            if span is None or ranges is None:
                continue
            count = (span[1] - span[0]).days + 1
            if count > MAX_SPECIAL_RANGE_DAYS:
                self.error(
                    FL402,
                    f"special date range `{label}` spans {count} days",
                    path,
                    f"special ranges may span at most {MAX_SPECIAL_RANGE_DAYS} days; "
                    "use `weekly` for regular hours",
                )
                continue
            days = tuple(span[0] + timedelta(days=i) for i in range(count))
            entries.append(HoursEntry(path, label, days, ranges))
        return entries

    def emergency(self, value: object) -> str | None:
        if not isinstance(value, str) or not _IDENT.fullmatch(value):
            self.error(
                FL402,
                f"emergency flag must be an identifier, not `{value}`",
                ("emergency",),
                "e.g. `emergency: storm_closure`, set at runtime as `flags.storm_closure`",
            )
            return None
        return value


@dataclass
class _Holidays:
    calendar: str | None = None
    subdiv: str | None = None
    closed_dates: set[date] = field(default_factory=set)
    closed_ranges: list[tuple[date, date]] = field(default_factory=list)
    yearly: set[tuple[int, int]] = field(default_factory=set)


def _items(value: object, path: IssuePath) -> Sequence[tuple[object, IssuePath]]:
    """A list with each item's path; a single scalar counts as a one-item list."""
    if isinstance(value, list | tuple):
        return [(item, (*path, i)) for i, item in enumerate(value)]
    return [(value, path)]


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"`{value}`"
