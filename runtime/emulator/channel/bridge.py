"""Where the channel goes next: ``transfer`` (``switch_ivr_session_transfer``: a new caller
profile, a new dialplan hunt) and ``bridge`` (the far end's outcome from the caller's script; a
directory user the switch lacks: Qb; the switch's own mod_loopback: ``loopback``, T11)."""

from __future__ import annotations

import re
from collections import deque
from typing import TYPE_CHECKING, Final

from .. import templates as tpl
from ..fsutil import atoi, separate_string
from ..profile import Unrecorded
from ..templates import CallerProfile
from ..wire import Headers
from .base import AppGen, truthy
from .loopback import Loopback, loopback_target
from .script import BridgeOutcome

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["Bridging"]

_DIAL_STATUS: Final = {
    "SUCCESS": "SUCCESS",
    "USER_BUSY": "BUSY",
    "NO_ANSWER": "NOANSWER",
    "NO_USER_RESPONSE": "NOANSWER",
    "ORIGINATOR_CANCEL": "CANCEL",
}


class Bridging:
    """``transfer`` and ``bridge`` on channel ``ch``; ``outcomes``: the script's far ends left."""

    def __init__(self, ch: Channel) -> None:
        self.ch = ch
        self.outcomes: deque[BridgeOutcome] = deque(ch.script.bridges)
        self.loopback: Loopback | None = None  # a bridge to mod_loopback that runs

    # transfer ---------------------------------------------------------------------------------

    def app_transfer(self, arg: str) -> AppGen:
        argv = separate_string(arg, 4) if arg else []
        if argv and argv[0] in ("-bleg", "-both"):
            argv = argv[1:]
        if not argv:
            return
        self.session_transfer(
            argv[0], argv[1] if len(argv) > 1 else None, argv[2] if len(argv) > 2 else None
        )
        return
        yield  # pragma: no cover

    def session_transfer(self, ext: str, dialplan: str | None, context: str | None) -> None:
        """``switch_ivr_session_transfer``: new caller profile, CS_ROUTING, control leaves."""
        dialplan = dialplan or "XML"
        context = context or self.ch.profile.context or self.ch.config.context
        forwards = atoi(self.ch.vars.get("max_forwards")) or 70
        if forwards <= 1:
            # The emulator's bound on a dialplan that transfers in a loop.
            self.ch.life.hangup("EXCHANGE_ROUTING_ERROR")
            return
        self.ch.vars.set("max_forwards", str(forwards - 1))
        history = f"{self.ch._epoch()}:{self.ch._new_uuid()}:bl_xfer:{ext}/{context}/{dialplan}"
        self.ch.vars.set("transfer_history", history)
        self.ch.vars.set("transfer_source", history)
        p = self.ch.profile
        index = int(p.profile_index or "1") + 1
        new = CallerProfile(
            caller_id_name=p.caller_id_name,
            caller_id_number=p.caller_id_number,
            destination_number=ext,
            uuid=p.uuid,
            channel_name=p.channel_name,
            network_addr=p.network_addr,
            username=p.username,
            dialplan=dialplan,
            context=context,
            orig_caller_id_name=p.orig_caller_id_name,
            orig_caller_id_number=p.orig_caller_id_number,
            callee_id_name=p.callee_id_name,
            callee_id_number=p.callee_id_number,
            ani=p.ani,
            source=p.source,
            transfer_source=history,
            rdnis=p.destination_number,
            profile_index=str(index),
            profile_created=self.ch._us(),
            created=p.created,
            answered=p.answered,
            progress=p.progress,
            progress_media=p.progress_media,
        )
        self.ch.profile = new
        self.ch.state_num = 2
        self.ch._redirect = ("transfer", (ext, dialplan, context))

    # bridge ------------------------------------------------------------------------------------

    def other_leg(self, contact: str, number: str, *, originate: bool) -> CallerProfile:
        p = self.ch.profile
        created = self.ch._us()
        return CallerProfile(
            caller_id_name=p.caller_id_name,
            caller_id_number=p.caller_id_number,
            destination_number=number,
            uuid=self.ch._new_uuid(),
            channel_name=contact,
            network_addr=self.ch.config.caller_host,
            username=p.username if not originate else None,
            dialplan="XML" if not originate else None,
            context="public" if not originate else "default",
            direction="outbound",
            logical_direction="inbound",
            orig_caller_id_name=p.caller_id_name,
            orig_caller_id_number=p.caller_id_number,
            callee_id_name="Outbound Call",
            callee_id_number=number,
            ani=p.caller_id_number,
            source="mod_sofia" if not originate else "src/switch_ivr_originate.c",
            profile_index=None,
            profile_created=created,
            created=created,
            progress=created,
        )

    def app_bridge(self, arg: str) -> AppGen:
        outcome = self.outcomes.popleft() if self.outcomes else self.ch.script.default_bridge
        contact, number, fail_cause = _parse_dial_string(arg)
        if contact.startswith("user/"):
            # Qb lines 249/254: ``mod_dptools.c:4383 Can't find user [1900@127.0.0.1]``
            # (the switch's only domain), then the call is hung up SUBSCRIBER_ABSENT
            user, _, domain = contact[5:].partition("@")
            if self.ch.profile_sw.has_user(domain or "127.0.0.1", user):
                raise Unrecorded(f"bridge to the directory user {contact!r}")
            self.ch.switch_log.append(f"Can't find user [{user}@{domain or '127.0.0.1'}]")
            if not _continue_on_fail(self.ch.vars.get("continue_on_fail"), "SUBSCRIBER_ABSENT"):
                self.ch.life.hangup("SUBSCRIBER_ABSENT")
                return
            raise Unrecorded("continue_on_fail after a missing directory user")
        if outcome.result == "loopback":
            yield from self._loopback(arg, contact, number)
            return
        if not self.ch.media:
            yield from self.ch.life.pre_answer()
        if fail_cause is None and outcome.result == "answered":
            yield from self._answered(outcome, contact, number)
        else:
            yield from self._failed(outcome, number, fail_cause, arg)

    def _loopback(self, arg: str, contact: str, number: str) -> AppGen:
        """The far end is the switch's own mod_loopback (``BridgeOutcome("loopback")``, T11)."""
        target = loopback_target(contact)
        if target is None:
            raise Unrecorded(f"a loopback far end for {contact[:60]!r}: not a loopback dial string")
        ext, context = target
        if context != "default":
            raise Unrecorded(f"bridge {contact!r}: only the default context is recorded (T11)")
        self.loopback = Loopback(self.ch, ext)
        try:
            yield from self.loopback.bridge(arg, contact, number)
        finally:
            self.loopback = None

    def _answered(self, outcome: BridgeOutcome, contact: str, number: str) -> AppGen:
        r = yield from self.ch.engine.sleep(outcome.ring_time)
        if r == "hangup":
            return
        b_uuid = self.bridged(contact, number)
        yield from self.ch.engine.sleep(outcome.talk_time)
        cause = outcome.far_end_hangup_cause if not self.ch.hung_up else "NORMAL_CLEARING"
        self.unbridged(contact, b_uuid, number, cause)

    def bridged(self, contact: str, number: str) -> str:
        """The far end ``contact`` answered: the other leg, the originate variables,
        CHANNEL_BRIDGE.  Returns the other leg's UUID."""
        ch = self.ch
        leg = self.other_leg(contact, number, originate=False)
        leg.answered = ch._us()
        b_uuid = leg.uuid
        ch.other = leg
        ch.profile.callee_id_name = "Outbound Call"
        ch.profile.callee_id_number = number
        ch.profile.progress = leg.progress
        ch.profile.bridged = ch._us()
        ch.profile.touch()
        for name, value in (
            ("originated_legs", f"{b_uuid};Outbound Call;{number}"),
            ("switch_m_sdp", ch.vars.get("switch_r_sdp")),
            ("video_media_flow", "inactive"),
            ("text_media_flow", "inactive"),
            ("audio_media_flow", "sendrecv"),
            ("originate_disposition", "SUCCESS"),
            ("DIALSTATUS", "SUCCESS"),
            ("originate_causes", f"{b_uuid};NONE"),
            ("signal_bond", b_uuid),
        ):
            ch.vars.set(name, value)
        ch.events.announce("CHANNEL_BRIDGE", pre=self._ab(b_uuid))
        return b_uuid

    def _ab(self, b_uuid: str) -> Headers:
        return [("Bridge-A-Unique-ID", self.ch.uuid), ("Bridge-B-Unique-ID", b_uuid)]

    def unbridged(self, contact: str, b_uuid: str, number: str, cause: str) -> None:
        """The bridge ended with ``cause``: its variables, CHANNEL_UNBRIDGE, and the hang-up
        when ``hangup_after_bridge`` is set."""
        ch = self.ch
        for name, value in (
            ("last_bridge_to", b_uuid),
            ("bridge_channel", contact),
            ("bridge_uuid", b_uuid),
            ("signal_bond", b_uuid),
            ("last_sent_callee_id_name", "Outbound Call"),
            ("last_sent_callee_id_number", number),
        ):
            ch.vars.set(name, value)
        if not ch.hung_up and cause == "NORMAL_CLEARING":
            ch.vars.set("sip_hangup_phrase", "OK")
            ch.vars.set("last_bridge_hangup_cause", cause)
            ch.vars.set("last_bridge_proto_specific_hangup_cause", "sip:200")
        else:
            ch.vars.set("last_bridge_hangup_cause", cause)
        ch.vars.set("bridge_hangup_cause", cause)
        ch.events.announce("CHANNEL_UNBRIDGE", pre=self._ab(b_uuid))
        if truthy(ch.vars.get("hangup_after_bridge")):
            ch.life.hangup(cause)

    def _failed(
        self, outcome: BridgeOutcome, number: str, fail_cause: str | None, arg: str
    ) -> AppGen:
        if fail_cause is not None:
            cause, status, phrase = fail_cause, None, None
            delay = 0.0
        elif outcome.result == "busy":
            cause, status, phrase = "USER_BUSY", "486", "Busy Here"
            delay = outcome.fail_time
        elif outcome.result == "no_answer":
            cause, status, phrase = "NO_ANSWER", "487", "Request Terminated"
            m = re.search(r"(?:originate_timeout|leg_timeout)=(\d+)", arg)
            delay = float(m.group(1)) if m else 60.0
        else:
            cause, status, phrase = "NORMAL_TEMPORARY_FAILURE", "503", "Service Unavailable"
            delay = outcome.fail_time
        r = yield from self.ch.engine.sleep(delay)
        if r == "hangup":
            return
        b_uuid = self.ch._new_uuid()
        items: list[tuple[str, str | None]] = [
            ("originate_signal_bond", b_uuid),
            ("originated_legs", f"{b_uuid};Outbound Call;{number}"),
        ]
        if status is not None:
            items += [
                ("sip_invite_failure_status", status),
                ("sip_invite_failure_phrase", phrase),
                ("sip_hangup_phrase", phrase),
            ]
        items.append(("last_bridge_hangup_cause", cause))
        if status is not None:
            items.append(("last_bridge_proto_specific_hangup_cause", f"sip:{status}"))
        items += [
            ("originate_disposition", cause),
            ("DIALSTATUS", _DIAL_STATUS.get(cause, cause)),
            ("originate_causes", f"{b_uuid};{cause}"),
            ("originate_failed_cause", cause),
        ]
        for name, value in items:
            self.ch.vars.set(name, value)
        if not _continue_on_fail(self.ch.vars.get("continue_on_fail"), cause):
            self.ch.life.hangup(cause)


def _continue_on_fail(value: str | None, cause: str) -> bool:
    if not value:
        return False
    if truthy(value):
        return True
    items = {v.strip().upper() for v in value.split(",")}
    return cause in items or str(tpl.cause_code(cause)) in items


def _parse_dial_string(arg: str) -> tuple[str, str, str | None]:
    """(channel name, destination, immediate failure cause) of a bridge dial string."""
    s = arg.strip()
    while s.startswith("{") or s.startswith("<") or s.startswith("["):
        close = {"{": "}", "<": ">", "[": "]"}[s[0]]
        end = s.find(close)
        if end < 0:
            break
        s = s[end + 1 :]
    for sep in (",", "|", ":_:"):
        s = s.split(sep)[0]
    if s.startswith("error/"):
        return s, "error", tpl.cause_name(s[6:], "NORMAL_TEMPORARY_FAILURE")
    parts = s.split("/")
    target = parts[-1] if parts else s
    number = target.split("@")[0] or "unknown"
    return s, number, None
