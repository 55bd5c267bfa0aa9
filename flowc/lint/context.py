"""What a lint rule sees: the validated flow, its source, its graph and the configuration.

Rules report through `LintContext.diag`, naming a *path* into the source document; the path
is turned into file:line:col here, so a rule never deals with positions and fires at the
same place in YAML and DSL sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path as FsPath
from typing import Any, Literal, NamedTuple

import networkx as nx
from pydantic import BaseModel

from flowc.analysis.graph import build_graph
from flowc.diagnostics import Diagnostic, Severity
from flowc.gcpause import gc_paused
from flowc.ir.edges import node_edges
from flowc.lang.expr import (
    Call,
    Expr,
    ExprError,
    Name,
    StrLit,
    Type,
    TypeEnv,
    TypeIssue,
    check_condition,
    check_expr,
    parse_expr,
    walk,
)
from flowc.lang.template import check_template, parse_template
from flowc.lint.config import LintConfig
from flowc.model.flow import Flow
from flowc.model.nodes import (
    CallbackNode,
    CollectNode,
    MenuNode,
    QueueNode,
    RecordNode,
    SurveyNode,
    SwitchNode,
    TransferNode,
)
from flowc.model.prompts import Prompt, PromptPart
from flowc.source.document import Path, SourceDoc, Span

Usage = Literal["expr", "template", "url"]

_NEWLINE_RE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class ExprSite:
    """One expression or template written in the flow, and where."""

    path: Path
    text: str
    usage: Usage
    node: str | None  # None for header definitions
    # Where the value goes: "prompt", "url", "header", "param", "set", "condition", ...
    role: str
    target: str | None = None  # for `set`: the variable assigned


class NameUse(NamedTuple):
    """A name (or an `in_hours` schedule name) read at `site.text[start:end]`."""

    site: ExprSite
    name: str
    start: int
    end: int


@dataclass(frozen=True)
class SiteCheck:
    """One site, parsed and checked: the syntax error, or its type, issues and names."""

    site: ExprSite
    error: ExprError | None
    type: Type | None
    issues: list[TypeIssue]
    names: list[NameUse]
    schedule_calls: list[NameUse]
    single_hole: bool  # a template that is exactly one hole (or an expression)
    literal: bool  # a template without holes
    # The parsed expressions (a condition, or the holes of a template) and their offsets.
    exprs: list[tuple[int, Expr]] = field(default_factory=list)


@dataclass
class LintContext:
    flow: Flow
    doc: SourceDoc
    config: LintConfig = field(default_factory=LintConfig)
    # Subflow modules loaded by the caller, by the path written in the flow.
    modules: dict[str, Flow | None] = field(default_factory=dict)
    # What is wrong with those paths (outside the project, a cycle): `pipeline.ModuleIssue`s.
    module_issues: dict[str, Any] = field(default_factory=dict)

    def diag(
        self,
        code: str,
        severity: Severity,
        message: str,
        path: Path,
        *,
        hint: str | None = None,
        key: bool = False,
    ) -> Diagnostic:
        sev = self.config.severity.get(code, severity)
        return Diagnostic(code, sev, message, self.doc.span_of(path, key=key), hint)

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        return build_graph(self.flow)

    @cached_property
    def reachable(self) -> set[str]:
        """Nodes reachable from the entry node (the entry included)."""
        entry = self.flow.entry
        if entry is None or entry not in self.flow.nodes:
            return set()
        seen = {entry}
        todo = [entry]
        succ = self.succ
        while todo:
            for t in succ[todo.pop()]:
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        return seen

    @property
    def base_dir(self) -> FsPath:
        return FsPath(self.flow.file).parent

    # ------------------------------------------------------------ shared, computed once

    @cached_property
    def order(self) -> dict[str, int]:
        """Node name -> its position in the file (for stable, author-order reporting)."""
        return {node_id: i for i, node_id in enumerate(self.flow.nodes)}

    @cached_property
    def succ(self) -> dict[str, list[str]]:
        """Successors of every node among existing nodes (agent-key edges included, no
        duplicates, in edge order). Dangling targets are left out: FL201 reports them."""
        nodes = self.flow.nodes
        agent = self.flow.header.agent_key
        escalate = self.flow.header.escalate
        out: dict[str, list[str]] = {}
        for node_id, node in nodes.items():
            targets = [e.target for e in node_edges(node, agent)]
            if escalate and node.kind in ("menu", "collect", "subflow"):
                # a failed input (a module's too) may spend the call's budget
                targets.append(escalate.goto)
            out[node_id] = list(dict.fromkeys(t for t in targets if t in nodes))
        return out

    @cached_property
    def has_dangling(self) -> set[str]:
        """Nodes with at least one continuation naming a node that does not exist."""
        nodes = self.flow.nodes
        return {
            n for n, node in nodes.items() if any(e.target not in nodes for e in node_edges(node))
        }

    @cached_property
    def pred(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {n: [] for n in self.flow.nodes}
        for node_id, targets in self.succ.items():
            for t in targets:
                out[t].append(node_id)
        return out

    @cached_property
    def components(self) -> list[list[str]]:
        """Strongly connected components of the call graph, members in file order."""
        return strongly_connected(self.flow.nodes, self.succ, self.order)

    def raw(self, path: Path) -> Any:
        """The plain source data at `path`, or None when the path does not exist."""
        cur: Any = self.doc.data
        for item in path:
            if isinstance(cur, dict) and isinstance(item, str) and item in cur:
                cur = cur[item]
            elif isinstance(cur, list) and isinstance(item, int) and 0 <= item < len(cur):
                cur = cur[item]
            else:
                return None
        return cur

    def part_path(self, base: Path, loc: str, index: int, part: PromptPart) -> Path:
        """The source path of one prompt part (as precise as the written shape allows)."""
        p: Path = base
        raw = self.raw(p)
        if loc and isinstance(raw, dict) and loc in raw:
            p = (*p, loc)
            raw = raw[loc]
        if isinstance(raw, list) and index < len(raw):
            p = (*p, index)
            raw = raw[index]
        key = {"ref": "prompt"}.get(part.kind, part.kind)
        if isinstance(raw, dict) and key in raw:
            p = (*p, key)
            if part.kind == "say" and isinstance(raw[key], dict) and part.say_as in raw[key]:
                p = (*p, part.say_as or "")
        return p

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        for m in _NEWLINE_RE.finditer(self.doc.text):
            starts.append(m.end())
        return starts

    def _char_at(self, line: int, col: int) -> str:
        starts = self._line_starts
        if not 1 <= line <= len(starts):
            return ""
        pos = starts[line - 1] + col - 1
        return self.doc.text[pos] if 0 <= pos < len(self.doc.text) else ""

    def text_span(self, path: Path, text: str, start: int, end: int) -> Span:
        """The span of `text[start:end]` where `text` is the string written at `path`.

        Exact when the value is a plain or quoted scalar on one line that reads as `text`
        (escapes aside); otherwise the span of the whole value.
        """
        span = self.doc.span_of(path)
        if (
            path not in self.doc.spans
            or span.line != span.end_line
            or not isinstance(self.raw(path), str)
            or self.raw(path) != text
        ):
            return span
        col = span.col + (1 if self._char_at(span.line, span.col) in ("'", '"') else 0)
        start = max(0, min(start, len(text)))
        end = max(start, min(end, len(text)))
        return Span(span.file, span.line, col + start, span.line, col + max(end, start + 1))

    def diag_at(
        self,
        code: str,
        severity: Severity,
        message: str,
        span: Span,
        *,
        hint: str | None = None,
    ) -> Diagnostic:
        """Like `diag`, for a span already resolved (e.g. with `text_span`)."""
        sev = self.config.severity.get(code, severity)
        return Diagnostic(code, sev, message, span, hint)

    # ------------------------------------------------------------ definitions and expressions

    @cached_property
    def definitions(self) -> dict[str, set[str]]:
        """Names defined in the header, by section (schedules as written, even if invalid)."""
        h = self.flow.header
        raw_schedules = self.raw(("schedules",))
        schedules = set(self.flow.schedules)
        if isinstance(raw_schedules, dict):
            schedules |= {str(k) for k in raw_schedules}
        return {
            "variables": set(h.variables),
            "prompts": set(h.prompts),
            "schedules": schedules,
            "services": set(h.services),
            "queues": set(h.queues),
            "numbers": set(h.numbers),
            "mailboxes": set(h.mailboxes),
        }

    @cached_property
    def input_targets(self) -> dict[str, str]:
        """Variables written by callers' input: collect `into` and record targets -> kind."""
        out: dict[str, str] = {}
        for node in self.flow.nodes.values():
            match node:
                case CollectNode():
                    out.setdefault(node.collect.into, "collect")
                case RecordNode():
                    out.setdefault(node.record, "record")
        return out

    @cached_property
    def survey_types(self) -> dict[str, Type]:
        """Survey question id -> the type of its answer: yes/no answers are booleans."""
        return {
            q.id: Type.BOOL if q.scale == "yes_no" else Type.INT
            for node in self.flow.nodes.values()
            if isinstance(node, SurveyNode)
            for q in node.survey
        }

    @property
    def survey_ids(self) -> set[str]:
        return set(self.survey_types)

    @cached_property
    def type_env(self) -> TypeEnv:
        """What expressions may read everywhere (`result.*` is added for fetch/subflow `set`).

        `in_hours` schedule names are not checked here (FL205 does, with the other names).
        """
        h = self.flow.header
        names: dict[str, Type] = {}
        for name in self.input_targets:
            names[name] = Type.STRING
        for name, vtype in h.params.items():
            names[name] = Type.from_name(vtype)
        for name, var in h.variables.items():
            names[name] = Type.from_name(var.type)
        env = TypeEnv.standard(names, schedules=None, result=False)
        env.open_namespaces.pop("survey", None)
        env.declare_closed("survey", dict(self.survey_types))
        return env

    @cached_property
    def _result_env(self) -> TypeEnv:
        return self.type_env.copy().declare_open("result", Type.ANY)

    @cached_property
    def _key_env(self) -> TypeEnv:
        return self.type_env.copy().declare("key", Type.STRING)

    def env_for(self, site: ExprSite) -> TypeEnv:
        if site.role == "option_prompt":
            return self._key_env
        if site.role == "set" and site.node is not None:
            kind = self.flow.nodes[site.node].kind
            if kind in ("fetch", "subflow"):
                return self._result_env
        return self.type_env

    @cached_property
    def checked_sites(self) -> list[SiteCheck]:
        """Every site parsed and type-checked once: shared by the FL2xx and FL5xx rules."""
        with gc_paused():
            return [self._check_site(site) for site in self.sites()]

    def _check_site(self, site: ExprSite) -> SiteCheck:
        env = self.env_for(site)
        key = (site.usage, site.role == "condition", site.text, id(env))
        found = self._analyses.get(key)
        if found is None:
            found = self._analyses[key] = _analyse(site, env)
        error, type_, issues, holes, single, literal, names, calls = found
        return SiteCheck(
            site,
            error,
            type_,
            issues,
            [NameUse(site, n, a, b) for n, a, b in names],
            [NameUse(site, n, a, b) for n, a, b in calls],
            single,
            literal,
            holes,
        )

    @cached_property
    def _analyses(self) -> dict[tuple[str, bool, str, int], _Analysis]:
        """Memo of `_analyse` by text and environment: flows repeat many texts."""
        return {}

    def site_span(self, site: ExprSite, start: int, end: int) -> Span:
        """The span of `site.text[start:end]` (the whole site when it cannot be exact)."""
        return self.text_span(site.path, site.text, start, end)

    @cached_property
    def name_uses(self) -> list[NameUse]:
        return [use for c in self.checked_sites for use in c.names]

    @cached_property
    def names_read(self) -> set[str]:
        """Every (dotted) name read anywhere in the flow."""
        return {use.name for use in self.name_uses}

    @cached_property
    def node_reads(self) -> dict[str, set[str]]:
        """Node name -> the names its own expressions and templates read."""
        out: dict[str, set[str]] = {}
        for use in self.name_uses:
            if use.site.node is not None:
                out.setdefault(use.site.node, set()).add(use.name)
        return out

    @cached_property
    def schedule_calls(self) -> list[NameUse]:
        """`in_hours("name")` calls: the schedule name and where it is written."""
        return [use for c in self.checked_sites for use in c.schedule_calls]

    @cached_property
    def result_reads(self) -> dict[str, list[NameUse]]:
        """Fetch/subflow node -> reads of `result` / `result.X` in its `set`."""
        out: dict[str, list[NameUse]] = {}
        for use in self.name_uses:
            site = use.site
            if (
                site.role == "set"
                and site.node is not None
                and (use.name == "result" or use.name.startswith("result."))
            ):
                out.setdefault(site.node, []).append(use)
        return out

    @cached_property
    def assigned(self) -> dict[str, set[str]]:
        """Node name -> variables its `set` (set, fetch or subflow node) assigns."""
        out: dict[str, set[str]] = {}
        for node_id, node in self.flow.nodes.items():
            mapping = node_field(node, "set")
            if isinstance(mapping, dict) and mapping:
                out[node_id] = set(mapping)
        return out

    @cached_property
    def menu_depths(self) -> tuple[dict[str, int], dict[str, str | None]]:
        """Menus on the shortest path from the entry: depth and BFS parent (see
        flowc.analysis.stats.menu_depths, which `flowc stats` reports from too)."""
        from flowc.analysis.stats import menu_depths

        succ = self.succ
        return menu_depths(self.flow, lambda u: succ.get(u, ()))

    def prompts(self) -> Iterator[tuple[Path, Prompt, str | None]]:
        """Every prompt in the flow: (path, prompt, node name or None for header prompts)."""
        return iter(self._prompt_list)

    @cached_property
    def _prompt_list(self) -> list[tuple[Path, Prompt, str | None]]:
        out: list[tuple[Path, Prompt, str | None]] = []
        for name, prompt in self.flow.header.prompts.items():
            out.append((("prompts", name), prompt, None))
        for node_id, node in self.flow.nodes.items():
            base: Path = ("nodes", node_id)
            out.extend((p, pr, node_id) for p, pr in _node_prompts(node, base))
        return out

    def sites(self) -> Iterator[ExprSite]:
        """Every expression and template in the flow, with its role."""
        h = self.flow.header
        for name, svc in h.services.items():
            p: Path = ("services", name)
            yield ExprSite((*p, "url"), svc.url, "url", None, "url")
            for k, v in svc.headers.items():
                yield ExprSite((*p, "headers", k), v, "template", None, "header")
            for k, v in (svc.body or {}).items():
                yield ExprSite((*p, "body", k), v, "template", None, "body")
        for name, number in h.numbers.items():
            yield ExprSite(("numbers", name), number, "template", None, "number")
        for path, prompt, node_id in self.prompts():
            # an option's fragment may read `{key}`: the key it is offered on
            role = "option_prompt" if path[2:4] == ("menu", "options") else "prompt"
            for loc, i, part in prompt.parts():
                if part.kind in ("tts", "say"):
                    yield ExprSite(
                        self.part_path(path, loc, i, part),
                        part.text,
                        "template",
                        node_id,
                        role,
                    )
        for node_id, node in self.flow.nodes.items():
            base: Path = ("nodes", node_id)
            if isinstance(node, SwitchNode):
                for i, rule in enumerate(node.switch):
                    yield ExprSite(
                        (*base, "switch", i, "if"), rule.if_, "expr", node_id, "condition"
                    )
            elif isinstance(node, MenuNode):
                menu = node.menu
                for opt in menu.entries():
                    where: Path = (*base, "menu", *opt.path)
                    if opt.when is not None:
                        yield ExprSite((*where, "when"), opt.when, "expr", node_id, "condition")
                    if opt.rank is not None:
                        yield ExprSite((*where, "rank"), opt.rank, "expr", node_id, "rank")
                if menu.first is not None:
                    yield ExprSite(
                        (*base, "menu", "first"), menu.first, "template", node_id, "first"
                    )
            for fname in _mapping_fields(type(node)):
                mapping = _field(node, fname)
                if isinstance(mapping, dict):
                    for var, text in mapping.items():
                        yield ExprSite(
                            (*base, fname, var),
                            text,
                            "template",
                            node_id,
                            "set" if fname == "set" else fname,
                            var if fname == "set" else None,
                        )
            match node:
                case QueueNode():
                    yield ExprSite(
                        (*base, "priority"), node.priority, "template", node_id, "priority"
                    )
                case TransferNode():
                    yield ExprSite(
                        (*base, "transfer"), node.transfer, "template", node_id, "transfer"
                    )
                case CallbackNode():
                    yield ExprSite(
                        (*base, "callback", "number"),
                        node.callback.number,
                        "template",
                        node_id,
                        "callback",
                    )


