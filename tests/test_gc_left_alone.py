"""The toolchain's libraries leave the garbage collector alone: only the hosts (the `flowc`
command, `flowc serve`) tune it, once, at start."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import yaml

from bench.genflow import generate_flow
from flowc.compiler.ir import compile_flow
from flowc.pipeline import check_paths, check_text
from flowc.source.dsl.printer import to_dsl
from flowc_app import _words
from flowc_app.gctune import FULL_GC_EVERY, rare_full_collections, tune

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


def test_checking_makes_almost_no_reference_cycles() -> None:
    """What lets `flowc check` run without the cyclic collector: what it builds is freed by
    reference counting, for every example and a big flow in both forms, but for the few
    objects a holiday calendar's look-ups leave in cycles (collected every
    `COLLECT_EVERY` files)."""
    flows = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".yaml", ".flow"))
    data = generate_flow(300)
    texts = {"big.yaml": yaml.safe_dump(data, sort_keys=False), "big.flow": to_dsl(data)}
    check_paths(flows[:1])  # imports and caches filled before counting
    gc.collect()
    gc.disable()
    try:
        results = check_paths(flows)
        assert any(r.diagnostics for r in results)  # the checks ran, warnings and all
        for name, text in texts.items():
            checked = check_text(text, name)
            assert checked.flow is not None, checked.diagnostics[:3]
            del checked
        del results
        assert gc.collect() <= 50 * len(flows)
        for name, text in texts.items():  # no calendar: nothing at all
            check_text(text, name)
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_check_runs_without_the_collector_and_other_commands_with_rare_full_ones() -> None:
    saved = gc.get_threshold()
    try:
        assert _words(["check", "--format", "json", "flows/"])[0] == "check"  # what main passes
        tune("check")
        assert not gc.isenabled()
        gc.enable()
        tune("compile")
        assert gc.isenabled() and gc.get_threshold() == (saved[0], saved[1], FULL_GC_EVERY)
        gc.set_threshold(*saved)
        tune(None)
        assert gc.isenabled() and gc.get_threshold()[2] == FULL_GC_EVERY
    finally:
        gc.enable()
        gc.set_threshold(*saved)


def test_a_long_check_collects_every_so_many_files(monkeypatch: pytest.MonkeyPatch) -> None:
    from flowc.cli import main as cli

    runs: list[int] = []

    def collect(*_args: int) -> int:
        runs.append(1)
        return 0

    monkeypatch.setattr(gc, "collect", collect)
    tidy = cli._collect_now_and_then()
    gc.disable()
    try:
        for i in range(2 * cli.COLLECT_EVERY + 5):
            tidy(Path(f"flow{i}.yaml"))
    finally:
        gc.enable()
    assert len(runs) == 2
    tidy(Path("more.yaml"))  # with the collector on, nothing to do
    assert len(runs) == 2
