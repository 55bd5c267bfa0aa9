"""`flowc deploy`: a bundle as the stable version or a canary, status, promote, rollback,
against a real SQLite journal; bad input gets a message and exit 2, never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowc_app import full_app

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "tests" / "server" / "flows"
app = full_app()
runner = CliRunner()


def _compile(src: Path, out: Path) -> Path:
    from flowc.compiler.bundle import compile_paths

    lines: list[str] = []
    assert compile_paths([src], out, echo=lines.append) == 0, lines
    return out


def _variant(tmp: Path, name: str, rollout: str = "", prompt: str = "Welcome.") -> Path:
    src = tmp / f"src-{name}"
    shutil.copytree(FLOWS, src)
    shop = src / "shop.yaml"
    shop.write_text(shop.read_text().replace("Welcome to the shop.", prompt))
    if rollout:
        bindings = src / "bindings" / "test.yaml"
        bindings.write_text(bindings.read_text() + rollout)
    return _compile(src, tmp / name)


def _deploy(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["deploy", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/journal.db"


def test_deploy_canary_status_promote_rollback(tmp_path: Path, url: str) -> None:
    v1 = _compile(FLOWS, tmp_path / "v1")
    v2 = _variant(
        tmp_path,
        "v2",
        "rollout: {window: 5m, min_calls: 3, rollback_if: {error_rate_over: 2%}}\n",
        "Welcome to our shop.",
    )
    h1 = json.loads((v1 / "bundle.json").read_text())["hash"]
    h2 = json.loads((v2 / "bundle.json").read_text())["hash"]
    code, out = _deploy("status", "--journal", url)
    assert code == 2 and "nothing deployed" in out
    code, out = _deploy(str(v1), "--journal", url)
    assert code == 0 and "stable version" in out
    code, out = _deploy(str(v2), "--canary", "5%", "--callers", "+8613900000001", "--journal", url)
    assert code == 0 and "canary" in out and "5%" in out
    code, out = _deploy("status", "--journal", url, "--json")
    assert code == 0
    status = json.loads(out)
    assert status["state"] == "canary" and status["stable"] == h1 and status["canary"] == h2
    assert status["share"] == "5%" and status["callers"] == ["+8613900000001"]
    assert status["rules"].startswith("window 300s, min_calls 3")
    assert status["outcomes"]["canary"]["calls"] == 0
    code, out = _deploy("status", "--journal", url)
    assert code == 0 and "canary" in out and "error_rate +2 points" in out
    code, out = _deploy("promote", "--journal", url)
    assert code == 0 and "promoted" in out
    code, out = _deploy("promote", "--journal", url)
    assert code == 2 and "no canary" in out
    # no canary: rollback goes back to the stable version before this one
    code, out = _deploy("rollback", "--journal", url)
    assert code == 0 and "back on" in out
    status = json.loads(_deploy("status", "--journal", url, "--json")[1])
    assert status["stable"] == h1 and status["state"] == "stable"
    assert [e["action"] for e in status["history"]] == ["rollback", "promote", "canary", "deploy"]
    code, out = _deploy("rollback", "--journal", url)
    assert code == 2 and "rolled back" in out and "already" in out
    # a canary rolled back by hand
    assert _deploy(str(v2), "--dids", "8001", "--journal", url)[0] == 0
    code, out = _deploy("rollback", "--journal", url)
    assert code == 0 and "canary" in out and "rolled back" in out
    assert json.loads(_deploy("status", "--journal", url, "--json")[1])["canary"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--canary", "0%"], "not a share above 0%"),
        (["--canary", "150%"], "not a share"),
        (["--canary", "100%"], "full deploy"),
        (["--canary", "five"], "not a share"),
        (["--callers", "+44;drop table"], "is not a number"),
    ],
)
def test_bad_options(tmp_path: Path, url: str, args: list[str], message: str) -> None:
    v1 = _compile(FLOWS, tmp_path / "v1")
    code, out = _deploy(str(v1), *args, "--journal", url)
    assert code == 2 and message in out and "Traceback" not in out


def test_bad_targets(tmp_path: Path, url: str) -> None:
    code, out = _deploy(str(tmp_path / "missing"), "--journal", url)
    assert code == 2 and "cannot read" in out
    v1 = _compile(FLOWS, tmp_path / "v1")
    assert _deploy(str(v1), "--journal", url)[0] == 0
    code, out = _deploy(str(v1), "--canary", "5%", "--journal", url)
    assert code == 2 and "already the stable version" in out
    code, out = _deploy("status", "--canary", "5%", "--journal", url)
    assert code == 2 and "go with a bundle" in out
    code, out = _deploy(str(v1), "--env", "prod", "--journal", url)
    assert code == 2 and "no bindings for environment `prod`" in out
    code, out = _deploy("status", "--journal", "mysql://x")
    assert code == 2 and "unknown scheme" in out


def test_bad_rules_refused(tmp_path: Path, url: str) -> None:
    """A bundle whose rules do not parse is refused (flowc compile refuses it too, FL606;
    this one was edited after compiling)."""
    v1 = _compile(FLOWS, tmp_path / "v1")
    data = json.loads((v1 / "bundle.json").read_text())
    data["bindings"]["test"]["rollout"] = {"rollback_if": {"error_rate_above": "2%"}}
    (v1 / "bundle.json").write_text(json.dumps(data))
    code, out = _deploy(str(v1), "--journal", url)
    assert code == 2 and "unknown rollback rule `error_rate_above`" in out and "FL606" in out


def test_compile_refuses_bad_rules(tmp_path: Path) -> None:
    from flowc.compiler.bundle import compile_paths

    src = tmp_path / "src"
    shutil.copytree(FLOWS, src)
    bindings = src / "bindings" / "test.yaml"
    bindings.write_text(bindings.read_text() + "rollout: {windw: 10m, min_calls: many}\n")
    lines: list[str] = []
    assert compile_paths([src], tmp_path / "out", echo=lines.append) != 0
    text = "\n".join(lines)
    assert text.count("FL606") == 2 and "did you mean `window`" in text
