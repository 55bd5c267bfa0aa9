"""Tests for flowc.source.yaml_loader: data, spans, comments and every FL00x diagnostic."""

from __future__ import annotations

import math
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.diagnostics import Diagnostic, FlowcError, Severity
from flowc.source import yaml_loader
from flowc.source.document import Path, SourceDoc, Span
from flowc.source.yaml_loader import load_yaml_file, load_yaml_text

PARSERS = [pytest.param(True, id="libyaml"), pytest.param(False, id="pure-python")]
if not yaml.__with_libyaml__:  # pragma: no cover - depends on the PyYAML build
    PARSERS = [pytest.param(False, id="pure-python")]


@pytest.fixture(params=PARSERS, autouse=True)
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[bool]:
    """Run every test with libyaml and with PyYAML's pure-Python parser."""
    monkeypatch.setattr(yaml_loader, "USE_LIBYAML", request.param)
    yield request.param


def load(text: str | bytes, **kw: Any) -> SourceDoc:
    return load_yaml_text(text, "flow.yaml", **kw)


def errors(text: str | bytes, **kw: Any) -> list[Diagnostic]:
    with pytest.raises(FlowcError) as info:
        load_yaml_text(text, "flow.yaml", **kw)
    diags = info.value.diagnostics
    assert diags, "FlowcError without diagnostics"
    assert all(d.severity is Severity.ERROR for d in diags)
    return diags


def one_error(text: str | bytes, **kw: Any) -> Diagnostic:
    diags = errors(text, **kw)
    assert len(diags) == 1, diags
    return diags[0]


def at(d: Diagnostic) -> tuple[str, int, int]:
    return (d.code, d.span.line, d.span.col)


def pos(span: Span) -> tuple[int, int, int, int]:
    return (span.line, span.col, span.end_line, span.end_col)


def all_paths(data: Any, prefix: Path = ()) -> Iterator[Path]:
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from all_paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from all_paths(v, (*prefix, i))


def check_invariants(doc: SourceDoc) -> None:
    """Every value has a span, every key a key span, and no span points at nothing."""
    paths = set(all_paths(doc.data))
    assert set(doc.spans) == paths
    assert set(doc.key_spans) <= paths
    for p in paths:
        if p and isinstance(p[-1], str):
            assert p in doc.key_spans, p
    assert set(doc.comments) <= paths
    for s in [*doc.spans.values(), *doc.key_spans.values()]:
        assert s.file == doc.file
        assert s.line >= 1 and s.col >= 1
        assert (s.end_line, s.end_col) >= (s.line, s.col)


# -- data and spans ---------------------------------------------------------------------

BLOCK = """\
flow: acme
nodes:
  main_menu:
    menu:
      prompt: "Welcome"
      options:
        1: billing
        2: support
  billing:
    transfer: legal_desk
"""


def test_block_mapping_data_and_spans() -> None:
    doc = load(BLOCK)
    assert doc.data == {
        "flow": "acme",
        "nodes": {
            "main_menu": {
                "menu": {"prompt": "Welcome", "options": {"1": "billing", "2": "support"}}
            },
            "billing": {"transfer": "legal_desk"},
        },
    }
    assert doc.file == "flow.yaml" and doc.text == BLOCK
    s, k = doc.spans, doc.key_spans
    assert pos(k[("flow",)]) == (1, 1, 1, 5)
    assert pos(s[("flow",)]) == (1, 7, 1, 11)
    assert pos(k[("nodes", "main_menu")]) == (3, 3, 3, 12)
    assert pos(k[("nodes", "main_menu", "menu", "prompt")]) == (5, 7, 5, 13)
    assert pos(s[("nodes", "main_menu", "menu", "prompt")]) == (5, 15, 5, 24)  # with quotes
    assert pos(k[("nodes", "main_menu", "menu", "options", "2")]) == (8, 9, 8, 10)
    assert pos(s[("nodes", "main_menu", "menu", "options", "2")]) == (8, 12, 8, 19)
    # a block collection runs from its first key to the end of its last value
    assert pos(s[("nodes", "main_menu", "menu", "options")]) == (7, 9, 8, 19)
    assert pos(s[("nodes",)]) == (3, 3, 10, 25)
    assert pos(s[()]) == (1, 1, 10, 25)
    assert str(s[("nodes", "billing", "transfer")]) == "flow.yaml:10:15"
    check_invariants(doc)


