"""A finished call leaves no reference cycle behind: its driver, interpreter call and ESL
connection are freed by reference counting alone. The runtime makes full garbage
collections rare (`tune_process`), so anything a call left in a cycle would pile up."""

from __future__ import annotations

import asyncio
import gc
import weakref
from pathlib import Path
from typing import Any

import pytest

from runtime import driver as driver_mod
from runtime.server import FULL_GC_EVERY, SWITCH_INTERVAL, tune_process
from tests.server.fakeswitch import FakeCall, Script
from tests.server.serverkit import compile_bundle, running


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_bundle(tmp_path_factory.mktemp("bundle") / "build")


def test_finished_calls_are_freed_without_the_cycle_collector(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refs: list[weakref.ref[Any]] = []
    init = driver_mod.CallDriver.__init__

    def tracking_init(self: driver_mod.CallDriver, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        refs.extend([weakref.ref(self), weakref.ref(self.call), weakref.ref(self.esl)])

    monkeypatch.setattr(driver_mod.CallDriver, "__init__", tracking_init)

    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            # Collects, a look-up that fails (no HTTP server), hang-ups by the flow and by the
            # caller in the middle of an app (its operation is cancelled).
            scripts = [
                Script(inputs=["press 2", "press 4321#"]),  # the whole PIN path
                Script(inputs=["press 2", "hangup"]),  # hangs up in the PIN prompt
                Script(hangup_during="play_and_get_digits"),  # ... in the first menu
            ]
            for script in scripts:
                await FakeCall("127.0.0.1", rt.port, dest="8001", script=script).run(10)
            async with asyncio.timeout(10):
                while rt.drivers:
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)  # let the loop drop its last handles
            assert len(refs) == 9
            alive = [r() for r in refs if r() is not None]
            assert alive == [], f"kept alive: {[type(x).__name__ for x in alive]}"

    gc.collect()
    gc.disable()
    try:
        asyncio.run(scenario())
    finally:
        gc.enable()


def test_tune_process_sets_the_switch_interval_and_rare_full_collections() -> None:
    import sys

    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    try:
        tune_process()
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
        assert gc.get_threshold() == (thresholds[0], thresholds[1], FULL_GC_EVERY)
        assert gc.get_freeze_count() > 0
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*thresholds)
        gc.unfreeze()
