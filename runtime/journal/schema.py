"""Tables, columns and DDL of the journal, for SQLite and PostgreSQL, and row conversion.

Schema version 3 (the `schema_version` table holds one row per version applied):

    calls             call_id PK, flow, flow_version, did, caller, started_at, instance
    steps             (call_id, seq) PK, at, node, kind, why, input, sensitive, outcome,
                      duration_ms
    call_ends         call_id PK, ended_at, outcome, node, detail (JSON)
    survey_answers    (call_id, question) PK, flow, value_int, value_text, at
    callback_requests (call_id, number) PK, flow, at
    call_replay       (call_id, part) PK, format, data (JSON)   -- since version 2

Migrations (`MIGRATIONS`): every table is ``CREATE TABLE IF NOT EXISTS``, so opening an older
journal creates what it lacks, and one `schema_version` row is added per version applied.
Rows written before version 2 have no `call_replay` row: `flowc replay` runs them on what the
other tables hold and says so.

Every insert is ``ON CONFLICT DO NOTHING`` on those keys, so writing a batch twice (a retry after
a lost COMMIT acknowledgement, two instances journaling the same call) leaves one copy: the first.
One exception: a call end with outcome `lost` (written by a restarted runtime for a call its
dead predecessor left open, see `Journal.close_lost_calls`) gives way to a real end written
later (the call went on elsewhere: a queue's resume socket on another instance). A batch
keeps only the first end of each call, so one statement never touches a row twice.
Timestamps are UTC: ``timestamptz`` in PostgreSQL; in SQLite fixed-width ISO-8601 text
(``2026-03-01T08:00:00.000000+00:00``), so text order is time order and SQLite's date functions
read it. A survey answer keeps its text form in ``value_text`` and, when it is an integer, the
number in ``value_int`` (for averages).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from .records import (
    MASK,
    CallbackRequest,
    CallEnd,
    CallRecord,
    Item,
    ReplayLog,
    StepRecord,
    SurveyAnswer,
)
from .safe import clean_text, safe_dumps, safe_int_text, storable_int

SCHEMA_VERSION = 3
MIGRATIONS: dict[int, str] = {
    1: "calls, steps, call_ends, survey_answers, callback_requests",
    2: "call_replay: what `flowc replay` needs of each call",
    3: "deploy_bundles, deployments, deploy_events: the rollout (deploy_schema.py)",
}
"""What each schema version added (all of it created by the idempotent DDL; version 3's by
deploy_schema.py, applied after these by each backend's `_connect`)."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "calls": ("call_id", "flow", "flow_version", "did", "caller", "started_at", "instance"),
    "steps": (
        "call_id",
        "seq",
        "at",
        "node",
        "kind",
        "why",
        "input",
        "sensitive",
        "outcome",
        "duration_ms",
    ),
    "call_ends": ("call_id", "ended_at", "outcome", "node", "detail"),
    "survey_answers": ("call_id", "question", "flow", "value_int", "value_text", "at"),
    "callback_requests": ("call_id", "number", "flow", "at"),
    "call_replay": ("call_id", "part", "format", "data"),
}
TABLES: tuple[str, ...] = tuple(COLUMNS)
TABLE_OF: dict[type, str] = {
    CallRecord: "calls",
    StepRecord: "steps",
    CallEnd: "call_ends",
    SurveyAnswer: "survey_answers",
    CallbackRequest: "callback_requests",
    ReplayLog: "call_replay",
}

