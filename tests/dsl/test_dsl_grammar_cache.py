"""The DSL's analysed grammar is cached only where no other user can plant a pickle."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from flowc.source.dsl.parser import grammar_cache


def test_cache_in_a_private_folder_of_the_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    where = grammar_cache()
    assert isinstance(where, str)
    folder = Path(where).parent
    assert folder == tmp_path / "flowc"
    assert folder.stat().st_mode & 0o077 == 0
    assert not where.startswith(tempfile.gettempdir() + "/.lark")


def test_no_cache_when_the_folder_is_open_to_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "flowc").mkdir()
    os.chmod(tmp_path / "flowc", 0o777)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert grammar_cache() is False


def test_no_cache_when_the_folder_cannot_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert grammar_cache() is False
