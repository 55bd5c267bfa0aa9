"""data -> to_dsl -> parse and data -> to_yaml -> load give the data back."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest
import yaml

from flowc.source.dsl import parser as dsl_parser
from flowc.source.dsl.parser import parse_dsl_text
from flowc.source.dsl.printer import to_dsl
from flowc.source.emit_yaml import to_yaml
from tests.dsl.dsl_samples import COMMENTS, ODD, RICH

HAVE_YAML_LOADER = importlib.util.find_spec("flowc.source.yaml_loader") is not None


def test_rich_sample_through_the_dsl() -> None:
    text = to_dsl(RICH, COMMENTS)
    doc = parse_dsl_text(text, "rich.flow")
    assert doc.data == RICH
    assert doc.comments == COMMENTS
    assert to_dsl(doc.data, doc.comments) == text  # formatting is stable


def test_rich_sample_through_yaml() -> None:
    text = to_yaml(RICH, COMMENTS)
    assert yaml.safe_load(text) == RICH


@pytest.mark.skipif(not HAVE_YAML_LOADER, reason="the YAML loader is not there yet")
def test_rich_sample_through_the_yaml_loader() -> None:
    from flowc.source.yaml_loader import load_yaml_text

    doc = load_yaml_text(to_yaml(RICH, COMMENTS), "rich.yaml")
    assert doc.data == RICH
    assert doc.comments == COMMENTS


@pytest.mark.skipif(not HAVE_YAML_LOADER, reason="the YAML loader is not there yet")
def test_dsl_and_yaml_forms_load_to_the_same_data() -> None:
    from flowc.source.yaml_loader import load_yaml_text

    dsl_doc = parse_dsl_text(to_dsl(RICH), "rich.flow")
    yaml_doc = load_yaml_text(to_yaml(dsl_doc.data), "rich.yaml")
    assert yaml_doc.data == dsl_doc.data
    assert set(yaml_doc.spans) == set(dsl_doc.spans)


def test_fast_path_and_lark_build_the_same_document(monkeypatch: pytest.MonkeyPatch) -> None:
    text = to_dsl(RICH, COMMENTS)
    fast = parse_dsl_text(text, "rich.flow")
    monkeypatch.setattr(dsl_parser, "USE_FAST_PATH", False)
    slow = parse_dsl_text(text, "rich.flow")
    assert (fast.data, fast.spans, fast.key_spans, fast.comments) == (
        slow.data,
        slow.spans,
        slow.key_spans,
        slow.comments,
    )


def test_unusual_data_round_trips_through_escapes() -> None:
    text = to_dsl(ODD)
    assert "field unknown_header = " in text
    assert parse_dsl_text(text, "odd.flow").data == ODD


def test_unusual_data_round_trips_through_yaml() -> None:
    assert yaml.safe_load(to_yaml(ODD)) == ODD


def test_yaml_quoting() -> None:
    tricky = {
        "yes": "yes",
        "on": ["on", "off", "no", "y", "n", "~", "null", "true", "True"],
        "0": "0",
        "1": 1,
        "date": "2026-12-31",
        "time": "9:30",
        "float": ["1.5", 1.5, 1e20, -0.0, "1e3", ".5"],
        "text": [
            "",
            " lead",
            "trail ",
            "a: b",
            "a #b",
            "#c",
            "- x",
            "[x]",
            "{x}",
            "x, y",
            "'q'",
            '"dq"',
        ],
        "lines": "one\ntwo\r\n\tthree \x00 \x85 \u2028",
        "unicode": "再见 … ☎",
        "merge": "<<",
        "eq": "=",
        "long": "x" * 500,
    }
    text = to_yaml({"flow": "q", "data": tricky})
    assert yaml.safe_load(text) == {"flow": "q", "data": tricky}
    assert "再见 … ☎" in text


def test_yaml_layout() -> None:
    text = to_yaml(
        {"flow": "x", "nodes": {"a": {"goto": "b"}, "m": {"menu": {"options": {"1": "a"}}}}}
    )
    assert text == (
        "flow: x\n\nnodes:\n  a:\n    goto: b\n  m:\n    menu:\n      options: {'1': a}\n"
    )


def test_includes(tmp_path: Path) -> None:
    common = tmp_path / "common"
    common.mkdir()
    (common / "prompts.flow").write_text(
        '# shared prompts\nprompt bye "Goodbye"\ninclude "more.flow"\n', encoding="utf-8"
    )
    (common / "more.flow").write_text("queue billing skill billing\n", encoding="utf-8")
    main = tmp_path / "main.flow"
    main.write_text('flow x\ninclude "common/prompts.flow"\nm: play prompt bye\n', encoding="utf-8")
    doc = dsl_parser.parse_dsl_file(main, display_name="flows/main.flow")
    assert doc.data == {
        "flow": "x",
        "prompts": {"bye": "Goodbye"},
        "queues": {"billing": {"skill": "billing"}},
        "nodes": {"m": {"play": {"prompt": "bye"}}},
    }
    assert doc.spans[("prompts", "bye")].file == "flows/common/prompts.flow"
    assert doc.spans[("queues", "billing")].file == "flows/common/more.flow"
    assert doc.spans[("prompts", "bye")].line == 2
    # without resolving includes, and listing them
    alone = parse_dsl_text(main.read_text(encoding="utf-8"), str(main), includes=False)
    assert "prompts" not in alone.data
    assert [p for p, _ in dsl_parser.list_includes(main.read_text(encoding="utf-8"), "m.flow")] == [
        "common/prompts.flow"
    ]
    assert to_dsl(alone.data, includes=["common/prompts.flow"]).startswith(
        'flow x\n\ninclude "common/prompts.flow"\n'
    )


def test_include_problems(tmp_path: Path) -> None:
    from flowc.diagnostics import FlowcError

    (tmp_path / "a.flow").write_text('include "b.flow"\n', encoding="utf-8")
    (tmp_path / "b.flow").write_text('include "a.flow"\nprompt p "x"\n', encoding="utf-8")
    (tmp_path / "nodes.flow").write_text("flow y\nm: goto m\n", encoding="utf-8")
    (tmp_path / "dup.flow").write_text('prompt p "other"\n', encoding="utf-8")

    def problems(text: str) -> list[tuple[str, str, int, str]]:
        with pytest.raises(FlowcError) as info:
            parse_dsl_text(text, str(tmp_path / "main.flow"))
        return [
            (d.code, Path(d.span.file).name, d.span.line, d.message) for d in info.value.diagnostics
        ]

    a, b = tmp_path / "a.flow", tmp_path / "b.flow"
    assert problems('flow x\ninclude "a.flow"\n') == [
        ("FL011", "b.flow", 1, f"include cycle: {a} -> {b} -> {a}")
    ]
    assert problems('include "missing.flow"\n')[0][:3] == ("FL011", "main.flow", 1)
    assert problems('include "nodes.flow"\n') == [
        ("FL011", "nodes.flow", 1, "an included file cannot set `flow`"),
        ("FL011", "nodes.flow", 2, "an included file cannot set `nodes`"),
    ]
    assert problems('prompt p "mine"\ninclude "dup.flow"\n') == [
        ("FL002", "dup.flow", 1, "prompt `p` is defined twice")
    ]
    assert problems(f'include "{tmp_path}"\n')[0][0] == "FL011"


def test_printer_does_not_change_its_input() -> None:
    before = copy.deepcopy(RICH)
    to_dsl(RICH, COMMENTS)
    to_yaml(RICH, COMMENTS)
    assert RICH == before
