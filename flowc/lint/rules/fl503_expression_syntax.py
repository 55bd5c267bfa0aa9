"""FL503 expression-syntax: an expression or template does not parse.

Why: the flow cannot be compiled into anything that runs: the condition, prompt or value
is meaningless to the runtime. The message says what is wrong (`=` for `==`, an unclosed
`{`, a missing `else`...) and points at the place inside the text.

Example::

    route: {switch: [{if: "tier = 'gold'", goto: vip}], default: main_menu}
    greet: {play: "Hello {caller.name", next: main_menu}

Fix: follow the hint (`==` to compare, close the brace, `{{` for a literal brace).
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext

CODE = "FL503"
NAME = "expression-syntax"
SEVERITY = Severity.ERROR


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for checked in ctx.checked_sites:
        err = checked.error
        if err is None:
            continue
        what = "expression" if checked.site.usage == "expr" else "template"
        yield ctx.diag_at(
            CODE,
            SEVERITY,
            f"{what} syntax: {err.message}",
            ctx.site_span(checked.site, err.start, err.end),
            hint=err.hint,
        )
