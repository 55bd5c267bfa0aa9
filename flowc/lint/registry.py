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
    "fl203_dead_end",
    "fl204_busy_loop",
    "fl205_unknown_definition",
    "fl206_subflow_mismatch",
    "fl221_time_to_agent",
    "fl222_no_path_to_agent",
    "fl301_menu_key_conflict",
    "fl302_menu_without_agent",
    "fl303_menu_too_deep",
    "fl304_menu_too_wide",
    "fl305_missing_retry_handling",
    "fl306_missing_locale",
    "fl307_missing_audio",
    "fl501_unknown_variable",
    "fl502_expression_type_error",
    "fl503_expression_syntax",
    "fl504_sensitive_leak",
    "fl505_unused_definition",
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
