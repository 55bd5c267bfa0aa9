"""The toolchain's libraries leave the garbage collector alone: only the hosts (the `flowc`
command, `flowc serve`) tune it, once, at start."""

from __future__ import annotations

import gc
from pathlib import Path

import yaml

from bench.genflow import generate_flow
from flowc.compiler.ir import compile_flow
from flowc.pipeline import check_text
from flowc.source.dsl.printer import to_dsl
from flowc_app.gctune import FULL_GC_EVERY, rare_full_collections

ROOT = Path(__file__).resolve().parent.parent


def _state() -> tuple[bool, tuple[int, int, int], int]:
    return gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()


def test_check_and_compile_do_not_touch_the_collector() -> None:
    data = generate_flow(300)
    texts = {
        "big.yaml": yaml.safe_dump(data, sort_keys=False),
        "big.flow": to_dsl(data),
        "bank.yaml": (ROOT / "examples" / "bank.yaml").read_text("utf-8"),
    }
    before = _state()
    for _ in range(3):
        for name, text in texts.items():
            checked = check_text(text, name)
            assert checked.flow is not None, checked.diagnostics[:3]
            compile_flow(checked.flow)
            assert _state() == before, name


def test_the_command_line_makes_full_collections_rare() -> None:
    saved = gc.get_threshold()
    try:
        rare_full_collections()
        assert gc.get_threshold() == (saved[0], saved[1], FULL_GC_EVERY)
        assert gc.isenabled()
    finally:
        gc.set_threshold(*saved)