_Found = list[tuple[str, int, int]]
_Analysis = tuple[
    ExprError | None,
    Type | None,
    list[TypeIssue],
    list[tuple[int, Expr]],
    bool,
    bool,
    _Found,
    _Found,
]


def _analyse(site: ExprSite, env: TypeEnv) -> _Analysis:
    """Parse and check one site's text: (error, type, issues, exprs, single hole, literal,
    names read, `in_hours` schedule names), with offsets into the text."""
    try:
        if site.usage == "expr":
            expr = parse_expr(site.text)
            holes: list[tuple[int, Expr]] = [(0, expr)]
            if site.role == "condition":
                type_, issues = Type.BOOL, check_condition(expr, env)
            else:
                type_, issues = check_expr(expr, env)
            single, literal = True, False
        else:
            tpl = parse_template(site.text)
            holes = [(h.start, h.expr) for h in tpl.holes]
            type_, issues = check_template(tpl, env)
            single, literal = tpl.is_single_hole, tpl.is_literal
    except ExprError as exc:
        return exc, None, [], [], False, False, [], []
    names: _Found = []
    calls: _Found = []
    for offset, expr in holes:
        for node in walk(expr):
            if isinstance(node, Name):
                names.append((node.name, offset + node.start, offset + node.end))
            elif (
                isinstance(node, Call)
                and node.func == "in_hours"
                and len(node.args) == 1
                and isinstance(node.args[0], StrLit)
            ):
                arg = node.args[0]
                calls.append((arg.value, offset + arg.start, offset + arg.end))
    return None, type_, issues, holes, single, literal, names, calls


