"""Adaptive menus (issue 16): options by condition, order by rank and favourite, renumbering,
the prompt assembled from the offered options' fragments, the visible keys as valid input,
and the call's `escalate` budget across menus and collects."""

from __future__ import annotations

import re

from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.interpreter.call import ANY_KEY
from tests.interpreter.flowkit import Driver, only, program

FLOW = """
flow: adapt
locales: [en-US, zh-CN]
agent_key: {key: "0", goto: agent}
variables:
  plan: {type: string, default: mobile}
  favourite: {type: string, default: ""}
  repairs: {type: int, default: 0}
queues: {general: {}}
nodes:
  start: {set: {plan: "{plan}"}, next: main}
  main:
    menu:
      prompt: {en-US: "Welcome.", zh-CN: "欢迎。"}
      first: "{favourite}"
      options:
        1: {goto: bill, say: {en-US: "Billing, press {key}.", zh-CN: "话费请按{key}。"}}
        2:
          - goto: repair
            when: 'plan == "broadband"'
            rank: "0 - repairs"
            say: {en-US: "Repair, press {key}.", zh-CN: "报修请按{key}。"}
          - goto: data
            when: 'plan != "broadband"'
            say: {en-US: "Data, press {key}.", zh-CN: "流量请按{key}。"}
        3: {goto: roam, say: {en-US: "Roaming, press {key}.", zh-CN: "漫游请按{key}。"}}
      on_fail: agent
  bill: {hangup: null}
  repair: {hangup: null}
  data: {hangup: null}
  roam: {hangup: null}
  agent: {queue: general}
"""


def _flow(**replace: str) -> str:
    text = FLOW
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


def _call(flow: str, **variables: object) -> tuple[Driver, cmd.Collect]:
    prog = program(flow)
    d = Driver(prog)
    d.start()
    for name, value in variables.items():
        d.call._frame.variables[name] = value
    return d, only(d.send(ev.Answered), cmd.Collect)


def texts(c: cmd.Collect) -> list[str]:
    return [i.text for i in c.prompt]


def test_hidden_option_is_neither_heard_nor_accepted() -> None:
    d, c = _call(FLOW, plan="mobile")
    assert texts(c) == ["Welcome.", "Billing, press 1.", "Data, press 2.", "Roaming, press 3."]
    assert c.regex == "^[1230]$"
    d.send(ev.Digits, digits="2")
    assert d.call.node == "data"


def test_broadband_callers_get_repair_on_the_same_key() -> None:
    d, c = _call(FLOW, plan="broadband")
    # ranked (0 - repairs): offered first, on its own key 2 (keys stay fixed)
    assert texts(c)[1] == "Repair, press 2."
    assert "Data" not in " ".join(texts(c))
    assert c.regex == "^[2130]$"
    d.send(ev.Digits, digits="2")
    assert d.call.node == "repair"


def test_unranked_options_keep_the_written_order_after_ranked_ones() -> None:
    flow = _flow(**{'rank: "0 - repairs"': 'rank: "repairs"'})
    flow = flow.replace("3: {goto: roam,", '3: {goto: roam, rank: "1",')
    _, c = _call(flow, plan="broadband", repairs=3)
    assert texts(c) == [
        "Welcome.",
        "Roaming, press 3.",
        "Repair, press 2.",
        "Billing, press 1.",
    ]


def test_favourite_comes_first() -> None:
    _, c = _call(FLOW, favourite="roam")
    assert texts(c)[1] == "Roaming, press 3."


def test_renumber_gives_keys_in_offered_order_skipping_the_agent_key() -> None:
    flow = _flow(**{'first: "{favourite}"': 'first: "{favourite}"\n      renumber: true'})
    d, c = _call(flow, favourite="roam", plan="mobile")
    assert texts(c) == ["Welcome.", "Roaming, press 1.", "Billing, press 2.", "Data, press 3."]
    assert c.regex == "^[1230]$"
    d.send(ev.Digits, digits="1")
    assert d.call.node == "roam"


