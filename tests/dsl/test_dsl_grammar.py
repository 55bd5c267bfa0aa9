"""The grammar's keyword lists stay in sync, and the grammar stays conflict-free LALR(1)."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from lark import Lark, logger

from flowc.source.dsl.parser import GRAMMAR_FILE, parse_dsl_text
from flowc.source.dsl.printer import KEYWORDS, NODE_KINDS, to_dsl

GRAMMAR = GRAMMAR_FILE.read_text(encoding="utf-8")
RULES = "\n".join(line for line in GRAMMAR.splitlines() if not line.lstrip().startswith("//"))


def _words(text: str) -> set[str]:
    return set(re.findall(r'"([a-z_]+)"', text))


def test_every_keyword_is_a_soft_name_and_known_to_the_printer() -> None:
    name_rule = RULES[RULES.index("!name:") :]
    name_rule = name_rule[: name_rule.index("\n\n")]
    keywords = _words(RULES)
    assert _words(name_rule) == keywords
    assert keywords == KEYWORDS


def test_node_kinds_match() -> None:
    kinds = set(re.findall(r'!(\w+)_k: "(\w+)"', RULES))
    assert {k for _, k in kinds} == set(NODE_KINDS)


def test_grammar_has_no_conflicts(caplog: pytest.LogCaptureFixture) -> None:
    logger.setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG, logger="lark"):
            Lark(GRAMMAR, parser="lalr", lexer="contextual", debug=True, maybe_placeholders=False)
    finally:
        logger.setLevel(logging.WARNING)
    assert not [r for r in caplog.records if "conflict" in r.getMessage().lower()]


def _big_flow(n: int) -> dict[str, Any]:
    nodes: dict[str, Any] = {}
    for i in range(n):
        nxt = f"n{(i + 1) % n}"
        match i % 5:
            case 0:
                nodes[f"n{i}"] = {
                    "menu": {
                        "prompt": {"zh-CN": "请按1", "en-US": "Press 1 for billing"},
                        "options": {"1": nxt, "2": f"n{(i + 2) % n}"},
                        "timeout": "5s",
                        "retries": 3,
                        "on_fail": nxt,
                    }
                }
            case 1:
                nodes[f"n{i}"] = {
                    "fetch": "crm",
                    "set": {"tier": "{result.tier}"},
                    "next": nxt,
                    "on_error": nxt,
                }
            case 2:
                nodes[f"n{i}"] = {"switch": [{"if": 'tier == "gold"', "goto": nxt}], "default": nxt}
            case 3:
                nodes[f"n{i}"] = {"play": "Welcome to ACME, your call matters", "next": nxt}
            case _:
                nodes[f"n{i}"] = {
                    "queue": "billing",
                    "priority": 5,
                    "max_wait": "10m",
                    "on_timeout": nxt,
                    "after": nxt,
                }
    return {"flow": "big", "locales": ["zh-CN", "en-US"], "nodes": nodes}


def test_large_flow_parses_to_the_same_data_as_its_yaml_form() -> None:
    # Speed is measured by bench/dsl_parse.py, not asserted here.
    from flowc.source.emit_yaml import to_yaml
    from flowc.source.yaml_loader import load_yaml_text

    data = _big_flow(2000)
    assert parse_dsl_text(to_dsl(data), "big.flow").data == data
    assert load_yaml_text(to_yaml(data), "big.yaml").data == data
