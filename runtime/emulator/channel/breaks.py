"""The channel's private events and CF_BREAK: the queue of ``sendmsg`` commands and broadcasts
(``switch_ivr_broadcast``) waiting for the session, ``uuid_break`` (with ``all`` the private
events flushed) and what a break does to the running application or a nested broadcast."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..wire import Command
from .sockets import Listener

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["PrivateEvents"]


@dataclass(eq=False)
class PrivateEvents:
    """``msgs``: queued sendmsgs (with their listener) and broadcasts (``None``);
    ``running_app``: the application the session runs; ``cf_break``: CF_BREAK set for it;
    ``broadcast_depth`` / ``stop_broadcast``: broadcasts running nested and a break of them;
    ``media_deadline``: when the hold music around a nested broadcast ends."""

    ch: Channel = field(repr=False)
    msgs: deque[tuple[Listener | None, Command]] = field(default_factory=deque)
    running_app: str | None = None
    cf_break: bool = False
    broadcast_depth: int = 0
    stop_broadcast: bool = False
    media_deadline: float | None = None

    def api_break(self, flush_all: bool) -> None:
        """``uuid_break``: CF_BREAK (and, with ``all``, the private events flushed; queued
        sendmsgs of a static socket stay: they are its own replies)."""
        if flush_all:
            self.flush()
        # The api reply goes out first; the session thread sees the flag afterwards.
        self.ch.engine.schedule(self.ch.now, self._apply_break)

    def flush(self) -> None:
        """``switch_core_session_flush_private_events`` (a static socket's own queued
        sendmsg stays: it is the listener's inline execution, not a private event)."""
        kept = [(src, cmd) for src, cmd in self.msgs if src is not None and src.static_busy]
        self.msgs = deque(kept)

    def _apply_break(self) -> None:
        if self.broadcast_depth:
            # switch_channel_stop_broadcast: the broadcast stops, then CF_BREAK again
            self.stop_broadcast = True
        cut = self.ch.engine.cut_sleep("break", ("media", "moh"))
        if not cut and self.running_app is not None:
            self.cf_break = True

    def queue_broadcast(self, app: str, arg: str) -> None:
        """``switch_ivr_broadcast`` for the channel's A-leg: a private event that runs
        ``app arg`` (event-lock, lead-frames 5)."""
        cmd = Command(
            "sendmsg",
            [
                ("call-command", "execute"),
                ("execute-app-name", app),
                ("execute-app-arg", arg),
                ("event-lock", "true"),
                ("lead-frames", "5"),
            ],
        )
        self.msgs.append((None, cmd))
        self.ch.engine.schedule(self.ch.now, self._deliver_broadcast)

    def _broadcast_in_moh(self) -> None:
        self.ch.engine.cut_sleep("broadcast", ("moh",))

    def _deliver_broadcast(self) -> None:
        engine = self.ch.engine
        if self.running_app == "callcenter" and engine.waiting == "sleep":
            # inside the hold music the broadcast starts ~200 ms after ``+OK Message sent``
            # (T10a 180.862 -> 181.063, T07 64.297 -> 64.498: the play loop's next pass)
            engine.schedule(self.ch.now + 0.2, self._broadcast_in_moh)
        elif not engine.cut_sleep("broadcast", ("moh",)):
            engine.wake("msg")
