"""The expressions and templates written in a flow, each parsed and type-checked once, the
names they read, the header's definitions, and every prompt (the `LintContext` part the
FL2xx and FL5xx rules share)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from typing import Any, Final, Literal, NamedTuple

from pydantic import BaseModel

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
from flowc.lint.positions import SourcePositions, part_path_at
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
from flowc.source.document import Path, Span

Usage = Literal["expr", "template", "url"]


class _PartPlace(NamedTuple):
    """Where a prompt part is written: its source path is worked out when first asked."""

    data: Any  # the source document's data
    base: Path  # the prompt's path
    loc: str
    at: int  # the part's index in its locale's list
    part: PromptPart


class ExprSite:
    """One expression or template written in the flow, and where.

    A prompt part's source path is found only when `path` is first read: few sites end in a
    diagnostic, and a flow of thousands of menus has tens of thousands of prompt parts.
    """

    __slots__ = ("_where", "node", "role", "target", "text", "usage")

    def __init__(
        self,
        where: Path | _PartPlace,
        text: str,
        usage: Usage,
        node: str | None,  # None for header definitions
        # Where the value goes: "prompt", "url", "header", "param", "set", "condition", ...
        role: str,
        target: str | None = None,  # for `set`: the variable assigned
    ) -> None:
        self._where = where
        self.text: Final = text
        self.usage: Final = usage
        self.node: Final = node
        self.role: Final = role
        self.target: Final = target

    @property
    def path(self) -> Path:
        where = self._where
        if isinstance(where, _PartPlace):
            where = self._where = part_path_at(*where)
        return where

    def _key(self) -> tuple[Path, str, Usage, str | None, str, str | None]:
        return (self.path, self.text, self.usage, self.node, self.role, self.target)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExprSite) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"ExprSite(path={self.path!r}, text={self.text!r}, usage={self.usage!r},"
            f" node={self.node!r}, role={self.role!r}, target={self.target!r})"
        )


class NameUse(NamedTuple):
    """A name (or an `in_hours` schedule name) read at `site.text[start:end]`."""

    site: ExprSite
    name: str
    start: int
    end: int


class SiteCheck(NamedTuple):
    """One site, parsed and checked: the syntax error, or its type, issues and names.

    A named tuple (built with `tuple.__new__`): a flow has one per expression and template,
    tens of thousands in big flows. Sites with the same text share the lists.
    """

    site: ExprSite
    error: ExprError | None
    type: Type | None
    issues: list[TypeIssue]
    names: tuple[NameUse, ...]
    schedule_calls: tuple[NameUse, ...]
    single_hole: bool  # a template that is exactly one hole (or an expression)
    literal: bool  # a template without holes
    # The parsed expressions (a condition, or the holes of a template) and their offsets.
    exprs: list[tuple[int, Expr]]


_PartList = tuple[tuple[str, int, PromptPart], ...]
_KindParts = tuple[tuple[Path, str, int, PromptPart], ...]


class _Split(NamedTuple):
    """A prompt's parts split by use, each part as (locale, index, part) in written order."""

    spoken: _PartList  # tts and say parts: templates
    templated: _PartList  # those of them with template syntax (holes, braces, `${...}`)
    refs: _PartList  # references to reusable prompts
    audio: _PartList


def _split_into(memo: dict[int, _Split], prompt: Prompt) -> _Split:
    split = memo[id(prompt)] = _split_parts(prompt)
    return split


def _split_parts(prompt: Prompt) -> _Split:
    variants = prompt.variants
    if len(variants) == 1:
        # The common shape: one text for any locale.
        ((loc, parts),) = variants.items()
        if len(parts) == 1 and parts[0].kind == "tts":
            only: _PartList = ((loc, 0, parts[0]),)
            templated = only if _has_syntax(parts[0].text) else ()
            return tuple.__new__(_Split, (only, templated, (), ()))
    split: dict[str, list[tuple[str, int, PromptPart]]] = {"ref": [], "audio": [], "spoken": []}
    for loc, parts in variants.items():
        for i, part in enumerate(parts):
            split["spoken" if part.kind in ("tts", "say") else part.kind].append((loc, i, part))
    spoken = tuple(split["spoken"])
    templated = tuple(item for item in spoken if _has_syntax(item[2].text))
    return _Split(spoken, templated, tuple(split["ref"]), tuple(split["audio"]))


