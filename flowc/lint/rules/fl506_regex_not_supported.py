"""FL506 regex-not-supported: a pattern the linear-time regex engine (RE2) cannot run.

Why: flow patterns (`matches` in expressions, a collect's `pattern`) run against what
callers and look-ups send. They run on RE2, which takes time linear in the text whatever the
pattern; a backtracking engine can take minutes on `^(1+)+$` and a few dozen digits, and
stall every call on the server. RE2 has no backreferences and no lookaround, so a pattern
using them (or one that does not parse, or is over 500 characters) would fail on every call.

Example::

    nodes:
      pin:
        collect: {into: pin, prompt: "Your PIN", pattern: '(\\d)\\1{3}'}   # a backreference
        next: check
      check:
        switch: [{if: 'ref matches "^(?!0)\\d+$"', goto: ok}]             # a lookahead
        default: retry

Fix: rewrite the pattern without the feature (`[1-9]\\d*` instead of `(?!0)\\d+`), or test
the value in steps with several conditions.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lang.regex import RegexError, compile_regex
from flowc.lint.context import LintContext
from flowc.model.nodes import CollectNode

CODE = "FL506"
NAME = "regex-not-supported"
SEVERITY = Severity.ERROR


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for checked in ctx.checked_sites:
        for issue in checked.issues:
            if issue.kind == "regex":
                span = ctx.site_span(checked.site, issue.start, issue.end)
                yield ctx.diag_at(CODE, SEVERITY, issue.message, span, hint=issue.hint)
    for node_id, node in ctx.flow.nodes.items():
        if not isinstance(node, CollectNode):
            continue
        pattern = node.collect.pattern
        if not pattern:
            continue
        try:
            # anchored as the interpreter and the switch run it
            compile_regex(f"^(?:{pattern})$")
        except RegexError as exc:
            yield ctx.diag(
                CODE,
                SEVERITY,
                f"collect pattern: {exc}",
                ("nodes", node_id, "collect", "pattern"),
                hint=exc.hint,
            )
