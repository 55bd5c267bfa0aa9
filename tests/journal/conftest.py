"""Fixtures for the journal tests: a real PostgreSQL server for the session, and `journal_url`,
which runs each test that uses it once against SQLite and once against PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.journal.pgserver import PgNotFoundError, PgServer


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server started for this test session (initdb in a temporary directory,
    127.0.0.1 on a free port, trust authentication), stopped and deleted at the end. fsync is
    off: the tests check what the journal writes, not the disk (the crash test uses SQLite)."""
    try:
        server = PgServer.start(durable=False)
    except PgNotFoundError as exc:
        pytest.fail(f"{exc}\nThe journal tests need a real PostgreSQL server.", pytrace=False)
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
    """A URL to an empty journal database: a SQLite file in tmp_path, or a new PostgreSQL
    database on the session's server."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/journal.db"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database()
