"""Regenerate every golden fixture in one go; review the diff before committing.

    python scripts/regen_golden.py

Golden pairs: example flows -> compiled IR (tests/golden/ir/), examples + bindings -> the
FreeSWITCH files (tests/golden/freeswitch/), and each producer module
registered in GENERATORS below (interpreter event scripts -> commands, DSL forms of the
examples). Each generator is the same code the tests compare against.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def regen_ir() -> list[Path]:
    from tests.golden.cases import GOLDEN_IR, compiled_ir_text, example_files, golden_ir_path

    GOLDEN_IR.mkdir(parents=True, exist_ok=True)
    written = []
    for example in example_files():
        path = golden_ir_path(example)
        path.write_text(compiled_ir_text(example), encoding="utf-8")
        written.append(path)
    return written


def _optional(module: str, func: str) -> Callable[[], list[Path]] | None:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError:
        return None
    fn: Callable[[], list[Path]] | None = getattr(mod, func, None)
    return fn


def main() -> None:
    import os

    os.chdir(ROOT)
    generators: list[tuple[str, Callable[[], list[Path]] | None]] = [
        ("compiled IR of the examples", regen_ir),
        ("DSL forms of the examples", _optional("tests.golden.cases", "regen_dsl_forms")),
        ("interpreter event scripts", _optional("tests.interpreter.regen", "regen")),
        ("FreeSWITCH files of the examples", _optional("tests.golden.cases", "regen_freeswitch")),
    ]
    for label, gen in generators:
        if gen is None:
            continue
        paths = gen()
        print(f"{label}: {len(paths)} file(s)")


if __name__ == "__main__":
    main()
