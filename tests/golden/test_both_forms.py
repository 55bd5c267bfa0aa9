"""One flow, two spellings: every example exists as YAML and as DSL, generated one from the
other, and both compile to byte-identical IR; conversions round-trip with comments kept; and
every lint rule fires the same on both forms of its fixtures."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from flowc.compiler.bundle import compile_checked
from flowc.compiler.ir import compile_flow, dumps
from flowc.lint.config import LintConfig
from flowc.pipeline import check_doc, check_file, load_modules
from flowc.source.document import SourceDoc
from flowc.source.dsl.parser import parse_dsl_text
from flowc.source.dsl.printer import to_dsl
from flowc.source.emit_yaml import to_yaml
from flowc.source.yaml_loader import load_yaml_file, load_yaml_text
from tests.golden.cases import ROOT, dsl_form_path, dsl_form_text, example_files

EXAMPLES = example_files()
LINT_FIXTURES = sorted((ROOT / "tests" / "lint" / "fixtures").glob("FL*/*.yaml"))


def ir_text(doc: SourceDoc, source: Path) -> str:
    checked = check_doc(doc, LintConfig(), load_modules(doc, source))
    assert checked.flow is not None, [d.message for d in checked.diagnostics]
    return dumps(compile_flow(checked.flow))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_dsl_form_is_generated_by_convert(example: Path) -> None:
    dsl = dsl_form_path(example)
    assert dsl.exists(), f"missing {dsl}: run python scripts/regen_golden.py"
    assert dsl.read_text(encoding="utf-8") == dsl_form_text(example), (
        f"{dsl} differs from `flowc convert {example.name} --to flow`: regenerate it"
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_both_forms_compile_to_byte_identical_ir(example: Path) -> None:
    yaml_ir = compile_checked(check_file(example.relative_to(ROOT)))[0]
    dsl_checked = check_file(dsl_form_path(example).relative_to(ROOT))
    assert dsl_checked.diagnostics == []
    dsl_ir = compile_checked(dsl_checked)[0]
    assert dumps(dsl_ir) == dumps(yaml_ir)


def _round_trips(source: Path) -> tuple[SourceDoc, SourceDoc, SourceDoc]:
    doc = load_yaml_file(source)
    dsl_doc = parse_dsl_text(to_dsl(doc.data, doc.comments), str(source.with_suffix(".flow")))
    back = load_yaml_text(to_yaml(dsl_doc.data, dsl_doc.comments), str(source))
    return doc, dsl_doc, back


@pytest.mark.parametrize("source", EXAMPLES + LINT_FIXTURES, ids=lambda p: str(p.relative_to(ROOT)))
def test_yaml_dsl_yaml_and_dsl_yaml_dsl_round_trips(source: Path) -> None:
    doc, dsl_doc, back = _round_trips(source)
    assert dsl_doc.data == doc.data
    assert back.data == doc.data
    dsl_text = to_dsl(doc.data, doc.comments)
    again = to_dsl(back.data, back.comments)
    assert parse_dsl_text(again, "again.flow").data == parse_dsl_text(dsl_text, "x.flow").data
    # Comments survive both ways (both forms hold full-line comments).
    comments = sorted(c for lines in doc.comments.values() for c in lines)
    assert sorted(c for lines in dsl_doc.comments.values() for c in lines) == comments
    assert sorted(c for lines in back.comments.values() for c in lines) == comments
    checked = check_doc(doc, LintConfig(), load_modules(doc, source))
    if checked.flow is not None:
        assert ir_text(dsl_doc, source) == ir_text(doc, source) == ir_text(back, source)


def _codes(doc: SourceDoc, source: Path) -> Counter[tuple[str, str]]:
    checked = check_doc(doc, LintConfig(), load_modules(doc, source))
    return Counter((d.code, d.message) for d in checked.diagnostics)


@pytest.mark.parametrize("fixture", LINT_FIXTURES, ids=lambda p: str(p.relative_to(ROOT)))
def test_lint_rules_fire_identically_on_both_forms(fixture: Path) -> None:
    doc = load_yaml_file(fixture)
    dsl_doc = parse_dsl_text(to_dsl(doc.data, doc.comments), str(fixture.with_suffix(".flow")))
    yaml_codes = _codes(doc, fixture)
    assert _codes(dsl_doc, fixture) == yaml_codes
    # And in the DSL form the diagnostics still point at real DSL source lines.
    checked = check_doc(dsl_doc, LintConfig(), load_modules(dsl_doc, fixture))
    lines = dsl_doc.text.splitlines()
    for d in checked.diagnostics:
        assert 1 <= d.span.line <= max(len(lines), 1), json.dumps(d.message)


def test_examples_are_canonically_formatted() -> None:
    from typer.testing import CliRunner

    from flowc.cli.main import app

    r = CliRunner().invoke(app, ["fmt", "--check", "examples", "flows"])
    assert r.exit_code == 0, r.output


def test_fmt_check_fails_on_a_file_that_would_change(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flowc.cli.main import app

    p = tmp_path / "f.yaml"
    p.write_text("flow:   x\nnodes: {start: {hangup: null}}\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["fmt", "--check", str(p)])
    assert r.exit_code == 1 and "1 file(s) would be reformatted" in r.output
    r = CliRunner().invoke(app, ["fmt", str(p)])
    assert r.exit_code == 0
    r = CliRunner().invoke(app, ["fmt", "--check", str(p)])
    assert r.exit_code == 0


def test_convert_writes_the_other_form(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flowc.cli.main import app

    src = tmp_path / "f.yaml"
    src.write_text("# greeting line\nflow: x\nnodes:\n  start: {hangup: null}\n", "utf-8")
    r = CliRunner().invoke(app, ["convert", str(src), "--to", "flow"])
    assert r.exit_code == 0, r.output
    text = (tmp_path / "f.flow").read_text("utf-8")
    assert "# greeting line" in text and "flow x" in text
