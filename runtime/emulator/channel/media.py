"""What the caller hears: ``switch_ivr_play_file`` on the profile's switch (streams, ``say:``
TTS, ``file_string://`` lists, sound files), flite's timing, and the apps that play
(``playback``, ``speak``, ``say``, ``sleep``), each case from a live capture."""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import TYPE_CHECKING, Final, Literal

from ..fsutil import atoi
from ..profile import Unrecorded
from .base import AppGen, Wait

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["Player"]

_TONE_SEGMENT: Final = re.compile(r"%\(\s*(\d+)\s*,\s*(\d+)")
_LOOPS: Final = re.compile(r"loops=(-?\d+)")
_ASCII_WORD: Final = re.compile(r"[A-Za-z]+")


class Player:
    """Playing media on channel ``ch`` (no state of its own: the play variables are the
    channel's)."""

    def __init__(self, ch: Channel) -> None:
        self.ch = ch

    # ------------------------------------------------------------------ playing -----------

    def prompt_ms(self, path: str) -> int:
        if path.startswith("silence_stream://"):
            ms = atoi(path[len("silence_stream://") :])
            return ms if ms > 0 else 3_600_000
        if path.startswith("tone_stream://"):
            total = sum(int(a) + int(b) for a, b in _TONE_SEGMENT.findall(path)) or 1000
            m = _LOOPS.search(path)
            loops = int(m.group(1)) if m else 1
            return total * loops if loops > 0 else 3_600_000
        if path.startswith("local_stream://"):
            return 3_600_000
        if path.startswith("say:"):
            return self.tts_ms(path[4:])
        return self.ch.script.prompt_ms

    def tts_ms(self, text: str) -> int:
        """How long flite (voice kal, English only) speaks ``text``: Chinese characters are
        silent (T01 lines 242-243: the Chinese greeting, ``Speaking text`` and ``done
        speaking text`` in the same 20 ms), each ASCII digit takes ~320 ms (T01 lines
        269-270: the menu with five digits, 1.60 s; lines 550-551 the survey, the same) and
        each English word ~430 ms (outbound_speak_flite_json: "Welcome to Acme", ~1.3 s).
        ``CallerScript.tts_ms_per_char`` scales it (60 = as recorded)."""
        digits = sum(1 for c in text if c.isascii() and c.isdigit())
        words = len(_ASCII_WORD.findall(text))
        return (digits * 320 + words * 430) * self.ch.script.tts_ms_per_char // 60

    def tts_ready(self) -> bool:
        """``say:`` needs ``tts_engine`` and ``tts_voice`` on the channel, an engine that is
        loaded and a voice it has (flite: kal)."""
        engine, voice = self.ch.vars.get("tts_engine"), self.ch.vars.get("tts_voice")
        if not engine or not voice:
            return False
        if voice not in self.ch.profile_sw.tts.get(engine, frozenset()):
            raise Unrecorded(f"TTS engine/voice {engine}/{voice} is not on the recorded switch")
        return True

    def open_file(self, path: str) -> Literal["ok", "invalid_args", "notfound"]:
        """What ``switch_ivr_play_file`` does with ``path`` on the profile's switch, each case
        from a live capture (``tests/fixtures/freeswitch/live/``); anything else is
        ``Unrecorded``.

        * ``silence_stream://N``: plays (every capture's bad prompt, T01a line 257
          ``done playing file silence_stream://250``);
        * ``tone_stream://...``: plays (the hold music from T06 on; outbound_pagd_info_dtmf);
        * ``say:<text>`` with tts_engine/tts_voice set: plays (T01 line 30, the first menu);
          without them ``invalid_args`` (T01a line 255 ``switch_ivr_play_say.c:1407 Invalid
          Args``);
        * ``file_string://a!b``: every item that is no stream is opened as a sound file
          relative to the sound prefix, ``say:`` items included (T01 lines 283-284 ``Unknown
          file Format [.../say:...]``, ``Can't open file``); a pasted ``-ERR Usage: ...`` too
          (T06 lines 306-308).  When no item opens: ``notfound`` (the collect returns at
          once).  A list that mixes playable streams and failing items is not recorded.
        """
        if path.startswith("silence_stream://") or path.startswith("tone_stream://"):
            return "ok"
        if path.startswith("say:"):
            return "ok" if self.tts_ready() else "invalid_args"
        if path.startswith("file_string://"):
            items = path[len("file_string://") :].split("!")
            if all(self._sound_file_missing(item) for item in items):
                return "notfound"
            raise Unrecorded(f"file_string:// with an item that opens: {path[:120]!r}")
        if "://" in path or path.startswith("{") or path.startswith("["):
            raise Unrecorded(f"no capture plays {path[:120]!r}")
        if self.ch.profile_sw.sound_files:
            base = path.rsplit("/", 1)[-1]
            if path in self.ch.script.missing_files or "." not in base:
                return "notfound"
            return "ok"
        raise Unrecorded(
            f"sound file {path[:120]!r}: the recorded switch has no sound files and no capture "
            "plays one outside file_string://"
        )

    def _sound_file_missing(self, item: str) -> bool:
        """An item of ``file_string://`` opened as a file (module docstring of _open_file)."""
        if "://" in item:
            return False  # a stream: playable or not recorded
        return not self.ch.profile_sw.sound_files

    def play(self, path: str, break_at: float | None = None) -> Generator[Wait, str, str]:
        """``switch_ivr_play_file``: returns ok / break (a key at ``break_at``) / stopped
        (CF_BREAK) / notfound / invalid_args / hangup."""
        if self.ch.hung_up:
            return "hangup"
        opened = self.open_file(path)
        if opened != "ok":
            # the switch's log line (T01a line 255 `Invalid Args`; T01 line 284 `Can't open
            # file`): a prompt the caller did not hear
            failure = "Invalid Args" if opened == "invalid_args" else "Can't open file"
            self.ch.switch_log.append(f"{failure} {path[:120]}")
            return opened
        total = self.prompt_ms(path) / 1000.0
        start = self.ch.now
        end = start + total
        status = "ok"
        if break_at is not None and break_at < end:
            end = break_at
            status = "break"
        result = yield from self.ch.engine.media_sleep(end - start)
        if result == "hangup":
            status = "hangup"
        elif result == "break":
            status = "stopped"
        if not path.startswith("say:"):
            played = round((self.ch.now - start) * 1000)
            samples = played * 8
            self.ch.vars.set("playback_last_offset_pos", str(samples))
            self.ch.vars.set("playback_seconds", str(played // 1000))
            self.ch.vars.set("playback_ms", str(played))
            self.ch.vars.set("playback_samples", str(samples))
        return status

    def app_playback(self, arg: str) -> AppGen:
        status = yield from self.play(arg)
        if status == "invalid_args":
            raise Unrecorded("playback of say: without tts_engine/tts_voice")
        if status in ("ok", "break", "stopped"):
            response = "FILE PLAYED"
        elif status == "notfound":
            response = "FILE NOT FOUND"
        else:
            response = "PLAYBACK ERROR"
        self.ch.vars.set("current_application_response", response)

    def app_speak(self, arg: str) -> AppGen:
        """``speak engine|voice|text``: plays with a loaded engine and one of its voices
        (flite|kal: T01a line 37, every capture's greeting); nothing else is recorded."""
        parts = arg.split("|", 2)
        if len(parts) != 3 or parts[1] not in self.ch.profile_sw.tts.get(parts[0], frozenset()):
            raise Unrecorded(
                f"speak {arg[:60]!r}: only engine|voice|text with flite|kal is recorded"
            )
        text = parts[-1]
        yield from self.ch.engine.media_sleep(self.tts_ms(text) / 1000.0)

    def app_say(self, arg: str) -> AppGen:
        """``say <lang> <type> <method> <value>``: without a say module for the language
        ``switch_xml.c:3326 Can't find language zh.`` and nothing is said, the app completes
        at once (T02 lines 270-272, 326-328).  A language with a module would play its sound
        files: no capture shows that (and the recorded switch has none)."""
        lang = arg.split(" ", 1)[0].split(".", 1)[0].split(":", 1)[0]
        if lang in self.ch.profile_sw.say_languages:
            raise Unrecorded(f"say {arg[:60]!r}: no capture shows a say module speaking")
        self.ch.switch_log.append(f"Can't find language {lang}.")
        return
        yield  # pragma: no cover

    def app_sleep(self, arg: str) -> AppGen:
        yield from self.ch.engine.media_sleep(max(0, atoi(arg)) / 1000.0)
