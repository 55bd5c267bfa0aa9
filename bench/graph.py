"""Graph build + analysis (stats) + DOT output time for generated flows (no `dot` rendering).

    python bench/graph.py [--sizes 100 1000 10000]

The flow is loaded and validated first, outside the timings; each step is timed once per
size on a warm process (the best of `--repeat` runs).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times: list[float] = []
    out: Any = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def one(size: int, repeat: int) -> dict[str, float]:
    from bench.genflow import generate_flow
    from flowc.analysis.graph import build_graph
    from flowc.analysis.stats import flow_stats
    from flowc.model.build import build_flow
    from flowc.pipeline import load_text
    from flowc.render_graph import flow_dot

    doc = load_text(yaml.safe_dump(generate_flow(size), sort_keys=False), f"bench{size}.yaml")
    flow, diags = build_flow(doc)
    assert flow is not None, diags[:3]
    t_graph, g = best(lambda: build_graph(flow, doc), repeat)
    t_stats, stats = best(lambda: flow_stats(flow, graph=g), repeat)
    t_dot, source = best(lambda: flow_dot(g).source, repeat)
    assert stats.agent_presses is not None
    return {
        "nodes": len(flow.nodes),
        "edges": g.number_of_edges(),
        "graph_s": t_graph,
        "stats_s": t_stats,
        "dot_s": t_dot,
        "dot_kb": len(source.encode("utf-8")) / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="*", default=[100, 1000, 10000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(
        f"{'nodes':>7} {'edges':>7} {'graph s':>8} {'stats s':>8} {'dot s':>8} {'total s':>8} "
        f"{'us/node':>8} {'DOT KB':>8}"
    )
    for size in args.sizes:
        r = one(size, args.repeat)
        total = r["graph_s"] + r["stats_s"] + r["dot_s"]
        print(
            f"{int(r['nodes']):>7} {int(r['edges']):>7} {r['graph_s']:>8.3f} {r['stats_s']:>8.3f} "
            f"{r['dot_s']:>8.3f} {total:>8.3f} {total / r['nodes'] * 1e6:>8.1f} "
            f"{r['dot_kb']:>8.0f}"
        )


if __name__ == "__main__":
    main()
