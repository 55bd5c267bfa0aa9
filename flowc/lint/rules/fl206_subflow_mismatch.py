"""FL206 subflow-mismatch: a subflow call does not fit the module it calls.

Why: the module file is loaded and its inputs bound when the call reaches the node; a missing
file, a misspelt or forgotten parameter, or reading a return value the module never sets
breaks the call (or silently passes nothing) at run time.

Checked: the module file exists (relative to the flow file) inside the project (the folder
with pyproject.toml or .git, or the flow's folder: a flow file from elsewhere must not make
flowc read `../../etc/passwd`); every `with` key is one of the
module's `params`; every module param is passed; `set` only reads `result.X` for X in the
module's `returns`.

Example::

    verify: {subflow: modules/verify_pin.yaml, with: {acount: "{account}"},
             set: {ok: "{result.verfied}"}, next: main_menu}

Fix: correct the path, pass exactly the params the module declares, and read only the
values the module lists under `returns`.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity, did_you_mean
from flowc.lint.context import LintContext
from flowc.model.flow import Flow
from flowc.model.nodes import SubflowNode
from flowc.source.document import Path

CODE = "FL206"
NAME = "subflow-mismatch"
SEVERITY = Severity.ERROR


def _module(ctx: LintContext, ref: str) -> tuple[bool, Flow | None]:
    """(file exists, loaded module or None)."""
    if ref in ctx.modules:
        module = ctx.modules[ref]
        if module is not None:
            return True, module
    try:
        return (ctx.base_dir / ref).is_file(), None
    except (OSError, ValueError):  # a path the file system cannot even look up
        return False, None


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for node_id, node in ctx.flow.nodes.items():
        if not isinstance(node, SubflowNode):
            continue
        base: Path = ("nodes", node_id)
        ref = node.subflow
        issue = ctx.module_issues.get(ref)
        if issue is not None and issue.kind == "outside":
            yield ctx.diag(
                CODE,
                SEVERITY,
                f"subflow module {issue.message}",
                (*base, "subflow"),
                hint=issue.hint,
            )
            continue
        exists, module = _module(ctx, ref)
        if not exists:
            yield ctx.diag(
                CODE,
                SEVERITY,
                f"subflow module `{ref}` not found",
                (*base, "subflow"),
                hint=f"the path is relative to the flow file's folder ({ctx.base_dir})",
            )
            continue
        if module is None:
            continue  # exists but does not load: its own check reports why
        params = module.header.params
        passed = node.with_
        for name in passed:
            if name not in params:
                yield ctx.diag(
                    CODE,
                    SEVERITY,
                    f"module `{module.name}` has no param `{name}`",
                    (*base, "with", name),
                    key=True,
                    hint=did_you_mean(name, params)
                    or (
                        f"its params: {', '.join(params)}"
                        if params
                        else "the module declares no params"
                    ),
                )
        missing = [p for p in params if p not in passed]
        if missing:
            shown = ", ".join(f"`{p}`" for p in missing)
            yield ctx.diag(
                CODE,
                SEVERITY,
                f"module `{module.name}` needs param{'s' if len(missing) > 1 else ''} {shown}",
                (*base, "with") if ctx.raw((*base, "with")) is not None else (*base, "subflow"),
                key=True,
                hint=f"pass {'them' if len(missing) > 1 else 'it'} under `with:`",
            )
        returns = module.header.returns
        for use in ctx.result_reads.get(node_id, ()):
            member = use.name.split(".")[1] if "." in use.name else ""
            if member and member not in returns:
                yield ctx.diag_at(
                    CODE,
                    SEVERITY,
                    f"module `{module.name}` returns no `{member}`",
                    ctx.site_span(use.site, use.start, use.end),
                    hint=did_you_mean(member, returns)
                    or (
                        f"it returns: {', '.join(returns)}"
                        if returns
                        else "the module declares no `returns`"
                    ),
                )
