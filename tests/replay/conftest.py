"""The replay tests use the e2e harness (tests/e2e/e2e_support.py) and the session's
PostgreSQL server (tests/conftest.py)."""

import sys
from pathlib import Path

import hypothesis  # noqa: F401  (see tests/e2e/conftest.py: import it before threads run)

ROOT = Path(__file__).resolve().parents[2]
for p in (ROOT, ROOT / "tests" / "e2e", ROOT / "tests" / "journal"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import asyncio  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from runtime.journal.pgserver import PgServer  # noqa: E402
from tests.replay import replay_support as R  # noqa: E402


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def recorded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[R.Recorded]:
    """Every runnable example scenario as an emulated call, journaled on SQLite and on the
    session's PostgreSQL server (once per session each)."""
    tmp = tmp_path_factory.mktemp(f"replay-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp}/journal.db"
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        url = server.create_database()
    yield asyncio.run(R.record_examples(tmp, url))
