"""Start-up time of the `flowc` command, with `import pydantic` measured beside it for scale.

    python bench/startup.py [--runs 10]

Each command runs `--runs` times in fresh processes, the three interleaved so a busy machine
slows them alike; the median wall time of each is printed, and each over pydantic's import
(the ratio says more than seconds on a shared machine). Bytecode caches are allowed and warmed
first, as after any install.
"""

from __future__ import annotations

import argparse
import os
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


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def measure(runs: int) -> dict[str, float]:
    env = _env()
    for cmd in COMMANDS.values():  # warm the bytecode caches and the file cache
        _wall(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, cmd in COMMANDS.items():
            times[name].append(_wall(cmd, env))
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    medians = measure(args.runs)
    scale = medians["python -c 'import pydantic'"]
    print(f"median of {args.runs} runs, wall seconds (x = times pydantic's import)")
    for name, median in medians.items():
        print(f"{name:<34} {median:6.3f} s  {median / scale:5.1f} x")


if __name__ == "__main__":
    main()
