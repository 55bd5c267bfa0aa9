"""The runtime checks a caller's digits against a flow's pattern with RE2 (linear time)."""

from __future__ import annotations

import re

import pytest

from runtime import translate


def test_nested_quantifiers_do_not_backtrack(monkeypatch: pytest.MonkeyPatch) -> None:
    def backtracking(*_a: object, **_k: object) -> None:
        raise AssertionError("the runtime must not run flow patterns on Python's re")

    monkeypatch.setattr(re, "search", backtracking)
    digits = "1" * 60 + "2"
    assert translate._accepted(digits, 1, 100, "^(1+)+$") is False
    assert translate._accepted("1" * 60, 1, 100, "^(1+)+$") is True
