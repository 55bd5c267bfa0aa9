"""`flowc test`: find scenario files, simulate every scenario, judge, report, measure coverage.

    run = run_tests([Path("examples"), Path("flows")], min_coverage=90)
    print(render_text(run)); write_junit(run, Path("out.xml")); run.exit_code

Scenario files are `*.test.yaml` (or `.test.yml`) anywhere under the folders given (hidden
folders, `node_modules` and virtualenvs skipped); a flow file given directly stands for the
scenario file beside it (`telecom_care.yaml` -> `telecom_care.test.yaml`) or under
`tests/flows/`. Each flow is compiled once; coverage adds up over every scenario of a flow.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowc.codes import code
from flowc.diagnostics import Diagnostic, FlowcError, did_you_mean
from flowc.flowtest.coverage import FlowCoverage, coverage_table
from flowc.flowtest.expect import Failure, check_expectations
from flowc.flowtest.scenario import SCENARIO_SUFFIXES, Scenario, ScenarioFile, load_scenario_file
from flowc.ir.nodes import SurveyNode
from flowc.pipeline import FLOW_SUFFIXES, display_path
from flowc.simulate import CompiledFlow, FlowLoadError, SimResult, Simulator, compile_file
from flowc.source.files import MAX_SCENARIO_BYTES, is_symlink_loop, read_bounded, walk_files

FT301 = code("FT301")
FT302 = code("FT302")
FT303 = code("FT303")
FT304 = code("FT304")
FT305 = code("FT305")

SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages"})
TRACE_TAIL = 12


@dataclass
class ScenarioResult:
    file: str
    scenario: Scenario
    result: SimResult | None = None
    failures: list[Failure] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def skipped(self) -> bool:
        return self.scenario.skip is not None

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def title(self) -> str:
        line = f":{self.scenario.line}" if self.scenario.line else ""
        return f"{self.file}{line}: {self.scenario.name}"


@dataclass
class FileResult:
    file: str
    flow_file: str | None = None
    flow: str | None = None
    results: list[ScenarioResult] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # the file could not be run at all

    @property
    def broken(self) -> bool:
        return self.problem is not None


@dataclass
class TestRun:
    files: list[FileResult] = field(default_factory=list)
    coverage: dict[str, FlowCoverage] = field(default_factory=dict)
    min_coverage: float | None = None
    problems: list[str] = field(default_factory=list)  # paths given that hold no scenarios

    @property
    def results(self) -> list[ScenarioResult]:
        return [r for f in self.files for r in f.results]

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if not r.skipped and r.passed)

    @property
    def failed(self) -> int:
        broken = sum(1 for f in self.files if f.broken)
        return broken + sum(1 for r in self.results if not r.skipped and not r.passed)

    @property
    def skipped(self) -> int:
        return sum(1 for r in self.results if r.skipped)

    @property
    def below_min(self) -> list[FlowCoverage]:
        if self.min_coverage is None:
            return []
        return [c for c in self.coverage.values() if c.edges.percent < self.min_coverage]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.below_min or self.problems else 0

    @property
    def summary(self) -> str:
        return f"{self.passed} passed, {self.failed} failed"


class Reporter:
    """Progress callbacks (the CLI prints dots); the defaults do nothing."""

    def file_started(self, file: str) -> None:
        pass

    def scenario_done(self, result: ScenarioResult) -> None:
        pass

    def file_done(self, result: FileResult) -> None:
        pass


# ------------------------------------------------------------------------------ discovery


def _is_scenario_file(path: Path) -> bool:
    return path.name.endswith(SCENARIO_SUFFIXES)


def discover(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """(scenario files, problems with the paths given), sorted and without duplicates."""
    found: list[Path] = []
    problems: list[str] = []
    for p in paths:
        if p.is_dir():
            for child, looping in sorted(walk_files(p)):
                rel = child.relative_to(p).parts[:-1]
                if any(part.startswith(".") or part in SKIP_DIRS for part in rel):
                    continue
                if looping:
                    problems.append(f"symlink loop, not followed: {child}")
                elif _is_scenario_file(child):
                    found.append(child)
        elif is_symlink_loop(p):
            problems.append(f"symlink loop: {p}")
        elif p.is_file() and _is_scenario_file(p):
            found.append(p)
        elif p.is_file() and p.suffix in FLOW_SUFFIXES:
            stem = p.name[: -len(p.suffix)]
            candidates = [p.with_name(stem + s) for s in SCENARIO_SUFFIXES]
            candidates += [Path("tests/flows") / (stem + s) for s in SCENARIO_SUFFIXES]
            match = next((c for c in candidates if c.is_file()), None)
            if match is None:
                problems.append(f"no scenario file for {p} (expected {candidates[0]})")
            else:
                found.append(match)
        elif not p.exists():
            problems.append(f"no such file or folder: {p}")
        else:
            problems.append(f"{p} is neither a scenario file nor a flow")
    unique: dict[Path, Path] = {}
    for f in found:
        unique.setdefault(f.resolve(), f)
    return list(unique.values()), problems


# ------------------------------------------------------------------------------ running


def flow_problems(sc: Scenario, flow: CompiledFlow) -> list[Failure]:
    """Names in the scenario that the flow does not have (typos), as failures."""
    out: list[Failure] = []
    nodes = flow.edges.nodes
    bare = {n.rsplit(".", 1)[-1] for n in nodes}

    def check(name: str, known: Collection[str], what: str, code: str, *path: Any) -> None:
        if name in known:
            return
        hint = did_you_mean(name, known)
        where = sc.where(*path)
        message = f"{code} the flow `{flow.name}` has no {what} `{name}`"
        out.append(
            Failure(
                ".".join(str(p) for p in path),
                message + (f"; {hint}" if hint else ""),
                None,
                None,
                where,
            )
        )

    e = sc.expect
    for key in ("path", "path_exact", "not_visited"):
        names = getattr(e, key)
        for i, n in enumerate(names or ()):
            check(n, set(nodes), "node", FT301, "expect", key, i)
    if sc.hangup_at is not None and sc.hangup_at not in bare and sc.hangup_at not in nodes:
        check(sc.hangup_at, set(nodes), "node", FT301, "hangup_at")
    for name in sc.mocks:
        check(name, flow.services, "service", FT302, "mocks", name)
    for name in sc.queues:
        check(name, flow.queues, "queue", FT303, "queues", name)
    variables = set(flow.ir.variables)
    for name in e.variables:
        check(name, variables, "variable", FT304, "expect", "variables", name)
    questions = {
        q.id for n in flow.ir.nodes.values() if isinstance(n, SurveyNode) for q in n.survey
    }
    for qid in e.survey:
        check(qid, questions, "survey question", FT305, "expect", "survey", qid)
    return out


def run_scenario(
    flow: CompiledFlow, sc: Scenario, file: str = "", *, asr: bool = True
) -> ScenarioResult:
    """`asr=False` predicts a switch without a speech recogniser (speech menus take keys)."""
    out = ScenarioResult(file or (sc.file or ""), sc)
    if sc.skip is not None:
        return out
    t0 = time.perf_counter()
    problems = flow_problems(sc, flow)
    if problems:
        out.failures = problems
        out.elapsed = time.perf_counter() - t0
        return out
    result = Simulator(flow, sc, asr=asr).run()
    out.result = result
    failures: list[Failure] = []
    if result.error is not None:
        failures.append(Failure("simulation", result.error, None, None, sc.where()))
    failures += check_expectations(result, sc)
    if result.unused_inputs:
        left = ", ".join(str(i) for i in result.unused_inputs)
        failures.append(
            Failure(
                "inputs",
                f"{len(result.unused_inputs)} input(s) were never asked for: {left}",
                None,
                None,
                sc.where("inputs"),
            )
        )
    out.failures = failures
    out.elapsed = time.perf_counter() - t0
    return out


def run_tests(
    paths: Sequence[Path],
    *,
    min_coverage: float | None = None,
    reporter: Reporter | None = None,
    select: Callable[[Scenario], bool] | None = None,
    asr: bool = True,
) -> TestRun:
    rep = reporter or Reporter()
    files, problems = discover(paths)
    run = TestRun(min_coverage=min_coverage, problems=problems)
    flows: dict[Path, CompiledFlow | FlowLoadError] = {}
    for path in files:
        name = display_path(path)
        rep.file_started(name)
        fr = FileResult(name)
        run.files.append(fr)
        try:
            sf: ScenarioFile = load_scenario_file(path, name)
        except FlowcError as exc:
            fr.diagnostics = exc.diagnostics
            fr.problem = f"{name} is not a valid scenario file"
            try:  # bounded: the file may be a FIFO or a device
                data = read_bounded(path, MAX_SCENARIO_BYTES)
                fr.sources[name] = data.decode("utf-8", errors="replace")
            except OSError:
                pass
            rep.file_done(fr)
            continue
        if sf.doc is not None:
            fr.sources[name] = sf.doc.text
        key = sf.flow.resolve()
        fr.flow_file = display_path(sf.flow)
        if key not in flows:
            try:
                flows[key] = compile_file(sf.flow)
            except FlowLoadError as exc:
                flows[key] = exc
        compiled = flows[key]
        if isinstance(compiled, FlowLoadError):
            fr.diagnostics = compiled.diagnostics
            fr.sources.update(compiled.sources)
            fr.problem = f"{compiled}: fix the flow first (`flowc check {fr.flow_file}`)"
            rep.file_done(fr)
            continue
        fr.flow = compiled.name
        cov = run.coverage.get(str(key))
        if cov is None:
            cov = run.coverage[str(key)] = FlowCoverage(compiled.name, fr.flow_file, compiled.edges)
        for sc in sf.scenarios:
            if select is not None and not select(sc):
                continue
            res = run_scenario(compiled, sc, name, asr=asr)
            fr.results.append(res)
            if res.result is not None:
                cov.add(res.result.path, res.result.edges)
            rep.scenario_done(res)
        rep.file_done(fr)
    return run


# ------------------------------------------------------------------------------ reports


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _clip(text: str, width: int = 400) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def trace_tail(result: SimResult, n: int = TRACE_TAIL) -> list[str]:
    steps = [s for s in result.trace if s.kind != "event" or s.detail.get("type") != "prompt_done"]
    out = []
    for s in steps[-n:]:
        out.append(f"{s.at:%H:%M:%S} {s.node or '-'} {s.kind}: {s.why}")
    return out


def failure_report(res: ScenarioResult) -> str:
    lines: list[str] = []
    for f in res.failures:
        where = f"{f.where.file}:{f.where.line}: " if f.where is not None else ""
        lines.append(f"{where}{f.step}: {f.message}")
        if f.expected is not None or f.got is not None:
            lines.append(f"    expected: {_clip(_show(f.expected))}")
            lines.append(f"    got:      {_clip(_show(f.got))}")
    r = res.result
    if r is not None:
        lines.append(f"  path: {' > '.join(r.path)}")
        if r.outcome:
            detail = ", ".join(
                f"{k}={v}"
                for k, v in r.outcome.items()
                if k not in ("kind", "node") and v is not None
            )
            lines.append(
                f"  outcome: {r.outcome.get('kind')} at `{r.outcome.get('node')}` ({detail})"
            )
        lines.append(f"  trace (last {min(TRACE_TAIL, len(r.trace))} steps):")
        lines += [f"    {t}" for t in trace_tail(r)]
    return "\n".join(lines)


def render_text(run: TestRun, *, coverage: bool = True) -> str:
    """Everything after the progress dots: failures, coverage, the summary (last line)."""
    from flowc.render import render_text as render_diags

    out: list[str] = []
    failures = [r for r in run.results if not r.skipped and not r.passed]
    broken = [f for f in run.files if f.broken]
    if failures or broken:
        out.append("")
        out.append(" FAILURES ".center(78, "="))
        for fr in broken:
            out.append(f" {fr.file} ".center(78, "_"))
            out.append(fr.problem or "")
            if fr.diagnostics:
                out.append(render_diags(fr.diagnostics, fr.sources).rstrip())
        for res in failures:
            out.append(f" {res.title} ".center(78, "_"))
            out.append(failure_report(res))
    for p in run.problems:
        out.append(f"error: {p}")
    skipped = [r for r in run.results if r.skipped]
    if skipped:
        out.append("")
        for r in skipped:
            out.append(f"skipped: {r.title} ({r.scenario.skip})")
    if coverage and run.coverage:
        out.append("")
        out.append("coverage")
        out.append(coverage_table(list(run.coverage.values())))
    for c in run.below_min:
        out.append(
            f"coverage of {c.flow} is {c.edges.percent:.1f}% of edges, below --min-coverage "
            f"{run.min_coverage:g}%"
        )
    out.append(run.summary)
    return "\n".join(out)


def render_json(run: TestRun) -> str:
    files = []
    for fr in run.files:
        scenarios = []
        for res in fr.results:
            r = res.result
            scenarios.append(
                {
                    "name": res.scenario.name,
                    "line": res.scenario.line,
                    "status": "skipped" if res.skipped else ("passed" if res.passed else "failed"),
                    "failures": [f.to_json() for f in res.failures],
                    "path": r.path if r is not None else None,
                    "outcome": r.outcome if r is not None else None,
                    "seconds": round(res.elapsed, 4),
                }
            )
        files.append(
            {
                "file": fr.file,
                "flow_file": fr.flow_file,
                "flow": fr.flow,
                "problem": fr.problem,
                "diagnostics": [
                    {"code": d.code, "message": d.message, "where": str(d.span), "hint": d.hint}
                    for d in fr.diagnostics
                ],
                "scenarios": scenarios,
            }
        )
    doc = {
        "files": files,
        "coverage": [c.to_json() for c in run.coverage.values()],
        "min_coverage": run.min_coverage,
        "below_min_coverage": [c.flow for c in run.below_min],
        "problems": run.problems,
        "summary": {"passed": run.passed, "failed": run.failed, "skipped": run.skipped},
        "ok": run.exit_code == 0,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"


def junit_xml(run: TestRun) -> ET.ElementTree:
    """JUnit XML: one <testsuite> per scenario file, one <testcase> per scenario."""
    root = ET.Element("testsuites", name="flowc test")
    total = fails = skips = 0
    seconds = 0.0
    for fr in run.files:
        suite = ET.SubElement(root, "testsuite", name=fr.file, file=fr.file)
        if fr.flow:
            props = ET.SubElement(suite, "properties")
            ET.SubElement(props, "property", name="flow", value=fr.flow)
            ET.SubElement(props, "property", name="flow_file", value=fr.flow_file or "")
        n = f = s = 0
        t = 0.0
        if fr.broken:
            n, f = 1, 1
            case = ET.SubElement(suite, "testcase", name=fr.file, classname=fr.file, file=fr.file)
            el = ET.SubElement(case, "failure", message=fr.problem or "", type="InvalidFile")
            el.text = "\n".join(f"{d.code} {d.span} {d.message}" for d in fr.diagnostics)
        for res in fr.results:
            n += 1
            t += res.elapsed
            case = ET.SubElement(
                suite,
                "testcase",
                name=res.scenario.name,
                classname=fr.flow or fr.file,
                file=fr.file,
                line=str(res.scenario.line or 0),
                time=f"{res.elapsed:.4f}",
            )
            if res.skipped:
                s += 1
                ET.SubElement(case, "skipped", message=res.scenario.skip or "")
            elif not res.passed:
                f += 1
                first = res.failures[0]
                el = ET.SubElement(
                    case,
                    "failure",
                    message=f"{first.step}: {first.message}",
                    type="ExpectationFailed",
                )
                el.text = failure_report(res)
        suite.set("tests", str(n))
        suite.set("failures", str(f))
        suite.set("errors", "0")
        suite.set("skipped", str(s))
        suite.set("time", f"{t:.4f}")
        total, fails, skips, seconds = total + n, fails + f, skips + s, seconds + t
    root.set("tests", str(total))
    root.set("failures", str(fails))
    root.set("errors", "0")
    root.set("skipped", str(skips))
    root.set("time", f"{seconds:.4f}")
    tree = ET.ElementTree(root)
    ET.indent(tree)
    return tree


def write_junit(run: TestRun, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    junit_xml(run).write(path, encoding="utf-8", xml_declaration=True)


__all__ = [
    "FileResult",
    "Reporter",
    "ScenarioResult",
    "TestRun",
    "discover",
    "failure_report",
    "junit_xml",
    "render_json",
    "render_text",
    "run_scenario",
    "run_tests",
    "write_junit",
]
