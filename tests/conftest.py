from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from runtime.journal.pgserver import PgNotFoundError, PgServer

# Speed is measured by bench/, never asserted by a test: hypothesis's per-example deadline
# (200 ms) would fail a property test on a busy machine, so it is off for the whole suite.
settings.register_profile("flowc", deadline=None)
settings.load_profile("flowc")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # Display paths and the [tool.flowc] lookup are relative to the working directory.
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for the whole session, for every folder whose tests use it
    (initdb in a temporary directory, 127.0.0.1 on a free port, trust authentication),
    stopped and deleted at the end. fsync is off: the tests check what the journal writes,
    not the disk (the crash test uses SQLite)."""
    try:
        server = PgServer.start(durable=False)
    except PgNotFoundError as exc:
        pytest.fail(f"{exc}\nThese tests need a real PostgreSQL server.", pytrace=False)
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


# Test tiers. `scripts/test.sh` runs everything; `scripts/test.sh -m fast` (everything but
# e2e, load, sweep and browser) is the quick loop for development.
_LOAD_TESTS = {
    "test_10000_calls_from_100_tasks",
    "test_sigterm_drain_with_500_calls_in_progress",
    "test_200_concurrent_lookups_bounded_by_the_semaphore",
    "test_hostile_campaign_10000_calls_through_one_runtime",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        name = getattr(item, "originalname", item.name)
        slow = False
        if parts[0] == "e2e" or item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.e2e)  # (tests/replay marks its whole calls itself)
            slow = True
        if "sweep" in name:
            item.add_marker(pytest.mark.sweep)
            slow = True
        if name in _LOAD_TESTS or parts[-1] in ("test_scaleout.py", "test_journal_faults.py"):
            item.add_marker(pytest.mark.load)
            slow = True
        if parts[-1] == "test_pages_in_browser.py":
            item.add_marker(pytest.mark.browser)
            slow = True
        if not slow:
            item.add_marker(pytest.mark.fast)
