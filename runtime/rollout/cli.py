"""`flowc deploy`: put a bundle version in the journal's database and decide who hears it.

    flowc deploy build/ --journal URL                  # the new stable version, all new calls
    flowc deploy build/ --canary 5% --journal URL      # 5 % of callers (sticky), the rest stable
    flowc deploy build/ --callers +4420...,+4420... --dids 5000 --journal URL
    flowc deploy status   --journal URL                # the decision, the rules, the comparison
    flowc deploy promote  --journal URL                # the canary becomes stable
    flowc deploy rollback --journal URL                # drop the canary (or go back one stable)

Every `flowc serve --rollout` instance on that database reads the decision within its polling
interval; calls already running finish on the version they started with.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from flowc.cli.main import app
from flowc.model.rollout import parse_rollout
from runtime.bundle_store import (
    DEFAULT_MAX_BYTES,
    BundleError,
    bundle_from_bytes,
    read_bundle_file,
    resolve_bundle_path,
)
from runtime.journal import DEFAULT_URL, Journal, SchemaError, open_journal
from runtime.rollout.board import MAX_LIST, Board, Deployment
from runtime.rollout.live import rules_of
from runtime.rollout.split import FULL, parse_share

T = TypeVar("T")
ACTIONS = ("status", "promote", "rollback")
_TRIES = 5  # compare-and-set attempts when instances change the decision at the same time


class DeployError(Exception):
    """What the command says before exiting with status 2."""


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


def _list(text: str | None, what: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(x.strip() for x in (text or "").split(",") if x.strip()))
    if len(items) > MAX_LIST:
        raise DeployError(f"--{what} lists {len(items)} entries; at most {MAX_LIST}")
    for item in items:
        if len(item) > 64 or not all(c.isalnum() or c in "+*#._- " for c in item):
            raise DeployError(f"--{what}: {item!r} is not a number")
    return items


def _run(url: str, work: Callable[[Board], Awaitable[T]]) -> T:
    async def go() -> T:
        journal: Journal = open_journal(url, close_timeout=10.0)
        await journal.open()
        try:
            return await work(Board(journal))
        except DeployError:
            raise
        except Exception as exc:  # the database refused or is unreachable: say so, no trace
            raise DeployError(f"journal {_label(url)}: {type(exc).__name__}: {exc}") from None
        finally:
            await journal.close()

    try:
        return asyncio.run(go())
    except (SchemaError, ValueError) as exc:
        raise DeployError(str(exc)) from None
    except OSError as exc:
        raise DeployError(f"journal {url}: {exc}") from None


def _label(url: str) -> str:
    """The journal URL without a password."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rsplit('@', 1)[-1]}" if "@" in rest else url


def _short(h: str | None) -> str:
    return "-" if h is None else h.removeprefix("sha256:")[:12]


def _share_text(bp: int) -> str:
    return f"{bp / 100:g}%"


# ---- deploy a bundle --------------------------------------------------------------------


def _load(path: Path, env: str | None) -> tuple[str, str, str]:
    """(hash, bundle.json text, environment) of a bundle that this environment can serve."""
    file = resolve_bundle_path(path)
    try:
        raw = read_bundle_file(file, DEFAULT_MAX_BYTES)
        bundle = bundle_from_bytes(raw, file, env)
    except BundleError as exc:
        raise DeployError(str(exc)) from None
    written = bundle.bindings.get("rollout")
    if written is not None:
        parsed = parse_rollout(written)
        if isinstance(parsed, list):
            problems = "; ".join(message for _, message, _ in parsed)
            raise DeployError(f"the bindings' rollout rules: {problems} (flowc check: FL606)")
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise DeployError(f"{file} is not UTF-8 text") from None
    return bundle.hash, text, bundle.env


