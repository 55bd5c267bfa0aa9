"""The `rollout:` rules of a binding file: when `flowc serve` promotes or rolls back a canary.

    rollout:
      window: 10m            # the canary is judged on the calls that ended in the last 10 min
      min_calls: 50          # ... and only once that many of its calls ended in the window
      promote_after: 30m     # promoted once it has run this long with no rule tripped
      rollback_if:           # each compares the canary with the stable version, same window
        error_rate_over: 2%        # canary's error share minus stable's, in points
        abandon_rate_over: 5%      # ... of callers hanging up
        containment_drop_over: 5%  # stable's share of calls the flow finished, minus canary's
        time_to_agent_over: 30s    # canary's median time to a person, minus stable's

Every key is optional (defaults: 10m, 50, 30m, no rollback rule). Durations are a whole number
with `s`, `m` or `h` (or a bare number of seconds); shares are `2%` or a number 0-100. The
parsed form is `RolloutRules`; `parse_rollout` returns it or the problems (path, message, hint),
which `flowc check` reports as FL606 and the runtime as a refused rule set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flowc.diagnostics import did_you_mean

__all__ = ["RATE_RULES", "RolloutRules", "RuleProblem", "parse_duration", "parse_rollout"]

# rule key -> the outcome measure it compares (see runtime.rollout.rules)
RATE_RULES: Mapping[str, str] = {
    "error_rate_over": "error_rate",
    "abandon_rate_over": "abandon_rate",
    "containment_drop_over": "containment",
}
_DURATION_RULES = ("time_to_agent_over",)
_TOP = ("window", "min_calls", "promote_after", "rollback_if")
_MAX_SECONDS = 7 * 24 * 3600
_MAX_MIN_CALLS = 1_000_000

RuleProblem = tuple[tuple[str, ...], str, str]  # (path under `rollout`, message, hint)


@dataclass(frozen=True)
class RolloutRules:
    window_s: float = 600.0
    min_calls: int = 50
    promote_after_s: float = 1800.0
    # measure -> largest allowed excess of the canary over stable, in percentage points
    rate_limits: Mapping[str, float] | None = None
    time_to_agent_over_s: float | None = None

    def describe(self) -> str:
        parts = [
            f"window {self.window_s:g}s",
            f"min_calls {self.min_calls}",
            f"promote_after {self.promote_after_s:g}s",
        ]
        for measure, limit in sorted((self.rate_limits or {}).items()):
            parts.append(f"{measure} +{limit:g} points")
        if self.time_to_agent_over_s is not None:
            parts.append(f"time_to_agent +{self.time_to_agent_over_s:g}s")
        return ", ".join(parts)


_DURATION = re.compile(r"([0-9]{1,9})\s*([smh]?)")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600}


def parse_duration(raw: Any) -> float | None:
    """`30s`, `10m`, `1h`, `90` (seconds) -> seconds; None for anything else (or > a week)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        seconds = float(raw)
    elif isinstance(raw, str) and (m := _DURATION.fullmatch(raw.strip())):
        seconds = float(int(m.group(1)) * _UNIT[m.group(2)])
    else:
        return None
    return seconds if 0 <= seconds <= _MAX_SECONDS else None


def _parse_share(raw: Any) -> float | None:
    """`2%`, `2.5%`, `2` -> percentage points 0..100; None for anything else."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str) and re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,4})?\s*%?", raw.strip()):
        value = float(raw.strip().rstrip("%"))
    else:
        return None
    return value if 0 <= value <= 100 else None


def parse_rollout(raw: Any) -> RolloutRules | list[RuleProblem]:
    """The rules of a `rollout:` mapping, or every problem found in it."""
    problems: list[RuleProblem] = []
    if not isinstance(raw, Mapping):
        return [((), "`rollout` must be a mapping", "e.g. `rollout: {window: 10m, min_calls: 50}`")]
    for key in raw:
        if key not in _TOP:
            hint = did_you_mean(str(key), _TOP) or f"allowed here: {', '.join(_TOP)}"
            problems.append(((str(key),), f"unknown rollout setting `{key}`", hint))
    durations: dict[str, float] = {}
    for key, default in (("window", 600.0), ("promote_after", 1800.0)):
        if key not in raw:
            durations[key] = default
            continue
        seconds = parse_duration(raw[key])
        if seconds is None or (key == "window" and seconds <= 0):
            problems.append(
                (
                    (key,),
                    f"`{key}` {raw[key]!r} is not a duration",
                    "a whole number with s, m or h (e.g. `30s`, `10m`, `1h`), at most a week",
                )
            )
        else:
            durations[key] = seconds
    min_calls = raw.get("min_calls", 50)
    if (
        isinstance(min_calls, bool)
        or not isinstance(min_calls, int)
        or not (1 <= min_calls <= _MAX_MIN_CALLS)
    ):
        problems.append(
            (
                ("min_calls",),
                f"`min_calls` {min_calls!r} is not a number of calls",
                f"a whole number from 1 to {_MAX_MIN_CALLS:,}",
            )
        )
        min_calls = 50
    limits: dict[str, float] = {}
    time_over: float | None = None
    rules = raw.get("rollback_if", {})
    if rules is None:
        rules = {}
    if not isinstance(rules, Mapping):
        problems.append(
            (("rollback_if",), "`rollback_if` must be a mapping", "e.g. `{error_rate_over: 2%}`")
        )
        rules = {}
    known = (*RATE_RULES, *_DURATION_RULES)
    for key, value in rules.items():
        path = ("rollback_if", str(key))
        if key in RATE_RULES:
            share = _parse_share(value)
            if share is None:
                problems.append(
                    (path, f"`{key}` {value!r} is not a share", "a percentage 0-100, e.g. `2%`")
                )
            else:
                limits[RATE_RULES[key]] = share
        elif key in _DURATION_RULES:
            seconds = parse_duration(value)
            if seconds is None:
                problems.append((path, f"`{key}` {value!r} is not a duration", "e.g. `30s`, `2m`"))
            else:
                time_over = seconds
        else:
            hint = did_you_mean(str(key), known) or f"allowed here: {', '.join(known)}"
            problems.append((path, f"unknown rollback rule `{key}`", hint))
    if problems:
        return problems
    return RolloutRules(
        window_s=durations["window"],
        min_calls=min_calls,
        promote_after_s=durations["promote_after"],
        rate_limits=limits,
        time_to_agent_over_s=time_over,
    )
