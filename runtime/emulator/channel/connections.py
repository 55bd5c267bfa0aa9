"""The channel's outbound connections: each ``socket`` action's listener (opening it, the
connect timer, commands read, replies, a static socket's held replies, its close), and
``socket_function`` itself: the hosts tried in turn, the wait for ``connect``, the park loop
running what sendmsg queued, CHANNEL_PARK / UNPARK, and how control left."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..wire import Command, command_reply, disconnect_notice
from .base import AppGen, truthy
from .script import Outgoing, SocketRequest
from .sockets import Listener

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["Connections"]


class Connections:
    """The listeners of channel ``ch``, in the order the ``socket`` actions opened them.

    ``requests``: connections not yet handed to the driver; ``ctl``: the listener whose
    park loop controls the channel (``parked`` while it idles there); ``controlled``:
    CF_CONTROLLED; ``socket_exit``: how control last left a socket (failed, hangup,
    redirect, resume, uncontrolled, closed); ``may_reconnect``: a later ``socket`` action
    can open a connection (a dialplan, or one among the script's actions)."""

    def __init__(self, ch: Channel, may_reconnect: bool) -> None:
        self.ch = ch
        self.listeners: list[Listener] = []
        self.requests: list[SocketRequest] = []
        self.ctl: Listener | None = None
        self.parked = False
        self.socket_exit = ""
        self.controlled = False
        self.may_reconnect = may_reconnect

    def feed(self, lst: Listener, data: bytes) -> list[Command]:
        if self.ch._done or not lst.live:
            return []
        if not data:
            self.peer_closed(lst)
            return []
        if lst.static_busy:
            lst.held_input += data
            return []
        cmds = lst.reader.feed(data)
        done: list[Command] = []
        for i, cmd in enumerate(cmds):
            if not lst.live or not lst.running or self.ch._done:
                break
            done.append(cmd)
            self.on_command(lst, cmd)
            if lst.static_busy:
                # the listener is busy running the app: keep the rest for later
                lst.held_input += b"".join(c.raw for c in cmds[i + 1 :])
                break
        return done

    def get(self, socket: int) -> Listener | None:
        return self.listeners[socket] if 0 <= socket < len(self.listeners) else None

    def new(self, data: str, app_uuid: str) -> Listener:
        lst = Listener(len(self.listeners), data, app_uuid)
        self.listeners.append(lst)
        return lst

    def open(self, lst: Listener) -> None:
        lst.state = "open"
        if math.isfinite(self.ch.config.connect_timeout):
            lst.connect_timer = self.ch.engine.schedule(
                self.ch.now + self.ch.config.connect_timeout, lambda: self._on_connect_timeout(lst)
            )

    def reply(self, lst: Listener, text: str) -> None:
        self.ch.events.write(lst, Outgoing(command_reply(text), "reply"))

    def on_command(self, lst: Listener, cmd: Command) -> None:
        if lst.connect_timer is not None:
            lst.connect_timer.cancelled = True
            lst.connect_timer = None
        first = lst.first_packet
        lst.first_packet = False
        reply = self.ch.commands.parse(lst, cmd)
        if reply is not None and not lst.static_busy and not first:
            # (listener_run never sends the reply to the first packet)
            self.reply(lst, reply)
            self.after_reply(lst)
        if not lst.running:
            self.close(lst, notice=True)

    def after_reply(self, lst: Listener) -> None:
        if lst.connected:
            lst.replies_after_connect += 1
            if (
                not lst.early_released
                and lst.replies_after_connect >= self.ch.config.early_events_after_reply
            ):
                self.ch.events.release_early(lst)

    def static_done(self, lst: Listener | None) -> None:
        if lst is None or not lst.static_busy:
            return
        lst.static_busy = False
        held, lst.held = lst.held or [], None
        self.reply(lst, "+OK")
        self.after_reply(lst)
        for item in held:
            self.ch.events.write(lst, item)
        if lst.held_input:
            data = bytes(lst.held_input)
            lst.held_input.clear()
            self.ch.engine.schedule(self.ch.now, lambda: self._feed_held(lst, data))

    def _feed_held(self, lst: Listener, data: bytes) -> None:
        # Commands that waited for a static-mode app are read before anything that came later.
        later = bytes(lst.held_input)
        lst.held_input.clear()
        self.feed(lst, data + later)

    def _on_connect_timeout(self, lst: Listener) -> None:
        lst.connect_timer = None
        if lst.first_packet:
            self.close(lst, notice=True)

    def peer_closed(self, lst: Listener) -> None:
        """The application closed the socket: the listener ends, control leaves."""
        lst.state = "closed"
        lst.running = False
        self._gone(lst)

    def close(self, lst: Listener, *, notice: bool) -> None:
        if not lst.live:
            return
        if notice:
            lst.out.append(Outgoing(disconnect_notice(self.ch.uuid), "notice"))
        lst.state = "closed"
        lst.running = False
        self._gone(lst)

    def _gone(self, lst: Listener) -> None:
        if lst.connect_timer is not None:
            lst.connect_timer.cancelled = True
            lst.connect_timer = None
        others = any(each.state in ("pending", "open") for each in self.listeners)
        if not others and not self.may_reconnect:
            # Nothing observable happens after the socket is gone: drop the simulation.
            self.ch._stop()
            return
        if self.ctl is not None and self.ctl is not lst and lst.connected:
            # listener_run's teardown clears CF_CONTROLLED on the channel whichever listener
            # ends (mod_event_socket.c:2838), so the socket that controls the channel leaves
            # its park loop when the running app ends (switch_ivr.c:1007): T04 lines 63, 73.
            self.controlled = False
            if self.parked:
                self.ch.engine.wake("uncontrolled")
        if self.ctl is lst and (self.parked or not lst.connected):
            # the session waits in this socket's park loop, or for its `connect`
            self.ch.engine.wake("closed")
        self.ch._check_done()

    def socket_app(self, lst: Listener, *, first: bool) -> AppGen:
        """``socket_function``: socket_path/socket_host, the connection, the wait for
        ``connect``, the park loop running what sendmsg queued; UNPARK when control leaves.
        ``self.socket_exit`` says how it ended."""
        ch = self.ch
        if lst.path is not None:
            ch.vars.set("socket_path", lst.path)
        ch.vars.set("socket_host", lst.host)
        if lst.state == "pending":
            yield from self._connect(lst)
        if lst.state != "open" or ch.hung_up:
            if lst.state == "pending":
                lst.state = "failed"
            self.socket_exit = "failed" if lst.state == "failed" else "hangup"
            ch._check_done()
            return
        self.ctl = lst
        self.controlled = True  # listener_run sets CF_CONTROLLED
        while not lst.connected and lst.live:
            if (yield None) == "hangup":
                break
        if lst.async_mode and not ch.hung_up and lst.live:
            ch.events.fire("CHANNEL_PARK", ch.events.event("CHANNEL_PARK"), early=first)
        yield from self._park(lst)
        self.parked = False
        self.ctl = None
        self.socket_exit = self._exit_reason(lst)
        ch.vars.delete("current_loop")
        ch.vars.delete("total_loops")
        if lst.async_mode:
            ch.events.announce("CHANNEL_UNPARK")

    def _connect(self, lst: Listener) -> AppGen:
        """Each host of a ``|`` list in turn until one connects (Qc2 lines 180-183)."""
        for host, port, _path, resolvable in lst.targets:
            lst.host, lst.port, lst.resolvable = host, port, resolvable
            lst.state = "pending"
            if not resolvable:
                lst.state = "failed"  # "Socket Error!": the host does not resolve
                continue
            lst.requested = True
            self.requests.append(SocketRequest(lst.index, host, port, lst.data))
            while lst.state == "pending":
                if (yield None) == "hangup" or self.ch.hung_up:
                    break
            if not lst.closed or self.ch.hung_up:  # connected (or the caller left)
                break

    def _park(self, lst: Listener) -> AppGen:
        """The park loop: run what sendmsg queued until hang-up or control leaves."""
        ch = self.ch
        while not ch.hung_up and ch._redirect is None and lst.live and self.controlled:
            if not ch.private.msgs:
                ch.digits.drop_queued_keys()
            self.parked = True
            reason = yield None
            self.parked = False
            if reason == "hangup" or ch.hung_up or not lst.live:
                break
            if reason == "uncontrolled":
                # The flag is checked once per pass of the park loop, after a frame (20 ms)
                # and the private events that arrived meanwhile: T04 conn 11, the survey's
                # pagd sent 3 ms after the exit on the first socket still ran (line 73).
                if (yield from ch.engine.sleep(0.02)) == "hangup":
                    break
            while ch.private.msgs and not ch.hung_up and ch._redirect is None:
                src, msg = ch.private.msgs.popleft()
                yield from ch.runner.private_event(msg, broadcast=src is None)
                if not lst.async_mode:
                    self.static_done(src)

    def _exit_reason(self, lst: Listener) -> str:
        ch = self.ch
        if ch.hung_up:
            return "hangup"
        if ch._redirect is not None:
            return "redirect"
        if lst.resume or truthy(ch.vars.get("socket_resume")):
            return "resume"
        if not self.controlled and lst.live:
            return "uncontrolled"
        return "closed"

    def app_socket(self, arg: str) -> AppGen:
        """The ``socket`` action in the dialplan: a new connection for the same channel."""
        lst = self.new(arg, self.ch.runner.state.app_uuid)
        yield from self.socket_app(lst, first=False)
