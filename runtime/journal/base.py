"""The journal's front half, shared by both databases: the queue, the batch writer, retries.

Theory of operation
-------------------
`Journal.record` runs on the event loop inside live calls, so it only appends the record to an
in-memory FIFO queue (a deque) and returns; it never blocks, awaits or raises. One background
task, the *writer*, takes records off the front of the queue in batches and writes each batch in
one database transaction:

* a batch is written when `batch_size` records are queued, or `flush_interval` seconds after the
  first record of the batch was queued, or at once when someone awaits `flush()` or `close()`;
* a batch that fails because the database is unreachable, locked, read-only or out of space
  (a *transient* failure) is kept and written again after a back-off (`min_backoff` doubling up
  to `max_backoff`; `flush()` cuts the wait short), for as long as it takes. Meanwhile records
  keep queueing up to `max_queue`; past that, new records are refused and counted in `dropped`,
  and an error is logged (at most every `log_interval` seconds);
* a batch that fails for any other reason (a record the database rejects) is written again one
  record per transaction, so that only the offending records are dropped (counted, logged
  without their content) and the good ones are kept;
* every insert is ``ON CONFLICT DO NOTHING`` on the table's key, so writing a batch again after
  a commit whose acknowledgement was lost never duplicates anything.

The spool
---------
With a spool (`spool=PATH`, see `spool.Spool`), a record is never lost to an unavailable
database: once writing has failed for `spool_after` seconds (at once while closing), each
batch is appended to the spool file (fsync'd) instead of waiting in memory, and the database
is tried again every `max_backoff` seconds. When a write succeeds again, and at the next
`open()`, the spool is written back first (idempotently), then deleted. Records that reach
neither the database nor the spool (spool full or unwritable, queue full, still unwritten
when `close()` gave up) are counted in `unsaved`: `flowc serve` exits non-zero when any are.

What "committed" means
----------------------
A record is *committed* once the transaction of its batch has returned from COMMIT; `flush()`
returns when every record accepted by `record()` before the call is committed (or was dropped as
unwritable). Batches are taken from the front of one FIFO queue and written one at a time, so at
every moment the committed records are a *prefix* of the accepted records, in `record()` order,
and a batch is all or nothing. Hence, if the runtime records `CallRecord` before the steps and
the `CallEnd` of a call (as it does), a committed step or call end always has its call row, and
what a crash loses is a tail of the sequence, never a hole in it.

A committed batch survives the journal process being killed (SIGKILL, OOM, segfault): PostgreSQL
(with its default ``synchronous_commit = on``) has it on disk before COMMIT returns, and also
survives a power loss; SQLite in WAL mode with ``synchronous=NORMAL`` has it in the WAL file,
which survives a process kill; a power loss or OS crash may roll back the last few committed
SQLite transactions (still leaving a prefix); pass ``synchronous="FULL"`` for durability
against that at some speed cost. Records still queued when the process dies are lost: at most
`flush_interval` seconds or `batch_size` records' worth, plus whatever waited for an
unreachable database.
"""

from __future__ import annotations

import abc
import asyncio
import collections
import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any, Final

from .records import ITEM_TYPES, LOST, CallEnd, Item, shutdown_outcome
from .schema import SchemaError, check_table, describe
from .spool import DEFAULT_MAX_BYTES, Spool

__all__ = ["Journal"]

log = logging.getLogger("runtime.journal")

_ITEM_TYPES: Final = ITEM_TYPES


