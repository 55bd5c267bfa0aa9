"""mod_loopback as the live capture T11 shows it (``tests/fixtures/freeswitch/live/
T11_transfer_to_care_line.jsonl``): ``bridge loopback/<ext>/default`` on a call is a second
call on the same switch.

What T11 shows, and the model does:

* fslog 1.199954: ``New Channel loopback/8001/default-a`` (renamed ``loopback/8001-a``) and
  ``New Channel loopback/8001-b``; ``mod_loopback.c:356 setting other_loopback_from_uuid on b
  leg to <the caller's uuid>``;
* the b-leg is routed ``Processing sipp <+8613500000000>->8001 in context default``: the
  switch's default context sets ``tts_engine``/``tts_voice`` (``fid_flowc_dids``, the same
  extension the caller's own call went through) and transfers to ``8001 XML public`` - as a
  caller's call starts (``ChannelConfig.context``, ``SwitchProfile.channel_vars``); then it
  runs what the dialplan finds (set, answer, transfer, ``socket``): the b-leg is a channel of
  its own (``Switch.spawned``) with its own socket connection (connection 1, the runtime
  serving it as telecom_care);
* the b-leg's ``answer()``: ``Channel [loopback/8001-a] has been answered``, ``Originate
  Resulted in Success: [loopback/8001-a]``, and the caller's leg gets CHANNEL_BRIDGE with the
  a-leg as its other leg (conn 0 at 1.213; ``bridge_channel`` ``loopback/8001-a``,
  ``originated_legs ...;Outbound Call;default``, ``originate_disposition`` / ``DIALSTATUS``
  SUCCESS in the bridge's completion);
* the caller hangs up (``sofia.c:1065`` at 13.239962): the caller's leg ends its bridge
  (CHANNEL_HANGUP, CHANNEL_UNBRIDGE, the bridge's completion), the a-leg hangs up and
  ``mod_loopback.c:585 Hangup loopback/8001-b [CS_EXECUTE] [NORMAL_CLEARING]`` at the same
  time: the b-leg's queue wait ends ``BREAK_OUT`` (conn 1's callcenter completion).

Not recorded, so ``Unrecorded``: another context than ``default``, channel variables in the
dial string, a call without an XML dialplan for the b-leg to hunt, the b-leg ending (or not
answering) while the caller's leg is still up, keys of the caller during the bridge.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ..profile import Unrecorded
from .base import AppGen
from .script import CallSpec

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["Loopback", "loopback_target"]

_A_DAY = 86_400.0


def loopback_target(contact: str) -> tuple[str, str] | None:
    """(extension, context) of a ``loopback/<ext>/<context>`` dial string, else None."""
    parts = contact.split("/")
    if parts[0] != "loopback":
        return None
    if len(parts) != 3 or not parts[1]:
        raise Unrecorded(f"bridge {contact!r}: only loopback/<ext>/default is recorded (T11)")
    return parts[1], parts[2]


class Loopback:
    """One ``bridge loopback/<ext>/default`` of channel ``a`` (the caller's leg): the b-leg
    channel, and what each leg's end does to the other."""

    def __init__(self, a: Channel, ext: str) -> None:
        self.a = a
        self.ext = ext
        self.b: Channel | None = None
        self.answered = False
        self.a_gone = False

    def bridge(self, arg: str, contact: str, number: str) -> AppGen:
        """The caller's leg in the bridge app: originate, wait for the b-leg's answer, stay
        bridged until the caller hangs up."""
        a = self.a
        if arg.strip() != contact:
            raise Unrecorded(f"bridge {arg[:60]!r}: variables on a loopback dial string")
        if a.script.dialplan is None:
            raise Unrecorded("a loopback b-leg needs the switch's XML dialplan to hunt (T11)")
        if not a.media:
            yield from a.life.pre_answer()
        b = self._originate()
        while not self.answered and not a.hung_up:
            yield None  # the b-leg's answer wakes the bridge (``_b_answered``)
        if a.hung_up:
            raise Unrecorded("the caller hanging up before the loopback b-leg answers")
        a_contact = f"loopback/{self.ext}-a"
        b_uuid = a.xfer.bridged(a_contact, number)
        r = yield from a.engine.sleep(_A_DAY)
        if r == "ok":
            raise Unrecorded("a loopback bridge of a whole day")
        # the caller hung up: the a-leg goes, mod_loopback hangs up the b-leg (13.239962)
        self.a_gone = True
        b.engine.schedule(a.now, lambda: b.life.hangup("NORMAL_CLEARING"))
        b._external()
        a.xfer.unbridged(a_contact, b_uuid, number, "NORMAL_CLEARING")

    def _originate(self) -> Channel:
        """The b-leg: a new call to ``ext`` from the caller's identity, on the same switch."""
        a = self.a
        spec = CallSpec(
            caller=a.profile.caller_id_number,
            did=self.ext,
            uuid=a._new_uuid(),
            script=dataclasses.replace(
                a.script, inputs=(), keys_at=(), live_keys=False, hangup_after_apps=None
            ),
            caller_name=a.profile.caller_id_name,
            config=a.config,
            channel_name=f"loopback/{self.ext}-b",
        )
        hooks = (self._b_answered, self._b_hung_up)
        b = type(a)(spec, now=a.now, switch=a.switch, hooks=hooks)
        b.vars.set("other_loopback_from_uuid", a.uuid)
        self.b = b
        a.switch.spawned.append(b)
        return b

    def _b_answered(self) -> None:
        self.answered = True
        a = self.a
        a.engine.schedule(a.now, lambda: a.engine.wake("loopback"))
        a._external()

    def _b_hung_up(self, cause: str) -> None:
        if not self.a_gone and not self.a.hung_up:
            raise Unrecorded(f"the loopback b-leg ending first ({cause}): no capture shows it")
