"""Speech recognition: ``detect_speech`` and the DETECTED_SPEECH events it queues to the
session (``divert_events`` delivers them).  The stock switch loads no ASR module (T01a lines
250-252); the model of a recogniser below is for profiles that load one, and no capture shows it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..wire import EventData, Headers
from .base import AppGen

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["SpeechDetector"]


class SpeechDetector:
    """``detect_speech`` on channel ``ch``; ``session_queue``: the DETECTED_SPEECH events not
    yet diverted to a listener."""

    def __init__(self, ch: Channel) -> None:
        self.ch = ch
        self.session_queue: list[EventData] = []

    # detect_speech -------------------------------------------------------------------------

    def app_detect_speech(self, arg: str) -> AppGen:
        argv = arg.split()
        if argv and argv[0].lower() == "stop":
            return  # completes at once (T01a line 258)
        if argv and argv[0] not in self.ch.profile_sw.asr_modules:
            # T01a lines 250-252: ``switch_core_asr.c:67 Invalid ASR module [unimrcp]!``, the
            # app completes at once and the caller's input is left to the next collect
            self.ch.switch_log.append(f"Invalid ASR module [{argv[0]}]!")
            return
        # A profile that loads an ASR module gets the model below, which no capture shows
        # (the stock profile loads none, so a stock call never gets here).
        if not argv or argv[0].lower() in (
            "stop",
            "pause",
            "resume",
            "grammar",
            "nogrammar",
            "grammaron",
            "grammaroff",
            "grammarsalloff",
            "param",
            "start-input-timers",
            "init",
        ):
            return
        grammar = argv[1] if len(argv) > 1 else "default"
        inp = self.ch.digits.next_input()
        start = self.ch.now
        if inp == "hangup":
            self.ch.life.caller_hangup_at(start + self.ch.script.hangup_delay)
        elif inp.startswith("speech:"):
            text = inp[len("speech:") :]
            self.ch.engine.schedule(
                start + self.ch.script.speech_delay / 2,
                lambda: self._detected("begin-speaking", None),
            )
            self.ch.engine.schedule(
                start + self.ch.script.speech_delay,
                lambda: self._detected(
                    "detected-speech", _nlsml(grammar, text, self.ch.script.speech_confidence)
                ),
            )
        return
        yield  # pragma: no cover

    def _detected(self, kind: str, body: str | None) -> None:
        if self.ch.hung_up:
            return
        fire_asr = (self.ch.vars.get("fire_asr_events") or "").lower() in ("true", "yes", "on", "1")
        pre: Headers = [("Speech-Type", kind)]
        if fire_asr:
            event = self.ch.events.event("DETECTED_SPEECH", pre=pre, with_vars=False, body=body)
            self.ch.events.fire("DETECTED_SPEECH", event)
        # The event is also queued to the session (divert_events delivers it as it is).
        self.session_queue.append(
            self.ch.events.event("DETECTED_SPEECH", pre=pre, channel=False, body=body)
        )
        self.flush_session_queue()

    def flush_session_queue(self) -> None:
        diverting = [
            lst for lst in self.ch.conns.listeners if lst.divert and lst.live and lst.events_on
        ]
        if diverting and self.ch.state_num < 10:
            queued, self.session_queue = self.session_queue, []
            for event in queued:
                for lst in diverting:
                    self.ch.events.emit(lst, "DETECTED_SPEECH", event)


def _nlsml(grammar: str, text: str, confidence: int) -> str:
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        '<?xml version="1.0"?>\n'
        f'<result grammar="{grammar}">\n'
        f'  <interpretation grammar="{grammar}" confidence="{confidence}">\n'
        f'    <input mode="speech">{esc}</input>\n'
        "  </interpretation>\n"
        "</result>\n"
    )
