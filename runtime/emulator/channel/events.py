"""Events: building them as FreeSWITCH does (``switch_event_prep`` headers,
``switch_channel_event_set_basic_data``, caller profiles, variables), and delivering them to
each listener as mod_event_socket's ``event_handler`` does (subscriptions, CUSTOM subclasses,
``filter`` with its OR/veto semantics, ``myevents``, plain/json/xml)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Final

from .. import templates as tpl
from ..fsutil import regex_match
from ..wire import EventData, Headers, Part, frame_event
from .script import Outgoing
from .sockets import Listener

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["Events"]

_CODEC_HEADERS: Final = (
    ("Channel-Read-Codec-Name", "PCMU"),
    ("Channel-Read-Codec-Rate", "8000"),
    ("Channel-Read-Codec-Bit-Rate", "64000"),
    ("Channel-Write-Codec-Name", "PCMU"),
    ("Channel-Write-Codec-Rate", "8000"),
    ("Channel-Write-Codec-Bit-Rate", "64000"),
)


class Events:
    """The events of channel ``ch``; ``seq``: the switch's Event-Sequence counter."""

    def __init__(self, ch: Channel) -> None:
        self.ch = ch
        self.seq = ch.config.event_sequence

    # ------------------------------------------------------------------ events --------------

    def event(
        self,
        name: str,
        *,
        calling: str | None = None,
        pre: Headers | None = None,
        post: Headers | None = None,
        with_vars: bool = True,
        subclass: str | None = None,
        channel: bool = True,
        body: str | None = None,
    ) -> EventData:
        ts = self.ch._epoch0 + self.ch.now
        gm = time.gmtime(ts)
        cfile, cfunc, cline = tpl.CALLING[calling or name]
        self.seq += 1
        h: Headers = (
            [("Event-Subclass", subclass), ("Event-Name", "CUSTOM")]
            if subclass
            else [("Event-Name", name)]
        )
        h += [
            ("Core-UUID", self.ch.config.core_uuid),
            ("FreeSWITCH-Hostname", self.ch.config.hostname),
            ("FreeSWITCH-Switchname", self.ch.config.hostname),
            ("FreeSWITCH-IPv4", self.ch.config.ipv4),
            ("FreeSWITCH-IPv6", self.ch.config.ipv6),
            ("Event-Date-Local", time.strftime("%Y-%m-%d %H:%M:%S", gm)),
            ("Event-Date-GMT", time.strftime("%a, %d %b %Y %H:%M:%S GMT", gm)),
            ("Event-Date-Timestamp", str(int(ts * 1_000_000))),
            ("Event-Calling-File", cfile),
            ("Event-Calling-Function", cfunc),
            ("Event-Calling-Line-Number", cline),
            ("Event-Sequence", str(self.seq)),
        ]
        if pre:
            h += pre
        parts: list[Part] = [h]
        if channel:
            parts += self.channel_data()
            if with_vars:
                parts.append(self.ch.vars.snapshot())
        if post:
            parts.append(post)
        return EventData(parts, body)

    def announce(self, name: str, *, with_vars: bool = True, pre: Headers | None = None) -> None:
        """Build the channel event ``name`` and fire it."""
        self.fire(name, self.event(name, with_vars=with_vars, pre=pre))

    def channel_data(self) -> list[Part]:
        """``switch_channel_event_set_basic_data`` + caller profile (+ other leg)."""
        presence = self.ch.vars.get("presence_id")
        h: Headers = [
            ("Channel-State", self.ch.state),
            ("Channel-Call-State", self.ch.call_state),
            ("Channel-State-Number", str(self.ch.state_num)),
            ("Channel-Name", self.ch.channel_name),
            ("Unique-ID", self.ch.uuid),
            ("Call-Direction", "inbound"),
            ("Presence-Call-Direction", "inbound"),
            ("Channel-HIT-Dialplan", "true"),
        ]
        if presence:
            h.append(("Channel-Presence-ID", presence))
        h.append(("Channel-Call-UUID", self.ch.uuid))
        h.append(("Answer-State", self.ch.answer_state))
        if self.ch.hangup_cause is not None:
            h.append(("Hangup-Cause", self.ch.hangup_cause))
        if self.ch.media:
            h += _CODEC_HEADERS
        parts: list[Part] = [h, self.ch.profile.block("Caller")]
        if self.ch.other is not None:
            parts.append([("Other-Type", "originatee")])
            parts.append(self.ch.other.block("Other-Leg"))
        return parts

    def fire(
        self,
        name: str,
        event: EventData,
        *,
        subclass: str | None = None,
        early: bool = False,
    ) -> None:
        for lst in self.ch.conns.listeners:
            if lst.closed:
                continue
            if (
                early
                and lst.index == 0
                and name in self.ch.config.early_events
                and not lst.early_released
            ):
                lst.early.append((name, subclass, event))
                continue
            self.dispatch(lst, name, subclass, event)

    def _subscribed(self, lst: Listener, name: str, subclass: str | None, event: EventData) -> bool:
        """``event_handler`` of mod_event_socket for this listener."""
        if not lst.running or not lst.events_on or not lst.live:
            return False
        send = lst.all_events or (
            name in lst.event_list
            and (name != "CUSTOM" or subclass is None or subclass in lst.custom)
        )
        if send and lst.filters:
            send = self._filter_pass(lst, event)
        if send and lst.myevents:
            uid = event.get("Unique-ID")
            if uid is None or uid != self.ch.uuid:
                send = False
        if (
            lst.myevents
            and name == "BACKGROUND_JOB"
            and event.get("Job-Owner-UUID") == self.ch.uuid
        ):
            send = True
        return send

    def _filter_pass(self, lst: Listener, event: EventData) -> bool:
        send = False
        for fname, fvalue in lst.filters:
            hval = event.get_ci(fname)
            if hval is None:
                continue
            comp = fvalue
            pos = True
            i = 0
            while i < len(comp):
                c = comp[i]
                if c == "+":
                    pos = True
                elif c == "-":
                    pos = False
                elif c != " ":
                    break
                i += 1
            comp = comp[i:]
            if send and pos:
                continue
            cmp = (
                regex_match(hval, comp) if fvalue.startswith("/") else hval.lower() == comp.lower()
            )
            if cmp:
                if pos:
                    send = True
                else:
                    send = False
                    break
        return send

    def dispatch(self, lst: Listener, name: str, subclass: str | None, event: EventData) -> None:
        if not self._subscribed(lst, name, subclass, event):
            return
        self.emit(lst, name, event)

    def emit(self, lst: Listener, name: str, event: EventData) -> None:
        fmt = lst.format
        if fmt == "json":
            data = frame_event(event.json(), "json")
        elif fmt == "xml":
            data = frame_event(serialize_xml(event.pairs(), event.body), "xml")
        else:
            data = frame_event(event.plain(), "plain")
        app = app_uuid = None
        tail = event.parts[-1]
        if isinstance(tail, list):
            for key, value in tail:
                if key == "Application" and app is None:
                    app = value
                elif key == "Application-UUID" and app_uuid is None:
                    app_uuid = value
        self.write(lst, Outgoing(data, "event", name, app, app_uuid))

    def write(self, lst: Listener, item: Outgoing) -> None:
        if not lst.live:
            return
        if lst.held is not None and item.kind == "event":
            lst.held.append(item)
            return
        lst.out.append(item)

    def release_early(self, lst: Listener) -> None:
        lst.early_released = True
        early, lst.early = lst.early, []
        for name, subclass, event in early:
            self.dispatch(lst, name, subclass, event)


def serialize_xml(headers: Headers, body: str | None) -> str:
    """Approximation of ``switch_event_xmlize`` + ``switch_xml_toxml`` (not recorded)."""

    def esc(s: str) -> str:
        return (
            s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        )

    parts = ["<event>\n  <headers>\n"]
    parts += [f"    <{name}>{esc(value)}</{name}>\n" for name, value in headers]
    parts.append("  </headers>\n")
    if body:
        parts.append(f"  <body>{esc(body)}</body>\n")
    parts.append("</event>")
    return "".join(parts)
