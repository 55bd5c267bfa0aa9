"""Prompts: what the caller hears, in every shape an author may write it.

All written shapes normalise to one `Prompt`: per-locale lists of parts, where the locale ""
means "any locale". A bare string, `{tts: ...}`, `{audio: ...}`, `{say: {money: ...}}`,
`{prompt: name}`, a list of those, or a mapping of locale tags to those.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

from flowc.model.values import LOCALE_RE, as_text

SAY_KINDS = ("number", "money", "digits", "date", "time", "ordinal")
PART_KEYS = ("tts", "audio", "say", "prompt")
ANY_LOCALE = ""


class PromptPart(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["tts", "audio", "say", "ref"]
    text: str = ""  # tts text, audio path, say value template or the referenced prompt's name
    say_as: str | None = None


class Prompt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    variants: dict[str, tuple[PromptPart, ...]]
    barge_in: bool = True

    def locales(self) -> list[str]:
        return [loc for loc in self.variants if loc != ANY_LOCALE]

    def for_locale(self, locale: str) -> tuple[PromptPart, ...]:
        if locale in self.variants:
            return self.variants[locale]
        if ANY_LOCALE in self.variants:
            return self.variants[ANY_LOCALE]
        return next(iter(self.variants.values()), ())

    def parts(self) -> list[tuple[str, int, PromptPart]]:
        """Every part with its locale and index, for checks that look at all of them."""
        return [(loc, i, p) for loc, parts in self.variants.items() for i, p in enumerate(parts)]


# Prompts are built from checked pieces, so without re-validation, which dominated big-flow
# load time; and without `model_construct`, whose per-field alias and default handling cost
# three times the plain stores below for flows of thousands of prompts. The stores are the
# state `model_construct` leaves with every field given (tests/model/test_prompt_build.py
# holds them equal).
_new = object.__new__
_store = object.__setattr__
_PART_FIELDS = frozenset({"kind", "text", "say_as"})
_PROMPT_FIELDS = frozenset({"variants", "barge_in"})


def _mk_part(kind: str, text: str, say_as: str | None = None) -> PromptPart:
    part = _new(PromptPart)
    _store(part, "__dict__", {"kind": kind, "text": text, "say_as": say_as})
    _store(part, "__pydantic_fields_set__", set(_PART_FIELDS))
    _store(part, "__pydantic_extra__", None)
    _store(part, "__pydantic_private__", None)
    return part


def _mk_prompt(variants: dict[str, tuple[PromptPart, ...]], barge_in: bool) -> Prompt:
    prompt = _new(Prompt)
    _store(prompt, "__dict__", {"variants": variants, "barge_in": barge_in})
    _store(prompt, "__pydantic_fields_set__", set(_PROMPT_FIELDS))
    _store(prompt, "__pydantic_extra__", None)
    _store(prompt, "__pydantic_private__", None)
    return prompt


@functools.lru_cache(maxsize=4096)
def _text_prompt(text: str) -> Prompt:
    """A prompt written as plain text. Prompts are frozen, so one object serves every place
    the same text is written: flows repeat their re-prompts ("Sorry?") on every menu, and the
    per-prompt work of later stages (timings, checks) is then done once."""
    return _mk_prompt({ANY_LOCALE: (_mk_part("tts", text),)}, True)


def _fail(message: str, subpath: list[str | int]) -> PydanticCustomError:
    return PydanticCustomError("prompt", message, {"subpath": subpath})


def _part(raw: Any, sub: list[str | int]) -> PromptPart:
    if isinstance(raw, str | int | float) and not isinstance(raw, bool):
        return _mk_part("tts", as_text(raw))
    if not isinstance(raw, dict):
        raise _fail(
            "a prompt part is text or a mapping with `tts`, `audio`, `say` or `prompt`", sub
        )
    keys = [k for k in raw if k != "barge_in"]
    if len(keys) != 1 or keys[0] not in PART_KEYS:
        raise _fail(
            "a prompt part has exactly one of `tts`, `audio`, `say` or `prompt`"
            f" (found {', '.join(f'`{k}`' for k in keys) or 'none'})",
            sub,
        )
    key = keys[0]
    value = raw[key]
    if key == "say":
        if not isinstance(value, dict) or len(value) != 1:
            raise _fail(
                f"`say` takes one of {', '.join(SAY_KINDS)}: `say: {{money: '{{x}}'}}`", sub
            )
        ((kind, what),) = value.items()
        if kind not in SAY_KINDS:
            raise _fail(
                f"`say` cannot read `{kind}` aloud; use one of {', '.join(SAY_KINDS)}",
                [*sub, "say", kind],
            )
        return _mk_part("say", as_text(what), kind)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise _fail(f"`{key}` takes text", [*sub, key])
    return _mk_part("ref" if key == "prompt" else key, as_text(value))


def _parts(raw: Any, sub: list[str | int]) -> tuple[PromptPart, ...]:
    if isinstance(raw, list):
        if not raw:
            raise _fail("an empty list is not a prompt", sub)
        return tuple(_part(item, [*sub, i]) for i, item in enumerate(raw))
    return (_part(raw, sub),)


def is_locale_map(raw: dict[str, Any]) -> bool:
    keys = [k for k in raw if k != "barge_in"]
    return bool(keys) and all(
        isinstance(k, str) and LOCALE_RE.match(k) and k not in PART_KEYS for k in keys
    )


def normalize_prompt(raw: Any) -> Prompt:
    """Any written prompt shape -> Prompt; errors carry the sub-path of the bad piece."""
    if type(raw) is str:
        return _text_prompt(raw)
    if isinstance(raw, Prompt):
        return raw
    barge_in = True
    if isinstance(raw, dict):
        if "barge_in" in raw:
            if not isinstance(raw["barge_in"], bool):
                raise _fail("`barge_in` is true or false", ["barge_in"])
            barge_in = raw["barge_in"]
        if is_locale_map(raw):
            variants = {loc: _parts(v, [loc]) for loc, v in raw.items() if loc != "barge_in"}
            return _mk_prompt(variants, barge_in)
    if raw is None:
        raise _fail("a prompt is required here", [])
    return _mk_prompt({ANY_LOCALE: _parts(raw, [])}, barge_in)
