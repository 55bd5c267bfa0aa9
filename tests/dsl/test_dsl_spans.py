"""Spans point into the DSL text: 1-based lines and columns, end exclusive."""

from __future__ import annotations

from flowc.source.document import Span
from flowc.source.dsl.parser import parse_dsl_text

TEXT = """\
flow acme "ACME"
prompt bye
  zh-CN "再见"
  en-US "Goodbye" + audio "bye.wav"

schedule care Asia/Shanghai
  mon-fri 08:00-20:00
  closed 2026-12-31, 2026-10-01..2026-10-07

main: menu
  say "Press 1"
  1 -> billing
  on fail -> main
route: switch
  if tier == "gold"   -> vip
  else -> main
"""


def S(line: int, col: int, end_line: int, end_col: int) -> Span:
    return Span("t.flow", line, col, end_line, end_col)


def test_nested_value_spans() -> None:
    doc = parse_dsl_text(TEXT, "t.flow")
    sp = doc.spans
    ks = doc.key_spans
    # header scalars: the value token; the key is the keyword
    assert sp[("flow",)] == S(1, 6, 1, 10)
    assert ks[("flow",)] == S(1, 1, 1, 5)
    assert sp[("description",)] == S(1, 11, 1, 17)
    # a locale variant inside a prompt block, and a part of a concatenation
    assert ks[("prompts", "bye", "zh-CN")] == S(3, 3, 3, 8)
    assert sp[("prompts", "bye", "zh-CN")] == S(3, 9, 3, 13)
    assert sp[("prompts", "bye", "en-US", 0)] == S(4, 9, 4, 18)
    assert sp[("prompts", "bye", "en-US", 1)] == S(4, 21, 4, 36)
    assert sp[("prompts", "bye", "en-US", 1, "audio")] == S(4, 27, 4, 36)
    assert ks[("prompts", "bye", "en-US", 1, "audio")] == S(4, 21, 4, 26)
    # schedules: list items, a weekly entry, the time zone
    assert sp[("schedules", "care", "timezone")] == S(6, 15, 6, 28)
    assert ks[("schedules", "care", "weekly", "mon-fri")] == S(7, 3, 7, 10)
    assert sp[("schedules", "care", "weekly", "mon-fri")] == S(7, 11, 7, 22)
    assert sp[("schedules", "care", "holidays", "closed", 1)] == S(8, 22, 8, 44)
    # nodes: the node spans from its name to its last setting
    assert ks[("nodes", "main")] == S(10, 1, 10, 5)
    assert sp[("nodes", "main")] == S(10, 1, 13, 18)
    assert ks[("nodes", "main", "menu")] == S(10, 7, 10, 11)
    assert sp[("nodes", "main", "menu", "prompt")] == S(11, 7, 11, 16)
    assert ks[("nodes", "main", "menu", "options", "1")] == S(12, 3, 12, 4)
    assert sp[("nodes", "main", "menu", "options", "1")] == S(12, 8, 12, 15)
    assert ks[("nodes", "main", "menu", "on_fail")] == S(13, 3, 13, 13)
    assert sp[("nodes", "main", "menu", "on_fail")] == S(13, 14, 13, 18)
    # switch rules: the condition without its trailing blanks, the target after the arrow
    assert sp[("nodes", "route", "switch", 0, "if")] == S(15, 6, 15, 20)
    assert sp[("nodes", "route", "switch", 0, "goto")] == S(15, 26, 15, 29)
    assert sp[("nodes", "route", "default")] == S(16, 11, 16, 15)


def test_every_path_has_a_span() -> None:
    doc = parse_dsl_text(TEXT, "t.flow")

    def walk(value: object, path: tuple[str | int, ...]) -> None:
        assert path in doc.spans, path
        if path and isinstance(path[-1], str):
            assert path in doc.key_spans, path
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*path, i))

    walk(doc.data, ())


def test_span_of_falls_back_to_the_nearest_ancestor() -> None:
    doc = parse_dsl_text(TEXT, "t.flow")
    assert (
        doc.span_of(("nodes", "main", "menu", "no_input")) == doc.spans[("nodes", "main", "menu")]
    )
