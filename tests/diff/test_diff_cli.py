"""`flowc diff OLD NEW` and `flowc diff --rev REV [PATH...]` in a git repository made here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowc.cli.main import app

runner = CliRunner()
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

FLOW = """\
flow: care
locales: [en-US]
queues: {general: {}}
nodes:
  menu:
    menu: {prompt: "1 news, 0 agent", options: {1: news, 0: agents}}
  news: {play: "Here is the news.", next: bye}
  agents: {queue: general, after: bye}
  bye: {hangup: null}
"""
REWORDED = FLOW.replace("Here is the news.", "Today's headlines.")


def git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git(tmp_path, "init", "-q")
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "care.yaml").write_text(FLOW, encoding="utf-8")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_two_files(tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(FLOW, encoding="utf-8")
    new.write_text(REWORDED, encoding="utf-8")
    r = runner.invoke(app, ["diff", str(old), str(new)])
    assert r.exit_code == 0, r.output
    assert "**1 changed node(s)**" in r.output
    assert "| `play` | `Here is the news.` | `Today's headlines.` |" in r.output
    r = runner.invoke(app, ["diff", str(old), str(new), "--format", "json", "--exit-code"])
    assert r.exit_code == 1  # there are changes
    assert json.loads(r.output)["changed"][0]["node"] == "news"
    r = runner.invoke(app, ["diff", str(old), str(old), "--exit-code", "-f", "text"])
    assert r.exit_code == 0 and "no semantic changes" in r.output


@pytest.mark.parametrize("suffix", ["svg", "png", "html"])
def test_drawing_of_the_diff(tmp_path: Path, suffix: str) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(FLOW, encoding="utf-8")
    new.write_text(REWORDED, encoding="utf-8")
    out = tmp_path / f"diff.{suffix}"
    r = runner.invoke(app, ["diff", str(old), str(new), "-o", str(out)])
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    if suffix == "svg":
        ids = {e.get("id") for e in ET.fromstring(data).iter("{http://www.w3.org/2000/svg}g")}
        assert "node-news" in ids
    elif suffix == "png":
        assert data.startswith(b"\x89PNG")
    else:
        assert b"1 changed node(s)" in data and b"<svg" in data


def test_usage_errors(tmp_path: Path) -> None:
    r = runner.invoke(app, ["diff", str(tmp_path / "only.yaml")])
    assert r.exit_code == 2 and "OLD and NEW" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("flow: bad\nnodes:\n  a: {menu: 3}\n", encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(FLOW, encoding="utf-8")
    r = runner.invoke(app, ["diff", str(bad), str(good)])
    assert r.exit_code == 1 and "does not validate" in r.output


@needs_git
def test_rev_compares_the_working_tree_with_git(repo: Path) -> None:
    (repo / "flows" / "care.yaml").write_text(REWORDED, encoding="utf-8")
    r = runner.invoke(app, ["diff", "--rev", "HEAD", "flows/care.yaml"])
    assert r.exit_code == 0, r.output
    assert "### flowc diff: `care` (HEAD:flows/care.yaml → flows/care.yaml)" in r.output
    assert "`Today's headlines.`" in r.output
    # Without paths: every flow file changed since REV.
    r = runner.invoke(app, ["diff", "--rev", "HEAD", "-f", "text"])
    assert r.exit_code == 0 and "~ news (play)" in r.output


@needs_git
def test_rev_from_a_subfolder(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "flows" / "care.yaml").write_text(REWORDED, encoding="utf-8")
    monkeypatch.chdir(repo / "flows")
    r = runner.invoke(app, ["diff", "--rev", "HEAD", "care.yaml", "-f", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["counts"]["changed"] == 1


@needs_git
def test_rev_new_file_is_all_added(repo: Path) -> None:
    (repo / "flows" / "extra.yaml").write_text(FLOW.replace("care", "extra"), encoding="utf-8")
    r = runner.invoke(app, ["diff", "--rev", "HEAD", "flows/extra.yaml", "-f", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert [a["node"] for a in data["added"]] == ["menu", "news", "agents", "bye"]
    assert data["old_file"] is None
    r = runner.invoke(app, ["diff", "--rev", "HEAD", "-f", "text"])  # untracked files count too
    assert "flowc diff extra" in r.output


@needs_git
def test_rev_deleted_file_is_all_removed(repo: Path) -> None:
    (repo / "flows" / "care.yaml").unlink()
    r = runner.invoke(app, ["diff", "--rev", "HEAD", "-f", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["counts"]["removed"] == 4


@needs_git
def test_rev_errors(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    r = runner.invoke(app, ["diff", "--rev", "no-such-rev", "flows/care.yaml"])
    assert r.exit_code == 2 and "`no-such-rev` is not a commit" in r.output
    r = runner.invoke(app, ["diff", "--rev", "HEAD"])
    assert r.exit_code == 0 and "no flow files changed since HEAD" in r.output
    outside = tmp_path_factory.mktemp("plain")
    (outside / "care.yaml").write_text(FLOW, encoding="utf-8")
    r = runner.invoke(app, ["diff", "--rev", "HEAD", str(outside / "care.yaml")])
    assert r.exit_code == 2 and "not inside a git repository" in r.output
