"""The rollout rules: their schema (FL606) and the decision they make."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flowc.model.rollout import RolloutRules, parse_duration, parse_rollout
from runtime.rollout.rules import Outcomes, decide, tally


def _rules(**raw: object) -> RolloutRules:
    parsed = parse_rollout(raw)
    assert isinstance(parsed, RolloutRules), parsed
    return parsed


def _outcomes(**counts: int) -> Outcomes:
    out = Outcomes()
    for outcome, n in counts.items():
        out.add(outcome, n)
    return out


def test_defaults_and_values() -> None:
    r = _rules()
    assert (r.window_s, r.min_calls, r.promote_after_s) == (600, 50, 1800)
    assert r.rate_limits == {} and r.time_to_agent_over_s is None
    r = _rules(
        window="5m",
        min_calls=20,
        promote_after="1h",
        rollback_if={
            "error_rate_over": "2%",
            "abandon_rate_over": 5,
            "containment_drop_over": "2.5%",
            "time_to_agent_over": "45s",
        },
    )
    assert (r.window_s, r.min_calls, r.promote_after_s) == (300, 20, 3600)
    assert r.rate_limits == {"error_rate": 2, "abandon_rate": 5, "containment": 2.5}
    assert r.time_to_agent_over_s == 45


def test_problems_name_the_key_and_suggest() -> None:
    problems = parse_rollout(
        {
            "windw": "10m",
            "min_calls": 0,
            "promote_after": "soon",
            "rollback_if": {"error_rate_above": "2%", "abandon_rate_over": "150%"},
        }
    )
    assert isinstance(problems, list)
    by_path = {path: (msg, hint) for path, msg, hint in problems}
    assert set(by_path) == {
        ("windw",),
        ("min_calls",),
        ("promote_after",),
        ("rollback_if", "error_rate_above"),
        ("rollback_if", "abandon_rate_over"),
    }
    assert "window" in by_path[("windw",)][1]
    assert "error_rate_over" in by_path[("rollback_if", "error_rate_above")][1]
    assert isinstance(parse_rollout(["window"]), list)
    assert isinstance(parse_rollout({"rollback_if": "error"}), list)


def test_durations() -> None:
    assert parse_duration("30s") == 30
    assert parse_duration("10m") == 600
    assert parse_duration("2h") == 7200
    assert parse_duration(90) == 90
    for bad in ("10 minutes", "-5s", True, 1.5, "8d", "999h"):
        assert parse_duration(bad) is None, bad


def test_holds_below_min_calls() -> None:
    rules = _rules(min_calls=10, promote_after="0s", rollback_if={"error_rate_over": "1%"})
    d = decide(rules, _outcomes(completed=100), _outcomes(error=9), running_s=10_000)
    assert d.action == "hold"


def test_rolls_back_when_worse_than_stable() -> None:
    rules = _rules(min_calls=10, rollback_if={"error_rate_over": "2%"})
    d = decide(rules, _outcomes(completed=97, error=3), _outcomes(completed=9, error=1), 5)
    assert d.action == "rollback"  # 10 % against 3 %: 7 points worse
    assert "error_rate" in d.reason
    # the same canary against a stable version that is as bad: not its fault
    d = decide(rules, _outcomes(completed=90, error=10), _outcomes(completed=9, error=1), 5)
    assert d.action == "hold"


def test_containment_drop_and_time_to_agent() -> None:
    rules = _rules(min_calls=4, rollback_if={"containment_drop_over": "10%"})
    d = decide(rules, _outcomes(completed=10), _outcomes(completed=3, queued=1), 5)
    assert d.action == "rollback"
    rules = _rules(min_calls=2, rollback_if={"time_to_agent_over": "30s"})
    stable, canary = _outcomes(queued=3), _outcomes(queued=2)
    stable.to_person_s += [10.0, 12.0, 14.0]
    canary.to_person_s += [50.0, 60.0]
    assert decide(rules, stable, canary, 5).action == "rollback"
    canary.to_person_s[:] = [20.0, 30.0]
    assert decide(rules, stable, canary, 5).action == "hold"


def test_promotes_after_the_time_with_nothing_tripped() -> None:
    rules = _rules(min_calls=5, promote_after="10m", rollback_if={"error_rate_over": "2%"})
    stable, canary = _outcomes(completed=50), _outcomes(completed=5)
    assert decide(rules, stable, canary, 599).action == "hold"
    assert decide(rules, stable, canary, 600).action == "promote"


def test_shutdown_ends_are_not_counted() -> None:
    out = _outcomes(shutdown=5, completed=1)
    assert out.calls == 1 and out.rate("containment") == 100


def test_tally_by_version() -> None:
    counts: list[tuple[str | None, str, int]] = [("s", "completed", 4), ("c", "error", 2)]
    counts += [("c", "queued", 1), ("old", "error", 9), (None, "error", 3), ("s", "shutdown", 5)]
    times: list[tuple[str | None, float]] = [("c", 12.0), ("old", 99.0), ("s", -1.0)]
    stable, canary = tally(counts, times, "s", "c")
    assert (stable.calls, canary.calls, canary.errors) == (4, 3, 2)
    assert canary.to_person_s == [12.0] and stable.to_person_s == [0.0]


counts = st.integers(min_value=0, max_value=200)


@given(counts, counts, counts, counts, st.integers(0, 20), st.floats(0, 10_000))
def test_decision_properties(
    s_ok: int, s_err: int, c_ok: int, c_err: int, limit: int, running: float
) -> None:
    rules = _rules(min_calls=10, promote_after="30m", rollback_if={"error_rate_over": limit})
    stable, canary = _outcomes(completed=s_ok, error=s_err), _outcomes(completed=c_ok, error=c_err)
    d = decide(rules, stable, canary, running)
    worse = canary.rate("error_rate") - stable.rate("error_rate")
    if canary.calls < 10:
        assert d.action == "hold"
    elif worse > limit:
        assert d.action == "rollback"
    else:
        assert d.action == ("promote" if running >= 1800 else "hold")
    # a canary never gets rolled back for doing better than stable
    if canary.rate("error_rate") <= stable.rate("error_rate"):
        assert d.action != "rollback"
