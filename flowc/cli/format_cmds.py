"""`flowc fmt` and `flowc convert`: canonical text for both forms, and lossless conversion."""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer

from flowc.cli.main import _fail, _sources, app
from flowc.codes import code
from flowc.diagnostics import Diagnostic, FlowcError, Severity
from flowc.render import render_text
from flowc.source.document import SourceDoc, Span
from flowc.source.files import MAX_FLOW_BYTES, FileRefused, read_bounded


class Target(StrEnum):
    flow = "flow"
    yaml = "yaml"


def _pipeline() -> ModuleType:
    """flowc.pipeline loads the whole checker: imported when a command runs, so that
    `flowc --version` and `--help` start at once."""
    import flowc.pipeline

    return flowc.pipeline


def format_doc(doc: SourceDoc, target: Target, includes: Sequence[str] = ()) -> str:
    """The canonical text of a loaded document in the target form, comments kept.

    `includes` (DSL only) are written back as `include` lines instead of inlining what the
    included files define."""
    if target is Target.flow:
        from flowc.source.dsl.printer import to_dsl

        return to_dsl(doc.data, doc.comments, includes=includes)
    from flowc.source.emit_yaml import to_yaml

    return to_yaml(doc.data, doc.comments)


UNWRITABLE = code("FL013")
_MAX_KEY = 1000  # the YAML writer's limit (PyYAML reads plain keys up to 1024 characters)
_MAX_INT_BITS = 14_000  # about 4,200 decimal digits: Python prints no int over 4,300


def unwritable(doc: SourceDoc) -> list[Diagnostic]:
    """Values of a loaded document that neither form can write back: non-finite numbers
    (`.inf`, `.nan`), keys over 1,000 characters, ints too long to print. Each is positioned,
    so `fmt` and `convert` report them instead of failing halfway through the output."""
    out: list[Diagnostic] = []

    def at(path: tuple[str | int, ...], key: bool) -> Span:
        spans = doc.key_spans if key else doc.spans
        return spans.get(path) or doc.spans.get(path) or Span.whole_file(doc.file)

    def add(path: tuple[str | int, ...], message: str, hint: str, key: bool = False) -> None:
        out.append(Diagnostic(UNWRITABLE, Severity.ERROR, message, at(path, key), hint))

    stack: list[tuple[tuple[str | int, ...], object]] = [((), doc.data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(k, str) and len(k) > _MAX_KEY:
                    add(
                        (*path, k),
                        f"a key of {len(k):,} characters cannot be written back",
                        f"keys are names: keep them under {_MAX_KEY} characters",
                        key=True,
                    )
                stack.append(((*path, k), v))
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            add(
                path,
                f"`{value}` is not a number a flow can hold",
                "write a finite number (or a string, in quotes)",
            )
        elif isinstance(value, int) and not isinstance(value, bool):
            if value.bit_length() > _MAX_INT_BITS:
                add(
                    path,
                    "this integer is too long to be written back",
                    'write long digit strings in quotes: "123..."',
                )
    return out


def _formatted(doc: SourceDoc, target: Target, includes: Sequence[str] = ()) -> str:
    """`format_doc`, or exit 1 with diagnostics when the document holds unwritable values."""
    problems = unwritable(doc)
    if not problems:
        try:
            return format_doc(doc, target, includes)
        except (ValueError, RecursionError) as exc:  # anything the checks above missed
            message = f"cannot write this flow as {target.value}: {exc}"
            problems = [Diagnostic(UNWRITABLE, Severity.ERROR, message, Span.whole_file(doc.file))]
    typer.echo(render_text(problems, {doc.file: doc.text}), err=True)
    raise typer.Exit(1)


def _target_of(path: Path) -> Target:
    return Target.flow if path.suffix in _pipeline().DSL_SUFFIXES else Target.yaml


def _load_or_exit(path: Path, *, for_format: bool = False) -> tuple[SourceDoc, list[str]]:
    """Load a flow; for formatting a .flow file, keep its includes as includes."""
    try:
        if for_format and path.suffix in _pipeline().DSL_SUFFIXES:
            from flowc.source.dsl.parser import list_includes, parse_dsl_text

            name = _pipeline().display_path(path)
            try:  # bounded, regular files only (the same limits as loading)
                text = read_bounded(path, MAX_FLOW_BYTES).decode("utf-8")
            except FileRefused as exc:
                which = code("FL004") if exc.kind == "too_large" else code("FL009")
                diag = Diagnostic(
                    which, Severity.ERROR, exc.message, Span.whole_file(name), exc.hint
                )
                raise FlowcError([diag]) from None
            doc = parse_dsl_text(text, name, includes=False)
            return doc, [p for p, _ in list_includes(text, name)]
        return _pipeline().load_source(path), []
    except FlowcError as exc:
        typer.echo(render_text(exc.diagnostics, _sources([])), err=True)
        raise typer.Exit(1) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read {path}: {exc}") from None


@app.command()
def fmt(
    paths: Annotated[list[Path], typer.Argument(help="Flow files or folders.")],
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if a file would change.")] = False,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff", help="Print what would change (unified diff); write nothing; exit 1 if any."
        ),
    ] = False,
) -> None:
    """Rewrite flow files (YAML and .flow) in canonical form.

    With --check or --diff nothing is written: both exit 1 when a file would change.
    """
    from flowc.model.bindings import is_bindings_doc

    changed = 0
    files = list(_pipeline().find_flow_files(paths))
    for path in files:
        doc, includes = _load_or_exit(path, for_format=True)
        if is_bindings_doc(doc.data):
            continue
        new = _formatted(doc, _target_of(path), includes)
        if new == doc.text:
            continue
        changed += 1
        if diff or check:
            typer.echo(
                "".join(
                    difflib.unified_diff(
                        doc.text.splitlines(keepends=True),
                        new.splitlines(keepends=True),
                        f"{doc.file} (current)",
                        f"{doc.file} (formatted)",
                    )
                )
            )
        if not (check or diff):
            path.write_text(new, encoding="utf-8")
    dry = check or diff
    verb = "would be reformatted" if dry else "reformatted"
    typer.echo(f"{changed} file(s) {verb}, {len(files) - changed} unchanged")
    raise typer.Exit(1 if dry and changed else 0)


@app.command()
def convert(
    source: Annotated[Path, typer.Argument(help="A .yaml or .flow file.")],
    to: Annotated[Target, typer.Option("--to", help="Target form.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Output file; '-' for stdout. Default: beside the source."
        ),
    ] = None,
) -> None:
    """Convert a flow between YAML and the DSL; both compile to byte-identical IR."""
    doc, _ = _load_or_exit(source)
    text = _formatted(doc, to)
    if out is not None and str(out) == "-":
        typer.echo(text, nl=False)
        return
    dest = out or source.with_suffix(".flow" if to is Target.flow else ".yaml")
    if dest.resolve() == source.resolve():
        raise _fail(f"{source} is already {to.value}; use `flowc fmt` to reformat it")
    dest.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {dest}")
