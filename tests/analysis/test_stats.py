"""Flow statistics on small hand-made flows: exact key presses, seconds, endings and loops.

Prompt texts are runs of `x` so their estimated length is exact: 14 characters a second.
"""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from flowc.analysis.prompts import PromptTimer, tts_seconds, wav_seconds
from flowc.analysis.stats import flow_stats
from flowc.model.build import build_flow
from flowc.model.flow import Flow
from flowc.model.nodes import PlayNode
from flowc.pipeline import load_text


def x(seconds: float) -> str:
    """TTS text that takes exactly `seconds` to read (14 characters a second)."""
    return "x" * round(seconds * 14)


def parse(text: str, file: str = "t.yaml") -> Flow:
    flow, diags = build_flow(load_text(text, file))
    assert flow is not None, diags
    return flow


# hello 2 s -> menu1 (3 s, 2 tries, re-prompts 1 s / 2 s) -> key 1 -> menu2 (1 s, 3 tries)
# -> key 3 -> agent. menu1 fails over to the agent; key 2 is self-service information.
TWO_MENUS = f"""\
flow: two_menus
locales: [en-US]
queues: {{q: {{}}}}
nodes:
  hello: {{play: "{x(2)}", next: menu1}}
  menu1:
    menu:
      prompt: "{x(3)}"
      options: {{1: menu2, 2: info}}
      retries: 2
      no_input: "{x(1)}"
      no_match: "{x(2)}"
      on_fail: agent
  menu2:
    menu: {{prompt: "{x(1)}", options: {{3: agent}}, retries: 3, on_fail: bye}}
  info: {{play: "{x(4)}", next: bye}}
  agent: {{queue: q}}
  bye: {{hangup: null}}
"""


def test_text_length_estimates() -> None:
    assert tts_seconds(x(2)) == pytest.approx(2.0)
    assert tts_seconds("您好您好您好您好") == pytest.approx(2.0)  # 4 CJK characters a second
    assert tts_seconds("ab 您好") == pytest.approx(3 / 14 + 2 / 4)
    assert tts_seconds("，。") == pytest.approx(2 / 14)  # punctuation is not a syllable
    assert tts_seconds("{balance}") == pytest.approx(8 / 14)  # a hole reads like 8 characters


def test_menu_depth_presses_and_seconds() -> None:
    s = flow_stats(parse(TWO_MENUS))
    assert s.nodes == 6 and s.reachable == 6 and s.menus == 2
    assert (s.max_menu_depth, s.deepest_menu) == (2, "menu2")
    # Failing menu1 would reach the agent with no key at all, but failing is not a choice.
    assert s.agent_presses == 2
    assert s.agent_press_route == ["hello", "menu1", "menu2", "agent"]
    # Listening once: hello 2 + menu1 3 + menu2 1.
    assert s.seconds_to_agent == {"en-US": pytest.approx(6.0)}
    assert s.agent_routes["en-US"] is not None
    assert s.agent_routes["en-US"].nodes == ["hello", "menu1", "menu2", "agent"]
    # Every retry: menu1 costs 2 x 3 + the worse re-prompt (2) = 8, menu2 3 x 1 = 3, so the
    # route through both menus takes 13 s; failing menu1 over to the agent takes 2 + 8 = 10.
    assert s.worst_seconds_to_agent == {"en-US": pytest.approx(10.0)}
    worst = s.worst_agent_routes["en-US"]
    assert worst is not None
    assert worst.nodes == ["hello", "menu1", "agent"]
    assert worst.costs == [pytest.approx(2.0), pytest.approx(8.0), 0.0]


def test_endings_without_a_person_and_self_service() -> None:
    s = flow_stats(parse(TWO_MENUS))
    assert [(e.node, e.kind) for e in s.no_person_ends] == [("bye", "hangup")]
    assert s.no_person_ends[0].path == ["hello", "menu1", "menu2", "bye"]
    # `info` was chosen from a menu: hanging up after it is self-service.
    assert s.self_service_ends == ["bye"]
    assert s.cycles == []


def test_no_self_service_without_information() -> None:
    text = TWO_MENUS.replace("options: {1: menu2, 2: info}", "options: {1: menu2}")
    s = flow_stats(parse(text.replace('  info: {play: "' + x(4) + '", next: bye}\n', "")))
    assert [e.node for e in s.no_person_ends] == ["bye"]
    assert s.self_service_ends == []


def test_conditions_take_the_slowest_branch_that_still_reaches_a_person() -> None:
    text = f"""\
flow: routed
locales: [en-US]
queues: {{q: {{}}}}
variables: {{tier: string}}
nodes:
  route:
    switch:
      - {{if: 'tier == "gold"', goto: fast}}
      - {{if: 'tier == "none"', goto: closed}}
    default: slow
  fast: {{queue: q}}
  slow: {{play: "{x(2)}", next: slow_q}}
  slow_q: {{queue: q}}
  closed: {{hangup: null, prompt: "{x(5)}"}}
"""
    s = flow_stats(parse(text))
    assert s.seconds_to_agent == {"en-US": pytest.approx(2.0)}
    route = s.agent_routes["en-US"]
    assert route is not None and route.nodes == ["route", "slow", "slow_q"]
    assert s.agent_presses == 0
    assert [e.node for e in s.no_person_ends] == ["closed"]


