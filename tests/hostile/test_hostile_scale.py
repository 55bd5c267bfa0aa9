""" "Did you mean" and scenario loading stay near-linear (counted operations, not timings)."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from flowc.diagnostics import Suggester, did_you_mean
from flowc.flowtest.scenario import _Reader, load_scenario_file
from flowc.source.yaml_loader import load_yaml_text


def test_small_sets_answer_exactly_as_difflib() -> None:
    names = ["main_menu", "billing", "balance", "tech_support", "agent", "goodbye"]
    for typo in ("balanse", "biling", "tech_suport", "agnet", "gooodbye", "zzz", "main"):
        expected = difflib.get_close_matches(typo, sorted(names), n=1, cutoff=0.6)
        assert Suggester(names).best(typo) == (expected[0] if expected else None)


def test_large_sets_compare_a_bounded_shortlist_and_still_find_the_name() -> None:
    names = [f"node_{i:05d}" for i in range(10_000)] + ["customer_lookup", "main_menu"]
    suggest = Suggester(names)
    assert suggest.hint("nodd_01234") == "did you mean `node_01234`?"
    assert suggest.best("custmer_lookup") == "customer_lookup"
    assert suggest.best("mian_menu") == "main_menu"
    assert suggest.best("qqqqqqqqqqqq") is None
    # 4 questions: every one compared with a shortlist, never with the 10,002 names
    assert suggest.compared <= 4 * Suggester.SHORTLIST


def test_the_lint_rule_builds_one_index_for_all_unknown_targets() -> None:
    from flowc.pipeline import check_text

    nodes = "\n".join(f"  node_{i:04d}: {{goto: nodd_{i:04d}}}" for i in range(1000))
    text = f"flow: big\nqueues: {{support: {{}}}}\nnodes:\n  start: {{queue: support}}\n{nodes}\n"
    calls = 0
    original = Suggester._grams_index

    def counting(self: Suggester) -> Any:
        nonlocal calls
        calls += 1 if self._index is None else 0
        return original(self)

    Suggester._grams_index = counting  # type: ignore[method-assign]
    try:
        checked = check_text(text, "big.yaml")
    finally:
        Suggester._grams_index = original  # type: ignore[method-assign]
    hints = [d.hint for d in checked.diagnostics if d.code == "FL201"]
    assert len(hints) == 1000
    assert hints[7] == "did you mean `node_0007`?"
    assert calls == 1
    assert did_you_mean("x", []) is None


class _CountingDict(dict[Any, Any]):
    scans = 0

    def items(self) -> Any:
        type(self).scans += 1
        return super().items()


def test_scenario_spans_are_grouped_once_not_scanned_per_scenario(tmp_path: Path) -> None:
    scenarios = "".join(f"  - {{name: s{i}, expect: {{path: [a]}}}}\n" for i in range(500))
    doc = load_yaml_text(f"flow: f.yaml\nscenarios:\n{scenarios}", "x.test.yaml")
    doc.spans = _CountingDict(doc.spans)
    reader = _Reader(doc, "x.test.yaml", tmp_path)
    for i in range(500):
        below = reader.spans_below(("scenarios", i), key=False)
        assert ("scenarios", i, "name") in {p for p, _ in below}
    assert _CountingDict.scans == 1


def test_a_file_of_many_scenarios_loads_with_positions(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "f.yaml").write_text("flow: f\nnodes: {a: {hangup: NORMAL_CLEARING}}\n", "utf-8")
    body = "".join(f"  - name: s{i}\n    expect: {{path: [a]}}\n" for i in range(2000))
    (tmp_path / "x.test.yaml").write_text(f"flow: f.yaml\nscenarios:\n{body}", "utf-8")
    loaded = load_scenario_file(tmp_path / "x.test.yaml")
    assert len(loaded.scenarios) == 2000
    last = loaded.scenarios[-1]
    assert last.line == 3 + 2 * 1999
    assert last.spans[("name",)].line == last.line
