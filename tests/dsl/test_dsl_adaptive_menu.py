"""Adaptive menus and `escalate` in the text form: the same IR as the YAML form, and the
printer writes them back as `option` blocks and an `escalate` line."""

from __future__ import annotations

from flowc.compiler.ir import canonical_json, compile_flow
from flowc.model.build import build_flow
from flowc.source.dsl.parser import parse_dsl_text
from flowc.source.dsl.printer import to_dsl
from flowc.source.yaml_loader import load_yaml_text

YAML = """\
flow: adapt
locales: [zh-CN, en-US]
agent_key: {key: "0", goto: agent}
escalate: {after_failures: 4, goto: agent}
variables: {plan: string, favourite: string, uses: int}
queues: {general: {}}
nodes:
  main:
    menu:
      prompt: {zh-CN: "您好。", en-US: "Hello."}
      first: "{favourite}"
      renumber: true
      options:
        1: {goto: bill, rank: 2, say: {zh-CN: "查话费请按{key}。", en-US: "Billing, press {key}."}}
        2:
          - goto: repair
            when: 'plan == "broadband"'
            rank: "0 - uses"
            say: {zh-CN: "宽带报修请按{key}。", en-US: "Broadband repair, press {key}."}
          - goto: data
            when: 'plan != "broadband"'
            say: {zh-CN: "流量请按{key}。", en-US: "Data, press {key}."}
      on_fail: agent
  bill: {hangup: NORMAL_CLEARING}
  repair: {hangup: NORMAL_CLEARING}
  data: {hangup: NORMAL_CLEARING}
  agent: {queue: general}
"""

FLOW = """\
flow adapt
locales zh-CN en-US
agent key 0 -> agent
escalate after 4 failures -> agent
var plan: string
var favourite: string
var uses: int
queue general

main: menu
  say zh-CN "您好。" en-US "Hello."
  first "{favourite}"
  renumber on
  option 1 -> bill rank 2 say zh-CN "查话费请按{key}。" en-US "Billing, press {key}."
  option 2 -> repair when 'plan == "broadband"' rank '0 - uses'
    say
      zh-CN "宽带报修请按{key}。"
      en-US "Broadband repair, press {key}."
  option 2 -> data when 'plan != "broadband"'
    say zh-CN "流量请按{key}。" en-US "Data, press {key}."
  on fail -> agent
bill: hangup NORMAL_CLEARING
repair: hangup NORMAL_CLEARING
data: hangup NORMAL_CLEARING
agent: queue general
"""


def _ir(doc: object) -> str:
    flow, diags = build_flow(doc)  # type: ignore[arg-type]
    assert flow is not None, [d.message for d in diags]
    return canonical_json(compile_flow(flow))


def test_both_forms_compile_to_byte_identical_ir() -> None:
    from_yaml = load_yaml_text(YAML, "adapt.yaml")
    from_dsl = parse_dsl_text(FLOW, "adapt.flow")
    assert from_dsl.data == from_yaml.data
    ir = _ir(from_yaml)
    assert ir == _ir(from_dsl)
    assert '"escalate":{"after_failures":4,"goto":"agent"}' in ir
    assert '"renumber":true' in ir


def test_printer_writes_option_blocks_that_parse_back_to_the_same_data() -> None:
    data = load_yaml_text(YAML, "adapt.yaml").data
    text = to_dsl(data)
    assert "escalate after 4 failures -> agent" in text
    assert text.count("option 2 -> ") == 2
    assert "field" not in text  # every setting has its own syntax
    assert parse_dsl_text(text, "again.flow").data == data


def test_menus_without_adaptive_settings_keep_their_ir() -> None:
    doc = load_yaml_text(
        "flow: f\nnodes:\n  m: {menu: {prompt: hi, options: {1: e}}}\n  e: {hangup: null}\n",
        "f.yaml",
    )
    ir = _ir(doc)
    assert "renumber" not in ir and "first" not in ir and "escalate" not in ir
