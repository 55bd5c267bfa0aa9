"""What a lint rule sees: the validated flow, its source, its graph and the configuration.

Rules report through `LintContext.diag`, naming a *path* into the source document; the path
is turned into file:line:col here, so a rule never deals with positions and fires at the
same place in YAML and DSL sources.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path as FsPath
from typing import Any, Literal

import networkx as nx

from flowc.analysis.graph import build_graph, reachable
from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.config import LintConfig
from flowc.model.flow import Flow
from flowc.model.prompts import Prompt
from flowc.source.document import Path, SourceDoc

Usage = Literal["expr", "template", "url"]


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


@dataclass
class LintContext:
    flow: Flow
    doc: SourceDoc
    config: LintConfig = field(default_factory=LintConfig)
    # Subflow modules loaded by the caller, by the path written in the flow.
    modules: dict[str, Flow | None] = field(default_factory=dict)

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
        return reachable(self.graph, self.flow.entry)

    @property
    def base_dir(self) -> FsPath:
        return FsPath(self.flow.file).parent

    def prompts(self) -> Iterator[tuple[Path, Prompt, str | None]]:
        """Every prompt in the flow: (path, prompt, node name or None for header prompts)."""
        for name, prompt in self.flow.header.prompts.items():
            yield ("prompts", name), prompt, None
        for node_id, node in self.flow.nodes.items():
            base: Path = ("nodes", node_id)
            yield from ((p, pr, node_id) for p, pr in _node_prompts(node, base))

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
            for loc, i, part in prompt.parts():
                if part.kind in ("tts", "say"):
                    yield ExprSite(
                        _part_path(path, prompt, loc, i, part.kind, part.say_as),
                        part.text,
                        "template",
                        node_id,
                        "prompt",
                    )
        for node_id, node in self.flow.nodes.items():
            base: Path = ("nodes", node_id)
            kind = node.kind
            if kind == "switch":
                for i, rule in enumerate(node.switch):  # type: ignore[attr-defined]
                    yield ExprSite(
                        (*base, "switch", i, "if"), rule.if_, "expr", node_id, "condition"
                    )
            for fname in ("set", "params", "with", "return"):
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
            if kind == "queue":
                yield ExprSite(
                    (*base, "priority"),
                    node.priority,
                    "template",
                    node_id,  # type: ignore[attr-defined]
                    "priority",
                )
            if kind == "transfer":
                yield ExprSite(
                    (*base, "transfer"),
                    node.transfer,
                    "template",
                    node_id,  # type: ignore[attr-defined]
                    "transfer",
                )
            if kind == "callback":
                yield ExprSite(
                    (*base, "callback", "number"),
                    node.callback.number,  # type: ignore[attr-defined]
                    "template",
                    node_id,
                    "callback",
                )


def _field(node: Any, name: str) -> Any:
    attr = {"with": "with_", "return": "return_"}.get(name, name)
    return getattr(node, attr, None)


def _part_path(base: Path, prompt: Prompt, loc: str, i: int, kind: str, say_as: str | None) -> Path:
    """Best-effort source path of one prompt part (shapes vary; span_of falls back upward)."""
    p: Path = base
    if loc:
        p = (*p, loc)
    if len(prompt.variants.get(loc, ())) > 1:
        p = (*p, i)
    if kind == "say":
        p = (*p, "say", say_as or "")
    elif kind == "tts":
        p = (*p, "tts")
    return p


def _node_prompts(node: Any, base: Path) -> Iterator[tuple[Path, Prompt]]:
    for body_name in ("menu", "collect", "callback"):
        body = getattr(node, body_name, None)
        if body is not None and not isinstance(body, str):
            for fname in ("prompt", "confirm"):
                pr = getattr(body, fname, None)
                if isinstance(pr, Prompt):
                    yield (*base, body_name, fname), pr
            for fname in ("no_input", "no_match"):
                seq = getattr(body, fname, ())
                if len(seq) == 1:
                    yield (*base, body_name, fname), seq[0]
                else:
                    for i, pr in enumerate(seq):
                        yield (*base, body_name, fname, i), pr
    for fname in ("play", "prompt", "thanks"):
        pr = getattr(node, fname, None)
        if isinstance(pr, Prompt):
            yield (*base, fname), pr
    for i, q in enumerate(getattr(node, "survey", ()) or ()):
        yield (*base, "survey", i, "ask"), q.ask
