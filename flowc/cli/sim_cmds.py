"""`flowc simulate` (one call, scripted or typed by a person) and `flowc test` (scenario files).

Registered on the main app by `flowc.cli.main` importing this module.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flowc.cli.main import app

# The command bodies import what they need: `flowc --help` stays quick.
if TYPE_CHECKING:
    from rich.console import Console

    from flowc.flowtest.scenario import CallerInput, Scenario
    from flowc.simulate import Ask, SimResult, TranscriptLine

INPUT_OPTIONS = ("--press", "--say", "--silence", "--mumble", "--hangup", "--input")


class SimFormat(StrEnum):
    text = "text"
    json = "json"


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


# --------------------------------------------------------------------------- inputs


def parse_input_args(args: Sequence[str]) -> list[CallerInput]:
    """The caller's inputs from the command line, in the order written:
    `--press 1 2 '#'` (each value one entry; `--press 1234#` one entry of several keys),
    `--say 查话费`, `--silence`, `--mumble`, `--hangup`, `--input 'press 1'`."""
    from flowc.diagnostics import did_you_mean
    from flowc.flowtest.scenario import CallerInput, parse_input

    out: list[CallerInput] = []
    i = 0
    items = list(args)
    while i < len(items):
        arg = items[i]
        i += 1
        opt, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if not opt.startswith("--"):
            raise ValueError(f"unexpected argument `{arg}`: put keys after --press")
        values: list[str] = [inline] if eq else []
        if opt in ("--press", "--say", "--input") and not eq:
            while i < len(items) and not items[i].startswith("--"):
                values.append(items[i])
                i += 1
                if opt != "--press":
                    break
        if opt == "--press":
            if not values:
                raise ValueError("--press needs keys, e.g. --press 1 2")
            for v in values:
                for part in v.split():
                    out.append(parse_input(f"press {part}"))
        elif opt == "--say":
            if not values or not values[0].strip():
                raise ValueError("--say needs words, e.g. --say 查话费")
            out.append(CallerInput("say", values[0].strip()))
        elif opt == "--input":
            if not values:
                raise ValueError("--input needs an input, e.g. --input 'press 1'")
            out.append(parse_input(values[0]))
        elif opt in ("--silence", "--mumble", "--hangup"):
            out.append(CallerInput(opt[2:]))  # type: ignore[arg-type]
        else:
            hint = did_you_mean(opt, INPUT_OPTIONS + _KNOWN_OPTIONS)
            raise ValueError(f"no such option: {opt}" + (f"; {hint}" if hint else ""))
    return out


_KNOWN_OPTIONS = (
    "--caller",
    "--caller-name",
    "--did",
    "--at",
    "--timezone",
    "--locale",
    "--mock",
    "--queue",
    "--transfer",
    "--flag",
    "--hangup-at",
    "--trace",
    "--interactive",
    "--scenario",
    "--name",
    "--format",
)


def _pairs(values: Sequence[str] | None, what: str) -> list[tuple[str, str]]:
    out = []
    for v in values or ():
        name, eq, spec = v.partition("=")
        if not eq or not name.strip() or not spec.strip():
            raise ValueError(f"--{what} is NAME=VALUE, e.g. --{what} {_EXAMPLE[what]}")
        out.append((name.strip(), spec.strip()))
    return out


_EXAMPLE = {"mock": "crm=error", "queue": "tech=timeout", "transfer": "fraud_desk=fail"}


def _mock_value(spec: str) -> Any:
    if spec in ("error", "timeout", "hang"):
        return spec
    if spec.isdigit():
        return {"status": int(spec)}
    if spec[:1] in "{[":
        try:
            return json.loads(spec)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--mock value is not JSON: {exc.msg}") from None
    if spec.endswith(".json") or Path(spec).is_file():
        return {"file": spec}
    raise ValueError(
        f"--mock value `{spec}`: write error, timeout, hang, an HTTP status, a .json file "
        "or inline JSON"
    )


def build_overrides(
    *,
    caller: str | None,
    caller_name: str | None,
    did: str | None,
    at: str | None,
    timezone: str | None,
    locale: str | None,
    mock: Sequence[str] | None,
    queue: Sequence[str] | None,
    transfer: Sequence[str] | None,
    flag: Sequence[str] | None,
    hangup_at: str | None,
) -> dict[str, Any]:
    """Scenario data from the command line (ValueError on a malformed option)."""
    data: dict[str, Any] = {}
    for key, value in (
        ("caller", caller),
        ("caller_name", caller_name),
        ("did", did),
        ("at", at),
        ("timezone", timezone),
        ("locale", locale),
        ("hangup_at", hangup_at),
    ):
        if value is not None:
            data[key] = value
    for what, key, conv in (
        ("mock", "mocks", _mock_value),
        ("queue", "queues", str),
        ("transfer", "transfers", str),
    ):
        values = {"mock": mock, "queue": queue, "transfer": transfer}[what]
        table: dict[str, list[Any]] = {}
        for name, spec in _pairs(values, what):
            table.setdefault(name, []).append(conv(spec))
        if table:
            if key == "mocks":
                data[key] = {
                    n: (v[0] if len(v) == 1 else {"responses": v}) for n, v in table.items()
                }
            else:
                data[key] = {n: (v[0] if len(v) == 1 else v) for n, v in table.items()}
    if flag:
        data["flags"] = list(flag)
    return data


def _scenario(
    flow: Path, from_file: Path | None, name: str | None, overrides: dict[str, Any]
) -> Scenario:
    from flowc.diagnostics import did_you_mean
    from flowc.flowtest.scenario import build_scenario, load_scenario_file

    cli = build_scenario({"name": "simulate", **overrides}, base_dir=Path.cwd(), file="<command>")
    if from_file is None:
        cli.name = f"simulate {flow.name}"
        cli.flow = flow
        return cli
    sf = load_scenario_file(from_file)
    names = [s.name for s in sf.scenarios]
    if name is None:
        if len(names) > 1:
            listed = "\n  ".join(names)
            raise ValueError(
                f"{from_file} has {len(names)} scenarios; pick one with --name:\n  {listed}"
            )
        chosen = sf.scenarios[0]
    else:
        found = [s for s in sf.scenarios if s.name == name] or [
            s for s in sf.scenarios if name.lower() in s.name.lower()
        ]
        if not found:
            hint = did_you_mean(name, names)
            raise ValueError(f"no scenario `{name}` in {from_file}" + (f"; {hint}" if hint else ""))
        chosen = found[0]
    for key in overrides:
        attr = {"hangup_at": "hangup_at"}.get(key, key)
        if key in ("mocks", "queues", "transfers"):
            getattr(chosen, key).update(getattr(cli, key))
        elif key == "flags":
            chosen.flags.update(cli.flags)
        else:
            setattr(chosen, attr, getattr(cli, attr))
    return chosen


# --------------------------------------------------------------------------- rendering

_STYLES = {
    "system": "cyan",
    "prompt": "bold",
    "caller": "bold yellow",
    "route": "magenta",
    "note": "dim",
    "error": "bold red",
}


def _console() -> Console:
    from rich.console import Console

    tty = sys.stdout.isatty()
    return Console(
        file=sys.stdout,
        force_terminal=tty,
        no_color=not tty,
        highlight=False,
        emoji=False,
    )


def print_line(console: Console, line: TranscriptLine) -> None:
    from rich.text import Text

    from flowc.simulate import ICONS

    text = Text()
    text.append(f"{line.at:%H:%M:%S} ", style="dim")
    text.append(f"{ICONS[line.kind]} ", style=_STYLES[line.kind])
    if line.kind == "route" and line.node:
        text.append(f"{line.node}: ", style="dim")
    if line.kind == "caller":
        text.append("caller ", style="yellow")
    text.append(line.text, style=_STYLES[line.kind])
    console.print(text, soft_wrap=True)


def outcome_panel(result: SimResult) -> Any:
    from rich.panel import Panel
    from rich.text import Text

    o = result.outcome
    body = Text()
    if o:
        detail = ", ".join(
            f"{k} {v}" for k, v in o.items() if k not in ("kind", "node") and v not in (None, "")
        )
        body.append(
            f"{o.get('kind')}", style="bold green" if o.get("kind") != "error" else "bold red"
        )
        if detail:
            body.append(f"  {detail}")
        body.append(f"\nended at   {o.get('node')}")
    else:
        body.append("the call did not end", style="bold red")
        if result.error:
            body.append(f"\n{result.error}")
    body.append(f"\npath       {' > '.join(result.path)}")
    if result.survey:
        body.append(
            "\nsurvey     " + ", ".join(f"{k}={_survey_shown(v)}" for k, v in result.survey.items())
        )
    shown = {k: v for k, v in result.variables.items() if v not in (None, "", 0, False)}
    if shown:
        body.append("\nvariables  " + ", ".join(f"{k}={_shown(v)}" for k, v in shown.items()))
    secs = int(result.duration.total_seconds())
    body.append(f"\nduration   {secs // 60}m{secs % 60:02d}s, {result.events} events")
    if result.unused_inputs:
        left = ", ".join(str(i) for i in result.unused_inputs)
        body.append(f"\nunused     {left}", style="yellow")
    return Panel(body, title="outcome", title_align="left", expand=False)


def _shown(v: Any) -> str:
    """A value as the flow language writes it (`true`, not Python's `True`)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return "—" if v is None else str(v)


def _survey_shown(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    return "no answer" if v is None else str(v)


class TerminalCaller:
    """The person at the terminal is the caller: prompts are printed as they play, and each
    time the flow waits for input one line is read: keys (`1`, `1234#`), `say <words>`,
    `mumble`, `hangup`, or an empty line for silence. End of input hangs up."""

    def __init__(self, console: Console, read_line: Callable[[bool], str | None]) -> None:
        self.console = console
        self.read_line = read_line

    def next_input(self, ask: Ask) -> CallerInput | None:
        from flowc.flowtest.scenario import CallerInput, parse_input

        if ask.speech and ask.keywords:
            what = f"keys, or say one of: {', '.join(ask.keywords)}"
        elif ask.speech:
            what = "keys or say <words>"
        elif ask.min == ask.max == 1:
            what = "a key"
        else:
            what = f"{ask.min}-{ask.max} keys" + (
                f", end with {ask.terminators}" if ask.terminators else ""
            )
        for _ in range(3):
            self.console.print(f"  your turn ({what}; Enter = silence, hangup) ▸ ", end="")
            line = self.read_line(ask.sensitive)
            if line is None:
                self.console.print("")
                return CallerInput("hangup")
            line = line.strip()
            if not line:
                return CallerInput("silence")
            try:
                return parse_input(line)
            except ValueError as exc:
                self.console.print(f"  {exc}", style="red")
        return CallerInput("silence")


def _read_line(sensitive: bool) -> str | None:
    stream = sys.stdin
    if sensitive and stream.isatty():
        import getpass

        try:
            return getpass.getpass("")
        except EOFError:
            return None
    line = stream.readline()
    return None if line == "" else line


# --------------------------------------------------------------------------- simulate


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    epilog="Caller inputs, in the order the flow asks for them: --press 1 2 '#' (each value one "
    "entry; --press 1234# is one entry), --say 查话费, --silence, --mumble, --hangup, "
    "--input 'press 1'. When they run out the caller stays silent.",
)
def simulate(
    ctx: typer.Context,
    flow: Annotated[Path, typer.Argument(help="Flow file (YAML or DSL).")],
    caller: Annotated[
        str | None, typer.Option(help="Caller number (default +8613800000000).")
    ] = None,
    caller_name: Annotated[str | None, typer.Option(help="Caller name.")] = None,
    did: Annotated[str | None, typer.Option(help="The number dialled.")] = None,
    at: Annotated[
        str | None,
        typer.Option(
            help="When the call starts, e.g. '2026-10-01 09:30' (read in the flow's first "
            "schedule's timezone) or ISO with offset. Default: now."
        ),
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="The call centre's timezone (default: the flow's).")
    ] = None,
    locale: Annotated[str | None, typer.Option(help="The caller's language, e.g. en-US.")] = None,
    mock: Annotated[
        list[str] | None,
        typer.Option(
            help="Look-up answer, SERVICE=ANSWER, where ANSWER is error, timeout, hang, an "
            "HTTP status, a .json file or inline JSON; repeat for later look-ups of the service."
        ),
    ] = None,
    queue: Annotated[
        list[str] | None,
        typer.Option(help="Queue outcome, QUEUE=OUTCOME: answered, timeout, no_agent or exit_key."),
    ] = None,
    transfer: Annotated[
        list[str] | None, typer.Option(help="Transfer outcome, NUMBER=ok or NUMBER=fail.")
    ] = None,
    flag: Annotated[list[str] | None, typer.Option(help="Set a flag, e.g. --flag storm.")] = None,
    hangup_at: Annotated[
        str | None, typer.Option(help="The caller hangs up on reaching this node.")
    ] = None,
    trace: Annotated[bool, typer.Option("--trace", help="Print the interpreter's trace.")] = False,
    interactive: Annotated[
        bool,
        typer.Option("--interactive", "-i", help="You are the caller: type keys as prompts play."),
    ] = False,
    scenario: Annotated[
        Path | None, typer.Option(help="Start from a scenario of this *.test.yaml file.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="With --scenario: which scenario.")] = None,
    fmt: Annotated[
        SimFormat, typer.Option("--format", "-f", help="text or json.")
    ] = SimFormat.text,
) -> None:
    """Simulate one call through a flow and print it as a transcript."""
    from flowc.diagnostics import FlowcError
    from flowc.flowtest.runner import flow_problems
    from flowc.flowtest.scenario import ScenarioError
    from flowc.render import render_text
    from flowc.simulate import FlowLoadError, Simulator, compile_file

    if flow.name.startswith("--") or not flow.exists():
        raise _fail(f"no such flow file: {flow} (write the flow file first, then the options)")
    try:
        inputs = parse_input_args(ctx.args)
        overrides = build_overrides(
            caller=caller,
            caller_name=caller_name,
            did=did,
            at=at,
            timezone=timezone,
            locale=locale,
            mock=mock,
            queue=queue,
            transfer=transfer,
            flag=flag,
            hangup_at=hangup_at,
        )
        if inputs:
            overrides["inputs"] = [str(i) for i in inputs]
        if interactive and inputs:
            raise ValueError("give inputs (--press, --say ...) or --interactive, not both")
        sc = _scenario(flow, scenario, name, overrides)
    except ScenarioError as exc:
        typer.echo(render_text(exc.diagnostics, {}), err=True)
        raise _fail("the call cannot be set up from these options") from None
    except FlowcError as exc:
        typer.echo(render_text(exc.diagnostics, {}), err=True)
        raise _fail(f"cannot read {scenario}") from None
    except ValueError as exc:
        raise _fail(str(exc)) from None
    try:
        compiled = compile_file(flow)
    except FlowLoadError as exc:
        typer.echo(render_text(exc.diagnostics, exc.sources), err=True)
        raise _fail(str(exc), 1) from None

    problems = flow_problems(sc, compiled)
    if problems:
        for p in problems:
            typer.secho(f"error: {p.message}", fg=typer.colors.RED, err=True)
        raise _fail("the call cannot be set up from these options")

    console = _console()
    if fmt is SimFormat.json:
        result = Simulator(compiled, sc).run()
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2, default=str))
        raise typer.Exit(0 if result.finished else 1)

    def show(line: TranscriptLine) -> None:
        if line.kind == "note" and not trace:
            return
        print_line(console, line)

    caller_src = TerminalCaller(console, _read_line) if interactive else None
    if interactive:
        console.print(
            "You are the caller. Type keys (1, 1234#), `say <words>`, `hangup`, "
            "or Enter for silence.",
            style="dim",
        )
    sim = Simulator(compiled, sc, inputs=caller_src, on_line=show)
    result = sim.run()
    console.print(outcome_panel(result))
    if trace:
        console.print("trace", style="bold")
        for step in result.trace:
            console.print(f"  {step}", markup=False, style="dim", soft_wrap=True)
    raise typer.Exit(0 if result.finished else 1)


