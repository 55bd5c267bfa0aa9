"""ASR is started only when the runtime is told the switch has a recogniser (`--asr`); without
one a speech menu is a keys-only menu, and `flowc test --no-asr` predicts exactly that.

Live evidence: every menu with `speech:` ran `detect_speech unimrcp flowc flowc` on a switch
without mod_unimrcp (`Invalid ASR module [unimrcp]!`, live README divergence 8; the runtime's
commands in T01 line 23)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from flowc.cli.main import app
from flowc.flowtest.scenario import Scenario, parse_input
from flowc.interpreter import commands as cmd
from flowc.simulate import Simulator, compile_file
from runtime import translate as tr
from tests.server.fakeswitch import FakeCall, Script
from tests.server.serverkit import compile_bundle, running
from tests.server.test_calls import _settle, nodes

LAB = Path(__file__).parent / "flows" / "lab.yaml"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_bundle(tmp_path_factory.mktemp("bundle") / "build")


def _speech_collect() -> cmd.Collect:
    return cmd.Collect(1, 1, 1, 5000, "", (), (), "flowc_menu", "^[0-9*#]$", 2000, speech=True)


def test_asr_is_off_unless_configured() -> None:
    assert not tr.uses_asr(_speech_collect(), tr.MediaConfig())
    assert tr.uses_asr(_speech_collect(), tr.MediaConfig(asr_engine="unimrcp"))
    assert tr.detect_speech_arg(_speech_collect(), tr.MediaConfig(asr_engine="unimrcp")) == (
        "unimrcp flowc flowc"
    )


def _predicted(inputs: list[str], asr: bool) -> list[str]:
    sc = Scenario(inputs=[parse_input(x) for x in inputs])
    result = Simulator(compile_file(LAB), sc, asr=asr).run()
    return [n for n in result.path if n]


def test_speech_menu_without_asr_is_a_keys_menu_as_predicted(bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> tuple[list[str], list[str], Any]:
        async with running(bundle, tmp_path, asr="") as rt:
            call = FakeCall(
                "127.0.0.1",
                rt.port,
                dest="7000",
                script=Script(inputs=["say sales"]),
                variables={"flowc_flow": "lab"},
            )
            record = await call.run(10)
            await _settle(rt)
            assert rt.journal is not None
            await rt.journal.flush()
            steps = await rt.journal.fetch_steps(call.uuid)
            return [app for app, _ in record.apps], nodes(steps), record

    async def bounded() -> tuple[list[str], list[str], Any]:
        async with asyncio.timeout(30):
            return await scenario()

    apps, path, record = asyncio.run(bounded())
    assert "detect_speech" not in apps
    assert ("set", "fire_asr_events=true") not in record.apps
    # the caller's words are not heard: no input, the menu's on_fail (the memo)
    assert path == ["ask", "memo", "played", "bye"]
    assert _predicted(["say sales"], asr=False)[: len(path)] == path
    # with a recogniser the same words choose the queue (the default prediction)
    assert _predicted(["say sales"], asr=True)[:2] == ["ask", "wait"]


def test_flowc_test_no_asr_option(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    flow = tmp_path / "lab.yaml"
    flow.write_text(LAB.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "lab.test.yaml").write_text(
        "flow: lab.yaml\nscenarios:\n"
        "  - name: spoken choice\n    inputs: [say sales]\n"
        "    queues: {line: timeout}\n"
        "    expect: {path: [ask, wait]}\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    with_asr = runner.invoke(app, ["test", str(tmp_path), "--no-coverage"])
    without = runner.invoke(app, ["test", str(tmp_path), "--no-coverage", "--no-asr"])
    assert with_asr.exit_code == 0, with_asr.output
    assert without.exit_code == 1, without.output
