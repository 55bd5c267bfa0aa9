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


SURVEY = """\
flow: s
queues: {ops: {}}
nodes:
  start: {queue: ops, after: ask}
  ask:
    survey:
      - {id: solved, ask: "Was your problem solved? 1 yes, 2 no", scale: yes_no}
      - {id: csat, ask: "Rate us 1 to 5", scale: 1-5}
    next: route
  route:
    switch:
      - {if: "not survey.solved and survey.csat <= 2", goto: sorry}
    default: bye
  sorry: {hangup: null, prompt: "We will call you back."}
  bye: {hangup: null}
"""


def test_yes_no_survey_answers_are_booleans_to_the_checker() -> None:
    assert [d.code for d in check_text(SURVEY, "s.yaml").diagnostics] == []
    wrong = SURVEY.replace("not survey.solved", "survey.solved == 1")
    assert "FL502" in [d.code for d in check_text(wrong, "s.yaml").diagnostics]
