"""The channel's virtual clock: timers ordered by due time (then by creation)."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Timer"]


class Timer:
    __slots__ = ("callback", "cancelled", "seq", "when")

    def __init__(self, when: float, seq: int, callback: Callable[[], None]) -> None:
        self.when = when
        self.seq = seq
        self.callback = callback
        self.cancelled = False

    def __lt__(self, other: Timer) -> bool:
        return (self.when, self.seq) < (other.when, other.seq)
