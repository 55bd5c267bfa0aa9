"""``flowc emulate``: dial the runtime with emulated FreeSWITCH calls.

Registered on ``flowc.cli.main.app`` when that module imports this one.

Example::

    flowc emulate --target 127.0.0.1:8084 --did 5000 --caller +8613800000000 \\
        --press 1 --press 2 --calls 100 --concurrency 20 --record out.jsonl

Several ``--target``: the emulated dialplan has one ``socket`` action per target, in order;
a target that refuses the connection lets the call go on to the next action, which is how a
FreeSWITCH dialplan fails over (a ``socket`` action's ``a:p|b:p`` list is also tried host by
host, as 1.10.12 does: Qc2 in tests/fixtures/freeswitch/live).

``--dialplan PATH``: the calls run a real XML dialplan instead (a file, or the
``dialplan/`` folder that ``flowc compile --target freeswitch`` writes): the DID is hunted in
``--context`` (``public``), and the ``socket`` actions say where the calls connect::

    flowc emulate --dialplan build/freeswitch/dev/dialplan --did 8001 --press 1
"""

from __future__ import annotations

import asyncio
import importlib
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .aio import CallRecord, LoadResult, is_loopback, run_load, summary_lines
from .channel import (
    BridgeOutcome,
    CallerScript,
    CallSpec,
    ChannelConfig,
    DialplanApp,
    QueueOutcome,
    check_dialplan,
    socket_targets,
)
from .dialplan import Dialplan, DialplanError

__all__ = ["emulate_command", "parse_target"]

# The flowc CLI application.  Looked up by name so that type-checking the emulator does not
# pull in (and depend on the state of) every module the flowc CLI imports.
app: typer.Typer = importlib.import_module("flowc.cli.main").app


class QueueResult(StrEnum):
    answered = "answered"
    timeout = "timeout"
    no_agent = "no_agent"
    exit_key = "exit_key"
    hangup = "hangup"


class BridgeResult(StrEnum):
    answered = "answered"
    busy = "busy"
    fail = "fail"
    no_answer = "no_answer"


