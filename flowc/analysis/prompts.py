"""What a node says, as text for drawings and as seconds for time budgets.

Durations are estimates: text-to-speech at about 14 characters a second for alphabetic
scripts and 4 characters a second for CJK scripts (Mandarin TTS reads about four syllables a
second), a fixed time for each `say` kind, and the real length of WAV recordings (read with
`wave`; other formats and missing files count `UNKNOWN_AUDIO_S`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
import wave
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flowc.model import nodes as m
from flowc.model.flow import Flow
from flowc.model.nodes import Node
from flowc.model.prompts import Prompt, PromptPart

LATIN_CHARS_PER_S = 14.0
CJK_CHARS_PER_S = 4.0
HOLE_CHARS = 8  # a `{expr}` hole reads like a short word or two
SAY_SECONDS = {"number": 1.5, "money": 2.5, "digits": 4.0, "date": 2.0, "time": 1.5, "ordinal": 1.0}
UNKNOWN_AUDIO_S = 3.0
PAUSE_S = 0.3  # between concatenated parts

_HOLE_RE = re.compile(r"(?<!\{)\{(?!\{)[^{}]*\}")
_SPACE_RE = re.compile(r"\s+")


def is_cjk(ch: str) -> bool:
    """Han, kana, hangul and full-width forms: one syllable each when read aloud."""
    o = ord(ch)
    if unicodedata.east_asian_width(ch) not in ("W", "F"):
        return False
    # Full-width punctuation is a pause, not a syllable.
    return not (0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFF0F or 0xFF1A <= o <= 0xFF20)


# Han (with extensions and compatibility ideographs), kana, hangul: one syllable each.
_CJK_RE = re.compile(
    "[\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]"
)
_BREAK_RE = re.compile(r"[^\S ]")  # line breaks and tabs: not read


@functools.lru_cache(maxsize=4096)
def tts_seconds(text: str) -> float:
    """Estimated speaking time of TTS text (holes count as HOLE_CHARS characters)."""
    holes = len(_HOLE_RE.findall(text))
    plain = _HOLE_RE.sub("", text)
    cjk = len(_CJK_RE.findall(plain))
    other = len(plain) - cjk - len(_BREAK_RE.findall(plain))
    return cjk / CJK_CHARS_PER_S + (other + holes * HOLE_CHARS) / LATIN_CHARS_PER_S


def wav_seconds(path: Path) -> float | None:
    """Length of a WAV file in seconds, or None when it is missing or not a WAV file."""
    try:
        with wave.open(str(path), "rb") as w:
            rate = w.getframerate()
            return w.getnframes() / rate if rate else None
    except (OSError, EOFError, wave.Error):
        return None


@dataclass
class PromptTimer:
    """Seconds of speech per prompt, per locale, with the flow's reusable prompts resolved."""

    flow: Flow
    sound_dirs: Sequence[str] = ("sounds", ".")

    def __post_init__(self) -> None:
        self._audio: dict[str, float] = {}
        self._seconds: dict[tuple[int, str], tuple[Prompt, float]] = {}
        self.estimated_audio: set[str] = set()

    def _audio_seconds(self, name: str) -> float:
        if name not in self._audio:
            base = Path(self.flow.file).parent
            secs: float | None = None
            for folder in [base, *(base / d for d in self.sound_dirs)]:
                candidate = folder / name
                if candidate.is_file():
                    secs = wav_seconds(candidate)
                    break
            if secs is None:
                self.estimated_audio.add(name)
            self._audio[name] = UNKNOWN_AUDIO_S if secs is None else secs
        return self._audio[name]

    def part_seconds(self, part: PromptPart, locale: str, depth: int = 0) -> float:
        if part.kind == "tts":
            return tts_seconds(part.text)
        if part.kind == "audio":
            return self._audio_seconds(part.text.strip())
        if part.kind == "say":
            return SAY_SECONDS.get(part.say_as or "", 1.5)
        ref = self.flow.header.prompts.get(part.text)
        if ref is None or depth > 8:
            return 0.0
        return self.seconds(ref, locale, depth + 1)

    def seconds(self, prompt: Prompt | None, locale: str, depth: int = 0) -> float:
        if prompt is None:
            return 0.0
        key = (id(prompt), locale)
        cached = self._seconds.get(key)
        if cached is not None:
            return cached[1]
        parts = prompt.for_locale(locale)
        total = sum(self.part_seconds(p, locale, depth) for p in parts)
        total += PAUSE_S * max(len(parts) - 1, 0)
        # Keyed by identity: keep the prompt alive with its value so the id stays its own.
        self._seconds[key] = (prompt, total)
        return total

    def total(self, prompts: Iterable[Prompt], locale: str) -> float:
        return sum(self.seconds(p, locale) for p in prompts)


