"""Latency bookkeeping shared by the emulator benchmarks (bare ESL baseline and full runtime).

``LatencyRecorder`` measures *event-to-command latency*: the time from the
emulator writing a CHANNEL_EXECUTE_COMPLETE (of an application the runtime
executed) to the emulator receiving the next ``sendmsg`` on that call.  That
is the time the application under test needs to react to a completion, the
quantity a load test of an IVR runtime is about.  ``aio.dial`` feeds it; it
is plain Python (no I/O), so several drivers can share one.

``percentile`` uses linear interpolation between closest ranks (like
``numpy.percentile``'s default); ``Summary`` is what the benchmark prints.
``rss_bytes`` reads a process's resident set size from ``/proc`` (Linux) so
memory per call can be measured without third-party packages.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "LatencyRecorder",
    "PeakRss",
    "Summary",
    "peak_concurrency",
    "percentile",
    "rss_bytes",
    "summarize",
]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values``; NaN when empty."""
    if not values:
        return math.nan
    data = sorted(values)
    if len(data) == 1:
        return data[0]
    pos = (len(data) - 1) * min(max(q, 0.0), 100.0) / 100.0
    lo = math.floor(pos)
    hi = math.ceil(pos)
    if lo == hi:
        return data[lo]
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


@dataclass(frozen=True, slots=True)
class Summary:
    count: int
    mean: float
    p50: float
    p90: float
    p99: float
    max: float

    def ms(self) -> str:
        """``p50 x ms, p99 y ms`` style text (values are seconds)."""
        if not self.count:
            return "n=0"
        return (
            f"n={self.count} p50={self.p50 * 1000:.2f} ms p90={self.p90 * 1000:.2f} ms "
            f"p99={self.p99 * 1000:.2f} ms max={self.max * 1000:.2f} ms"
        )


def summarize(values: Sequence[float]) -> Summary:
    if not values:
        nan = math.nan
        return Summary(0, nan, nan, nan, nan, nan)
    return Summary(
        count=len(values),
        mean=sum(values) / len(values),
        p50=percentile(values, 50),
        p90=percentile(values, 90),
        p99=percentile(values, 99),
        max=max(values),
    )


class LatencyRecorder:
    """Event-to-command latency samples, keyed by call.

    ``completion_sent(call, t)`` marks the moment a completion was written;
    the next ``command_received(call, t)`` on that call turns it into a
    sample.  A completion followed by no command (the call ended) gives no
    sample; a second completion before a command replaces the first (the
    application reacts to the latest one).  ``clock`` is ``time.perf_counter``.
    """

    clock = staticmethod(time.perf_counter)

    def __init__(self) -> None:
        self._pending: dict[Hashable, float] = {}
        self.samples: list[float] = []

    def completion_sent(self, call: Hashable, t: float | None = None) -> None:
        self._pending[call] = self.clock() if t is None else t

    def command_received(self, call: Hashable, t: float | None = None) -> None:
        start = self._pending.pop(call, None)
        if start is not None:
            self.samples.append((self.clock() if t is None else t) - start)

    def call_ended(self, call: Hashable) -> None:
        self._pending.pop(call, None)

    def summary(self) -> Summary:
        return summarize(self.samples)

    def reset(self) -> None:
        self._pending.clear()
        self.samples.clear()


def rss_bytes(pid: int | None = None) -> int:
    """Resident set size of ``pid`` (default: this process) in bytes; 0 if unknown."""
    path = f"/proc/{pid if pid is not None else os.getpid()}/status"
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return 0
    return 0


class PeakRss:
    """Baseline and peak resident set size of a process, sampled on demand."""

    def __init__(self, pid: int | None = None) -> None:
        self.pid = pid
        self.baseline = rss_bytes(pid)
        self.peak = self.baseline

    def sample(self) -> int:
        value = rss_bytes(self.pid)
        if value > self.peak:
            self.peak = value
        return value

    @property
    def growth(self) -> int:
        """Peak minus baseline, in bytes (never negative)."""
        return max(0, self.peak - self.baseline)


def peak_concurrency(intervals: Iterable[tuple[float, float]]) -> int:
    """Largest number of (start, end) intervals open at the same instant."""
    points: list[tuple[float, int]] = []
    for start, end in intervals:
        points.append((start, 1))
        points.append((max(start, end), -1))
    points.sort(key=lambda p: (p[0], p[1]))  # an end before a start at the same instant
    current = best = 0
    for _, delta in points:
        current += delta
        best = max(best, current)
    return best
