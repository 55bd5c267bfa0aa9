"""The channel's outbound connections: where a ``socket`` action connects (``socket_targets``)
and one connection's listener state (mod_event_socket's ``listener_t``)."""

from __future__ import annotations

import ipaddress
from typing import Literal

from ..fsutil import atoi, separate_string
from ..wire import CommandReader, EventData
from .engine import Timer
from .script import Outgoing

__all__ = ["Listener", "socket_target", "socket_targets"]


def socket_targets(data: str) -> list[tuple[str, int, str | None, bool]]:
    """Every (host, port, path, resolvable) of a ``socket`` action's data, in order: the
    first blank-separated word is split on ``|`` and each host is tried in turn
    (``mod_event_socket.c:442``; Qc2 lines 180-183: ``Trying host: 127.0.0.1:8086``,
    ``Connection refused``, ``Trying host: 127.0.0.1:8085``)."""
    argv = separate_string(data, 80) if data else []
    first = argv[0] if argv else ""
    return [_one_target(item) for item in first.split("|")]


def socket_target(data: str) -> tuple[str, int, str | None, bool]:
    """(host, port, path, resolvable) of the first host of a ``socket`` action's data, as
    ``socket_function`` cuts it: the port after the LAST ``:`` (default 8084, C ``atoi``); a
    ``/path`` after the port.  Resolvable: an IP literal or ``localhost``."""
    return socket_targets(data)[0]


def _one_target(host: str) -> tuple[str, int, str | None, bool]:
    port = 8084
    path: str | None = None
    head, sep, port_name = host.rpartition(":")
    if sep:
        host = head
        port = atoi(port_name)
        rest = port_name
    else:
        rest = host
    if "/" in rest:
        cut = rest.index("/")
        path = rest[cut + 1 :]
        if not sep:
            host = rest[:cut]
    return host, port, path, _resolvable(host)


def _resolvable(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Listener:
    """One outbound connection of the channel (mod_event_socket's ``listener_t``)."""

    def __init__(self, index: int, data: str, app_uuid: str) -> None:
        self.index = index
        self.data = data
        self.app_uuid = app_uuid
        argv = separate_string(data, 80) if data else []
        self.targets = socket_targets(data)
        self.host, self.port, self.path, self.resolvable = self.targets[0]
        opts = {a.lower() for a in argv[1:]}
        self.full = "full" in opts
        self.async_mode = "async" in opts
        self.state: Literal["pending", "open", "failed", "closed"] = "pending"
        self.requested = False
        self.reader = CommandReader()
        self.out: list[Outgoing] = []
        self.running = True  # LFLAG_RUNNING
        self.first_packet = True
        self.connected = False  # the application sent `connect`
        self.events_on = False
        self.myevents = False
        self.event_list: set[str] = set()
        self.all_events = False
        self.custom: set[str] = set()
        self.format = "plain"
        self.filters: list[tuple[str, str]] = []
        self.linger: int | None = None  # None: no linger; -1: forever; n: seconds
        self.linger_sent = False
        self.resume = False
        self.divert = False
        self.replies_after_connect = 0
        self.early: list[tuple[str, str | None, EventData]] = []
        self.early_released = False
        # static mode: the listener itself runs the app; reply and events wait for it
        self.static_busy = False
        self.held: list[Outgoing] | None = None
        self.held_input = bytearray()
        self.connect_timer: Timer | None = None

    @property
    def closed(self) -> bool:
        return self.state in ("closed", "failed")

    @property
    def live(self) -> bool:
        return self.state == "open"
