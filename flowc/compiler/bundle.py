"""Compile many flow files into one bundle folder: bundle.json (IR) + sourcemap.json."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from flowc.codes import code
from flowc.compiler.ir import compile_flow, dumps, make_bundle, source_map
from flowc.diagnostics import Diagnostic, Severity
from flowc.ir import BundleIR, FlowIR
from flowc.lint.config import ConfigError, LintConfig, load_config
from flowc.pipeline import Checked, check_paths
from flowc.render import render_text
from flowc.source.document import Span

DUPLICATE_FLOW = code("FL012")


def module_names(checked: Checked) -> dict[str, str]:
    return {ref: mod.name for ref, mod in checked.modules.items() if mod is not None}


def compile_checked(checked: Checked) -> tuple[FlowIR, dict[str, Any]]:
    assert checked.flow is not None and checked.doc is not None
    return compile_flow(checked.flow, module_names(checked)), source_map(checked.flow, checked.doc)


def _with_modules(paths: list[Path], config: LintConfig | None) -> list[Checked]:
    """check_paths, plus the module files the checked flows call, until none is missing."""
    from flowc.pipeline import find_flow_files

    results = check_paths(paths, config)
    for _ in range(_MAX_MODULE_DEPTH):
        have = {_identity(f) for f in find_flow_files(paths)}
        missing: list[Path] = []
        for r in results:
            for ref, mod in r.modules.items():
                target = _identity(Path(r.file).parent / ref)
                if mod is not None and target.is_file() and target not in have:
                    have.add(target)
                    missing.append(target)
        if not missing:
            break
        paths = paths + missing
        results = check_paths(paths, config)
    return results


def _identity(path: Path) -> Path:
    """The resolved path; a symlink loop stays as written (its check reports it)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop on Python 3.11
        return path.absolute()


_MAX_MODULE_DEPTH = 32  # modules calling modules; a cycle is an error of its own


def build_bundle(
    paths: Sequence[Path], config: LintConfig | None = None
) -> tuple[BundleIR | None, list[Checked]]:
    """Check and compile; the bundle is None when any file has an error. Subflow modules the
    given flows call (transitively) are compiled too, named or not: a bundle without them
    would be refused by `flowc serve`."""
    results = _with_modules(list(paths), config)
    if not results or not all(r.ok for r in results):
        return None, results
    flows: list[FlowIR] = []
    maps: list[dict[str, Any]] = []
    bindings: dict[str, Any] = {}
    seen: dict[str, tuple[str | None, Checked]] = {}
    for r in results:
        if r.bindings is not None:
            bindings[r.bindings.environment] = r.bindings.model_dump(mode="json")
            continue
        ir, sm = compile_checked(r)
        first = seen.get(ir.name)
        if first is not None:
            # The same flow written in both forms (YAML and .flow) compiles to the same IR
            # and is bundled once; two different flows may not share a name.
            if first[0] != ir.hash:
                r.diagnostics.append(
                    Diagnostic(
                        DUPLICATE_FLOW,
                        Severity.ERROR,
                        f"flow `{ir.name}` is also defined, differently, in {first[1].file}",
                        Span(r.file, 1, 1, 1, 1),
                        "give one of them another `flow:` name",
                    )
                )
                return None, results
            continue
        seen[ir.name] = (ir.hash, r)
        flows.append(ir)
        maps.append(sm)
    return make_bundle(flows, maps, bindings), results


def compile_paths(
    paths: Sequence[Path], out: Path, *, target: str = "ir", echo: Callable[[str], Any] = print
) -> int:
    if target not in ("ir", "freeswitch"):
        echo(f"error: unknown target `{target}` (ir or freeswitch)")
        return 2
    try:
        config = load_config()
    except ConfigError as exc:
        echo(f"error: {exc}")
        return 2
    bundle, results = build_bundle(paths, config)
    diags = [d for r in results for d in r.diagnostics if d.severity is Severity.ERROR]
    if bundle is None:
        if not results:
            echo("error: no flow files found")
            return 2
        sources = {r.doc.file: r.doc.text for r in results if r.doc is not None}
        echo(render_text(diags, sources))
        echo(f"compile failed: {len(diags)} error(s)")
        return 1
    out.mkdir(parents=True, exist_ok=True)
    sourcemap = dict(bundle.sourcemap or {})
    bundle = dataclasses.replace(bundle, sourcemap=None)
    (out / "bundle.json").write_text(dumps(bundle), encoding="utf-8")
    (out / "sourcemap.json").write_text(dumps(sourcemap), encoding="utf-8")
    envs = ", ".join(bundle.bindings) or "none"
    echo(
        f"compiled {len(bundle.flows)} flow(s), bindings: {envs} -> "
        f"{out / 'bundle.json'} ({bundle.hash})"
    )
    if target == "freeswitch":
        from flowc.compiler.freeswitch import write_freeswitch

        try:
            for line in write_freeswitch(bundle, out):
                echo(line)
        except ValueError as exc:  # a binding value FreeSWITCH cannot be given
            echo(f"error: {exc}")
            return 1
    return 0
