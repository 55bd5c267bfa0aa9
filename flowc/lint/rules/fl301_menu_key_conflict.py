"""FL301 menu-key-conflict: one key (or one spoken word) has two meanings in a menu or collect.

Why: only one of them can win when the caller presses the key. An option on the repeat key
never runs (or the menu never repeats); an option on the global agent key sends callers
somewhere else than the "press 0 for an agent" they were promised everywhere else (in an
adaptive menu the agent and repeat keys win and the option is never offered, unless
`renumber: true` gives it a free key); two
speech keywords that differ only in case or spacing are the same word to the recognizer;
a collect whose terminator is a key its pattern requires can never be completed.

Example::

    agent_key: {key: "0", goto: agent}
    nodes:
      main_menu:
        menu:
          prompt: "..."
          repeat_key: "*"
          options: {1: billing, 0: opening_hours, "*": news}   # 0 and * are taken
          speech: {Billing: billing, " billing": billing}      # the same word twice

Fix: move the option to a free key (or set `agent_key: false` on this menu if it must not
offer an agent), keep one spelling of each keyword, and choose a terminator the pattern
does not need.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext
from flowc.model.flow import AgentKey
from flowc.model.nodes import CollectBody, CollectNode, MenuBody, MenuNode
from flowc.source.document import Path

CODE = "FL301"
NAME = "menu-key-conflict"
SEVERITY = Severity.ERROR

_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


def _required(items: Any) -> set[int]:
    """Characters (code points) every match of a parsed regex must contain."""
    out: set[int] = set()
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            out.add(av)
        elif name == "SUBPATTERN":
            out |= _required(av[-1])
        elif name == "ATOMIC_GROUP":
            out |= _required(av)
        elif name in _REPEATS:
            low, _high, sub = av
            if low >= 1:
                out |= _required(sub)
        elif name == "BRANCH":
            branches = [_required(b) for b in av[1]]
            if branches:
                out |= set.intersection(*branches)
        elif name == "IN" and len(av) == 1 and str(av[0][0]) == "LITERAL":
            out.add(av[0][1])
    return out


def required_chars(pattern: str) -> set[str]:
    """Characters every match of `pattern` contains (empty when it does not compile)."""
    try:
        parser: Any = importlib.import_module("re._parser")
        return {chr(c) for c in _required(parser.parse(pattern))}
    except Exception:  # a bad pattern, or a Python without re._parser: nothing to say
        return set()


def _norm(word: str) -> str:
    return "".join(word.split()).casefold()


def _menu(ctx: LintContext, node_id: str, menu: MenuBody) -> Iterator[Diagnostic]:
    base: Path = ("nodes", node_id, "menu")
    agent = ctx.flow.header.agent_key if menu.agent_key else None
    yield from _option_keys(ctx, base, menu, agent)
    if agent is not None and menu.repeat_key == agent.key:
        yield ctx.diag(
            CODE,
            SEVERITY,
            f"the repeat key {agent.key} is also the agent key (to `{agent.goto}`)",
            (*base, "repeat_key"),
            hint="choose another `repeat_key`, or set `agent_key: false` on this menu",
        )
    seen: dict[str, str] = {}
    for word in menu.speech:
        norm = _norm(word)
        if norm in seen:
            yield ctx.diag(
                CODE,
                SEVERITY,
                f'speech keyword "{word}" is the same word as "{seen[norm]}"',
                (*base, "speech", word),
                key=True,
                hint="the recognizer ignores case and spacing: keep one of them",
            )
        else:
            seen[norm] = word


def _option_keys(
    ctx: LintContext, base: Path, menu: MenuBody, agent: AgentKey | None
) -> Iterator[Diagnostic]:
    """Options written on the repeat key or the agent key."""
    if menu.repeat_key is None and agent is None:
        return  # no key to clash with (most menus)
    # An adaptive menu offers no option on the agent or repeat key (the key keeps its
    # meaning, the option is hidden); with `renumber` the written keys only name options.
    adaptive = menu.adaptive
    entries = () if adaptive and menu.renumber else menu.option_tuple
    for opt in entries:
        key, target = opt.key, opt.goto
        where: Path = (*base, *opt.path)
        if key == menu.repeat_key:
            yield ctx.diag(
                CODE,
                SEVERITY,
                f"key {key} is the repeat key: the option to `{target}` is never offered in"
                " this adaptive menu"
                if adaptive
                else f"key {key} is both the repeat key and an option (to `{target}`)",
                where,
                key=True,
                hint="move the option to a free key (or `renumber: true`), or choose another"
                " `repeat_key`"
                if adaptive
                else "move the option to a free key, or choose another `repeat_key`",
            )
        elif agent is not None and key == agent.key and target != agent.goto:
            yield ctx.diag(
                CODE,
                SEVERITY,
                f"key {key} is the agent key (to `{agent.goto}`), which wins in this adaptive"
                f" menu: the option to `{target}` is never offered"
                if adaptive
                else f"key {key} is the agent key (to `{agent.goto}`) but this menu sends it"
                f" to `{target}`",
                where,
                key=True,
                hint="move the option to a free key (or `renumber: true`), or set"
                " `agent_key: false` on this menu"
                if adaptive
                else "move the option to a free key, or set `agent_key: false` on this menu",
            )


def _collect(ctx: LintContext, node_id: str, body: CollectBody) -> Iterator[Diagnostic]:
    if not body.terminator or not body.pattern:
        return
    clash = sorted(set(body.terminator) & required_chars(body.pattern))
    if clash:
        keys = " and ".join(clash)
        yield ctx.diag(
            CODE,
            SEVERITY,
            f"the terminator {keys} is a key the pattern `{body.pattern}` requires: pressing it"
            " ends the input, so the pattern can never match",
            ("nodes", node_id, "collect", "terminator"),
            hint="choose another terminator (or `terminator: null`), or change the pattern",
        )


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for node_id, node in ctx.flow.nodes.items():
        match node:
            case MenuNode():
                yield from _menu(ctx, node_id, node.menu)
            case CollectNode():
                yield from _collect(ctx, node_id, node.collect)
