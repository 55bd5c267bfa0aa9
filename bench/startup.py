"""Start-up time of the `flowc` command, with `import pydantic` measured beside it for scale.

    python bench/startup.py [--runs 10]

Each command runs `--runs` times in fresh processes, the three interleaved so a busy machine
slows them alike; the median wall time and CPU time (user + system) of each is printed, and
each over pydantic's import (ratios and CPU time say more than wall seconds on a shared
machine). Bytecode caches are allowed and warmed
first, as after any install.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMMANDS: dict[str, list[str]] = {
    "python -c 'import pydantic'": [sys.executable, "-c", "import pydantic"],
    "flowc --version": [sys.executable, "-m", "flowc_app", "--version"],
    "flowc check examples/bank.yaml": [
        sys.executable,
        "-m",
        "flowc_app",
        "check",
        "examples/bank.yaml",
    ],
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed flowc has its .pyc files
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU is user + system time of the process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def measure(runs: int) -> dict[str, tuple[float, float]]:
    env = _env()
    for cmd in COMMANDS.values():  # warm the bytecode caches and the file cache
        _run(cmd, env)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, cmd in COMMANDS.items():
            times[name].append(_run(cmd, env))
    return {
        name: (statistics.median(w for w, _ in ts), statistics.median(c for _, c in ts))
        for name, ts in times.items()
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    medians = measure(args.runs)
    wall0, cpu0 = medians["python -c 'import pydantic'"]
    load = os.getloadavg()[0]
    print(f"median of {args.runs} runs (x = times pydantic's import; load {load:.1f})")
    for name, (wall, cpu) in medians.items():
        print(
            f"{name:<34} {wall:6.3f} s wall {wall / wall0:5.1f} x   "
            f"{cpu:6.3f} s CPU {cpu / cpu0:5.1f} x"
        )


if __name__ == "__main__":
    main()
