"""The canary's outcomes against the stable version's, and what the binding rules decide.

Each version's calls that ended in the window are summed up in `Outcomes`: calls, errors
(`error`, and `lost`: a runtime died mid-call), abandoned (`caller_hangup`), contained (the
flow finished the call itself: `completed`, `hangup`) and the seconds from the call's start to
a person (its first queue or transfer step). Calls ended by a drain (`shutdown`) say nothing
about the version and are not counted.

`decide` is pure: given the rules, both versions' outcomes and how long the canary has run, it
says `rollback` (with the rule that tripped), `promote` or `hold`.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from flowc.model.rollout import RolloutRules

ERROR_OUTCOMES = frozenset({"error", "lost"})
ABANDON_OUTCOMES = frozenset({"caller_hangup"})
CONTAINED_OUTCOMES = frozenset({"completed", "hangup"})
NOT_COUNTED = frozenset({"shutdown"})

Action = Literal["hold", "promote", "rollback"]


@dataclass
class Outcomes:
    """One version's calls in the window."""

    calls: int = 0
    errors: int = 0
    abandoned: int = 0
    contained: int = 0
    to_person_s: list[float] = field(default_factory=list)

    def add(self, outcome: str, n: int = 1) -> None:
        """`n` calls that ended with `outcome`."""
        if outcome in NOT_COUNTED:
            return
        self.calls += n
        self.errors += n * (outcome in ERROR_OUTCOMES)
        self.abandoned += n * (outcome in ABANDON_OUTCOMES)
        self.contained += n * (outcome in CONTAINED_OUTCOMES)

    def rate(self, measure: str) -> float:
        """`error_rate`, `abandon_rate` or `containment` in percent (0 with no calls)."""
        if not self.calls:
            return 0.0
        count = {
            "error_rate": self.errors,
            "abandon_rate": self.abandoned,
            "containment": self.contained,
        }[measure]
        return 100.0 * count / self.calls

    def median_to_person_s(self) -> float | None:
        return statistics.median(self.to_person_s) if self.to_person_s else None

    def summary(self) -> dict[str, float | int | None]:
        return {
            "calls": self.calls,
            "error_rate": round(self.rate("error_rate"), 2),
            "abandon_rate": round(self.rate("abandon_rate"), 2),
            "containment": round(self.rate("containment"), 2),
            "median_to_person_s": self.median_to_person_s(),
        }


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str


def tally(
    counts: Iterable[tuple[str | None, str, int]],
    to_person: Iterable[tuple[str | None, float]],
    stable: str,
    canary: str,
) -> tuple[Outcomes, Outcomes]:
    """(stable, canary) outcomes from (bundle hash, outcome, calls) counts and (bundle hash,
    seconds to a person) times; other versions (an earlier one, another environment, an
    older runtime that wrote no hash) are left out."""
    out = {stable: Outcomes(), canary: Outcomes()}
    for bundle, outcome, n in counts:
        if bundle in out:
            out[bundle].add(outcome, n)
    for bundle, seconds in to_person:
        if bundle in out:
            out[bundle].to_person_s.append(max(0.0, seconds))
    return out[stable], out[canary]


def decide(rules: RolloutRules, stable: Outcomes, canary: Outcomes, running_s: float) -> Decision:
    """Roll back when a rule trips (once the canary has `min_calls` calls in the window),
    promote when it has run `promote_after` with enough calls and nothing tripped, else hold.

    Each rule compares the canary with the stable version: a rate rule trips when the canary
    is worse by more than its limit in percentage points (for containment: lower), the time
    rule when the canary's median time to a person is longer by more than its limit (with no
    stable calls to a person, the canary's median itself)."""
    if canary.calls < rules.min_calls:
        return Decision("hold", f"{canary.calls} of {rules.min_calls} canary calls in the window")
    for measure, limit in sorted((rules.rate_limits or {}).items()):
        worse = canary.rate(measure) - stable.rate(measure)
        if measure == "containment":
            worse = -worse
        if worse > limit:
            return Decision(
                "rollback",
                f"{measure} {canary.rate(measure):.1f}% on the canary against "
                f"{stable.rate(measure):.1f}% on stable ({canary.calls} and {stable.calls} "
                f"calls): worse by more than {limit:g} points",
            )
    limit_s = rules.time_to_agent_over_s
    canary_median = canary.median_to_person_s()
    if limit_s is not None and canary_median is not None:
        stable_median = stable.median_to_person_s() or 0.0
        if canary_median - stable_median > limit_s:
            return Decision(
                "rollback",
                f"median time to a person {canary_median:.0f}s on the canary against "
                f"{stable_median:.0f}s on stable: longer by more than {limit_s:g}s",
            )
    if running_s >= rules.promote_after_s:
        return Decision(
            "promote",
            f"{canary.calls} canary calls in the window, no rule tripped after {running_s:.0f}s",
        )
    return Decision("hold", f"no rule tripped; promote after {rules.promote_after_s:g}s")