async def _deploy(
    board: Board,
    env: str,
    bundle_hash: str,
    body: str,
    share_bp: int | None,
    callers: tuple[str, ...],
    dids: tuple[str, ...],
) -> str:
    await board.store_bundle(bundle_hash, body)
    canary = share_bp is not None or bool(callers) or bool(dids)
    for _ in range(_TRIES):
        d = await board.read(env)
        if d is None:
            made = await board.create(env, bundle_hash, "first deploy")
            if made is None:
                continue
            extra = " (no stable version yet: it serves every call)" if canary else ""
            return f"{_short(bundle_hash)} deployed as the stable version of `{env}`{extra}"
        if canary:
            if bundle_hash == d.stable:
                raise DeployError(f"{_short(bundle_hash)} is already the stable version")
            note = ", ".join(
                x
                for x in (
                    _share_text(share_bp or 0) + " of callers" if share_bp else "",
                    f"{len(callers)} caller(s)" if callers else "",
                    f"DIDs {', '.join(dids)}" if dids else "",
                )
                if x
            )
            changed = await board.change(
                d,
                "canary",
                stable=d.stable,
                canary=bundle_hash,
                share_bp=share_bp or 0,
                callers=callers,
                dids=dids,
                note=note,
            )
            if changed is not None:
                return f"{_short(bundle_hash)} is the canary of `{env}` for {note}"
        else:
            changed = await board.change(d, "deploy", stable=bundle_hash, canary=None)
            if changed is not None:
                return f"{_short(bundle_hash)} is the stable version of `{env}` for every new call"
    raise DeployError("the deployment kept changing under this command: try again")


# ---- promote, roll back -----------------------------------------------------------------


async def _promote(board: Board, env: str | None) -> str:
    for _ in range(_TRIES):
        d = await _existing(board, env)
        env = d.name
        if d.canary is None:
            raise DeployError(f"`{env}` has no canary to promote")
        if await board.change(d, "promote", stable=d.canary, canary=None, note="by hand"):
            return f"{_short(d.canary)} promoted: the stable version of `{env}`"
    raise DeployError("the deployment kept changing under this command: try again")


async def _rollback(board: Board, env: str | None) -> str:
    for _ in range(_TRIES):
        d = await _existing(board, env)
        env = d.name
        if d.canary is not None:
            if await board.change(d, "rollback", stable=d.stable, canary=None, note="by hand"):
                return f"canary {_short(d.canary)} rolled back: `{env}` serves {_short(d.stable)}"
            continue
        # The change that made the current stable version: the oldest of the newest events
        # that all have it; the version before that one is where a rollback goes.
        events = await board.events(env, 1000)
        i = 0
        while i + 1 < len(events) and events[i + 1].stable == d.stable:
            i += 1
        if events and events[i].action == "rollback":
            raise DeployError(
                f"`{env}` was rolled back to {_short(d.stable)} already (revision "
                f"{events[i].revision}); deploy a bundle to change it"
            )
        previous = events[i + 1].stable if i + 1 < len(events) else None
        if previous is None:
            raise DeployError(f"`{env}` has no canary and no earlier stable version")
        if await board.change(d, "rollback", stable=previous, canary=None, note="by hand"):
            return f"`{env}` back on {_short(previous)} (was {_short(d.stable)})"
    raise DeployError("the deployment kept changing under this command: try again")


async def _existing(board: Board, env: str | None) -> Deployment:
    """The deployment of `env`; None: the only environment deployed."""
    if env is None:
        names = await board.names()
        if len(names) > 1:
            raise DeployError(f"several environments are deployed ({', '.join(names)}): --env")
        env = names[0] if names else ""
    d = await board.read(env)
    if d is None:
        where = f" for `{env}`" if env else ""
        raise DeployError(f"nothing deployed{where} yet (flowc deploy build/ ...)")
    return d


# ---- status -----------------------------------------------------------------------------


async def _status(board: Board, env: str | None) -> dict[str, Any]:
    d = await _existing(board, env)
    env = d.name
    out: dict[str, Any] = {
        "environment": env,
        "state": d.state,
        "revision": d.revision,
        "stable": d.stable,
        "canary": d.canary,
        "share": _share_text(d.share_bp),
        "callers": list(d.callers),
        "dids": list(d.dids),
        "canary_since": d.canary_since.isoformat() if d.canary_since else None,
        "updated_at": d.updated_at.isoformat(),
        "note": d.note,
        "history": [
            {
                "revision": e.revision,
                "at": e.at.isoformat(),
                "action": e.action,
                "stable": e.stable,
                "canary": e.canary,
                "note": e.note,
            }
            for e in await board.events(env, 10)
        ],
    }
    if d.canary is not None:
        body = await board.bundle_body(d.canary)
        rules: Any = "the canary's bundle is not in the store"
        if body is not None:
            try:
                rules = rules_of(bundle_from_bytes(body, Path("<canary>"), env or None))
            except BundleError as exc:
                rules = str(exc)
        now = datetime.now(UTC)
        window = rules.window_s if not isinstance(rules, str) else 600.0
        since = max(d.canary_since or now, now - timedelta(seconds=window))
        stable_out, canary_out = await board.compare(since, d.stable, d.canary)
        out["rules"] = rules if isinstance(rules, str) else rules.describe()
        out["window_since"] = since.isoformat()
        out["outcomes"] = {"stable": stable_out.summary(), "canary": canary_out.summary()}
    return out


