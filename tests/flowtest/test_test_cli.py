"""`flowc test`: the example scenarios pass, a changed expectation fails with a clear message,
JUnit XML, JSON, and exact coverage numbers."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowc.cli.main import app

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["test", *args])
    return r.exit_code, r.output


def test_the_examples_and_the_main_line_pass_with_90_percent_coverage() -> None:
    code, out = run("examples/", "flows/", "--min-coverage", "90")
    lines = out.rstrip("\n").splitlines()
    assert code == 0, out
    assert lines[-1].endswith(" passed, 0 failed")
    assert lines[-1].split()[0].isdigit() and len(lines[-1].split()) == 4
    for flow in ("telecom_care", "bank", "ecommerce_aftersales", "public_hotline_zh", "main_line"):
        row = next(line for line in lines if line.startswith(flow + " "))
        assert float(row.split()[-1].rstrip("%")) >= 90.0, row
    assert "examples/telecom_care.test.yaml ...." in out


@pytest.fixture
def care_copy(tmp_path: Path) -> Path:
    """examples/telecom_care.test.yaml in a scratch folder, next to a copy of its flow."""
    shutil.copy(ROOT / "examples/telecom_care.yaml", tmp_path / "telecom_care.yaml")
    shutil.copytree(ROOT / "examples/mocks", tmp_path / "mocks")
    target = tmp_path / "telecom_care.test.yaml"
    shutil.copy(ROOT / "examples/telecom_care.test.yaml", target)
    return target


VIP = "  - name: a diamond customer goes straight to the VIP queue and rates the call\n"


def test_a_changed_expectation_fails_naming_the_step(care_copy: Path) -> None:
    text = care_copy.read_text(encoding="utf-8")
    assert "outcome: {queue: vip, priority: 10, ended: hangup}" in text
    text = text.replace(
        "outcome: {queue: vip, priority: 10, ended: hangup}",
        "outcome: {queue: billing, priority: 10, ended: hangup}",
    )
    care_copy.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    name_line = lines.index(VIP.rstrip("\n")) + 1
    expect_line = next(i for i, line in enumerate(lines, 1) if "queue: billing" in line)

    code, out = run(str(care_copy))
    assert code == 1, out
    assert out.rstrip("\n").splitlines()[-1] == "54 passed, 1 failed"
    assert f"telecom_care.test.yaml:{name_line}: a diamond customer goes straight" in out
    assert (
        f"telecom_care.test.yaml:{expect_line}: expect.outcome.queue: the call ended queued" in out
    )
    assert "    expected: billing\n    got:      vip\n" in out
    assert "trace (last 12 steps):" in out
    assert "survey_route decision: no rule is true: default `goodbye`" in out
    assert " FAILURES " in out


def test_junit_xml(care_copy: Path, tmp_path: Path) -> None:
    care_copy.write_text(
        care_copy.read_text(encoding="utf-8").replace(
            "path_exact: [start, after_hours]", "path_exact: [start, greet]"
        ),
        encoding="utf-8",
    )
    out_xml = tmp_path / "reports" / "junit.xml"
    code, _ = run(str(care_copy), str(ROOT / "flows"), "--junit", str(out_xml))
    assert code == 1
    root = ET.parse(out_xml).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name", "").rsplit("/", 1)[-1] for s in suites] == [
        "telecom_care.test.yaml",
        "main_line.test.yaml",
    ]
    care, main = suites
    assert care.get("tests") == "55" and care.get("failures") == "1"
    assert main.get("failures") == "0" and int(main.get("tests", "0")) >= 30
    cases = care.findall("testcase")
    assert len(cases) == 55 and all(c.get("classname") == "telecom_care" for c in cases)
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["after hours the caller can leave a message"]
    failure = failed[0].find("failure")
    assert failure is not None
    assert failure.get("message") == "expect.path_exact: the path differs from step 2 on"
    assert 'expected: ["start", "greet"]' in (failure.text or "")
    assert root.get("tests") == str(55 + int(main.get("tests", "0")))
    props = {p.get("name"): p.get("value") for p in care.iter("property")}
    assert props["flow"] == "telecom_care"


SMALL = """\
flow: cov
agent_key: {key: "0", goto: agent}
queues: {q: {skill: q}}
nodes:
  menu:
    menu:
      prompt: "Press 1 or 2."
      options: {1: one, 2: two}
      speech: {one: one}
      on_fail: agent
  one: {play: "one", next: bye}
  two: {play: "two", next: bye}
  agent: {queue: q, on_timeout: bye}
  bye: {hangup: null}
