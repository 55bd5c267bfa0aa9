"""Read-only queries of a call journal, in SQLite or PostgreSQL, for `flowc report`.

The journal URL is parsed by `runtime.journal.open_journal` (the same URLs `flowc serve
--journal` takes); the journal object it builds is never opened, because opening one creates
the schema. Instead this module opens its own read-only connection (SQLite ``mode=ro``;
PostgreSQL a ``READ ONLY`` transaction) and runs every query in one transaction, so a report
sees one consistent snapshot while the runtime keeps writing.

Each query is one SQL text for both databases; only three fragments differ (`_Dialect`): the
placeholder, the difference of two timestamps in microseconds (exact in both: SQLite keeps
fixed-width UTC ISO text, read as whole seconds plus the six digits of the fraction), and
reading ``reason`` from a call end's JSON detail. The SQL texts contain no ``%`` or ``?``
other than placeholders (psycopg would read them as placeholders).
"""

from __future__ import annotations

import abc
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import quote

import psycopg

from runtime.journal import open_journal
from runtime.journal.postgres import PostgresJournal
from runtime.journal.schema import SCHEMA_VERSION, sqlite_ts
from runtime.journal.sqlite import SQLiteJournal

from .model import Filters

__all__ = [
    "CallRow",
    "CallbackRow",
    "JournalSource",
    "NodeRow",
    "ReportError",
    "SurveyRow",
    "VersionRow",
    "VisitRow",
    "open_source",
    "redact",
]


class ReportError(RuntimeError):
    """The journal cannot be read: missing, unreachable, not a journal, a bad URL or filter."""


# ---- rows ------------------------------------------------------------------------------------


class CallRow(NamedTuple):
    """One call, with its end (None until it ended) and the step that reached a person."""

    flow: str
    version: str
    outcome: str | None
    reason: str | None  # the end detail's `reason` (set on the default hang-up after a failure)
    duration_us: int | None  # start -> end
    handoff_us: int | None  # start -> entering the queue/transfer node that reached a person
    handoff_ms: int | None  # time spent in that node (the queue wait, the transfer)
    end_node: str | None  # the node of the call's last step (else the end record's node)
    end_kind: str | None


class VersionRow(NamedTuple):
    flow: str
    version: str
    calls: int
    first_call: datetime
    last_call: datetime


class NodeRow(NamedTuple):
    flow: str
    node: str
    kind: str
    visits: int
    calls: int
    total_ms: int


class VisitRow(NamedTuple):
    """One visit of a menu, collect or fetch node: what was entered there (to be counted,
    never shown), why the next step came (its `why` is this node's last decision), or, when
    the call ended in the node, the end detail's `reason`."""

    flow: str
    node: str
    kind: str
    input: str | None
    next_why: str | None
    end_reason: str | None


class SurveyRow(NamedTuple):
    flow: str
    question: str
    value_int: int | None
    value_text: str
    answers: int


class CallbackRow(NamedTuple):
    flow: str
    version: str
    requests: int


# ---- SQL ---------------------------------------------------------------------------------------

# `{where}` is the filter on `calls c` (see `_where`); `{d_call}`, `{d_handoff}` and `{reason}`
# are the dialect's fragments.
_CALLS = """
SELECT c.flow, c.flow_version,
       CASE WHEN e.outcome = 'caller_hangup' AND {runtime} = 'drain' THEN 'shutdown'
            ELSE e.outcome END AS outcome,
       {reason} AS reason,
       {d_call} AS duration_us, {d_handoff} AS handoff_us, h.duration_ms AS handoff_ms,
       COALESCE(l.node, e.node) AS end_node, l.kind AS end_kind
FROM calls c
LEFT JOIN call_ends e ON e.call_id = c.call_id
LEFT JOIN steps h ON h.call_id = c.call_id AND h.seq = (
    SELECT min(x.seq) FROM steps x
    WHERE x.call_id = c.call_id AND x.kind IN ('queue', 'transfer')
      AND x.outcome IN ('answered', 'queued', 'transferred'))
LEFT JOIN steps l ON l.call_id = c.call_id AND l.seq = (
    SELECT max(y.seq) FROM steps y WHERE y.call_id = c.call_id)
WHERE {where}
"""

