"""Syntax errors and duplicates: exact code, position, message and hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowc.diagnostics import Diagnostic, FlowcError
from flowc.source.dsl import parser as dsl_parser
from flowc.source.dsl.parser import parse_dsl_text


def error(text: str) -> Diagnostic:
    with pytest.raises(FlowcError) as info:
        parse_dsl_text(text, "t.flow")
    assert len(info.value.diagnostics) == 1, info.value.diagnostics
    return info.value.diagnostics[0]


def errors(text: str) -> list[Diagnostic]:
    with pytest.raises(FlowcError) as info:
        parse_dsl_text(text, "t.flow")
    return info.value.diagnostics


CASES = [
    # (text, line, col, message, hint)
    (
        "flow x\nm: menu\n  1 balance\n",
        3,
        5,
        "missing `->` before `balance`",
        "write an arrow before the node to go to: `-> balance`",
    ),
    (
        "flow x\nh: hours care open identify\n",
        2,
        20,
        "missing `->` before `identify`",
        "write an arrow before the node to go to: `-> identify`",
    ),
    (
        "flow x\nm: menu\n  on fail\n",
        3,
        10,
        "missing `->` and the node to go to",
        "write an arrow and a node name, e.g. `1 -> billing`",
    ),
    (
        "flow x\nm: menu\n  1 => balance\n",
        3,
        5,
        "use `->` for an arrow, not `=>`",
        "write a minus sign and a greater-than sign: `1 -> billing`",
    ),
    (
        "flow x\ns: switch\n  else => main\n",
        3,
        8,
        "use `->` for an arrow, not `=>`",
        "write a minus sign and a greater-than sign: `1 -> billing`",
    ),
    (
        "flow x\nm: menu\n  1 ->\n",
        3,
        5,
        "`->` must be followed by the name of a node",
        "write the node to go to after the arrow: `-> billing`",
    ),
    ("flow x\nstart: mneu\n", 2, 8, "unknown node kind `mneu`", "did you mean `menu`?"),
    (
        "flow x\nstart: reccord msg\n",
        2,
        8,
        "unknown node kind `reccord`",
        "did you mean `record`?",
    ),
    (
        'flow x\nm: play "hello -> x\n',
        2,
        9,
        "this text has no closing quote",
        'end it with " on the same line; write \\n for a line break inside a text',
    ),
    (
        "flow x\nm: menu\n\t1 -> x\n",
        3,
        1,
        "this line is indented with a tab",
        "indent with spaces only; tabs look different in every editor",
    ),
    (
        "flow x\nm: menu\n    1 -> x\n  2 -> y\n",
        4,
        3,
        "this line is indented by 2 spaces, which lines up with no line above",
        "indent it by 4 spaces (like the lines above it) or by 0 (like the line it belongs to)",
    ),
    (
        "flow x\n  entry start\n",
        2,
        1,
        "unexpected indentation",
        "only the settings of a node, schedule, service, variable or prompt are indented under"
        " it; move this line to the left",
    ),
    ("  flow x\n", 1, 1, "the first line of a flow must not be indented", None),
    (
        "flow x\nstart hours care\n",
        2,
        6,
        "missing `:` after the node name `start`",
        "a node starts with its name and a colon: `start: hours ...`",
    ),
    (
        "flow x\nschedul care Asia/Shanghai\n",
        2,
        1,
        "unknown statement `schedul`",
        "did you mean `schedule`?",
    ),
    ("flowx 1\n", 1, 1, "unknown word `flowx`", "did you mean `flow`?"),
    ("flow x\nm: menu\n  retrys 3\n", 3, 3, "unknown word `retrys`", "did you mean `retries`?"),
    (
        'flow x\nm: play ("a" + "b"\n  -> x\n',
        2,
        9,
        "this `(` is never closed",
        "add the closing `)`",
    ),
    (
        "flow x\nm: menu\n  say\n",
        3,
        6,
        "this line needs an indented block below it",
        "write the value on the same line, or indent its lines below it",
    ),
    (
        'flow x\nm: play "a" + "b" barge-in off\n',
        2,
        19,
        "`barge-in` applies to one prompt, not to a list of parts",
        'put it after one part, in parentheses: `(audio "a.wav" barge-in off)`, or make the'
        " prompt a locale map",
    ),
]


@pytest.mark.parametrize(("text", "line", "col", "message", "hint"), CASES)
def test_syntax_errors(text: str, line: int, col: int, message: str, hint: str | None) -> None:
    d = error(text)
    assert (d.code, d.span.file, d.span.line, d.span.col, d.message) == (
        "FL010",
        "t.flow",
        line,
        col,
        message,
    )
    if hint is not None:
        assert d.hint == hint
    else:
        assert d.hint


@pytest.mark.parametrize(("text", "line", "col", "message", "hint"), CASES)
def test_lark_reports_the_same_without_the_fast_path(
    monkeypatch: pytest.MonkeyPatch, text: str, line: int, col: int, message: str, hint: str | None
) -> None:
    monkeypatch.setattr(dsl_parser, "USE_FAST_PATH", False)
    d = error(text)
    assert (d.span.line, d.span.col, d.message) == (line, col, message)


def test_duplicate_node() -> None:
    d = error("flow x\nm: goto n\nn: goto m\nm: goto n\n")
    assert (d.code, d.span.line, d.span.col, d.message) == (
        "FL002",
        4,
        1,
        "node `m` is defined twice",
    )
    assert d.hint == "rename or remove one of them; the first is on line 2"
    assert d.related[0][1].line == 2


def test_duplicate_keys_all_reported() -> None:
    ds = errors(
        "flow x\nflow y\nm: menu\n  timeout 5s\n  1 -> a\n  1 -> b\n  timeout 6s\n"
        'prompt p zh-CN "a" zh-CN "b"\n'
    )
    assert [(d.code, d.span.line, d.span.col, d.message) for d in ds] == [
        ("FL002", 2, 1, "`flow` is given twice in the flow header"),
        ("FL002", 6, 3, "`1` is given twice in node `m`"),
        ("FL002", 7, 3, "`timeout` is given twice in node `m`"),
        ("FL002", 8, 20, "`zh-CN` is given twice in this prompt"),
    ]


def test_duplicate_definitions() -> None:
    d = error('prompt p "a"\nqueue q\nprompt p "b"\n')
    assert (d.code, d.span.line, d.message) == ("FL002", 3, "prompt `p` is defined twice")


def test_unexpected_token_lists_what_is_expected() -> None:
    d = error("flow x\nm: menu\n  1 -> a b\n")
    assert (d.span.line, d.span.col, d.message) == (3, 10, "unexpected `b`")
    assert d.hint is not None and d.hint.startswith("expected ")


def test_deep_nesting_is_a_diagnostic_not_a_crash() -> None:
    # parentheses only group: no depth at all
    doc = parse_dsl_text("flow x\nm: play " + "(" * 3000 + '"a"' + ")" * 3000 + "\n", "t.flow")
    assert doc.data["nodes"]["m"]["play"] == "a"
    d = error("flow x\nm: play " + "[" * 5000 + '"a"' + "]" * 5000 + "\n")
    assert (d.code, d.message) == ("FL010", "this file is nested too deeply to read")


def test_non_utf8_file(tmp_path: Path) -> None:
    f = tmp_path / "bad.flow"
    f.write_bytes(b'flow x\nm: play "\xff"\n')
    with pytest.raises(FlowcError) as info:
        dsl_parser.parse_dsl_file(f, display_name="bad.flow")
    d = info.value.diagnostics[0]
    assert (d.code, d.span.file, d.span.line, d.message) == (
        "FL010",
        "bad.flow",
        2,
        "this file is not UTF-8 text",
    )
