"""`set: {call.locale: ...}` is the language menu: allowed by lint, honoured by the interpreter."""

from __future__ import annotations

from flowc.flowtest import build_scenario
from flowc.pipeline import check_text
from flowc.simulate import compile_text, simulate

FLOW = """\
flow: lang
locales: [zh-CN, en-US]
queues: {ops: {}}
nodes:
  pick:
    menu:
      prompt: {zh-CN: "中文请按1", en-US: "For English press 2"}
      options: {1: ops, 2: english}
      no_input: {zh-CN: "请选择", en-US: "Please choose"}
      no_match: {zh-CN: "请选择", en-US: "Please choose"}
      on_fail: ops
  english: {set: {call.locale: en-US}, next: hello}
  hello: {play: {zh-CN: "你好", en-US: "Hello"}, next: ops}
  ops: {queue: ops}
"""


def test_setting_call_locale_is_not_an_unknown_variable() -> None:
    assert [d.code for d in check_text(FLOW, "lang.yaml").diagnostics] == []
    other = FLOW.replace("call.locale", "call.lang")
    assert "FL501" in [d.code for d in check_text(other, "lang.yaml").diagnostics]


def test_prompts_switch_language_after_the_choice() -> None:
    result = simulate(compile_text(FLOW), build_scenario({"name": "en", "inputs": ["press 2"]}))
    assert result.heard[-1] == "Hello"