_VERSIONS = """
SELECT c.flow, c.flow_version, count(*) AS calls,
       min(c.started_at) AS first_call, max(c.started_at) AS last_call
FROM calls c
WHERE {where}
GROUP BY c.flow, c.flow_version
"""

_NODES = """
SELECT c.flow, s.node, s.kind, count(*) AS visits, count(DISTINCT s.call_id) AS calls,
       COALESCE(sum(s.duration_ms), 0) AS total_ms
FROM steps s
JOIN calls c ON c.call_id = s.call_id
WHERE {where}
GROUP BY c.flow, s.node, s.kind
"""

_VISITS = """
SELECT c.flow, s.node, s.kind, s.input, n.why AS next_why,
       CASE WHEN n.call_id IS NULL THEN {reason} END AS end_reason
FROM steps s
JOIN calls c ON c.call_id = s.call_id
LEFT JOIN steps n ON n.call_id = s.call_id AND n.seq = s.seq + 1
LEFT JOIN call_ends e ON e.call_id = s.call_id
WHERE {where} AND s.kind IN ('menu', 'collect', 'fetch')
"""

_SURVEY = """
SELECT c.flow, a.question, a.value_int, a.value_text, count(*) AS n
FROM survey_answers a
JOIN calls c ON c.call_id = a.call_id
WHERE {where}
GROUP BY c.flow, a.question, a.value_int, a.value_text
"""

_CALLBACKS = """
SELECT c.flow, c.flow_version, count(*) AS n
FROM callback_requests b
JOIN calls c ON c.call_id = b.call_id
WHERE {where}
GROUP BY c.flow, c.flow_version
"""

_SCHEMA = "SELECT max(version) FROM schema_version"

# Call ends whose detail is not JSON (SQLite only: PostgreSQL's JSONB holds valid JSON only).
_BROKEN_DETAILS = """
SELECT count(*) FROM call_ends e JOIN calls c ON c.call_id = e.call_id
WHERE {where} AND NOT json_valid(e.detail)
"""


@dataclass(frozen=True, slots=True)
class _Dialect:
    name: str
    placeholder: str
    diff_template: str  # microseconds from {a} to {b}
    reason: str  # the call end's detail.reason as text
    runtime: str  # the call end's detail.runtime as text (journals from before `shutdown`
    # have caller_hangup with runtime "drain" for calls a drain hung up: read as shutdown)

    def diff_us(self, a: str, b: str) -> str:
        return self.diff_template.format(a=a, b=b)

    def sql(self, template: str, where: str) -> str:
        text = template.format(
            where=where,
            reason=self.reason,
            runtime=self.runtime,
            d_call=self.diff_us("c.started_at", "e.ended_at"),
            d_handoff=self.diff_us("c.started_at", "h.at"),
        )
        if self.placeholder != "?":
            if "%" in text:
                raise AssertionError("a literal % in SQL for psycopg")
            text = text.replace("?", self.placeholder)
        return text


def _sqlite_epoch_us(column: str) -> str:
    # The journal writes SQLite timestamps as `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`.
    return (
        f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000"
        f" + CAST(substr({column}, 21, 6) AS INTEGER))"
    )


SQLITE = _Dialect(
    "sqlite",
    "?",
    f"({_sqlite_epoch_us('{b}')} - {_sqlite_epoch_us('{a}')})",
    # A detail that is not JSON (written by hand, or by another program) would make
    # json_extract fail the whole query: it is read as "no reason" and counted apart.
    "(CASE WHEN json_valid(e.detail) THEN json_extract(e.detail, '$.reason') END)",
    "(CASE WHEN json_valid(e.detail) THEN json_extract(e.detail, '$.runtime') END)",
)
POSTGRES = _Dialect(
    "postgresql",
    "%s",
    "CAST(EXTRACT(EPOCH FROM ({b} - {a})) * 1000000 AS BIGINT)",
    "(e.detail ->> 'reason')",
    "(e.detail ->> 'runtime')",
)


