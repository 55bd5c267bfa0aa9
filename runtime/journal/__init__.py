"""The call journal: one record per call, one per step, survey answers and callback requests.

    journal = open_journal("sqlite:///journal.db")       # or "postgresql://user@host:5432/db"
    await journal.open()
    journal.record(CallRecord(...))                      # non-blocking, never raises
    journal.record(StepRecord(...))
    await journal.close()                                # writes everything still queued

`base` explains batching, retries and what "committed" means; `schema` has the tables.
"""

from __future__ import annotations

from typing import Any

from .base import Journal
from .records import (
    LOST,
    MASK,
    SHUTDOWN,
    CallbackRequest,
    CallEnd,
    CallRecord,
    Item,
    ReplayLog,
    StepRecord,
    SurveyAnswer,
)
from .schema import SCHEMA_VERSION, TABLES, SchemaError

__all__ = [
    "DEFAULT_URL",
    "LOST",
    "MASK",
    "SCHEMA_VERSION",
    "SHUTDOWN",
    "TABLES",
    "CallEnd",
    "CallRecord",
    "CallbackRequest",
    "Item",
    "Journal",
    "ReplayLog",
    "SchemaError",
    "StepRecord",
    "SurveyAnswer",
    "open_journal",
]

DEFAULT_URL = "sqlite:///journal.db"


def open_journal(url: str = DEFAULT_URL, **options: Any) -> Journal:
    """A journal for `url` (not yet open: ``await journal.open()``).

    * ``sqlite:///journal.db`` - a SQLite file, relative to the working directory;
      ``sqlite:////var/lib/flowc/journal.db`` (four slashes) is absolute; ``sqlite://`` alone
      means ``journal.db``. Options: ``busy_timeout`` (seconds, 5), ``synchronous`` ("NORMAL").
    * ``postgresql://user[:password]@host:port/dbname[?sslmode=...]`` (also ``postgres://``,
      ``postgresql+psycopg://``) - passed to libpq as is. Options: ``connect_timeout`` (5 s),
      ``write_timeout`` (30 s).

    Options for both: ``batch_size`` (500), ``flush_interval`` (0.05 s), ``max_queue``
    (100,000), ``close_timeout`` (30 s), ``min_backoff`` (0.05 s), ``max_backoff`` (5 s),
    ``spool`` (a file for records while the database is unavailable, none by default; see
    `base`), ``spool_max_bytes`` (64 MB), ``spool_after`` (5 s of failures before spooling).
    """
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise ValueError(f"journal URL {url!r}: expected sqlite:///PATH or postgresql://...")
    if scheme == "sqlite":
        from .sqlite import SQLiteJournal

        if rest and not rest.startswith("/"):
            raise ValueError(f"journal URL {url!r}: use sqlite:///relative.db or sqlite:////abs.db")
        return SQLiteJournal(rest[1:] or "journal.db", **options)
    if scheme in {"postgresql", "postgres", "postgresql+psycopg"}:
        from .postgres import PostgresJournal

        return PostgresJournal(f"postgresql://{rest}", **options)
    raise ValueError(f"journal URL {url!r}: unknown scheme {scheme!r} (sqlite, postgresql)")
