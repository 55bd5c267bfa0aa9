"""Interpreter defects found by simulating the example flows, kept as regression tests.

1. Subflow parameters and their types (below).
2. Collect prompts: `Collect.invalid_prompt` is the collect's first `no_match` prompt (else its
   first `no_input`), and play_and_get_digits plays it after every failed try, silence included.
   The collect's `no_input` prompts (when it has `no_match` ones) and every prompt after the
   first are never played: bank's "没有收到您的输入，请输入银行卡号。" is never heard; a caller who
   stays silent hears "卡号有误，请重新输入。" instead.

Subflow parameters are not converted to the module's declared `params` types. `bank.yaml`
calls `modules/verify_pin.yaml` with `with: {max_attempts: 3}`; a template without holes is
text, so the module receives the string "3" although it declares `max_attempts: int`. In the
module, `attempts >= max_attempts` then fails ("cannot compare int with string"), is counted as
false, and the PIN check never locks: a caller can try a fourth, fifth ... PIN. Variables set
by `set:` nodes are converted to their declared type (`Call._assign` -> `_coerce`); parameters
(`Call._enter_subflow` -> `_frame_for`) are not.
"""

from __future__ import annotations

from pathlib import Path

from flowc.flowtest import build_scenario
from flowc.simulate import compile_file, compile_text, simulate

MODULE = """
flow: limit
params: {max_attempts: int}
returns: {locked: bool}
variables: {attempts: {type: int, default: 3}}
nodes:
  judge:
    switch: [{if: "attempts >= max_attempts", goto: lock}]
    default: open_up
  lock: {return: {locked: "{true}"}}
  open_up: {return: {locked: "{false}"}}
"""

MAIN = """
flow: caller
variables: {locked: {type: bool, default: false}}
nodes:
  check:
    subflow: limit.yaml
    with: {max_attempts: 3}
    set: {locked: "{result.locked}"}
    next: done
  done: {hangup: null}
"""


def test_subflow_params_get_their_declared_type() -> None:
    flow = compile_text(MAIN, modules={"limit.yaml": MODULE})
    result = simulate(flow, build_scenario({"name": "limit"}))
    notes = [s.why for s in result.trace if s.kind == "note"]
    assert not any("cannot compare" in n for n in notes), notes
    assert result.variables["locked"] is True


def test_bank_pin_check_locks_after_three_wrong_pins() -> None:
    flow = compile_file(Path("examples/bank.yaml"))
    sc = build_scenario(
        {
            "name": "three wrong PINs",
            "at": "2026-10-09 10:00",
            "mocks": {"customer": {"id": "C1"}, "auth": {"valid": False, "status": "wrong"}},
            "inputs": ["press 2", "press 111111#", "press 222222#", "press 333333#", "hangup"],
        }
    )
    result = simulate(flow, sc)
    # After the third wrong PIN the module returns `locked`; the caller hears the lock notice.
    assert "verify_pin.locked" in result.path
    assert result.outcome.get("cause") == "CALL_REJECTED"


COLLECT = """
flow: esc
nodes:
  ask:
    collect:
      into: code
      prompt: "Enter the code."
      min: 4
      max: 4
      retries: 3
      no_input: ["I heard nothing.", "Still nothing: key in 4 digits."]
      no_match: ["That is not a code.", "Codes have 4 digits."]
      on_fail: bye
    next: bye
  bye: {hangup: null}
"""


def test_collect_no_input_prompts_are_played() -> None:
    flow = compile_text(COLLECT)
    result = simulate(flow, build_scenario({"name": "esc", "inputs": ["silence", "press 12#"]}))
    # VoiceXML-style escalation as the language describes it for `no_input` / `no_match`:
    assert result.heard == [
        "Enter the code.",
        "I heard nothing. Enter the code.",
        "That is not a code. Enter the code.",
    ]
