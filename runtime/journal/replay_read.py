"""Reading recorded calls back for `flowc replay` and `flowc test --from-journal`.

`read_recorded(journal, ...)` returns `flowc.replay.RecordedCall`s, oldest first: from the
call's replay log when it has one (schema version 2), else from its steps and end (older
rows: `source == "steps"`). Calls that have not ended yet are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flowc.replay import RecordedCall
from flowc.replay.format import merge_parts

from .base import Journal

__all__ = ["NOT_ENDED", "read_recorded"]

NOT_ENDED = "the call has not ended (or its end was not journaled)"
NO_FIRST_PART = "only the part after an agent was journaled (its start was not)"
NO_SECOND_PART = "the part after the agent was not journaled"
_CHUNK = 500


async def read_recorded(
    journal: Journal,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    flows: Sequence[str] = (),
    call_ids: Sequence[str] = (),
    limit: int | None = None,
) -> tuple[list[RecordedCall], dict[str, int]]:
    """The recorded calls matching the filters, and why others could not be read (counts)."""
    p = journal._placeholder
    where: list[str] = []
    params: list[Any] = []
    if since is not None:
        where.append(f"c.started_at >= {p}")
        params.append(journal._time_param(since))
    if until is not None:
        where.append(f"c.started_at < {p}")
        params.append(journal._time_param(until))
    if flows:
        where.append(f"c.flow IN ({', '.join(p for _ in flows)})")
        params.extend(flows)
    if call_ids:
        where.append(f"c.call_id IN ({', '.join(p for _ in call_ids)})")
        params.extend(call_ids)
    sql = (
        "SELECT c.call_id, c.flow, c.flow_version, c.did, c.caller, c.started_at,"
        " e.ended_at, e.outcome, e.node AS end_node, e.detail, r.data"
        " FROM calls c LEFT JOIN call_ends e ON e.call_id = c.call_id"
        " LEFT JOIN call_replay r ON r.call_id = c.call_id AND r.part = 0"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + " ORDER BY c.started_at, c.call_id"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = [journal._decode("calls", raw) for raw in await journal._read(sql, tuple(params))]
    opened = [
        str(r["call_id"]) for r in rows if isinstance(r.get("data"), dict) and r["data"].get("open")
    ]
    seconds = await _second_parts(journal, opened)
    out: list[RecordedCall] = []
    skipped: dict[str, int] = {}

    def skip(why: str) -> None:
        skipped[why] = skipped.get(why, 0) + 1

    for row in rows:
        data = row.get("data")
        call_id = str(row["call_id"])
        try:
            if isinstance(data, dict):
                if data.get("open"):
                    second = seconds.get(call_id)
                    if second is None:
                        skip(NO_SECOND_PART)
                        continue
                    data = merge_parts(data, second)
                rec = RecordedCall.from_log(call_id, data)
                if rec.resumed:
                    skip(NO_FIRST_PART)
                    continue
                out.append(rec)
                continue
            if row.get("outcome") is None:
                skip(NOT_ENDED)
                continue
            steps = await journal.fetch_steps(call_id)
            out.append(RecordedCall.from_steps(row, steps))
        except ValueError as exc:
            skip(f"unreadable replay data ({exc})")
    return out, skipped


async def _second_parts(journal: Journal, call_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Part 1 of each of `call_ids` that has one."""
    p = journal._placeholder
    found: dict[str, dict[str, Any]] = {}
    for i in range(0, len(call_ids), _CHUNK):
        chunk = call_ids[i : i + _CHUNK]
        rows = await journal._read(
            "SELECT call_id, data FROM call_replay"
            f" WHERE part = 1 AND call_id IN ({', '.join(p for _ in chunk)})",
            tuple(chunk),
        )
        for raw in rows:
            row = journal._decode("call_replay", raw)
            if isinstance(row.get("data"), dict):
                found[str(row["call_id"])] = row["data"]
    return found
