"""`flowc report`: analytics of the call journal (registered on the `flowc` command line)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from flowc.cli.main import app
from runtime.journal import DEFAULT_URL

from . import Filters, ReportError, build_report, parse_when
from .render import print_text, render_json, render_markdown, render_text


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


@app.command()
def report(
    journal: Annotated[
        str,
        typer.Option(
            help="Journal URL, as for `flowc serve`: sqlite:///journal.db, postgresql://..."
        ),
    ] = DEFAULT_URL,
    flow: Annotated[
        list[str] | None,
        typer.Option("--flow", help="Only this flow (repeatable). Default: every flow."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Calls started at or after this time: ISO 8601 (UTC unless an offset is "
            "given) or a span back from now (12h, 1d, 7d, 2w)."
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Calls started before this time (same forms as --since)."),
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="text, json or markdown.")
    ] = ReportFormat.text,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the report to this file.")
    ] = None,
    top: Annotated[
        int, typer.Option(min=1, help="Rows in the 'where callers hang up' and node tables.")
    ] = 10,
    brief: Annotated[
        bool, typer.Option("--brief", help="Only the overview and where callers hang up.")
    ] = False,
) -> None:
    """Report on served calls, from the journal: outcomes, self-service, abandonment, time to
    a person, where callers hang up, failing menus and look-ups, survey scores, flow versions.

    Read-only. Exit 0 (also without calls); 2 if the journal cannot be read or an option is wrong.
    """
    try:
        filters = Filters(
            flows=tuple(dict.fromkeys(flow or ())),
            since=None if since is None else parse_when(since),
            until=None if until is None else parse_when(until),
        )
        result = build_report(journal, filters)
    except ReportError as exc:
        raise _fail(str(exc)) from None
    if fmt is ReportFormat.json:
        text = render_json(result)
    elif fmt is ReportFormat.markdown:
        text = render_markdown(result, top=top, brief=brief)
    elif out is None:
        console = Console(
            highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 120
        )
        print_text(result, console, top=top, brief=brief)
        return
    else:
        text = render_text(result, top=top, brief=brief)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror or exc}") from None
    typer.echo(f"wrote {out}", err=True)
