"""`flowc check` as CI uses it: formats, exit codes, many files, hostile input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from flowc.cli.main import app

runner = CliRunner()

GOOD = "flow: good\nnodes:\n  start: {hangup: null}\n"
BAD = "flow: bad\nnodes:\n  start: {goto: nowhere}\n"


def write(tmp: Path, name: str, text: str | bytes) -> Path:
    p = tmp / name
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def test_clean_file_exits_zero(tmp_path: Path) -> None:
    p = write(tmp_path, "good.yaml", GOOD)
    r = runner.invoke(app, ["check", str(p)])
    assert r.exit_code == 0, r.output
    assert "1 file(s) checked: 0 error(s)" in r.output


def test_text_output_has_code_frame_caret_and_help(tmp_path: Path) -> None:
    p = write(tmp_path, "bad.yaml", BAD)
    r = runner.invoke(app, ["check", "--select", "FL201", str(p)])
    assert r.exit_code == 1
    lines = r.output.splitlines()
    assert lines[0].startswith("FL201 ") and lines[0].endswith(
        "bad.yaml:3:17 error: no node named `nowhere`"
    )
    assert lines[2] == "3 |   start: {goto: nowhere}"
    assert lines[3] == "  |                 ^^^^^^^"
    assert "help:" in lines[4]


def test_json_sarif_github_formats(tmp_path: Path) -> None:
    p = write(tmp_path, "bad.yaml", BAD)
    r = runner.invoke(app, ["check", "--format", "json", str(p)])
    data = json.loads(r.output)
    assert ("FL201", 3, 17) in [(d["code"], d["line"], d["column"]) for d in data]
    r = runner.invoke(app, ["check", "--format", "sarif", str(p)])
    sarif = json.loads(r.output)
    (result,) = [x for x in sarif["runs"][0]["results"] if x["ruleId"] == "FL201"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert any(rule["id"] == "FL201" for rule in sarif["runs"][0]["tool"]["driver"]["rules"])
    r = runner.invoke(app, ["check", "--format", "github", "--select", "FL201", str(p)])
    assert r.output.startswith("::error file=")
    assert ",line=3,col=17," in r.output
    assert r.exit_code == 1


def test_exit_code_by_severity(tmp_path: Path) -> None:
    p = write(tmp_path, "warn.yaml", GOOD + "  orphan: {hangup: null}\n")
    sel = ["--select", "FL202"]
    assert runner.invoke(app, ["check", *sel, str(p)]).exit_code == 0
    assert runner.invoke(app, ["check", *sel, "--fail-on", "warning", str(p)]).exit_code == 1
    assert (
        runner.invoke(
            app, ["check", *sel, "--ignore", "FL202", "--fail-on", "warning", str(p)]
        ).exit_code
        == 0
    )


def test_missing_path_is_usage_error(tmp_path: Path) -> None:
    r = runner.invoke(app, ["check", str(tmp_path / "nope.yaml")])
    assert r.exit_code == 2
    assert "no such file" in r.output


def test_directory_of_1000_files(tmp_path: Path) -> None:
    for i in range(1000):
        write(tmp_path, f"d{i % 10}/f{i}.yaml", GOOD if i % 100 else BAD)
    r = runner.invoke(app, ["check", "--select", "FL201", "--format", "json", str(tmp_path)])
    data = json.loads(r.output)
    assert len(data) == 10
    assert {d["code"] for d in data} == {"FL201"}
    assert r.exit_code == 1


def test_hostile_inputs_give_diagnostics_not_tracebacks(tmp_path: Path) -> None:
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [{','.join('*' + p for _ in range(9))}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    cases: dict[str, tuple[str | bytes, str]] = {
        "broken.yaml": ("flow: x\nnodes: {start: {hangup: null}\n", "FL001"),
        "dup.yaml": ("flow: x\nflow: y\nnodes:\n  s: {hangup: null}\n", "FL002"),
        "tag.yaml": ("flow: !!python/object/apply:os.system [ls]\n", "FL003"),
        "bomb.yaml": (bomb, "FL004"),
        "deep.yaml": ("[" * 10_000_000, "FL005"),
        "latin1.yaml": (b"flow: caf\xe9\nnodes: {}\n", "FL006"),
        "types.yaml": ("flow: 12\nnodes: [1, 2]\n", "FL103"),
    }
    for name, (text, _) in cases.items():
        write(tmp_path, name, text)
    for name, (_, code) in cases.items():
        r = runner.invoke(app, ["check", "--format", "json", str(tmp_path / name)])
        assert r.exception is None or isinstance(r.exception, SystemExit), (name, r.exception)
        codes = [d["code"] for d in json.loads(r.output)]
        assert code in codes, (name, codes)
        assert r.exit_code == 1


def test_rules_command_lists_and_explains() -> None:
    r = runner.invoke(app, ["rules"])
    assert "FL201" in r.output
    r = runner.invoke(app, ["rules", "FL201"])
    assert "Why" in r.output and "Fix" in r.output


def test_schema_file_is_fresh() -> None:
    from flowc.schema import schema_text

    on_disk = Path("schemas/flow.schema.json").read_text(encoding="utf-8")
    assert on_disk == schema_text(), "schemas/flow.schema.json is stale: run `flowc schema`"
