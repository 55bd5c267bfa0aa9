"""What the channels of one emulated FreeSWITCH share: the api commands and mod_callcenter's
members table.

``Switch`` keeps the live channels by UUID (``switch_core_session_locate``) and answers the
``api`` / ``bgapi`` commands an application sends on any of their sockets.  The commands are
one table, ``Switch.commands`` (name -> handler); each handler returns the text FreeSWITCH
writes into its stream (mod_event_socket's ``api_exec`` sends it as the ``api/response``
body, ``-ERR no reply`` when it is empty, ``-ERR <cmd> Command not found!`` for an unknown
name).  Modelled, from FreeSWITCH's source:

* ``uuid_break <uuid> [all]`` (mod_commands ``break_function``): ``+OK``; ``-ERR No such
  channel!`` for an unknown UUID; ``-USAGE: <uuid> [all]`` without argument.  ``all``
  (``strstr`` in the flag) also flushes the channel's private events.  The channel's CF_BREAK
  effect is ``Channel.api_break``.
* ``uuid_setvar <uuid> <var> [value]`` (``uuid_setvar_function``): arguments split by
  ``switch_separate_string`` into at most 3 (the value keeps its blanks, single quotes group
  and are removed); no value unsets; ``+OK`` / ``-ERR No such channel!`` / ``-ERR No
  variable specified`` / ``-USAGE: <uuid> <var> [value]``.
* ``uuid_getvar <uuid> <var>`` (``uuid_getvar_function``): the value, or ``_undef_``;
  ``-ERR No such channel!``; ``-USAGE: <uuid> <var>``.
* ``uuid_broadcast <uuid> <path> [aleg|bleg|holdb|both]`` (``uuid_broadcast_function`` and
  ``switch_ivr_broadcast``): the path is ONE blank-separated argument (quote it to keep
  blanks); ``app::args`` runs ``app`` with ``args``, anything else is ``playback <path>``; an
  ``!cause`` after the app name hangs up after it.  The arguments are not expanded here:
  ``${var}`` is expanded when the application runs.  ``+OK Message sent``; ``-ERR invalid
  uuid``; ``-USAGE: <uuid> <path> [aleg|bleg|holdb|both]``.  Without a leg argument the A-leg
  hears it; only the A-leg (the channel) is modelled.
* ``callcenter_config queue list members [<queue>]`` (mod_callcenter ``cc_config_api_function``
  + ``list_result_callback``): ``SELECT *, (now - joined_epoch) + base_score + skill_score AS
  score FROM members WHERE queue = <queue> ORDER BY score DESC``, written as a header line of
  the column names and one line per member, ``|``-separated, then ``+OK``; nothing but
  ``+OK`` for an empty queue.  Other sub-commands are not modelled (``-ERR Invalid!``).
* ``uuid_recv_dtmf <uuid> <digits>`` (E1, the side action at line 481: ``+OK <uuid> received
  DTMF *.``): the channel receives the keys (``Channel.recv_dtmf``).

Any other command name is ``Unrecorded`` (a real 1.10.12 has hundreds; none other is recorded).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from runtime.queue_announce import MEMBER_COLUMNS  # the same table FreeSWITCH lists

from .fsutil import separate_string
from .profile import Unrecorded

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["MEMBER_COLUMNS", "QueueMember", "Switch"]


DISCARD_ABANDONED_AFTER: Final = 60
"""The queue's ``discard-abandoned-after`` (FreeSWITCH's default, and flowc's): abandoned
members leave the table after that many seconds."""

CC_CONFIG_API_SYNTAX: Final = (
    "callcenter_config <target> <args>,\n"
    "\tcallcenter_config agent add [name] [type] | \n"
    "\tcallcenter_config agent del [name] | \n"
    "\tcallcenter_config agent reload [name] | \n"
    "\tcallcenter_config agent set status [agent_name] [status] | \n"
    "\tcallcenter_config agent set state [agent_name] [state] | \n"
    "\tcallcenter_config agent set contact [agent_name] [contact] | \n"
    "\tcallcenter_config agent set ready_time [agent_name] [wait till epoch] | \n"
    "\tcallcenter_config agent set reject_delay_time [agent_name] [wait second] | \n"
    "\tcallcenter_config agent set busy_delay_time [agent_name] [wait second] | \n"
    "\tcallcenter_config agent set no_answer_delay_time [agent_name] [wait second] | \n"
    "\tcallcenter_config agent get status [agent_name] | \n"
    "\tcallcenter_config agent get state [agent_name] | \n"
    "\tcallcenter_config agent get uuid [agent_name] | \n"
    "\tcallcenter_config agent list [[agent_name]] | \n"
    "\tcallcenter_config tier add [queue_name] [agent_name] [[level]] [[position]] | \n"
    "\tcallcenter_config tier set state [queue_name] [agent_name] [state] | \n"
    "\tcallcenter_config tier set level [queue_name] [agent_name] [level] | \n"
    "\tcallcenter_config tier set position [queue_name] [agent_name] [position] | \n"
    "\tcallcenter_config tier del [queue_name] [agent_name] | \n"
    "\tcallcenter_config tier reload [queue_name] [agent_name] | \n"
    "\tcallcenter_config tier list | \n"
    "\tcallcenter_config queue load [queue_name] | \n"
    "\tcallcenter_config queue unload [queue_name] | \n"
    "\tcallcenter_config queue reload [queue_name] | \n"
    "\tcallcenter_config queue list | \n"
    "\tcallcenter_config queue list agents [queue_name] [status] [state] | \n"
    "\tcallcenter_config queue list members [queue_name] | \n"
    "\tcallcenter_config queue list tiers [queue_name] | \n"
    "\tcallcenter_config queue count | \n"
    "\tcallcenter_config queue count agents [queue_name] [status] [state] | \n"
    "\tcallcenter_config queue count members [queue_name] | \n"
    "\tcallcenter_config queue count tiers [queue_name]"
)

ApiHandler = Callable[["Switch", "Channel | None", str], str]


@dataclass
class QueueMember:
    """One row of mod_callcenter's ``members`` table (what ``callcenter`` inserts)."""

    queue: str
    uuid: str
    session_uuid: str
    cid_number: str = ""
    cid_name: str = ""
    system_epoch: int = 0
    joined_epoch: int = 0
    rejoined_epoch: int = 0
    bridge_epoch: int = 0
    abandoned_epoch: int = 0
    base_score: int = 0
    skill_score: int = 0
    serving_agent: str = ""
    serving_system: str = ""
    state: str = "Waiting"
    instance_id: str = "single_box"

    def score(self, now: int) -> int:
        return (now - self.joined_epoch) + self.base_score + self.skill_score

    def row(self, now: int) -> list[str]:
        values: list[object] = [
            self.queue,
            self.instance_id,
            self.uuid,
            self.session_uuid,
            self.cid_number,
            self.cid_name,
            self.system_epoch,
            self.joined_epoch,
            self.rejoined_epoch,
            self.bridge_epoch,
            self.abandoned_epoch,
            self.base_score,
            self.skill_score,
            self.serving_agent,
            self.serving_system,
            self.state,
            self.score(now),
        ]
        return [str(v) for v in values]


