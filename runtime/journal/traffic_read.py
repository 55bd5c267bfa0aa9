"""Reading a journal's calls of one flow for the heat map (`flowc graph --journal`): each
call's steps (node, why) and end, counted as they are read (`flowc.render_graph.traffic`),
a chunk of calls at a time, so memory stays bounded however many calls the journal holds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flowc.render_graph.traffic import CallSteps, Traffic, TrafficCounter

from .base import Journal

__all__ = ["read_traffic"]

_CHUNK = 500


async def read_traffic(
    journal: Journal,
    flow: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    watch: Iterable[str] = (),
    hide: Iterable[str] = (),
) -> Traffic:
    """The traffic of flow `flow`'s ended calls started in [since, until); `watched`: the
    calls that entered a node of `watch`; `hide`: prefixes of modules not drawn (see
    `TrafficCounter`)."""
    p = journal._placeholder
    counter = TrafficCounter(since=since, until=until, watch=watch, hide=hide)
    where = [f"c.flow = {p}"]
    params: list[Any] = [flow]
    if since is not None:
        where.append(f"c.started_at >= {p}")
        params.append(journal._time_param(since))
    if until is not None:
        where.append(f"c.started_at < {p}")
        params.append(journal._time_param(until))
    after: tuple[Any, str] | None = None
    while True:
        page = list(where)
        args = list(params)
        if after is not None:
            # Keyset paging: the next chunk starts after the last call read.
            page.append(f"(c.started_at > {p} OR (c.started_at = {p} AND c.call_id > {p}))")
            args.extend([after[0], after[0], after[1]])
        rows = await journal._read(
            "SELECT c.call_id, c.started_at, e.outcome, e.node AS end_node, e.detail"
            " FROM calls c JOIN call_ends e ON e.call_id = c.call_id"
            f" WHERE {' AND '.join(page)} ORDER BY c.started_at, c.call_id LIMIT {_CHUNK}",
            tuple(args),
        )
        if not rows:
            break
        last = rows[-1]
        after = (last["started_at"], str(last["call_id"]))
        calls = [journal._decode("calls", row) for row in rows]
        steps = await _steps_of(journal, [str(c["call_id"]) for c in calls])
        for call in calls:
            detail = call.get("detail")
            reason = detail.get("reason") if isinstance(detail, dict) else None
            counter.add(
                CallSteps(
                    started_at=call["started_at"],
                    steps=steps.get(str(call["call_id"]), []),
                    outcome=str(call["outcome"]),
                    end_node=None if call.get("end_node") is None else str(call["end_node"]),
                    end_reason=reason if isinstance(reason, str) else None,
                )
            )
        if len(rows) < _CHUNK:
            break
    return counter.result()


async def _steps_of(journal: Journal, call_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """(node, why) of each call's steps, in order."""
    p = journal._placeholder
    rows = await journal._read(
        "SELECT call_id, node, why FROM steps"
        f" WHERE call_id IN ({', '.join(p for _ in call_ids)}) ORDER BY call_id, seq",
        tuple(call_ids),
    )
    out: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        out.setdefault(str(row["call_id"]), []).append((str(row["node"]), str(row["why"])))
    return out
