"""`flowc report`: what the call journal says about the flows, for operations.

    filters = Filters(flows=("bank",), since=parse_when("7d"))
    report = build_report("sqlite:///journal.db", filters)     # or postgresql://...
    print(render_markdown(report))

`queries` reads the journal (read-only, SQLite or PostgreSQL, one snapshot), `compute` turns
its rows into a `Report` (`model`), `render` prints it as text (rich tables), Markdown or
JSON, and `cli` is the command. `ReportError` is every "cannot read this journal" case.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

from .compute import build
from .model import Filters, Report
from .queries import ReportError, open_source
from .render import render_json, render_markdown, render_text

__all__ = [
    "Filters",
    "Report",
    "ReportError",
    "build_report",
    "parse_when",
    "render_json",
    "render_markdown",
    "render_text",
]

_SPAN = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)
_UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """A point in time: ISO 8601 (without an offset it is UTC, like the journal; a date alone
    is its midnight), or a span back from `now`: ``12h``, ``1d``, ``7d``, ``2w``."""
    span = _SPAN.match(text)
    if span is not None:
        base = now if now is not None else datetime.now(UTC)
        return (base - int(span.group(1)) * _UNIT[span.group(2).lower()]).astimezone(UTC)
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReportError(
            f"cannot read the time {text!r}: write ISO 8601 (2026-10-01, 2026-10-01T08:00+08:00)"
            " or a span back from now (12h, 1d, 7d, 2w)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def build_report(url: str, filters: Filters) -> Report:
    """Read the journal at `url` (read-only) and compute the report for `filters`."""
    if filters.since is not None and filters.until is not None and filters.since >= filters.until:
        raise ReportError("--since must be earlier than --until")
    with open_source(url) as source:
        report = build(
            source.url,
            filters,
            calls=source.calls(filters),
            versions=source.versions(filters),
            nodes=source.nodes(filters),
            visits=source.visits(filters),
            survey=source.survey(filters),
            callbacks=source.callbacks(filters),
        )
        return dataclasses.replace(
            report,
            skipped_rows=source.skipped,
            unreadable_details=source.broken_details(filters),
        )
