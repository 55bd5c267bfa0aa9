"""Check + compile time and peak memory for generated flows of 100, 1,000 and 10,000 nodes.

    python bench/check_compile.py [--sizes 100 1000 10000]

Each size runs in a fresh process so peak memory (ru_maxrss) belongs to that size alone.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def one(size: int) -> dict[str, float]:
    from bench.genflow import generate_flow
    from flowc.compiler.ir import compile_flow
    from flowc.pipeline import check_doc, load_text

    text = yaml.safe_dump(generate_flow(size), allow_unicode=True, sort_keys=False)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    doc = load_text(text, f"bench{size}.yaml")
    t1 = time.perf_counter()
    checked = check_doc(doc)
    t2 = time.perf_counter()
    assert checked.flow is not None, checked.diagnostics[:3]
    ir = compile_flow(checked.flow)
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "nodes": len(ir.nodes),
        "load_s": t1 - t0,
        "check_s": t2 - t1,
        "compile_s": t3 - t2,
        "total_s": t3 - t0,
        "peak_mb": peak / 1024,
        "delta_mb": (peak - base) / 1024,
        "errors": sum(1 for d in checked.diagnostics if d.severity.name == "ERROR"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="*", default=[100, 1000, 10000])
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    print(
        f"{'nodes':>7} {'load s':>8} {'check s':>8} {'compile s':>9} {'total s':>8} "
        f"{'peak MB':>8} {'us/node':>8} {'vs n log n':>10}"
    )
    first: tuple[int, float] | None = None
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out)
        n, total = int(r["nodes"]), r["total_s"]
        # Growth relative to n log n from the first size: 1.0 means exactly n log n.
        if first is None:
            first = (n, total)
        ratio = (total / first[1]) / ((n * math.log(n)) / (first[0] * math.log(first[0])))
        print(
            f"{n:>7} {r['load_s']:>8.3f} {r['check_s']:>8.3f} {r['compile_s']:>9.3f} "
            f"{total:>8.3f} {r['peak_mb']:>8.1f} {total / n * 1e6:>8.1f} {ratio:>10.2f}"
        )


if __name__ == "__main__":
    main()
