"""A circuit breaker per service binding: a sick CRM costs callers nothing after a few failures.

States::

    closed --(failure_threshold consecutive failures)--> open
    open   --(open_seconds elapsed on the clock)-------> half_open   (checked lazily)
    half_open: exactly one trial request is let through, all others fail fast;
               trial succeeds -> closed, trial fails -> open (the period starts again),
               trial gives no evidence (cancelled, never sent) -> half_open, next one is a trial.

`acquire()` admits a request and returns a `Ticket` (or None: fail fast); the request then
reports exactly once with `release(ticket, healthy)` where `healthy` is True (the service
answered sensibly), False (it failed: timeout, connection error, 5xx, 429) or None (no
evidence either way).  Reports from tickets issued under an older state are ignored, so a
slow request admitted before the breaker opened cannot close it again.

The clock is injected (any monotonic `() -> float` in seconds), so tests move time by hand;
`on_change(old, new)` is called on every state change (for logs and metrics).
Pure and synchronous: used from one event loop, it needs no lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

BreakerState = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class BreakerConfig:
    failure_threshold: int = 5
    open_seconds: float = 10.0

    def __post_init__(self) -> None:
        if self.failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if self.open_seconds < 0:
            raise ValueError("open_seconds cannot be negative")


DEFAULT_BREAKER = BreakerConfig()


@dataclass(frozen=True)
class Ticket:
    generation: int
    trial: bool


class CircuitBreaker:
    def __init__(
        self,
        config: BreakerConfig = DEFAULT_BREAKER,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[BreakerState, BreakerState], None] | None = None,
    ) -> None:
        self.config = config
        self._clock = clock
        self._on_change = on_change
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False
        self._generation = 0

    @property
    def state(self) -> BreakerState:
        self._maybe_half_open()
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def _move(self, to: BreakerState) -> None:
        old = self._state
        self._state = to
        self._generation += 1
        self._trial_in_flight = False
        if old != to and self._on_change is not None:
            self._on_change(old, to)

    def _maybe_half_open(self) -> None:
        if self._state == "open" and self._clock() - self._opened_at >= self.config.open_seconds:
            self._move("half_open")

    def acquire(self) -> Ticket | None:
        self._maybe_half_open()
        if self._state == "closed":
            return Ticket(self._generation, trial=False)
        if self._state == "half_open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return Ticket(self._generation, trial=True)
        return None

    def release(self, ticket: Ticket, healthy: bool | None) -> None:
        if ticket.generation != self._generation:
            return
        if self._state == "closed":
            if healthy is True:
                self._failures = 0
            elif healthy is False:
                self._failures += 1
                if self._failures >= self.config.failure_threshold:
                    self._open()
        elif self._state == "half_open" and ticket.trial:
            if healthy is True:
                self._failures = 0
                self._move("closed")
            elif healthy is False:
                self._open()
            else:
                self._trial_in_flight = False

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._move("open")
