"""The journal tests' fixtures (a real PostgreSQL server; `journal_url` on SQLite and on
PostgreSQL), for the replay tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.journal.pgserver import PgNotFoundError, PgServer


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        server = PgServer.start(durable=False)
    except PgNotFoundError as exc:
        pytest.fail(f"{exc}\nThe replay tests need a real PostgreSQL server.", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def journal_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/journal.db"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database()