# One DDL text per dialect; `{ts}`, `{bool}`, `{json}`, `{int}` name the column types.
_DDL = """
CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    applied_at  {ts} NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
    call_id       TEXT PRIMARY KEY,
    flow          TEXT NOT NULL,
    flow_version  TEXT NOT NULL,
    did           TEXT NOT NULL,
    caller        TEXT NOT NULL,
    started_at    {ts} NOT NULL,
    instance      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_flow_started ON calls (flow, started_at);
CREATE INDEX IF NOT EXISTS calls_started ON calls (started_at);
CREATE TABLE IF NOT EXISTS steps (
    call_id      TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    at           {ts} NOT NULL,
    node         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    why          TEXT NOT NULL,
    input        TEXT,
    sensitive    {bool} NOT NULL,
    outcome      TEXT,
    duration_ms  {int},
    PRIMARY KEY (call_id, seq)
);
CREATE INDEX IF NOT EXISTS steps_node ON steps (node, kind);
CREATE TABLE IF NOT EXISTS call_ends (
    call_id   TEXT PRIMARY KEY,
    ended_at  {ts} NOT NULL,
    outcome   TEXT NOT NULL,
    node      TEXT,
    detail    {json} NOT NULL
);
CREATE INDEX IF NOT EXISTS call_ends_outcome_node ON call_ends (outcome, node);
CREATE INDEX IF NOT EXISTS call_ends_ended ON call_ends (ended_at);
CREATE TABLE IF NOT EXISTS survey_answers (
    call_id     TEXT NOT NULL,
    question    TEXT NOT NULL,
    flow        TEXT NOT NULL,
    value_int   {int},
    value_text  TEXT NOT NULL,
    at          {ts} NOT NULL,
    PRIMARY KEY (call_id, question)
);
CREATE INDEX IF NOT EXISTS survey_flow_question ON survey_answers (flow, question, at);
CREATE TABLE IF NOT EXISTS callback_requests (
    call_id  TEXT NOT NULL,
    number   TEXT NOT NULL,
    flow     TEXT NOT NULL,
    at       {ts} NOT NULL,
    PRIMARY KEY (call_id, number)
);
CREATE INDEX IF NOT EXISTS callbacks_flow_at ON callback_requests (flow, at);
CREATE TABLE IF NOT EXISTS call_replay (
    call_id  TEXT NOT NULL,
    part     INTEGER NOT NULL,
    format   INTEGER NOT NULL,
    data     {json} NOT NULL,
    PRIMARY KEY (call_id, part)
);
"""

SQLITE_DDL = _DDL.format(ts="TEXT", bool="INTEGER", json="TEXT", int="INTEGER")
POSTGRES_DDL = _DDL.format(ts="TIMESTAMPTZ", bool="BOOLEAN", json="JSONB", int="BIGINT")


class SchemaError(RuntimeError):
    """The database holds a journal schema newer than this code understands."""


def check_version(found: int | None) -> list[int]:
    """The versions to record as applied (the DDL has just created what they add); raises
    when the database is newer than this code."""
    if found is not None and found > SCHEMA_VERSION:
        raise SchemaError(
            f"journal schema version {found} is newer than this runtime's ({SCHEMA_VERSION});"
            " upgrade the runtime"
        )
    if found is None:
        return [SCHEMA_VERSION]
    return list(range(found + 1, SCHEMA_VERSION + 1))


# ---- rows --------------------------------------------------------------------------------------


def utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def sqlite_ts(value: datetime) -> str:
    return utc(value).isoformat(timespec="microseconds")


def _text(value: object) -> str:
    if isinstance(value, str):
        return clean_text(value)
    if value is None:
        raise TypeError("a required text field is None")
    if isinstance(value, int):
        return safe_int_text(value)
    return clean_text(str(value))


def _opt_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _opt_int(value: object) -> int | None:
    return None if value is None else storable_int(int(value))  # type: ignore[call-overload]


def detail_json(detail: object) -> str:
    """A call end's detail as JSON text, whatever it holds (see `safe`): never raises."""
    data = detail if isinstance(detail, Mapping) else {"detail": detail} if detail else {}
    return safe_dumps(data, ensure_ascii=False, sort_keys=True)


