"""The ``Channel`` facade: one FreeSWITCH channel (see the package docstring)."""

from __future__ import annotations

import heapq
import random
import time
import uuid as uuid_mod
from collections.abc import Callable, Sequence
from typing import Final

from .. import templates as tpl
from ..dialplan import Hunt
from ..profile import Unrecorded
from ..switch import QueueMember, Switch
from ..templates import CallerProfile, Vars
from ..wire import (
    Command,
)
from .apps import AppRunner, check_dialplan
from .base import AppGen
from .breaks import PrivateEvents
from .bridge import Bridging
from .callcenter import AgentLeg, Callcenter
from .commands import Commands
from .connections import Connections
from .digits import DigitCollector
from .engine import Engine
from .events import Events
from .identity import call_identity
from .lifecycle import Lifecycle
from .media import Player
from .recording import Recorder
from .script import (
    CallSpec,
    DialplanApp,
    Outgoing,
    SocketRequest,
)
from .speech import SpeechDetector
from .variables import Variables

__all__ = ["Channel"]

EARLY_EVENT_NAMES: Final = ("CHANNEL_STATE", "CHANNEL_EXECUTE", "CHANNEL_PARK")


# `switch_caller_get_field_by_name`: caller-profile fields by name (case-insensitive).
_PROFILE_FIELDS: Final = {
    "dialplan": "dialplan",
    "username": "username",
    "caller_id_name": "caller_id_name",
    "caller_id_number": "caller_id_number",
    "orig_caller_id_name": "orig_caller_id_name",
    "orig_caller_id_number": "orig_caller_id_number",
    "callee_id_name": "callee_id_name",
    "callee_id_number": "callee_id_number",
    "ani": "ani",
    "network_addr": "network_addr",
    "rdnis": "rdnis",
    "destination_number": "destination_number",
    "uuid": "uuid",
    "source": "source",
    "transfer_source": "transfer_source",
    "context": "context",
    "chan_name": "channel_name",
    "profile_index": "profile_index",
}


