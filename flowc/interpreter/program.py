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
from flowc.ir.edges import option_label
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


# Each executable node is a thin view of its IR node (`ir`): it adds what is compiled once
# per program (prompts resolved per locale, templates, conditions and patterns parsed) and
# reads everything else from the IR, under the names the interpreter uses (`timeout_ms`...).


@dataclass(frozen=True, slots=True)
class MenuChoice:
    """One option of a menu: its written key, target and (adaptive menus) its condition,
    rank and prompt fragment. `label` names it in traces and coverage (`key 2`, `key 2#1`)."""

    key: str
    target: str
    label: str
    when: Expr | None = None
    when_text: str | None = None
    rank: Expr | None = None
    rank_text: str | None = None
    say: CompiledPrompt | None = None


@dataclass(frozen=True, slots=True)
class Escalation:
    after_failures: int
    goto: str


@dataclass(frozen=True, slots=True)
class MenuN(NodeBase):
    ir: ir_nodes.MenuNode
    prompt: CompiledPrompt
    options: Mapping[str, str]  # the first option written on each key (fixed menus: all)
    speech: tuple[tuple[str, str, str], ...]  # (normalized word, word as written, target)
    keywords: tuple[str, ...]  # the words as written, for the recogniser
    no_input: tuple[CompiledPrompt, ...]
    no_match: tuple[CompiledPrompt, ...]
    choices: tuple[MenuChoice, ...]
    adaptive: bool  # the prompt is assembled from the offered options' fragments
    first: Template | None

    kind = "menu"

    @property
    def timeout_ms(self) -> int:
        return self.ir.menu.timeout

    @property
    def inter_digit_timeout_ms(self) -> int:
        return self.ir.menu.inter_digit_timeout

    @property
    def retries(self) -> int:
        return max(1, self.ir.menu.retries)

    @property
    def on_fail(self) -> str | None:
        return self.ir.menu.on_fail

    @property
    def on_no_input(self) -> str | None:
        return self.ir.menu.on_no_input

    @property
    def repeat_key(self) -> str | None:
        return self.ir.menu.repeat_key

    @property
    def agent_key(self) -> bool:
        return self.ir.menu.agent_key

    @property
    def renumber(self) -> bool:
        return self.ir.menu.renumber


@dataclass(frozen=True, slots=True)
class CollectN(NodeBase):
    ir: ir_nodes.CollectNode
    prompt: CompiledPrompt
    regex: str  # the pattern anchored, as the switch and the interpreter run it
    pattern: Regex | None
    no_input: tuple[CompiledPrompt, ...]
    no_match: tuple[CompiledPrompt, ...]
    confirm: CompiledPrompt | None

    kind = "collect"

    @property
    def into(self) -> str:
        return self.ir.collect.into

    @property
    def min(self) -> int:
        return self.ir.collect.min

    @property
    def max(self) -> int:
        return self.ir.collect.max

    @property
    def terminator(self) -> str | None:
        return self.ir.collect.terminator or None

    @property
    def timeout_ms(self) -> int:
        return self.ir.collect.timeout

    @property
    def inter_digit_timeout_ms(self) -> int:
        return self.ir.collect.inter_digit_timeout

    @property
    def retries(self) -> int:
        return max(1, self.ir.collect.retries)

    @property
    def sensitive(self) -> bool:
        return self.ir.collect.sensitive

    @property
    def speech(self) -> bool:
        return self.ir.collect.speech

    @property
    def on_fail(self) -> str | None:
        return self.ir.collect.on_fail

    @property
    def next(self) -> str | None:
        return self.ir.next


@dataclass(frozen=True, slots=True)
class Rule:
    text: str
    expr: Expr
    goto: str


@dataclass(frozen=True, slots=True)
class SwitchN(NodeBase):
    ir: ir_nodes.SwitchNode
    rules: tuple[Rule, ...]

    kind = "switch"

    @property
    def default(self) -> str:
        return self.ir.default


@dataclass(frozen=True, slots=True)
class HoursN(NodeBase):
    ir: ir_nodes.HoursNode

    kind = "hours"

    @property
    def schedule(self) -> str:
        return self.ir.hours

    @property
    def open(self) -> str:
        return self.ir.open

    @property
    def closed(self) -> str:
        return self.ir.closed

    @property
    def holiday(self) -> str | None:
        return self.ir.holiday

    @property
    def emergency(self) -> str | None:
        return self.ir.emergency


