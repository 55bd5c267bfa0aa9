"""Big flows: `flowc check` of a chain of 10,000 menus, and how check, compile and graph grow.

    python bench/big_flows.py [--menus 10000] [--runs 3] [--sizes 1000 5000 10000 25000 50000]

1. `flowc check` (a fresh process, start-up included) of `generate_menu_chain(10000)` from
   bench/genflow.py, 5 options a menu: median wall and CPU seconds of `--runs` runs.
2. For flows of 1,000 to 50,000 nodes (the same chain), each size in a fresh process with the
   collector set as `flowc` sets it: CPU seconds of check (load, validate, lint), compile (IR)
   and graph (call graph and DOT text, no Graphviz layout), and each against n log n from the
   first size: 1.00 grows exactly like n log n, more than that grows faster.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STAGES = ("check", "compile", "graph")


def _chain_text(menus: int) -> str:
    """The chain as YAML, one node a line in flow style (JSON is YAML too): 50,000 nodes stay
    under flowc's 10 MB file limit."""
    from bench.genflow import generate_menu_chain

    data = generate_menu_chain(menus)
    nodes = data.pop("nodes")
    lines = [yaml.safe_dump(data, sort_keys=False).rstrip("\n"), "nodes:"]
    lines += [f"  {name}: {_flow(node)}" for name, node in nodes.items()]
    return "\n".join(lines) + "\n"


def _flow(value: object) -> str:
    """Compact YAML flow style for the generator's plain values (quoted when needed)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "null"
    text = str(value)
    return text if re.fullmatch(r"[\w .?]+", text) and text == text.strip() else json.dumps(text)


def one(menus: int) -> dict[str, float]:
    from flowc.analysis.graph import build_graph
    from flowc.compiler.ir import compile_flow
    from flowc.pipeline import check_doc, load_text
    from flowc.render_graph import flow_dot
    from flowc_app.gctune import rare_full_collections

    rare_full_collections()
    text = _chain_text(menus)
    t0 = time.process_time()
    doc = load_text(text, f"chain{menus}.yaml")
    checked = check_doc(doc)
    assert checked.flow is not None, checked.diagnostics[:3]
    t1 = time.process_time()
    compile_flow(checked.flow)
    t2 = time.process_time()
    dot = flow_dot(build_graph(checked.flow, doc)).source
    t3 = time.process_time()
    assert dot
    return {
        "nodes": len(checked.flow.nodes),
        "check": t1 - t0,
        "compile": t2 - t1,
        "graph": t3 - t2,
        "errors": sum(1 for d in checked.diagnostics if d.severity.name == "ERROR"),
    }


def command(menus: int, runs: int) -> None:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"chain{menus}.yaml"
        path.write_text(_chain_text(menus), "utf-8")
        cmd = [sys.executable, "-m", "flowc_app", "check", str(path)]
        subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, check=False)  # warm up
        walls: list[float] = []
        cpus: list[float] = []
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, check=False)
            walls.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            if done.returncode != 0:
                out = done.stdout.decode(errors="replace")
                raise SystemExit(f"flowc check failed ({done.returncode}):\n{out}")
    print(
        f"flowc check, chain of {menus:,} menus x 5 options: median of {runs}: "
        f"{statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU "
        f"(exit 0; load average {os.getloadavg()[0]:.1f})"
    )


def table(sizes: list[int]) -> None:
    print(
        f"{'nodes':>7} " + " ".join(f"{s + ' s':>9} {'us/node':>7} {'/nlogn':>6}" for s in STAGES)
    )
    first: dict[str, tuple[int, float]] = {}
    for size in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(max(size - 2, 1))],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out)
        n = int(r["nodes"])
        cells = []
        for stage in STAGES:
            secs = r[stage]
            n0, s0 = first.setdefault(stage, (n, secs))
            ratio = (secs / s0) / ((n * math.log(n)) / (n0 * math.log(n0))) if s0 else 0.0
            cells.append(f"{secs:>9.3f} {secs / n * 1e6:>7.1f} {ratio:>6.2f}")
        print(f"{n:>7} " + " ".join(cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--menus", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 5000, 10000, 25000, 50000])
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    command(args.menus, args.runs)
    print("CPU seconds per stage; /nlogn = growth against n log n from the first size")
    table(args.sizes)


if __name__ == "__main__":
    main()