class Journal(abc.ABC):
    """Asynchronous, batched, idempotent journal of calls; see the module docstring.

    Counters (read them for metrics): `accepted` records taken by `record()`, `written` records
    committed, `dropped` records lost (queue full, journal closed, rejected by the database, or
    still unwritten when `close()` gave up), `batches` committed transactions, `failures` failed
    write attempts. `queued` is the current queue length.
    """

    def __init__(
        self,
        *,
        batch_size: int = 500,
        flush_interval: float = 0.05,
        max_queue: int = 100_000,
        close_timeout: float = 30.0,
        min_backoff: float = 0.05,
        max_backoff: float = 5.0,
        log_interval: float = 10.0,
        spool: str | None = None,
        spool_max_bytes: int = DEFAULT_MAX_BYTES,
        spool_after: float = 5.0,
    ) -> None:
        if batch_size < 1 or max_queue < 1:
            raise ValueError("batch_size and max_queue must be at least 1")
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_queue = max_queue
        self.close_timeout = close_timeout
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.log_interval = log_interval
        self.spool_after = spool_after
        self.spool: Spool | None = None
        if spool is not None:
            self.set_spool(spool, spool_max_bytes)

        self.accepted = 0
        self.written = 0
        self.dropped = 0
        self.batches = 0
        self.failures = 0
        self.spooled = 0  # records appended to the spool
        self.replayed = 0  # records written back from the spool
        self.spool_refused = 0  # records the spool could not take (full, unwritable)
        self.unsaved = 0  # records in neither the database nor the spool (see the docstring)
        self.spool_pending = 0  # records in the spool file, not yet written back
        self._spool_mode = False  # the database is down: batches go to the spool
        self._next_probe = 0.0  # when to try the database again in spool mode

        self._queue: collections.deque[Item] = collections.deque()
        self._inflight: list[Item] = []
        self._done = 0  # accepted records committed or dropped by the writer
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._wake: asyncio.Event | None = None  # the writer has something to do
        self._nudge: asyncio.Event | None = None  # stop backing off, retry now
        self._task: asyncio.Task[None] | None = None
        self._connected = False
        self._closing = False
        self._closed = False
        self._last_drop_log = -1e9
        self._drops_since_log = 0
        self._last_fail_log = -1e9

    def set_spool(self, path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        """Use the spool file `path` (before `open()`); records it already holds are written
        back to the database once it is reachable."""
        self.spool = Spool(path, max_bytes)

    # ---- the backend's part ----------------------------------------------------------------
    @abc.abstractmethod
    async def _connect(self) -> None:
        """Connect and create the schema if missing (idempotent); raise when impossible."""

    @abc.abstractmethod
    async def _disconnect(self) -> None:
        """Drop the connection (after a failure, or at close); never raise."""

    @abc.abstractmethod
    async def _write(self, batch: list[Item]) -> list[tuple[Item, Exception]]:
        """Write `batch` in one transaction; return the records that cannot be made into rows
        (all others committed); raise (having rolled back) when the transaction fails."""

    @abc.abstractmethod
    def _is_transient(self, exc: BaseException) -> bool:
        """Whether `exc` means "the database is unavailable, try again later"."""

    @abc.abstractmethod
    async def _query(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        """Run one read query (in the backend's parameter style) and return rows as dicts."""

    @abc.abstractmethod
    def _decode(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """A stored row in the API's types (aware UTC datetimes, bool, dict, int | str)."""

    _placeholder = "?"

    def _time_param(self, value: datetime) -> Any:
        """A datetime as the backend's query parameter."""
        return value

    # ---- life cycle ------------------------------------------------------------------------
    async def open(self) -> None:
        """Connect, create the schema, start the writer.

        Raises `SchemaError` when the database holds a newer journal schema. An unreachable
        database is not an error here: it is logged and the writer keeps trying to reach it
        (calls must go on), so records queue until it is back.
        """
        if self._task is not None:
            return
        if self._closed:
            raise RuntimeError("a closed journal cannot be opened again")
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._wake = asyncio.Event()
        self._nudge = asyncio.Event()
        try:
            await self._connect()
            self._connected = True
        except SchemaError:
            await self._disconnect()
            raise
        except Exception as exc:
            if not self._is_transient(exc):
                await self._disconnect()
                raise
            self.failures += 1
            log.error("journal: database unavailable at start, will keep retrying: %s", exc)
            await self._disconnect()
        if self.spool is not None:
            left = await asyncio.to_thread(self.spool.load)
            self.spool_pending = len(left)
            if left:
                log.warning(
                    "journal: %d records in the spool %s from an earlier run: writing them back",
                    len(left),
                    self.spool.path,
                )
                if self._connected:
                    await self._try_replay()
        self._task = self._loop.create_task(self._run(), name="journal-writer")
        if self._queue:
            self._wake.set()

    async def close(self) -> None:
        """Write everything queued, stop the writer, disconnect.

        Waits at most `close_timeout` seconds for an unreachable database; records still
        unwritten then are counted in `dropped` and an error is logged. Records given to
        `record()` after `close()` are dropped.
        """
        if self._closed:
            return
        self._closing = True
        task = self._task
        if task is not None:
            self._signal()
            try:
                await asyncio.wait_for(asyncio.shield(task), self.close_timeout)
            except TimeoutError:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
                left = [*self._inflight, *self._queue]
                self._queue.clear()
                self._inflight = []
                if left and await self._spill(left):
                    self._done += len(left)
                    left = []
                lost = len(left)
                if lost:
                    self.dropped += lost
                    self.unsaved += lost
                    self._done += lost
                    log.error(
                        "journal: closed after %.1fs with the database unavailable;"
                        " %d records written neither to the database nor to the spool",
                        self.close_timeout,
                        lost,
                    )
        else:
            lost = len(self._queue)
            self._queue.clear()
            if lost:
                self.dropped += lost
                self.unsaved += lost
                log.error("journal: closed without being opened; %d records dropped", lost)
        self._closed = True
        for _, fut in self._waiters:
            if not fut.done():
                fut.set_result(None)
        self._waiters.clear()
        await self._disconnect()
        self._connected = False

    async def __aenter__(self) -> Journal:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ---- recording ---------------------------------------------------------------------------
    def record(self, item: Item) -> None:
        """Queue `item` for writing. Non-blocking; never raises (refusals count in `dropped`).

        Call it from the journal's event loop thread (other threads work too, at some cost).
        Records given before `open()` are kept and written once the journal is open.
        """
        try:
            if self._closed:
                self._drop(1, "the journal is closed")
                return
            if type(item) not in _ITEM_TYPES:
                self._drop(1, f"not a journal record: {type(item).__name__}")
                return
            if type(item) is CallEnd:
                item = shutdown_outcome(item)  # a drained call was not abandoned by its caller
            queue = self._queue
            if len(queue) >= self.max_queue:
                self._drop(1, f"queue full ({self.max_queue} records waiting)")
                return
            queue.append(item)
            self.accepted += 1
            n = len(queue)
            if n == 1 or n == self.batch_size:
                self._signal(nudge=False)
        except Exception:  # pragma: no cover - defensive: a journal must never break a call
            try:
                self.dropped += 1
                log.exception("journal: record() failed")
            except Exception:
                pass

    @property
    def queued(self) -> int:
        return len(self._queue)

    async def flush(self) -> None:
        """Return when every record given to `record()` before this call is committed (or
        spooled, or was dropped as unwritable). Waits for as long as the database is
        unreachable (without a spool): wrap it in `asyncio.timeout` to bound that."""
        if self._task is None:
            if self._closed:
                return
            raise RuntimeError("the journal is not open")
        target = self.accepted
        if self._done >= target:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (target, fut)
        self._waiters.append(entry)
        self._signal()
        try:
            await fut
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    # ---- reading (tests, `flowc report`) -----------------------------------------------------
    async def fetch_call(self, call_id: str) -> dict[str, Any] | None:
        """The call's row joined with its end (ended_at, outcome, end_node, detail: None until
        the call ended), or None. Sees committed records only: `flush()` first."""
        p = self._placeholder
        rows = await self._read(
            "SELECT c.call_id, c.flow, c.flow_version, c.did, c.caller, c.started_at,"
            " c.instance, e.ended_at, e.outcome, e.node AS end_node, e.detail"
            f" FROM calls c LEFT JOIN call_ends e ON e.call_id = c.call_id WHERE c.call_id = {p}",
            (call_id,),
        )
        return self._decode("calls", rows[0]) if rows else None

    async def fetch_steps(self, call_id: str) -> list[dict[str, Any]]:
        """The call's steps in `seq` order (committed ones only)."""
        return await self._fetch("steps", call_id, "seq")

    async def fetch_survey(self, call_id: str) -> list[dict[str, Any]]:
        """The call's survey answers, by question; `value` is an int or a str as recorded."""
        return await self._fetch("survey_answers", call_id, "question")

    async def fetch_callbacks(self, call_id: str) -> list[dict[str, Any]]:
        """The call's callback requests, by time."""
        return await self._fetch("callback_requests", call_id, "at, number")

    async def count(self, table: str) -> int:
        """The number of rows in one of the journal's tables (see `schema.TABLES`)."""
        rows = await self._read(f"SELECT count(*) AS n FROM {check_table(table)}", ())
        return int(rows[0]["n"])

    async def close_lost_calls(
        self, instance: str, *, started_before: datetime | None = None
    ) -> list[str]:
        """Write an end with outcome `lost` for every call that has none and was started by
        `instance` (this runtime's name: a call of ours still open when we start was left by a
        process that died mid-call, since a clean stop ends or detaches every call), or by any
        instance before `started_before` (for runtimes that never come back under their
        name). Another instance's recent open calls are left alone: they may be live.

        The end's time is the call's last step (what is known of it), its node the last
        step's node, its detail says who closed it and why. A real end written later (a
        queue's resume socket continued the call elsewhere) replaces a `lost` one (see
        `schema`). Returns the call ids closed; they are queued like any record: `flush()`."""
        p = self._placeholder
        where = f"c.instance = {p}"
        params: list[Any] = [instance]
        if started_before is not None:
            where = f"({where} OR c.started_at < {p})"
            params.append(self._time_param(started_before))
        rows = await self._read(
            "SELECT c.call_id, c.started_at, c.instance,"
            " (SELECT s.node FROM steps s WHERE s.call_id = c.call_id"
            "  ORDER BY s.seq DESC LIMIT 1) AS node,"
            " (SELECT max(s.at) FROM steps s WHERE s.call_id = c.call_id) AS at"
            " FROM calls c LEFT JOIN call_ends e ON e.call_id = c.call_id"
            f" WHERE e.call_id IS NULL AND {where} ORDER BY c.started_at",
            tuple(params),
        )
        closed_at = datetime.now(UTC).isoformat(timespec="seconds")
        closed: list[str] = []
        for row in rows:
            row = self._decode("calls", row)
            last = row.get("at")
            if isinstance(last, str):
                last = datetime.fromisoformat(last).astimezone(UTC)
            ended = last if isinstance(last, datetime) else row["started_at"]
            detail = {
                "runtime": "lost",
                "reason": "the runtime serving the call stopped without ending it",
                "instance": row["instance"],
                "closed_by": instance,
                "closed_at": closed_at,
            }
            self.record(CallEnd(row["call_id"], ended, LOST, row.get("node"), detail))
            closed.append(row["call_id"])
        if closed:
            log.warning(
                "journal: %d call(s) left open by a stopped runtime closed as `lost`", len(closed)
            )
        return closed

    @property
    def placeholder(self) -> str:
        """How the backend's SQL writes a query parameter (`?` or `%s`)."""
        return self._placeholder

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """One statement on the reading connection, committed on its own (autocommit): a
        read, or a write with RETURNING (the rollout's decision table). Raw rows, undecoded."""
        if self._closed:
            raise RuntimeError("the journal is closed")
        return await self._query(sql, params)

    async def _read(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        if self._closed:
            raise RuntimeError("the journal is closed")
        return await self._query(sql, params)

    async def _fetch(self, table: str, call_id: str, order: str) -> list[dict[str, Any]]:
        rows = await self._read(
            f"SELECT * FROM {table} WHERE call_id = {self._placeholder} ORDER BY {order}",
            (call_id,),
        )
        return [self._decode(table, row) for row in rows]

    # ---- the writer --------------------------------------------------------------------------
    def _signal(self, *, nudge: bool = True) -> None:
        """Wake the writer (and, with `nudge`, cut a retry back-off short); any thread."""
        loop, wake, retry = self._loop, self._wake, self._nudge
        if loop is None or wake is None or retry is None:
            return
        if threading.get_ident() == self._loop_thread:
            wake.set()
            if nudge:
                retry.set()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)
            if nudge:
                loop.call_soon_threadsafe(retry.set)

    def _urgent(self) -> bool:
        return self._closing or any(target > self._done for target, _ in self._waiters)

    async def _run(self) -> None:
        assert self._wake is not None
        wake = self._wake
        while True:
            try:
                while not self._queue:
                    if self._closing:
                        return
                    wake.clear()
                    if self.spool_pending and self.spool is not None:
                        # Idle with records in the spool: write them back once the database
                        # is reachable again, without waiting for the next call's records.
                        await self._wait(wake, self.max_backoff)
                        if not self._queue and not self._closing:
                            await self._try_replay()
                    else:
                        await wake.wait()
                if len(self._queue) < self.batch_size and not self._urgent():
                    wake.clear()
                    await self._wait(wake, self.flush_interval)
                n = min(self.batch_size, len(self._queue))
                popleft = self._queue.popleft
                self._inflight = [popleft() for _ in range(n)]
                await self._write_with_retry()
            except asyncio.CancelledError:
                raise
            except Exception:  # pragma: no cover - defensive: the writer must not die
                log.exception("journal: writer error")
                await asyncio.sleep(self.max_backoff)

    @staticmethod
    async def _wait(event: asyncio.Event, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            pass

    async def _write_with_retry(self) -> None:
        """Write `self._inflight` until it is committed (or spooled), retrying transient
        failures."""
        assert self._nudge is not None
        delay = self.min_backoff
        failing_since: float | None = None
        while self._inflight:
            batch = self._inflight
            if self._spool_mode and time.monotonic() < self._next_probe:
                if await self._spill_inflight():
                    return
            try:
                if not self._connected:
                    await self._connect()
                    self._connected = True
                if self.spool_pending:
                    await self._replay()
                rejected = await self._write(batch)
            except Exception as exc:
                if self._is_transient(exc):
                    self.failures += 1
                    now = time.monotonic()
                    if failing_since is None:
                        failing_since = now
                    self._log_failure(exc, len(batch))
                    await self._disconnect()
                    self._connected = False
                    if self.spool is not None and (
                        self._closing or self._spool_mode or now - failing_since >= self.spool_after
                    ):
                        self._enter_spool_mode(now)
                        if await self._spill_inflight():
                            return
                    self._nudge.clear()
                    await self._wait(self._nudge, delay)
                    delay = min(delay * 2, self.max_backoff)
                    continue
                await self._write_one_by_one()
                continue
            self._committed(len(batch), rejected)
            self._inflight = []
            if self._spool_mode:
                self._spool_mode = False
                log.warning("journal: database writable again; the spool is written back")
            if failing_since is not None:
                log.warning(
                    "journal: database writable again after %.1fs; %d records waiting",
                    time.monotonic() - failing_since,
                    len(self._queue),
                )

    # ---- the spool ---------------------------------------------------------------------------
    def _enter_spool_mode(self, now: float) -> None:
        self._next_probe = now + self.max_backoff
        if not self._spool_mode:
            self._spool_mode = True
            log.error(
                "journal: database unavailable; records go to the spool %s",
                self.spool.path if self.spool is not None else None,
            )

    async def _spill(self, items: list[Item]) -> bool:
        """Append `items` to the spool; False when there is none or it refuses them."""
        spool = self.spool
        if spool is None or not items:
            return False
        try:
            ok = await asyncio.to_thread(spool.append, items)
        except Exception:  # pragma: no cover - append reports failures as False
            log.exception("journal: spool append failed")
            ok = False
        if ok:
            self.spooled += len(items)
            self.spool_pending += len(items)
            return True
        self.spool_refused += len(items)
        now = time.monotonic()
        if now - self._last_fail_log >= self.log_interval:
            log.error(
                "journal: the spool %s refused %d records (full at %d bytes, or unwritable)",
                spool.path,
                len(items),
                spool.max_bytes,
            )
            self._last_fail_log = now
        return False

    async def _spill_inflight(self) -> bool:
        batch = self._inflight
        if not await self._spill(batch):
            return False
        self._inflight = []
        self._settled(len(batch))
        return True

    async def _replay(self) -> None:
        """Write the spool back to the database, then delete it; raises (the spool kept) when
        the database fails. Records the database refuses are dropped, as in normal writes."""
        spool = self.spool
        if spool is None:
            return
        items = await asyncio.to_thread(spool.load)
        if spool.bad:
            log.error("journal: %d unreadable lines in the spool %s skipped", spool.bad, spool.path)
        for start in range(0, len(items), self.batch_size):
            chunk = items[start : start + self.batch_size]
            try:
                rejected = await self._write(chunk)
            except Exception as exc:
                if self._is_transient(exc):
                    raise
                rejected = []
                for item in chunk:
                    try:
                        rejected += await self._write([item])
                    except Exception as one:
                        if self._is_transient(one):
                            raise
                        rejected.append((item, one))
            if rejected:
                self.dropped += len(rejected)
                log.error("journal: %d spooled records refused by the database", len(rejected))
        await asyncio.to_thread(spool.clear)
        self.replayed += len(items)
        self.spool_pending = 0
        if items:
            log.warning("journal: %d spooled records written back to the database", len(items))

    async def _try_replay(self) -> None:
        """Write the spool back if the database is reachable now; never raises."""
        try:
            if not self._connected:
                await self._connect()
                self._connected = True
            await self._replay()
            self._spool_mode = False
        except Exception as exc:
            self.failures += 1
            self._log_failure(exc, self.spool_pending)
            await self._disconnect()
            self._connected = False

    async def _write_one_by_one(self) -> None:
        """After a non-transient failure: write each record of the in-flight batch in its own
        transaction, dropping only the ones the database refuses. Stops at a transient failure,
        leaving the rest in flight for the retry loop."""
        while self._inflight:
            item = self._inflight[0]
            try:
                rejected = await self._write([item])
            except Exception as exc:
                if self._is_transient(exc):
                    return
                rejected = [(item, exc)]
            self._committed(1, rejected)
            self._inflight = self._inflight[1:]

    def _committed(self, n: int, rejected: list[tuple[Item, Exception]]) -> None:
        if rejected:
            self.dropped += len(rejected)
            for item, exc in rejected[:5]:
                log.error(
                    "journal: dropped %s: the database refused it (%s: %s)",
                    describe(item),
                    type(exc).__name__,
                    exc,
                )
        if n > len(rejected):
            self.batches += 1
        self.written += n - len(rejected)
        self._done += n
        done = self._done
        for target, fut in self._waiters:
            if target <= done and not fut.done():
                fut.set_result(None)

    def _settled(self, n: int) -> None:
        """`n` records left the writer's hands for the spool: flush() waiters may go on."""
        self._done += n
        done = self._done
        for target, fut in self._waiters:
            if target <= done and not fut.done():
                fut.set_result(None)

    def _drop(self, n: int, reason: str) -> None:
        self.dropped += n
        self.unsaved += n
        self._drops_since_log += n
        now = time.monotonic()
        if now - self._last_drop_log >= self.log_interval:
            log.error(
                "journal: dropped %d records (%s); %d dropped in all",
                self._drops_since_log,
                reason,
                self.dropped,
            )
            self._last_drop_log = now
            self._drops_since_log = 0

    def _log_failure(self, exc: BaseException, n: int) -> None:
        now = time.monotonic()
        if now - self._last_fail_log >= self.log_interval:
            log.error(
                "journal: writing %d records failed, will retry (%s: %s); %d queued",
                n,
                type(exc).__name__,
                str(exc).strip(),
                len(self._queue),
            )
            self._last_fail_log = now
