"""The channel's engine: virtual-time timers (ordered by due time, then by creation) and the
session coroutine, which yields seconds to sleep or ``None`` to wait for a wake-up; sleeps of
a kind (media, hold music) can be cut short by a break, a broadcast or a key."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Literal

from .base import AppGen, Wait

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["Engine", "SleepKind", "Timer"]

SleepKind = Literal["plain", "media", "moh"]


class Timer:
    __slots__ = ("callback", "cancelled", "seq", "when")

    def __init__(self, when: float, seq: int, callback: Callable[[], None]) -> None:
        self.when = when
        self.seq = seq
        self.callback = callback
        self.cancelled = False

    def __lt__(self, other: Timer) -> bool:
        return (self.when, self.seq) < (other.when, other.seq)


class Engine:
    """Timers and the session coroutine of channel ``ch``.

    ``waiting``: what the coroutine waits for (a timed ``sleep`` or a ``wake``); the sleep's
    timer, whether a hang-up interrupts it and its kind are kept while it lasts."""

    def __init__(self, ch: Channel) -> None:
        self.ch = ch
        self.timers: list[Timer] = []
        self.timer_seq = 0
        self.gen: AppGen | None = None
        self.gen_running = False
        self.waiting: Literal["sleep", "wake", None] = None
        self.sleep_timer: Timer | None = None
        self.sleep_interruptible = True
        self.sleep_kind: SleepKind = "plain"

    def schedule(self, when: float, callback: Callable[[], None]) -> Timer:
        self.timer_seq += 1
        t = Timer(when, self.timer_seq, callback)
        heapq.heappush(self.timers, t)
        return t

    def step(self, value: str) -> None:
        gen = self.gen
        if gen is None or self.gen_running:
            return
        self.gen_running = True
        self.waiting = None
        try:
            while True:
                try:
                    wait = gen.send(value) if value != "start" else next(gen)
                except StopIteration:
                    self.gen = None
                    self.ch._check_done()
                    return
                if wait is None:
                    if self.ch.private.msgs and self.ch.conns.parked:
                        value = "msg"
                        continue
                    self.waiting = "wake"
                    return
                self.waiting = "sleep"
                due = self.ch.now + max(wait, 0.0)
                self.sleep_timer = self.schedule(due, self._on_sleep_done)
                return
        finally:
            self.gen_running = False

    def _on_sleep_done(self) -> None:
        self.sleep_timer = None
        if self.waiting == "sleep":
            self.step("ok")

    def wake(self, reason: str) -> None:
        """Resume the session if it waits for a message/event (not a sleep)."""
        if self.waiting == "wake" and not self.gen_running:
            self.step(reason)

    def cut_sleep(self, reason: str, kinds: tuple[SleepKind, ...]) -> bool:
        """End the session's current sleep now if it is of one of ``kinds``."""
        if self.gen_running or self.waiting != "sleep" or self.sleep_kind not in kinds:
            return False
        if self.sleep_timer is not None:
            self.sleep_timer.cancelled = True
            self.sleep_timer = None
        self.step(reason)
        return True

    def interrupt(self) -> None:
        """The channel went down: cut an interruptible sleep or a wait short."""
        if self.gen_running:
            return
        if self.waiting == "sleep" and self.sleep_interruptible:
            if self.sleep_timer is not None:
                self.sleep_timer.cancelled = True
                self.sleep_timer = None
            self.step("hangup")
        elif self.waiting == "wake":
            self.step("hangup")

    def sleep(
        self, seconds: float, interruptible: bool = True, kind: SleepKind = "plain"
    ) -> Generator[Wait, str, str]:
        if interruptible and self.ch.hung_up:
            return "hangup"
        self.sleep_interruptible = interruptible
        self.sleep_kind = kind
        result = yield seconds
        self.sleep_interruptible = True
        self.sleep_kind = "plain"
        return result

    def media_sleep(self, seconds: float) -> Generator[Wait, str, str]:
        """Media playing for ``seconds``: "ok", "break" (CF_BREAK, or the end of a nested
        broadcast's time) or "hangup"."""
        if self.ch.private.cf_break:
            self.ch.private.cf_break = False
            return "break"
        end = self.ch.now + max(seconds, 0.0)
        cut = self.ch.private.media_deadline is not None and self.ch.private.media_deadline < end
        if cut and self.ch.private.media_deadline is not None:
            end = self.ch.private.media_deadline
        result = yield from self.sleep(end - self.ch.now, kind="media")
        if result == "ok" and cut:
            return "break"
        return result
