from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # Display paths and the [tool.flowc] lookup are relative to the working directory.
    monkeypatch.chdir(ROOT)
