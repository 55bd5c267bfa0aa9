"""Running applications: ``switch_ivr_parse_event`` for a sendmsg or broadcast, the
EXECUTE / EXECUTE_COMPLETE pair around each app (``loops``, ``${var}`` expansion, the
``current_application*`` variables), and the table of the apps the model runs: only those a
recording shows (``RECORDED_APPS``), each in the part that holds its job."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from .. import templates as tpl
from ..dialplan import Dialplan, DialplanError
from ..fsutil import atoi
from ..profile import Unrecorded
from ..wire import Command, Headers
from .base import AppGen

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["RECORDED_APPS", "AppRunner", "check_dialplan"]

# Apps that need media: executing one on an unanswered channel pre-answers it first.
_NEEDS_MEDIA: Final = frozenset(
    {"playback", "speak", "say", "play_and_get_digits", "read", "record", "detect_speech"}
)

# The applications a recording shows running (live captures' fslog ``EXECUTE [depth=N] ...``
# lines and the outbound_*.jsonl sessions: answer, bridge, callcenter, detect_speech, hangup,
# log, play_and_get_digits, playback, say, set, socket, speak, transfer, unset, voicemail).
# Any other app is ``Unrecorded`` on a stock profile.
RECORDED_APPS: Final = frozenset(
    """answer bridge callcenter detect_speech hangup log play_and_get_digits playback say set
    socket speak transfer unset voicemail""".split()
)

AppImpl = Callable[[str], AppGen]


def check_dialplan(plan: Dialplan) -> None:
    """``DialplanError`` when ``plan`` names an application the model does not run."""
    unknown = sorted(a for a in plan.applications() if a not in RECORDED_APPS)
    if unknown:
        raise DialplanError(
            f"{plan.source}: application(s) no recording shows, so the emulator does not run: "
            + ", ".join(unknown)
        )


@dataclass
class ExecState:
    """``count``: apps counted for ``CallerScript.hangup_after_apps``; ``app_uuid``: the
    Application-UUID of the app that runs (a ``socket`` action's listener takes it)."""

    count: int = 0
    app_uuid: str = ""
    table: dict[str, AppImpl] = field(default_factory=dict)


class AppRunner:
    """Executes applications on channel ``ch``."""

    def __init__(self, ch: Channel) -> None:
        self.ch = ch
        self.state = ExecState()

    def private_event(self, cmd: Command, *, broadcast: bool = False) -> AppGen:
        """``switch_ivr_parse_event`` for one sendmsg (or broadcast)."""
        command = (cmd.get("call-command") or "").strip()
        if command == "execute":
            app = (cmd.get("execute-app-name") or "").strip()
            if cmd.body is not None and (cmd.get("content-type") or "").lower() == "text/plain":
                arg: str | None = cmd.body
            else:
                arg = cmd.get("execute-app-arg")
            event_uuid = cmd.get("event-uuid") or self.ch._new_uuid()
            uuid_name = cmd.get("event-uuid-name")
            loops = atoi(cmd.get("loops")) if cmd.get("loops") else 1
            if app:
                yield from self.execute(
                    app,
                    arg,
                    event_uuid,
                    uuid_name,
                    from_socket=True,
                    loops=loops,
                    broadcast=broadcast,
                )
        elif command == "hangup":
            self.ch.life.hangup(tpl.cause_name(cmd.get("hangup-cause")))

    def execute(
        self,
        app: str,
        arg: str | None,
        app_uuid: str,
        uuid_name: str | None = None,
        *,
        from_socket: bool,
        loops: int = 1,
        broadcast: bool = False,
    ) -> AppGen:
        """``switch_core_session_execute_application`` ``loops`` times (negative: forever; a
        run shorter than 0.5 s, a hang-up or a redirect ends the loop)."""
        ch = self.ch
        app = app.lower()
        x = 0
        while x < loops or loops < 0:
            if from_socket:
                ch.vars.set("current_loop", str(x + 1))
                ch.vars.set("total_loops", str(loops))
            x += 1
            if ch.hung_up:
                return  # "Channel is hungup, aborting execution of application"
            impl = self.impl(app)
            if app in _NEEDS_MEDIA and not ch.media:
                yield from ch.life.pre_answer()
            expanded = ch.variables.expand(arg) if arg else None
            count = self._count(from_socket=from_socket, broadcast=broadcast)
            self.events_begin(app, expanded, app_uuid, uuid_name=uuid_name)
            ch.app_log.append((app, expanded))
            if count and ch.script.hangup_after_apps == count:
                ch.life.caller_hangup_at(ch.now + ch.script.hangup_delay)
            start = ch.now
            yield from self._run(app, impl, expanded or "", broadcast=broadcast)
            if count and ch.script.hangup_after_apps == count:
                ch.life.caller_hangup_now()
            self.complete_event(app, expanded, app_uuid, uuid_name)
            ch.life.after_answer_acked()
            if ch.hung_up or ch._redirect is not None or ch.now - start < 0.5:
                return

    def _count(self, *, from_socket: bool, broadcast: bool) -> int:
        if broadcast or not (from_socket or self.ch.script.count_dialplan_apps):
            return 0
        self.state.count += 1
        return self.state.count

    def _run(self, app: str, impl: AppImpl, arg: str, *, broadcast: bool) -> AppGen:
        ch = self.ch
        outer, ch.private.running_app = ch.private.running_app, app
        if broadcast:
            ch.private.broadcast_depth += 1
        try:
            yield from impl(arg)
        finally:
            ch.private.running_app = outer
            if broadcast:
                ch.private.broadcast_depth -= 1
            # A CF_BREAK nobody consumed goes with the app (see the package docstring).
            ch.private.cf_break = False

    def events_begin(
        self,
        app: str,
        expanded: str | None,
        app_uuid: str,
        *,
        uuid_name: str | None = None,
        early: bool = False,
    ) -> None:
        ch = self.ch
        ch.vars.set("current_application", app)
        ch.vars.set("current_application_data", expanded)
        ch.vars.delete("current_application_response")
        post: Headers = [("Application", app)]
        if expanded:
            post.append(("Application-Data", expanded))
        post.append(("Application-UUID", app_uuid))
        if uuid_name:
            post.append(("Application-UUID-Name", uuid_name))
        ch.events.fire(
            "CHANNEL_EXECUTE", ch.events.event("CHANNEL_EXECUTE", post=post), early=early
        )
        ch.vars.set("current_application", app)
        self.state.app_uuid = app_uuid

    def complete_event(
        self, app: str, expanded: str | None, app_uuid: str, uuid_name: str | None
    ) -> None:
        ch = self.ch
        post: Headers = [("Application", app)]
        if expanded:
            post.append(("Application-Data", expanded))
        post.append(
            ("Application-Response", ch.vars.get("current_application_response") or "_none_")
        )
        post.append(("Application-UUID", app_uuid))
        if uuid_name:
            post.append(("Application-UUID-Name", uuid_name))
        ch.events.fire(
            "CHANNEL_EXECUTE_COMPLETE", ch.events.event("CHANNEL_EXECUTE_COMPLETE", post=post)
        )

    def impl(self, app: str) -> AppImpl:
        if app not in RECORDED_APPS:
            raise Unrecorded(f"application {app!r}: no recording shows it")
        if not self.state.table:
            self.state.table = self._table()
        return self.state.table[app]  # every recorded app has its model

    def _table(self) -> dict[str, AppImpl]:
        """The applications the model runs; only RECORDED_APPS are reachable."""
        ch = self.ch
        return {
            "answer": self._app_answer,
            "pre_answer": self._app_pre_answer,
            "log": self._app_noop,
            "park": self._app_noop,
            "hangup": self._app_hangup,
            "socket": ch.conns.app_socket,
            "set": ch.variables.app_set,
            "multiset": ch.variables.app_multiset,
            "export": ch.variables.app_export,
            "unset": ch.variables.app_unset,
            "playback": ch.player.app_playback,
            "speak": ch.player.app_speak,
            "say": ch.player.app_say,
            "sleep": ch.player.app_sleep,
            "play_and_get_digits": ch.digits.app_pagd,
            "read": ch.digits.app_read,
            "detect_speech": ch.asr.app_detect_speech,
            "callcenter": ch.cc.app,
            "bridge": ch.xfer.app_bridge,
            "transfer": ch.xfer.app_transfer,
            "record": ch.recorder.app_record,
            "voicemail": ch.recorder.app_voicemail,
        }

    def _app_noop(self, arg: str) -> AppGen:
        return
        yield  # pragma: no cover

    def _app_answer(self, arg: str) -> AppGen:
        yield from self.ch.life.answer()

    def _app_pre_answer(self, arg: str) -> AppGen:
        yield from self.ch.life.pre_answer()

    def _app_hangup(self, arg: str) -> AppGen:
        self.ch.life.hangup(tpl.cause_name(arg))
        return
        yield  # pragma: no cover