def test_flow_style_spans() -> None:
    doc = load('a: {b: 1, "c": [x, {d: yes}]}\n')
    assert doc.data == {"a": {"b": 1, "c": ["x", {"d": True}]}}
    s, k = doc.spans, doc.key_spans
    assert pos(s[("a",)]) == (1, 4, 1, 30)
    assert pos(k[("a", "b")]) == (1, 5, 1, 6)
    assert pos(s[("a", "b")]) == (1, 8, 1, 9)
    assert pos(k[("a", "c")]) == (1, 11, 1, 14)
    assert pos(s[("a", "c")]) == (1, 16, 1, 29)
    assert pos(s[("a", "c", 0)]) == (1, 17, 1, 18)
    assert pos(s[("a", "c", 1)]) == (1, 20, 1, 28)
    assert pos(k[("a", "c", 1, "d")]) == (1, 21, 1, 22)
    assert pos(s[("a", "c", 1, "d")]) == (1, 24, 1, 27)
    check_invariants(doc)


def test_block_list_items() -> None:
    doc = load("switch:\n  - if: x == 1\n    goto: one\n  - plain\n  -\n    - nested\n")
    assert doc.data == {"switch": [{"if": "x == 1", "goto": "one"}, "plain", ["nested"]]}
    s, k = doc.spans, doc.key_spans
    assert pos(s[("switch",)]) == (2, 3, 6, 13)
    assert pos(s[("switch", 0)]) == (2, 5, 3, 14)
    assert pos(k[("switch", 0, "goto")]) == (3, 5, 3, 9)
    assert pos(s[("switch", 0, "goto")]) == (3, 11, 3, 14)
    assert pos(s[("switch", 1)]) == (4, 5, 4, 10)
    assert pos(s[("switch", 2, 0)]) == (6, 7, 6, 13)
    check_invariants(doc)


def test_block_scalar_span_ends_at_its_last_line() -> None:
    doc = load("a: |\n  one\n  two\n\n\nb: >-\n  x\n")
    assert doc.data == {"a": "one\ntwo\n", "b": "x"}
    assert pos(doc.spans[("a",)]) == (1, 4, 3, 6)
    assert pos(doc.spans[("b",)]) == (6, 4, 7, 4)


def test_keys_are_the_text_as_written() -> None:
    doc = load("1: a\ntrue: b\n01: c\n~: d\n1.5: e\nyes: f\n'quoted': g\n")
    assert list(doc.data) == ["1", "true", "01", "~", "1.5", "yes", "quoted"]
    assert pos(doc.key_spans[("1",)]) == (1, 1, 1, 2)


def test_scalar_types() -> None:
    doc = load(
        "i: 12\nneg: -3\nhex: 0x1F\noct: 017\nf: 1.5\ninf: .inf\nb1: true\nb2: no\n"
        "n1: null\nn2: ~\nn3:\ns: hello\nq: '12'\nu: 1_000\n"
    )
    assert doc.data == {
        "i": 12,
        "neg": -3,
        "hex": 31,
        "oct": 15,
        "f": 1.5,
        "inf": math.inf,
        "b1": True,
        "b2": False,
        "n1": None,
        "n2": None,
        "n3": None,
        "s": "hello",
        "q": "12",
        "u": 1000,
    }
    assert type(doc.data["f"]) is float and type(doc.data["b1"]) is bool
    assert math.isnan(load("x: .nan").data["x"])


def test_dates_and_times_stay_strings() -> None:
    doc = load(
        "closed: [2026-12-31, '2026-10-01..2026-10-07']\n"
        "special: {2026-12-24: '08:00-12:00'}\n"
        "at: 2026-12-31 10:00:00\n"
        "sexagesimal: 9:30\n"
        "tagged: !!timestamp 2001-12-14\n"
    )
    assert doc.data == {
        "closed": ["2026-12-31", "2026-10-01..2026-10-07"],
        "special": {"2026-12-24": "08:00-12:00"},
        "at": "2026-12-31 10:00:00",
        "sexagesimal": "9:30",
        "tagged": "2001-12-14",
    }