class Channel:
    """One FreeSWITCH channel with its outbound socket connections (sans-IO).

    Feed the application's bytes with ``receive_data(data, now, socket=n)``
    (``b""`` = the application closed that socket) and call ``advance(now)``
    when ``next_deadline()`` is reached; collect what FreeSWITCH writes on a
    socket with ``pop_output(socket=n)``.  Socket 0 is the first ``socket``
    action's connection: open from the start, unless ``connect_first`` is
    False (then it is requested through ``socket_requests`` like every later
    one).  ``socket_closed`` turns True when FreeSWITCH would close socket 0
    (after the bytes already popped); ``finished`` when nothing more can
    happen on any socket - from then on the model does nothing.
    """

    def __init__(
        self,
        spec: CallSpec | None = None,
        now: float = 0.0,
        *,
        switch: Switch | None = None,
        connect_first: bool = True,
        first_target: tuple[str, int] | None = None,
        hooks: tuple[Callable[[], None], Callable[[str], None]] | None = None,
    ) -> None:
        spec = spec if spec is not None else CallSpec()
        self.spec = spec
        self.script = spec.script
        self.config = cfg = spec.config
        self.uuid = spec.uuid
        self.now = now
        self.engine = Engine(self)
        self.events = Events(self)
        self.life = Lifecycle(self)
        self.private = PrivateEvents(self)
        if hooks is not None:  # another leg watches this one (a loopback b-leg)
            self.life.on_answered, self.life.on_hung_up = hooks
        self._epoch0 = (cfg.start_epoch if cfg.start_epoch is not None else time.time()) - now
        self._rng = random.Random(cfg.seed if cfg.seed is not None else spec.uuid)
        self.params, self.profile = call_identity(spec, self._us(), self._rng)
        self.channel_name = self.profile.channel_name
        self.other: CallerProfile | None = None
        self.vars = Vars(tpl.initial_vars(self.params))
        # what the switch's own dialplan set before the flow's socket/extension (live README,
        # "What the switch needed besides the generated XML", item 1)
        self.profile_sw = cfg.profile
        for name, value in cfg.profile.channel_vars:
            self.vars.set(name, value)
        # channel state
        self.state = "CS_EXECUTE"
        self.state_num = 4
        self.call_state = "RINGING"
        self.answer_state = "ringing"
        self.media = False
        self.answered = False
        self.hung_up = False
        self.hangup_cause: str | None = None
        self.digits_dialed = ""
        self.app_log: list[tuple[str, str | None]] = []
        # the switch's own log lines for what did not happen (a prompt not played, a module
        # or user not found), each quoted from a capture where it is written
        self.switch_log: list[str] = []
        self.routes: list[Hunt] = []  # every dialplan hunt (``CallerScript.dialplan``)
        self._bridged = False
        self._redirect: tuple[str, object] | None = None
        # the switch around the channel (api commands, mod_callcenter's members table)
        self.switch = switch if switch is not None else Switch()
        self.switch.register(self)
        self._jobs()
        # Called when something outside the channel's own input changed it (an api command
        # sent on another channel's socket): the driver pumps the channel's output then.
        self.on_external: Callable[[], None] | None = None
        self._dialplan = self.script.dialplan
        self.conns = Connections(self, self._check_script(first_target))
        self._done = False
        self._start(connect_first, first_target)

    def _jobs(self) -> None:
        """The parts that hold the channel's jobs, each with its own state."""
        self.cc = Callcenter(self)  # mod_callcenter
        self.xfer = Bridging(self)  # transfer, bridge, mod_loopback
        self.recorder = Recorder(self)  # record, voicemail
        self.asr = SpeechDetector(self)  # detect_speech
        self.digits = DigitCollector(self)  # keys, play_and_get_digits, read
        self.player = Player(self)  # playback, speak, say, sleep
        self.variables = Variables(self)  # expansion, set, multiset, export, unset
        self.runner = AppRunner(self)  # execute, the app table
        self.commands = Commands(self)  # the listener's command table

    def _check_script(self, first_target: tuple[str, int] | None) -> bool:
        """Whether a later socket can connect again (a ``socket`` action after the first)."""
        script = self.script
        if self._dialplan is not None:
            if script.after_socket or script.extensions is not None:
                raise ValueError("a CallerScript with a dialplan takes no after_socket/extensions")
            if first_target is not None:
                raise ValueError("a call that starts in the dialplan connects where it says")
            check_dialplan(self._dialplan)
            return True
        return any(
            a.app.lower() == "socket"
            for apps in (
                script.after_socket,
                script.default_extension,
                *(script.extensions or {}).values(),
            )
            for a in apps
        )

    def _start(self, connect_first: bool, first_target: tuple[str, int] | None) -> None:
        """The session starts: in the dialplan's hunt, or in the first socket action."""
        if self._dialplan is not None:
            self.engine.gen = self._routing(self.spec.did)
        else:
            first = self.conns.new(self.config.socket_data, self._new_uuid())
            if first_target is not None:
                first.host, first.port = first_target
                first.resolvable = True
                first.targets = [(*first_target, first.path, True)]
            if connect_first:
                self.conns.open(first)
            self.engine.gen = self._session_main()
        for when, _digit in self.digits.keys.queue:
            self.engine.schedule(when, self.digits.key_arrives)
        self.engine.step("start")

    # ------------------------------------------------------------------ public I/O ----------

    def receive_data(self, data: bytes, now: float, socket: int = 0) -> list[Command]:
        """Bytes from the application on ``socket`` (``b""``: it closed the socket).

        Returns the commands read."""
        self.advance(now)
        lst = self.conns.get(socket)
        done = self.conns.feed(lst, data) if lst is not None else []
        self.advance(self.now)
        return done

    def advance(self, now: float) -> None:
        """Run every timer due at or before ``now`` (virtual seconds)."""
        timers = self.engine.timers
        while timers and timers[0].when <= now and not self._done:
            t = heapq.heappop(timers)
            if t.cancelled:
                continue
            if t.when > self.now:
                self.now = t.when
            t.callback()
        if now > self.now:
            self.now = now

    def next_deadline(self) -> float | None:
        if self._done:
            return None
        timers = self.engine.timers
        while timers and timers[0].cancelled:
            heapq.heappop(timers)
        return timers[0].when if timers else None

    def pop_output(self, socket: int = 0) -> list[Outgoing]:
        lst = self.conns.get(socket)
        if lst is None:
            return []
        out = lst.out
        lst.out = []
        return out

    def socket_requests(self) -> list[SocketRequest]:
        """Connections the channel's ``socket`` apps want opened since the last call."""
        out = self.conns.requests
        self.conns.requests = []
        return out

    def socket_connected(self, socket: int, now: float) -> None:
        """The driver opened the requested connection ``socket``."""
        self.advance(now)
        lst = self.conns.get(socket)
        if lst is not None and lst.state == "pending" and not self._done:
            self.conns.open(lst)
            self.engine.wake("socket")
        self.advance(self.now)

    def socket_failed(self, socket: int, now: float) -> None:
        """The requested connection ``socket`` could not be opened ("Socket Error!")."""
        self.advance(now)
        lst = self.conns.get(socket)
        if lst is not None and lst.state == "pending":
            lst.state = "failed"
            self.engine.wake("socket")
            self._check_done()
        self.advance(self.now)

    def socket_is_closed(self, socket: int) -> bool:
        lst = self.conns.get(socket)
        return lst is None or lst.closed or self._done

    @property
    def socket_requests_pending(self) -> bool:
        return bool(self.conns.requests)

    def socket_states(self) -> list[tuple[str, int, str, bool]]:
        """Every socket action so far: (host, port, pending|open|failed|closed, requested -
        False when its host did not resolve)."""
        return [(lst.host, lst.port, lst.state, lst.requested) for lst in self.conns.listeners]

    @property
    def socket_closed(self) -> bool:
        """Socket 0 is closed (or could not be opened, or there is none), or the model
        stopped."""
        return self._done or not self.conns.listeners or self.conns.listeners[0].closed

    @property
    def starts_in_dialplan(self) -> bool:
        """The call runs a ``CallerScript.dialplan``: its sockets are dialplan actions."""
        return self._dialplan is not None

    @property
    def finished(self) -> bool:
        return self._done

    @property
    def locatable(self) -> bool:
        """``switch_core_session_locate`` finds the channel (until its session is destroyed)."""
        return not self._done and self.state_num < 12

    def connect_timed_out(self, socket: int = 0) -> None:
        """The wait for the first command expired (for drivers that time it themselves)."""
        lst = self.conns.get(socket)
        if lst is not None and lst.first_packet and lst.live:
            self.conns.close(lst, notice=True)

    @property
    def awaiting_first_command(self) -> bool:
        lst = self.conns.get(0)
        return lst is not None and lst.first_packet and lst.live

    def awaiting_command(self, socket: int) -> bool:
        lst = self.conns.get(socket)
        return lst is not None and lst.first_packet and lst.live

    @property
    def connected(self) -> bool:
        """The application sent ``connect`` on socket 0."""
        lst = self.conns.get(0)
        return lst is not None and lst.connected

    @property
    def any_connected(self) -> bool:
        """The application sent ``connect`` on some socket."""
        return any(lst.connected for lst in self.conns.listeners)

    @property
    def member(self) -> QueueMember | None:
        """The channel's row in mod_callcenter's members table (while it is queued)."""
        return self.cc.member

    # ------------------------------------------------------------------ time & ids ----------

    def _us(self) -> int:
        return int((self._epoch0 + self.now) * 1_000_000)

    def _epoch(self) -> int:
        return int(self._epoch0 + self.now)

    def epoch(self) -> int:
        """The channel's clock in epoch seconds (``local_epoch_time_now``)."""
        return self._epoch()

    def _new_uuid(self) -> str:
        return str(uuid_mod.UUID(int=self._rng.getrandbits(128), version=4))

    # ------------------------------------------------------------------ the listeners -------

    def _external(self) -> None:
        if self.on_external is not None:
            self.on_external()

    def _check_done(self) -> None:
        if self._done:
            return
        if any(each.state in ("pending", "open") for each in self.conns.listeners):
            return
        if self.engine.gen is None:
            self._stop()

    def _stop(self) -> None:
        """Nothing observable happens any more: drop the simulation."""
        self._done = True
        self.engine.timers.clear()
        self.switch.unregister(self)
        gen, self.engine.gen = self.engine.gen, None
        if gen is not None and not self.engine.gen_running:
            gen.close()

    # ------------------------------------------------------------------ the switch's api -----

    def api_break(self, flush_all: bool) -> None:
        """``uuid_break`` on this channel (``breaks.PrivateEvents.api_break``)."""
        self.private.api_break(flush_all)

    def queue_broadcast(self, app: str, arg: str) -> None:
        """``switch_ivr_broadcast`` for this channel's A-leg (``breaks.PrivateEvents``)."""
        self.private.queue_broadcast(app, arg)

    def caller_key_at(self, when: float, digit: str) -> None:
        """The caller's key reaches the switch at ``when`` (``CallerScript.live_keys``)."""
        keys = sorted([*self.digits.keys.queue, (when, digit)])
        self.digits.keys.queue.clear()
        self.digits.keys.queue.extend(keys)
        self.engine.schedule(when, self.digits.key_arrives)

    def media_timeout_at(self, when: float) -> None:
        """No RTP from the caller for the profile's ``rtp-timeout-sec`` (300 on the live
        switch; SIPp sent none): ``switch_core_media.c:2832`` hangs up with MEDIA_TIMEOUT
        (T07 and T09a at 300 s)."""

        def fire() -> None:
            if not self.hung_up:
                self.life.hangup("MEDIA_TIMEOUT")

        self.engine.schedule(when, fire)

    def caller_hangup_at(self, when: float) -> None:
        """The caller's BYE reaches the switch at virtual time ``when`` (whatever runs then);
        the session acts on it 20 ms later: ``sofia.c:1065 Hangup`` to CHANNEL_HANGUP took
        5-27 ms (T14 1.080 -> 1.102, T13 1.580 -> 1.591, T10a 240.860 -> 240.887, where the
        runtime's uuid_setvar/uuid_broadcast of 240.866 still found the call up)."""
        self.life.caller_hangup_at(when + 0.02)

    def recv_dtmf(self, digits: str) -> None:
        """``uuid_recv_dtmf <uuid> <digits>``: the keys as if the caller pressed them.  Only
        recorded for a member waiting in ``callcenter`` (E1: the queue's exit key ends the
        wait at once); anywhere else ``Unrecorded``."""
        if self.private.running_app != "callcenter" or len(digits) != 1:
            raise Unrecorded("uuid_recv_dtmf outside a queue wait (E1 is the only capture)")

        def deliver() -> None:
            self.engine.cut_sleep("dtmf:" + digits, ("moh",))

        self.engine.schedule(self.now, deliver)

    def set_variable(self, name: str, value: str | None) -> None:
        """``switch_channel_add_variable_var_check(..., SWITCH_STACK_BOTTOM)`` (None: unset)."""
        self.vars.set(name, value)

    def variable(self, name: str) -> str | None:
        """``switch_channel_get_variable``: the channel variable, else the caller-profile
        field of that name."""
        value = self.vars.get(name)
        return value if value is not None else self.profile_field(name)

    def profile_field(self, name: str) -> str | None:
        """``switch_caller_get_field_by_name`` on the current caller profile."""
        attr = _PROFILE_FIELDS.get(name.lower())
        value = getattr(self.profile, attr, None) if attr is not None else None
        return value if isinstance(value, str) and value else None

    # ------------------------------------------------------------------ session ------------

    def _session_main(self) -> AppGen:
        # The channel entered CS_EXECUTE and the dialplan runs the socket app.
        lst = self.conns.listeners[0]
        self.events.fire(
            "CHANNEL_STATE", self.events.event("CHANNEL_STATE", with_vars=False), early=True
        )
        self.runner.events_begin("socket", self.config.socket_data, lst.app_uuid, early=True)
        yield from self.conns.socket_app(lst, first=True)
        self.runner.complete_event("socket", self.config.socket_data, lst.app_uuid, None)
        self.conns.static_done(lst)
        redirect, self._redirect = self._redirect, None
        if self.hung_up:
            yield from self.life.hangup_tail()
            return
        if redirect is not None:
            yield from self._follow(redirect, self.script.after_socket)
            return
        if self.conns.socket_exit in ("failed", "resume", "uncontrolled", "closed"):
            # Control left without a redirect: on resume, when the socket could not be
            # opened, when another listener cleared CF_CONTROLLED (T04) or when the
            # application closed the socket (Qb lines 27, 215, 232: the runtime killed, the
            # running app ends, then the dialplan goes on), it continues after the action.
            yield from self._run_dialplan(self.script.after_socket)
        else:
            self.life.hangup("NORMAL_CLEARING")
            yield from self.life.hangup_tail()

    def _follow(self, redirect: tuple[str, object], rest: Sequence[DialplanApp]) -> AppGen:
        """Control left for a transfer (new extension) or mod_callcenter's uuid_bridge (the
        dialplan continues with ``rest`` after the agent conversation)."""
        kind, target = redirect
        if kind == "transfer":
            assert isinstance(target, tuple)
            yield from self._routing(str(target[0]))
        else:
            assert isinstance(target, AgentLeg)
            yield from self.cc.bridge(target, rest)

    # ------------------------------------------------------------------ after the socket ---

    def _run_dialplan(self, apps: Sequence[DialplanApp]) -> AppGen:
        """Run dialplan actions in order until one hands the channel elsewhere; after the
        last one the channel is hung up."""
        steps = list(apps)
        for i, step in enumerate(steps):
            if self.hung_up:
                break
            self.conns.socket_exit = ""
            yield from self.runner.execute(
                step.app, step.data or None, self._new_uuid(), from_socket=False
            )
            redirect, self._redirect = self._redirect, None
            if redirect is not None and not self.hung_up:
                yield from self._follow(redirect, steps[i + 1 :])
                return
        if not self.hung_up:
            self.life.hangup("NORMAL_CLEARING")
        yield from self.life.hangup_tail()

    def _routing(self, extension: str) -> AppGen:
        """After a transfer (or at the start, with a ``CallerScript.dialplan``): CS_ROUTING,
        dialplan hunt, CS_EXECUTE or NO_ROUTE_DESTINATION."""
        self.call_state = "RINGING"
        self.life.set_state("CS_ROUTING")
        self.vars.set("call_uuid", self.uuid)
        exts = self.script.extensions
        apps: Sequence[DialplanApp] | None
        if self._dialplan is not None:
            context = self.profile.context or self.config.context
            hunt = self._dialplan.hunt(context, extension, self.profile_field, self.variable)
            self.routes.append(hunt)
            apps = [DialplanApp(a.app, a.data) for a in hunt.actions] or None
        elif exts is None:
            apps = self.script.default_extension
        else:
            apps = exts.get(extension)
        if apps is None:
            self.life.hangup("NO_ROUTE_DESTINATION")
            yield from self.life.hangup_tail()
            return
        if self.answered:
            self.call_state = "ACTIVE"
        self.life.set_state("CS_EXECUTE")
        yield from self._run_dialplan(apps)
