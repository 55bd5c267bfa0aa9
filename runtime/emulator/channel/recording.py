"""Recording the caller: ``record`` and mod_voicemail's ``voicemail <profile> <domain> <id>``
(leaving a message), each case from a live capture (T10, T10b, T10c)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..fsutil import atoi, separate_string
from ..profile import Unrecorded
from .base import AppGen, truthy

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["Recorder"]


class Recorder:
    """``record`` and ``voicemail`` on channel ``ch`` (no state of their own)."""

    def __init__(self, ch: Channel) -> None:
        self.ch = ch

    # record / voicemail ---------------------------------------------------------------------

    def app_record(self, arg: str) -> AppGen:
        argv = arg.split()
        limit = atoi(argv[1]) * 1000 if len(argv) > 1 and atoi(argv[1]) > 0 else None
        ms = self.ch.script.record_ms if limit is None else min(limit, self.ch.script.record_ms)
        start = self.ch.now
        yield from self.ch.engine.sleep(ms / 1000.0)
        done = round((self.ch.now - start) * 1000)
        self.ch.vars.set("record_samples", str(done * 8))
        self.ch.vars.set("record_seconds", str(done // 1000))
        self.ch.vars.set("record_ms", str(done))
        cause = "success-maxtime" if limit is not None and done >= limit else "success-silence"
        self.ch.vars.set("record_completion_cause", cause if not self.ch.hung_up else "hangup")

    def app_voicemail(self, arg: str) -> AppGen:
        """``voicemail <profile> <domain> <id>`` leaving a message, on the profile's switch:

        * a mailbox the directory does not have: ``mod_voicemail.c:3460 Can't find user
          [1001@default]``, the app completes after ~0.1 s with no record variables
          (T10b line 260);
        * without ``skip_greeting``/``skip_instructions``/``skip_record_check`` and no sound
          files: the greeting files fail to open (``Error Opening File
          [.../voicemail/vm-person.wav]``), vm-goodbye, and the app completes after ~0.4 s
          with no record variables (T10c lines 262-269);
        * with them: the message is recorded until the caller's silence, then the variables
          of T10's completion, in its order (``voicemail_message_len`` is ``HH:MM:SS``).
        """
        argv = separate_string(arg, 6) if arg else []
        if len(argv) != 3 or argv[0] in ("check", "auth", "auth_only"):
            raise Unrecorded(f"voicemail {arg[:60]!r}: only <profile> <domain> <id> is recorded")
        _, domain, box = argv
        if not self.ch.answered:
            raise Unrecorded("voicemail on an unanswered channel")
        if not self.ch.profile_sw.has_user(domain, box):
            self.ch.switch_log.append(f"Can't find user [{box}@{domain}]")
            yield from self.ch.engine.sleep(0.1)
            return
        skips = ("skip_greeting", "skip_instructions", "skip_record_check")
        if not self.ch.profile_sw.sound_files and not all(
            truthy(self.ch.vars.get(v)) for v in skips
        ):
            yield from self.ch.engine.sleep(0.4)
            return
        if self.ch.profile_sw.sound_files:
            raise Unrecorded("voicemail with sound files installed")
        start = self.ch.now
        yield from self.ch.engine.sleep(self.ch.script.record_ms / 1000.0)
        done = round((self.ch.now - start) * 1000)
        if self.ch.hung_up:
            raise Unrecorded("a caller hanging up while leaving a voicemail")
        secs = done // 1000
        for name, value in (
            ("silence_hits_exhausted", "true"),
            ("record_record_file_size", str(done * 16 + 246)),
            ("record_file_size", str(done * 16 + 246)),
            ("record_seconds", str(secs)),
            ("record_ms", str(done)),
            ("record_samples", str(done * 8)),
            ("voicemail_account", box),
            ("voicemail_domain", domain),
            (
                "voicemail_file_path",
                f"/srv/fsroot/install/var/lib/freeswitch/storage/voicemail/default/{domain}/"
                f"{box}/msg_{self.ch._new_uuid()}.wav",
            ),
            ("voicemail_read_flags", "B_NORMAL"),
            (
                "voicemail_message_len",
                f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}",
            ),
        ):
            self.ch.vars.set(name, value)
