"""Two costs that used to grow with the square of the input: "did you mean" and scenario files.

    python bench/hostile_scale.py [--targets 1000 10000] [--scenarios 1000 4000]

Prints, for each size: the time to check a flow whose every node jumps to an unknown target
(one "did you mean" per node, among as many node names), with the number of name
comparisons made; and the time to load a scenario file of that many scenarios. Both should
grow about linearly (before: 10,000 targets 187 s, 4,000 scenarios 33 s).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def unknown_targets(n: int) -> tuple[float, int, int]:
    """(seconds to check, FL201 diagnostics, name comparisons) for `n` unknown targets."""
    from flowc.diagnostics import Suggester
    from flowc.pipeline import check_doc, load_text

    nodes: dict[str, object] = {"start": {"queue": "support"}}
    for i in range(n):
        nodes[f"node_{i:05d}"] = {"goto": f"nodd_{i:05d}"}  # one letter off
    text = yaml.safe_dump(
        {"flow": "big", "queues": {"support": {}}, "nodes": nodes}, sort_keys=False
    )
    doc = load_text(text, "big.yaml")
    compared = 0
    best = Suggester.best

    def counting(self: Suggester, name: str) -> str | None:
        nonlocal compared
        before = self.compared
        out = best(self, name)
        compared += self.compared - before
        return out

    Suggester.best = counting  # type: ignore[method-assign]
    try:
        t0 = time.perf_counter()
        checked = check_doc(doc)
        elapsed = time.perf_counter() - t0
    finally:
        Suggester.best = best  # type: ignore[method-assign]
    found = sum(1 for d in checked.diagnostics if d.code == "FL201")
    return elapsed, found, compared


def scenarios(n: int) -> float:
    """Seconds to load a scenario file of `n` scenarios."""
    from flowc.flowtest.scenario import load_scenario_file

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "pyproject.toml").write_text("", encoding="utf-8")
        (folder / "bank.yaml").write_text(
            (root / "examples" / "bank.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
        lines = ["flow: bank.yaml", "scenarios:"]
        for i in range(n):
            lines += [
                f"  - name: scenario {i}",
                '    inputs: [press 2, press "123456#"]',
                "    expect: {path: [main_menu, verify], heard: [hello]}",
            ]
        path = folder / "many.test.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        t0 = time.perf_counter()
        loaded = load_scenario_file(path)
        elapsed = time.perf_counter() - t0
        assert len(loaded.scenarios) == n
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--scenarios", type=int, nargs="*", default=[1000, 4000])
    args = parser.parse_args()
    scenarios(10)  # imports and first-use caches out of the figures
    for n in args.targets:
        elapsed, found, compared = unknown_targets(n)
        print(
            f"did you mean: {n:>6,} unknown targets  {elapsed:7.2f} s  "
            f"{found:,} hints, {compared:,} comparisons ({compared / max(found, 1):.1f} each)"
        )
    for n in args.scenarios:
        print(f"scenarios:    {n:>6,} in one file       {scenarios(n):7.2f} s")


if __name__ == "__main__":
    main()