@dataclass(frozen=True, slots=True)
class FetchN(NodeBase):
    ir: ir_nodes.FetchNode
    params: Assignments
    set: Assignments

    kind = "fetch"

    @property
    def service(self) -> str:
        return self.ir.fetch

    @property
    def next(self) -> str:
        return self.ir.next

    @property
    def on_error(self) -> str | None:
        return self.ir.on_error

    @property
    def on_timeout(self) -> str | None:
        return self.ir.on_timeout


@dataclass(frozen=True, slots=True)
class SetN(NodeBase):
    ir: ir_nodes.SetNode
    set: Assignments

    kind = "set"

    @property
    def next(self) -> str:
        return self.ir.next


@dataclass(frozen=True, slots=True)
class PlayN(NodeBase):
    ir: ir_nodes.PlayNode
    prompt: CompiledPrompt

    kind = "play"

    @property
    def next(self) -> str:
        return self.ir.next


@dataclass(frozen=True, slots=True)
class QueueN(NodeBase):
    ir: ir_nodes.QueueNode
    priority: Template

    kind = "queue"

    @property
    def queue(self) -> str:
        return self.ir.queue

    @property
    def announce(self) -> str:
        return self.ir.announce

    @property
    def announce_every_ms(self) -> int:
        return self.ir.announce_every

    @property
    def max_wait_ms(self) -> int | None:
        return self.ir.max_wait

    @property
    def exit_key(self) -> str | None:
        return self.ir.exit_key

    @property
    def on_timeout(self) -> str | None:
        return self.ir.on_timeout

    @property
    def on_no_agent(self) -> str | None:
        return self.ir.on_no_agent

    @property
    def on_exit(self) -> str | None:
        return self.ir.on_exit

    @property
    def after(self) -> str | None:
        return self.ir.after


@dataclass(frozen=True, slots=True)
class TransferN(NodeBase):
    ir: ir_nodes.TransferNode
    target: Template
    prompt: CompiledPrompt | None

    kind = "transfer"

    @property
    def mode(self) -> Literal["blind", "warm"]:
        return self.ir.mode

    @property
    def on_fail(self) -> str | None:
        return self.ir.on_fail


@dataclass(frozen=True, slots=True)
class VoicemailN(NodeBase):
    ir: ir_nodes.VoicemailNode
    prompt: CompiledPrompt | None

    kind = "voicemail"

    @property
    def mailbox(self) -> str:
        return self.ir.voicemail

    @property
    def max_length_ms(self) -> int:
        return self.ir.max_length

    @property
    def next(self) -> str | None:
        return self.ir.next


@dataclass(frozen=True, slots=True)
class RecordN(NodeBase):
    ir: ir_nodes.RecordNode
    prompt: CompiledPrompt | None

    kind = "record"

    @property
    def var(self) -> str:
        return self.ir.record

    @property
    def max_length_ms(self) -> int:
        return self.ir.max_length

    @property
    def beep(self) -> bool:
        return self.ir.beep

    @property
    def next(self) -> str | None:
        return self.ir.next


@dataclass(frozen=True, slots=True)
class CallbackN(NodeBase):
    ir: ir_nodes.CallbackNode
    number: Template
    prompt: CompiledPrompt | None
    confirm: CompiledPrompt | None

    kind = "callback"

    @property
    def next(self) -> str | None:
        return self.ir.next


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    ask: CompiledPrompt
    scale: str
    retries: int


@dataclass(frozen=True, slots=True)
class SurveyN(NodeBase):
    ir: ir_nodes.SurveyNode
    questions: tuple[Question, ...]
    thanks: CompiledPrompt | None

    kind = "survey"

    @property
    def next(self) -> str | None:
        return self.ir.next


@dataclass(frozen=True, slots=True)
class SubflowN(NodeBase):
    ir: ir_nodes.SubflowNode
    with_: Assignments
    set: Assignments

    kind = "subflow"

    @property
    def path(self) -> str:
        return self.ir.subflow

    @property
    def next(self) -> str:
        return self.ir.next


@dataclass(frozen=True, slots=True)
class ReturnN(NodeBase):
    ir: ir_nodes.ReturnNode
    values: Assignments

    kind = "return"


@dataclass(frozen=True, slots=True)
class HangupN(NodeBase):
    ir: ir_nodes.HangupNode
    prompt: CompiledPrompt | None

    kind = "hangup"

    @property
    def cause(self) -> str:
        return self.ir.hangup or "NORMAL_CLEARING"


