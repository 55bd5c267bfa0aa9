"""Reading files: regular files only, bounded, confined to the project, symlink loops reported.

Every test runs the real command; a regression shows as a hang (FIFO, /dev/stdin), a
MemoryError (/dev/zero), a traceback or a secret in the output.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowc.cli.main import app
from flowc.source.files import MAX_FLOW_BYTES, FileRefused, read_bounded

FLOW = """\
flow: tiny
agent_key: {key: "0", goto: agent}
services: {crm: {url: "https://crm.example.invalid/x"}}
queues: {support: {}}
nodes:
  look: {fetch: crm, set: {tier: "{result.tier}"}, next: agent, on_error: agent}
  agent: {queue: support}
variables: {tier: string}
"""

SECRET = "root:$6$S3CR3T-HASH:19000:0:99999:7:::"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder (with pyproject.toml) and a secret file beside it, outside it."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n", encoding="utf-8")
    (root / "tiny.yaml").write_text(FLOW, encoding="utf-8")
    (tmp_path / "shadow").write_text(SECRET + "\n", encoding="utf-8")
    return root


# ---------------------------------------------------------------- not regular files


@pytest.mark.parametrize("name", ["pipe.flow", "pipe.yaml"])
def test_a_fifo_given_as_a_flow_is_refused_at_once(tmp_path: Path, name: str) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    for command in (["check"], ["compile", "-o", str(tmp_path / "out")], ["fmt"]):
        code, out = run(*command, str(fifo))
        assert code != 0
        assert "FL009" in out and "FIFO" in out


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/stdin"])
def test_a_device_given_as_a_flow_is_refused(device: str) -> None:
    code, out = run("check", device)
    assert code == 1
    assert "not a regular file" in out


def test_a_50_mb_flow_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.flow"
    with big.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: nothing to read, just its size
    code, out = run("check", str(big))
    assert code == 1
    assert "FL004" in out and "too large" in out


def test_read_bounded_stops_at_the_limit_even_if_the_size_lies(tmp_path: Path) -> None:
    f = tmp_path / "x.flow"
    f.write_bytes(b"a" * 100)
    assert read_bounded(f, 100) == b"a" * 100
    with pytest.raises(FileRefused) as err:
        read_bounded(f, 99)
    assert err.value.kind == "too_large"
    assert MAX_FLOW_BYTES >= 1024 * 1024


# ---------------------------------------------------------------- includes


def _dsl(includes: list[str]) -> str:
    lines = ["flow tiny", *(f'include "{p}"' for p in includes), "", "bye: hangup", ""]
    return "\n".join(lines)


def test_includes_of_devices_fifos_and_files_outside_the_project(
    project: Path, tmp_path: Path
) -> None:
    os.mkfifo(project / "pipe.flow")
    flow = project / "main.flow"
    flow.write_text(
        _dsl(["/dev/zero", "/dev/urandom", "/dev/stdin", "pipe.flow", "../shadow"]),
        encoding="utf-8",
    )
    code, out = run("check", str(flow))
    assert code == 1
    assert out.count("FL011") == 5, out
    assert out.count("outside the project") == 4
    assert "FIFO" in out
    assert "S3CR3T" not in out


def test_an_allow_list_lets_a_folder_outside_the_project_in(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "prompts.flow").write_text('prompt hi "Hello"\n', encoding="utf-8")
    flow = project / "main.flow"
    flow.write_text(_dsl(["../shared/prompts.flow"]), encoding="utf-8")
    _, refused = run("check", str(flow))
    assert "outside the project" in refused
    monkeypatch.setenv("FLOWC_ALLOW_PATHS", str(shared))
    _, allowed = run("check", str(flow))
    assert "outside the project" not in allowed


# ---------------------------------------------------------------- scenarios and mocks


def _scenario(flow: str, mock: str = "") -> str:
    mocks = f"\n    mocks: {{crm: {{file: {mock}}}}}" if mock else ""
    return (
        f"flow: {flow}\nscenarios:\n  - name: one\n    at: '2026-10-09 10:00'{mocks}\n"
        "    expect: {path: [look, agent]}\n"
    )


def test_a_scenario_naming_a_file_outside_the_project_never_shows_it(
    project: Path, tmp_path: Path
) -> None:
    scenario = project / "x.test.yaml"
    scenario.write_text(_scenario(str(tmp_path / "shadow")), encoding="utf-8")
    code, out = run("test", str(scenario))
    assert code != 0
    assert "outside the project" in out
    assert "S3CR3T" not in out
    scenario.write_text(_scenario("../shadow"), encoding="utf-8")
    code, out = run("test", str(scenario))
    assert code != 0 and "S3CR3T" not in out


@pytest.mark.parametrize("mock", ["/dev/zero", "/dev/stdin", "pipe.json", "../shadow"])
def test_a_mock_file_that_is_not_a_project_file_is_refused(project: Path, mock: str) -> None:
    os.mkfifo(project / "pipe.json")
    scenario = project / "x.test.yaml"
    scenario.write_text(_scenario("tiny.yaml", mock), encoding="utf-8")
    code, out = run("test", str(scenario))
    assert code != 0
    assert "FT202" in out
    assert "S3CR3T" not in out


def test_a_fifo_as_a_scenario_file_is_refused(project: Path) -> None:
    os.mkfifo(project / "pipe.test.yaml")
    code, out = run("test", str(project / "pipe.test.yaml"))
    assert code != 0
    # `simulate --scenario` loads the file itself: it used to block on the FIFO
    code, out = run(
        "simulate", str(project / "tiny.yaml"), "--scenario", str(project / "pipe.test.yaml")
    )
    assert code != 0
    assert "FIFO" in out


# ---------------------------------------------------------------- symlink loops


def _loop(folder: Path, a: str, b: str) -> Path:
    os.symlink(b, folder / a)
    os.symlink(a, folder / b)
    return folder / a


@pytest.mark.parametrize(
    "command",
    [["check"], ["compile", "-o", "OUT"], ["fmt"], ["convert", "--to", "flow", "-o", "-"]],
)
def test_a_symlink_loop_gives_a_diagnostic(tmp_path: Path, command: list[str]) -> None:
    a = _loop(tmp_path, "a.yaml", "b.yaml")
    args = [str(tmp_path / "out") if c == "OUT" else c for c in command]
    code, out = run(*args, str(a))
    assert code != 0
    assert "symlink loop" in out


def test_a_looping_include_gives_a_diagnostic(tmp_path: Path) -> None:
    _loop(tmp_path, "x.flow", "y.flow")
    flow = tmp_path / "main.flow"
    flow.write_text(_dsl(["x.flow"]), encoding="utf-8")
    code, out = run("check", str(tmp_path))
    assert code == 1
    assert "FL011" in out and "symlink loop" in out


def test_symlink_loops_in_a_folder_are_reported_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(FLOW, encoding="utf-8")
    _loop(tmp_path, "a.yaml", "b.yaml")
    (tmp_path / "sub").mkdir()
    os.symlink("..", tmp_path / "sub" / "up")
    code, out = run("check", str(tmp_path))
    assert code == 1
    for name in ("a.yaml", "b.yaml", "up"):
        assert f"{name}:1:1 error: symlink loop" in out, out
    _, tested = run("test", str(tmp_path))
    assert "symlink loop" in tested


def test_oversized_scenario_files_and_mocks_are_refused_unread(project: Path) -> None:
    big_scenario = project / "big.test.yaml"
    with big_scenario.open("wb") as f:
        f.truncate(11 * 1024 * 1024)
    code, out = run("test", str(big_scenario))
    assert code != 0 and "FL004" in out and "too large" in out
    with (project / "big.json").open("wb") as f:
        f.truncate(6 * 1024 * 1024)
    scenario = project / "x.test.yaml"
    scenario.write_text(_scenario("tiny.yaml", "big.json"), encoding="utf-8")
    code, out = run("test", str(scenario))
    assert code != 0 and "FT202" in out and "too large" in out
