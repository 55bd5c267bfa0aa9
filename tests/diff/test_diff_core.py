"""diff_flows on scripted changes: each diff names exactly that change and nothing else."""

from __future__ import annotations

from typing import Any

from flowc.diff import FlowDiff, diff_flows
from flowc.model.build import build_flow
from flowc.model.flow import Flow
from flowc.pipeline import load_text

BASE = """\
flow: care
description: Customer care line
locales: [en-US, zh-CN]
agent_key: {key: "0", goto: agents}
queues: {general: {}, billing: {}}
nodes:
  welcome: {play: {en-US: "Welcome.", zh-CN: "欢迎。"}, next: main_menu}
  main_menu:
    menu:
      prompt: {en-US: "1 billing, 2 news, 3 tips, 9 billing team", zh-CN: "账单1，新闻2，提示3"}
      options: {1: billing_menu, 2: news, 3: tips, 9: billing_queue}
      on_fail: agents
  billing_menu:
    menu:
      prompt: {en-US: "1 balance, 2 billing team", zh-CN: "余额1，账单团队2"}
      options: {1: balance, 2: billing_queue}
      agent_key: false
      on_fail: goodbye
  balance: {play: {en-US: "Your balance is ten.", zh-CN: "余额十元。"}, next: goodbye}
  news: {play: {en-US: "Here is the news.", zh-CN: "新闻如下。"}, next: news_more}
  news_more: {play: {en-US: "That was all.", zh-CN: "就这些。"}, next: goodbye}
  tips: {play: {en-US: "Pay by app.", zh-CN: "用应用付款。"}, next: goodbye}
  billing_queue: {queue: billing, priority: 3, after: goodbye}
  agents: {queue: general, after: goodbye}
  goodbye: {hangup: null, prompt: {en-US: "Goodbye.", zh-CN: "再见。"}}
"""


def flow(text: str) -> Flow:
    f, diags = build_flow(load_text(text, "care.yaml"))
    assert f is not None, diags
    return f


def edit(*pairs: tuple[str, str]) -> Flow:
    text = BASE
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    return flow(text)


def summary(d: FlowDiff) -> dict[str, Any]:
    """Everything the diff says, in comparable form (empty sections left out)."""
    out: dict[str, Any] = {
        "added": d.added,
        "removed": d.removed,
        "renamed": d.renamed,
        "changed": {c.node: [(a.path, a.old, a.new) for a in c.changes] for c in d.changed},
        "edges": [(e.source, e.label, e.old_target, e.new_target) for e in d.edges],
        "header": [(a.path, a.old, a.new) for a in d.header],
        "reach": [(r.kind, r.node) for r in d.reach],
    }
    return {k: v for k, v in out.items() if v}


def test_identical_and_cosmetic_edits_are_no_change() -> None:
    assert diff_flows(flow(BASE), flow(BASE)).empty
    cosmetic = edit(
        ("description: Customer care line", "description: Care line (reworded)"),
        (
            '  tips: {play: {en-US: "Pay by app.", zh-CN: "用应用付款。"}, next: goodbye}',
            "  # tips for paying\n  tips:\n    description: payment tips\n    tags: [info]\n"
            '    play:\n      zh-CN: "用应用付款。"\n      en-US: "Pay by app."\n    next: goodbye',
        ),
    )
    d = diff_flows(flow(BASE), cosmetic)
    assert d.empty, summary(d)


def test_add_an_option() -> None:
    new = edit(
        ("3: tips, 9: billing_queue}", "3: tips, 4: hours_info, 9: billing_queue}"),
        ("  goodbye:", '  hours_info: {play: "We are open 9 to 5.", next: goodbye}\n  goodbye:'),
    )
    d = diff_flows(flow(BASE), new)
    assert summary(d) == {
        "added": ["hours_info"],
        "changed": {"main_menu": [("menu.options.4", None, "hours_info")]},
        "edges": [
            ("main_menu", "key 4", None, "hours_info"),
            ("hours_info", "next", None, "goodbye"),
        ],
    }
    assert [(e.source, e.label) for e in d.rewired()] == [("main_menu", "key 4")]


def test_reword_a_prompt() -> None:
    new = edit(('en-US: "Here is the news."', 'en-US: "Here are the headlines."'))
    assert summary(diff_flows(flow(BASE), new)) == {
        "changed": {"news": [("play[en-US]", "Here is the news.", "Here are the headlines.")]}
    }