# --------------------------------------------------------------------------- test


class _Dots:
    """pytest-like progress: one character per scenario, one line per file."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def file_started(self, file: str) -> None:
        typer.echo(f"{file} ", nl=False)

    def scenario_done(self, result: Any) -> None:
        if result.skipped:
            ch, fg = "s", typer.colors.YELLOW
        elif result.passed:
            ch, fg = ".", typer.colors.GREEN
        else:
            ch, fg = "F", typer.colors.RED
        typer.echo(typer.style(ch, fg=fg) if self.colour else ch, nl=False)

    def file_done(self, result: Any) -> None:
        if result.broken:
            typer.echo(typer.style("E", fg=typer.colors.RED) if self.colour else "E", nl=False)
        typer.echo("")


@app.command("test")
def test_cmd(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Scenario files (*.test.yaml), flows, or folders (default: .)."),
    ] = None,
    min_coverage: Annotated[
        float | None,
        typer.Option(help="Fail when the edge coverage of any flow is below this percent."),
    ] = None,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML here.")] = None,
    fmt: Annotated[
        SimFormat, typer.Option("--format", "-f", help="text or json.")
    ] = SimFormat.text,
    keyword: Annotated[
        str | None, typer.Option("-k", help="Only scenarios whose name contains this.")
    ] = None,
    coverage: Annotated[
        bool, typer.Option("--coverage/--no-coverage", help="Print the coverage table.")
    ] = True,
    asr: Annotated[
        bool,
        typer.Option(
            "--asr/--no-asr",
            help="Whether the switch has a speech recogniser (`flowc serve --asr`); without "
            "one, speech menus take keys only and spoken inputs are heard as silence.",
        ),
    ] = True,
) -> None:
    """Run flow test scenarios; print failures, coverage and `N passed, M failed`.

    `flowc test --from-journal URL --call ID [...] -o FILE.test.yaml` writes scenarios from
    calls a journal recorded instead (README: "Learning from real calls")."""
    from flowc.flowtest.runner import Reporter, render_json, render_text, run_tests, write_junit

    targets = list(paths or [Path(".")])
    select = None
    if keyword:
        kw = keyword.lower()

        def select(sc: Any) -> bool:
            return kw in sc.name.lower()

    reporter: Reporter | _Dots = Reporter() if fmt is SimFormat.json else _Dots(sys.stdout.isatty())
    run = run_tests(targets, min_coverage=min_coverage, reporter=reporter, select=select, asr=asr)  # type: ignore[arg-type]
    if not run.files and not run.problems:
        raise _fail(f"no scenario files (*.test.yaml) under {', '.join(map(str, targets))}")
    if junit is not None:
        write_junit(run, junit)
    if fmt is SimFormat.json:
        typer.echo(render_json(run), nl=False)
    else:
        typer.echo(render_text(run, coverage=coverage))
    raise typer.Exit(run.exit_code)
