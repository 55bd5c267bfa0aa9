"""Fixtures for the report tests: the journal tests' own (a real PostgreSQL server for the
session; `journal_url`, which runs a test once on SQLite and once on PostgreSQL), and their
helpers importable as `journal_support`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

JOURNAL_TESTS = Path(__file__).resolve().parent.parent / "journal"
if str(JOURNAL_TESTS) not in sys.path:
    sys.path.insert(0, str(JOURNAL_TESTS))


def _load_journal_conftest() -> object:
    # Loaded under its own name: every test folder's conftest is a module called `conftest`.
    spec = importlib.util.spec_from_file_location(
        "journal_tests_conftest", JOURNAL_TESTS / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_journal = _load_journal_conftest()
pg_server = _journal.pg_server  # type: ignore[attr-defined]
backend = _journal.backend  # type: ignore[attr-defined]
journal_url = _journal.journal_url  # type: ignore[attr-defined]
