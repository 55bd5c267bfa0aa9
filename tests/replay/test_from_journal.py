"""`flowc test --from-journal`: every recorded call of every flow becomes a scenario that
passes `flowc test` against the flows it was recorded on; the journal and the scenarios
hold no secret the callers entered (PINs, card numbers), only valid/invalid markers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import replay_support as R
import yaml

from flowc.flowtest.runner import run_tests
from flowc_app import main
from flowc_app.replay_cmd import load_recorded

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# The secrets the bank scenarios key in (examples/bank.test.yaml): PINs and card numbers.
SECRETS = ("123456", "111111", "222222", "333333", "6222020012345678", "5555555555555555")


def _call_ids(rec: R.Recorded, flow: str) -> list[str]:
    calls, _ = load_recorded(rec.journal, flows=[flow])
    return [c.call_id for c in calls]


@pytest.mark.parametrize("flow", ["bank", "ecommerce_aftersales", "telecom_care", "telecom_line"])
def test_recorded_calls_become_scenarios_that_pass(
    recorded: R.Recorded, flow: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "examples", project)
    monkeypatch.chdir(project)  # scenario files read only inside the project folder
    ids = _call_ids(recorded, flow)
    assert len(ids) >= 5
    out = project / f"recorded_{flow}.test.yaml"  # beside the flow: its project folder
    args = ["test", "--from-journal", recorded.journal, "-o", str(out)]
    args += ["--bundle", str(recorded.bundle), "--env", "e2e", "--flows", str(project)]
    for call_id in ids:
        args += ["--call", call_id]
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code in (0, None)
    text = out.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    assert [s["call_id"] for s in doc["scenarios"]] == ids
    assert all(s["expect"]["path"] and s["expect"]["outcome"]["kind"] for s in doc["scenarios"])
    if flow == "bank":  # (other flows' mock answers hold numbers like these)
        for secret in SECRETS:
            assert secret not in text
    run = run_tests([out], asr=False)
    assert not run.problems
    assert all(f.problem is None and not f.broken for f in run.files), [
        (f.problem, [d.message for d in f.diagnostics]) for f in run.files
    ]
    failed = [r for f in run.files for r in f.results if not r.passed]
    assert not failed, failed[0]
    assert sum(len(f.results) for f in run.files) == len(ids)


def test_the_journal_keeps_no_secret_entry(recorded: R.Recorded) -> None:
    calls, _ = load_recorded(recorded.journal, flows=["bank"])
    dumped = json.dumps([c.events for c in calls], ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in dumped
    secret_entries = [e for c in calls for e in c.events if "v" in e]
    assert any(e["v"] == 1 for e in secret_entries)  # valid PINs and cards, as markers
    assert any(e["v"] == 0 for e in secret_entries)  # and refused ones
    assert all("d" not in e and "x" not in e for e in secret_entries)


def test_an_unknown_call_is_a_clear_error(recorded: R.Recorded, tmp_path: Path) -> None:
    args = ["test", "--from-journal", recorded.journal, "--call", "no-such-call"]
    args += ["-o", str(tmp_path / "x.test.yaml"), "--bundle", str(recorded.bundle)]
    args += ["--env", "e2e"]
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 2
    assert not (tmp_path / "x.test.yaml").exists()
