"""Helpers for the journal tests: running coroutines with a time bound, making records."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from runtime.journal import CallEnd, CallRecord, Item, StepRecord

T = TypeVar("T")

TEST_TIMEOUT = 120.0
T0 = datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)


def run(coro: Awaitable[T], timeout: float = TEST_TIMEOUT) -> T:
    """Run `coro` in a new event loop; fail (TimeoutError) after `timeout` seconds."""

    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(bounded())


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait (polling) until `predicate()` is true; TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.01)


def call_items(
    call_id: str, steps: int = 10, instance: str = "rt-1", flow: str = "acme"
) -> list[Item]:
    """The records of one whole call: its CallRecord, `steps` steps and its CallEnd."""
    items: list[Item] = [
        CallRecord(call_id, flow, "sha256:ab12", "+862112345", "+8613800000000", T0, instance)
    ]
    for seq in range(steps):
        items.append(
            StepRecord(
                call_id,
                seq,
                T0 + timedelta(seconds=seq),
                f"node{seq % 4}",
                "menu",
                "start" if seq == 0 else "dtmf",
                input=str(seq % 10),
                outcome="ok",
                duration_ms=seq * 10,
            )
        )
    items.append(CallEnd(call_id, T0 + timedelta(seconds=steps), "hangup", "node0", {"n": steps}))
    return items