def test_explicit_safe_tags() -> None:
    doc = load("a: !!str 123\nb: !!int '12'\nc: !!float 1\nd: !!bool yes\ne: ! 12\nf: !!null x\n")
    assert doc.data == {"a": "123", "b": 12, "c": 1.0, "d": True, "e": "12", "f": None}


def test_strings_that_look_like_numbers_stay_text() -> None:
    big = "1" * 5000  # beyond Python's int() digit limit
    doc = load(f"a: 0b_\nb: {big}\n")
    assert doc.data == {"a": "0b_", "b": big}


def test_anchors_and_aliases() -> None:
    doc = load("base: &b {x: 1, y: [2]}\nuse: *b\n")
    assert doc.data == {"base": {"x": 1, "y": [2]}, "use": {"x": 1, "y": [2]}}
    assert doc.data["use"] is not doc.data["base"]  # a copy, not shared
    assert doc.data["use"]["y"] is not doc.data["base"]["y"]
    # the alias is where `*b` is; what is inside it is where it was written
    assert pos(doc.spans[("use",)]) == (2, 6, 2, 8)
    assert pos(doc.spans[("use", "x")]) == (1, 14, 1, 15)
    assert pos(doc.key_spans[("use", "y")]) == (1, 17, 1, 18)
    assert pos(doc.spans[("use", "y", 0)]) == (1, 21, 1, 22)
    check_invariants(doc)


def test_scalar_alias_as_key() -> None:
    doc = load("k: &k name\n*k : 1\n")
    assert doc.data == {"k": "name", "name": 1}
    assert pos(doc.key_spans[("name",)]) == (2, 1, 2, 3)


def test_merge_keys() -> None:
    doc = load(
        "a: &a {x: 1, y: {z: 2}}\n"
        "b: &b {w: 3, x: 4}\n"
        "c:\n"
        "  <<: [*a, *b]\n"
        "  x: 9\n"
        "d:\n"
        "  <<: *b\n"
        "  v: 0\n"
    )
    assert doc.data["c"] == {"y": {"z": 2}, "w": 3, "x": 9}
    assert list(doc.data["c"]) == ["y", "w", "x"]  # merged keys first, as in PyYAML
    assert doc.data["d"] == {"w": 3, "x": 4, "v": 0}
    assert str(doc.spans[("c", "x")]) == "flow.yaml:5:6"  # written here
    assert str(doc.spans[("c", "y", "z")]) == "flow.yaml:1:21"  # merged from &a
    assert str(doc.key_spans[("c", "w")]) == "flow.yaml:2:8"
    assert str(doc.spans[("d", "x")]) == "flow.yaml:2:17"
    check_invariants(doc)


def test_inline_merge_mapping() -> None:
    doc = load("c:\n  <<: {m: 1, n: 1}\n  n: 2\n")
    assert doc.data == {"c": {"m": 1, "n": 2}}
    assert str(doc.spans[("c", "m")]) == "flow.yaml:2:11"
    check_invariants(doc)


def test_parsers_agree() -> None:
    text = BLOCK + "list: [a, {b: 2026-01-01}]\nblock: |\n  x\n# c\nz: &q [1]\nw: *q\n"
    yaml_loader.USE_LIBYAML = False
    slow = load(text)
    yaml_loader.USE_LIBYAML = bool(yaml.__with_libyaml__)
    fast = load(text)
    assert fast.data == slow.data
    assert fast.spans == slow.spans
    assert fast.key_spans == slow.key_spans
    assert fast.comments == slow.comments


# -- comments -----------------------------------------------------------------------------


