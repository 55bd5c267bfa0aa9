"""`flowc graph`, `flowc stats` and `flowc diff`: drawings, numbers and semantic diffs.

Registered on the main app by `flowc.cli.main` importing this module.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flowc.cli.main import app

# The command bodies import what they need: `flowc --help` stays quick.
if TYPE_CHECKING:
    import networkx as nx

    from flowc.analysis.load import FlowLoadError
    from flowc.analysis.stats import FlowStats
    from flowc.diff.core import FlowDiff
    from flowc.model.flow import Flow
    from flowc.pipeline import Checked
    from flowc.render_graph.traffic import Traffic
    from flowc.source.document import SourceDoc

Version = tuple["Flow", "SourceDoc"] | None

# Reads a journal's traffic: (URL, flow name, since, until, watched nodes, prefixes of modules
# not drawn) -> Traffic, ValueError with a message when it cannot. The toolchain never reads
# journals (the runtime does): the `flowc` command (flowc_app.heat) puts its reader here.
TRAFFIC: (
    Callable[[str, str, str | None, str | None, Iterable[str], Iterable[str]], Traffic] | None
) = None

_JOURNAL_HELP = "Draw the traffic this journal recorded (sqlite:///journal.db, postgresql://...)."
_SINCE_HELP = "With --journal: calls started at or after this time (ISO 8601, or 1d, 7d...)."
_UNTIL_HELP = "With --journal: calls started before this time (same forms)."


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def _traffic(
    journal: str,
    flow: str,
    since: str | None,
    until: str | None,
    watch: Iterable[str] = (),
    hide: Iterable[str] = (),
) -> Traffic:
    if TRAFFIC is None:
        raise _fail("--journal needs the runtime: run the `flowc` command (flowc_app)")
    try:
        return TRAFFIC(journal, flow, since, until, watch, hide)
    except ValueError as exc:
        raise _fail(str(exc)) from None


def _report_invalid(exc: FlowLoadError) -> typer.Exit:
    from flowc.cli.main import _sources
    from flowc.render import render_text

    typer.echo(render_text(exc.diagnostics, _sources([exc.checked])), err=True)
    return _fail(f"{exc.file} does not validate; fix the errors above first", 1)


# --------------------------------------------------------------------------- graph


@app.command()
def graph(
    file: Annotated[Path, typer.Argument(help="Flow file to draw.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Output file: .svg, .png, .dot or .html (default: DOT on stdout)."
        ),
    ] = None,
    locale: Annotated[
        str | None, typer.Option(help="Locale of the prompt text shown (default: the flow's).")
    ] = None,
    focus: Annotated[
        str | None, typer.Option(help="Draw only the neighbourhood of this node.")
    ] = None,
    depth: Annotated[int, typer.Option(help="With --focus: how many steps around it.")] = 2,
    modules: Annotated[
        bool, typer.Option("--modules/--no-modules", help="Draw subflow modules inside.")
    ] = True,
    journal: Annotated[str | None, typer.Option(help=_JOURNAL_HELP)] = None,
    since: Annotated[str | None, typer.Option(help=_SINCE_HELP)] = None,
    until: Annotated[str | None, typer.Option(help=_UNTIL_HELP)] = None,
) -> None:
    """Draw a flow: menus with their keys, people (queues, transfers) in green, hang-ups grey.

    SVG and HTML nodes link to their source line. The HTML page pans and zooms,
    finds nodes by name or prompt text, and shows a clicked node's whole prompt
    and where it is defined. With --journal, a heat map of the recorded calls: edges as
    wide as the calls that took them, nodes coloured where callers hang up (red), run out
    of retries (purple) or go to a person (green), every node and edge with its numbers."""
    from flowc.analysis.load import FlowLoadError, load_flow
    from flowc.render_graph import DrawOptions, RenderError, flow_dot, render
    from flowc.render_graph.dot import visible_nodes
    from flowc.render_graph.output import format_of

    if not file.is_file():
        raise _fail(f"no such file: {file}")
    try:
        loaded = load_flow(file)
    except FlowLoadError as exc:
        raise _report_invalid(exc) from None
    g = loaded.graph(with_modules=modules)
    if locale is not None and locale not in g.graph["locales"]:
        known = ", ".join(g.graph["locales"])
        raise _fail(f"`{locale}` is not a locale of {loaded.doc.file} ({known})")
    if focus is not None and focus not in g:
        from flowc.diagnostics import did_you_mean

        hint = did_you_mean(focus, [n for n in g.nodes]) or ""
        raise _fail(f"no node `{focus}` in {loaded.doc.file}. {hint}".strip())
    if journal is None and (since is not None or until is not None):
        raise _fail("--since and --until go with --journal")
    traffic = None
    if journal is not None:
        # Without --modules, a module's steps count on the node that called it.
        hide = () if modules else _module_prefixes(loaded.graph(with_modules=True))
        traffic = _traffic(journal, loaded.flow.name, since, until, hide=hide)
    if traffic is not None and traffic.calls == 0:
        typer.secho(
            f"warning: the journal has no ended call of flow `{loaded.flow.name}`"
            + (" in that span" if since or until else ""),
            fg=typer.colors.YELLOW,
            err=True,
        )
    opts = DrawOptions(locale=locale, focus=focus, depth=depth, traffic=traffic)
    dot = flow_dot(g, opts)
    if out is None:
        typer.echo(dot.source, nl=False)
        _exit_on_errors(loaded.checked)
        return
    try:
        fmt = format_of(out)
        data = render(dot, fmt, title=f"{loaded.flow.name} · {loaded.doc.file}")
    except RenderError as exc:
        raise _fail(str(exc)) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    calls = "" if traffic is None else f", {traffic.calls:,} recorded calls"
    typer.echo(f"wrote {out} ({fmt}, {len(visible_nodes(g, opts))} of {len(g)} nodes{calls})")
    _exit_on_errors(loaded.checked)


def _module_prefixes(g: nx.MultiDiGraph) -> list[str]:
    """The `flow.` prefixes of the subflow modules' nodes in a drawing with modules."""
    return [str(m["prefix"]) for m in (g.graph.get("modules") or {}).values()]


