"""The front half of the compiler, in order: load -> validate -> lint.

    text --(yaml_loader | dsl.parser)--> SourceDoc --(model.build)--> Flow
         --(lint rules)--> diagnostics

Every stage returns diagnostics as values; `FlowcError` raised inside a stage is turned into
diagnostics here, and no other exception escapes to the user for bad input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flowc.codes import code
from flowc.diagnostics import Diagnostic, FlowcError, Severity
from flowc.lint.config import LintConfig
from flowc.lint.context import LintContext
from flowc.lint.registry import run_rules
from flowc.model.bindings import Bindings
from flowc.model.build import build_flow
from flowc.model.flow import Flow
from flowc.source.document import SourceDoc, Span
from flowc.source.files import (
    FileRefused,
    check_inside_project,
    is_symlink_loop,
    resolve_safely,
    walk_files,
)

YAML_SUFFIXES = (".yaml", ".yml")
DSL_SUFFIXES = (".flow",)
FLOW_SUFFIXES = YAML_SUFFIXES + DSL_SUFFIXES
IO_ERROR = code("FL009")


@dataclass(frozen=True)
class ModuleIssue:
    """Why a subflow module is refused: "outside" the project, or part of a "cycle"."""

    kind: str
    message: str
    hint: str


@dataclass
class Checked:
    """One file through the front half: what was loaded and everything said about it."""

    file: str
    doc: SourceDoc | None = None
    flow: Flow | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    modules: dict[str, Flow | None] = field(default_factory=dict)
    bindings: Bindings | None = None

    @property
    def ok(self) -> bool:
        return (self.flow is not None or self.bindings is not None) and not any(
            d.severity is Severity.ERROR for d in self.diagnostics
        )


def display_path(path: Path) -> str:
    """Paths relative to the working directory when below it, as authors expect to see them."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # outside, or a symlink loop (3.11)
        return str(path)


def load_source(path: Path, display: str | None = None) -> SourceDoc:
    """Read a YAML or DSL flow file. Raises FlowcError with diagnostics on any failure."""
    name = display or display_path(path)
    if path.suffix in DSL_SUFFIXES:
        from flowc.source.dsl.parser import parse_dsl_file

        return parse_dsl_file(path, display_name=name)
    from flowc.source.yaml_loader import load_yaml_file

    return load_yaml_file(path, display_name=name)


def load_text(text: str | bytes, file: str) -> SourceDoc:
    if file.endswith(DSL_SUFFIXES):
        from flowc.source.dsl.parser import parse_dsl_text

        decoded = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
        return parse_dsl_text(decoded, file)
    from flowc.source.yaml_loader import load_yaml_text

    return load_yaml_text(text, file)


def _load(path: Path) -> tuple[SourceDoc | None, list[Diagnostic]]:
    if is_symlink_loop(path):
        hint = "fix or remove the symbolic link"
        message = "symlink loop: the link never reaches a file"
        return None, [
            Diagnostic(IO_ERROR, Severity.ERROR, message, Span.whole_file(str(path)), hint)
        ]
    try:
        return load_source(path), []
    except FlowcError as exc:
        return None, exc.diagnostics
    except OSError as exc:
        return None, [
            Diagnostic(
                IO_ERROR,
                Severity.ERROR,
                f"cannot read file: {exc.strerror}",
                Span.whole_file(display_path(path)),
                getattr(exc, "hint", None),
            )
        ]


def check_doc(
    doc: SourceDoc,
    config: LintConfig | None = None,
    modules: dict[str, Flow | None] | None = None,
    module_issues: dict[str, ModuleIssue] | None = None,
) -> Checked:
    """Validate and lint an already-loaded document (`module_issues`: see `subflow_issues`)."""
    result = Checked(doc.file, doc=doc)
    flow, diags = build_flow(doc)
    result.diagnostics += diags
    if flow is None:
        return result
    result.flow = flow
    result.modules = modules or {}
    ctx = LintContext(flow, doc, config or LintConfig(), result.modules)
    ctx.module_issues = dict(module_issues or {})
    result.diagnostics += run_rules(ctx)
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result


def check_text(text: str | bytes, file: str, config: LintConfig | None = None) -> Checked:
    """Load, validate and lint flow text (YAML, or DSL when `file` ends in .flow)."""
    try:
        doc = load_text(text, file)
    except FlowcError as exc:
        return Checked(file, diagnostics=exc.diagnostics)
    return check_doc(doc, config)


def check_file(path: Path, config: LintConfig | None = None) -> Checked:
    doc, diags = _load(path)
    if doc is None:
        return Checked(display_path(path), diagnostics=diags)
    modules = load_modules(doc, path)
    return check_doc(doc, config, modules, subflow_issues(doc, path))


def subflow_refs(data: object) -> list[str]:
    """The module paths a loaded document's subflow nodes name, in order."""
    refs: list[str] = []
    nodes = data.get("nodes") if isinstance(data, dict) else None
    if isinstance(nodes, dict):
        for node in nodes.values():
            if isinstance(node, dict) and isinstance(node.get("subflow"), str):
                refs.append(node["subflow"])
    return refs