def _print_status(s: dict[str, Any]) -> None:
    echo = typer.echo
    echo(f"environment {s['environment']}: {s['state']} (revision {s['revision']})")
    echo(f"  stable   {s['stable']}")
    if s["canary"]:
        who = [s["share"] + " of callers"] if s["share"] != "0%" else []
        who += [f"callers {', '.join(s['callers'])}"] if s["callers"] else []
        who += [f"DIDs {', '.join(s['dids'])}"] if s["dids"] else []
        echo(f"  canary   {s['canary']}  ({'; '.join(who)}; since {s['canary_since']})")
        echo(f"  rules    {s['rules']}")
        echo(f"  since {s['window_since']}:")
        for arm in ("stable", "canary"):
            o = s["outcomes"][arm]
            person = o["median_to_person_s"]
            echo(
                f"    {arm:<7} {o['calls']:>6} calls  errors {o['error_rate']:.1f}%  "
                f"abandoned {o['abandon_rate']:.1f}%  contained {o['containment']:.1f}%  "
                f"to a person {'-' if person is None else f'{person:.0f}s'}"
            )
    echo("  history:")
    for e in s["history"]:
        canary = f" canary {_short(e['canary'])}" if e["canary"] else ""
        note = f"  {e['note']}" if e["note"] else ""
        echo(
            f"    #{e['revision']:<3} {e['at'][:19]}  {e['action']:<8} "
            f"stable {_short(e['stable'])}{canary}{note}"
        )


# ---- the command ------------------------------------------------------------------------


@app.command()
def deploy(
    target: Annotated[
        str,
        typer.Argument(
            help="A bundle folder (or bundle.json) to deploy, or `status`, `promote`, `rollback`.",
            metavar="TARGET",
        ),
    ],
    journal: Annotated[
        str,
        typer.Option(help="Journal URL shared by the runtime instances (as for `flowc serve`)."),
    ] = DEFAULT_URL,
    env: Annotated[
        str | None,
        typer.Option("--env", "-e", help="Bindings environment (default: the bundle's only one)."),
    ] = None,
    canary: Annotated[
        str | None,
        typer.Option(help="Serve the bundle to this share of new calls (e.g. 5%), by caller."),
    ] = None,
    callers: Annotated[
        str | None,
        typer.Option(help="Comma-separated caller numbers that get the canary."),
    ] = None,
    dids: Annotated[
        str | None, typer.Option(help="Comma-separated DIDs whose calls get the canary.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="status as JSON.")] = False,
) -> None:
    """Deploy a bundle version to the runtime instances of a journal (`flowc serve --rollout`),
    as the stable version or as a canary; show, promote or roll back the deployment.

    The canary's `rollout:` rules promote it or roll it back. Exit 2 on bad input.
    """
    try:
        if target in ACTIONS:
            if canary or callers or dids:
                raise DeployError(f"--canary, --callers and --dids go with a bundle, not {target}")
            name = env
            if target == "status":
                status = _run(journal, lambda b: _status(b, name))
                if as_json:
                    typer.echo(json.dumps(status, indent=2, ensure_ascii=False))
                else:
                    _print_status(status)
                return
            action = _promote if target == "promote" else _rollback
            typer.echo(_run(journal, lambda b: action(b, name)))
            return
        share_bp: int | None = None
        if canary is not None:
            share_bp = parse_share(canary)
            if share_bp is None or share_bp == 0:
                raise DeployError(f"--canary {canary!r} is not a share above 0%, e.g. 5%")
            if share_bp >= FULL:
                raise DeployError("--canary 100% is a full deploy: leave --canary out")
        caller_list, did_list = _list(callers, "callers"), _list(dids, "dids")
        bundle_hash, body, bundle_env = _load(Path(target), env)
        message = _run(
            journal,
            lambda b: _deploy(b, bundle_env, bundle_hash, body, share_bp, caller_list, did_list),
        )
        typer.echo(message)
    except DeployError as exc:
        raise _fail(str(exc)) from None
