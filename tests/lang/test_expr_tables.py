"""The expression parser starts from stored LALR tables (flowc/lang/expr/parser_tables.py):
they must come from the current grammar and parse exactly like tables analysed afresh."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lark import Lark
from lark.exceptions import UnexpectedInput

from flowc.lang.expr import parser as expr_parser
from flowc.lang.expr import parser_tables

ROOT = Path(__file__).resolve().parents[2]

TEXTS = [
    "a or b and c",
    "not a == b",
    "-x ** 2 if y else [1, 2.5, 'three', null, true]",
    "len(name) > 3 and name startswith 'A'",
    "caller.number matches '^\\\\+86'",
    "x in [1, 2] and y not in ['a']",
    "f(g(1), h())",
    "tier = 'gold'",
    "a && b",
    "a || b",
    "!a",
    "a == b == c",
    "a if b",
    "(a",
    "a)",
    "'unclosed",
    "a +",
    "1 2",
    "a ? b",
]


def _outcome(parser: Lark, text: str) -> Any:
    try:
        return ("ok", parser.parse(text))
    except UnexpectedInput as exc:
        return ("error", type(exc).__name__, exc.pos_in_stream, exc.line, exc.column)
    except Exception as exc:  # the post-lexer raises ExprError for mistake tokens
        return ("raised", type(exc).__name__, str(exc))


def test_stored_tables_come_from_the_current_grammar() -> None:
    assert expr_parser.tables_current(
        parser_tables.GRAMMAR_SHA256, parser_tables.LARK_VERSION, expr_parser.grammar_text()
    ), "run: python scripts/gen_expr_tables.py"
    # and the parser in use was loaded from them, not analysed at import
    assert expr_parser._LARK.source_path == "<deserialized>"


def test_stale_tables_are_ignored() -> None:
    grammar = expr_parser.grammar_text()
    assert not expr_parser.tables_current(parser_tables.GRAMMAR_SHA256, "0.0", grammar)
    assert not expr_parser.tables_current(
        parser_tables.GRAMMAR_SHA256, parser_tables.LARK_VERSION, grammar + "\n// edited\n"
    )


@pytest.mark.parametrize("text", TEXTS)
def test_stored_tables_parse_like_a_fresh_analysis(text: str) -> None:
    fresh = Lark(
        expr_parser.grammar_text(),
        parser="lalr",
        lexer="contextual",
        maybe_placeholders=False,
        transformer=expr_parser._Builder(),
        postlex=expr_parser._LexMistakes(),
    )
    assert _outcome(expr_parser._LARK, text) == _outcome(fresh, text)


def test_generator_check_passes() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_expr_tables.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