@dataclass(frozen=True, slots=True)
class GotoN(NodeBase):
    ir: ir_nodes.GotoNode

    kind = "goto"

    @property
    def goto(self) -> str:
        return self.ir.goto


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
    escalate: Escalation | None = None  # the call's struggle budget (see `Call`)

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
            escalate=(
                Escalation(max(1, ir.escalate.after_failures), ir.escalate.goto)
                if ir.escalate is not None
                else None
            ),
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
    """The executable view of one IR node: prompts resolved, templates and conditions parsed."""
    where = f"node `{node_id}`"
    match node:
        case ir_nodes.MenuNode(menu=m):
            speech = tuple(
                (normalize_speech(word), word, target) for word, target in m.speech.items()
            )
            choices = _menu_choices(m, prompts, where)
            return MenuN(
                node_id,
                node,
                prompts.compile(m.prompt, f"{where} prompt"),
                MappingProxyType({c.key: c.target for c in reversed(choices)}),
                speech,
                tuple(word for _, word, _ in speech),
                _prompt_list(prompts, m.no_input, f"{where} no_input"),
                _prompt_list(prompts, m.no_match, f"{where} no_match"),
                choices,
                any(c.say is not None for c in choices),
                None if m.first is None else compile_template(m.first, f"{where} first"),
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
                node,
                prompts.compile(c.prompt, f"{where} prompt"),
                regex,
                compiled,
                no_input,
                no_match,
                _opt_prompt(prompts, c.confirm, f"{where} confirm"),
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
            return SwitchN(node_id, node, tuple(rules))
        case ir_nodes.HoursNode():
            return HoursN(node_id, node)
        case ir_nodes.FetchNode():
            return FetchN(
                node_id,
                node,
                _assignments(node.params, f"{where} params"),
                _assignments(node.set, f"{where} set"),
            )
        case ir_nodes.SetNode():
            return SetN(node_id, node, _assignments(node.set, f"{where} set"))
        case ir_nodes.PlayNode():
            return PlayN(node_id, node, prompts.compile(node.play, f"{where} play"))
        case ir_nodes.QueueNode():
            return QueueN(node_id, node, compile_template(node.priority, f"{where} priority"))
        case ir_nodes.TransferNode():
            return TransferN(
                node_id,
                node,
                compile_template(node.transfer, f"{where} target"),
                _opt_prompt(prompts, node.prompt, f"{where} prompt"),
            )
        case ir_nodes.VoicemailNode():
            return VoicemailN(node_id, node, _opt_prompt(prompts, node.prompt, f"{where} prompt"))
        case ir_nodes.RecordNode():
            return RecordN(node_id, node, _opt_prompt(prompts, node.prompt, f"{where} prompt"))
        case ir_nodes.CallbackNode(callback=cb):
            return CallbackN(
                node_id,
                node,
                compile_template(cb.number or "{caller.number}", f"{where} number"),
                _opt_prompt(prompts, cb.prompt, f"{where} prompt"),
                _opt_prompt(prompts, cb.confirm, f"{where} confirm"),
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
                node_id, node, questions, _opt_prompt(prompts, node.thanks, f"{where} thanks")
            )
        case ir_nodes.SubflowNode():
            return SubflowN(
                node_id,
                node,
                _assignments(node.with_, f"{where} with"),
                _assignments(node.set, f"{where} set"),
            )
        case ir_nodes.ReturnNode():
            return ReturnN(node_id, node, _assignments(node.return_, f"{where} return"))
        case ir_nodes.HangupNode():
            return HangupN(node_id, node, _opt_prompt(prompts, node.prompt, f"{where} prompt"))
        case ir_nodes.GotoNode():
            return GotoN(node_id, node)


def _condition(text: str, where: str) -> Expr:
    try:
        return parse_expr(text)
    except ExprError as exc:
        raise ProgramError(f"{where}: {exc.message}") from None


def _menu_choices(
    menu: ir_nodes.MenuBody, prompts: PromptCompiler, where: str
) -> tuple[MenuChoice, ...]:
    out: list[MenuChoice] = []
    for opt in menu.entries():
        label = option_label(opt.key, opt.alt)
        here = f"{where} option {label}"
        out.append(
            MenuChoice(
                opt.key,
                opt.goto,
                label,
                None if opt.when is None else _condition(opt.when, f"{here} when"),
                opt.when,
                None if opt.rank is None else _condition(opt.rank, f"{here} rank"),
                opt.rank,
                None if opt.say is None else prompts.compile(opt.say, f"{here} say"),
            )
        )
    return tuple(out)