def test_comments_are_attached_to_the_following_item() -> None:
    doc = load(
        "# Header line\n"
        "#   second\n"
        "flow: acme\n"
        "nodes:\n"
        "  # the main menu\n"
        "\n"
        "  # after a blank line\n"
        "  main:\n"
        "    play: |\n"
        "      # not a comment: block scalar text\n"
        "    next: x   # an end-of-line comment goes with its line's item\n"
        "  list:\n"
        "    # first item\n"
        "    - name: a\n"
        "    # second item\n"
        "    - b\n"
        "  flowlist: [\n"
        "    # inside brackets\n"
        "    c,\n"
        "  ]\n"
        "# at the end: dropped\n"
    )
    assert doc.comments == {
        # The `#` and one space go; indentation inside a comment is kept for the printers.
        ("flow",): ["Header line", "  second"],
        ("nodes", "main"): ["the main menu", "after a blank line"],
        ("nodes", "main", "next"): ["an end-of-line comment goes with its line's item"],
        ("nodes", "list", 0): ["first item"],
        ("nodes", "list", 1): ["second item"],
        ("nodes", "flowlist", 0): ["inside brackets"],
    }
    assert doc.data["nodes"]["main"]["play"] == "# not a comment: block scalar text\n"


def test_no_comments() -> None:
    assert load("a: 'x # y'\n").comments == {}


# -- diagnostics --------------------------------------------------------------------------


def test_fl001_mapping_values_not_allowed() -> None:
    d = one_error("nodes:\n  a:\n    play: Note: we are closed\n")
    assert at(d) == ("FL001", 3, 15)
    assert d.message == "YAML syntax error: mapping values are not allowed here"
    assert d.hint is not None and "quoted" in d.hint
    assert d.span.file == "flow.yaml"


def test_fl001_tabs() -> None:
    d = one_error("nodes:\n\tmain: x\n")
    assert at(d) == ("FL001", 2, 1)
    assert d.message == "YAML syntax error: found character '\\t' that cannot start any token"
    assert d.hint is not None and "tab" in d.hint


def test_fl001_unclosed_flow_and_quote() -> None:
    d = one_error("a: [1, 2\nb: 3\n")
    assert d.code == "FL001" and d.span.line == 2
    assert d.related and d.related[0][1].line == 1 and d.related[0][1].col == 4
    assert d.hint is not None and "not closed" in d.hint
    d = one_error("a: 'abc\n")
    assert d.code == "FL001" and d.hint is not None and "quoted string" in d.hint


def test_fl001_bad_indentation() -> None:
    d = one_error("a:\n  - b\n  c: 1\n")
    assert at(d) == ("FL001", 3, 3)
    assert d.hint is not None and "indentation" in d.hint


def test_fl001_structural() -> None:
    d = one_error("? [a]\n: 1\n")
    assert at(d) == ("FL001", 1, 3)
    assert d.message == "a list cannot be a mapping key"
    d = one_error("{{a: 1}: 1}\n")
    assert d.message == "a mapping cannot be a mapping key"
    d = one_error("a: *nope\n")
    assert at(d) == ("FL001", 1, 4)
    assert "undefined alias `*nope`" in d.message
    d = one_error("a: 1\n<<: [1]\n")
    assert at(d) == ("FL001", 2, 5)
    assert "merge" in d.message


def test_fl002_every_duplicate_at_its_second_occurrence() -> None:
    diags = errors("a: 1\nb:\n  x: 1\n  x: 2\na: 3\n1: p\n'1': q\n")
    assert [at(d) for d in diags] == [("FL002", 4, 3), ("FL002", 5, 1), ("FL002", 7, 1)]
    assert [d.message for d in diags] == [
        "duplicate key `x`",
        "duplicate key `a`",
        "duplicate key `1`",
    ]
    first = diags[1].related
    assert first and first[0][0] == "first defined here" and pos(first[0][1]) == (1, 1, 1, 2)
    assert diags[0].related[0][1].line == 3


def test_fl002_many_duplicates_are_capped() -> None:
    diags = errors("".join(f"k: {i}\n" for i in range(10_000)))
    assert len(diags) == yaml_loader.MAX_DIAGNOSTICS
    assert {d.code for d in diags} == {"FL002"}


