"""Subflow cycles and module paths outside the project are refused by `check` and `compile`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowc.cli.main import app

MAIN = """\
flow: a
agent_key: {key: "0", goto: agent}
queues: {support: {}}
nodes:
  start: {subflow: SUB, next: agent}
  agent: {queue: support}
"""

MODULE = """\
flow: NAME
nodes:
  start: {subflow: NEXT, next: done}
  done: {return: {}}
"""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "modules").mkdir(parents=True)
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    return root


def _commands(tmp_path: Path) -> list[list[str]]:
    return [["check"], ["compile", "-o", str(tmp_path / "out")]]


def test_a_cycle_behind_the_module_a_flow_calls(project: Path, tmp_path: Path) -> None:
    main = project / "a.yaml"
    main.write_text(MAIN.replace("SUB", "modules/b.yaml"), encoding="utf-8")
    modules = project / "modules"
    (modules / "b.yaml").write_text(MODULE.replace("NAME", "b").replace("NEXT", "c.yaml"), "utf-8")
    (modules / "c.yaml").write_text(MODULE.replace("NAME", "c").replace("NEXT", "b.yaml"), "utf-8")
    for command in _commands(tmp_path):
        code, out = run(*command, str(main))
        assert code == 1, out
        assert "FL207" in out and "subflow cycle:" in out
        assert "b.yaml -> " in out and "c.yaml -> " in out
    assert not (tmp_path / "out" / "bundle.json").exists()


def test_a_module_calling_itself(project: Path) -> None:
    main = project / "a.yaml"
    main.write_text(MAIN.replace("SUB", "modules/b.yaml"), encoding="utf-8")
    (project / "modules" / "b.yaml").write_text(
        MODULE.replace("NAME", "b").replace("NEXT", "b.yaml"), "utf-8"
    )
    code, out = run("check", str(main))
    assert code == 1 and "FL207" in out


def test_a_module_path_outside_the_project_is_never_read(project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("flow: s3cr3t_module\nnodes: {x: {return: {}}}\n", encoding="utf-8")
    main = project / "a.yaml"
    for ref in ("../secret.yaml", str(secret), "../../../../../../etc/passwd"):
        main.write_text(MAIN.replace("SUB", ref), encoding="utf-8")
        for command in _commands(tmp_path):
            code, out = run(*command, str(main))
            assert code == 1, out
            assert "FL206" in out and "outside the project" in out
            assert "s3cr3t" not in out


def test_modules_inside_the_project_still_load(project: Path) -> None:
    main = project / "a.yaml"
    main.write_text(MAIN.replace("SUB", "modules/b.yaml"), encoding="utf-8")
    (project / "modules" / "b.yaml").write_text("flow: b\nnodes:\n  done: {return: {}}\n", "utf-8")
    _, out = run("check", str(main))
    assert "FL206" not in out and "FL207" not in out, out
