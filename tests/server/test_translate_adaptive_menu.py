"""An adaptive menu on the switch: one play_and_get_digits with the assembled prompt and the
offered keys as its valid-input regex, built from the keys alone through `fsarg.key_class`."""

from __future__ import annotations

import dataclasses
from typing import Any

from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from runtime import fsarg
from runtime import translate as tr
from tests.interpreter.flowkit import Driver, only, program
from tests.runtime.esl_support import fs_separate_blank

CFG = tr.MediaConfig()

FLOW = """
flow: adapt
locales: [en-US]
agent_key: {key: "0", goto: agent}
variables: {plan: {type: string, default: mobile}}
queues: {general: {}}
nodes:
  main:
    menu:
      prompt: "Welcome."
      repeat_key: "*"
      options:
        1: {goto: bill, say: "Billing, press {key}."}
        2: {goto: repair, when: 'plan == "broadband"', say: "Repair, press {key}."}
        "#": {goto: bill, say: "Or press hash."}
      on_fail: agent
  bill: {hangup: null}
  repair: {hangup: null}
  agent: {queue: general}
"""


def _menu_collect(**variables: Any) -> cmd.Collect:
    d = Driver(program(FLOW))
    d.start()
    d.call._frame.variables.update(variables)
    return only(d.send(ev.Answered), cmd.Collect)


def test_one_pagd_with_the_assembled_prompt_and_the_offered_keys() -> None:
    argv = fs_separate_blank(tr.collect_arg(_menu_collect(), CFG), 11)
    assert argv[5] == "say:Welcome. Billing, press 1. Or press hash."
    assert argv[7] == "flowc_menu"
    assert argv[8] == "^[1#0*]$"  # offered options, then the agent and repeat keys


def test_a_shown_option_adds_its_key() -> None:
    argv = fs_separate_blank(tr.collect_arg(_menu_collect(plan="broadband"), CFG), 11)
    assert argv[5] == "say:Welcome. Billing, press 1. Repair, press 2. Or press hash."
    assert argv[8] == "^[12#0*]$"


def test_key_class_keeps_phone_keys_only_once_each() -> None:
    assert fsarg.key_class("12#0*") == "^[12#0*]$"
    assert fsarg.key_class("1${x}1\n2") == "^[12]$"
    assert fsarg.key_class("") is None


def test_a_menu_regex_is_rebuilt_from_its_keys_or_let_through() -> None:
    c = _menu_collect()
    rebuilt = fs_separate_blank(tr.collect_arg(dataclasses.replace(c, regex="^[1#]$"), CFG), 11)
    assert rebuilt[8] == "^[1#]$"
    # anything else the switch would expand is not sent: any key, the interpreter decides
    hostile = dataclasses.replace(c, regex="^[1${system(id)}]$")
    argv = fs_separate_blank(tr.collect_arg(hostile, CFG), 11)
    assert argv[8] == ".*"
