"""The listener's commands: ``parse_command`` of mod_event_socket in its order and with its
prefix matching, the exact reply texts, ``full`` vs ``single-channel``, subscriptions,
``filter``, ``linger``, ``api`` / ``bgapi`` through the emulated switch, ``sendmsg``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import templates as tpl
from ..fsutil import atoi
from ..wire import Command, Headers
from .base import truthy
from .script import Outgoing
from .sockets import Listener

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["Commands"]


class Commands:
    """What a listener of channel ``ch`` does with each command (no state of its own: the
    subscriptions are the listener's)."""

    def __init__(self, ch: Channel) -> None:
        self.ch = ch

    # -- commands
    def parse(self, lst: Listener, cmd: Command) -> str | None:
        """``parse_command``: returns the Reply-Text (``None``: nothing to send now)."""
        line = cmd.line
        low = line.lower()
        if low.startswith("exit") or low.startswith("..."):
            lst.running = False
            return "+OK bye"
        if low.startswith("filter "):
            return self._filter(lst, line[7:])
        if low.startswith("resume"):
            lst.resume = True
            self.ch.vars.set("socket_resume", "true")
            return "+OK"
        if low.startswith("connect"):
            self._connect(lst)
            return None
        if low.startswith("getvar"):
            _, sep, arg = line.partition(" ")
            value = (self.ch.vars.get(arg) or "") if sep else ""
            return value or "-ERR command not found"
        if low.startswith("myevents"):
            return self._myevents(lst, line)
        if low.startswith("divert_events"):
            onoff = line[13:].strip(" ")
            if not onoff:
                return "-ERR missing value."
            lst.divert = onoff.lower() == "on"
            if lst.divert:
                self.ch.asr.flush_session_queue()
            return "+OK events diverted" if lst.divert else "+OK events not diverted"
        if low.startswith("sendmsg"):
            return self._sendmsg(lst, cmd)
        if not lst.full:
            return "-ERR command not found"
        if low.startswith("sendevent"):
            return "+OK " + self.ch._new_uuid()
        if low.startswith("api "):
            self._api(lst, line[4:])
            return None
        if low.startswith("bgapi "):
            return self._bgapi(lst, cmd)
        if low.startswith("log"):
            level = line[3:].strip(" ").split(" ")[0] or "debug"
            return f"+OK log level {level} [7]"
        if low.startswith("linger"):
            rest = line[6:]
            if rest.startswith(" ") and rest[1:]:
                lst.linger = atoi(rest[1:])
                return f"+OK will linger {lst.linger} seconds"
            lst.linger = -1
            return "+OK will linger"
        if low.startswith("nolinger"):
            lst.linger = None
            return "+OK will not linger"
        if low.startswith("nolog"):
            return "-ERR not loging"
        if low.startswith("event"):
            return self._event(lst, line)
        if low.startswith("nixevent"):
            return self._nixevent(lst, line)
        if low.startswith("noevents"):
            if lst.events_on:
                lst.events_on = False
                lst.event_list.clear()
                lst.custom.clear()
                lst.all_events = False
                return "+OK no longer listening for events"
            return "-ERR not listening for events"
        return "-ERR command not found"

    def _filter(self, lst: Listener, rest: str) -> str:
        rest = rest.lstrip(" ")
        name, sep, value = rest.partition(" ")
        if name.lower() == "delete" and sep:
            hname, sep2, hval = value.partition(" ")
            if hname.lower() == "all":
                lst.filters.clear()
            else:
                lst.filters = [
                    (n, v)
                    for n, v in lst.filters
                    if not (n.lower() == hname.lower() and (not sep2 or v == hval))
                ]
            return f"+OK filter deleted. [{hname}][{hval if sep2 else ''}]"
        if sep:
            if name.lower() == "add":
                name, _, value = value.partition(" ")
            lst.filters.append((name, value))
            return f"+OK filter added. [{name}]=[{value}]"
        return "-ERR invalid syntax"

    def _myevents(self, lst: Listener, line: str) -> str:
        if lst.myevents:
            return "-ERR aready enabled."
        lst.event_list |= tpl.MYEVENTS
        lst.myevents = True
        lst.events_on = True
        if "xml" in line or "XML" in line:
            lst.format = "xml"
        if "json" in line or "JSON" in line:
            lst.format = "json"
        return "+OK Events Enabled"

    def _event(self, lst: Listener, line: str) -> str:
        words = line.split(" ")[1:]
        key_count = 0
        custom = False
        for i, word in enumerate(words):
            if not word:
                continue
            if i == 0 and word.lower() in ("plain", "json", "xml"):
                lst.format = word.lower()
                continue
            if custom:
                lst.custom.add(word)
                continue
            up = word.upper()
            if up in tpl.EVENT_NAMES:
                key_count += 1
                if up == "ALL":
                    lst.all_events = True
                lst.event_list.add(up)
                if up == "CUSTOM":
                    custom = True
        if not key_count:
            return "-ERR no keywords supplied"
        lst.events_on = True
        return f"+OK event listener enabled {lst.format}"

    def _nixevent(self, lst: Listener, line: str) -> str:
        words = [w for w in line.split(" ")[1:] if w]
        key_count = 0
        custom = False
        for word in words:
            if custom:
                lst.custom.discard(word)
                continue
            up = word.upper()
            if up not in tpl.EVENT_NAMES:
                continue
            key_count += 1
            if up == "CUSTOM":
                custom = True
            elif up == "ALL":
                lst.all_events = False
                lst.event_list.clear()
            else:
                if lst.all_events:
                    lst.all_events = False
                    lst.event_list |= tpl.EVENT_NAMES - {"ALL"}
                lst.event_list.discard(up)
        if not key_count:
            return "-ERR no keywords supplied"
        lst.events_on = True
        return "+OK events nixed"

    def _connect(self, lst: Listener) -> None:
        event = self.ch.events.event("CHANNEL_DATA", channel=False)
        event.parts.append(self.ch.profile.block("Channel"))
        event.parts += self.ch.events.channel_data()
        event.parts.append(self.ch.vars.snapshot())
        event.parts.append(
            [
                ("Content-Type", "command/reply"),
                ("Reply-Text", "+OK\n"),
                ("Socket-Mode", "async" if lst.async_mode else "static"),
                ("Control", "full" if lst.full else "single-channel"),
            ]
        )
        self.ch.events.write(lst, Outgoing(event.plain().encode(), "channel_data", "CHANNEL_DATA"))
        if not lst.connected:
            lst.connected = True
            self.ch.engine.wake("connect")

    def _api(self, lst: Listener, text: str) -> None:
        # api_exec runs the command in the listener's thread: the reply comes at once.
        body = self.ch.switch.api(self.ch, text).encode()
        head = f"Content-Type: api/response\nContent-Length: {len(body)}\n\n".encode()
        self.ch.events.write(lst, Outgoing(head + body, "reply"))
        self.ch.conns.after_reply(lst)

    def _bgapi(self, lst: Listener, cmd: Command) -> str:
        text = cmd.line[6:]
        name, _, arg = text.partition(" ")
        job = cmd.get("job-uuid") or self.ch._new_uuid()

        def fire() -> None:
            body = self.ch.switch.api(self.ch, text, background=True)
            out: Headers = [
                ("Job-UUID", job),
                ("Job-Owner-UUID", self.ch.uuid),
                ("Job-Command", name),
            ]
            if arg:
                out.append(("Job-Command-Arg", arg))
            event = self.ch.events.event("BACKGROUND_JOB", pre=out, channel=False, body=body)
            for each in self.ch.conns.listeners:
                if each.live:
                    self.ch.events.dispatch(each, "BACKGROUND_JOB", None, event)

        self.ch.engine.schedule(self.ch.now, fire)
        return f"~Reply-Text: +OK Job-UUID: {job}\nJob-UUID: {job}\n\n"

    def _sendmsg(self, lst: Listener, cmd: Command) -> str | None:
        target = cmd.line[7:].strip(" ") or cmd.get("session-id") or ""
        if target and target != self.ch.uuid:
            return f"-ERR invalid session id [{target}]"
        if (cmd.get("call-command") or "").strip() == "hangup":
            # Processed at once, even inside a running app (switch_ivr_parse_all_events).
            cause = tpl.cause_name(cmd.get("hangup-cause"))
            self.ch.engine.schedule(self.ch.now, lambda: self.ch.life.hangup(cause))
            return "+OK"
        self.ch.private.msgs.append((lst, cmd))
        if not lst.async_mode and not truthy(cmd.get("async")):
            lst.static_busy = True
            lst.held = []
        self.ch.engine.schedule(self.ch.now, lambda: self.ch.engine.wake("msg"))
        if lst.static_busy:
            return None  # replied once the app is done
        return "+OK"
