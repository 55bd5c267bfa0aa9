"""All lint rules, in the order they run. One module per rule; codes are permanent.

Each rule module has CODE, NAME, SEVERITY, a docstring (what, why, example, fix) and
`check(ctx) -> Iterator[Diagnostic]`; `RuleModule` says so to mypy, so the registry is a
typed tuple of the modules, imported by name (no importlib). A rule's code must be in the
catalogue (`flowc.codes`): the registry looks each one up when it is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from flowc import codes
from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext
from flowc.lint.rules import (
    fl201_dangling_reference,
    fl202_unreachable_node,
    fl203_dead_end,
    fl204_busy_loop,
    fl205_unknown_definition,
    fl206_subflow_mismatch,
    fl207_subflow_cycle,
    fl208_escalate_in_module,
    fl221_time_to_agent,
    fl222_no_path_to_agent,
    fl301_menu_key_conflict,
    fl302_menu_without_agent,
    fl303_menu_too_deep,
    fl304_menu_too_wide,
    fl305_missing_retry_handling,
    fl306_missing_locale,
    fl307_missing_audio,
    fl308_option_condition_constant,
    fl309_option_key_clash,
    fl310_menu_may_be_empty,
    fl311_person_only_when,
    fl501_unknown_variable,
    fl502_expression_type_error,
    fl503_expression_syntax,
    fl504_sensitive_leak,
    fl505_unused_definition,
    fl506_regex_not_supported,
    fl507_unbounded_growth,
)


class RuleModule(Protocol):
    """What a module under `flowc/lint/rules/` provides."""

    CODE: str
    NAME: str
    SEVERITY: Severity

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]: ...


RULE_MODULES: tuple[RuleModule, ...] = (
    fl201_dangling_reference,
    fl202_unreachable_node,
    fl203_dead_end,
    fl204_busy_loop,
    fl205_unknown_definition,
    fl206_subflow_mismatch,
    fl207_subflow_cycle,
    fl208_escalate_in_module,
    fl221_time_to_agent,
    fl222_no_path_to_agent,
    fl301_menu_key_conflict,
    fl302_menu_without_agent,
    fl303_menu_too_deep,
    fl304_menu_too_wide,
    fl305_missing_retry_handling,
    fl306_missing_locale,
    fl307_missing_audio,
    fl308_option_condition_constant,
    fl309_option_key_clash,
    fl310_menu_may_be_empty,
    fl311_person_only_when,
    fl501_unknown_variable,
    fl502_expression_type_error,
    fl503_expression_syntax,
    fl504_sensitive_leak,
    fl505_unused_definition,
    fl506_regex_not_supported,
    fl507_unbounded_growth,
)


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    doc: str
    check: Callable[[LintContext], Iterator[Diagnostic]]
    entry: codes.Entry


def _rule(module: RuleModule) -> Rule:
    doc = (getattr(module, "__doc__", None) or "").strip()
    return Rule(
        module.CODE, module.NAME, module.SEVERITY, doc, module.check, codes.entry(module.CODE)
    )


RULES: tuple[Rule, ...] = tuple(_rule(m) for m in RULE_MODULES)
_BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}


def explain(item: codes.Entry) -> str:
    """The what/why/example/fix of any code: a lint rule's docstring, else the catalogue's."""
    rule = _BY_CODE.get(item.code)
    return rule.doc if rule is not None else item.text()


def run_rules(ctx: LintContext) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for rule in RULES:
        if ctx.config.enabled(rule.code):
            out.extend(rule.check(ctx))
    return out
