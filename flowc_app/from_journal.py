"""`flowc test --from-journal URL --call ID [...] -o FILE.test.yaml`: recorded calls as test
scenarios (`flowc.replay.scenario`). `flowc test` itself belongs to the toolchain, which
never reads a journal (the runtime's): `flowc_app.main` sends a `test` command line with
`--from-journal` here."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from flowc.replay.scenario import to_scenario

__all__ = ["app", "find_flow_file", "write_scenarios"]

app = typer.Typer(add_completion=False)
FLOW_SUFFIXES = (".yaml", ".yml", ".flow")
SKIP_DIRS = frozenset({".git", ".venv", "node_modules", "build", "__pycache__"})


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


def find_flow_file(flow: str, roots: list[Path]) -> Path | None:
    """The source file of flow `flow` under `roots`: `<flow>.yaml` (or .yml, .flow)."""
    for root in roots:
        if root.is_file():
            if root.stem == flow:
                return root
            continue
        for suffix in FLOW_SUFFIXES:
            direct = root / f"{flow}{suffix}"
            if direct.is_file():
                return direct
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            for suffix in FLOW_SUFFIXES:
                if f"{flow}{suffix}" in filenames:
                    return Path(dirpath) / f"{flow}{suffix}"
    return None


def write_scenarios(
    journal: str,
    call_ids: list[str],
    bundle: Path,
    out: Path,
    *,
    env: str | None = None,
    flows: list[Path] | None = None,
) -> list[str]:
    """Write the scenarios of `call_ids` to `out`; returns warnings. Raises ValueError with
    a message for the user."""
    from flowc_app.replay_cmd import load_recorded
    from runtime.bundle_store import BundleError, load_bundle

    try:
        loaded = load_bundle(bundle, env)
    except BundleError as exc:
        raise ValueError(str(exc)) from None
    calls, _skipped = load_recorded(journal, call_ids=call_ids)
    found = {c.call_id: c for c in calls}
    missing = [c for c in call_ids if c not in found]
    if missing:
        raise ValueError(f"not in the journal (or not ended): {', '.join(missing)}")
    names = {found[c].flow for c in call_ids}
    if len(names) != 1:
        raise ValueError(
            f"the calls are of several flows ({', '.join(sorted(names))}): one file each"
        )
    flow = names.pop()
    program = loaded.programs.get(flow)
    if program is None:
        raise ValueError(f"flow `{flow}` is not in the bundle {bundle}")
    source = find_flow_file(flow, flows or [Path(".")])
    if source is None:
        raise ValueError(f"no source file for flow `{flow}` (give its folder with --flows)")
    warnings: list[str] = []
    scenarios: list[dict[str, Any]] = []
    for call_id in call_ids:
        rec = found[call_id]
        scenario, res = to_scenario(program, rec)
        if rec.source != "log":
            warnings.append(
                f"{call_id}: journaled without replay data: inputs and path only, no look-up"
                " answers"
            )
        if not res.identical:
            warnings.append(
                f"{call_id}: this bundle does not run the call as recorded"
                f" ({', '.join(sorted(res.kinds))}): the scenario expects what it does now"
            )
        scenarios.append(scenario)
    rel = os.path.relpath(source.resolve(), out.resolve().parent)
    doc = {"flow": rel, "scenarios": scenarios}
    out.parent.mkdir(parents=True, exist_ok=True)
    header = "# Recorded calls from the journal, as scenarios (flowc test --from-journal).\n"
    out.write_text(
        header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100),
        encoding="utf-8",
    )
    return warnings


@app.command()
def from_journal(
    from_journal: Annotated[str, typer.Option("--from-journal", help="Journal URL.")],
    call: Annotated[list[str], typer.Option("--call", help="A recorded call id (repeatable).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The scenario file to write.")],
    bundle: Annotated[
        Path, typer.Option("--bundle", "-b", help="The bundle the scenarios run against.")
    ] = Path("build"),
    env: Annotated[str | None, typer.Option(help="Bindings environment.")] = None,
    flows: Annotated[
        list[Path] | None,
        typer.Option("--flows", help="Where the flow sources are (repeatable; default .)."),
    ] = None,
) -> None:
    """Write scenarios from recorded calls: the caller's inputs, mocks from the recorded
    look-up answers, queue and transfer outcomes, the path and outcome as expectations."""
    try:
        warnings = write_scenarios(from_journal, call, bundle, out, env=env, flows=flows)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:  # a journal that cannot be read: say why, no traceback
        raise _fail(f"cannot read the journal: {type(exc).__name__}: {exc}") from None
    for w in warnings:
        typer.secho(f"warning: {w}", fg=typer.colors.YELLOW, err=True)
    typer.echo(f"wrote {out} ({len(call)} scenario(s))", err=True)