def _exit_on_errors(checked: Checked) -> None:
    """A flow with errors (a dangling reference, ...) is still drawn, to help fix it, but the
    command says so and fails, like `flowc check` would."""
    from flowc.cli.main import _sources
    from flowc.diagnostics import Severity
    from flowc.render import render_text

    errors = [d for d in checked.diagnostics if d.severity is Severity.ERROR]
    if errors:
        typer.echo(render_text(errors, _sources([checked])), err=True)
        raise _fail(f"{checked.file} has {len(errors)} error(s); the drawing shows it as it is", 1)


# --------------------------------------------------------------------------- stats


class StatsFormat(StrEnum):
    text = "text"
    json = "json"


def _secs(v: float | None) -> str:
    return "—" if v is None else f"{v:.0f} s"


@app.command()
def stats(
    files: Annotated[list[Path], typer.Argument(help="Flow files or folders.")],
    fmt: Annotated[
        StatsFormat, typer.Option("--format", "-f", help="Output format.")
    ] = StatsFormat.text,
) -> None:
    """Numbers per flow: menu depth, keys and seconds to a person, endings, loops.

    Seconds are estimated from prompt text (about 14 characters a second, 4 for Chinese) and
    the length of WAV recordings; "worst" counts every retry of each menu on the way."""
    from flowc.analysis.load import FlowLoadError, load_flow
    from flowc.analysis.stats import flow_stats
    from flowc.compiler.ir import compile_flow
    from flowc.lint.config import ConfigError, load_config
    from flowc.model.bindings import is_bindings_doc
    from flowc.pipeline import find_flow_files

    try:
        config = load_config()
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    missing = [p for p in files if not p.exists() and not p.is_symlink()]  # loops: reported
    if missing:
        raise _fail(f"no such file or folder: {', '.join(map(str, missing))}")
    results: list[FlowStats] = []
    seen: dict[tuple[Path, str, str], FlowStats] = {}
    failed = False
    for f in find_flow_files(files):
        try:
            loaded = load_flow(f, config)
        except FlowLoadError as exc:
            if exc.checked.doc is not None and is_bindings_doc(exc.checked.doc.data):
                continue
            failed = True
            typer.secho(
                f"{exc.file}: does not validate (`flowc check` says why)",
                err=True,
                fg=typer.colors.RED,
            )
            continue
        # A flow kept in both forms (bank.yaml and bank.flow, same folder, same IR) is one flow.
        key = (f.parent, f.stem, compile_flow(loaded.flow).hash or "")
        if key in seen:
            seen[key].also_files.append(loaded.doc.file)
            continue
        seen[key] = flow_stats(loaded.flow, loaded.modules, sound_dirs=config.sounds)
        results.append(seen[key])
    if fmt is StatsFormat.json:
        typer.echo(json.dumps([r.to_json() for r in results], ensure_ascii=False, indent=2))
    else:
        _print_stats(results)
    raise typer.Exit(1 if failed else 0)


