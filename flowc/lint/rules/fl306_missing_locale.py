"""FL306 missing-locale: a prompt does not cover exactly the locales the flow declares.

Why: a caller whose language has no variant hears another language (or silence, when the
runtime finds nothing to play); a variant for a locale the flow does not declare is never
played and usually a typo (`en_US`, `zh-cn` vs `zh-CN`). A plain text prompt is fine in a
one-language flow, but in a flow with several `locales` it is spoken in every caller's
language with the same words. Audio and `say` parts, and references to reusable prompts
(checked where they are defined), are not language text and are fine.

Example::

    locales: [zh-CN, en-US]
    nodes:
      welcome: {play: {zh-CN: "欢迎致电", en-us: "Welcome"}, next: main_menu}  # no en-US
      bye: {hangup: null, prompt: "Goodbye"}                             # English only

Fix: add the missing variants (and fix the locale tag spelling), or declare the locale in
`locales`.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowc.diagnostics import Diagnostic, Severity, did_you_mean
from flowc.lint.context import LintContext
from flowc.model.prompts import ANY_LOCALE

CODE = "FL306"
NAME = "missing-locale"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    declared = list(ctx.flow.locales)
    shown = ", ".join(declared)
    for path, prompt, _ in ctx.prompts():
        if ANY_LOCALE in prompt.variants:
            if len(declared) > 1 and any(p.kind == "tts" for p in prompt.variants[ANY_LOCALE]):
                yield ctx.diag(
                    CODE,
                    SEVERITY,
                    f"plain text prompt in a flow with locales {shown}: every caller hears"
                    " the same words",
                    path,
                    hint="write one variant per locale: "
                    + "{"
                    + ", ".join(f"{loc}: ..." for loc in declared)
                    + "}",
                )
            continue
        present = prompt.locales()
        missing = [loc for loc in declared if loc not in present]
        if missing:
            names = ", ".join(missing)
            yield ctx.diag(
                CODE,
                SEVERITY,
                f"prompt has no {names} variant{'s' if len(missing) > 1 else ''}",
                path,
                hint=f"the flow declares locales {shown}",
            )
        for loc in present:
            if loc not in declared:
                yield ctx.diag(
                    CODE,
                    SEVERITY,
                    f"variant for locale `{loc}`, which the flow does not declare",
                    (*path, loc),
                    key=True,
                    hint=did_you_mean(loc, declared) or f"add `{loc}` to `locales` ({shown})",
                )
