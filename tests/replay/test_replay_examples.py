"""Every example's runnable scenarios as emulated calls (emulator -> ESL -> runtime ->
interpreter), journaled on SQLite and on a real PostgreSQL server, replayed by `flowc replay`:

* through the bundle they were recorded on: 100% identical;
* through a bundle with one scripted change (a new option, a reworded prompt, a moved branch,
  a removed queue): exactly the calls whose scenario the simulator says the change affects,
  and no others, each with the kind of divergence the change makes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import replay_support as R
from changes import CHANGES, Change, apply, changed_by_simulation
from typer.testing import CliRunner

from flowc_app import full_app
from runtime.scenario_calls import compile_with_bindings

pytestmark = pytest.mark.e2e


def _split(sid: str) -> tuple[str, str]:
    stem, name = sid.split(": ", 1)
    return stem, name


def _replay(rec: R.Recorded, bundle: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(
        full_app(),
        [
            "replay",
            "--journal",
            rec.journal,
            "--bundle",
            str(bundle),
            "--env",
            "e2e",
            "--format",
            "json",
            "--details",
            *extra,
        ],
    )
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def test_every_runnable_scenario_was_recorded(recorded: R.Recorded) -> None:
    assert set(recorded.calls) == set(R.RUNNABLE) and not recorded.refused
    assert len(R.RUNNABLE) >= 80
    # public_hotline_zh plays sound files in every scenario, which no recording of the stock
    # switch shows (tests/e2e/test_examples.py): the strict emulator runs none of its calls.
    assert {sid.split(":")[0] for sid in recorded.calls} == {
        "bank",
        "ecommerce_aftersales",
        "telecom_care",
        "telecom_line",
    }


def test_the_recorded_bundle_replays_100_percent_identical(recorded: R.Recorded) -> None:
    code, report = _replay(recorded, recorded.bundle, "--fail-over", "0")
    assert code == 0
    assert report["calls"] >= len(recorded.calls)
    assert report["identical"] == report["calls"], report["calls_detail"]
    assert report["identical_pct"] == 100.0 and report["changed_calls"] == []
    assert report["replayed_from_steps_only"] == 0 and report["skipped"] == {}


@pytest.mark.parametrize("change", CHANGES, ids=[c.name for c in CHANGES])
def test_a_change_reports_exactly_the_calls_it_changes(
    recorded: R.Recorded, change: Change, tmp_path: Path
) -> None:
    examples = apply(change, tmp_path / "examples")
    bundle = compile_with_bindings([examples], tmp_path, recorded.mock_url, "e2e")
    expected = changed_by_simulation(examples, sorted(recorded.calls), _split)
    assert expected, f"{change.name} changes no scenario: the test would prove nothing"
    code, report = _replay(recorded, bundle)
    assert code == 0  # no --fail-over: the report only
    by_call = {call_id: sid for sid, call_id in recorded.calls.items()}
    changed = {by_call[c] for c in report["changed_calls"] if c in by_call}
    assert changed == expected
    kinds = report["counts"]
    if change.name == "reworded prompt":
        assert kinds["new_prompts"] == len(changed) and kinds["different_end"] == 0
        assert kinds["different_path"] == 0
    elif change.name == "new option":
        assert kinds["different_path"] + kinds["different_end"] == len(changed)
        assert any(p["at"] == "broadband_menu" for p in report["top_paths"])
    elif change.name == "moved branch":
        assert any(
            p["at"] == "anything_else" and p["was"] == "goodbye" and p["now"] == "main_menu"
            for p in report["top_paths"]
        )
    elif change.name == "removed queue":
        assert kinds["different_end"] >= 1
        assert any(p["was"] == "wealth_queue" for p in report["top_paths"])
    assert report["identical"] == report["calls"] - len(report["changed_calls"])
    # --fail-over gates CI on the share of calls that end differently
    ends = report["ends_changed_pct"]
    code_over, _ = _replay(recorded, bundle, "--fail-over", "100")
    assert code_over == 0
    if ends > 0:
        code_under, _ = _replay(recorded, bundle, "--fail-over", str(ends / 2))
        assert code_under == 1