def redact(url: str) -> str:
    """`url` with its password (if any) replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    creds, at, host = rest.rpartition("@")
    if not at or ":" not in creds:
        return url
    return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


# ---- sources -----------------------------------------------------------------------------------


class JournalSource(abc.ABC):
    """A read-only view of one journal; use as a context manager (closes the connection)."""

    dialect: _Dialect

    def __init__(self, url: str) -> None:
        self.url = redact(url)
        self.skipped = 0  # rows that could not be read (a broken value): left out, counted

    def _rows(self, rows: Iterator[tuple[Any, ...]], make: Any) -> Iterator[Any]:
        """`make(row)` for each row; a row with a value that cannot be read (text where a
        number or a time should be) is skipped and counted, not fatal to the whole report."""
        for row in rows:
            try:
                yield make(row)
            except (ValueError, TypeError, OverflowError):
                self.skipped += 1

    def broken_details(self, filters: Filters) -> int:
        """Call ends whose detail is not valid JSON (their detail was ignored)."""
        return 0

    # the backend's part
    @abc.abstractmethod
    def _execute(self, sql: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """Run one query; yield its rows (raise `ReportError` on a database error)."""

    @abc.abstractmethod
    def _time_param(self, value: datetime) -> Any: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> JournalSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # queries
    def _check_schema(self, found: object) -> None:
        if found is None:
            raise ReportError(f"{self.url} is not a flowc journal (its schema_version is empty)")
        if int(str(found)) > SCHEMA_VERSION:
            raise ReportError(
                f"{self.url}: journal schema version {found} is newer than this flowc's"
                f" ({SCHEMA_VERSION}); upgrade flowc"
            )

    def _where(self, filters: Filters) -> tuple[str, list[Any]]:
        conditions: list[str] = []
        params: list[Any] = []
        if filters.flows:
            conditions.append(f"c.flow IN ({', '.join('?' for _ in filters.flows)})")
            params.extend(filters.flows)
        if filters.since is not None:
            conditions.append("c.started_at >= ?")
            params.append(self._time_param(filters.since))
        if filters.until is not None:
            conditions.append("c.started_at < ?")
            params.append(self._time_param(filters.until))
        return (" AND ".join(conditions) or "1 = 1"), params

    def _query(self, template: str, filters: Filters) -> Iterator[tuple[Any, ...]]:
        where, params = self._where(filters)
        return self._execute(self.dialect.sql(template, where), params)

    def calls(self, filters: Filters) -> list[CallRow]:
        def make(r: tuple[Any, ...]) -> CallRow:
            return CallRow(
                str(r[0]),
                str(r[1]),
                _opt_str(r[2]),
                _opt_str(r[3]),
                _opt_int(r[4]),
                _opt_int(r[5]),
                _opt_int(r[6]),
                _opt_str(r[7]),
                _opt_str(r[8]),
            )

        return list(self._rows(self._query(_CALLS, filters), make))

    def versions(self, filters: Filters) -> list[VersionRow]:
        def make(r: tuple[Any, ...]) -> VersionRow:
            return VersionRow(
                str(r[0]), str(r[1]), int(r[2]), _as_datetime(r[3]), _as_datetime(r[4])
            )

        return list(self._rows(self._query(_VERSIONS, filters), make))

    def nodes(self, filters: Filters) -> list[NodeRow]:
        def make(r: tuple[Any, ...]) -> NodeRow:
            return NodeRow(str(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4]), int(r[5]))

        return list(self._rows(self._query(_NODES, filters), make))

    def visits(self, filters: Filters) -> Iterator[VisitRow]:
        """Menu, collect and fetch visits, one at a time (there may be many)."""

        def make(r: tuple[Any, ...]) -> VisitRow:
            return VisitRow(
                str(r[0]), str(r[1]), str(r[2]), _opt_str(r[3]), _opt_str(r[4]), _opt_str(r[5])
            )

        yield from self._rows(self._query(_VISITS, filters), make)

    def survey(self, filters: Filters) -> list[SurveyRow]:
        def make(r: tuple[Any, ...]) -> SurveyRow:
            return SurveyRow(str(r[0]), str(r[1]), _opt_int(r[2]), str(r[3]), int(r[4]))

        return list(self._rows(self._query(_SURVEY, filters), make))

    def callbacks(self, filters: Filters) -> list[CallbackRow]:
        def make(r: tuple[Any, ...]) -> CallbackRow:
            return CallbackRow(str(r[0]), str(r[1]), int(r[2]))

        return list(self._rows(self._query(_CALLBACKS, filters), make))


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _opt_int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _as_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class _SQLiteSource(JournalSource):
    dialect = SQLITE

    def __init__(self, url: str, path: Path) -> None:
        super().__init__(url)
        if not path.is_file():
            raise ReportError(f"journal not found: {path} (from {url})")
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        try:
            self._db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=5.0)
        except sqlite3.Error as exc:
            raise ReportError(f"cannot open the journal {path}: {_first_line(exc)}") from None
        try:
            self._db.execute("BEGIN")  # one snapshot for every query of the report
            try:
                (found,) = self._db.execute(_SCHEMA).fetchone()
            except sqlite3.DatabaseError as exc:
                raise ReportError(f"{path} is not a flowc journal ({_first_line(exc)})") from None
            self._check_schema(found)
        except BaseException:
            self._db.close()
            raise

    def _execute(self, sql: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        try:
            cursor = self._db.execute(sql, tuple(params))
            while rows := cursor.fetchmany(1000):
                yield from rows
        except sqlite3.Error as exc:
            raise ReportError(f"reading the journal failed: {_first_line(exc)}") from None

    def _time_param(self, value: datetime) -> Any:
        return sqlite_ts(value)

    def broken_details(self, filters: Filters) -> int:
        for (n,) in self._query(_BROKEN_DETAILS, filters):
            return int(n)
        return 0

    def close(self) -> None:
        self._db.close()


class _PostgresSource(JournalSource):
    dialect = POSTGRES

    def __init__(self, url: str, conninfo: str, connect_timeout: float = 5.0) -> None:
        super().__init__(url)
        try:
            conn = psycopg.connect(conninfo, connect_timeout=max(2, round(connect_timeout)))
        except psycopg.Error as exc:
            raise ReportError(
                f"cannot connect to the journal {self.url}: {_first_line(exc)}"
            ) from None
        self._conn: psycopg.Connection[tuple[Any, ...]] = conn
        self._cursors = 0
        try:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            try:
                row = conn.execute(_SCHEMA).fetchone()
            except psycopg.errors.UndefinedTable:
                raise ReportError(
                    f"{self.url} is not a flowc journal (no schema_version table)"
                ) from None
            except psycopg.Error as exc:
                raise ReportError(f"reading the journal failed: {_first_line(exc)}") from None
            self._check_schema(row[0] if row else None)
        except BaseException:
            conn.close()
            raise

    def _execute(self, sql: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        self._cursors += 1
        try:
            # A server-side cursor: rows come in batches instead of all at once.
            with self._conn.cursor(name=f"report_{self._cursors}") as cursor:
                cursor.itersize = 1000
                cursor.execute(sql, tuple(params))
                yield from cursor
        except psycopg.Error as exc:
            raise ReportError(f"reading the journal failed: {_first_line(exc)}") from None

    def _time_param(self, value: datetime) -> Any:
        return value.astimezone(UTC)

    def close(self) -> None:
        try:
            self._conn.rollback()
        except psycopg.Error:
            pass
        self._conn.close()


def open_source(url: str) -> JournalSource:
    """A read-only view of the journal at `url`; `ReportError` when it cannot be read."""
    try:
        journal = open_journal(url)
    except ValueError as exc:
        raise ReportError(str(exc).replace(url, redact(url))) from None
    if isinstance(journal, SQLiteJournal):
        return _SQLiteSource(url, Path(journal.path))
    if isinstance(journal, PostgresJournal):
        return _PostgresSource(url, journal.url)
    raise ReportError(f"journal URL {redact(url)!r}: not supported by flowc report")