def parse_target(target: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port``); the port defaults to 8084 like the socket app."""
    text = target.strip()
    if "|" in text:
        raise ValueError(
            f"bad target {target!r}: FreeSWITCH's socket application takes one host:port "
            "(mod_event_socket socket_function); give --target once per instance for a "
            "dialplan that tries them in order"
        )
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":") or "8084"
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, "8084"
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"bad target {target!r}: expected host:port")
    return host, int(port)


def _check_sockets(plan: Dialplan, allow_remote: bool) -> None:
    """Every socket action of the dialplan connects to a loopback address, unless
    ``allow_remote``."""
    for exts in plan.contexts.values():
        for ext in exts:
            for cond in ext.conditions:
                for action in (*cond.actions, *cond.anti_actions):
                    if action.app.lower() != "socket":
                        continue
                    for host, _, _, _ in socket_targets(action.data):
                        if not allow_remote and not is_loopback(host):
                            raise ValueError(
                                f"{plan.source}: socket {action.data!r}: {host} is not a "
                                "loopback address (use --allow-remote)"
                            )


_SHOW_CALLS = 10  # up to this many calls, one line each


def call_line(n: int, rec: CallRecord) -> str:
    """One call as a line: the applications it ran, then how it ended."""
    apps = " > ".join(name for name, _ in rec.apps) or "no application"
    end = rec.hangup_cause or "not hung up"
    error = f"; {rec.error}" if rec.error else ""
    return f"call {n}: {apps} -> {end} ({rec.duration:.1f} s{error})"


@app.command("emulate")
def emulate_command(
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            help="The runtime's outbound-socket listener, host:port (default "
            "127.0.0.1:8084). Repeat it for a dialplan that tries the next one when a "
            "target refuses the connection.",
        ),
    ] = None,
    did: Annotated[str, typer.Option("--did", help="The dialled number.")] = "5000",
    caller: Annotated[
        str, typer.Option("--caller", help="The caller's number.")
    ] = "+8613800000000",
    press: Annotated[
        list[str] | None,
        typer.Option(
            "--press",
            help="Caller input, one per input step, in order: digits (1234#), silence, "
            "hangup, or speech:<text>. Repeat the option.",
        ),
    ] = None,
    calls: Annotated[int, typer.Option("--calls", min=1, help="Number of calls.")] = 1,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Calls at the same time.")
    ] = 1,
    record: Annotated[
        Path | None,
        typer.Option(
            "--record",
            help="Write every message both ways as JSON lines (per call: a note line, then "
            "the messages), in the format of the recordings in the tests' fixtures.",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds allowed per call.")] = 60.0,
    time_scale: Annotated[
        float,
        typer.Option(
            "--time-scale",
            help="Caller/switch time factor: 1 real time, 0.1 ten times faster, 0 no waiting.",
        ),
    ] = 1.0,
    hangup_after_apps: Annotated[
        int | None,
        typer.Option("--hangup-after-apps", help="The caller hangs up during the N-th app."),
    ] = None,
    queue: Annotated[
        QueueResult, typer.Option("--queue", help="What callcenter queues do.")
    ] = QueueResult.answered,
    bridge: Annotated[
        BridgeResult, typer.Option("--bridge", help="What bridge far ends do.")
    ] = BridgeResult.answered,
    talk_time: Annotated[
        float, typer.Option("--talk-time", help="Agent / far-end conversation, seconds.")
    ] = 2.0,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow a non-loopback target.")
    ] = False,
    dialplan: Annotated[
        Path | None,
        typer.Option(
            "--dialplan",
            help="Run the calls through this XML dialplan file or folder (e.g. the "
            "dialplan folder that `flowc compile --target freeswitch` writes): its socket "
            "actions say where the calls connect; --target is not used.",
        ),
    ] = None,
    context: Annotated[
        str, typer.Option("--context", help="With --dialplan: the context the DID is hunted in.")
    ] = "public",
) -> None:
    """Emulate FreeSWITCH calls against the runtime (its outbound ESL socket)."""
    plan: Dialplan | None = None
    try:
        if dialplan is not None:
            if target:
                raise ValueError("--dialplan and --target: the dialplan says where calls go")
            plan = Dialplan.load(dialplan)
            check_dialplan(plan)
            _check_sockets(plan, allow_remote)
        targets = [parse_target(t) for t in (target or ["127.0.0.1:8084"])]
    except (ValueError, DialplanError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    for host, _ in targets:
        if not allow_remote and not is_loopback(host):
            typer.secho(
                f"error: {host} is not a loopback address (use --allow-remote)",
                fg=typer.colors.RED,
                err=True,
            )
            raise typer.Exit(2)
    host, port = targets[0]
    script = CallerScript(
        inputs=tuple(press or ()),
        hangup_after_apps=hangup_after_apps,
        default_queue=QueueOutcome(result=queue.value, talk_time=talk_time),
        default_bridge=BridgeOutcome(result=bridge.value, talk_time=talk_time),
        # the next instances: further socket actions after the first one
        after_socket=tuple(DialplanApp("socket", f"{h}:{p} async full") for h, p in targets[1:])
        if plan is None
        else (),
        dialplan=plan,
    )
    config = ChannelConfig(context=context)

    def make_spec(i: int) -> CallSpec:
        return CallSpec(caller=caller, did=did, script=script, config=config)

    sink = record.open("w", encoding="utf-8") if record is not None else None

    def on_record(rec: CallRecord) -> None:
        if sink is not None:
            sink.write(rec.to_jsonl())
            rec.messages = []  # written: do not keep them in memory

    try:
        result: LoadResult = asyncio.run(
            run_load(
                host,
                port,
                calls,
                concurrency,
                make_spec,
                timeout=timeout,
                time_scale=time_scale,
                record=sink is not None,
                allow_remote=allow_remote,
                on_record=on_record,
            )
        )
    finally:
        if sink is not None:
            sink.close()
    for line in summary_lines(result):
        typer.echo(line)
    if plan is not None and result.records:
        routes = result.records[0].routes
        typer.echo(
            "dialplan (first call): "
            + " -> ".join(f"{c}/{d}: {e or 'no route'}" for c, d, e in routes)
        )
    if len(result.records) <= _SHOW_CALLS:
        # A few calls: say what each did, so nobody needs the runtime's log for it.
        for i, rec in enumerate(result.records, 1):
            typer.echo(call_line(i, rec))
    causes: dict[str, int] = {}
    for rec in result.records:
        key = rec.hangup_cause or "(not hung up)"
        causes[key] = causes.get(key, 0) + 1
    typer.echo("hangup causes: " + json.dumps(causes, sort_keys=True))
    if result.failed:
        raise typer.Exit(1)
