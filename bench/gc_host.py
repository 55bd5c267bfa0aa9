"""What the command line's collector setting (`flowc_app.gctune`) saves on big flows.

    python bench/gc_host.py [--sizes 1000 10000 50000]

Loads, checks and compiles a generated flow (bench/genflow.py) in a fresh process per size and
setting: Python's default collector, the setting `flowc` applies at start (rare full
collections), and the one of `flowc check` (no cyclic collector). Prints the CPU
seconds of the work, the seconds spent in the collector (timed by `gc.callbacks`) and how many
collections ran. CPU time, not wall time, so a busy machine disturbs the figures less.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SETTINGS = ("python default", "flowc (host)", "flowc check")


def one(size: int, setting: str) -> dict[str, float]:
    from bench.genflow import generate_flow
    from flowc.compiler.ir import compile_flow
    from flowc.pipeline import check_doc, load_text
    from flowc_app.gctune import tune

    text = yaml.safe_dump(generate_flow(size), sort_keys=False)
    spent = [0.0, 0.0]
    started = [0.0]

    def timer(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.process_time()
        else:
            spent[0] += time.process_time() - started[0]
            spent[1] += 1

    if setting == SETTINGS[1]:
        tune("compile")  # rare full collections
    elif setting == SETTINGS[2]:
        tune("check")  # no cyclic collector
    gc.callbacks.append(timer)
    t0 = time.process_time()
    checked = check_doc(load_text(text, f"bench{size}.yaml"))
    assert checked.flow is not None, checked.diagnostics[:3]
    compile_flow(checked.flow)
    cpu = time.process_time() - t0
    gc.callbacks.remove(timer)
    return {"cpu_s": cpu, "gc_s": spent[0], "collections": spent[1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 50000])
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(int(args.one[0]), args.one[1])))
        return
    print(f"{'nodes':>7}  {'collector':<16} {'CPU s':>7} {'in GC s':>8} {'collections':>11}")
    for size in args.sizes:
        for setting in SETTINGS:
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(size), setting],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            r = json.loads(out)
            print(
                f"{size:>7}  {setting:<16} {r['cpu_s']:>7.3f} {r['gc_s']:>8.3f} "
                f"{int(r['collections']):>11}"
            )


if __name__ == "__main__":
    main()
