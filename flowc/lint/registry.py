"""All lint rules, in the order they run. One module per rule; codes are permanent.

Each rule module has CODE, NAME, SEVERITY, a docstring (what, why, example, fix) and
`check(ctx) -> Iterator[Diagnostic]`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext

RULE_MODULES: tuple[str, ...] = (
    "fl201_dangling_reference",
    "fl202_unreachable_node",
)


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    doc: str
    check: Callable[[LintContext], Iterator[Diagnostic]]


def _load(module: ModuleType) -> Rule:
    return Rule(
        module.CODE, module.NAME, module.SEVERITY, (module.__doc__ or "").strip(), module.check
    )


RULES: tuple[Rule, ...] = tuple(
    _load(importlib.import_module(f"flowc.lint.rules.{name}")) for name in RULE_MODULES
)


def run_rules(ctx: LintContext) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for rule in RULES:
        if ctx.config.enabled(rule.code):
            out.extend(rule.check(ctx))
    return out