def test_fl003_unsafe_and_unknown_tags() -> None:
    d = one_error("run: !!python/object/apply:os.system ['echo pwned']\n")
    assert at(d) == ("FL003", 1, 6)
    assert d.message == "tag `!!python/object/apply:os.system` is not allowed"
    diags = errors("a: !foo x\nb: !!binary aGk=\nc: !!set {x}\nd: !!int abc\n")
    assert [at(d) for d in diags] == [
        ("FL003", 1, 4),
        ("FL003", 2, 4),
        ("FL003", 3, 4),
        ("FL003", 4, 4),
    ]
    assert diags[0].message == "tag `!foo` is not allowed"
    assert diags[3].message == "`abc` is not a valid !!int"


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_fl004_billion_laughs_is_rejected_fast() -> None:
    d = one_error(BILLION_LAUGHS)
    assert d.code == "FL004"
    assert "aliases expand to more than 100,000 values" in d.message
    assert d.span.line == 6  # while expanding `*e` inside `f`: stopped early, not at the end


def test_fl004_total_node_budget() -> None:
    d = one_error("a: [" + "1, " * 100 + "1]\n", max_nodes=50)
    assert d.code == "FL004" and d.span.line == 1
    assert "more than 50 values" in d.message
    assert load("a: &a [1, 2]\nb: [*a, *a]\n", max_alias_nodes=6).data["b"] == [[1, 2], [1, 2]]
    assert one_error("a: &a [1, 2]\nb: [*a, *a, *a]\n", max_alias_nodes=6).code == "FL004"


def test_fl004_file_size() -> None:
    big = "a: " + "x" * 200 + "\n"
    for text in (big, big.encode()):
        d = one_error(text, max_bytes=100)
        assert at(d) == ("FL004", 1, 1)
        assert "too large" in d.message
    assert one_error("a: " + "é" * 40, max_bytes=50).code == "FL004"  # bytes, not characters


def test_fl004_recursive_alias() -> None:
    d = one_error("a: &a [1, *a]\n")
    assert at(d) == ("FL004", 1, 11)
    assert "`*a`" in d.message


def test_fl005_ten_megabytes_of_brackets() -> None:
    d = one_error("[" * 5_000_000)
    assert at(d) == ("FL005", 1, 65)
    assert d.message == "nesting is too deep (more than 64 levels)"
    d = one_error("[" * yaml_loader.DEFAULT_MAX_BYTES)  # 10 MiB: just inside the size limit
    assert at(d) == ("FL005", 1, 65)
    assert one_error("a: " + "{b: " * 100_000).code == "FL005"


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        # libyaml (0.2.6+) stops by itself at 1,000 levels while reading ahead of the events;
        # the diagnostic is still FL005 at flowc's own limit, as with the pure-Python parser.
        ("a: " + "{b: " * 2_000, 1, 256),
        ('é: ["x[[[", ' + "[" * 2_000, 1, 75),  # brackets inside quotes do not count
        ("a:\n  b: &x ['it''s [', " + "[" * 3_000, 2, 82),
        ("a: # [[[[\n  - " + "[" * 1_500, 2, 67),  # nor do brackets in comments
        ("x: [\n [\n" + "[" * 1_200, 3, 62),  # levels opened on earlier lines count
        ("x: [don't, " + "[" * 1_200, 1, 74),  # a quote inside a plain scalar opens nothing
    ],
)
def test_fl005_same_position_whichever_parser_stops_first(text: str, line: int, col: int) -> None:
    d = one_error(text)
    assert at(d) == ("FL005", line, col)
    assert d.message == "nesting is too deep (more than 64 levels)"


def test_fl005_deep_block_mapping() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(2000))  # 4 MB
    d = one_error(text)
    assert at(d) == ("FL005", 65, 129)
    # exactly at the limit is fine
    ok = "".join("  " * i + f"k{i}:\n" for i in range(64))
    assert load(ok).data["k0"]["k1"]["k2"] is not None
    assert one_error("".join("  " * i + f"k{i}:\n" for i in range(10)), max_depth=5).code == "FL005"


