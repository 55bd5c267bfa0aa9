"""`flowc graph FLOW --journal URL` and `flowc diff A B --journal URL`: the traffic a journal
recorded, for the heat map. `flowc graph`/`diff` belong to the toolchain, which never reads
a journal (the runtime's): they ask `flowc.cli.graph_cmds.TRAFFIC` for the counts, and
`flowc_app` (the `flowc` command) puts `load_traffic` there."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flowc.cli import graph_cmds

if TYPE_CHECKING:  # the drawing's modules load only when a heat map is drawn
    from flowc.render_graph.traffic import Traffic

__all__ = ["install", "load_traffic"]


def load_traffic(
    url: str,
    flow: str,
    since: str | None,
    until: str | None,
    watch: Iterable[str] = (),
    hide: Iterable[str] = (),
) -> Traffic:
    """The traffic of flow `flow` in the journal at `url` (read-only): calls started at or
    after `since` and before `until` (ISO 8601 or a span back from now: 1d, 7d); `watched`
    counts the calls that entered a node of `watch`; steps in modules named by a `hide`
    prefix count on their caller. ValueError with a message for the user
    on a bad time or journal."""
    import asyncio  # here, not at the top: every `flowc` command imports this module

    from runtime.journal.existing import read_existing
    from runtime.journal.traffic_read import read_traffic
    from runtime.report import parse_when
    from runtime.report.queries import ReportError

    try:
        start = None if since is None else parse_when(since)
        stop = None if until is None else parse_when(until)
    except (ValueError, ReportError) as exc:
        raise ValueError(str(exc)) from None
    if start is not None and stop is not None and start >= stop:
        raise ValueError("--since must be earlier than --until")

    try:
        return asyncio.run(
            read_existing(
                url,
                lambda journal: read_traffic(
                    journal, flow, since=start, until=stop, watch=watch, hide=hide
                ),
            )
        )
    except ValueError:
        raise
    except Exception as exc:  # a journal that cannot be opened or read: say why, no trace
        raise ValueError(f"cannot read the journal: {type(exc).__name__}: {exc}") from None


def install() -> None:
    """Let `flowc graph`/`flowc diff` read journals."""
    graph_cmds.TRAFFIC = load_traffic
