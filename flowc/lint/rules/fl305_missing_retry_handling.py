"""FL305 missing-retry-handling: a menu or collect does not say what happens when the caller
is silent, presses a wrong key, or fails every retry.

Why: without `no_input` / `no_match` prompts the caller hears the same prompt again with no
idea what went wrong; without `on_fail` a caller who runs out of retries is hung up on by
default, often someone who simply needed help.

Example::

    get_account:
      collect: {into: account, prompt: "Enter your account number", max: 10}
      next: lookup

Fix: add `no_input: "Sorry, I did not hear anything."`, `no_match: "Sorry, that is not a
valid choice."` and `on_fail: agent` (or another fallback node).

With `retries: 1` there is no second try, so `no_input`/`no_match` prompts never play; a
menu with `on_no_input` goes on at once when the caller is silent, so its `no_input` prompt
never plays. The rule does not ask for such prompts, and says so when they are written.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity
from flowc.lint.context import LintContext

CODE = "FL305"
NAME = "missing-retry-handling"
SEVERITY = Severity.WARNING

_MISSING = {
    "no_input": ("no `no_input` prompt: a silent caller gets no help", 'no_input: "Sorry, ..."'),
    "no_match": ("no `no_match` prompt: a wrong entry gets no explanation", 'no_match: "..."'),
    "on_fail": (
        "no `on_fail`: callers who use up the retries are hung up on",
        "on_fail: <node> (an agent, or a goodbye)",
    ),
}


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for node_id, node in ctx.flow.nodes.items():
        if node.kind not in ("menu", "collect"):
            continue
        body = getattr(node, node.kind)
        one_try = body.retries == 1
        silence_goes_on = getattr(body, "on_no_input", None) is not None
        for fname, (what, fix) in _MISSING.items():
            why_never = None
            if one_try and fname in ("no_input", "no_match"):
                why_never = "has `retries: 1`", "there is no second try", "or raise `retries`"
            elif silence_goes_on and fname == "no_input":
                why_never = "has `on_no_input`", "silence goes on at once", ""
            if why_never is not None:
                has, because, alt = why_never
                if getattr(body, fname):
                    yield ctx.diag(
                        CODE,
                        SEVERITY,
                        f"{node.kind} `{node_id}` {has}: its `{fname}` prompt never plays "
                        f"({because})",
                        ("nodes", node_id, node.kind, fname),
                        key=True,
                        hint=f"remove `{fname}`{', ' + alt if alt else ''}",
                    )
                continue
            if not getattr(body, fname):
                yield ctx.diag(
                    CODE,
                    SEVERITY,
                    f"{node.kind} `{node_id}` has {what}",
                    ("nodes", node_id, node.kind),
                    key=True,
                    hint=f"add `{fix}`",
                )
