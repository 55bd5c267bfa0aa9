"""Values that used to end in a traceback: each gives a positioned diagnostic and exit 1."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from flowc.cli.main import app


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_an_integer_over_4300_digits_in_a_flow_file(tmp_path: Path) -> None:
    flow = tmp_path / "big.flow"
    flow.write_text("flow big\n\nq: queue support\n  priority " + "9" * 5000 + "\n", "utf-8")
    for command in (["check"], ["compile", "-o", str(tmp_path / "out")]):
        code, out = run(*command, str(flow))
        assert code == 1
        assert "FL010" in out and "too long (5,000 digits)" in out


def test_inf_and_nan_through_convert_to_flow(tmp_path: Path) -> None:
    flow = tmp_path / "inf.yaml"
    flow.write_text(
        "flow: x\nqueues: {support: {}}\nnodes:\n  q: {queue: support, priority: .inf,"
        " max_wait: .nan}\n",
        "utf-8",
    )
    code, out = run("convert", str(flow), "--to", "flow", "-o", "-")
    assert code == 1
    assert "FL013" in out and "inf.yaml:4:33" in out and "`nan`" in out
    assert not (tmp_path / "inf.flow").exists()


def test_a_key_over_1000_characters_through_fmt_and_convert(tmp_path: Path) -> None:
    flow = tmp_path / "key.yaml"
    text = "flow: x\nqueues: {support: {}}\nnodes:\n  ? " + "k" * 1500 + "\n  : {queue: support}\n"
    flow.write_text(text, "utf-8")
    code, out = run("fmt", str(flow))
    assert code == 1
    assert "FL013" in out and "key.yaml:4:5" in out and "1,500 characters" in out
    assert flow.read_text("utf-8") == text  # nothing half-written
    dsl = tmp_path / "key.flow"
    dsl.write_text("flow x\n\n" + "k" * 1500 + ": queue support\n", "utf-8")
    code, out = run("convert", str(dsl), "--to", "yaml", "-o", "-")
    assert code == 1 and "FL013" in out


def test_a_hex_integer_too_long_to_print_through_convert(tmp_path: Path) -> None:
    flow = tmp_path / "hex.yaml"
    flow.write_text(
        "flow: x\nqueues: {support: {}}\nnodes:\n  q: {queue: support, priority: 0x"
        + "f" * 5000
        + "}\n",
        "utf-8",
    )
    code, out = run("convert", str(flow), "--to", "flow", "-o", "-")
    assert code == 1 and "FL013" in out
