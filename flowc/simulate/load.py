"""A flow file, checked and compiled for simulation: IR, module IR, the `Program`, its edges."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowc.diagnostics import Diagnostic, Severity
from flowc.interpreter import Program
from flowc.interpreter.program import read_ir
from flowc.ir import FlowIR
from flowc.simulate.edges import FlowEdges, flow_edges


class FlowLoadError(Exception):
    """The flow (or a subflow module it calls) does not load, validate or compile."""

    def __init__(
        self, file: str, message: str, diagnostics: list[Diagnostic], sources: dict[str, str]
    ) -> None:
        self.file = file
        self.diagnostics = diagnostics
        self.sources = sources
        super().__init__(message)


@dataclass
class CompiledFlow:
    """Everything the simulator needs about one flow, shared by all its simulated calls."""

    name: str
    ir: FlowIR
    module_irs: dict[str, FlowIR]
    program: Program
    edges: FlowEdges
    base_dir: Path = Path(".")
    path: Path | None = None
    timezone: str | None = None
    queues: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    _audio_ms: dict[str, int | None] = field(default_factory=dict, repr=False)

    @classmethod
    def from_ir(
        cls,
        raw: FlowIR | Mapping[str, Any],
        module_irs: Mapping[str, FlowIR | Mapping[str, Any]] | None = None,
        *,
        base_dir: Path | str = ".",
        path: Path | None = None,
    ) -> CompiledFlow:
        ir = read_ir(raw, "<main>")
        mods = {k: read_ir(v, k) for k, v in (module_irs or {}).items()}
        program = Program.from_ir(ir, mods)
        timezone = None
        queues: set[str] = set()
        services: set[str] = set()
        numbers: set[str] = set()
        for flow_ir in (ir, *mods.values()):
            for sched in flow_ir.schedules.values():
                if timezone is None and isinstance(sched, Mapping):
                    timezone = sched.get("timezone")
            queues |= set(flow_ir.queues)
            services |= set(flow_ir.services)
            numbers |= set(flow_ir.numbers)
        return cls(
            name=ir.name,
            ir=ir,
            module_irs=mods,
            program=program,
            edges=flow_edges(ir, mods),
            base_dir=Path(base_dir),
            path=path,
            timezone=str(timezone) if timezone else None,
            queues=frozenset(queues),
            services=frozenset(services),
            numbers=frozenset(numbers),
        )

    def audio_ms(self, file: str) -> int | None:
        """The length of a WAV prompt next to the flow, when it exists and is readable."""
        if file not in self._audio_ms:
            import wave

            found: int | None = None
            try:
                with wave.open(str(self.base_dir / file), "rb") as w:
                    rate = w.getframerate()
                    if rate > 0:
                        found = int(w.getnframes() * 1000 / rate)
            except (OSError, EOFError, wave.Error):
                found = None
            self._audio_ms[file] = found
        return self._audio_ms[file]


def compile_file(path: Path) -> CompiledFlow:
    """Check and compile a flow file with its subflow modules (FlowLoadError on errors)."""
    from flowc.compiler.bundle import compile_checked
    from flowc.pipeline import Checked, check_file

    sources: dict[str, str] = {}

    def checked_ok(target: Path, what: str) -> Checked:
        checked = check_file(target)
        if checked.doc is not None:
            sources[checked.doc.file] = checked.doc.text
        errors = [d for d in checked.diagnostics if d.severity is Severity.ERROR]
        if checked.flow is None or checked.doc is None or errors:
            raise FlowLoadError(
                checked.file, f"{what} {checked.file} does not validate", errors, sources
            )
        return checked

    main = checked_ok(path, "the flow")
    ir, _ = compile_checked(main)
    module_irs: dict[str, FlowIR] = {}

    def add_modules(checked: Checked, at: Path) -> None:
        for ref in checked.modules:
            if ref in module_irs:
                continue
            target = at.parent / ref
            if not target.is_file():
                raise FlowLoadError(
                    checked.file, f"subflow module {ref} not found next to {checked.file}", [], {}
                )
            sub = checked_ok(target, "the subflow module")
            module_irs[ref] = compile_checked(sub)[0]
            add_modules(sub, target)

    add_modules(main, path)
    return CompiledFlow.from_ir(ir, module_irs, base_dir=path.parent, path=path)


def compile_text(
    text: str,
    *,
    file: str = "flow.yaml",
    modules: Mapping[str, str] | None = None,
    base_dir: Path | str = ".",
    lint: bool = True,
) -> CompiledFlow:
    """Check and compile flow text (YAML, or the DSL when `file` ends in .flow), with its
    subflow modules given as {path as written in `subflow:`: text}. For tests and tools;
    `lint=False` keeps only the shape checks (to simulate flows the linter would refuse)."""
    from flowc.compiler.ir import compile_flow
    from flowc.diagnostics import FlowcError
    from flowc.model.build import build_flow
    from flowc.model.flow import Flow
    from flowc.pipeline import check_doc, load_text

    def checked(source: str, name: str, mods: dict[str, Flow | None]) -> Flow:
        try:
            doc = load_text(source, name)
        except FlowcError as exc:
            diags = exc.diagnostics
            raise FlowLoadError(name, f"{name} does not load", diags, {name: source}) from None
        if lint:
            result = check_doc(doc, modules=mods)
            flow, diags = result.flow, result.diagnostics
        else:
            flow, diags = build_flow(doc)
        errors = [d for d in diags if d.severity is Severity.ERROR]
        if flow is None or errors:
            said = "; ".join(f"{d.code} {d.span} {d.message}" for d in errors[:3])
            raise FlowLoadError(name, f"{name} does not validate: {said}", errors, {name: source})
        return flow

    mod_flows: dict[str, Flow | None] = {}
    mod_irs: dict[str, FlowIR] = {}
    for ref, source in (modules or {}).items():
        flow = checked(source, ref, {})
        mod_flows[ref] = flow
        mod_irs[ref] = compile_flow(flow)
    main = checked(text, file, mod_flows)
    names = {ref: f.name for ref, f in mod_flows.items() if f is not None}
    return CompiledFlow.from_ir(compile_flow(main, names), mod_irs, base_dir=base_dir)
