"""The side-by-side example in docs/dsl.md: both columns load to the same data."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from flowc.source.dsl.parser import parse_dsl_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "dsl.md"
COLUMN = 52  # display width of the YAML column (wide characters count twice)


def _split(line: str) -> tuple[str, str]:
    width = 0
    for i, ch in enumerate(line):
        if width >= COLUMN:
            return line[:i].rstrip(), line[i:]
        width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return line.rstrip(), ""


def test_side_by_side_example() -> None:
    yaml_loader = pytest.importorskip("flowc.source.yaml_loader")
    text = DOC.read_text(encoding="utf-8")
    start = text.index("```text\n", text.index("## Side by side")) + len("```text\n")
    block = text[start : text.index("```", start)]
    left, right = zip(*(_split(line) for line in block.splitlines()), strict=True)
    from_yaml = yaml_loader.load_yaml_text("\n".join(left) + "\n", "side.yaml")
    from_dsl = parse_dsl_text("\n".join(right) + "\n", "side.flow")
    assert from_dsl.data == from_yaml.data
    assert from_dsl.comments == from_yaml.comments == {("flow",): ["ACME care line"]}
