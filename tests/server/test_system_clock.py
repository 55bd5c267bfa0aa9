"""The runtime's wall clock (`runtime.call.host.system_clock`) reads like
`datetime.now().astimezone()`, including across a daylight-saving change."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from runtime.call.host import system_clock


@pytest.fixture
def paris(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    "stamp",
    [
        1_735_689_600.25,  # 2025-01-01, winter (+01:00)
        1_751_328_000.5,  # 2025-07-01, summer (+02:00)
        1_743_296_399.0,  # the second before the spring change
        1_743_296_400.0,  # the change itself
        1_761_440_400.0,  # autumn change
    ],
)
def test_system_clock_matches_astimezone(
    paris: None, monkeypatch: pytest.MonkeyPatch, stamp: float
) -> None:
    assert os.environ["TZ"] == "Europe/Paris"
    monkeypatch.setattr(time, "time", lambda: stamp)
    got = system_clock()
    want = datetime.fromtimestamp(stamp).astimezone()
    assert got == want
    assert got.utcoffset() == want.utcoffset()
    assert got.tzname() == want.tzname()
    assert got.isoformat() == want.isoformat()