class Switch:
    """The emulated FreeSWITCH around the channels (sans-IO, no clock of its own: "now" is the
    epoch of the channel that asks)."""

    def __init__(self) -> None:
        self.channels: dict[str, Channel] = {}
        # channels the switch itself created (a loopback b-leg): the driver runs them too
        self.spawned: list[Channel] = []
        self.members: list[QueueMember] = []
        self.commands: dict[str, ApiHandler] = {
            "uuid_break": Switch._uuid_break,
            "uuid_setvar": Switch._uuid_setvar,
            "uuid_getvar": Switch._uuid_getvar,
            "uuid_broadcast": Switch._uuid_broadcast,
            "callcenter_config": Switch._callcenter_config,
            "uuid_recv_dtmf": Switch._uuid_recv_dtmf,
        }

    def register(self, channel: Channel) -> None:
        self.channels[channel.uuid] = channel

    def unregister(self, channel: Channel) -> None:
        """The channel's session is gone: its member row goes too, unless abandoned (those
        stay until ``discard-abandoned-after``)."""
        if self.channels.get(channel.uuid) is channel:
            del self.channels[channel.uuid]
        member = channel.member
        if member is not None and member.state != "Abandoned" and member in self.members:
            self.members.remove(member)

    def locate(self, uuid: str) -> Channel | None:
        """``switch_core_session_locate``."""
        ch = self.channels.get(uuid)
        return ch if ch is not None and ch.locatable else None

    def api(self, caller: Channel | None, text: str, *, background: bool = False) -> str:
        """``api <text>`` (``bgapi`` with ``background``): the response body."""
        text = text.split("\n", 1)[0].split("\r", 1)[0]
        name, _, arg = text.partition(" ")
        handler = self.commands.get(name.strip().lower())
        if handler is None:
            raise Unrecorded(f"api {name}: no recording shows this command")
        reply = handler(self, caller, arg.strip())
        if not reply and not background:
            return "-ERR no reply\n"
        return reply

    def _touch(self, target: Channel, caller: Channel | None) -> None:
        if target is not caller:
            target._external()

    # -- mod_commands ----------------------------------------------------------------------

    def _uuid_break(self, caller: Channel | None, arg: str) -> str:
        if not arg:
            return "-USAGE: <uuid> [all]\n"
        uuid, _, flag = arg.partition(" ")
        target = self.locate(uuid)
        if target is None:
            return "-ERR No such channel!\n"
        target.api_break("all" in flag)
        self._touch(target, caller)
        return "+OK\n"

    def _uuid_setvar(self, caller: Channel | None, arg: str) -> str:
        argv = separate_string(arg, 3) if arg else []
        if len(argv) in (2, 3) and argv[0]:
            target = self.locate(argv[0])
            if target is None:
                return "-ERR No such channel!\n"
            if not argv[1]:
                return "-ERR No variable specified\n"
            target.set_variable(argv[1], argv[2] if len(argv) == 3 else None)
            self._touch(target, caller)
            return "+OK\n"
        return "-USAGE: <uuid> <var> [value]\n"

    def _uuid_getvar(self, caller: Channel | None, arg: str) -> str:
        argv = separate_string(arg, 4) if arg else []
        if len(argv) >= 2 and argv[0]:
            target = self.locate(argv[0])
            if target is None:
                return "-ERR No such channel!\n"
            if not argv[1]:
                return "-ERR No variable name specified!\n"
            value = target.vars.get(argv[1])
            return value if value is not None else "_undef_"
        return "-USAGE: <uuid> <var>\n"

    def _uuid_broadcast(self, caller: Channel | None, arg: str) -> str:
        argv = separate_string(arg, 4) if arg else []
        if len(argv) < 2:
            return "-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n"
        legs = argv[2].lower() if len(argv) > 2 else ""
        a_leg = not legs or "both" in legs or "aleg" in legs
        target = self.locate(argv[0])
        if target is None:
            return "-ERR invalid uuid\n"
        app, path = "playback", argv[1]
        first = path.find(":")
        if first >= 0 and path[first + 1 : first + 2] == ":":
            app, path = path[:first], path[first + 2 :]
        app, bang, cause = app.partition("!")
        if a_leg:
            target.queue_broadcast(app, path)
            if bang:
                target.queue_broadcast("hangup", cause or "normal_clearing")
            self._touch(target, caller)
        return "+OK Message sent\n"

    def _uuid_recv_dtmf(self, caller: Channel | None, arg: str) -> str:
        argv = separate_string(arg, 3) if arg else []
        if len(argv) != 2:
            raise Unrecorded(f"uuid_recv_dtmf {arg!r}: only <uuid> <digit> is recorded")
        target = self.locate(argv[0])
        if target is None:
            raise Unrecorded("uuid_recv_dtmf for an unknown channel")
        target.recv_dtmf(argv[1])
        self._touch(target, caller)
        return f"+OK {argv[0]} received DTMF {argv[1]}.\n"

    # -- mod_callcenter --------------------------------------------------------------------

    def _callcenter_config(self, caller: Channel | None, arg: str) -> str:
        if not arg:
            return f"-USAGE: \n{CC_CONFIG_API_SYNTAX}\n"
        argv = separate_string(arg, 8)
        if len(argv) < 2:
            return "-ERR Invalid!\n"
        section, action, rest = argv[0].lower(), argv[1].lower(), argv[2:]
        if section == "queue" and action == "list" and rest and rest[0].lower() == "members":
            return self.list_members(rest[1] if len(rest) > 1 else None, caller)
        return "-ERR Invalid!\n"

    def list_members(self, queue: str | None, caller: Channel | None) -> str:
        """``callcenter_config queue list members [<queue>]``."""
        now = caller.epoch() if caller is not None else self._any_epoch()
        self.members = [
            m
            for m in self.members
            if m.state != "Abandoned" or now - m.abandoned_epoch <= DISCARD_ABANDONED_AFTER
        ]
        if queue is not None:
            rows = [m for m in self.members if m.queue == queue]
            # ORDER BY score DESC; equal scores keep the table's order
            rows.sort(key=lambda m: -m.score(now))
        else:
            rows = sorted(self.members, key=lambda m: (m.queue, -m.score(now)))
        if not rows:
            return "+OK\n"
        lines = ["|".join(MEMBER_COLUMNS)] + ["|".join(m.row(now)) for m in rows]
        return "\n".join(lines) + "\n+OK\n"

    def _any_epoch(self) -> int:
        for ch in self.channels.values():
            return ch.epoch()
        return 0
