"""The journal in a SQLite file: all database work in one dedicated thread.

The connection is made, used and closed only in that thread (the standard `sqlite3` module), so
the event loop never waits on the disk. WAL mode lets readers (`flowc report`) run while the
runtime writes; ``synchronous=NORMAL`` makes a commit durable against a process kill without an
fsync per transaction; ``busy_timeout`` makes a writer wait for another process's lock instead
of failing at once. Each batch is one ``BEGIN IMMEDIATE ... COMMIT`` with one ``executemany``
per table.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from .base import Journal
from .deploy_schema import DEPLOY_SCHEMA_VERSION, SQLITE_DEPLOY_DDL
from .records import Item
from .schema import (
    COLUMNS,
    SQLITE_DDL,
    SchemaError,
    check_version,
    end_conflict,
    group_rows,
    sqlite_ts,
)

__all__ = ["SQLiteJournal"]

T = TypeVar("T")

_INSERT = {
    table: f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    + (end_conflict("excluded") if table == "call_ends" else " ON CONFLICT DO NOTHING")
    for table, cols in COLUMNS.items()
}
_TIME_COLUMNS = frozenset({"started_at", "at", "ended_at"})
_SYNCHRONOUS = frozenset({"OFF", "NORMAL", "FULL", "EXTRA"})


def _bool(value: bool) -> int:
    return 1 if value else 0


class SQLiteJournal(Journal):
    """Journal in the SQLite database file `path` (created with its folder if missing)."""

    def __init__(
        self,
        path: str | Path = "journal.db",
        *,
        busy_timeout: float = 5.0,
        synchronous: str = "NORMAL",
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if synchronous.upper() not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {sorted(_SYNCHRONOUS)}")
        self.path = str(path)
        self.busy_timeout = busy_timeout
        self.synchronous = synchronous.upper()
        self._executor: ThreadPoolExecutor | None = None
        self._db: sqlite3.Connection | None = None  # touched only in the executor's thread

    def __repr__(self) -> str:
        return f"SQLiteJournal({self.path!r})"

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal-sqlite")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    # ---- in the thread ---------------------------------------------------------------------
    def _db_sync(self) -> sqlite3.Connection:
        if self._db is None:
            self._connect_sync()
        assert self._db is not None
        return self._db

    def _connect_sync(self) -> None:
        if self._db is not None:
            return
        if self.path != ":memory:" and not self.path.startswith("file:"):
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=True
        )
        try:
            db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute(f"PRAGMA synchronous = {self.synchronous}")
            db.execute("BEGIN IMMEDIATE")
            for statement in SQLITE_DDL.split(";"):
                if statement.strip():
                    db.execute(statement)
            (found,) = db.execute("SELECT max(version) FROM schema_version").fetchone()
            for version in check_version(found):
                db.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (version, sqlite_ts(datetime.now(UTC))),
                )
            for statement in SQLITE_DEPLOY_DDL.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING",
                (DEPLOY_SCHEMA_VERSION, sqlite_ts(datetime.now(UTC))),
            )
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            db.close()
            raise
        self._db = db

    def _close_sync(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            try:
                if db.in_transaction:
                    db.execute("ROLLBACK")
            finally:
                db.close()

    def _write_sync(self, batch: list[Item]) -> list[tuple[Item, Exception]]:
        rows, bad = group_rows(batch, sqlite_ts, _bool)
        if not rows:
            return bad
        db = self._db_sync()
        db.execute("BEGIN IMMEDIATE")
        try:
            for table, table_rows in rows.items():
                db.executemany(_INSERT[table], table_rows)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return bad

    def _query_sync(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        cursor = self._db_sync().execute(sql, params)
        if cursor.description is None:
            return []
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # ---- Journal -----------------------------------------------------------------------------
    async def _connect(self) -> None:
        await self._in_thread(self._connect_sync)

    async def _disconnect(self) -> None:
        if self._executor is None:
            return
        try:
            await self._in_thread(self._close_sync)
        except Exception:
            pass
        if self._closed:
            executor, self._executor = self._executor, None
            executor.shutdown(wait=True)

    async def _write(self, batch: list[Item]) -> list[tuple[Item, Exception]]:
        return await self._in_thread(self._write_sync, batch)

    def _is_transient(self, exc: BaseException) -> bool:
        if isinstance(exc, SchemaError | OSError):
            return True
        if isinstance(exc, sqlite3.IntegrityError | sqlite3.DataError | sqlite3.InterfaceError):
            return False  # the records are at fault: write them one by one, drop the bad ones
        # Locked/busy, disk I/O error, disk full, read-only, cannot open (OperationalError) and
        # other database-level errors: wait and try again. Python-side errors are the records'.
        return isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError)

    async def _query(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        return await self._in_thread(self._query_sync, sql, params)

    def _time_param(self, value: datetime) -> Any:
        return sqlite_ts(value)

    def _decode(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        for column in _TIME_COLUMNS.intersection(row):
            value = row[column]
            if isinstance(value, str):
                row[column] = datetime.fromisoformat(value).astimezone(UTC)
        if "sensitive" in row:
            row["sensitive"] = bool(row["sensitive"])
        for column in ("detail", "data"):
            if column in row and isinstance(row[column], str):
                row[column] = json.loads(row[column])
        if table == "survey_answers":
            number = row.pop("value_int")
            text = row.pop("value_text")
            row["value"] = number if number is not None else text
        return row
