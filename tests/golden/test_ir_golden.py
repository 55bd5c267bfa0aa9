"""Every example compiles with zero diagnostics, to exactly its golden IR."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowc.pipeline import check_file
from tests.golden.cases import ROOT, compiled_ir_text, example_files, golden_ir_path

EXAMPLES = example_files()


def test_there_are_examples_from_four_trades_and_a_main_line() -> None:
    names = {p.stem for p in EXAMPLES}
    assert {
        "telecom_care",
        "bank",
        "ecommerce_aftersales",
        "public_hotline_zh",
        "main_line",
    } <= names


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_has_zero_diagnostics(example: Path) -> None:
    checked = check_file(example.relative_to(ROOT))
    assert [f"{d.code} {d.span} {d.message}" for d in checked.diagnostics] == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_compiles_to_golden_ir(example: Path) -> None:
    golden = golden_ir_path(example)
    assert golden.exists(), f"no golden IR for {example}: run python scripts/regen_golden.py"
    assert compiled_ir_text(example) == golden.read_text(encoding="utf-8"), (
        f"{example} no longer compiles to {golden}; if the change is intended, run "
        "python scripts/regen_golden.py and review the diff"
    )


def test_examples_validate_against_the_json_schema() -> None:
    import json

    import jsonschema
    import yaml

    schema = json.loads((ROOT / "schemas" / "flow.schema.json").read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for example in EXAMPLES:
        # The schema describes YAML as editors see it: keys as strings, dates as text.
        from flowc.source.yaml_loader import load_yaml_file

        data = load_yaml_file(example).data
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
        assert errors == [], (example.name, errors[:5])
    del yaml
