"""Program: one flow's IR compiled for execution, once, and shared by all its calls.

Everything that does not depend on a call is done here: templates and conditions parsed,
prompts resolved per locale, schedules loaded, regular expressions compiled, node fields
defaulted. A `Program` is never mutated after `from_ir` returns, so any number of calls (and
threads) may share it.

Built from the IR dict only (see `flowc.compiler.ir` for its layout): never from the model or
the source files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from flowc.hours import Schedule
from flowc.interpreter.prompts import (
    CompiledPrompt,
    ProgramError,
    PromptCompiler,
    compile_template,
    template_roots,
)
from flowc.lang.expr import Expr, ExprError, parse_expr
from flowc.lang.regex import Regex, RegexError, compile_regex
from flowc.lang.template import Template

SUPPORTED_IR_VERSION = 1
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
    prompt: CompiledPrompt
    options: Mapping[str, str]  # the first option written on each key (fixed menus: all)
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
    choices: tuple[MenuChoice, ...] = ()
    adaptive: bool = False  # the prompt is assembled from the offered options' fragments
    renumber: bool = False
    first: Template | None = None

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
    escalate: Escalation | None = None  # the call's struggle budget (see `Call`)

    @classmethod
    def from_ir(
        cls, ir: Mapping[str, Any], modules: Mapping[str, Mapping[str, Any]] = _EMPTY
    ) -> Program:
        """Compile `ir`; `modules` maps subflow paths (as written in `subflow:`) to module IR.

        Raises `ProgramError` on IR this interpreter cannot run (wrong version, unknown node
        kind, unparsable template or condition, a subflow path without its module...).
        """
        return _Builder(modules).build(ir, "<main>")

    def __repr__(self) -> str:
        return f"<Program {self.name} ({len(self.nodes)} nodes)>"


class _Builder:
    def __init__(self, modules: Mapping[str, Mapping[str, Any]]) -> None:
        self.module_irs = modules
        self.registry: dict[str, Program] = {}

    def build(self, ir: Mapping[str, Any], label: str) -> Program:
        if not isinstance(ir, Mapping) or ir.get("ir") != "flowc-ir":
            raise ProgramError(f"{label}: not a compiled flow (expected `ir: flowc-ir`)")
        if ir.get("version") != SUPPORTED_IR_VERSION:
            raise ProgramError(
                f"{label}: IR version {ir.get('version')!r} is not supported"
                f" (this interpreter runs version {SUPPORTED_IR_VERSION})"
            )
        name = str(ir.get("name", label))
        nodes_ir = ir.get("nodes")
        if not isinstance(nodes_ir, Mapping) or not nodes_ir:
            raise ProgramError(f"flow `{name}` has no nodes")
        entry = ir.get("entry") or next(iter(nodes_ir))
        if entry not in nodes_ir:
            raise ProgramError(f"flow `{name}`: entry node `{entry}` does not exist")
        default_locale = str(ir.get("default_locale") or "en-US")
        locales = tuple(str(x) for x in (ir.get("locales") or (default_locale,)))
        ak = ir.get("agent_key")
        agent_key = (str(ak["key"]), str(ak["goto"])) if isinstance(ak, Mapping) else None
        variables: dict[str, VarDef] = {}
        for var, spec in (ir.get("variables") or {}).items():
            spec = spec if isinstance(spec, Mapping) else {"type": spec}
            variables[str(var)] = VarDef(
                str(spec.get("type", "any")), spec.get("default"), bool(spec.get("sensitive"))
            )
        params = {str(k): str(v) for k, v in (ir.get("params") or {}).items()}
        for param, type_ in params.items():
            variables.setdefault(param, VarDef(type_, None, False))
        sensitive = {n for n, v in variables.items() if v.sensitive}
        prompts = PromptCompiler(ir.get("prompts") or {}, list(locales), default_locale)
        nodes: dict[str, Node] = {}
        for node_id, raw in nodes_ir.items():
            node = _node(str(node_id), raw, prompts)
            nodes[str(node_id)] = node
            if isinstance(node, CollectN) and node.sensitive:
                sensitive.add(node.into)
        modules: dict[str, Program] = {}
        h = ir.get("hash")
        p = Program(
            name=name,
            entry=str(entry),
            default_locale=default_locale,
            locales=locales,
            agent_key=agent_key,
            variables=MappingProxyType(variables),
            params=MappingProxyType(params),
            sensitive=frozenset(sensitive),
            schedules=MappingProxyType(
                {str(k): _schedule(str(k), v) for k, v in (ir.get("schedules") or {}).items()}
            ),
            services=MappingProxyType(
                {str(k): _service(str(k), v) for k, v in (ir.get("services") or {}).items()}
            ),
            numbers=MappingProxyType(
                {
                    str(k): compile_template(v, f"number `{k}`")
                    for k, v in (ir.get("numbers") or {}).items()
                }
            ),
            nodes=MappingProxyType(nodes),
            modules=MappingProxyType(modules),
            hash=h if isinstance(h, str) else None,
            escalate=_escalation(ir.get("escalate")),
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


def _assignments(raw: Any, where: str) -> Assignments:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise ProgramError(f"{where}: expected a mapping of templates")
    out = []
    for k, v in raw.items():
        t = compile_template(v, f"{where}.{k}")
        out.append((str(k), t, template_roots(t)))
    return tuple(out)


def _service(name: str, raw: Any) -> Service:
    if not isinstance(raw, Mapping) or "url" not in raw:
        raise ProgramError(f"service `{name}` is malformed")
    url = compile_template(raw["url"], f"service `{name}` url")
    headers = _assignments(raw.get("headers"), f"service `{name}` headers")
    body = raw.get("body")
    body_t = _assignments(body, f"service `{name}` body") if body is not None else None
    roots = set(template_roots(url))
    for _, _, used in headers + (body_t or ()):
        roots |= used
    return Service(
        name,
        url,
        str(raw.get("method") or "GET").upper(),
        headers,
        body_t,
        int(raw.get("timeout") or 2000),
        int(raw.get("retries") or 0),
        frozenset(roots),
    )


def _opt_prompt(prompts: PromptCompiler, raw: Any, where: str) -> CompiledPrompt | None:
    return None if raw is None else prompts.compile(raw, where)


def _prompt_list(prompts: PromptCompiler, raw: Any, where: str) -> tuple[CompiledPrompt, ...]:
    if raw is None:
        return ()
    items = raw if isinstance(raw, list | tuple) else [raw]
    return tuple(prompts.compile(r, f"{where}[{i}]") for i, r in enumerate(items))


def _anchored(pattern: str) -> str:
    return f"^(?:{pattern})$"


def _node(node_id: str, raw: Any, prompts: PromptCompiler) -> Node:
    if not isinstance(raw, Mapping):
        raise ProgramError(f"node `{node_id}` is malformed")
    kind = raw.get("kind")
    where = f"node `{node_id}`"
    try:
        builder = _BUILDERS[str(kind)]
    except KeyError:
        raise ProgramError(f"{where}: unknown node kind {kind!r}") from None
    try:
        return builder(node_id, raw, prompts, where)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ProgramError):
            raise
        raise ProgramError(f"{where}: malformed {kind} node ({exc})") from None


def _menu(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    m = raw["menu"]
    speech = tuple(
        (normalize_speech(str(word)), str(word), str(target))
        for word, target in (m.get("speech") or {}).items()
    )
    choices = _menu_choices(m.get("options") or {}, prompts, where)
    first_text = m.get("first")
    return MenuN(
        node_id,
        prompts.compile(m["prompt"], f"{where} prompt"),
        MappingProxyType({c.key: c.target for c in reversed(choices)}),
        speech,
        tuple(word for _, word, _ in speech),
        int(m.get("timeout", 5000)),
        int(m.get("inter_digit_timeout", 2000)),
        max(1, int(m.get("retries", 3))),
        _prompt_list(prompts, m.get("no_input"), f"{where} no_input"),
        _prompt_list(prompts, m.get("no_match"), f"{where} no_match"),
        m.get("on_fail"),
        m.get("repeat_key"),
        bool(m.get("agent_key", True)),
        m.get("on_no_input"),
        choices,
        any(c.say is not None for c in choices),
        bool(m.get("renumber", False)),
        None if first_text is None else compile_template(str(first_text), f"{where} first"),
    )


def _escalation(raw: Any) -> Escalation | None:
    if not isinstance(raw, Mapping):
        return None
    return Escalation(max(1, int(raw["after_failures"])), str(raw["goto"]))


def _condition(text: Any, where: str) -> Expr:
    try:
        return parse_expr(str(text))
    except ExprError as exc:
        raise ProgramError(f"{where}: {exc.message}") from None


def _menu_choices(
    options: Mapping[str, Any], prompts: PromptCompiler, where: str
) -> tuple[MenuChoice, ...]:
    out: list[MenuChoice] = []
    for key, value in options.items():
        k = str(key)
        if isinstance(value, str):
            out.append(MenuChoice(k, value, f"key {k}"))
            continue
        alts = value if isinstance(value, list | tuple) else [value]
        for i, opt in enumerate(alts):
            label = f"key {k}" if len(alts) == 1 else f"key {k}#{i + 1}"
            here = f"{where} option {label}"
            when, rank, say = opt.get("when"), opt.get("rank"), opt.get("say")
            out.append(
                MenuChoice(
                    k,
                    str(opt["goto"]),
                    label,
                    None if when is None else _condition(when, f"{here} when"),
                    None if when is None else str(when),
                    None if rank is None else _condition(rank, f"{here} rank"),
                    None if rank is None else str(rank),
                    None if say is None else prompts.compile(say, f"{here} say"),
                )
            )
    return tuple(out)


def _collect(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    c = raw["collect"]
    pattern = c.get("pattern") or DEFAULT_PATTERN
    regex = _anchored(pattern)
    try:
        compiled: Regex | None = compile_regex(regex)
    except RegexError:
        compiled = None  # the switch validates; the interpreter then trusts its verdict
    no_match = _prompt_list(prompts, c.get("no_match"), f"{where} no_match")
    no_input = _prompt_list(prompts, c.get("no_input"), f"{where} no_input")
    terminator = c.get("terminator")
    return CollectN(
        node_id,
        str(c["into"]),
        prompts.compile(c["prompt"], f"{where} prompt"),
        int(c.get("min", 1)),
        int(c.get("max", 16)),
        str(terminator) if terminator else None,
        regex,
        compiled,
        int(c.get("timeout", 5000)),
        int(c.get("inter_digit_timeout", 3000)),
        max(1, int(c.get("retries", 3))),
        no_input,
        no_match,
        _opt_prompt(prompts, c.get("confirm"), f"{where} confirm"),
        bool(c.get("sensitive", False)),
        bool(c.get("speech", False)),
        c.get("on_fail"),
        raw.get("next"),
    )


def _switch(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    rules = []
    for rule in raw["switch"]:
        text = str(rule["if"])
        try:
            expr = parse_expr(text)
        except ExprError as exc:
            raise ProgramError(f"{where}: bad condition {text!r}: {exc.message}") from None
        rules.append(Rule(text, expr, str(rule["goto"])))
    return SwitchN(node_id, tuple(rules), str(raw["default"]))


def _hours(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    return HoursN(
        node_id,
        str(raw["hours"]),
        str(raw["open"]),
        str(raw["closed"]),
        raw.get("holiday"),
        raw.get("emergency"),
    )


def _fetch(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    return FetchN(
        node_id,
        str(raw["fetch"]),
        _assignments(raw.get("params"), f"{where} params"),
        _assignments(raw.get("set"), f"{where} set"),
        str(raw["next"]),
        raw.get("on_error"),
        raw.get("on_timeout"),
    )


def _set(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    return SetN(node_id, _assignments(raw["set"], f"{where} set"), str(raw["next"]))


def _play(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    return PlayN(node_id, prompts.compile(raw["play"], f"{where} play"), str(raw["next"]))


def _queue(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    max_wait = raw.get("max_wait")
    return QueueN(
        node_id,
        str(raw["queue"]),
        compile_template(raw.get("priority", "0"), f"{where} priority"),
        str(raw.get("announce") or "none"),
        int(raw.get("announce_every") or 60_000),
        int(max_wait) if max_wait is not None else None,
        raw.get("exit_key"),
        raw.get("on_timeout"),
        raw.get("on_no_agent"),
        raw.get("on_exit"),
        raw.get("after"),
    )


def _transfer(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    mode: Literal["blind", "warm"] = "warm" if raw.get("mode") == "warm" else "blind"
    if raw.get("mode") not in (None, "blind", "warm"):
        raise ProgramError(f"{where}: unknown transfer mode {raw.get('mode')!r}")
    return TransferN(
        node_id,
        compile_template(raw["transfer"], f"{where} target"),
        mode,
        _opt_prompt(prompts, raw.get("prompt"), f"{where} prompt"),
        raw.get("on_fail"),
    )


def _voicemail(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    return VoicemailN(
        node_id,
        str(raw["voicemail"]),
        _opt_prompt(prompts, raw.get("prompt"), f"{where} prompt"),
        int(raw.get("max_length") or 120_000),
        raw.get("next"),
    )


def _record(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    return RecordN(
        node_id,
        str(raw["record"]),
        _opt_prompt(prompts, raw.get("prompt"), f"{where} prompt"),
        int(raw.get("max_length") or 60_000),
        bool(raw.get("beep", True)),
        raw.get("next"),
    )


def _callback(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    cb = raw.get("callback") or {}
    return CallbackN(
        node_id,
        compile_template(cb.get("number") or "{caller.number}", f"{where} number"),
        _opt_prompt(prompts, cb.get("prompt"), f"{where} prompt"),
        _opt_prompt(prompts, cb.get("confirm"), f"{where} confirm"),
        raw.get("next"),
    )


def _survey(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    questions = []
    for i, q in enumerate(raw["survey"]):
        scale = str(q.get("scale") or "1-5")
        if scale not in ("1-5", "0-10", "yes_no"):
            raise ProgramError(f"{where}: question {i} has unknown scale {scale!r}")
        questions.append(
            Question(
                str(q["id"]),
                prompts.compile(q["ask"], f"{where} question `{q['id']}`"),
                scale,
                max(1, int(q.get("retries", 2))),
            )
        )
    return SurveyN(
        node_id,
        tuple(questions),
        _opt_prompt(prompts, raw.get("thanks"), f"{where} thanks"),
        raw.get("next"),
    )


def _subflow(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    return SubflowN(
        node_id,
        str(raw["subflow"]),
        _assignments(raw.get("with"), f"{where} with"),
        _assignments(raw.get("set"), f"{where} set"),
        str(raw["next"]),
    )


def _return(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    return ReturnN(node_id, _assignments(raw.get("return"), f"{where} return"))


def _hangup(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    return HangupN(
        node_id,
        str(raw.get("hangup") or "NORMAL_CLEARING"),
        _opt_prompt(prompts, raw.get("prompt"), f"{where} prompt"),
    )


def _goto(node_id: str, raw: Mapping[str, Any], prompts: PromptCompiler, where: str) -> Node:
    return GotoN(node_id, str(raw["goto"]))


_BUILDERS = {
    "menu": _menu,
    "collect": _collect,
    "switch": _switch,
    "hours": _hours,
    "fetch": _fetch,
    "set": _set,
    "play": _play,
    "queue": _queue,
    "transfer": _transfer,
    "voicemail": _voicemail,
    "record": _record,
    "callback": _callback,
    "survey": _survey,
    "subflow": _subflow,
    "return": _return,
    "hangup": _hangup,
    "goto": _goto,
}
