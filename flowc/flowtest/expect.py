"""Judge a finished call against a scenario's expectations.

`check_expectations(result, scenario)` compares a *neutral* result: anything with (attributes
or mapping keys) `path` (node names in the order entered; subflow module nodes as
`<module>.<node>`), `heard` (what the caller heard, one text per prompt), `variables` (the main
flow's variables, sensitive ones masked), `outcome` (a mapping: `kind`, `node` and the outcome's
details such as `queue`, `priority`, `target`, `mailbox`, `cause`, `ended`, `callback`) and
`survey` (answers by question id). The simulator's `SimResult` is one; the runtime's FreeSWITCH
emulator can build another from a live-like call and reuse every check.

Expectations:

| key | passes when |
|---|---|
| `path: [a, b]` | the nodes were entered in this order (others may come between) |
| `path_exact: [a, b, c]` | the path is exactly this |
| `not_visited: [x]` | no listed node was entered |
| `heard: ["欢迎", "再见"]` | each text was heard, in this order (substrings of prompts) |
| `not_heard: [...]` | no prompt contained any of these |
| `variables: {tier: gold}` | each variable has this value at the end |
| `survey: {csat: 4}` | each survey answer is this |
| `outcome: queued` | the outcome kind is this |
| `outcome: {queue: vip}` | the outcome matches every key (see below) |

Outcome keys: the shorthands `queue`, `transfer` (target or logical number), `voicemail`
(mailbox) and `hangup` (cause) check the kind too; `callback: true|false|number`; any other
key (`priority`, `agent`, `mode`, `node`, `ended`, `cause`...) compares the outcome's field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from flowc.flowtest.scenario import Scenario
from flowc.source.document import Span

# outcome kinds in which the flow (not the caller, not a transfer) ended the call
_FLOW_HUNG_UP = frozenset({"hangup", "completed", "error"})


class ResultLike(Protocol):
    """What `check_expectations` reads (a mapping with these keys works too)."""

    @property
    def path(self) -> Sequence[str]: ...

    @property
    def heard(self) -> Sequence[str]: ...

    @property
    def variables(self) -> Mapping[str, Any]: ...

    @property
    def outcome(self) -> Mapping[str, Any]: ...

    @property
    def survey(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Failure:
    """One expectation that did not hold. `step` names it (`expect.outcome.queue`), `where`
    is where it was written (when the scenario came from a file)."""

    step: str
    message: str
    expected: Any = None
    got: Any = None
    where: Span | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "message": self.message,
            "expected": _plain(self.expected),
            "got": _plain(self.got),
            "where": str(self.where) if self.where is not None else None,
        }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def _get(result: Any, name: str) -> Any:
    if isinstance(result, Mapping):
        return result.get(name)
    return getattr(result, name, None)


def same_value(expected: Any, got: Any) -> bool:
    """Equality as an author means it: 12.5 == 12.50, 10 == 10.0, "10" == 10 (YAML quoting
    is not a test failure), true == True."""
    if expected == got and type(expected) is type(got):
        return True
    if isinstance(expected, bool) or isinstance(got, bool):
        if isinstance(expected, bool) and isinstance(got, bool):
            return expected == got
        return str(expected).lower() == str(got).lower()
    if isinstance(expected, int | float) and isinstance(got, int | float):
        return float(expected) == float(got)
    if isinstance(expected, Mapping) and isinstance(got, Mapping):
        return set(expected) == set(got) and all(same_value(expected[k], got[k]) for k in expected)
    if isinstance(expected, list | tuple) and isinstance(got, list | tuple):
        return len(expected) == len(got) and all(
            same_value(a, b) for a, b in zip(expected, got, strict=True)
        )
    if expected is None or got is None:
        return expected is got
    for a, b in ((expected, got), (got, expected)):
        if isinstance(a, str) and isinstance(b, int | float):
            try:
                return float(a) == float(b)
            except ValueError:
                return False
    return str(expected) == str(got)


def _subsequence(wanted: Sequence[str], path: Sequence[str]) -> tuple[bool, int]:
    """(all found in order, index in `wanted` of the first one missing)."""
    pos = 0
    for i, node in enumerate(wanted):
        try:
            pos = list(path).index(node, pos) + 1
        except ValueError:
            return False, i
    return True, len(wanted)


def check_expectations(result: ResultLike | Mapping[str, Any], scenario: Scenario) -> list[Failure]:
    """Every expectation of `scenario` that `result` does not meet (empty: it passed)."""
    e = scenario.expect
    out: list[Failure] = []

    def fail(step: tuple[str | int, ...], message: str, expected: Any, got: Any) -> None:
        name = "expect." + ".".join(str(s) for s in step)
        out.append(Failure(name, message, expected, got, scenario.where("expect", *step)))

    path = [str(n) for n in (_get(result, "path") or ())]
    if e.path is not None:
        ok, missing = _subsequence(e.path, path)
        if not ok:
            node = e.path[missing]
            after = f" after `{e.path[missing - 1]}`" if missing else ""
            why = "was never entered" if node not in path else f"was not entered{after}"
            fail(("path", missing), f"node `{node}` {why}", e.path, path)
    if e.path_exact is not None and path != e.path_exact:
        diverge = next(
            (i for i, (a, b) in enumerate(zip(e.path_exact, path, strict=False)) if a != b),
            min(len(e.path_exact), len(path)),
        )
        fail(
            ("path_exact",),
            f"the path differs from step {diverge + 1} on",
            e.path_exact,
            path,
        )
    for i, node in enumerate(e.not_visited):
        if node in path:
            fail(("not_visited", i), f"node `{node}` was entered", f"not {node}", path)

    heard = [str(h) for h in (_get(result, "heard") or ())]
    if e.heard:
        text = "\n".join(heard)
        pos = 0
        for i, want in enumerate(e.heard):
            found = text.find(want, pos)
            if found < 0:
                where = "at all" if text.find(want) < 0 else "in this order"
                fail(("heard", i), f"the caller never heard {want!r} {where}", want, heard)
                break
            pos = found + len(want)
    for i, unwanted in enumerate(e.not_heard):
        hit = next((h for h in heard if unwanted in h), None)
        if hit is not None:
            fail(("not_heard", i), f"the caller heard {unwanted!r}", f"not {unwanted!r}", hit)

    variables = _get(result, "variables") or {}
    for name, want in e.variables.items():
        if name not in variables:
            fail(("variables", name), f"no variable `{name}`", want, sorted(variables))
        elif not same_value(want, variables[name]):
            fail(("variables", name), f"`{name}` is {variables[name]!r}", want, variables[name])

    survey = _get(result, "survey") or {}
    for qid, want in e.survey.items():
        got = survey.get(qid)
        if qid not in survey or not same_value(want, got):
            fail(("survey", qid), f"survey answer `{qid}` is {got!r}", want, got)

    if e.outcome is not None:
        out += _check_outcome(e.outcome, dict(_get(result, "outcome") or {}), scenario)
    return out


def _describe(outcome: Mapping[str, Any]) -> str:
    if not outcome:
        return "the call did not end"
    details = {k: v for k, v in outcome.items() if k not in ("kind", "node")}
    shown = ", ".join(f"{k}={v}" for k, v in details.items() if v not in (None, "", {}))
    where = f" at `{outcome.get('node')}`" if outcome.get("node") else ""
    return f"{outcome.get('kind')}{where}" + (f" ({shown})" if shown else "")


def _check_outcome(
    want: str | dict[str, Any], got: Mapping[str, Any], scenario: Scenario
) -> list[Failure]:
    out: list[Failure] = []
    kind = got.get("kind")
    said = _describe(got)

    def fail(key: str | None, message: str, expected: Any, value: Any) -> None:
        step = ("outcome",) if key is None else ("outcome", key)
        name = "expect." + ".".join(step)
        out.append(Failure(name, message, expected, value, scenario.where("expect", *step)))

    if isinstance(want, str):
        if kind != want:
            fail(None, f"the call ended {said}", want, kind)
        return out
    shorthands = {"queue": "queued", "transfer": "transferred", "voicemail": "voicemail"}
    for key, value in want.items():
        if key in shorthands:
            if kind != shorthands[key]:
                fail(key, f"the call was not {shorthands[key]}: it ended {said}", value, kind)
                continue
            fld = {"queue": "queue", "transfer": "target", "voicemail": "mailbox"}[key]
            candidates = [got.get(fld)]
            if key == "transfer":
                candidates.append(got.get("number"))
            if not any(same_value(value, c) for c in candidates if c is not None):
                fail(key, f"the call ended {said}", value, got.get(fld))
        elif key == "hangup":
            ended_by_flow = kind in _FLOW_HUNG_UP or got.get("ended") in _FLOW_HUNG_UP
            if not ended_by_flow or not same_value(value, got.get("cause")):
                fail(
                    key,
                    f"the call ended {said}",
                    value,
                    got.get("cause") if ended_by_flow else kind,
                )
        elif key == "callback":
            cb = got.get("callback")
            if value is True:
                if not cb:
                    fail(key, "no callback was booked", value, cb)
            elif value is False:
                if cb:
                    fail(key, f"a callback to {cb} was booked", value, cb)
            elif not same_value(value, cb):
                fail(key, f"the callback booked was {cb!r}", value, cb)
        elif key not in got:
            fail(key, f"the outcome has no `{key}`: it ended {said}", value, None)
        elif not same_value(value, got.get(key)):
            fail(key, f"the call ended {said}", value, got.get(key))
    return out
