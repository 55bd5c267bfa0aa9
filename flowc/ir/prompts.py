"""Prompts in the IR: per-locale lists of parts, the locale "" meaning any locale."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from flowc.ir.codec import mapping

PartKind = Literal["tts", "audio", "say", "ref"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PromptPart:
    kind: PartKind
    text: str = ""  # tts text, audio path, say value template or the referenced prompt's name
    say_as: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Prompt:
    variants: Mapping[str, tuple[PromptPart, ...]] = mapping()
    barge_in: bool = True