class FlowSites(SourcePositions):
    """Definitions, expression sites and prompts of a flow, computed once."""

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
        """Every site parsed and type-checked once: shared by the FL2xx and FL5xx rules.

        Prompt parts written as plain text (most sites of a flow) are left out: they read no
        name and cannot be wrong, so no rule has anything to say about them (`sites()` still
        lists them). Other plain-text sites stay: a `set` value or a priority has a type.
        """
        memo = self._analyses
        new = tuple.__new__
        out: list[SiteCheck] = []
        for site in self._sites(plain_prompts=False):
            env = self.env_for(site)
            key = (site.usage, site.role == "condition", site.text, id(env))
            found = memo.get(key)
            if found is None:
                found = memo[key] = _analyse(site, env)
            error, type_, issues, holes, single, literal, names, calls = found
            out.append(
                new(
                    SiteCheck,
                    (
                        site,
                        error,
                        type_,
                        issues,
                        tuple([new(NameUse, (site, *use)) for use in names]) if names else (),
                        tuple([new(NameUse, (site, *use)) for use in calls]) if calls else (),
                        single,
                        literal,
                        holes,
                    ),
                )
            )
        return out

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

    def prompts(self) -> Iterator[tuple[Path, Prompt, str | None]]:
        """Every prompt in the flow: (path, prompt, node name or None for header prompts)."""
        return iter(self._prompt_list)

    @cached_property
    def _prompt_list(self) -> list[tuple[Path, Prompt, str | None]]:
        out: list[tuple[Path, Prompt, str | None]] = []
        for name, prompt in self.flow.header.prompts.items():
            out.append((("prompts", name), prompt, None))
        for node_id, node in self.flow.nodes.items():
            _add_node_prompts(out, node, node_id)
        return out

    @cached_property
    def _prompt_splits(self) -> list[tuple[Path, str | None, _Split]]:
        """`_prompt_list` with each prompt's parts split by use (once per prompt object:
        plain-text prompts are shared, so a re-prompt written on every menu is split once)."""
        memo: dict[int, _Split] = {}
        return [
            (path, node_id, memo.get(id(prompt)) or _split_into(memo, prompt))
            for path, prompt, node_id in self._prompt_list
        ]

    def prompt_parts(self, kind: Literal["ref", "audio"]) -> _KindParts:
        """Every prompt part of one kind: (prompt path, locale, index, part), in written order.

        Its own source path is `part_path(path, locale, index, part)`."""
        return self._parts_by_kind[kind]

    @cached_property
    def _parts_by_kind(self) -> dict[str, _KindParts]:
        refs: list[tuple[Path, str, int, PromptPart]] = []
        audio: list[tuple[Path, str, int, PromptPart]] = []
        for path, _, split in self._prompt_splits:
            if split.refs:
                refs += [(path, loc, i, part) for loc, i, part in split.refs]
            if split.audio:
                audio += [(path, loc, i, part) for loc, i, part in split.audio]
        return {"ref": tuple(refs), "audio": tuple(audio)}

    def sites(self) -> Iterator[ExprSite]:
        """Every expression and template in the flow, with its role."""
        return self._sites(plain_prompts=True)

    def _sites(self, *, plain_prompts: bool) -> Iterator[ExprSite]:
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
        data = self.doc.data
        new = tuple.__new__
        for path, node_id, split in self._prompt_splits:
            parts = split.spoken if plain_prompts else split.templated
            if not parts:
                continue
            # an option's fragment may read `{key}`: the key it is offered on
            role = "option_prompt" if path[2:4] == ("menu", "options") else "prompt"
            for loc, i, part in parts:
                place = new(_PartPlace, (data, path, loc, i, part))
                yield ExprSite(place, part.text, "template", node_id, role)
        for node_id, node in self.flow.nodes.items():
            shape, mapping_fields = _site_plan(type(node))
            if shape is None and not mapping_fields:
                continue
            base: Path = ("nodes", node_id)
            if isinstance(node, SwitchNode):
                for i, rule in enumerate(node.switch):
                    yield ExprSite(
                        (*base, "switch", i, "if"), rule.if_, "expr", node_id, "condition"
                    )
            elif isinstance(node, MenuNode):
                menu = node.menu
                for opt in menu.option_tuple:
                    if opt.when is None and opt.rank is None:
                        continue
                    where: Path = (*base, "menu", *opt.path)
                    if opt.when is not None:
                        yield ExprSite((*where, "when"), opt.when, "expr", node_id, "condition")
                    if opt.rank is not None:
                        yield ExprSite((*where, "rank"), opt.rank, "expr", node_id, "rank")
                if menu.first is not None:
                    yield ExprSite(
                        (*base, "menu", "first"), menu.first, "template", node_id, "first"
                    )
            for fname in mapping_fields:
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
            if shape not in ("queue", "transfer", "callback"):
                continue
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


