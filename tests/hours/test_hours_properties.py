"""Property tests: random weekly specs and instants against a brute-force reading of the spec."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.hours import Schedule, evaluate, next_change, parse_schedule

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
GROUPS = {"daily": range(7), "weekdays": range(5), "weekends": (5, 6)}
ZONES = (
    "UTC",
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Asia/Kathmandu",  # +05:45
    "America/St_Johns",  # -03:30 with DST
    "Pacific/Chatham",  # +12:45 with DST
    "Asia/Shanghai",
)


def expand(key: str) -> list[int]:
    """An independent reading of a day key: the oracle for the brute-force check."""
    out: list[int] = []
    for token in key.split(","):
        if token in GROUPS:
            out.extend(GROUPS[token])
        elif "-" in token:
            a, b = (DAYS.index(t) for t in token.split("-"))
            d = a
            out.append(d)
            while d != b:
                d = (d + 1) % 7
                out.append(d)
        else:
            out.append(DAYS.index(token))
    return out


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


day_token = st.one_of(
    st.sampled_from(DAYS),
    st.sampled_from(sorted(GROUPS)),
    st.tuples(st.sampled_from(DAYS), st.sampled_from(DAYS)).map(lambda p: f"{p[0]}-{p[1]}"),
)
day_key = st.lists(day_token, min_size=1, max_size=3).map(",".join)
time_range = (
    st.tuples(st.integers(0, 1439), st.integers(1, 1440))
    .filter(lambda r: r[0] < r[1])
    .map(lambda r: (r[0], r[1]))
)
hours = st.one_of(st.just(None), st.lists(time_range, min_size=1, max_size=3))
weekly_spec = st.dictionaries(day_key, hours, max_size=5)
instants = st.datetimes(
    min_value=datetime(1995, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC)
)


def raw_weekly(spec: dict[str, list[tuple[int, int]] | None]) -> dict[str, object]:
    return {
        key: "closed" if ranges is None else [f"{hhmm(a)}-{hhmm(b)}" for a, b in ranges]
        for key, ranges in spec.items()
    }


def build(zone: str, spec: dict[str, list[tuple[int, int]] | None]) -> Schedule:
    schedule, issues = parse_schedule("p", {"timezone": zone, "weekly": raw_weekly(spec)})
    assert [i for i in issues if i.severity == "error"] == []
    assert {i.code for i in issues} <= {"FL403", "FL404"}
    assert schedule is not None
    return schedule


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ZONES), weekly_spec, instants)
def test_evaluate_agrees_with_brute_force(
    zone: str, spec: dict[str, list[tuple[int, int]] | None], at: datetime
) -> None:
    schedule = build(zone, spec)
    decision = evaluate(schedule, at)
    local = at.astimezone(ZoneInfo(zone))
    minute = local.hour * 60 + local.minute
    expected_open = any(
        a <= minute < b
        for key, ranges in spec.items()
        if ranges is not None and local.weekday() in expand(key)
        for a, b in ranges
    )
    assert decision.outcome == ("open" if expected_open else "closed")
    assert decision.local_time == local
    assert decision.local_time.utcoffset() == local.utcoffset()
    assert decision.rule


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ZONES), weekly_spec, instants, st.lists(st.floats(0, 1), max_size=8))
def test_next_change_is_the_first_change(
    zone: str,
    spec: dict[str, list[tuple[int, int]] | None],
    at: datetime,
    fractions: list[float],
) -> None:
    schedule = build(zone, spec)
    current = evaluate(schedule, at).outcome
    horizon = timedelta(days=3)
    change = next_change(schedule, at, horizon=horizon)
    end = change if change is not None else at + horizon
    if change is not None:
        assert at < change <= at + horizon
        assert evaluate(schedule, change).outcome != current
        assert evaluate(schedule, change - timedelta(microseconds=1)).outcome == current
    # Sampled instants before the change keep the current outcome.
    for f in fractions:
        t = at + (end - at) * f
        if t < end:
            assert evaluate(schedule, t).outcome == current


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ZONES), weekly_spec)
def test_json_round_trip(zone: str, spec: dict[str, list[tuple[int, int]] | None]) -> None:
    schedule = build(zone, spec)
    data = json.loads(json.dumps(schedule.to_json()))
    assert Schedule.from_json(data) == schedule
    assert Schedule.from_json(data).to_json() == schedule.to_json()


json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 30)
    | st.text(max_size=12)
    | st.sampled_from(["closed", "08:00-20:00", "mon-fri", "2026-12-24", "12-25", "CN"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["mon", "sat,sun", "2026-01-01..2026-01-03"]),
            children,
            max_size=3,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "timezone": st.sampled_from(["UTC", "Europe/London", "Nowhere"]) | json_like,
            "weekly": json_like,
            "holidays": json_like
            | st.fixed_dictionaries(
                {}, optional={"calendar": json_like, "closed": json_like, "yearly": json_like}
            ),
            "special": json_like,
            "emergency": json_like,
        },
    )
)
def test_parse_never_raises(raw: dict[str, object]) -> None:
    schedule, issues = parse_schedule("fuzz", raw)
    has_error = any(i.severity == "error" for i in issues)
    assert (schedule is None) == has_error
    assert all(i.code in {"FL401", "FL402", "FL403", "FL404"} for i in issues)
    if schedule is not None:
        evaluate(schedule, datetime(2026, 12, 24, 12, tzinfo=UTC))
