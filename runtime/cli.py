"""`flowc serve`: run the runtime (registered on the `flowc` command line on import); importing
this module also registers `flowc report` (runtime/report/cli.py)."""

from __future__ import annotations

import asyncio
import ipaddress
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from flowc.cli.main import app
from runtime.bundle_store import BundleError
from runtime.driver import Timeouts
from runtime.logs import get_logger, setup_logging
from runtime.report import cli as _report_cli  # noqa: F401  (registers `flowc report`)
from runtime.resume_state import ResumeKeyError, ResumeKeys
from runtime.server import Runtime, ServeConfig, parse_hostport
from runtime.translate import MediaConfig, parse_voices


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    bundle: Annotated[
        Path, typer.Option("--bundle", "-b", help="Bundle folder (or bundle.json) to serve.")
    ] = Path("build"),
    listen: Annotated[
        list[str] | None,
        typer.Option(
            "--listen", "-l", help="host:port for FreeSWITCH's outbound socket (repeatable)."
        ),
    ] = None,
    env: Annotated[
        str | None,
        typer.Option("--env", "-e", help="Bindings environment (default: the only one)."),
    ] = None,
    journal: Annotated[
        str,
        typer.Option(help="Journal URL: sqlite:///journal.db, postgresql://..., or `none`."),
    ] = "sqlite:///journal.db",
    journal_spool: Annotated[
        str | None,
        typer.Option(
            help="File for journal records while the database is unavailable (default:"
            " <db>.spool for SQLite, flowc-journal-<instance>.spool otherwise; `none`: off).",
        ),
    ] = None,
    journal_close_timeout: Annotated[
        float,
        typer.Option(
            help="Seconds the journal may take at exit to write (or spool) what is queued;"
            " records still unsaved then make the exit status 1.",
        ),
    ] = 30.0,
    journal_spool_mb: Annotated[float, typer.Option(help="Largest journal spool, in MB.")] = 64.0,
    metrics: Annotated[
        str,
        typer.Option(help="host:port of /metrics and /health (loopback), or `none`."),
    ] = "127.0.0.1:9464",
    drain_timeout: Annotated[
        float, typer.Option(help="Seconds calls may take to finish after SIGTERM.")
    ] = 30.0,
    reload_interval: Annotated[
        float, typer.Option(help="Seconds between checks of bundle.json (0: only on SIGHUP).")
    ] = 1.0,
    max_bundle_mb: Annotated[
        float,
        typer.Option(help="Largest bundle.json read, in MB (a bigger one is refused)."),
    ] = 64.0,
    instance: Annotated[
        str | None, typer.Option(help="Instance name in the journal (default host:port).")
    ] = None,
    close_lost_after: Annotated[
        float | None,
        typer.Option(
            help="Hours: at start, close as `lost` any instance's calls with no end started"
            " that long ago (always: this instance's own).",
        ),
    ] = None,
    tts: Annotated[str, typer.Option(help="TTS engine and voice, engine:voice.")] = "flite:kal",
    voice: Annotated[
        list[str] | None,
        typer.Option(
            help="TTS engine and voice for one language, LOCALE=ENGINE:VOICE (repeatable, "
            "e.g. zh=unimrcp:xiaoyan); other languages use --tts."
        ),
    ] = None,
    sounds: Annotated[
        str, typer.Option(help="Prefix for relative audio paths (default: FreeSWITCH's).")
    ] = "",
    asr: Annotated[
        str,
        typer.Option(
            help="Speech recogniser module for detect_speech (e.g. unimrcp). Unset: the switch "
            "has none and speech menus take keys only (predict it with `flowc test --no-asr`)."
        ),
    ] = "",
    transfer_context: Annotated[
        str, typer.Option(help="Dialplan context for transfers to extensions.")
    ] = "default",
    log_level: Annotated[str, typer.Option(help="debug, info, warning, error.")] = "info",
    resume_key_file: Annotated[
        Path | None,
        typer.Option(
            help="File of keys (one per line, the signing key first) that sign the state a "
            "call resumes from after its agent; default: $FLOWC_RESUME_KEY (comma-separated), "
            "else a random key per process (no resume on another instance).",
        ),
    ] = None,
    rollout: Annotated[
        bool,
        typer.Option(
            "--rollout",
            help="Serve the versions `flowc deploy` puts in the journal's database (stable, "
            "canary share) and judge a canary by its bindings' `rollout:` rules; the bundle "
            "folder serves until the first deploy.",
        ),
    ] = False,
    rollout_poll: Annotated[
        float,
        typer.Option(help="Seconds between reads of the deployment decision (0.05-60)."),
    ] = 2.0,
    clock: Annotated[
        str | None,
        typer.Option(
            help="Pretend every call starts at this instant (ISO 8601 with offset; demos, "
            "staging): business hours and now() read it.",
        ),
    ] = None,
) -> None:
    """Serve live calls: the outbound-socket server FreeSWITCH's dialplan connects to.

    Maps each call to a flow (channel variable flowc_flow, else the DID through the bindings),
    reloads the bundle on SIGHUP and when bundle.json changes, drains on SIGTERM, writes the
    journal, logs JSON lines to stderr and serves Prometheus metrics and /health.
    """
    setup_logging(log_level)
    log = get_logger()
    try:
        addresses = [parse_hostport(x, 8084) for x in (listen or ["127.0.0.1:8084"])]
        metrics_at = (
            None if metrics.lower() in ("none", "off", "") else parse_hostport(metrics, 9464)
        )
    except ValueError as exc:
        typer.secho(f"error: bad address: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    if metrics_at is not None and not _loopback(metrics_at[0]):
        typer.secho(
            f"error: --metrics must be a loopback address, not {metrics_at[0]}",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    engine, _, tts_voice = tts.partition(":")
    try:
        voices = parse_voices(voice or [])
    except ValueError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    if not 0.05 <= rollout_poll <= 60.0:
        typer.secho("error: --rollout-poll must be 0.05 to 60 seconds", err=True)
        raise typer.Exit(2)
    start: datetime | None = None
    if clock is not None:
        try:
            start = datetime.fromisoformat(clock)
        except ValueError:
            typer.secho(f"error: --clock {clock!r} is not an ISO 8601 time", err=True)
            raise typer.Exit(2) from None
        if start.tzinfo is None:
            typer.secho("error: --clock needs a UTC offset, e.g. +08:00", err=True)
            raise typer.Exit(2)
    try:
        resume_keys = ResumeKeys.configured(resume_key_file)
    except ResumeKeyError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    config = ServeConfig(
        bundle=bundle,
        listen=addresses,
        env=env,
        journal=None if journal.lower() in ("none", "off", "") else journal,
        metrics=metrics_at,
        drain_timeout=drain_timeout,
        reload_interval=reload_interval,
        max_bundle_bytes=max(1, int(max_bundle_mb * 1024 * 1024)),
        instance=instance,
        media=MediaConfig(
            tts_engine=engine or "flite",
            tts_voice=tts_voice or "kal",
            voices=voices,
            sounds=sounds,
            asr_engine=asr,
            transfer_context=transfer_context,
        ),
        timeouts=Timeouts(),
        clock=start,
        close_lost_after=None if close_lost_after is None else close_lost_after * 3600,
        journal_spool=journal_spool,
        journal_options={"close_timeout": journal_close_timeout},
        journal_spool_max_bytes=max(1, int(journal_spool_mb * 1024 * 1024)),
        resume_keys=resume_keys,
        tune_process=True,
        rollout_poll=rollout_poll if rollout else None,
    )
    runtime = Runtime(config)
    try:
        asyncio.run(runtime.run())
        if runtime.unsaved_records:
            typer.secho(
                f"error: {runtime.unsaved_records} journal records were written neither to the"
                " database nor to the spool",
                fg=typer.colors.RED,
                err=True,
            )
            raise typer.Exit(1)
    except BundleError as exc:
        log.error("bundle_rejected", reason="start", error=str(exc))
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        log.error("listen_failed", error=str(exc))
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