def test_move_a_branch() -> None:
    new = edit(
        ("3: tips, 9: billing_queue}", "9: billing_queue}"),
        ("{1: balance, 2: billing_queue}", "{1: balance, 2: billing_queue, 3: tips}"),
    )
    assert summary(diff_flows(flow(BASE), new)) == {
        "changed": {
            "main_menu": [("menu.options.3", "tips", None)],
            "billing_menu": [("menu.options.3", None, "tips")],
        },
        "edges": [("billing_menu", "key 3", None, "tips"), ("main_menu", "key 3", "tips", None)],
    }


def test_rename_a_node() -> None:
    new = edit(("next: news_more}", "next: more_news}"), ("  news_more:", "  more_news:"))
    d = diff_flows(flow(BASE), new)
    assert summary(d) == {"renamed": [("news_more", "more_news")]}


def test_rename_nodes_that_refer_to_each_other() -> None:
    loop = (
        '  balance: {play: {en-US: "Your balance is ten.", zh-CN: "余额十元。"}, next: goodbye}',
        '  balance: {play: "Your balance is ten.", next: balance_more}\n'
        "  balance_more:\n"
        '    menu: {prompt: "1 again, 2 done", options: {1: balance, 2: goodbye}}',
    )
    old = edit(loop)
    renamed = BASE.replace(*loop).replace("balance_more", "saldo_more")
    renamed = renamed.replace("{1: balance,", "{1: saldo,").replace("  balance: {", "  saldo: {")
    renamed = renamed.replace(
        "options: {1: balance, 2: goodbye}", "options: {1: saldo, 2: goodbye}"
    )
    d = diff_flows(old, flow(renamed))
    assert summary(d) == {"renamed": [("balance", "saldo"), ("balance_more", "saldo_more")]}


def test_remove_a_node_making_another_unreachable() -> None:
    new = edit(
        ("2: news, ", ""),
        (
            '  news: {play: {en-US: "Here is the news.", zh-CN: "新闻如下。"}, next: news_more}\n',
            "",
        ),
    )
    d = diff_flows(flow(BASE), new)
    assert summary(d) == {
        "removed": ["news"],
        "changed": {"main_menu": [("menu.options.2", "news", None)]},
        "edges": [("main_menu", "key 2", "news", None), ("news", "next", "news_more", None)],
        "reach": [("unreachable", "news_more")],
    }
    assert d.reach[0].message == "`news_more` is no longer reachable"


def test_remove_the_agent_option() -> None:
    new = edit(("{1: balance, 2: billing_queue}", "{1: balance}"))
    d = diff_flows(flow(BASE), new)
    assert summary(d) == {
        "changed": {"billing_menu": [("menu.options.2", "billing_queue", None)]},
        "edges": [("billing_menu", "key 2", "billing_queue", None)],
        "reach": [("agent_lost", "billing_menu")],
    }
    assert d.reach[0].message == "callers can no longer reach an agent from menu `billing_menu`"


def test_attribute_changes_name_the_attribute() -> None:
    new = edit(
        ("priority: 3", "priority: 7"),
        ("agent_key: false", "agent_key: false\n      retries: 2"),
    )
    assert summary(diff_flows(flow(BASE), new)) == {
        "changed": {
            "billing_menu": [("menu.retries", 3, 2)],
            "billing_queue": [("priority", "3", "7")],
        }
    }


def test_header_changes() -> None:
    new = edit(("billing: {}}", "billing: {skill: finance}}"))
    assert summary(diff_flows(flow(BASE), new)) == {
        "header": [("queues.billing.skill", None, "finance")]
    }


def test_kind_change() -> None:
    new = edit(
        (
            '  tips: {play: {en-US: "Pay by app.", zh-CN: "用应用付款。"}, next: goodbye}',
            "  tips: {goto: goodbye}",
        ),
    )
    (c,) = diff_flows(flow(BASE), new).changed
    assert (c.node, c.kind, c.old_kind) == ("tips", "goto", "play")


def test_a_new_file_adds_every_node_and_a_deleted_one_removes_them() -> None:
    d = diff_flows(None, flow(BASE))
    assert d.added == list(flow(BASE).nodes) and not d.removed and not d.reach
    d = diff_flows(flow(BASE), None)
    assert d.removed == list(flow(BASE).nodes) and not d.added
