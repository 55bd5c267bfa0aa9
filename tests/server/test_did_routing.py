"""The generated dialplan reaches the runtime from `flowc_try_<N>`, so the destination number
is not the DID: the runtime routes by `flowc_did` (set by the dialplan) first."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.server.fakeswitch import FakeCall, Script
from tests.server.serverkit import compile_bundle, running


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_bundle(tmp_path_factory.mktemp("bundle") / "build")


@pytest.mark.parametrize(("variables", "served"), [({"flowc_did": "8001"}, True), ({}, False)])
def test_routes_by_flowc_did_after_the_dialplans_transfer(
    bundle: Path, tmp_path: Path, variables: dict[str, str], served: bool
) -> None:
    async def scenario() -> None:
        async with running(bundle, tmp_path) as rt:
            call = FakeCall(
                "127.0.0.1",
                rt.port,
                dest="flowc_try_1",
                script=Script(inputs=["press 2", "press 4321#"]),
                variables=variables,
            )
            record = await call.run(10)
            async with asyncio.timeout(10):
                while rt.drivers:
                    await asyncio.sleep(0.01)
            assert rt.journal is not None
            await rt.journal.flush()
            row = await rt.journal.fetch_call(call.uuid)
            if served:
                assert row is not None and row["flow"]
                assert any(app == "play_and_get_digits" for app, _ in record.apps)
            else:  # no flow for `flowc_try_1`: released to the dialplan, nothing journaled
                assert row is None
                assert not any(app == "play_and_get_digits" for app, _ in record.apps)

    asyncio.run(scenario())