# Per node class: (the kind of node whose own fields hold expressions or None, its template
# mapping fields): `sites()` skips the nodes with neither at once.
_SITE_PLAN: dict[type, tuple[str | None, tuple[str, ...]]] = {}
_SHAPES: tuple[tuple[type, str], ...] = (
    (SwitchNode, "switch"),
    (MenuNode, "menu"),
    (QueueNode, "queue"),
    (TransferNode, "transfer"),
    (CallbackNode, "callback"),
)


def _site_plan(cls: type[BaseModel]) -> tuple[str | None, tuple[str, ...]]:
    plan = _SITE_PLAN.get(cls)
    if plan is None:
        shape = next((name for kind, name in _SHAPES if issubclass(cls, kind)), None)
        plan = _SITE_PLAN[cls] = (shape, _mapping_fields(cls))
    return plan


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


# What makes a template more than plain text: holes, escaped braces, `${NAME}` references.
_TEMPLATE_SYNTAX = re.compile(r"[{}$]")


def _has_syntax(text: str) -> bool:
    return _TEMPLATE_SYNTAX.search(text) is not None


def _analyse(site: ExprSite, env: TypeEnv) -> _Analysis:
    """Parse and check one site's text: (error, type, issues, exprs, single hole, literal,
    names read, `in_hours` schedule names), with offsets into the text."""
    if (
        site.usage != "expr"
        and isinstance(site.text, str)
        and not _TEMPLATE_SYNTAX.search(site.text)
    ):
        # Plain text, as most prompts are: no holes to parse or check.
        return None, Type.STRING, [], [], False, True, [], []
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


# Per node class: where its prompts are, as (body field or None, ((field, is an escalation
# list), ...)) per body.
_PromptPlan = tuple[tuple[str | None, tuple[tuple[str, bool], ...]], ...]
_PROMPT_PLAN: dict[type, _PromptPlan] = {}


def _prompt_plan(node: Any) -> _PromptPlan:
    cls = type(node)
    plan = _PROMPT_PLAN.get(cls)
    if plan is None:
        steps: list[tuple[str | None, tuple[tuple[str, bool], ...]]] = []
        for body_name in ("menu", "collect", "callback"):
            body = node_field(node, body_name)
            if body is not None:
                body_fields = _fields(type(body))
                fields: list[tuple[str, bool]] = [
                    (f, False) for f in ("prompt", "confirm") if f in body_fields
                ]
                fields += [(f, True) for f in ("no_input", "no_match") if f in body_fields]
                steps.append((body_name, tuple(fields)))
        own = tuple((f, False) for f in ("play", "prompt", "thanks") if f in _fields(cls))
        if own:
            steps.append((None, own))
        plan = _PROMPT_PLAN[cls] = tuple(steps)
    return plan


def _add_node_prompts(out: list[tuple[Path, Prompt, str | None]], node: Any, node_id: str) -> None:
    """Append a node's prompts to `out`: (path, prompt, node name)."""
    base: Path = ("nodes", node_id)
    for body_name, fields in _prompt_plan(node):
        owner = node if body_name is None else getattr(node, body_name)
        where: Path = base if body_name is None else (*base, body_name)
        for fname, escalation in fields:
            value = getattr(owner, fname)
            if not escalation:
                if isinstance(value, Prompt):
                    out.append(((*where, fname), value, node_id))
            elif len(value) == 1:
                out.append(((*where, fname), value[0], node_id))
            else:
                for i, pr in enumerate(value):
                    out.append(((*where, fname, i), pr, node_id))
    if isinstance(node, SurveyNode):
        for i, q in enumerate(node.survey):
            out.append(((*base, "survey", i, "ask"), q.ask, node_id))
    elif isinstance(node, MenuNode):
        for opt in node.menu.option_tuple:
            if opt.say is not None:
                out.append(((*base, "menu", *opt.path, "say"), opt.say, node_id))
