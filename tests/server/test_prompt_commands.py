"""What the runtime sends for prompts, collects and templated transfers, through a whole call
(the fake switch records every app): `say:` prompts get tts_engine/tts_voice first, a mixed
prompt plays its leading file before the collect, a look-up-like value that is not money is
never spoken, a templated transfer target that is not a number is refused - and the offline
prediction takes the same path."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from flowc.flowtest.scenario import Scenario, parse_input
from flowc.simulate import Simulator, compile_file
from runtime import translate as tr
from tests.server.fakeswitch import FakeCall, Record, Script
from tests.server.serverkit import compile_bundle, running
from tests.server.test_calls import _settle, nodes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

MIX = """\
flowc: 1
flow: mix
entry: start
locale: en-US
locales: [en-US]
variables:
  amount: {type: string, default: "${system(id)}"}
  ext: {type: string, default: "{execute_on_answer=system id}user/1000"}
  code: {type: string, default: ""}
nodes:
  start:
    collect:
      into: code
      prompt: [{audio: sounds/chime.wav}, "You owe", {say: {money: "{amount}"}}, "Enter the code."]
      min: 4
      max: 4
      terminator: "#"
      retries: 1
      no_input: "Sorry."
      no_match: "Sorry?"
      on_fail: bye
    next: xfer
  xfer: {transfer: "{ext}", on_fail: bye}
  bye: {hangup: NORMAL_CLEARING, prompt: "Goodbye {code}."}
"""


def _flow_dir(tmp: Path) -> Path:
    src = tmp / "src"
    (src / "sounds").mkdir(parents=True)
    shutil.copy(EXAMPLES / "sounds" / "chime.wav", src / "sounds" / "chime.wav")
    (src / "mix.yaml").write_text(MIX, encoding="utf-8")
    return src


def _call(
    tmp: Path, inputs: list[str]
) -> tuple[Record, list[str], list[dict[str, object]], dict[str, Any]]:
    bundle = compile_bundle(tmp / "build", _flow_dir(tmp))

    async def scenario() -> tuple[Record, list[str], list[dict[str, object]], dict[str, Any]]:
        async with running(bundle, tmp, env=None) as rt:
            call = FakeCall(
                "127.0.0.1",
                rt.port,
                script=Script(inputs=inputs),
                variables={"flowc_flow": "mix"},
            )
            record = await call.run(10)
            await _settle(rt)
            assert rt.journal is not None
            await rt.journal.flush()
            steps = await rt.journal.fetch_steps(call.uuid)
            row = await rt.journal.fetch_call(call.uuid)
            return record, nodes(steps), steps, row

    async def bounded() -> tuple[Record, list[str], list[dict[str, object]], dict[str, Any]]:
        async with asyncio.timeout(30):
            return await scenario()

    return asyncio.run(bounded())


def _predicted(tmp: Path, inputs: list[str]) -> list[str]:
    sc = Scenario(inputs=[parse_input(x) for x in inputs])
    result = Simulator(compile_file(tmp / "src" / "mix.yaml"), sc).run()
    return [n for n in result.path if n]


def test_prompt_and_transfer_commands_of_a_whole_call(tmp_path: Path) -> None:
    record, path, steps, row = _call(tmp_path, ["press 1234#"])
    apps = record.apps
    pagd = [i for i, (app, _) in enumerate(apps) if app == "play_and_get_digits"]
    assert len(pagd) == 1
    before = apps[: pagd[0]]
    # the `say:` prompt's engine and voice are on the channel before the collect
    assert ("set", "tts_engine=flite") in before and ("set", "tts_voice=kal") in before
    # the mixed prompt: its file first, then the text (the money value is refused) in the
    # collect, asked for max + 1 digits because of the terminator
    assert before[-1] == ("playback", "sounds/chime.wav")
    arg = apps[pagd[0]][1]
    assert arg.startswith("4 5 1 ") and "'say:You owe Enter the code.'" in arg
    for app, a in apps:
        assert "${" not in a and "system" not in a, (app, a)
    # the templated target is refused: no bridge, the transfer's on_fail, and why
    assert "bridge" not in [app for app, _ in apps]
    assert path == ["start", "xfer", "bye"] == _predicted(tmp_path, ["press 1234#"])
    assert str(steps[2]["why"]).endswith(f"failed ({tr.REFUSED_TARGET})")
    # the refused money value is journaled with the call's end (its length, not the value)
    assert row["detail"]["refused_say_values"] == [
        {"node": "start", "say_as": "money", "length": len("${system(id)}")}
    ]
