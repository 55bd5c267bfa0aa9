"""`flowc rules` and code selection as a user meets them: every code listed, each explained,
unknown codes and prefixes refused with exit 2 and the known families named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowc.cli.main import app
from flowc.codes import CATALOGUE, FAMILIES

runner = CliRunner()

FLOW = """\
flowc: 1
flow: clinic
entry: welcome
nodes:
  welcome: {play: "Welcome to the clinic.", next: goodbye}
  goodbye: {hangup: NORMAL_CLEARING}
"""


def test_rules_lists_every_code_grouped_by_family() -> None:
    r = runner.invoke(app, ["rules"])
    assert r.exit_code == 0
    lines = r.output.splitlines()
    for e in CATALOGUE:
        (line,) = [x for x in lines if x.strip().startswith(e.code + " ")]
        # the whole summary, on the code's own line (FL205 and FL305 used to be cut)
        assert line.endswith(e.summary), line
        assert e.name in line and str(e.severity) in line
    titles = [f.title for f in FAMILIES]
    found = [t for t in titles if any(x.startswith(t) for x in lines)]
    assert found == titles
    # each code sits under its family's heading
    heading_at = {t: next(i for i, x in enumerate(lines) if x.startswith(t)) for t in titles}
    fl010 = next(i for i, x in enumerate(lines) if x.strip().startswith("FL010"))
    assert heading_at[titles[0]] < fl010 < heading_at[titles[1]]
    ft301 = next(i for i, x in enumerate(lines) if x.strip().startswith("FT301"))
    assert ft301 > heading_at[titles[-1]]


@pytest.mark.parametrize("code", ["FL010", "fl001", "FL401", "FL604", "FT102", "FL205"])
def test_rules_explains_any_code(code: str) -> None:
    r = runner.invoke(app, ["rules", code])
    assert r.exit_code == 0, r.output
    assert r.output.startswith(code.upper() + " ")
    for section in ("Why:", "Example::", "Fix:"):
        assert section in r.output, (code, section)


def test_rules_fl010_is_the_dsl_syntax_explanation_the_readme_cites() -> None:
    readme = Path("README.md").read_text(encoding="utf-8")
    assert "`flowc rules FL010`" in readme and "lists every code" in readme
    r = runner.invoke(app, ["rules", "FL010"])
    assert "dsl-syntax" in r.output and "=> goodbye" in r.output


def test_rules_with_a_prefix_lists_that_family() -> None:
    r = runner.invoke(app, ["rules", "FL3"])
    assert r.exit_code == 0
    listed = [x.split()[0] for x in r.output.splitlines() if x.startswith("  ")]
    assert listed == [e.code for e in CATALOGUE if e.code.startswith("FL3")]


@pytest.mark.parametrize(
    ("code", "expected"), [("FL0O1", "did you mean `FL001`?"), ("FL9", "known families")]
)
def test_rules_refuses_an_unknown_code(code: str, expected: str) -> None:
    r = runner.invoke(app, ["rules", code])
    assert r.exit_code == 2
    assert expected in r.output and "no code " + code in r.output
    assert "FL0xx loading" in r.output and "FTxxx scenario files" in r.output


@pytest.fixture
def flow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clinic.yaml").write_text(FLOW, encoding="utf-8")
    return tmp_path / "clinic.yaml"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--select", "FL9"], "--select: unknown code or prefix `FL9`"),
        (["--ignore", "FLX"], "--ignore: unknown code or prefix `FLX`"),
        (["--ignore", "FL305,FL2O1"], "did you mean `FL201`?"),
        (["--select", "FL4"], "always checked (FL4xx schedules)"),
        (["--ignore", "FT301"], "always checked (FTxxx scenario files)"),
    ],
)
def test_check_refuses_unknown_or_unselectable_codes(
    flow: Path, args: list[str], expected: str
) -> None:
    r = runner.invoke(app, ["check", str(flow), *args])
    assert r.exit_code == 2, r.output
    assert expected in r.output
    assert "FL2xx references" in r.output  # names the families


def test_check_accepts_known_prefixes_in_any_case(flow: Path) -> None:
    r = runner.invoke(app, ["check", str(flow), "--select", "fl2,FL301", "--ignore", "fl222"])
    assert r.exit_code == 0, r.output
    assert "FL222" not in r.output
    r = runner.invoke(app, ["check", str(flow), "--select", "FL2"])
    assert "FL222" in r.output


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('select = ["FL9"]', "[tool.flowc] `select`: unknown code or prefix `FL9`"),
        ('ignore = ["FL001"]', "always checked (FL0xx loading)"),
        ('severity = {FL999 = "error"}', "`severity`: unknown code or prefix `FL999`"),
        ('severity = {FL3 = "error"}', "`FL3` is not the code of one rule"),
    ],
)
@pytest.mark.parametrize("command", ["check", "compile"])
def test_pyproject_with_an_unknown_code_is_refused(
    flow: Path, table: str, expected: str, command: str
) -> None:
    (flow.parent / "pyproject.toml").write_text(f"[tool.flowc]\n{table}\n", encoding="utf-8")
    r = runner.invoke(app, [command, str(flow)])
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert expected in r.output


def test_pyproject_selection_still_applies(flow: Path) -> None:
    (flow.parent / "pyproject.toml").write_text(
        '[tool.flowc]\nignore = ["fl222"]\nseverity = {FL202 = "error"}\n', encoding="utf-8"
    )
    r = runner.invoke(app, ["check", str(flow)])
    assert r.exit_code == 0, r.output
    assert "FL222" not in r.output


def test_sarif_describes_every_code(flow: Path) -> None:
    broken = flow.parent / "broken.yaml"
    broken.write_text("flow: [\n", encoding="utf-8")
    r = runner.invoke(app, ["check", "--format", "sarif", str(broken)])
    sarif = json.loads(r.output)
    rules = {x["id"]: x for x in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules.keys() == {e.code for e in CATALOGUE}
    assert sarif["runs"][0]["results"][0]["ruleId"] == "FL001"
    assert rules["FL001"]["shortDescription"]["text"].endswith(".")
    assert "Why:" in rules["FL001"]["fullDescription"]["text"]
