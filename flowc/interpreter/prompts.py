"""Prompts: compiled once from the IR, rendered per call into `PlayItem`s.

A prompt in the IR (`flowc.ir.Prompt`) holds per-locale lists of parts, the locale "" meaning
any locale; a part is tts, audio, say or ref (a reusable prompt's name).
Compilation resolves `ref` parts (reusable prompts) for every locale of the flow up front and
parses every template, so rendering is a dict look-up plus the holes' evaluation.

Locale choice, per prompt: the call's locale, else the "" variant, else the flow's default
locale, else the first variant. A `ref` inside a variant is resolved for the same locale. A
prompt is interruptible only when it and every prompt it references allow barge-in.

Rendering never fails: a hole that cannot be evaluated reads as "" (a `say` item whose value
fails, or is null, is left out) and the problem is reported through `notes` for the trace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from flowc import ir
from flowc.interpreter.commands import PlayItem, PlayKind
from flowc.lang.expr import BudgetError, EvalError, Value, evaluate, names_used, to_text
from flowc.lang.expr.errors import ExprError
from flowc.lang.template import Hole, Template, parse_template

Note = Callable[[str, dict[str, Any]], None]


class ProgramError(ValueError):
    """The IR cannot be turned into a program (malformed, unknown kind, bad template...)."""


def compile_template(text: Any, where: str) -> Template:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    try:
        return parse_template(text)
    except ExprError as exc:
        raise ProgramError(f"{where}: bad template {text!r}: {exc.message}") from None


def template_roots(t: Template) -> frozenset[str]:
    """First segments of the names `t` reads (`pin` for `pin`, `result` for `result.x`)."""
    out: set[str] = set()
    for hole in t.holes:
        out |= {n.split(".", 1)[0] for n in names_used(hole.expr)}
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class Part:
    kind: PlayKind
    template: Template | None  # None: `literal` is the text
    literal: str
    say_as: str | None
    roots: frozenset[str]


@dataclass(frozen=True, slots=True)
class Variant:
    """A prompt for one locale: its parts and whether the caller may interrupt it. `fixed`:
    the rendered items when no part has a hole, built once (the same for every call)."""

    parts: tuple[Part, ...]
    barge_in: bool
    fixed: tuple[PlayItem, ...] | None = None


@dataclass(frozen=True, slots=True)
class CompiledPrompt:
    by_locale: Mapping[str, Variant]
    fallback: Variant

    def select(self, locale: str) -> Variant:
        return self.by_locale.get(locale, self.fallback)

    def render(
        self,
        locale: str,
        scope: Mapping[str, object],
        sensitive: frozenset[str] | set[str],
        note: Note,
    ) -> tuple[tuple[PlayItem, ...], bool]:
        variant = self.by_locale.get(locale, self.fallback)
        if variant.fixed is not None:
            return variant.fixed, variant.barge_in
        return render_parts(variant.parts, scope, sensitive, note), variant.barge_in


def render_parts(
    parts: tuple[Part, ...],
    scope: Mapping[str, object],
    sensitive: frozenset[str] | set[str],
    note: Note,
) -> tuple[PlayItem, ...]:
    items: list[PlayItem] = []
    for part in parts:
        secret = bool(part.roots) and not part.roots.isdisjoint(sensitive)
        if part.template is None:
            text = part.literal
        elif part.kind == "say":
            value = _say_value(part.template, scope, note)
            if value is None:
                continue
            text = value
        else:
            text = render_text(part.template, scope, note)
        if not text and part.kind != "say":
            continue
        items.append(PlayItem(part.kind, text, part.say_as, secret))
    return tuple(items)


def render_text(t: Template, scope: Mapping[str, object], note: Note) -> str:
    """`t` rendered, every failing hole as "" (reported through `note`)."""
    out: list[str] = []
    for piece in t.parts:
        if isinstance(piece, str):
            out.append(piece)
            continue
        try:
            out.append(to_text(evaluate(piece.expr, scope)))
        except BudgetError:
            raise  # ends the call
        except EvalError as exc:
            note(f"`{{{piece.text}}}` could not be read: {exc.message}", {"hole": piece.text})
    return "".join(out)


def _say_value(t: Template, scope: Mapping[str, object], note: Note) -> str | None:
    try:
        if t.is_single_hole:
            value: Value = evaluate(cast(Hole, t.parts[0]).expr, scope)
        else:
            value = render_text_strict(t, scope)
        if value is None or value == "":
            note(f"nothing to say: `{t.text}` is empty", {"template": t.text})
            return None
        return to_text(value)
    except BudgetError:
        raise  # ends the call
    except EvalError as exc:
        note(f"`{t.text}` could not be read aloud: {exc.message}", {"template": t.text})
        return None


def render_text_strict(t: Template, scope: Mapping[str, object]) -> str:
    return "".join(p if isinstance(p, str) else to_text(evaluate(p.expr, scope)) for p in t.parts)


class PromptCompiler:
    """Compiles the IR's prompts for the locales of one flow, resolving reusable prompts."""

    def __init__(
        self, reusable: Mapping[str, ir.Prompt], locales: list[str], default_locale: str
    ) -> None:
        self._reusable = reusable
        self._locales = list(dict.fromkeys([default_locale, *locales]))
        self._default = default_locale

    def compile(self, prompt: ir.Prompt, where: str) -> CompiledPrompt:
        by_locale: dict[str, Variant] = {}
        for locale in self._locales:
            parts, barge_in = self._resolve(prompt, locale, where, ())
            fixed = None
            if all(p.template is None for p in parts):
                fixed = render_parts(parts, {}, frozenset(), _no_note)
            by_locale[locale] = Variant(parts, barge_in, fixed)
        return CompiledPrompt(by_locale, by_locale[self._default])

    def _resolve(
        self, prompt: ir.Prompt, locale: str, where: str, stack: tuple[str, ...]
    ) -> tuple[tuple[Part, ...], bool]:
        barge_in = prompt.barge_in
        parts: list[Part] = []
        for i, part in enumerate(_choose(prompt.variants, locale, self._default)):
            text = part.text
            match part.kind:
                case "ref":
                    if text in stack:
                        raise ProgramError(f"{where}: prompt `{text}` refers to itself")
                    target = self._reusable.get(text)
                    if target is None:
                        raise ProgramError(f"{where}: unknown prompt `{text}`")
                    sub, sub_barge = self._resolve(
                        target, locale, f"prompt `{text}`", (*stack, text)
                    )
                    parts.extend(sub)
                    barge_in = barge_in and sub_barge
                case "tts" | "say":
                    t = compile_template(text, f"{where} part {i}")
                    plain = None if t.holes else "".join(p for p in t.parts if isinstance(p, str))
                    parts.append(
                        Part(
                            part.kind,
                            None if plain is not None else t,
                            plain or "",
                            part.say_as if part.kind == "say" else None,
                            template_roots(t),
                        )
                    )
                case "audio":
                    if "{" in text:
                        t = compile_template(text, f"{where} part {i}")
                        parts.append(Part("audio", t, "", None, template_roots(t)))
                    else:
                        parts.append(Part("audio", None, text, None, frozenset()))
        return tuple(parts), barge_in


def _no_note(why: str, detail: dict[str, Any]) -> None:
    raise AssertionError(f"a prompt without holes has nothing to report: {why}")


def _choose(
    variants: Mapping[str, tuple[ir.PromptPart, ...]], locale: str, default: str
) -> tuple[ir.PromptPart, ...]:
    for key in (locale, "", default):
        if key in variants:
            return variants[key]
    return next(iter(variants.values()), ())