"""

SMALL_TESTS = """\
flow: cov.yaml
scenarios:
  - name: key 1
    inputs: [press 1]
    expect: {path_exact: [menu, one, bye], outcome: {hangup: NORMAL_CLEARING}}
  - name: agent key, queue timeout
    inputs: [press 0]
    queues: {q: timeout}
    expect: {path: [menu, agent, bye]}
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    (tmp_path / "cov.yaml").write_text(SMALL, encoding="utf-8")
    p = tmp_path / "cov.test.yaml"
    p.write_text(SMALL_TESTS, encoding="utf-8")
    return p


def test_coverage_numbers_on_a_small_flow(small: Path) -> None:
    code, out = run(str(small))
    assert code == 0, out
    # 5 nodes; 8 edges: menu key 1, key 2, say "one", on_fail, key 0 (agent), one/two next,
    # agent on_timeout. The two calls enter 4 nodes and take 4 edges.
    row = next(line for line in out.splitlines() if line.startswith("cov "))
    assert row.split() == ["cov", "2", "4/5", "2/4", "1/2", "4/8", "50.0%"]
    uncovered = out[out.index("cov: 4 edge(s) not covered") :].splitlines()[1:6]
    assert uncovered == [
        "  menu --key 2--> two",
        '  menu --say "one"--> one',
        "  menu --on_fail--> agent",
        "  two --next--> bye",
        "  nodes never entered: two",
    ]
    code, out = run(str(small), "--format", "json")
    data = json.loads(out)
    (cov,) = data["coverage"]
    assert cov["nodes"] == {"covered": 4, "total": 5, "percent": 80.0}
    assert cov["menu_options"] == {"covered": 2, "total": 4, "percent": 50.0}
    assert cov["outcome_edges"] == {"covered": 1, "total": 2, "percent": 50.0}
    assert cov["edges"] == {"covered": 4, "total": 8, "percent": 50.0}
    assert cov["unvisited_nodes"] == ["two"]
    assert data["summary"] == {"passed": 2, "failed": 0, "skipped": 0} and data["ok"] is True
    assert data["files"][0]["scenarios"][0]["path"] == ["menu", "one", "bye"]


def test_min_coverage_fails_the_run(small: Path) -> None:
    code, out = run(str(small), "--min-coverage", "60")
    assert code == 1
    lines = out.rstrip("\n").splitlines()
    assert lines[-2] == "coverage of cov is 50.0% of edges, below --min-coverage 60%"
    assert lines[-1] == "2 passed, 0 failed"
    assert run(str(small), "--min-coverage", "50")[0] == 0


def test_a_flow_file_stands_for_its_scenario_file(small: Path) -> None:
    code, out = run(str(small.with_name("cov.yaml")), "-k", "agent")
    assert code == 0
    assert out.rstrip("\n").splitlines()[-1] == "1 passed, 0 failed"


def test_invalid_scenario_file_and_unknown_names(small: Path) -> None:
    small.write_text(
        SMALL_TESTS.replace("inputs: [press 1]", "inputs: [press 1]\n    expcet: {}"),
        encoding="utf-8",
    )
    code, out = run(str(small))
    assert code == 1
    assert "FT101" in out and "unknown key `expcet`" in out and "did you mean `expect`?" in out
    assert out.rstrip("\n").splitlines()[-1] == "0 passed, 1 failed"
    small.write_text(
        SMALL_TESTS.replace("path: [menu, agent, bye]", "path: [menu, agnet]"), encoding="utf-8"
    )
    code, out = run(str(small))
    assert code == 1
    assert "FT301 the flow `cov` has no node `agnet`; did you mean `agent`?" in out


def test_no_scenarios_is_a_usage_error(tmp_path: Path) -> None:
    code, out = run(str(tmp_path))
    assert code == 2
    code, out = run(str(tmp_path / "missing"))
    assert code == 1 and "no such file or folder" in out
