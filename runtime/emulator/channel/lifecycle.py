"""The channel's life: states (CHANNEL_STATE), pre-answer and answer (media, SDP, the ACK's
variables), hang-up (``switch_channel_perform_hangup``: the caller's BYE or the switch's
cause) and the CS_HANGUP / CS_REPORTING / CHANNEL_HANGUP_COMPLETE tail with the linger notices."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Final

from .. import templates as tpl
from ..wire import linger_notice
from .base import AppGen
from .cdr import cdr_vars
from .engine import Timer
from .script import Outgoing

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["Lifecycle"]

STATE_NUM: Final = {
    "CS_NEW": 0,
    "CS_INIT": 1,
    "CS_ROUTING": 2,
    "CS_SOFT_EXECUTE": 3,
    "CS_EXECUTE": 4,
    "CS_EXCHANGE_MEDIA": 5,
    "CS_PARK": 6,
    "CS_CONSUME_MEDIA": 7,
    "CS_HIBERNATE": 8,
    "CS_RESET": 9,
    "CS_HANGUP": 10,
    "CS_REPORTING": 11,
    "CS_DESTROY": 12,
}


class Lifecycle:
    """States, answer and hang-up of channel ``ch``; ``ack_pending``: the 200 OK's ACK is due
    (its variables come after the running app); ``pending_hangup``: the caller's BYE on its
    way."""

    def __init__(self, ch: Channel) -> None:
        self.ch = ch
        self.ack_pending = False
        self.pending_hangup: Timer | None = None
        # another leg watching this one (a loopback b-leg: ``loopback.Loopback``)
        self.on_answered: Callable[[], None] | None = None
        self.on_hung_up: Callable[[str], None] | None = None

    # -- life
    # ------------------------------------------------------------------ state changes -------

    def set_state(self, name: str, *, fire: bool = True) -> None:
        self.ch.state = name
        self.ch.state_num = STATE_NUM[name]
        if fire:
            self.ch.events.fire(
                "CHANNEL_STATE", self.ch.events.event("CHANNEL_STATE", with_vars=False)
            )

    def pre_answer(self) -> AppGen:
        if self.ch.media or self.ch.hung_up:
            return
        yield from self.ch.engine.sleep(self.ch.script.answer_delay)
        if self.ch.hung_up:
            return
        for name, value in tpl.media_vars(self.ch.params, self.ch._rng):
            self.ch.vars.set(name, value)
        self.ch.media = True
        self.ch.answer_state = "early"
        self.ch.profile.progress_media = self.ch._us()
        self.ch.profile.touch()
        self.ch.events.fire(
            "CHANNEL_PROGRESS_MEDIA", self.ch.events.event("CHANNEL_PROGRESS_MEDIA")
        )
        self.ch.call_state = "EARLY"

    def answer(self) -> AppGen:
        if self.ch.answered or self.ch.hung_up:
            return
        yield from self.pre_answer()
        if self.ch.hung_up:
            return
        port = self.ch.vars.get("local_media_port") or "20000"
        self.ch.vars.set("rtp_local_sdp_str", tpl.local_sdp(self.ch.params, port, self.ch._rng))
        self.ch.answered = True
        self.ch.answer_state = "answered"
        self.ch.profile.answered = self.ch._us()
        self.ch.profile.touch()
        self.ch.events.fire("CHANNEL_ANSWER", self.ch.events.event("CHANNEL_ANSWER"))
        self.ch.call_state = "ACTIVE"
        self.ch.vars.set("endpoint_disposition", "ANSWER")
        self.ack_pending = True
        if self.on_answered is not None:
            self.on_answered()

    def after_answer_acked(self) -> None:
        """The ACK of the 200 OK arrived while the app ran: its variables, once."""
        if self.ack_pending:
            self.ack_pending = False
            for name, value in tpl.ack_vars(self.ch.params, self._to_tag()):
                self.ch.vars.set(name, value)

    def _to_tag(self) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return "".join(self.ch._rng.choice(alphabet) for _ in range(13))

    def hangup(self, cause: str, *, by_caller: bool = False) -> None:
        """``switch_channel_perform_hangup``: CHANNEL_HANGUP now, the rest follows."""
        if self.ch.hung_up:
            return
        self.ch.hung_up = True
        if by_caller:
            if self.ch.answered:
                for name, value in (
                    ("sip_term_status", "200"),
                    ("proto_specific_hangup_cause", "sip:200"),
                    ("sip_term_cause", str(tpl.cause_code(cause))),
                ):
                    self.ch.vars.set(name, value)
            else:
                for name, value in (
                    ("sip_term_status", "487"),
                    ("proto_specific_hangup_cause", "sip:487"),
                    ("sip_term_cause", str(tpl.cause_code(cause))),
                ):
                    self.ch.vars.set(name, value)
        self.ch.hangup_cause = cause
        self.ch.state_num = 10
        self.ch.answer_state = "hangup"
        self.ch.events.fire("CHANNEL_HANGUP", self.ch.events.event("CHANNEL_HANGUP"))
        if by_caller:
            self.ch.vars.set(
                "sip_hangup_disposition", "recv_bye" if self.ch.answered else "recv_cancel"
            )
        if self.pending_hangup is not None:
            self.pending_hangup.cancelled = True
            self.pending_hangup = None
        for lst in self.ch.conns.listeners:
            if lst.live and lst.linger is None:
                # Without linger the listener notices the channel is down and closes.
                self.ch.engine.schedule(self.ch.now, partial(self.ch.conns.close, lst, notice=True))
        if self.on_hung_up is not None:
            self.on_hung_up(cause)
        self.ch.engine.interrupt()

    def caller_hangup_at(self, when: float) -> None:
        if self.ch.hung_up or self.pending_hangup is not None:
            return

        def fire() -> None:
            self.pending_hangup = None
            self.hangup("NORMAL_CLEARING", by_caller=True)

        self.pending_hangup = self.ch.engine.schedule(when, fire)

    def caller_hangup_now(self) -> None:
        if self.pending_hangup is not None:
            self.pending_hangup.cancelled = True
            self.pending_hangup = None
            self.hangup("NORMAL_CLEARING", by_caller=True)

    def hangup_tail(self) -> AppGen:
        """CS_HANGUP, CS_REPORTING, CHANNEL_HANGUP_COMPLETE, then the linger notice."""
        yield from self.ch.engine.sleep(0.0, interruptible=False)
        self.set_state("CS_HANGUP")
        self.ch.state_num = 11
        self.ch.call_state = "HANGUP"
        self.ch.profile.hangup = self.ch._us()
        self.ch.profile.touch()
        self.set_state("CS_REPORTING")
        for name, value in cdr_vars(self.ch):
            self.ch.vars.set(name, value)
        cause = self.ch.hangup_cause or "NORMAL_CLEARING"
        self.ch.events.fire(
            "CHANNEL_HANGUP_COMPLETE",
            self.ch.events.event("CHANNEL_HANGUP_COMPLETE", pre=[("Hangup-Cause", cause)]),
        )
        self.ch.state_num = 12
        self.ch.switch.unregister(self.ch)
        for lst in self.ch.conns.listeners:
            if lst.linger is not None and not lst.linger_sent and lst.live:
                lst.linger_sent = True
                lst.out.append(
                    Outgoing(
                        linger_notice(self.ch.uuid, self.ch.channel_name, lst.linger), "notice"
                    )
                )
                if lst.linger >= 0:
                    self.ch.engine.schedule(
                        self.ch.now + lst.linger,
                        partial(self.ch.conns.close, lst, notice=True),
                    )
