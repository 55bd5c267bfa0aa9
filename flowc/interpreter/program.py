"""Program: one flow's IR compiled for execution, once, and shared by all its calls.

Everything that does not depend on a call is done here: templates and conditions parsed,
prompts resolved per locale, schedules loaded, regular expressions compiled, node fields
defaulted. A `Program` is never mutated after `from_ir` returns, so any number of calls (and
threads) may share it.

Built from the typed IR only (`flowc.ir`; a JSON flow of `bundle.json` is read into it first):
never from the model or the source files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from flowc import ir
from flowc.hours import Schedule
from flowc.interpreter.prompts import (
    CompiledPrompt,
    ProgramError,
    PromptCompiler,
    compile_template,
    template_roots,
)
from flowc.ir import nodes as ir_nodes
from flowc.ir.codec import IRError
from flowc.ir.flow import FlowIR
from flowc.lang.expr import Expr, ExprError, parse_expr
from flowc.lang.regex import Regex, RegexError, compile_regex
from flowc.lang.template import Template

SUPPORTED_IR_VERSION = ir.IR_VERSION
DEFAULT_PATTERN = r"\d+"
_EMPTY: Mapping[str, Any] = MappingProxyType({})

# (name, template, first segments of the names it reads: for sensitivity tracking)
Assignments = tuple[tuple[str, Template, frozenset[str]], ...]


def normalize_speech(text: str) -> str:
    """Speech keyword comparison form: case-folded, all white space removed."""
    return "".join(text.casefold().split())


@dataclass(frozen=True, slots=True)
class VarDef:
    type: str
    default: Any
    sensitive: bool


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    url: Template
    method: str
    headers: Assignments
    body: Assignments | None
    timeout_ms: int
    retries: int
    roots: frozenset[str]


@dataclass(frozen=True, slots=True)
class NodeBase:
    id: str

    kind = "node"


@dataclass(frozen=True, slots=True)
class MenuN(NodeBase):
    prompt: CompiledPrompt
    options: Mapping[str, str]
    speech: tuple[tuple[str, str, str], ...]  # (normalized word, word as written, target)
    keywords: tuple[str, ...]  # the words as written, for the recogniser
    timeout_ms: int
    inter_digit_timeout_ms: int
    retries: int
    no_input: tuple[CompiledPrompt, ...]
    no_match: tuple[CompiledPrompt, ...]
    on_fail: str | None
    repeat_key: str | None
    agent_key: bool
    on_no_input: str | None = None

    kind = "menu"


@dataclass(frozen=True, slots=True)
class CollectN(NodeBase):
    into: str
    prompt: CompiledPrompt
    min: int
    max: int
    terminator: str | None
    regex: str
    pattern: Regex | None
    timeout_ms: int
    inter_digit_timeout_ms: int
    retries: int
    no_input: tuple[CompiledPrompt, ...]
    no_match: tuple[CompiledPrompt, ...]
    confirm: CompiledPrompt | None
    sensitive: bool
    speech: bool
    on_fail: str | None
    next: str | None

    kind = "collect"


@dataclass(frozen=True, slots=True)
class Rule:
    text: str
    expr: Expr
    goto: str


@dataclass(frozen=True, slots=True)
class SwitchN(NodeBase):
    rules: tuple[Rule, ...]
    default: str

    kind = "switch"


@dataclass(frozen=True, slots=True)
class HoursN(NodeBase):
    schedule: str
    open: str
    closed: str
    holiday: str | None
    emergency: str | None

    kind = "hours"


@dataclass(frozen=True, slots=True)
class FetchN(NodeBase):
    service: str
    params: Assignments
    set: Assignments
    next: str
    on_error: str | None
    on_timeout: str | None

    kind = "fetch"


@dataclass(frozen=True, slots=True)
class SetN(NodeBase):
    set: Assignments
    next: str

    kind = "set"


@dataclass(frozen=True, slots=True)
class PlayN(NodeBase):
    prompt: CompiledPrompt
    next: str

    kind = "play"


@dataclass(frozen=True, slots=True)
class QueueN(NodeBase):
    queue: str
    priority: Template
    announce: str
    announce_every_ms: int
    max_wait_ms: int | None
    exit_key: str | None
    on_timeout: str | None
    on_no_agent: str | None
    on_exit: str | None
    after: str | None

    kind = "queue"


@dataclass(frozen=True, slots=True)
class TransferN(NodeBase):
    target: Template
    mode: Literal["blind", "warm"]
    prompt: CompiledPrompt | None
    on_fail: str | None

    kind = "transfer"


@dataclass(frozen=True, slots=True)
class VoicemailN(NodeBase):
    mailbox: str
    prompt: CompiledPrompt | None
    max_length_ms: int
    next: str | None

    kind = "voicemail"


@dataclass(frozen=True, slots=True)
class RecordN(NodeBase):
    var: str
    prompt: CompiledPrompt | None
    max_length_ms: int
    beep: bool
    next: str | None

    kind = "record"


@dataclass(frozen=True, slots=True)
class CallbackN(NodeBase):
    number: Template
    prompt: CompiledPrompt | None
    confirm: CompiledPrompt | None
    next: str | None

    kind = "callback"


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    ask: CompiledPrompt
    scale: str
    retries: int


@dataclass(frozen=True, slots=True)
class SurveyN(NodeBase):
    questions: tuple[Question, ...]
    thanks: CompiledPrompt | None
    next: str | None

    kind = "survey"


@dataclass(frozen=True, slots=True)
class SubflowN(NodeBase):
    path: str
    with_: Assignments
    set: Assignments
    next: str

    kind = "subflow"


@dataclass(frozen=True, slots=True)
class ReturnN(NodeBase):
    values: Assignments

    kind = "return"


@dataclass(frozen=True, slots=True)
class HangupN(NodeBase):
    cause: str
    prompt: CompiledPrompt | None

    kind = "hangup"


@dataclass(frozen=True, slots=True)
class GotoN(NodeBase):
    goto: str

    kind = "goto"


Node = (
    MenuN
    | CollectN
    | SwitchN
    | HoursN
    | FetchN
    | SetN
    | PlayN
    | QueueN
    | TransferN
    | VoicemailN
    | RecordN
    | CallbackN
    | SurveyN
    | SubflowN
    | ReturnN
    | HangupN
    | GotoN
)


@dataclass(frozen=True, eq=False)
class Program:
    """A compiled flow. Build with `Program.from_ir(ir, modules)`; immutable afterwards."""

    name: str
    entry: str
    default_locale: str
    locales: tuple[str, ...]
    agent_key: tuple[str, str] | None  # (key, target node)
    variables: Mapping[str, VarDef]
    params: Mapping[str, str]
    sensitive: frozenset[str]  # variables whose values are never shown in clear
    schedules: Mapping[str, Schedule]
    services: Mapping[str, Service]
    numbers: Mapping[str, Template]
    nodes: Mapping[str, Node]
    modules: Mapping[str, Program]  # subflow path -> module program
    hash: str | None

    @classmethod
    def from_ir(
        cls,
        ir: FlowIR | Mapping[str, Any],
        modules: Mapping[str, FlowIR | Mapping[str, Any]] = _EMPTY,
    ) -> Program:
        """Compile `ir`; `modules` maps subflow paths (as written in `subflow:`) to module IR.
        Either may be the typed IR or its JSON form (a flow of `bundle.json`).

        Raises `ProgramError` on IR this interpreter cannot run (wrong version, unknown node
        kind, unparsable template or condition, a subflow path without its module...).
        """
        return _Builder(modules).build(ir, "<main>")

    def __repr__(self) -> str:
        return f"<Program {self.name} ({len(self.nodes)} nodes)>"


def read_ir(raw: FlowIR | Mapping[str, Any], label: str) -> FlowIR:
    """The typed IR of a flow given either way; `ProgramError` when it is not one."""
    if isinstance(raw, FlowIR):
        return raw
    if not isinstance(raw, Mapping) or raw.get("ir") != "flowc-ir":
        raise ProgramError(f"{label}: not a compiled flow (expected `ir: flowc-ir`)")
    if raw.get("version") != SUPPORTED_IR_VERSION:
        raise ProgramError(
            f"{label}: IR version {raw.get('version')!r} is not supported"
            f" (this interpreter runs version {SUPPORTED_IR_VERSION})"
        )
    try:
        return FlowIR.from_json(raw)
    except IRError as exc:
        raise ProgramError(str(exc)) from None


class _Builder:
    def __init__(self, modules: Mapping[str, FlowIR | Mapping[str, Any]]) -> None:
        self.module_irs = modules
        self.registry: dict[str, Program] = {}

    def build(self, raw: FlowIR | Mapping[str, Any], label: str) -> Program:
        ir = read_ir(raw, label)
        name = ir.name
        if not ir.nodes:
            raise ProgramError(f"flow `{name}` has no nodes")
        entry = ir.entry or next(iter(ir.nodes))
        if entry not in ir.nodes:
            raise ProgramError(f"flow `{name}`: entry node `{entry}` does not exist")
        default_locale = ir.default_locale or "en-US"
        locales = ir.locales or (default_locale,)
        ak = ir.agent_key
        variables = {
            var: VarDef(spec.type, spec.default, spec.sensitive)
            for var, spec in ir.variables.items()
        }
        for param, type_ in ir.params.items():
            variables.setdefault(param, VarDef(type_, None, False))
        sensitive = {n for n, v in variables.items() if v.sensitive}
        prompts = PromptCompiler(ir.prompts, list(locales), default_locale)
        nodes: dict[str, Node] = {}
        for node_id, raw_node in ir.nodes.items():
            node = _node(node_id, raw_node, prompts)
            nodes[node_id] = node
            if isinstance(node, CollectN) and node.sensitive:
                sensitive.add(node.into)
        modules: dict[str, Program] = {}
        p = Program(
            name=name,
            entry=entry,
            default_locale=default_locale,
            locales=locales,
            agent_key=(ak.key, ak.goto) if ak is not None else None,
            variables=MappingProxyType(variables),
            params=ir.params,
            sensitive=frozenset(sensitive),
            schedules=MappingProxyType({k: _schedule(k, v) for k, v in ir.schedules.items()}),
            services=MappingProxyType({k: _service(k, v) for k, v in ir.services.items()}),
            numbers=MappingProxyType(
                {k: compile_template(v, f"number `{k}`") for k, v in ir.numbers.items()}
            ),
            nodes=MappingProxyType(nodes),
            modules=MappingProxyType(modules),
            hash=ir.hash,
        )
        # Modules are compiled once the program exists, so that a module calling itself (or
        # its caller) resolves to the program being built: the registry holds it already.
        self.registry.setdefault(label, p)
        for node in nodes.values():
            if isinstance(node, SubflowN) and node.path not in modules:
                modules[node.path] = self._module(node.path, name)
        return p

    def _module(self, path: str, caller: str) -> Program:
        if path in self.registry:
            return self.registry[path]
        ir = self.module_irs.get(path)
        if ir is None:
            raise ProgramError(f"flow `{caller}` calls subflow `{path}` but no module IR was given")
        return self.build(ir, path)


def _schedule(name: str, raw: Any) -> Schedule:
    try:
        return Schedule.from_json(raw)
    except ValueError as exc:
        raise ProgramError(f"schedule `{name}`: {exc}") from None


def _assignments(raw: Mapping[str, str], where: str) -> Assignments:
    out = []
    for k, v in raw.items():
        t = compile_template(v, f"{where}.{k}")
        out.append((k, t, template_roots(t)))
    return tuple(out)


def _service(name: str, svc: ir.Service) -> Service:
    url = compile_template(svc.url, f"service `{name}` url")
    headers = _assignments(svc.headers, f"service `{name}` headers")
    body = svc.body
    body_t = _assignments(body, f"service `{name}` body") if body is not None else None
    roots = set(template_roots(url))
    for _, _, used in headers + (body_t or ()):
        roots |= used
    return Service(
        name, url, svc.method, headers, body_t, svc.timeout, svc.retries, frozenset(roots)
    )


def _opt_prompt(
    prompts: PromptCompiler, prompt: ir.Prompt | None, where: str
) -> CompiledPrompt | None:
    return None if prompt is None else prompts.compile(prompt, where)


def _prompt_list(
    prompts: PromptCompiler, items: tuple[ir.Prompt, ...], where: str
) -> tuple[CompiledPrompt, ...]:
    return tuple(prompts.compile(r, f"{where}[{i}]") for i, r in enumerate(items))


def _anchored(pattern: str) -> str:
    return f"^(?:{pattern})$"


def _node(node_id: str, node: ir_nodes.Node, prompts: PromptCompiler) -> Node:
    """The executable form of one IR node: prompts resolved, templates and conditions parsed."""
    where = f"node `{node_id}`"
    match node:
        case ir_nodes.MenuNode(menu=m):
            speech = tuple(
                (normalize_speech(word), word, target) for word, target in m.speech.items()
            )
            return MenuN(
                node_id,
                prompts.compile(m.prompt, f"{where} prompt"),
                m.options,
                speech,
                tuple(word for _, word, _ in speech),
                m.timeout,
                m.inter_digit_timeout,
                max(1, m.retries),
                _prompt_list(prompts, m.no_input, f"{where} no_input"),
                _prompt_list(prompts, m.no_match, f"{where} no_match"),
                m.on_fail,
                m.repeat_key,
                m.agent_key,
                m.on_no_input,
            )
        case ir_nodes.CollectNode(collect=c):
            regex = _anchored(c.pattern or DEFAULT_PATTERN)
            try:
                compiled: Regex | None = compile_regex(regex)
            except RegexError:
                compiled = None  # the switch validates; the interpreter then trusts its verdict
            no_match = _prompt_list(prompts, c.no_match, f"{where} no_match")
            no_input = _prompt_list(prompts, c.no_input, f"{where} no_input")
            return CollectN(
                node_id,
                c.into,
                prompts.compile(c.prompt, f"{where} prompt"),
                c.min,
                c.max,
                c.terminator or None,
                regex,
                compiled,
                c.timeout,
                c.inter_digit_timeout,
                max(1, c.retries),
                no_input,
                no_match,
                _opt_prompt(prompts, c.confirm, f"{where} confirm"),
                c.sensitive,
                c.speech,
                c.on_fail,
                node.next,
            )
        case ir_nodes.SwitchNode():
            rules = []
            for rule in node.switch:
                try:
                    expr = parse_expr(rule.if_)
                except ExprError as exc:
                    raise ProgramError(
                        f"{where}: bad condition {rule.if_!r}: {exc.message}"
                    ) from None
                rules.append(Rule(rule.if_, expr, rule.goto))
            return SwitchN(node_id, tuple(rules), node.default)
        case ir_nodes.HoursNode():
            return HoursN(node_id, node.hours, node.open, node.closed, node.holiday, node.emergency)
        case ir_nodes.FetchNode():
            return FetchN(
                node_id,
                node.fetch,
                _assignments(node.params, f"{where} params"),
                _assignments(node.set, f"{where} set"),
                node.next,
                node.on_error,
                node.on_timeout,
            )
        case ir_nodes.SetNode():
            return SetN(node_id, _assignments(node.set, f"{where} set"), node.next)
        case ir_nodes.PlayNode():
            return PlayN(node_id, prompts.compile(node.play, f"{where} play"), node.next)
        case ir_nodes.QueueNode():
            return QueueN(
                node_id,
                node.queue,
                compile_template(node.priority, f"{where} priority"),
                node.announce,
                node.announce_every,
                node.max_wait,
                node.exit_key,
                node.on_timeout,
                node.on_no_agent,
                node.on_exit,
                node.after,
            )
        case ir_nodes.TransferNode():
            return TransferN(
                node_id,
                compile_template(node.transfer, f"{where} target"),
                node.mode,
                _opt_prompt(prompts, node.prompt, f"{where} prompt"),
                node.on_fail,
            )
        case ir_nodes.VoicemailNode():
            return VoicemailN(
                node_id,
                node.voicemail,
                _opt_prompt(prompts, node.prompt, f"{where} prompt"),
                node.max_length,
                node.next,
            )
        case ir_nodes.RecordNode():
            return RecordN(
                node_id,
                node.record,
                _opt_prompt(prompts, node.prompt, f"{where} prompt"),
                node.max_length,
                node.beep,
                node.next,
            )
        case ir_nodes.CallbackNode(callback=cb):
            return CallbackN(
                node_id,
                compile_template(cb.number or "{caller.number}", f"{where} number"),
                _opt_prompt(prompts, cb.prompt, f"{where} prompt"),
                _opt_prompt(prompts, cb.confirm, f"{where} confirm"),
                node.next,
            )
        case ir_nodes.SurveyNode():
            questions = tuple(
                Question(
                    q.id,
                    prompts.compile(q.ask, f"{where} question `{q.id}`"),
                    q.scale,
                    max(1, q.retries),
                )
                for q in node.survey
            )
            return SurveyN(
                node_id,
                questions,
                _opt_prompt(prompts, node.thanks, f"{where} thanks"),
                node.next,
            )
        case ir_nodes.SubflowNode():
            return SubflowN(
                node_id,
                node.subflow,
                _assignments(node.with_, f"{where} with"),
                _assignments(node.set, f"{where} set"),
                node.next,
            )
        case ir_nodes.ReturnNode():
            return ReturnN(node_id, _assignments(node.return_, f"{where} return"))
        case ir_nodes.HangupNode():
            return HangupN(
                node_id,
                node.hangup or "NORMAL_CLEARING",
                _opt_prompt(prompts, node.prompt, f"{where} prompt"),
            )
        case ir_nodes.GotoNode():
            return GotoN(node_id, node.goto)
