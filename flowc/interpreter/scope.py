"""The names an expression can read during a call, as the `Mapping` the evaluator wants.

Look-up order for a name: the namespaces first (`caller`, `call`, `result`, `survey`,
`flags`, plus the flattened `caller.number`, `call.did`... and the evaluator's clock and
`in_hours` keys), then the variables of the current flow frame (a subflow module sees its own
variables only). Dotted names under a namespace (`result.customer.tier`) are walked by the
evaluator through nested mappings. `env` is never visible.

One `Namespaces` object per frame, updated in place when `result`, `survey` or the clock
change: no copies per step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from flowc.lang.expr import IN_HOURS_KEY, NOW_KEY

_MISSING = object()


class FrameScope(Mapping[str, object]):
    """Namespaces + variables of one frame."""

    __slots__ = ("ns", "variables")

    def __init__(self, ns: dict[str, Any], variables: dict[str, Any]) -> None:
        self.ns = ns
        self.variables = variables

    def __getitem__(self, key: str) -> object:
        value = self.ns.get(key, _MISSING)
        if value is _MISSING:
            return self.variables[key]
        return value

    def get(self, key: str, default: object = None) -> object:
        # Without the KeyError of `Mapping.get`: the evaluator asks for dotted names
        # (`result.customer.tier`) that are no key, on every step that reads them.
        value = self.ns.get(key, _MISSING)
        if value is _MISSING:
            return self.variables.get(key, default)
        return value

    def __contains__(self, key: object) -> bool:
        return key in self.ns or key in self.variables

    def __iter__(self) -> Iterator[str]:
        yield from self.ns
        yield from (k for k in self.variables if k not in self.ns)

    def __len__(self) -> int:
        return len(self.ns) + sum(1 for k in self.variables if k not in self.ns)


def make_namespaces(
    *,
    caller_number: str,
    caller_name: str,
    did: str,
    call_id: str,
    locale: str,
    flags: Mapping[str, bool],
    survey: dict[str, Any],
    now: datetime,
    in_hours: Callable[[str], bool],
) -> dict[str, Any]:
    caller = {"number": caller_number, "name": caller_name}
    call = {"did": did, "id": call_id, "locale": locale}
    return {
        "caller": caller,
        "caller.number": caller_number,
        "caller.name": caller_name,
        "call": call,
        "call.did": did,
        "call.id": call_id,
        "call.locale": locale,
        "result": None,
        "survey": survey,
        "flags": dict(flags),
        NOW_KEY: now,
        IN_HOURS_KEY: in_hours,
    }


def set_locale(ns: dict[str, Any], locale: str) -> None:
    ns["call"] = {**ns["call"], "locale": locale}
    ns["call.locale"] = locale
