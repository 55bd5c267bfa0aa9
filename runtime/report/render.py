"""A `Report` as text (rich tables), Markdown or JSON.

Text and Markdown show the same sections, built once as neutral blocks (`sections`): headings,
lines and tables of plain strings. JSON is `Report.to_json()`, complete (`top` does not cut it).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table

from .model import FlowReport, LeavePoint, Percentiles, Report, Share

__all__ = ["print_text", "render_json", "render_markdown", "render_text", "sections"]

Justify = Literal["left", "right"]


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    level: int  # 1: the report, 2: a flow


@dataclass(frozen=True, slots=True)
class Line:
    text: str


@dataclass(frozen=True, slots=True)
class Grid:
    title: str
    columns: tuple[tuple[str, Justify], ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""


Block = Heading | Line | Grid


# ---- formatting -------------------------------------------------------------------------------

# What a terminal or a Markdown viewer would act on instead of showing: C0/C1 controls (ESC
# starts escape sequences; 0x9b is a one-byte CSI), DEL, and the bidirectional overrides that
# reorder what is shown. Texts in the journal come from flows, callers and look-ups.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with control characters and bidi overrides shown as ``\\xNN`` / ``\\uNNNN``."""
    return _UNSAFE.sub(_escape_char, text)


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _json_char(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def share(s: Share) -> str:
    return f"{s.calls} ({pct(s.rate)})" if s.rate is not None else str(s.calls)


def secs(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{value:.3f} s"
    if value < 10:
        return f"{value:.2f} s"
    if value < 60:
        return f"{value:.1f} s"
    whole = round(value)
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


def spread(p: Percentiles) -> str:
    if p.calls == 0:
        return "—"
    return f"{secs(p.p50_s)} / {secs(p.p90_s)}"


def when(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def minute(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def short_version(version: str) -> str:
    """The first 12 hex digits of an IR hash (``sha256:<hex>``), like a short git hash."""
    _, sep, digest = version.partition(":")
    return digest[:12] if sep and len(digest) > 12 else version


# ---- sections ---------------------------------------------------------------------------------


def _period(report: Report) -> str:
    f = report.filters
    if f.since is None and f.until is None:
        return "all calls in the journal"
    if f.until is None:
        return f"calls started since {when(f.since)}"
    if f.since is None:
        return f"calls started before {when(f.until)}"
    return f"calls started from {when(f.since)} to {when(f.until)}"


def _overview(report: Report) -> list[Grid]:
    """Outcome shares, then times: one row per flow, and all flows when there are several."""
    named = [(f.flow, f.summary) for f in report.flows]
    if len(report.flows) != 1:
        named.append(("all flows", report.overall))
    shares = tuple(
        (name, "0", "no calls", "", "", "", "")
        if s.calls == 0
        else (
            name,
            str(s.calls),
            share(s.self_service),
            share(s.reached_person),
            share(s.voicemail),
            share(s.abandoned),
            share(s.failed),
        )
        for name, s in named
    )
    times = tuple(
        (name, spread(s.time_to_handoff), spread(s.time_to_person), spread(s.duration))
        for name, s in named
        if s.calls
    )
    return [
        Grid(
            "Overview (share of ended calls)",
            (
                ("Flow", "left"),
                ("Calls", "right"),
                ("Self-service", "right"),
                ("Reached a person", "right"),
                ("Voicemail", "right"),
                ("Abandoned", "right"),
                ("Failed", "right"),
            ),
            shares,
        ),
        Grid(
            "Times, p50 / p90",
            (
                ("Flow", "left"),
                ("To the queue/transfer", "right"),
                ("To a person", "right"),
                ("Call duration", "right"),
            ),
            times,
        ),
    ]


def _leaving(points: tuple[LeavePoint, ...], top: int, with_flow: bool) -> Grid:
    columns: tuple[tuple[str, Justify], ...] = ((("Flow", "left"),) if with_flow else ()) + (
        ("Node", "left"),
        ("Kind", "left"),
        ("Hang-ups", "right"),
        ("Share", "right"),
    )
    rows = tuple(
        ((p.flow,) if with_flow else ()) + (p.node, p.kind or "—", str(p.calls), pct(p.share))
        for p in points[:top]
    )
    more = len(points) - top
    return Grid(
        "Where callers hang up",
        columns,
        rows,
        note=f"... and {more} more node(s)" if more > 0 else "",
    )


def _flow_blocks(f: FlowReport, top: int, period: bool) -> list[Block]:
    s = f.summary
    blocks: list[Block] = [Heading(f"flow {f.flow}", 2)]
    if s.calls == 0:
        blocks.append(Line(f"No calls for flow {f.flow}{' in this period' if period else ''}."))
        return blocks
    outcome_rows = [(name, str(n), pct(n / s.ended)) for name, n in s.outcomes.items()]
    if s.calls > s.ended:
        outcome_rows.append(("(not ended yet)", str(s.calls - s.ended), ""))
    blocks.append(
        Grid(
            f"Outcomes ({s.calls} call{'' if s.calls == 1 else 's'}, {s.ended} ended)",
            (("Outcome", "left"), ("Calls", "right"), ("Share", "right")),
            tuple(outcome_rows),
        )
    )
    blocks.append(
        Grid(
            "Key figures",
            (("Measure", "left"), ("Value", "right")),
            (
                ("Self-service (the flow ended the call)", share(s.self_service)),
                ("Reached a person (agent, transfer)", share(s.reached_person)),
                ("Voicemail", share(s.voicemail)),
                (
                    "Abandoned (caller hung up first)",
                    share(s.abandoned) + f", {s.abandoned_in_queue} in a queue",
                ),
                ("Failed (error, hang-up after a failure)", share(s.failed)),
                ("Cut off by the runtime (shutdown, lost)", share(s.interrupted)),
                ("Time to the queue/transfer p50 / p90", spread(s.time_to_handoff)),
                ("Time to a person p50 / p90", spread(s.time_to_person)),
                ("Call duration p50 / p90", spread(s.duration)),
                ("Callback requests", str(s.callbacks)),
            ),
        )
    )
    if f.leave_points:
        blocks.append(_leaving(f.leave_points, top, with_flow=False))
    if f.inputs:
        masked = sum(i.masked for i in f.inputs)
        blocks.append(
            Grid(
                "Menus and collects (failed attempts)",
                (
                    ("Node", "left"),
                    ("Kind", "left"),
                    ("Visits", "right"),
                    ("No input", "right"),
                    ("No match", "right"),
                    ("Gave up", "right"),
                    ("Gave-up rate", "right"),
                ),
                tuple(
                    (
                        i.node,
                        i.kind,
                        str(i.visits),
                        str(i.no_input),
                        str(i.no_match),
                        str(i.gave_up),
                        pct(i.gave_up_rate),
                    )
                    for i in f.inputs
                ),
                note=f"{masked} visit(s) with a masked (sensitive) input: their attempts are"
                " not counted"
                if masked
                else "",
            )
        )
    if f.lookups:
        blocks.append(
            Grid(
                "Look-ups",
                (
                    ("Node", "left"),
                    ("Visits", "right"),
                    ("Errors", "right"),
                    ("Timeouts", "right"),
                    ("Failure rate", "right"),
                ),
                tuple(
                    (x.node, str(x.visits), str(x.errors), str(x.timeouts), pct(x.failure_rate))
                    for x in f.lookups
                ),
            )
        )
    if f.survey:
        blocks.append(
            Grid(
                "Survey",
                (
                    ("Question", "left"),
                    ("Scale", "left"),
                    ("Answers", "right"),
                    ("Average", "right"),
                    ("NPS", "right"),
                    ("Yes / No", "right"),
                ),
                tuple(
                    (
                        q.question,
                        q.scale,
                        str(q.answers),
                        "—" if q.average is None else f"{q.average:.2f}",
                        "—" if q.nps is None else f"{q.nps:+.1f}",
                        f"{q.yes} / {q.no}" if q.yes or q.no else "—",
                    )
                    for q in f.survey
                ),
            )
        )
    if f.nodes:
        more = len(f.nodes) - top
        blocks.append(
            Grid(
                "Busiest nodes",
                (
                    ("Node", "left"),
                    ("Kind", "left"),
                    ("Visits", "right"),
                    ("Calls", "right"),
                    ("Avg time", "right"),
                ),
                tuple(
                    (n.node, n.kind, str(n.visits), str(n.calls), secs(n.avg_s))
                    for n in f.nodes[:top]
                ),
                note=f"... and {more} more node(s)" if more > 0 else "",
            )
        )
    blocks.append(
        Grid(
            "Flow versions",
            (
                ("Version", "left"),
                ("Calls", "right"),
                ("First call (UTC)", "left"),
                ("Last call (UTC)", "left"),
                ("Self-service", "right"),
                ("Reached a person", "right"),
                ("Abandoned", "right"),
            ),
            tuple(
                (
                    short_version(v.version),
                    str(v.summary.calls),
                    minute(v.first_call),
                    minute(v.last_call),
                    pct(v.summary.self_service.rate),
                    pct(v.summary.reached_person.rate),
                    pct(v.summary.abandoned.rate),
                )
                for v in f.versions
            ),
        )
    )
    return blocks


def sections(report: Report, *, top: int = 10, brief: bool = False) -> list[Block]:
    """The report as blocks; `brief`: the overview and where callers hang up only."""
    f = report.filters
    flows = ", ".join(f.flows) if f.flows else "all"
    blocks: list[Block] = [
        Heading("flowc report", 1),
        Line(f"journal {report.journal}; {_period(report)}; flows: {flows}"),
    ]
    if report.skipped_rows or report.unreadable_details:
        blocks.append(
            Line(
                f"Unreadable journal data: {report.unreadable_details} call end detail(s) not"
                f" valid JSON (their detail ignored), {report.skipped_rows} row(s) with a value"
                " that could not be read (left out)."
            )
        )
    if report.empty:
        what = f"for flow(s) {flows}" if f.flows else "in the journal"
        if f.since is not None or f.until is not None:
            what += " in this period"
        blocks.append(Line(f"No calls {what}."))
        return blocks
    blocks.extend(_overview(report))
    if report.leave_points:
        blocks.append(_leaving(report.leave_points, top, with_flow=True))
    else:
        blocks.append(Line("No caller hung up before reaching a person."))
    if not brief:
        for flow in report.flows:
            blocks.extend(_flow_blocks(flow, top, f.since is not None or f.until is not None))
    return blocks


# ---- text ---------------------------------------------------------------------------------------


def print_text(report: Report, console: Console, *, top: int = 10, brief: bool = False) -> None:
    """Print the report on `console`, a rich table per section."""
    for block in _safe(sections(report, top=top, brief=brief)):
        if isinstance(block, Heading):
            if block.level == 1:
                console.print(f"[bold]{escape(block.text)}[/bold]")
            else:
                console.print()
                console.print(Rule(f"[bold]{escape(block.text)}[/bold]", align="left"))
        elif isinstance(block, Line):
            console.print(escape(block.text))
        else:
            table = Table(title=escape(block.title), title_justify="left", title_style="bold")
            for name, justify in block.columns:
                table.add_column(escape(name), justify=justify)
            for row in block.rows:
                table.add_row(*(escape(cell) for cell in row))
            console.print()
            console.print(table)
            if block.note:
                console.print(f"[dim]{escape(block.note)}[/dim]")


def render_text(report: Report, *, top: int = 10, brief: bool = False, width: int = 120) -> str:
    """The text form as a string, without colours (files, tests)."""
    console = Console(
        width=width, record=True, color_system=None, highlight=False, file=io.StringIO()
    )
    print_text(report, console, top=top, brief=brief)
    return console.export_text()


# ---- Markdown, JSON ---------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ") or " "


def render_markdown(report: Report, *, top: int = 10, brief: bool = False) -> str:
    out: list[str] = []
    for block in _safe(sections(report, top=top, brief=brief)):
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {block.text}\n")
        elif isinstance(block, Line):
            out.append(f"{block.text}\n")
        else:
            out.append(f"**{block.title}**\n")
            out.append("| " + " | ".join(_md_cell(name) for name, _ in block.columns) + " |")
            out.append(
                "|"
                + "|".join("---:" if justify == "right" else "---" for _, justify in block.columns)
                + "|"
            )
            for row in block.rows:
                out.append("| " + " | ".join(_md_cell(cell) for cell in row) + " |")
            out.append("")
            if block.note:
                out.append(f"_{block.note}_\n")
    return "\n".join(out).rstrip("\n") + "\n"


def render_json(report: Report) -> str:
    # json escapes C0 controls itself; C1 controls and bidi overrides become \\uNNNN too
    # (the same JSON value, nothing a terminal acts on).
    text = json.dumps(report.to_json(), ensure_ascii=False, indent=2)
    return _JSON_UNSAFE.sub(_json_char, text) + "\n"


def _safe(blocks: list[Block]) -> list[Block]:
    """Every text of `blocks` made `printable`."""
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(Heading(printable(block.text), block.level))
        elif isinstance(block, Line):
            out.append(Line(printable(block.text)))
        else:
            out.append(
                Grid(
                    printable(block.title),
                    tuple((printable(name), justify) for name, justify in block.columns),
                    tuple(tuple(printable(cell) for cell in row) for row in block.rows),
                    printable(block.note),
                )
            )
    return out
