"""FL501 unknown-variable: an expression reads a name that is not defined, or a `set` assigns
a variable that is not declared.

Why: at run time the name has no value: a condition silently goes the wrong way, a prompt
reads out nothing, a service gets an empty parameter. Most often it is a typo.

Names an expression may read: declared `variables`, `params`, the targets of `collect`
(`into`) and `record`, `caller.number`, `caller.name`, `call.did`, `call.id`,
`call.locale`, `flags.<name>`, `survey.<id>` for a question of a survey node, and
`result.<...>` only inside the `set` of a fetch or subflow node. `set` targets must be
declared under `variables`.

Example::

    variables: {tier: string}
    nodes:
      route: {switch: [{if: 'teir == "gold"', goto: vip}], default: main_menu}
      remember: {set: {last_menu: main}, next: main_menu}     # `last_menu` not declared

Fix: correct the name (the hint suggests the closest one), or declare the variable under
`variables:`.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity, Suggester
from flowc.lint.context import LintContext, node_field

CODE = "FL501"
NAME = "unknown-variable"
SEVERITY = Severity.ERROR
LOCALE_VAR = "call.locale"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for checked in ctx.checked_sites:
        site = checked.site
        for issue in checked.issues:
            if issue.kind != "unknown_name" or issue.message.startswith("unknown function"):
                continue
            name = site.text[issue.start : issue.end]
            message, hint = issue.message, issue.hint
            if name == "result" or name.startswith("result."):
                message = f"`{name}` is not available here"
                hint = "`result` (the response) is only visible in the `set` of a fetch or subflow"
            elif name.startswith("survey.") and not ctx.survey_ids:
                hint = "no survey node asks a question with this id"
            yield ctx.diag_at(
                CODE, SEVERITY, message, ctx.site_span(site, issue.start, issue.end), hint=hint
            )

    variables = ctx.flow.header.variables
    suggest = Suggester(variables)
    for node_id, node in ctx.flow.nodes.items():
        mapping = node_field(node, "set")
        if not isinstance(mapping, dict):
            continue
        for var in mapping:
            # `call.locale` is the one writable built-in: setting it switches the language
            # of every prompt from here on (a language menu).
            if var in variables or var == LOCALE_VAR:
                continue
            if var in ctx.flow.header.params:
                hint = "params are inputs: declare a variable and copy the param into it"
            else:
                hint = suggest.hint(var) or f"declare it: `variables: {{{var}: string}}`"
            yield ctx.diag(
                CODE,
                SEVERITY,
                f"`set` assigns `{var}`, which is not a declared variable",
                ("nodes", node_id, "set", var),
                key=True,
                hint=hint,
            )
