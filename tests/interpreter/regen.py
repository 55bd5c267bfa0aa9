"""Regenerate the interpreter's golden transcripts: `python -m tests.interpreter.regen [name...]`.

Each `golden/<name>.yaml` (a flow, optional modules, call info, flags, start time and a list of
events) is run through the interpreter and `golden/<name>.expected.json` is rewritten with the
exact commands returned at each step and the outcome. Review the diff before committing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.interpreter.flowkit import GOLDEN_DIR, dumps, golden_names, load_golden, run_golden


def main(argv: list[str]) -> int:
    names = argv or golden_names()
    unknown = sorted(set(names) - set(golden_names()))
    if unknown:
        print(f"no golden case named {', '.join(unknown)}", file=sys.stderr)
        return 2
    for name in names:
        target = GOLDEN_DIR / f"{name}.expected.json"
        text = dumps(run_golden(load_golden(name)))
        old = target.read_text(encoding="utf-8") if target.exists() else None
        target.write_text(text, encoding="utf-8")
        print(f"{'unchanged' if old == text else 'written  '} {target.name}")
    return 0


def regen() -> list[Path]:
    """Every golden case, for scripts/regen_golden.py."""
    main([])
    return [GOLDEN_DIR / f"{name}.expected.json" for name in golden_names()]


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