def test_fragments_follow_the_locale() -> None:
    prog = program(FLOW)
    from flowc.interpreter.call import CallInfo

    d = Driver(prog, CallInfo("+8613800000000", "", "5000", locale="zh-CN"))
    d.start()
    c = only(d.send(ev.Answered), cmd.Collect)
    assert texts(c) == ["欢迎。", "话费请按1。", "流量请按2。", "漫游请按3。"]


def test_an_offer_decision_names_shown_and_hidden_options() -> None:
    d, _ = _call(FLOW, plan="mobile")
    offers = [s for s in d.call.trace if s.kind == "decision" and "shown" in s.detail]
    assert offers[0].detail["shown"] == ["key 1", "key 2#2", "key 3"]
    assert offers[0].detail["hidden"] == ["key 2#1"]


def test_a_key_not_offered_is_a_no_match() -> None:
    d, _ = _call(FLOW, plan="mobile")
    out = d.send(ev.Digits, digits="7", result="failure")
    assert d.call.node == "main"
    assert only(out, cmd.Collect).regex == "^[1230]$"


def test_no_visible_option_goes_to_on_fail() -> None:
    flow = """
flow: empty
agent_key: {key: "0", goto: agent}
variables: {vip: {type: bool, default: false}}
queues: {general: {}}
nodes:
  main:
    menu:
      prompt: "Hello."
      options:
        1: {goto: vip_desk, when: vip, say: "VIP desk, press {key}."}
      on_fail: agent
  vip_desk: {hangup: null}
  agent: {queue: general}
"""
    d = Driver(program(flow))
    d.start()
    out = d.send(ev.Answered)
    assert d.call.node == "agent"
    assert any(isinstance(c, cmd.MenuEmpty) for c in out)


def test_fixed_menus_keep_any_key_as_valid_input() -> None:
    flow = """
flow: fixed
nodes:
  main: {menu: {prompt: "1 or 2", options: {1: a, 2: b}}}
  a: {hangup: null}
  b: {hangup: null}
"""
    d = Driver(program(flow))
    d.start()
    assert only(d.send(ev.Answered), cmd.Collect).regex == ANY_KEY


ESCALATE = """
flow: struggle
escalate: {after_failures: 3, goto: agent}
queues: {general: {}}
nodes:
  main:
    menu:
      prompt: "Press 1 for your account."
      options: {1: pin}
      retries: 5
  pin:
    collect: {into: pin, prompt: "Your PIN?", min: 4, max: 4, retries: 5}
    next: done
  done: {hangup: null}
  agent: {queue: general}
"""


def test_escalate_counts_failures_across_menus_and_collects() -> None:
    d = Driver(program(ESCALATE))
    d.start()
    d.send(ev.Answered)
    d.send(ev.Digits, digits="", result="timeout")  # menu no-input: 1
    d.send(ev.Digits, digits="1")
    assert d.call.node == "pin"
    d.send(ev.Digits, digits="12", result="success")  # too short: no-match, 2
    out = d.send(ev.Digits, digits="", result="timeout")  # no-input, 3: escalate
    assert d.call.node == "agent"
    journal = [c for c in out if isinstance(c, cmd.Escalated)]
    assert journal == [cmd.Escalated("pin", 3, "agent")]
    assert journal[0].to_json()["data"] == {"node": "pin", "failures": 3, "target": "agent"}
    reasons = [s.why for s in d.call.trace if s.kind == "decision"]
    assert any(re.search(r"3 failed inputs in this call: escalate to `agent`", r) for r in reasons)


def test_escalate_fires_once_per_call() -> None:
    flow = ESCALATE.replace("  agent: {queue: general}", "  agent: {goto: main}")
    d = Driver(program(flow))
    d.start()
    d.send(ev.Answered)
    for _ in range(3):
        d.send(ev.Digits, digits="", result="timeout")
    assert d.call.node == "main"  # escalated to `agent`, which goes back to the menu
    escalations = [s for s in d.call.trace if s.kind == "decision" and "escalate" in s.detail]
    for _ in range(3):
        d.send(ev.Digits, digits="", result="timeout")
    assert len([s for s in d.call.trace if s.kind == "decision" and "escalate" in s.detail]) == 1
    assert len(escalations) == 1


