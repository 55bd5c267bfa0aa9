"""The rollout's shared state in the journal's database (tables in journal/deploy_schema.py).

Every runtime instance reads the same `deployments` row; a change (a deploy, an automatic or
manual promote or roll-back) is one UPDATE made only if the row still has the revision it was
decided on (compare-and-set), so two instances judging the same canary at once make one change
and the other finds the new revision on its next read. Each change is also appended to
`deploy_events` (the history `flowc deploy status` shows). Bundles are stored by their content
hash, so an instance can load any version it is asked to serve, and a resumed call the version
it started on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from runtime.journal import Journal
from runtime.journal.schema import sqlite_ts
from runtime.rollout.rules import Outcomes, tally

State = Literal["stable", "canary"]
MAX_LIST = 10_000  # callers or DIDs of one canary
MAX_NOTE = 500
MAX_ROWS = 200_000  # call ends read for one judgement


@dataclass(frozen=True)
class Deployment:
    name: str
    stable: str
    canary: str | None
    share_bp: int
    callers: tuple[str, ...]
    dids: tuple[str, ...]
    state: State
    revision: int
    canary_since: datetime | None
    updated_at: datetime
    note: str


@dataclass(frozen=True)
class Event:
    revision: int
    at: datetime
    action: str
    stable: str
    canary: str | None
    note: str


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def _list(value: Any) -> tuple[str, ...]:
    data = json.loads(value) if isinstance(value, str) else value
    return tuple(str(x) for x in data or ())


class Board:
    """The deployments of one journal database."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.p = journal.placeholder
        self._sqlite = self.p == "?"

    def _ts(self, value: datetime) -> Any:
        return sqlite_ts(value) if self._sqlite else value.astimezone(UTC)

    def _sql(self, text: str) -> str:
        return text.replace("{p}", self.p)

    # ---- bundles -------------------------------------------------------------------------
    async def store_bundle(self, bundle_hash: str, body: str) -> None:
        """Keep a bundle by its hash (a second store of the same hash changes nothing)."""
        await self.journal.execute(
            self._sql(
                "INSERT INTO deploy_bundles (hash, body, stored_at) VALUES ({p}, {p}, {p})"
                " ON CONFLICT DO NOTHING RETURNING hash"
            ),
            (bundle_hash, body, self._ts(datetime.now(UTC))),
        )

    async def bundle_body(self, bundle_hash: str) -> str | None:
        rows = await self.journal.execute(
            self._sql("SELECT body FROM deploy_bundles WHERE hash = {p}"), (bundle_hash,)
        )
        return str(rows[0]["body"]) if rows else None

    # ---- the decision --------------------------------------------------------------------
    async def read(self, name: str) -> Deployment | None:
        rows = await self.journal.execute(
            self._sql("SELECT * FROM deployments WHERE name = {p}"), (name,)
        )
        if not rows:
            return None
        r = rows[0]
        state = str(r["state"])
        return Deployment(
            name=str(r["name"]),
            stable=str(r["stable"]),
            canary=None if r["canary"] is None else str(r["canary"]),
            share_bp=int(r["share_bp"]),
            callers=_list(r["callers"]),
            dids=_list(r["dids"]),
            state="canary" if state == "canary" else "stable",
            revision=int(r["revision"]),
            canary_since=_time(r["canary_since"]),
            updated_at=_time(r["updated_at"]) or datetime.now(UTC),
            note=str(r["note"]),
        )

    async def names(self) -> list[str]:
        rows = await self.journal.execute("SELECT name FROM deployments ORDER BY name")
        return [str(r["name"]) for r in rows]

    async def events(self, name: str, limit: int = 20) -> list[Event]:
        rows = await self.journal.execute(
            self._sql(
                "SELECT * FROM deploy_events WHERE name = {p} ORDER BY revision DESC LIMIT {p}"
            ),
            (name, limit),
        )
        return [
            Event(
                revision=int(r["revision"]),
                at=_time(r["at"]) or datetime.now(UTC),
                action=str(r["action"]),
                stable=str(r["stable"]),
                canary=None if r["canary"] is None else str(r["canary"]),
                note=str(r["note"]),
            )
            for r in rows
        ]

    async def create(self, name: str, stable: str, note: str) -> Deployment | None:
        """The first deployment of `name` (None: another instance or command made one)."""
        now = self._ts(datetime.now(UTC))
        rows = await self.journal.execute(
            self._sql(
                "INSERT INTO deployments (name, stable, canary, share_bp, callers, dids, state,"
                " revision, canary_since, updated_at, note)"
                " VALUES ({p}, {p}, NULL, 0, '[]', '[]', 'stable', 1, NULL, {p}, {p})"
                " ON CONFLICT DO NOTHING RETURNING revision"
            ),
            (name, stable, now, note[:MAX_NOTE]),
        )
        if not rows:
            return None
        await self._event(name, 1, "deploy", stable, None, note)
        return await self.read(name)

    async def change(
        self,
        current: Deployment,
        action: str,
        *,
        stable: str,
        canary: str | None,
        share_bp: int = 0,
        callers: Sequence[str] = (),
        dids: Sequence[str] = (),
        note: str = "",
    ) -> Deployment | None:
        """Replace the decision if it is still at `current.revision`; None when it moved on
        (someone else changed it first: read it again)."""
        now = datetime.now(UTC)
        state: State = "canary" if canary is not None else "stable"
        since = (
            current.canary_since
            if canary is not None and canary == current.canary and current.canary_since
            else now
            if canary is not None
            else None
        )
        revision = current.revision + 1
        rows = await self.journal.execute(
            self._sql(
                "UPDATE deployments SET stable = {p}, canary = {p}, share_bp = {p},"
                " callers = {p}, dids = {p}, state = {p}, revision = {p}, canary_since = {p},"
                " updated_at = {p}, note = {p} WHERE name = {p} AND revision = {p}"
                " RETURNING revision"
            ),
            (
                stable,
                canary,
                share_bp,
                json.dumps(list(callers)[:MAX_LIST]),
                json.dumps(list(dids)[:MAX_LIST]),
                state,
                revision,
                None if since is None else self._ts(since),
                self._ts(now),
                note[:MAX_NOTE],
                current.name,
                current.revision,
            ),
        )
        if not rows:
            return None
        await self._event(current.name, revision, action, stable, canary, note)
        return await self.read(current.name)

    async def _event(
        self, name: str, revision: int, action: str, stable: str, canary: str | None, note: str
    ) -> None:
        await self.journal.execute(
            self._sql(
                "INSERT INTO deploy_events (name, revision, at, action, stable, canary, note)"
                " VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}) ON CONFLICT DO NOTHING"
                " RETURNING revision"
            ),
            (name, revision, self._ts(datetime.now(UTC)), action, stable, canary, note[:MAX_NOTE]),
        )

    # ---- the calls -----------------------------------------------------------------------
    def _bundle_of_end(self) -> str:
        # the version that served a call is in its end's detail (runtime.call.ending)
        return "json_extract(e.detail, '$.bundle')" if self._sqlite else "(e.detail->>'bundle')"

    async def outcome_counts(
        self, since: datetime, hashes: Sequence[str]
    ) -> list[tuple[str | None, str, int]]:
        """(bundle hash, outcome, calls) of the calls of these versions that ended since
        `since`, counted by the database."""
        if not hashes:
            return []
        bundle = self._bundle_of_end()
        marks = ", ".join("{p}" for _ in hashes)
        rows = await self.journal.execute(
            self._sql(
                f"SELECT {bundle} AS bundle, e.outcome AS outcome, count(*) AS n"
                f" FROM call_ends e WHERE e.ended_at >= {{p}} AND {bundle} IN ({marks})"
                " GROUP BY 1, 2"
            ),
            (self._ts(since), *hashes),
        )
        return [
            (None if r["bundle"] is None else str(r["bundle"]), str(r["outcome"]), int(r["n"]))
            for r in rows
        ]

    async def to_person(self, since: datetime, hashes: Sequence[str]) -> list[tuple[str, float]]:
        """(bundle hash, seconds from the start to the first queue or transfer step) of the
        calls of these versions that ended since `since` and reached a person's queue or a
        transfer (at most `MAX_ROWS`)."""
        if not hashes:
            return []
        bundle = self._bundle_of_end()
        marks = ", ".join("{p}" for _ in hashes)
        rows = await self.journal.execute(
            self._sql(
                f"SELECT {bundle} AS bundle, c.started_at AS started_at, min(s.at) AS person_at"
                " FROM call_ends e JOIN calls c ON c.call_id = e.call_id"
                " JOIN steps s ON s.call_id = e.call_id AND s.kind IN ('queue', 'transfer')"
                f" WHERE e.ended_at >= {{p}} AND {bundle} IN ({marks})"
                " GROUP BY e.call_id, c.started_at, bundle LIMIT {p}"
            ),
            (self._ts(since), *hashes, MAX_ROWS),
        )
        out: list[tuple[str, float]] = []
        for r in rows:
            started, person = _time(r["started_at"]), _time(r["person_at"])
            if started is not None and person is not None and r["bundle"] is not None:
                out.append((str(r["bundle"]), (person - started).total_seconds()))
        return out

    async def compare(self, since: datetime, stable: str, canary: str) -> tuple[Outcomes, Outcomes]:
        """The (stable, canary) outcomes of the calls that ended since `since`."""
        hashes = (stable, canary)
        return tally(
            await self.outcome_counts(since, hashes),
            await self.to_person(since, hashes),
            stable,
            canary,
        )
