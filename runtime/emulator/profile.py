"""What the emulated switch has installed (``SwitchProfile``) and the error for what no
recording shows (``Unrecorded``).

The emulator is a model of FreeSWITCH 1.10.12 built from recordings: every behaviour it
implements cites the capture that shows it.  What no capture shows is not guessed: the model
raises ``Unrecorded`` into the test (through ``Channel.receive_data`` / ``advance``, and from
there through ``aio`` into the e2e harness), so a test can never pass on an invented answer.

``stock_1_10_12()`` is the switch of ``tests/fixtures/freeswitch/live/README.md`` ("Setup"):
mod_flite with the voice ``kal`` only, mod_say_en only, no ASR module, no sound files, no
mod_local_stream, one directory domain (127.0.0.1) - and the optional changes the README lists
under "What the switch needed besides the generated XML", each a flag, because each capture's
header ``setup`` says which applied:

* ``tts_vars``: the ``fid_flowc_dids`` extension sets ``tts_engine=flite`` / ``tts_voice=kal``
  before the call reaches the flow (from T01 on; T01a is without);
* ``skip_vars``: it also sets ``skip_greeting`` / ``skip_instructions`` / ``skip_record_check``
  (from T10 on; T10c is without);
* ``hold_music``: ``tone_stream://%(400,2600,440);loops=-1`` from T06 on; the vanilla
  ``local_stream://moh`` (unplayable without mod_local_stream) before, and in T06a;
* ``default_domain``: a directory domain ``default`` with users 1000 and 1001 (from T10c on;
  T10b is without).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

__all__ = [
    "FIXED_HOLD_MUSIC",
    "VANILLA_HOLD_MUSIC",
    "SwitchProfile",
    "Unrecorded",
    "outbound_recordings",
    "stock_1_10_12",
]


class Unrecorded(Exception):
    """The application asked the emulated switch for something no recording shows."""


VANILLA_HOLD_MUSIC: Final = "local_stream://moh"
FIXED_HOLD_MUSIC: Final = "tone_stream://%(400,2600,440);loops=-1"

STOCK_MODULES: Final = frozenset(
    """mod_console mod_logfile mod_event_socket mod_sofia mod_loopback mod_commands mod_db
    mod_dptools mod_expr mod_hash mod_voicemail mod_callcenter mod_spandsp mod_dialplan_xml
    mod_opus mod_sndfile mod_native_file mod_tone_stream mod_flite mod_lua mod_say_en""".split()
)
"""live/README.md, Setup: "Modules loaded: ..." (no mod_local_stream, no mod_unimrcp)."""


def _frozen(d: Mapping[str, frozenset[str]]) -> Mapping[str, frozenset[str]]:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class SwitchProfile:
    """The installed switch.

    ``tts``: TTS engine -> its voices (``say:`` and ``speak`` need both on the channel);
    ``say_languages``: languages with a say module; ``asr_modules``: loaded ASR modules;
    ``hold_music``: ``$${hold_music}`` (what ``moh-sound`` of the generated queues expands to);
    ``directory``: domain -> users (mod_voicemail looks the mailbox up there);
    ``sound_files``: whether sound files are installed; ``channel_vars``: what the switch's own
    dialplan sets on every call before the flow gets it (in that order).
    """

    name: str
    modules: frozenset[str] = STOCK_MODULES
    tts: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: _frozen({"flite": frozenset({"kal"})})
    )
    say_languages: frozenset[str] = frozenset({"en"})
    asr_modules: frozenset[str] = frozenset()
    hold_music: str = FIXED_HOLD_MUSIC
    directory: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: _frozen({"127.0.0.1": frozenset()})
    )
    sound_files: bool = False
    channel_vars: tuple[tuple[str, str], ...] = ()

    @property
    def local_stream(self) -> bool:
        return "mod_local_stream" in self.modules

    def hold_music_playable(self) -> bool:
        """T06a: ``local_stream://`` without mod_local_stream is "Invalid file format"."""
        music = self.hold_music
        if music.startswith("local_stream://"):
            return self.local_stream
        return music.startswith("tone_stream://")

    def has_user(self, domain: str, user: str) -> bool:
        return user in self.directory.get(domain, frozenset())


def stock_1_10_12(
    *,
    tts_vars: bool = True,
    skip_vars: bool = True,
    hold_music: str = FIXED_HOLD_MUSIC,
    default_domain: bool = True,
) -> SwitchProfile:
    """The live captures' switch (module docstring); the defaults are the setup of the later
    calls (T10 on), each flag off reproduces the capture named in the docstring."""
    channel_vars: list[tuple[str, str]] = []
    if tts_vars:
        channel_vars += [("tts_engine", "flite"), ("tts_voice", "kal")]
    if skip_vars:
        channel_vars += [
            ("skip_greeting", "true"),
            ("skip_instructions", "true"),
            ("skip_record_check", "true"),
        ]
    directory: dict[str, frozenset[str]] = {"127.0.0.1": frozenset()}
    if default_domain:
        directory["default"] = frozenset({"1000", "1001"})
    return SwitchProfile(
        name="stock_1_10_12",
        hold_music=hold_music,
        directory=_frozen(directory),
        channel_vars=tuple(channel_vars),
    )


def outbound_recordings() -> SwitchProfile:
    """The switch of the earlier ``tests/fixtures/freeswitch/outbound_*.jsonl`` sessions: its
    dialplan sets nothing before the socket (their apps set ``tts_engine``/``tts_voice``
    themselves, outbound_speak_flite_json).  ``sound_files`` is an assumption of the emulator's
    unit tests: none of those sessions plays a sound file (they play tone_stream://,
    silence_stream:// and say: only; four of them stop after ``answer``)."""
    return SwitchProfile(name="outbound_recordings", sound_files=True)