def load_modules(doc: SourceDoc, path: Path) -> dict[str, Flow | None]:
    """Subflow modules a flow calls (one level: their own checks run when they are checked).
    A module outside the project is never read (`subflow_issues` says why)."""
    modules: dict[str, Flow | None] = {}
    for ref in subflow_refs(doc.data):
        target = path.parent / ref
        try:
            check_inside_project(target, path, ref)
            readable = target.is_file()
        except OSError:
            readable = False
        mod_doc, _ = _load(target) if readable else (None, [])
        modules[ref] = build_flow(mod_doc)[0] if mod_doc is not None else None
    return modules


MAX_MODULE_FILES = 1000  # files followed through subflows from one flow: bounds the walk


def subflow_issues(doc: SourceDoc, path: Path) -> dict[str, ModuleIssue]:
    """What is wrong with the subflow modules a flow calls, by the path written in it: a path
    outside the project ("outside"), or a chain of modules that calls itself ("cycle", with
    the chain). Modules are followed transitively (each file read once, bounded)."""
    issues: dict[str, ModuleIssue] = {}
    refs_of: dict[Path, list[tuple[str, Path]]] = {}

    def edges(file: Path, data: object) -> list[tuple[str, Path]]:
        out: list[tuple[str, Path]] = []
        for ref in subflow_refs(data):
            target = file.parent / ref
            try:
                out.append((ref, check_inside_project(target, path, ref)))
            except OSError:
                continue  # outside (reported for the flow's own refs below) or unreadable
        return out

    def refs(file: Path) -> list[tuple[str, Path]]:
        if file not in refs_of:
            if len(refs_of) >= MAX_MODULE_FILES or not file.is_file():
                refs_of[file] = []
            else:
                mod_doc, _ = _load(file)
                refs_of[file] = edges(file, mod_doc.data) if mod_doc is not None else []
        return refs_of[file]

    try:
        root = resolve_safely(path)
    except OSError:
        return issues
    refs_of[root] = []
    for ref in subflow_refs(doc.data):
        try:
            refs_of[root].append((ref, check_inside_project(path.parent / ref, path, ref)))
        except FileRefused as exc:
            issues.setdefault(ref, ModuleIssue("outside", exc.message, exc.hint))
        except OSError:
            continue
    for ref, target in refs_of[root]:
        chain = _find_cycle(root, target, refs)
        if chain is not None:
            shown = " -> ".join(display_path(p) for p in chain)
            message = f"subflow cycle: {shown}"
            hint = "a module must not call itself, directly or through other modules"
            issues.setdefault(ref, ModuleIssue("cycle", message, hint))
    return issues


def _find_cycle(
    root: Path, start: Path, refs: Callable[[Path], list[tuple[str, Path]]]
) -> list[Path] | None:
    """A chain of files from `start` that comes back to a file already on it (or to `root`),
    found depth-first without recursion; None when there is none."""
    if start == root:
        return [root, root]
    on_path: list[Path] = [root, start]
    index = {root: 0, start: 1}
    done: set[Path] = set()
    stack = [iter(refs(start))]
    while stack:
        step = next(stack[-1], None)
        if step is None:
            stack.pop()
            finished = on_path.pop()
            del index[finished]
            done.add(finished)
            continue
        nxt = step[1]
        if nxt in index:
            return [*on_path[index[nxt] :], nxt]
        if nxt in done:
            continue
        index[nxt] = len(on_path)
        on_path.append(nxt)
        stack.append(iter(refs(nxt)))
    return None


SCENARIO_SUFFIXES = (".test.yaml", ".test.yml")


def find_flow_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Flow and binding files among the given files and folders (folders searched
    recursively, sorted); flow test scenarios (`*.test.yaml`) are left to `flowc test`.
    Symlinked folders are not followed; symlink loops are yielded, so that they are reported."""
    for p in paths:
        if p.is_dir():
            for child, looping in sorted(walk_files(p)):
                rel = child.relative_to(p).parts
                if any(part.startswith(".") for part in rel):
                    continue
                # a symlink loop is yielded whatever its name: loading it reports the loop
                if looping or (
                    child.suffix in FLOW_SUFFIXES and not child.name.endswith(SCENARIO_SUFFIXES)
                ):
                    yield child
        else:
            yield p


def check_paths(
    paths: Iterable[Path],
    config: LintConfig | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> list[Checked]:
    """Check flows and binding files; bindings are cross-checked against the flows given."""
    from flowc.model.bindings import check_bindings, is_bindings_doc

    results: list[Checked] = []
    bindings: list[SourceDoc] = []
    for f in find_flow_files(paths):
        if on_file:
            on_file(f)
        doc, diags = _load(f)
        if doc is None:
            results.append(Checked(display_path(f), diagnostics=diags))
        elif is_bindings_doc(doc.data):
            bindings.append(doc)
        else:
            modules, issues = load_modules(doc, f), subflow_issues(doc, f)
            results.append(check_doc(doc, config, modules, issues))
    flows = [r.flow for r in results if r.flow is not None]
    for doc in bindings:
        b, diags = check_bindings(doc, flows)
        results.append(Checked(doc.file, doc=doc, diagnostics=diags, bindings=b))
    return results