def test_collect_digits_count_as_key_presses() -> None:
    text = """\
flow: digits
locales: [en-US]
queues: {q: {}}
variables: {acct: string, pin: string}
nodes:
  acct: {collect: {into: acct, prompt: "Account", min: 4, max: 6}, next: pin}
  pin: {collect: {into: pin, prompt: "PIN", min: 6, max: 6}, next: agent}
  agent: {queue: q}
"""
    s = flow_stats(parse(text))
    # 4 digits and the terminator, then 6 digits (complete without a terminator).
    assert s.agent_presses == 5 + 6


def test_subflow_modules_count_their_keys_and_prompts() -> None:
    module = parse(
        f"""\
flow: check
locales: [en-US]
returns: {{ok: bool}}
variables: {{pin: string}}
nodes:
  ask: {{collect: {{into: pin, prompt: "{x(1.5)}", min: 6, max: 6}}, next: done}}
  done: {{return: {{ok: "{{true}}"}}}}
""",
        "m.yaml",
    )
    main = parse(
        f"""\
flow: main
locales: [en-US]
queues: {{q: {{}}}}
nodes:
  hello: {{play: "{x(1)}", next: sub}}
  sub: {{subflow: m.yaml, next: agent}}
  agent: {{queue: q}}
"""
    )
    s = flow_stats(main, {"m.yaml": module})
    assert s.agent_presses == 6
    assert s.seconds_to_agent["en-US"] == pytest.approx(2.5)
    assert s.worst_seconds_to_agent["en-US"] == pytest.approx(1 + 3 * 1.5)
    # Without the module loaded it counts as instant.
    bare = flow_stats(main)
    assert bare.agent_presses == 0 and bare.seconds_to_agent["en-US"] == pytest.approx(1.0)


def test_locales_are_timed_separately() -> None:
    text = """\
flow: bilingual
locales: [zh-CN, en-US]
queues: {q: {}}
nodes:
  hello: {play: {zh-CN: "您好您好您好您好", en-US: "xxxxxxxxxxxxxx"}, next: agent}
  agent: {queue: q}
"""
    s = flow_stats(parse(text))
    assert s.seconds_to_agent == {"zh-CN": pytest.approx(2.0), "en-US": pytest.approx(1.0)}


def test_wav_recordings_count_their_real_length(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    sounds.mkdir()
    with wave.open(str(sounds / "hello.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000 * 3)  # 3 seconds
    assert wav_seconds(sounds / "hello.wav") == pytest.approx(3.0)
    text = """\
flow: recorded
locales: [en-US]
queues: {q: {}}
nodes:
  hello: {play: [{audio: sounds/hello.wav}, {audio: sounds/missing.wav}], next: agent}
  agent: {queue: q}
"""
    flow = parse(text, str(tmp_path / "recorded.yaml"))
    s = flow_stats(flow)
    # 3 s recording + 3 s assumed for the missing one + a 0.3 s pause between the parts.
    assert s.seconds_to_agent["en-US"] == pytest.approx(6.3)
    assert s.estimated_audio == ["sounds/missing.wav"]
    timer = PromptTimer(flow, ("sounds",))
    hello = flow.nodes["hello"]
    assert isinstance(hello, PlayNode)
    assert timer.part_seconds(hello.play.variants[""][0], "en-US") == 3.0


def test_cycles_and_busy_loops() -> None:
    text = """\
flow: loops
locales: [en-US]
queues: {q: {}}
variables: {n: int}
nodes:
  menu:
    menu: {prompt: "1 more, 2 count", options: {1: more, 2: count}, on_fail: agent}
  more: {play: "More.", next: menu}
  count: {set: {n: "{n + 1}"}, next: again}
  again: {goto: count}
  agent: {queue: q}
"""
    s = flow_stats(parse(text))
    assert [(c.nodes, c.waits_for_input) for c in s.cycles] == [
        (["menu", "more"], True),
        (["count", "again"], False),
    ]


def test_no_person_at_all() -> None:
    text = """\
flow: info
locales: [en-US]
nodes:
  hello: {play: "We are open nine to five.", next: bye}
  bye: {hangup: null}
"""
    s = flow_stats(parse(text))
    assert s.agent_presses is None and s.agent_press_route == []
    assert s.seconds_to_agent == {"en-US": None}
    assert [e.node for e in s.no_person_ends] == ["bye"]
    data = s.to_json()
    assert data["worst_agent_routes"] == {"en-US": None}
    assert data["no_person_ends"][0]["path"] == ["hello", "bye"]
