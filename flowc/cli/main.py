"""The `flowc` command line. Each sub-command is a thin shell over a library function."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flowc import __version__
from flowc.diagnostics import Diagnostic, Severity
from flowc.source.files import MAX_FLOW_BYTES, read_bounded

if TYPE_CHECKING:
    from datetime import datetime

app = typer.Typer(
    name="flowc",
    help="Declarative IVR call flows: check, compile, draw, diff, simulate, test and serve them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"flowc {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """flowc: call flows as code."""


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def _sources(checked: Sequence[object]) -> dict[str, str]:
    out: dict[str, str] = {}
    for c in checked:
        doc = getattr(c, "doc", None)
        if doc is not None:
            out[doc.file] = doc.text
        else:
            file = getattr(c, "file", "")
            try:  # bounded, regular files only: the file may be a FIFO or /dev/zero
                data = read_bounded(Path(file), MAX_FLOW_BYTES)
            except OSError:
                continue
            out[file] = data.decode("utf-8", errors="replace")
    return out


COLLECT_EVERY = 200  # files checked between collections when the collector is off


def _collect_now_and_then() -> Callable[[Path], None]:
    """`flowc check` runs without the cyclic collector (flowc_app.gctune): checking frees what
    it builds by reference counting, but a flow with a holiday calendar leaves some 30 objects
    in cycles (the calendar library's look-ups), so a run over thousands of files collects
    them every `COLLECT_EVERY` files."""
    seen = [0]

    def tidy(_file: Path) -> None:
        seen[0] += 1
        if seen[0] % COLLECT_EVERY == 0 and not gc.isenabled():
            gc.collect()

    return tidy


def _exit_code(diags: list[Diagnostic], fail_on: Severity) -> int:
    return 1 if any(d.severity >= fail_on for d in diags) else 0


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"


@app.command()
def check(
    paths: Annotated[list[Path], typer.Argument(help="Flow files or folders.")],
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.text,
    fail_on: Annotated[
        FailOn, typer.Option(help="Lowest severity that fails the run.")
    ] = FailOn.error,
    select: Annotated[
        str | None,
        typer.Option(help="Comma-separated lint rule codes or prefixes, e.g. FL2,FL301."),
    ] = None,
    ignore: Annotated[
        str | None, typer.Option(help="Comma-separated lint rule codes or prefixes to skip.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the summary.")] = False,
) -> None:
    """Validate and lint flow files.

    Exit 1 when a diagnostic reaches --fail-on, 2 on usage errors."""
    from flowc.lint.config import ConfigError, apply_options, load_config
    from flowc.pipeline import SCENARIO_SUFFIXES, check_paths, find_flow_files
    from flowc.render import RENDERERS, render_text

    try:
        config = load_config()
        apply_options(config, select, ignore)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    missing = [p for p in paths if not p.exists() and not p.is_symlink()]  # loops: reported
    if missing:
        raise _fail(f"no such file or folder: {', '.join(map(str, missing))}")
    scenarios = [p for p in paths if p.is_file() and p.name.endswith(SCENARIO_SUFFIXES)]
    if scenarios:
        names = " ".join(map(str, scenarios))
        raise _fail(f"{names}: flow tests (scenarios), not a flow; run: flowc test {names}")
    files = list(find_flow_files(paths))
    if not files:
        raise _fail(f"no flow files found in {', '.join(map(str, paths))}")
    tidy = _collect_now_and_then()
    if sys.stderr.isatty() and len(files) > 50:
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task("checking", total=len(files))

            def advance(f: Path) -> None:
                tidy(f)
                progress.advance(task)

            results = check_paths(paths, config, advance)
    else:
        results = check_paths(paths, config, tidy)
    diags = [d for r in results for d in r.diagnostics]
    if fmt is OutputFormat.text:
        if not quiet and diags:
            typer.echo(render_text(diags, _sources(results), colour=sys.stdout.isatty()))
        counts = {s: sum(1 for d in diags if d.severity is s) for s in Severity}
        summary = (
            f"{len(files)} file(s) checked: {counts[Severity.ERROR]} error(s), "
            f"{counts[Severity.WARNING]} warning(s), {counts[Severity.INFO]} note(s)"
        )
        typer.echo(summary)
    else:
        typer.echo(RENDERERS[fmt.value](diags, _sources(results)), nl=False)
    raise typer.Exit(_exit_code(diags, Severity[fail_on.value.upper()]))


@app.command(name="compile")
def compile_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Flow files or folders.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("build"),
    target: Annotated[str, typer.Option(help="ir (default) or freeswitch.")] = "ir",
) -> None:
    """Compile flows to a versioned IR bundle (build/bundle.json + build/sourcemap.json)."""
    from flowc.compiler.bundle import compile_paths

    code = compile_paths(paths, out, target=target, echo=typer.echo)
    raise typer.Exit(code)


@app.command()
def schema(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Where to write the JSON Schema.")
    ] = Path("schemas/flow.schema.json"),
    stdout: Annotated[bool, typer.Option("--stdout", help="Print instead of writing.")] = False,
) -> None:
    """Write the JSON Schema of flow files, for editors (validation and completion)."""
    from flowc.schema import schema_text

    text = schema_text()
    if stdout:
        typer.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}")


@app.command()
def rules(
    code: Annotated[
        str | None,
        typer.Argument(help="A code to explain (FL010), or a prefix to list (FL3, FT)."),
    ] = None,
) -> None:
    """List every diagnostic code flowc can emit, by family, or explain one."""
    from flowc import codes
    from flowc.lint.registry import explain

    wanted = (code or "").strip().upper()
    if wanted:
        try:
            typer.echo(explain(codes.entry(wanted)))
            return
        except codes.UnknownCode:
            pass
    shown = codes.matching(wanted) if wanted else list(codes.CATALOGUE)
    if not shown:
        close = codes.closest(wanted)
        raise _fail(
            f"no code {code}" + (f"; did you mean `{close}`?" if close else "") + "\n"
            f"known families: {codes.families_text()}; `flowc rules` lists every code"
        )
    width = max(len(e.name) for e in shown)
    for family in codes.FAMILIES:
        members = [e for e in shown if codes.family_of(e) is family]
        if not members:
            continue
        lint = " - lint rules: --select/--ignore" if any(e.rule for e in members) else ""
        typer.echo(f"{family.title} ({codes.pattern(family)}){lint}")
        for e in members:
            typer.echo(f"  {e.code}  {e.severity!s:7}  {e.name:{width}}  {e.summary}")
        typer.echo("")
    typer.echo("`flowc rules CODE` explains one: what it means, why, an example and the fix.")


def run() -> None:
    app()


hours_app = typer.Typer(help="Business-hours schedules.", no_args_is_help=True)
app.add_typer(hours_app, name="hours")


@hours_app.command("explain")
def hours_explain(
    flow: Annotated[Path, typer.Argument(help="Flow file that defines the schedule.")],
    schedule: Annotated[str, typer.Argument(help="Schedule name.")],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Local time in the schedule's zone, e.g. '2026-10-01 09:30', or ISO "
            "with offset. Default: now.",
        ),
    ] = None,
    flag: Annotated[
        list[str] | None,
        typer.Option("--flag", help="Set an emergency flag, e.g. --flag storm_closure."),
    ] = None,
) -> None:
    """Say whether a schedule is open at a time, and which rule decided."""
    from datetime import UTC, datetime

    from flowc.diagnostics import did_you_mean
    from flowc.hours import evaluate, next_change
    from flowc.pipeline import check_file
    from flowc.render import render_text

    checked = check_file(flow)
    if checked.flow is None:
        typer.echo(render_text(checked.diagnostics, _sources([checked])))
        raise _fail(f"{flow} does not validate", 1)
    sched = checked.flow.schedules.get(schedule)
    if sched is None:
        hint = did_you_mean(schedule, checked.flow.schedules) or ""
        raise _fail(f"no schedule `{schedule}` in {flow}. {hint}".strip())
    if at is None:
        when = datetime.now(UTC)
    else:
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            raise _fail(f"cannot read time `{at}`; write e.g. '2026-10-01 09:30'") from None
        if when.tzinfo is None:
            naive = when
            when = when.replace(tzinfo=sched.tz)
            when = _read_local(naive, when, sched.timezone)
    flags = {f: True for f in flag or []}
    decision = evaluate(sched, when, flags)
    local = decision.local_time
    # The offset tells the two 01:30s of a fall-back night apart.
    typer.echo(
        f"{schedule} at {local:%Y-%m-%d %H:%M} {sched.timezone} "
        f"({local:%Z}, UTC{local:%z}, {local:%A}): {decision.outcome.upper()}"
    )
    typer.echo(f"  because {decision.rule}")
    change = next_change(sched, when, flags)
    if change is not None:
        nxt = evaluate(sched, change, flags)
        typer.echo(f"  next change: {change.astimezone(sched.tz):%Y-%m-%d %H:%M} -> {nxt.outcome}")


def _read_local(naive: datetime, when: datetime, zone: str) -> datetime:
    """A local time given without offset, with a note when it is ambiguous (read as the
    first) or does not exist (read as the moment the clocks show after the jump)."""
    from datetime import UTC

    first, second = (
        naive.replace(tzinfo=when.tzinfo, fold=0),
        naive.replace(tzinfo=when.tzinfo, fold=1),
    )
    if first.utcoffset() == second.utcoffset():
        return when
    real = first.astimezone(UTC).astimezone(when.tzinfo)
    if real.replace(tzinfo=None) != naive:
        typer.echo(
            f"note: {naive:%Y-%m-%d %H:%M} does not exist in {zone} (the clocks jump forward "
            f"then); read as {real:%H:%M %Z}",
            err=True,
        )
        return real
    typer.echo(
        f"note: {naive:%Y-%m-%d %H:%M} happens twice in {zone} (the clocks go back); read as "
        f"the first ({first:%Z}, UTC{first:%z}); give an offset for the second, e.g. "
        f"'{second.isoformat(timespec='minutes')}'",
        err=True,
    )
    return first


from flowc.cli import (
    format_cmds,  # noqa: F401  (registers fmt, convert)
    graph_cmds,  # noqa: F401
    sim_cmds,  # noqa: F401
)