def _print_stats(stats: list[FlowStats]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160)
    table = Table(title="flow statistics", title_justify="left")
    for col, justify in (
        ("flow", "left"),
        ("nodes", "right"),
        ("menu depth", "right"),
        ("keys to agent", "right"),
        ("s to agent", "right"),
        ("worst s", "right"),
        ("ends w/o person", "right"),
        ("self-service", "right"),
        ("loops", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in stats:
        best = " / ".join(f"{_secs(r.seconds_to_agent[loc])}" for loc in r.locales)
        worst = " / ".join(f"{_secs(r.worst_seconds_to_agent[loc])}" for loc in r.locales)
        table.add_row(
            f"{escape(r.flow)}\n[dim]{escape(', '.join([r.file, *r.also_files]))}[/dim]",
            f"{r.nodes}"
            + (f" ({r.nodes - r.reachable} unreachable)" if r.reachable < r.nodes else ""),
            str(r.max_menu_depth),
            "—" if r.agent_presses is None else str(r.agent_presses),
            best,
            worst,
            str(len(r.no_person_ends)),
            str(len(r.self_service_ends)),
            str(len(r.cycles)),
        )
    console.print(table)
    for r in stats:
        console.print(f"\n[bold]{escape(r.flow)}[/bold] ({escape(r.file)})")
        if r.deepest_menu:
            console.print(f"  deepest menu: {escape(r.deepest_menu)} (level {r.max_menu_depth})")
        if r.agent_presses is not None:
            console.print(
                f"  fewest keys to a person: {r.agent_presses}:"
                f" {escape(' → '.join(r.agent_press_route))}"
            )
        else:
            console.print("  [yellow]no route reaches a person (queue or transfer)[/yellow]")
        for loc in r.locales:
            route = r.worst_agent_routes.get(loc)
            if route is None:
                continue
            steps = ", ".join(
                f"{n} {c:.0f} s" for n, c in zip(route.nodes, route.costs, strict=True) if c >= 1
            )
            console.print(
                f"  {escape(f'[{loc}]')} {_secs(r.seconds_to_agent[loc])} of prompts to a"
                f" person, {_secs(r.worst_seconds_to_agent[loc])} with every retry:"
                f" {escape(steps)}"
            )
        if r.no_person_ends:
            console.print("  calls end without a person at:")
            for e in r.no_person_ends:
                mark = " (self-service)" if e.node in r.self_service_ends else ""
                via = " → ".join(e.path[-4:])
                console.print(
                    f"    {escape(f'{e.node} [{e.kind}]{mark}')}  [dim]…{escape(via)}[/dim]"
                )
        for c in r.cycles:
            kind = "waits for input" if c.waits_for_input else "[red]busy loop[/red]"
            shown = ", ".join(c.nodes[:8]) + (f" +{len(c.nodes) - 8}" if len(c.nodes) > 8 else "")
            console.print(f"  loop ({kind}): {escape(shown)}")
        if r.estimated_audio:
            missing = escape(", ".join(r.estimated_audio))
            console.print(f"  [dim]audio not found, 3 s assumed: {missing}[/dim]")


# --------------------------------------------------------------------------- diff


class DiffFormat(StrEnum):
    markdown = "markdown"
    text = "text"
    json = "json"


def _read(path: Path) -> bytes:
    """A flow file for `diff`: regular files only, bounded like every flow."""
    from flowc.source.files import MAX_FLOW_BYTES, read_bounded

    try:
        return read_bounded(path, MAX_FLOW_BYTES)
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror or exc}") from None


def _flow_from(data: bytes | None, file: str) -> Version:
    """A Flow from file content (None: the file does not exist in that version)."""
    from flowc.diagnostics import FlowcError
    from flowc.model.build import build_flow
    from flowc.pipeline import load_text

    if data is None:
        return None
    try:
        doc = load_text(data, file)
    except FlowcError as exc:
        raise _fail(f"{file}: cannot be read: {exc}", 1) from None
    flow, diags = build_flow(doc)
    if flow is None:
        first = diags[0] if diags else None
        where = f" ({first.span}: {first.message})" if first else ""
        raise _fail(f"{file} does not validate{where}", 1)
    return (flow, doc)


@app.command()
def diff(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="OLD NEW, or with --rev the files to compare (default: all flow "
            "files changed since REV)."
        ),
    ] = None,
    rev: Annotated[
        str | None,
        typer.Option("--rev", help="Compare the working tree with this git revision."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Also draw the changes: .svg, .png, .html or .dot."),
    ] = None,
    fmt: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="Summary format.")
    ] = DiffFormat.markdown,
    locale: Annotated[str | None, typer.Option(help="Locale of prompt text in drawings.")] = None,
    context: Annotated[int, typer.Option(help="Unchanged steps drawn around each change.")] = 1,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when there are semantic changes.")
    ] = False,
    journal: Annotated[
        str | None,
        typer.Option(help="Count the recorded calls the change moves (a journal URL)."),
    ] = None,
    since: Annotated[str | None, typer.Option(help=_SINCE_HELP)] = None,
    until: Annotated[str | None, typer.Option(help=_UNTIL_HELP)] = None,
) -> None:
    """Semantic diff of two versions of a flow, for reviewers.

    Nodes and edges added, removed, renamed and changed, prompt text per locale, and what the
    change does to reachability. `--rev REV` compares the working tree with git history.
    With --journal, how many recorded calls a day reach the changed nodes ("this change
    moves N calls/day"), and drawings carry the traffic."""
    from flowc.diff import diff_dot, diff_flows, to_json, to_markdown, to_text
    from flowc.diff.git import GitError, changed_flow_files, show
    from flowc.pipeline import display_path
    from flowc.render_graph import RenderError, render
    from flowc.render_graph.output import format_of

    pairs: list[tuple[Version, Version]] = []
    if rev is None:
        if not paths or len(paths) != 2:
            raise _fail("give OLD and NEW files, or --rev REV [PATH...]")
        for p in paths:
            if not p.is_file():
                raise _fail(f"no such file: {p}")
        pairs.append(
            (
                _flow_from(_read(paths[0]), display_path(paths[0])),
                _flow_from(_read(paths[1]), display_path(paths[1])),
            )
        )
    else:
        try:
            files = list(paths or []) or changed_flow_files(rev)
            if not files:
                typer.echo(f"no flow files changed since {rev}")
                return
            for p in files:
                if p.is_dir():
                    raise _fail(f"{p} is a folder; name flow files")
                before = show(rev, p)
                after = _read(p) if p.is_file() else None
                if before is None and after is None:
                    raise _fail(f"{p} exists neither at {rev} nor in the working tree")
                name = display_path(p)
                pairs.append((_flow_from(before, f"{rev}:{name}"), _flow_from(after, name)))
        except GitError as exc:
            raise _fail(str(exc)) from None
    from flowc.model.bindings import is_bindings_doc

    diffs: list[FlowDiff] = []
    docs: list[tuple[SourceDoc | None, SourceDoc | None]] = []
    for old_v, new_v in pairs:
        old_doc = old_v[1] if old_v is not None else None
        new_doc = new_v[1] if new_v is not None else None
        if any(doc is not None and is_bindings_doc(doc.data) for doc in (old_doc, new_doc)):
            continue
        diffs.append(diff_flows(old_v[0] if old_v else None, new_v[0] if new_v else None))
        docs.append((old_doc, new_doc))
    if journal is None and (since is not None or until is not None):
        raise _fail("--since and --until go with --journal")
    traffics: list[Traffic | None] = [None] * len(diffs)
    if journal is not None:
        from flowc.diff.traffic import touched_nodes

        for i, fd in enumerate(diffs):
            recorded = fd.old_flow.name if fd.old_flow is not None else None
            if recorded:
                traffics[i] = _traffic(journal, recorded, since, until, touched_nodes(fd))
    if fmt is DiffFormat.json:
        typer.echo(_json_with_moves(to_json(diffs), traffics), nl=False)
    else:
        render_one = to_markdown if fmt is DiffFormat.markdown else to_text
        typer.echo(
            "\n".join(_with_moves(render_one(d), t) for d, t in zip(diffs, traffics, strict=True)),
            nl=False,
        )
    if out is not None:
        try:
            fmt_out = format_of(out)
            for i, (fd, (od, nd)) in enumerate(zip(diffs, docs, strict=True)):
                target = (
                    out
                    if len(diffs) == 1
                    else out.with_name(f"{out.stem}-{fd.name or i}{out.suffix}")
                )
                traffic = traffics[i]
                dot = diff_dot(fd, od, nd, locale=locale, context=context, traffic=traffic)
                summary = _with_moves(to_text(fd), traffic)
                data = render(dot, fmt_out, title=f"diff {fd.name}", summary=summary)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                typer.echo(f"wrote {target}", err=True)
        except RenderError as exc:
            raise _fail(str(exc)) from None
    raise typer.Exit(1 if exit_code and any(not d.empty for d in diffs) else 0)


def _with_moves(text: str, traffic: Traffic | None) -> str:
    """A diff's summary with the recorded calls it moves, last."""
    if traffic is None:
        return text
    from flowc.diff.traffic import moves_text

    return text.rstrip("\n") + "\n\n" + moves_text(traffic) + "\n"


def _json_with_moves(text: str, traffics: list[Traffic | None]) -> str:
    """The JSON of the diffs with `moves` (the recorded calls each change moves)."""
    if all(t is None for t in traffics):
        return text
    from flowc.diff.traffic import moves

    data = json.loads(text)
    items = data if isinstance(data, list) else [data]
    for item, traffic in zip(items, traffics, strict=True):
        if traffic is not None:
            item["moves"] = moves(traffic)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
