"""The journal's steps come from the interpreter's typed records, in the order they happen."""

from __future__ import annotations

from pathlib import Path

from fakeswitch import Script
from serverkit import compile_bundle, running
from test_calls import call_through, go, nodes

TINY = """\
flowc: 1
flow: tiny
entry: ask
locale: en-US
locales: [en-US]
variables:
  pin: {type: string, default: "", sensitive: true}
nodes:
  ask:
    menu:
      prompt: "Press 1 to enter your PIN, 2 to leave."
      options: {1: pin, 2: done}
      retries: 1
      timeout: 2s
      on_fail: done
  pin:
    collect:
      {into: pin, prompt: "Your PIN.", min: 4, max: 4, terminator: "#", retries: 1, on_fail: done}
    next: done
  done: {hangup: NORMAL_CLEARING}
"""


def _bundle(tmp_path: Path) -> Path:
    src = tmp_path / "flows"
    src.mkdir()
    (src / "tiny.yaml").write_text(TINY, encoding="utf-8")
    return compile_bundle(tmp_path / "build", src)


def test_node_entered_in_the_batch_that_ends_the_call_is_journaled(tmp_path: Path) -> None:
    """`done` (a hang-up without a prompt) is entered in the same batch as `End`: its step is
    written and the menu's step says where the call went and what the caller pressed."""

    async def scenario() -> None:
        async with running(_bundle(tmp_path), tmp_path, env=None) as rt:
            script = Script(inputs=["press 2"])
            _, _, row, steps = await call_through(rt, script, variables={"flowc_flow": "tiny"})
            assert row["outcome"] == "hangup"
            assert nodes(steps) == ["ask", "done"]
            assert [s["seq"] for s in steps] == [1, 2]
            assert steps[0]["input"] == "2" and steps[0]["outcome"] == "done"
            assert steps[0]["why"] == "start"
            assert steps[1]["why"].startswith("key 2")
            assert steps[1]["kind"] == "hangup" and steps[1]["outcome"] == "hangup"

    go(scenario())


def test_sensitive_input_is_masked_in_its_step(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(_bundle(tmp_path), tmp_path, env=None) as rt:
            script = Script(inputs=["press 1", "press 4321#"])
            _, _, row, steps = await call_through(rt, script, variables={"flowc_flow": "tiny"})
            assert nodes(steps) == ["ask", "pin", "done"]
            assert steps[1]["input"] == "****" and steps[1]["sensitive"]
            assert steps[0]["input"] == "1" and not steps[0]["sensitive"]
            assert "4321" not in repr(steps) and "4321" not in repr(row)

    go(scenario())
