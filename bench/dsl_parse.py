"""Parse speed of a generated flow in both forms: `python bench/dsl_parse.py [nodes]`.

Generates a flow of all node kinds, prints it with `to_dsl` and `to_yaml`, then times
`parse_dsl_text` against `load_yaml_text` (best of several runs, CPU time of this process, so a
busy machine disturbs the ratio less), and the DSL parse again with lark's own LALR driver
only, to show what the fast path (`flowc/source/dsl/fastparse.py`) still saves. The collector
is set as the `flowc` command sets it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flowc.source.dsl import parser as dsl_parser
from flowc.source.dsl.parser import parse_dsl_text
from flowc.source.dsl.printer import to_dsl
from flowc.source.emit_yaml import to_yaml


def generate(n: int) -> dict[str, Any]:
    nodes: dict[str, Any] = {}
    for i in range(n):
        nxt, other = f"n{(i + 1) % n}", f"n{(i + 7) % n}"
        kind = i % 10
        if kind == 0:
            node: dict[str, Any] = {
                "menu": {
                    "prompt": {"zh-CN": "查询话费请按1", "en-US": "For billing press 1"},
                    "options": {"1": nxt, "2": other, "0": "n0"},
                    "timeout": "5s",
                    "retries": 3,
                    "no_input": "Sorry, I did not hear you",
                    "on_fail": other,
                }
            }
        elif kind == 1:
            node = {
                "fetch": "crm",
                "params": {"ani": "{caller.number}"},
                "set": {"tier": "{result.tier}"},
                "next": nxt,
                "on_error": other,
            }
        elif kind == 2:
            node = {
                "switch": [
                    {"if": 'tier == "gold"', "goto": nxt},
                    {"if": "attempts > 2", "goto": other},
                ],
                "default": nxt,
            }
        elif kind == 3:
            node = {"play": ["Your balance is ", {"say": {"money": "{balance}"}}], "next": nxt}
        elif kind == 4:
            node = {
                "queue": "billing",
                "priority": 5,
                "max_wait": "10m",
                "on_timeout": other,
                "after": nxt,
            }
        elif kind == 5:
            node = {
                "collect": {
                    "into": "pin",
                    "prompt": "Enter your PIN",
                    "min": 4,
                    "max": 6,
                    "on_fail": other,
                },
                "next": nxt,
            }
        elif kind == 6:
            node = {"hours": "care_hours", "open": nxt, "closed": other}
        elif kind == 7:
            node = {"set": {"attempts": "{attempts + 1}"}, "next": nxt}
        elif kind == 8:
            node = {"transfer": "legal_desk", "mode": "warm", "on_fail": other}
        else:
            node = {"hangup": None, "prompt": {"prompt": "goodbye"}}
        nodes[f"n{i}"] = node
    return {
        "flow": "bench",
        "locales": ["zh-CN", "en-US"],
        "prompts": {"goodbye": {"zh-CN": "再见", "en-US": "Goodbye"}},
        "nodes": nodes,
    }


def best_cpu(fn: Callable[[], object], runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    from flowc.source.yaml_loader import load_yaml_text
    from flowc_app.gctune import rare_full_collections

    rare_full_collections()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    data = generate(n)
    dsl_text, yaml_text = to_dsl(data), to_yaml(data)
    assert parse_dsl_text(dsl_text, "bench.flow").data == data
    assert load_yaml_text(yaml_text, "bench.yaml").data == data
    dsl = best_cpu(lambda: parse_dsl_text(dsl_text, "bench.flow"))
    yml = best_cpu(lambda: load_yaml_text(yaml_text, "bench.yaml"))
    # The same parse with lark's own driver only: what the fast path (fastparse.py) saves.
    dsl_parser.USE_FAST_PATH = False
    try:
        assert parse_dsl_text(dsl_text, "bench.flow").data == data
        lark_only = best_cpu(lambda: parse_dsl_text(dsl_text, "bench.flow"))
    finally:
        dsl_parser.USE_FAST_PATH = True
    print(
        f"{n} nodes: .flow {dsl_text.count(chr(10))} lines, .yaml {yaml_text.count(chr(10))} lines"
    )
    print(f"DSL  {dsl:.3f}s  {n / dsl:,.0f} nodes/s")
    print(f"DSL, lark's own parser only {lark_only:.3f}s  {n / lark_only:,.0f} nodes/s")
    print(f"YAML {yml:.3f}s  {n / yml:,.0f} nodes/s")
    print(f"DSL / YAML = {dsl / yml:.2f}")
    print(f"fast path: {lark_only / dsl:.2f}x lark's own parser")


if __name__ == "__main__":
    main()