def test_fl005_depth_through_aliases() -> None:
    deep = "[" * 40 + "]" * 40
    text = f"a: &a {deep}\nb: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[*a]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n"
    d = one_error(text)
    assert d.code == "FL005" and d.span.line == 2 and "`*a`" in d.message


def test_fl006_not_utf8() -> None:
    d = one_error(b"flow: x\nprompt: caf\xe9 ok\n")
    assert at(d) == ("FL006", 2, 12)
    assert "not valid UTF-8" in d.message and "0xe9" in d.message
    d = one_error("a: b\nc: ü".encode() + b"\xff")
    assert at(d) == ("FL006", 2, 5)  # columns count characters, not bytes
    d = one_error("a: 1\n".encode("utf-16"))
    assert d.code == "FL006" and d.hint is not None and "UTF-16" in d.hint


def test_fl006_characters_yaml_does_not_allow() -> None:
    d = one_error("a: 1\nb: x\x00y\n")
    assert at(d) == ("FL006", 2, 5)
    assert "U+0000" in d.message
    assert at(one_error("a: 1\r\nb: \x07\n")) == ("FL006", 2, 4)


def test_bom_is_accepted() -> None:
    doc = load(b"\xef\xbb\xbfflow: x\nn: 1\n")
    assert doc.data == {"flow": "x", "n": 1}
    assert doc.text == "flow: x\nn: 1\n"
    assert pos(doc.key_spans[("flow",)]) == (1, 1, 1, 5)
    assert load("\ufeffa: 1").data == {"a": 1}


def test_fl007_empty_and_multiple_documents() -> None:
    for text in ("", "\n\n", "# just a comment\n", b""):
        d = one_error(text)
        assert at(d) == ("FL007", 1, 1) and d.message == "the file is empty"
    assert one_error("---\n").message == "the document is empty"
    d = one_error("a: 1\n---\nb: 2\n")
    assert at(d) == ("FL007", 2, 1)
    assert d.message == "a flow file holds one YAML document, found a second one"
    assert one_error("a: 1\n...\n---\nb: 1\n").code == "FL007"
    assert load("---\na: 1\n...\n").data == {"a": 1}


def test_fl008_root_must_be_a_mapping() -> None:
    for text, col in (("- a\n- b\n", 1), ("just text\n", 1), ("  42\n", 3), ("~", 1)):
        d = one_error(text)
        assert at(d) == ("FL008", 1, col)
        assert d.message == "a flow file must be a mapping at the top level"


def test_errors_are_sorted_and_collected() -> None:
    diags = errors("a: !foo 1\nb: 1\nb: 2\nc: !!python/name:os.system x\n")
    assert [at(d) for d in diags] == [("FL003", 1, 4), ("FL002", 3, 1), ("FL003", 4, 4)]


# -- files ----------------------------------------------------------------------------------


def test_load_yaml_file(tmp_path: pathlib.Path) -> None:
    f = tmp_path / "main.yaml"
    f.write_bytes(b"\xef\xbb\xbfflow: x\n")
    doc = load_yaml_file(f)
    assert doc.data == {"flow": "x"} and doc.file == str(f)
    doc = load_yaml_file(str(f), display_name="flows/main.yaml")
    assert doc.spans[("flow",)].file == "flows/main.yaml"
    f.write_bytes(b"a: \xff\n")
    with pytest.raises(FlowcError) as info:
        load_yaml_file(f, "m.yaml")
    assert at(info.value.diagnostics[0]) == ("FL006", 1, 4)
    f.write_text("a: " + "x" * 100)
    with pytest.raises(FlowcError) as info:
        load_yaml_file(f, max_bytes=50)
    assert info.value.diagnostics[0].code == "FL004"


def test_load_yaml_file_missing(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FlowcError) as info:
        load_yaml_file(tmp_path / "nope.yaml", "nope.yaml")
    d = info.value.diagnostics[0]
    assert d.code == "FL009" and d.span == Span.whole_file("nope.yaml")


# -- a big flow -------------------------------------------------------------------------------