_FIELDS: dict[type, frozenset[str]] = {}


def node_field(model: BaseModel, name: str) -> Any:
    """`model.<name>` when the model has that field, else None.

    Much faster than `getattr(model, name, None)` on pydantic models, whose attribute-miss
    path raises internally (it matters on flows with thousands of nodes).
    """
    return getattr(model, name) if name in _fields(type(model)) else None


def _field(node: BaseModel, name: str) -> Any:
    return node_field(node, {"with": "with_", "return": "return_"}.get(name, name))


def _fields(cls: type[BaseModel]) -> frozenset[str]:
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = frozenset(cls.model_fields)
    return fields


_MAPPING_FIELDS: dict[type, tuple[str, ...]] = {}


def _mapping_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """Which of `set`, `params`, `with`, `return` (template mappings) a node class has."""
    found = _MAPPING_FIELDS.get(cls)
    if found is None:
        attrs = _fields(cls)
        found = _MAPPING_FIELDS[cls] = tuple(
            f
            for f in ("set", "params", "with", "return")
            if {"with": "with_", "return": "return_"}.get(f, f) in attrs
        )
    return found


# Per node class: where its prompts are, as (body field or None, field, is an escalation list).
_PROMPT_PLAN: dict[type, tuple[tuple[str | None, str, bool], ...]] = {}