def part_text(flow: Flow, part: PromptPart, locale: str, depth: int = 0) -> str:
    if part.kind == "tts":
        return part.text
    if part.kind == "audio":
        return f"♪{Path(part.text).name}"
    if part.kind == "say":
        return f"‹{part.say_as}: {part.text}›"
    ref = flow.header.prompts.get(part.text)
    if ref is None or depth > 8:
        return f"[{part.text}]"
    return prompt_text(flow, ref, locale, depth + 1)


def prompt_text(flow: Flow, prompt: Prompt | None, locale: str, depth: int = 0) -> str:
    """One line of what the caller hears, reusable prompts resolved, spaces collapsed."""
    if prompt is None:
        return ""
    pieces = [part_text(flow, p, locale, depth) for p in prompt.for_locale(locale)]
    out = ""
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        joins_tight = out and (is_cjk(out[-1]) or is_cjk(piece[0]) or piece[0] in ".,;:!?")
        out += piece if (not out or joins_tight) else " " + piece
    return _SPACE_RE.sub(" ", out)


def has_data(flow: Flow, prompt: Prompt | None, depth: int = 0) -> bool:
    """Whether a prompt reads out call data (a `say` part or a `{expr}` hole)."""
    if prompt is None:
        return False
    for _, _, part in prompt.parts():
        if part.kind == "say" or (part.kind == "tts" and _HOLE_RE.search(part.text)):
            return True
        if part.kind == "ref" and depth < 8:
            ref = flow.header.prompts.get(part.text)
            if ref is not None and has_data(flow, ref, depth + 1):
                return True
    return False


def main_prompts(node: Node) -> list[Prompt]:
    """The prompts a caller hears on arriving at a node (re-prompts and confirmations aside)."""
    found: list[Prompt | None]
    match node:
        case m.MenuNode():
            found = [node.menu.prompt]
        case m.CollectNode():
            found = [node.collect.prompt]
        case m.CallbackNode():
            found = [node.callback.prompt]
        case m.PlayNode():
            found = [node.play]
        case m.SurveyNode():
            found = [*(q.ask for q in node.survey), node.thanks]
        case m.TransferNode() | m.VoicemailNode() | m.RecordNode() | m.HangupNode():
            found = [node.prompt]
        case _:
            found = []
    return [p for p in found if p is not None]


def retry_prompts(node: Node) -> tuple[int, list[tuple[Prompt | None, Prompt | None]]]:
    """(retries, [(no_input, no_match) re-prompt for failure 1, 2, ...]) of a menu or collect.

    The n-th failure plays the n-th escalation prompt; the last one repeats.
    """
    match node:
        case m.MenuNode():
            body: m.MenuBody | m.CollectBody | None = node.menu
        case m.CollectNode():
            body = node.collect
        case _:
            body = None
    if body is None:
        return 1, []
    steps: list[tuple[Prompt | None, Prompt | None]] = []
    for i in range(body.retries):
        ni = body.no_input[min(i, len(body.no_input) - 1)] if body.no_input else None
        nm = body.no_match[min(i, len(body.no_match) - 1)] if body.no_match else None
        steps.append((ni, nm))
    return int(body.retries), steps