def big_flow(n: int) -> str:
    out = ["# generated", "flow: big", "nodes:"]
    for i in range(n):
        nxt = f"n{i + 1}" if i + 1 < n else "n0"
        out += [
            f"  # node {i}",
            f"  n{i}:",
            "    menu:",
            "      prompt:",
            f'        zh-CN: "请按键 {i}"',
            f'        en-US: "Press a key for option {i}"',
            "      options:",
            f"        1: {nxt}",
            f"        2: n{i}",
            "        9: goodbye",
            "      timeout: 5s",
            "      retries: 3",
            '      no_input: ["Sorry", {prompt: goodbye}]',
            f"      on_fail: {nxt}",
            "    closed: [2026-12-31, '2026-10-01..2026-10-07']",
        ]
    return "\n".join(out) + "\n"


def test_big_flow(parser: bool) -> None:
    # The pure-Python parser gets a smaller file: same shape, same assertions.
    n = 10_000 if parser else 500
    text = big_flow(n)
    assert text.count("\n") > 15 * n
    doc = load(text)
    assert len(doc.data["nodes"]) == n
    assert doc.data["nodes"][f"n{n - 1}"]["menu"]["options"]["1"] == "n0"
    assert str(doc.key_spans[("nodes", f"n{n - 1}")]) == f"flow.yaml:{4 + (n - 1) * 15 + 1}:3"
    assert doc.comments[("nodes", "n5")] == ["node 5"]
    assert len(doc.spans) == len(set(all_paths(doc.data)))


# -- never anything but a SourceDoc or a FlowcError ---------------------------------------

VALID = """\
flowc: 1
flow: acme_care   # name
locales: [zh-CN, en-US]
variables:
  tier: string
  attempts: {type: int, default: 0}
prompts:
  goodbye: {zh-CN: "再见", en-US: Goodbye}
defaults: &d {timeout: 5s, retries: 3}
schedules:
  care:
    timezone: Asia/Shanghai
    holidays:
      closed: [2026-12-31, "2026-10-01..2026-10-07"]
    special: {2026-12-24: "08:00-12:00"}
nodes:
  # entry
  main:
    menu:
      <<: *d
      prompt: |
        Welcome. # not a comment
      options:
        1: billing
        2: {goto: main}
  billing:
    switch:
      - if: tier == 'gold'
        goto: main
    default: main
"""

YAML_CHARS = st.sampled_from(
    [*":-[]{},#&*!|>'\"%@`?\n\t ~<=.0123456789abcxyz", "\r\n", "é", "\ufeff", "\x00"]
)


def must_not_crash(text: str | bytes) -> None:
    try:
        doc = load_yaml_text(text, "fuzz.yaml")
    except FlowcError as e:
        assert e.diagnostics
        for d in e.diagnostics:
            assert d.code.startswith("FL0") and d.span.line >= 1 and d.span.col >= 1
        return
    assert isinstance(doc.data, dict)
    check_invariants(doc)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(st.text(max_size=300))
def test_fuzz_random_text(text: str) -> None:
    must_not_crash(text)


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_random_bytes(data: bytes) -> None:
    must_not_crash(data)


@FUZZ
@given(st.lists(YAML_CHARS, max_size=200).map("".join))
def test_fuzz_yaml_alphabet(text: str) -> None:
    must_not_crash(text)


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(VALID)),
            st.sampled_from(["insert", "delete", "replace"]),
            YAML_CHARS,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_fuzz_mutated_flow(edits: list[tuple[int, str, str]]) -> None:
    text = VALID
    for where, op, ch in edits:
        where = min(where, len(text))
        if op == "insert":
            text = text[:where] + ch + text[where:]
        elif op == "delete":
            text = text[:where] + text[where + 1 :]
        else:
            text = text[:where] + ch + text[where + 1 :]
    must_not_crash(text)
    must_not_crash(text.encode("utf-8", "surrogatepass"))


def test_valid_fixture_loads() -> None:
    doc = load(VALID)
    assert doc.data["nodes"]["main"]["menu"]["timeout"] == "5s"
    assert doc.data["schedules"]["care"]["holidays"]["closed"][0] == "2026-12-31"
    assert doc.comments == {("flow",): ["name"], ("nodes", "main"): ["entry"]}
    check_invariants(doc)
