"""HTTP look-ups for the `fetch` node: async, bounded, never blocking other calls.

``LookupClient.fetch(LookupRequest) -> LookupOk | LookupFailed`` never raises (except
``asyncio.CancelledError``).  Per service binding (``<flow>.<service>``): a circuit breaker
(``breaker``), a concurrency bound, and counters (``stats()``).  Secrets (``${NAME}`` from
the environment) are substituted late and masked everywhere they could be shown
(``secrets``).  Details of each part are in the module docstrings of ``client``,
``breaker`` and ``secrets``.
"""

from __future__ import annotations

from .breaker import BreakerConfig, BreakerState, CircuitBreaker, Ticket
from .client import (
    IDEMPOTENT,
    MAX_DEADLINE_MS,
    MAX_RESPONSE_BYTES,
    RETRY_STATUSES,
    LookupClient,
)
from .secrets import MissingEnv, Scrubber, display_url, substitute
from .types import LookupFailed, LookupOk, LookupRequest, LookupResult

__all__ = [
    "IDEMPOTENT",
    "MAX_DEADLINE_MS",
    "MAX_RESPONSE_BYTES",
    "RETRY_STATUSES",
    "BreakerConfig",
    "BreakerState",
    "CircuitBreaker",
    "LookupClient",
    "LookupFailed",
    "LookupOk",
    "LookupRequest",
    "LookupResult",
    "MissingEnv",
    "Scrubber",
    "Ticket",
    "display_url",
    "substitute",
]