MODULE = """
flow: pin_check
params: {account: string}
returns: {ok: bool}
nodes:
  ask:
    collect: {into: pin, prompt: "PIN?", min: 4, max: 4, retries: 5}
    next: done
  done: {return: {ok: "true"}}
"""

MAIN = """
flow: main
escalate: {after_failures: 2, goto: agent}
queues: {general: {}}
nodes:
  check: {subflow: modules/pin.yaml, with: {account: "1"}, next: bye}
  bye: {hangup: null}
  agent: {queue: general}
"""


def test_escalation_inside_a_subflow_leaves_the_module() -> None:
    d = Driver(program(MAIN, {"modules/pin.yaml": MODULE}))
    d.start()
    d.send(ev.Answered)
    assert d.call.node == "ask"
    d.send(ev.Digits, digits="", result="timeout")
    out = d.send(ev.Digits, digits="", result="timeout")
    assert d.call.node == "agent"  # the main flow's node, not the module's
    assert any(isinstance(c, cmd.Enqueue) for c in out)
    assert len(d.call._frames) == 1


def test_a_spoken_keyword_does_not_reach_a_hidden_option() -> None:
    """Speech is tied to the options that go where a word goes: "repair" is a word only while
    the repair option is offered; "agent" (no option goes there) is a word for everybody."""
    speech = (
        "      on_fail: agent\n"
        "      speech: {repair: repair, 'broadband fault': repair, data: data, agent: agent}\n"
    )
    flow = _flow(**{"      on_fail: agent\n": speech})
    d, c = _call(flow, plan="mobile")
    assert c.speech and c.speech_keywords == ("data", "agent")
    d.send(ev.SpeechResult, text="Repair")
    assert d.call.node == "main"  # a no-match, as for a key that is no option
    assert any("no keyword in 'Repair'" in t.why for t in d.call.trace)
    c = only(d.send(ev.SpeechResult, text="my broadband fault please"), cmd.Collect)
    assert d.call.node == "main" and c.speech_keywords == ("data", "agent")
    d.send(ev.SpeechResult, text="data")
    assert d.call.node == "data"

    d, c = _call(flow, plan="broadband")
    assert c.speech_keywords == ("repair", "broadband fault", "agent")
    d.send(ev.SpeechResult, text="broadband fault")
    assert d.call.node == "repair"

    d, _ = _call(flow, plan="mobile")
    d.send(ev.SpeechResult, text="agent")
    assert d.call.node == "agent"


def test_an_option_on_the_agent_key_is_not_offered_unless_renumbered() -> None:
    """FL301's adaptive case: the agent key keeps its meaning, the option is hidden; with
    `renumber` the option is offered on a free key."""
    flow = _flow(**{"        3: {goto: roam,": "        0: {goto: roam,"})
    d = Driver(program(flow, lint=False))  # the checker refuses it (FL301)
    d.start()
    c = only(d.send(ev.Answered), cmd.Collect)
    assert texts(c) == ["Welcome.", "Billing, press 1.", "Data, press 2."]
    assert c.regex == "^[120]$"
    assert any("key 0 is this menu's agent or repeat key" in t.why for t in d.call.trace)
    d.send(ev.Digits, digits="0")
    assert d.call.node == "agent"

    renumbered = flow.replace(
        '      first: "{favourite}"\n', '      first: "{favourite}"\n      renumber: true\n'
    )
    d, c = _call(renumbered, plan="mobile")
    assert texts(c) == ["Welcome.", "Billing, press 1.", "Data, press 2.", "Roaming, press 3."]
    d.send(ev.Digits, digits="3")
    assert d.call.node == "roam"
