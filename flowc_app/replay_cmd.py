"""`flowc replay`: run the calls a journal recorded through a (new) bundle, offline, and report
where they would go differently. The journal is read by `runtime.journal.replay_read`, the
bundle loaded as `flowc serve` loads it, the calls run by `flowc.replay` (the interpreter)."""

from __future__ import annotations

import asyncio
import enum
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from flowc.cli.main import app
from flowc.replay import RecordedCall, Replayed, Report, build_report, render, replay_call

__all__ = ["load_recorded", "replay", "replay_all"]

FLOW_MISSING = "its flow is not in the bundle"


class ReplayFormat(enum.StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


def load_recorded(
    url: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    flows: Sequence[str] = (),
    call_ids: Sequence[str] = (),
    limit: int | None = None,
) -> tuple[list[RecordedCall], dict[str, int]]:
    """The recorded calls of the journal at `url` (read-only). ValueError when `url` names
    a SQLite file that does not exist (opening it would create an empty journal)."""
    from runtime.journal.existing import read_existing
    from runtime.journal.replay_read import read_recorded

    return asyncio.run(
        read_existing(
            url,
            lambda journal: read_recorded(
                journal, since=since, until=until, flows=flows, call_ids=call_ids, limit=limit
            ),
        )
    )


def replay_all(
    programs: dict[str, object], calls: Sequence[RecordedCall], skipped: dict[str, int]
) -> list[tuple[RecordedCall, Replayed]]:
    """Replay `calls` through `programs` (flow -> Program); calls that cannot be replayed
    are counted in `skipped` by reason."""
    from flowc.interpreter import Program

    out: list[tuple[RecordedCall, Replayed]] = []
    for rec in calls:
        program = programs.get(rec.flow)
        if not isinstance(program, Program):
            skipped[FLOW_MISSING] = skipped.get(FLOW_MISSING, 0) + 1
            continue
        out.append((rec, replay_call(program, rec)))
    return out


@app.command()
def replay(
    journal: Annotated[
        str, typer.Option(help="Journal URL: sqlite:///journal.db, postgresql://...")
    ] = "sqlite:///journal.db",
    bundle: Annotated[
        Path, typer.Option("--bundle", "-b", help="The bundle to replay the calls through.")
    ] = Path("build"),
    env: Annotated[
        str | None, typer.Option(help="Bindings environment (when the bundle has several).")
    ] = None,
    flow: Annotated[
        list[str] | None, typer.Option("--flow", help="Only this flow (repeatable).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Calls started at or after this time: ISO 8601 or a span (1d, 7d)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Calls started before this time (same forms).")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many calls.")] = None,
    fmt: Annotated[
        ReplayFormat, typer.Option("--format", "-f", help="text, markdown or json.")
    ] = ReplayFormat.text,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here.")] = None,
    fail_over: Annotated[
        float | None,
        typer.Option(
            "--fail-over",
            min=0.0,
            max=100.0,
            help="Exit 1 when more than this percent of the calls would end differently.",
        ),
    ] = None,
    details: Annotated[
        bool, typer.Option("--details", help="List every call that changes (JSON).")
    ] = False,
) -> None:
    """Replay recorded calls through a bundle, offline (the same interpreter, the recorded
    clock, inputs, look-up answers and queue outcomes), and report how they diverge.

    Exit 0; 1 with --fail-over when more calls than that end differently; 2 on a bad journal,
    bundle or option."""
    from runtime.bundle_store import BundleError, load_bundle
    from runtime.report import parse_when
    from runtime.report.queries import ReportError

    try:
        loaded = load_bundle(bundle, env)
    except BundleError as exc:
        raise _fail(str(exc)) from None
    try:
        start = None if since is None else parse_when(since)
        stop = None if until is None else parse_when(until)
    except (ValueError, ReportError) as exc:
        raise _fail(str(exc)) from None
    try:
        calls, skipped = load_recorded(
            journal, since=start, until=stop, flows=tuple(flow or ()), limit=limit
        )
    except ValueError as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:  # a journal that cannot be opened or read: say why, no trace
        raise _fail(f"cannot read the journal: {type(exc).__name__}: {exc}") from None
    t0 = time.perf_counter()
    pairs = replay_all(dict(loaded.programs), calls, skipped)
    took = time.perf_counter() - t0
    report: Report = build_report(pairs, bundle=loaded.hash, skipped=skipped, details=details)
    text = render(report, fmt.value)
    if out is None:
        typer.echo(text, nl=False)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot write {out}: {exc.strerror or exc}") from None
        typer.echo(f"wrote {out}", err=True)
    if fmt is not ReplayFormat.json:
        rate = len(pairs) / took if took > 0 else 0.0
        print(f"replayed {len(pairs)} call(s) in {took:.2f}s ({rate:,.0f}/s)", file=sys.stderr)
    if fail_over is not None and report.ends_changed_pct > fail_over:
        typer.secho(
            f"{report.ends_changed_pct:.1f}% of the calls end differently (more than"
            f" {fail_over:g}%)",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)
