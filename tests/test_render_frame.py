"""The code frame under a diagnostic: right line, caret under the span, never a huge line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from flowc.cli.main import app
from flowc.diagnostics import Diagnostic, Severity
from flowc.render import FRAME_WIDTH, _display_width, render_text
from flowc.source.document import Span


def frame(text: str, line: int, col: int, end_col: int) -> list[str]:
    d = Diagnostic("FL201", Severity.ERROR, "m", Span("f.yaml", line, col, line, end_col))
    return render_text([d], {"f.yaml": text}).splitlines()


def test_short_line_is_shown_whole_with_caret_under_the_span() -> None:
    out = frame("a: 1\nnodes: {x: balanse}\n", 2, 12, 19)
    assert out[2] == "2 | nodes: {x: balanse}"
    assert out[3] == "  |            ^^^^^^^"


def test_a_megabyte_line_is_cut_around_the_caret() -> None:
    line = "x" * 500_000 + "BAD" + "y" * 500_000
    out = frame(f"a: 1\n{line}\n", 2, 500_001, 500_004)
    shown = out[2].removeprefix("2 | ")
    assert _display_width(shown) <= FRAME_WIDTH
    assert shown.startswith("…") and shown.endswith("…") and "BAD" in shown
    caret = out[3].removeprefix("  | ")
    assert caret.strip() == "^^^" and caret.index("^") == shown.index("BAD")


def test_wide_characters_keep_the_caret_aligned_in_a_cut_line() -> None:
    line = "菜单" * 300 + "错误" + "x" * 10
    col = 601
    out = frame(line, 1, col, col + 2)
    shown = out[2].removeprefix("1 | ")
    caret = out[3].removeprefix("  | ")
    assert _display_width(shown) <= FRAME_WIDTH
    assert _display_width(shown[: shown.index("错误")]) == caret.index("^")


def test_yaml_line_breaks_count_as_the_spans_count_them() -> None:
    out = frame("a: 1\u2028b: 2\rc: 3\n", 3, 1, 2)
    assert out[2] == "3 | c: 3"


def test_check_of_deep_brackets_prints_a_short_fl005(tmp_path: Path) -> None:
    p = tmp_path / "d.yaml"
    p.write_text("[" * 100_000 + "\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["check", str(p)])
    assert r.exit_code == 1
    assert r.output.startswith(f"FL005 {p}:1:65 error: nesting is too deep (more than 64 levels)")
    assert len(r.output) < 1_000
