"""The catalogue of diagnostic codes against the code that emits them, both ways.

Every string constant in `flowc/` and `runtime/` that is exactly a code (`"FL001"`, `"FT301"`)
must be a catalogue look-up (`code("FL001")`), a lint rule's `CODE = "FL201"`, or a name in
an `__all__`; anything else would be a code emitted behind the catalogue's back. Every entry
must be emitted somewhere (an entry nobody emits is dead), and every entry's example, run
through the tool, must produce its code.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowc import codes
from flowc.cli.main import app
from flowc.codes import CATALOGUE, Entry
from flowc.lint.registry import RULES, explain
from flowc.pipeline import check_text

ROOT = Path(__file__).resolve().parents[2]
CODE_RE = re.compile(r"F[LT]\d{3}")
runner = CliRunner()


def _sources() -> list[Path]:
    out: list[Path] = []
    for top in ("flowc", "runtime"):
        out += sorted((ROOT / top).rglob("*.py"))
    return [p for p in out if (ROOT / "flowc" / "codes") not in p.parents]


def _code_constants(path: Path, root: Path = ROOT) -> tuple[set[str], list[str]]:
    """(codes emitted through the catalogue or as a rule's CODE, literals found elsewhere)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed: set[int] = set()
    emitted: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "code":
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    allowed.add(id(arg))
                    emitted.add(arg.value)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if names == ["CODE"] and "lint/rules" in path.as_posix():
                allowed.add(id(node.value))
                emitted.add(str(node.value.value))
        elif isinstance(node, ast.Assign) and [
            t.id for t in node.targets if isinstance(t, ast.Name)
        ] == ["__all__"]:
            allowed.update(id(n) for n in ast.walk(node.value))
    stray = [
        f"{path.relative_to(root)}:{n.lineno}: {n.value}"
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and CODE_RE.fullmatch(n.value)
        and id(n) not in allowed
    ]
    return emitted, stray


def test_every_emitted_code_is_in_the_catalogue_and_every_entry_is_emitted() -> None:
    emitted: set[str] = set()
    stray: list[str] = []
    for path in _sources():
        found, bad = _code_constants(path)
        emitted |= found
        stray += bad
    assert not stray, "codes written as bare strings, not looked up with code(...):\n" + (
        "\n".join(stray)
    )
    catalogued = {e.code for e in CATALOGUE}
    assert emitted - catalogued == set(), "emitted but not in the catalogue"
    assert catalogued - emitted == set(), "in the catalogue but never emitted (dead)"


def test_the_scan_sees_a_bare_code_literal(tmp_path: Path) -> None:
    # The scan above must be able to fail: a module emitting "FL999" directly is caught.
    src = tmp_path / "emit.py"
    src.write_text(
        'from flowc.codes import code\nA = code("FL001")\nB = "FL999"\n__all__ = ["FL001"]\n'
    )
    emitted, stray = _code_constants(src, tmp_path)
    assert emitted == {"FL001"}
    assert stray == ["emit.py:3: FL999"]


def test_code_lookup_fails_for_an_unknown_code() -> None:
    assert codes.code("FL001") == "FL001"
    with pytest.raises(codes.UnknownCode, match="FL999"):
        codes.code("FL999")
    with pytest.raises(codes.UnknownCode, match="did you mean `FL001`"):
        codes.entry("FL0O1")
    assert codes.entry(" fl010 ").code == "FL010"


def test_lint_registry_and_catalogue_agree() -> None:
    rules = {r.code: r for r in RULES}
    catalogued = {e.code: e for e in CATALOGUE if e.rule}
    assert rules.keys() == catalogued.keys()
    for c, rule in rules.items():
        e = catalogued[c]
        assert (rule.name, rule.severity) == (e.name, e.severity), c
        first = " ".join(rule.doc.split("\n\n")[0].split())
        summary = e.summary[:1].lower() + e.summary[1:]
        assert first == f"{c} {e.name}: {summary}", c
        assert explain(e) == rule.doc


@pytest.mark.parametrize("item", CATALOGUE, ids=lambda e: e.code)
def test_entry_is_complete_and_its_summary_a_whole_sentence(item: Entry) -> None:
    s = item.summary
    assert "\n" not in s and s[:1].isupper(), s
    assert s.endswith((".", ")", "?")), f"{item.code}: summary stops mid-sentence: {s!r}"
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", item.name), item.name
    codes.family_of(item)
    text = explain(item)
    for section in ("Why:", "Example", "Fix:"):
        assert section in text, f"{item.code}: no `{section}` in its explanation"
    if not item.rule:
        assert item.why and item.example and item.fix
        assert item.why.endswith(".") and item.fix.endswith("."), item.code


def test_families_are_contiguous_and_cover_every_code() -> None:
    keys = [codes.family_of(e).key for e in CATALOGUE]
    order = [f.key for f in codes.FAMILIES]
    assert sorted(keys, key=order.index) == keys
    assert set(keys) == set(order)


FLOW_EXAMPLES = [e for e in CATALOGUE if e.example_form in ("yaml", "flow")]


@pytest.mark.parametrize("item", FLOW_EXAMPLES, ids=lambda e: e.code)
def test_flow_example_produces_its_code(item: Entry, tmp_path: Path) -> None:
    suffix = ".flow" if item.example_form == "flow" else ".yaml"
    checked = check_text(item.example, str(tmp_path / f"example{suffix}"))
    assert item.code in {d.code for d in checked.diagnostics}, checked.diagnostics


BINDING_FLOW = """\
flowc: 1
flow: clinic
entry: welcome
queues: {front_desk: {}}
nodes:
  welcome: {play: "Welcome to the clinic.", next: desk}
  desk: {queue: front_desk}
"""

SCENARIO_FLOW = """\
flowc: 1
flow: clinic
entry: welcome
nodes:
  welcome: {play: "Welcome to the clinic.", next: goodbye}
  goodbye: {hangup: NORMAL_CLEARING}
"""


@pytest.mark.parametrize(
    "item", [e for e in CATALOGUE if e.example_form == "bindings"], ids=lambda e: e.code
)
def test_binding_example_produces_its_code(item: Entry, tmp_path: Path) -> None:
    (tmp_path / "clinic.yaml").write_text(BINDING_FLOW, encoding="utf-8")
    (tmp_path / "bindings").mkdir()
    (tmp_path / "bindings" / "prod.yaml").write_text(item.example, encoding="utf-8")
    r = runner.invoke(app, ["check", "--format", "json", str(tmp_path)])
    assert f'"code": "{item.code}"' in r.output, r.output


@pytest.mark.parametrize(
    "item", [e for e in CATALOGUE if e.example_form == "scenario"], ids=lambda e: e.code
)
def test_scenario_example_produces_its_code(item: Entry, tmp_path: Path) -> None:
    (tmp_path / "clinic.yaml").write_text(SCENARIO_FLOW, encoding="utf-8")
    scenario = tmp_path / "clinic.test.yaml"
    scenario.write_text(item.example, encoding="utf-8")
    r = runner.invoke(app, ["test", str(scenario)])
    assert r.exit_code == 1
    assert item.code in r.output, r.output