def to_row(
    item: Item, ts: Callable[[datetime], Any], boolean: Callable[[bool], Any]
) -> tuple[Any, ...]:
    """The row of `item` for its table (`TABLE_OF[type(item)]`), in `COLUMNS` order."""
    if isinstance(item, StepRecord):
        sensitive = bool(item.sensitive)
        return (
            _text(item.call_id),
            int(item.seq),
            ts(item.at),
            _text(item.node),
            _text(item.kind),
            _text(item.why),
            MASK if sensitive else _opt_text(item.input),
            boolean(sensitive),
            _opt_text(item.outcome),
            _opt_int(item.duration_ms),
        )
    if isinstance(item, CallRecord):
        return (
            _text(item.call_id),
            _text(item.flow),
            _text(item.flow_version),
            _text(item.did),
            _text(item.caller),
            ts(item.started_at),
            _text(item.instance),
        )
    if isinstance(item, CallEnd):
        detail = detail_json(item.detail)
        return (
            _text(item.call_id),
            ts(item.ended_at),
            _text(item.outcome),
            _opt_text(item.node),
            detail,
        )
    if isinstance(item, SurveyAnswer):
        value = item.value
        number = storable_int(int(value)) if isinstance(value, int) else None
        return (
            _text(item.call_id),
            _text(item.question),
            _text(item.flow),
            number,
            safe_int_text(int(value)) if isinstance(value, int) else _text(value),
            ts(item.at),
        )
    if isinstance(item, CallbackRequest):
        return (_text(item.call_id), _text(item.number), _text(item.flow), ts(item.at))
    if isinstance(item, ReplayLog):
        return (_text(item.call_id), int(item.part), int(item.format), detail_json(item.data))
    raise TypeError(f"not a journal record: {type(item).__name__}")


def describe(item: object) -> str:
    """A log-safe description of a record: its type and call id, never its content."""
    call_id = getattr(item, "call_id", None)
    return f"{type(item).__name__}(call_id={call_id!r})"


LOST_OUTCOME = "lost"


def end_conflict(excluded: str) -> str:
    """The ON CONFLICT clause of call_ends: a real end replaces a `lost` one, nothing else
    changes (`excluded` is how the dialect names the proposed row)."""
    sets = ", ".join(f"{c} = {excluded}.{c}" for c in COLUMNS["call_ends"] if c != "call_id")
    return (
        f" ON CONFLICT (call_id) DO UPDATE SET {sets}"
        f" WHERE call_ends.outcome = '{LOST_OUTCOME}' AND {excluded}.outcome <> '{LOST_OUTCOME}'"
    )


def group_rows(
    items: Iterable[Item],
    ts: Callable[[datetime], Any],
    boolean: Callable[[bool], Any],
) -> tuple[dict[str, list[tuple[Any, ...]]], list[tuple[Item, Exception]]]:
    """Rows by table, and the items that cannot be made into rows (with why)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    bad: list[tuple[Item, Exception]] = []
    ends: dict[str, tuple[int, bool]] = {}  # call_id -> (index in rows["call_ends"], is lost)
    for item in items:
        replace: int | None = None
        if isinstance(item, CallEnd):
            seen = ends.get(item.call_id)
            if seen is not None:
                # The first end of a call wins (as ON CONFLICT would have it), except that a
                # real end replaces a `lost` one.
                if not seen[1] or item.outcome == LOST_OUTCOME:
                    continue
                replace = seen[0]
        try:
            row = to_row(item, ts, boolean)
        except Exception as exc:
            bare = _bare_end(item, ts, boolean)
            if bare is None:
                bad.append((item, exc))
                continue
            row = bare
        table = rows.setdefault(TABLE_OF[type(item)], [])
        if replace is not None:
            table[replace] = row
            ends[item.call_id] = (replace, False)
        else:
            if isinstance(item, CallEnd):
                ends[item.call_id] = (len(table), item.outcome == LOST_OUTCOME)
            table.append(row)
    return rows, bad


def _bare_end(
    item: Item, ts: Callable[[datetime], Any], boolean: Callable[[bool], Any]
) -> tuple[Any, ...] | None:
    """A call end whose row failed, with its detail replaced by a marker: the end itself (the
    call's outcome) is worth more than the detail. None when even that fails."""
    if not isinstance(item, CallEnd):
        return None
    try:
        bare = CallEnd(item.call_id, item.ended_at, item.outcome, item.node, {"detail": "<lost>"})
        return to_row(bare, ts, boolean)
    except Exception:
        return None


def check_table(table: str) -> str:
    if table not in COLUMNS:
        raise ValueError(f"unknown journal table {table!r}; tables: {', '.join(TABLES)}")
    return table