def _prompt_plan(node: Any) -> tuple[tuple[str | None, str, bool], ...]:
    cls = type(node)
    plan = _PROMPT_PLAN.get(cls)
    if plan is None:
        steps: list[tuple[str | None, str, bool]] = []
        for body_name in ("menu", "collect", "callback"):
            body = node_field(node, body_name)
            if body is not None:
                body_fields = _fields(type(body))
                steps += [(body_name, f, False) for f in ("prompt", "confirm") if f in body_fields]
                steps += [
                    (body_name, f, True) for f in ("no_input", "no_match") if f in body_fields
                ]
        steps += [(None, f, False) for f in ("play", "prompt", "thanks") if f in _fields(cls)]
        plan = _PROMPT_PLAN[cls] = tuple(steps)
    return plan


def _node_prompts(node: Any, base: Path) -> Iterator[tuple[Path, Prompt]]:
    for body_name, fname, escalation in _prompt_plan(node):
        owner = node if body_name is None else getattr(node, body_name)
        value = getattr(owner, fname)
        where: Path = base if body_name is None else (*base, body_name)
        if not escalation:
            if isinstance(value, Prompt):
                yield (*where, fname), value
        elif len(value) == 1:
            yield (*where, fname), value[0]
        else:
            for i, pr in enumerate(value):
                yield (*where, fname, i), pr
    if isinstance(node, SurveyNode):
        for i, q in enumerate(node.survey):
            yield (*base, "survey", i, "ask"), q.ask
    elif isinstance(node, MenuNode):
        for opt in node.menu.entries():
            if opt.say is not None:
                yield (*base, "menu", *opt.path, "say"), opt.say


def strongly_connected(
    nodes: Iterable[str], succ: Mapping[str, list[str]], order: Mapping[str, int]
) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit on big flows).

    Only nodes in `nodes` are visited; successors outside it are ignored. Components come
    out in reverse topological order (a component before those that lead to it); members of
    each component are sorted by `order`.
    """
    members = set(nodes)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(members, key=lambda n: order.get(n, 0)):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, i = work[-1]
            targets = succ.get(v, [])
            while i < len(targets) and targets[i] not in members:
                i += 1
            if i < len(targets):
                work[-1] = (v, i + 1)
                w = targets[i]
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                comp: list[str] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    comp.sort(key=lambda n: order.get(n, 0))
                out.append(comp)
    return out
