"""The values a look-up takes and gives: plain frozen data, no behaviour."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias


@dataclass(frozen=True)
class LookupRequest:
    """One `fetch` of a flow's service, with the call data already interpolated.

    `url` and the header values may still hold `${NAME}` references: the client fills them
    from its environment (secrets never pass through the interpreter).  `service` is the
    flow's logical service name; together with `flow` it names the binding
    (`<flow>.<service>`), which is the unit of circuit breaking, concurrency and stats.
    """

    service: str
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None
    timeout_ms: int = 2000
    retries: int = 0
    flow: str = ""


@dataclass(frozen=True)
class LookupOk:
    """A 2xx answer whose body parsed as JSON (`None` for HEAD, 204 and 205)."""

    status: int
    body: Any
    elapsed_ms: float
    attempts: int


@dataclass(frozen=True)
class LookupFailed:
    """Anything else.  `detail` is for logs and operators: secrets and query strings are masked.

    `reason` picks the flow's continuation: "timeout" -> `on_timeout`, "error" -> `on_error`.
    `status` is the HTTP status when the server answered, else None.
    """

    reason: Literal["timeout", "error"]
    detail: str
    status: int | None
    elapsed_ms: float
    attempts: int


LookupResult: TypeAlias = LookupOk | LookupFailed
