"""What the caller hears, as text, and how long it takes to say it (virtual time).

Rendered prompt items read as they would sound: TTS text as is, `say` values as
`[money 12.50]`, `[digits 13800000000]`, `[date 2026-10-15]`, audio files as
`[audio sounds/welcome.wav]`; anything sensitive as `****`.

Durations are estimates from the text: about 4 Chinese characters or 2.5 English words a
second, a fixed time per `say` kind, the real length of a WAV file next to the flow (else 3 s).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from flowc.interpreter import MASK, PlayItem

CJK_MS = 230  # per Han character / kana / hangul / full-width punctuation
WORD_MS = 380  # per word of other scripts
PAUSE_MS = 150  # per sentence break
AUDIO_MS = 3000  # an audio file we cannot measure
MIN_PLAY_MS = 300
SAY_MS = {"money": 1600, "date": 1800, "time": 1200, "ordinal": 800, "number": 900}
DIGIT_MS = 420  # `say digits`: per digit

_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_BREAK = re.compile(r"[.!?;。！？；，,]")


def say_text(say_as: str | None, value: str) -> str:
    if say_as == "money":
        try:
            value = f"{float(value):.2f}"
        except ValueError:
            pass
    return f"[{say_as or 'say'} {value}]"


def item_text(item: PlayItem) -> str:
    if item.kind == "say":
        return say_text(item.say_as, MASK if item.sensitive else item.text)
    if item.sensitive:
        return MASK
    if item.kind == "audio":
        return f"[audio {item.text}]"
    return item.text


def items_text(items: Iterable[PlayItem]) -> str:
    return " ".join(t for t in (item_text(i) for i in items) if t).strip()


def text_ms(text: str) -> int:
    cjk = len(_CJK.findall(text))
    rest = _CJK.sub(" ", text)
    words = len(re.findall(r"[^\W_]+", rest))
    return cjk * CJK_MS + words * WORD_MS + len(_BREAK.findall(text)) * PAUSE_MS


def item_ms(item: PlayItem, audio_ms: Callable[[str], int | None] | None = None) -> int:
    if item.kind == "audio":
        found = audio_ms(item.text) if audio_ms is not None else None
        return found if found is not None else AUDIO_MS
    if item.kind == "say":
        if item.say_as == "digits":
            return max(1, len(item.text)) * DIGIT_MS
        return SAY_MS.get(item.say_as or "", 900)
    return text_ms(item.text)


def play_ms(items: Iterable[PlayItem], audio_ms: Callable[[str], int | None] | None = None) -> int:
    total = sum(item_ms(i, audio_ms) for i in items)
    return max(MIN_PLAY_MS, total)
