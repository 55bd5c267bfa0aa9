"""mod_callcenter's ``callcenter`` application for one channel: the member joins the queue's
members table, waits in the hold music (broadcasts nested in it, keys, breaks), then leaves
cancelled or is uuid_bridge'd to an agent; after the agent conversation the dialplan goes on.

Each behaviour cites the capture that shows it (``tests/fixtures/freeswitch/live``)."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ..fsutil import atoi
from ..profile import Unrecorded
from ..switch import QueueMember
from ..wire import Headers
from .base import AppGen, Wait
from .script import DialplanApp, QueueOutcome

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["AgentLeg", "Callcenter"]

FOREVER: Final = 86_400.0
"""A queue wait nothing ends (T08: no agent, no limit): a day of virtual time."""

_CANCEL_REASONS: Final = {
    "timeout": "TIMEOUT",
    "no_agent": "NO_AGENT_TIMEOUT",
    "exit_key": "EXIT_WITH_KEY",
}


@dataclass(frozen=True, slots=True)
class AgentLeg:
    """An agent that answered: what the uuid_bridge after the app needs."""

    outcome: QueueOutcome
    queue: str
    member: Headers
    joined: int
    agent_uuid: str
    called_us: int


@dataclass(slots=True)
class _Join:
    """One member's stay in a queue."""

    queue: str
    outcome: QueueOutcome
    member: Headers
    joined: int
    moh_start: float


@dataclass(slots=True)
class _Wait:
    """How the wait in the hold music ended."""

    result: str  # the outcome's result, or exit_key / wait as the wait turned out
    r: str  # the last wake-up reason: ok / hangup / break / dtmf:<k> / cdtmf:<k>
    key: str | None
    broke: bool


@dataclass
class QueueState:
    """The channel's queues: outcomes used per queue, its row in the members table."""

    uses: dict[str, int] = field(default_factory=dict)
    member: QueueMember | None = None


class Callcenter:
    """The ``callcenter`` app and the agent bridge after it, on channel ``ch``."""

    def __init__(self, ch: Channel) -> None:
        self.ch = ch
        self.state = QueueState()

    @property
    def member(self) -> QueueMember | None:
        return self.state.member

    def outcome(self, queue: str) -> QueueOutcome:
        """The script's outcome for this use of ``queue`` (``CallerScript.queues``)."""
        q = self.ch.script.queues
        key = queue if queue in q else queue.split("@")[0]
        found = q.get(key)
        if found is None:
            return self.ch.script.default_queue
        if isinstance(found, QueueOutcome):
            return found
        used = self.state.uses.get(key, 0)
        self.state.uses[key] = used + 1
        return found[used] if used < len(found) else self.ch.script.default_queue

    def app(self, arg: str) -> AppGen:
        """``callcenter <queue>``."""
        ch = self.ch
        queue = arg.split(" ")[0] if arg else ""
        outcome = self.outcome(queue)
        if not ch.answered:
            yield from ch.life.answer()
        if ch.hung_up:
            return
        join = self._join(queue, outcome)
        wait = yield from self._wait(join)
        if wait.result == "wait" and wait.r == "ok":
            raise Unrecorded("a queue wait of a whole day")
        self.moh_vars(join.moh_start)
        cancelled = wait.result in ("hangup", "timeout", "no_agent", "exit_key", "wait")
        if wait.r == "hangup" or wait.broke or cancelled:
            self._cancel(join, wait)
            return
        self._agent_answered(join)

    def _join(self, queue: str, outcome: QueueOutcome) -> _Join:
        """The member's variables, its members-table row, ``member-queue-start``."""
        ch = self.ch
        member_uuid = ch._new_uuid()
        joined = ch._epoch()
        for name, value in (
            ("cc_side", "member"),
            ("cc_member_uuid", member_uuid),
            ("cc_queue_joined_epoch", str(joined)),
            ("cc_queue", queue),
        ):
            ch.vars.set(name, value)
        self._join_members_table(queue, member_uuid, joined)
        member: Headers = [
            ("CC-Member-UUID", member_uuid),
            ("CC-Member-Session-UUID", ch.uuid),
            ("CC-Member-CID-Name", ch.profile.caller_id_name),
            ("CC-Member-CID-Number", ch.profile.caller_id_number),
        ]
        start_post: Headers = [("CC-Queue", queue), ("CC-Action", "member-queue-start"), *member]
        self._info("CC_START", start_post)
        return _Join(queue, outcome, member, joined, ch.now)

    def _info(self, calling: str, post: Headers) -> None:
        """A ``callcenter::info`` CUSTOM event."""
        ch = self.ch
        sub = "callcenter::info"
        ch.events.fire(
            "CUSTOM",
            ch.events.event("CUSTOM", calling=calling, subclass=sub, post=post),
            subclass=sub,
        )

    def _wait(self, join: _Join) -> Generator[Wait, str, _Wait]:
        """The hold music until the outcome's time; a broadcast runs nested inside it, a
        break (uuid_break) ends the wait or restarts the music (ChannelConfig)."""
        ch = self.ch
        outcome = join.outcome
        # T06a / X3: with ``moh-sound`` unplayable (``local_stream://moh`` and no
        # mod_local_stream) every pass of callcenter_function's loop fails at once
        # (``Invalid file format [local_stream] for [moh]!`` x 376,391) and flushes the
        # private events and the caller's keys: the exit key and the broadcasts are lost
        # (``+OK Message sent`` and nothing runs); only an agent or a hang-up ends the wait.
        spinning = not ch.config.profile.hold_music_playable()
        result = outcome.result
        if spinning and result == "exit_key":
            result = "wait"
        deadline = ch.now + (FOREVER if result == "wait" else outcome.wait)
        if result == "hangup":
            ch.life.caller_hangup_at(deadline)
        key: str | None = outcome.exit_key if result == "exit_key" else None
        flush = True
        while True:
            if flush or spinning:
                # callcenter_function flushes the private events before each play of the
                # hold music; what arrives while it plays runs (switch_ivr_play_file).
                ch.private.flush()
                flush = False
            if ch.private.cf_break:
                ch.private.cf_break = False
                r = "break"
            else:
                r = yield from ch.engine.sleep(max(0.0, deadline - ch.now), kind="moh")
            if r == "broadcast":
                if not spinning:
                    yield from self.nested_broadcasts(deadline)
                continue
            if r.startswith(("dtmf:", "cdtmf:")):
                digit = r.partition(":")[2]
                if spinning:
                    continue  # flushed with the private events (T06a)
                if digit not in (ch.vars.get("cc_exit_keys") or ""):
                    # T12 conn 23 (DTMF at 3.053 and 5.060 s): the key's event, the wait goes on
                    ch.digits.dtmf(digit, duration=2000 if r.startswith("dtmf:") else None)
                    continue
                # E1 lines 300-305: RECV DTMF *:2000, the member exits at once (T06 line 272:
                # the caller's own key the same way)
                return _Wait("exit_key", r, digit, False)
            if r == "break" and ch.config.callcenter_break == "ignore":
                # T08 lines 28-30 / T09 line 63: the member stays Waiting
                flush = True
                continue
            return _Wait(result, r, key, r == "break")

    def _cancel(self, join: _Join, wait: _Wait) -> None:
        """The member leaves without an agent: ``member-queue-end`` with ``Cancel``."""
        ch = self.ch
        r = wait.r
        if wait.result == "exit_key" and wait.key is not None and r != "hangup" and not wait.broke:
            duration = 2000 if r.startswith("dtmf:") else None
            ch.digits.dtmf(wait.key, duration=duration)
            ch.vars.set("cc_exit_key", wait.key)
        reason = _CANCEL_REASONS.get(wait.result, "BREAK_OUT")
        if r == "hangup" or wait.broke:
            reason = "BREAK_OUT"
        left = ch._epoch()
        member = self.state.member
        if member is not None:
            member.state = "Abandoned"
            member.session_uuid = ""
            member.abandoned_epoch = left
        end_post: Headers = [
            ("CC-Queue", join.queue),
            ("CC-Action", "member-queue-end"),
            ("CC-Member-Leaving-Time", str(left)),
            ("CC-Member-Joined-Time", str(join.joined)),
            ("CC-Cause", "Cancel"),
            ("CC-Cancel-Reason", reason),
            *join.member,
        ]
        self._info("CC_CANCEL", end_post)
        ch.vars.set("cc_queue_canceled_epoch", str(left))
        ch.vars.set("cc_cause", "cancel")
        ch.vars.set("cc_cancel_reason", reason)

    def _agent_answered(self, join: _Join) -> None:
        """An agent answered: mod_callcenter uuid_bridges the member to it."""
        ch = self.ch
        outcome = join.outcome
        leg = ch.xfer.other_leg(outcome.agent_contact, outcome.agent_number, originate=True)
        leg.answered = leg.created
        agent_uuid = leg.uuid
        member = self.state.member
        if member is not None:
            # agents_callback mapped the agent to the member (serving_agent) before offering
            # the call; the member thread marks it Answered when the wait ends.
            member.serving_agent = outcome.agent
            member.serving_system = "single_box"
            member.state = "Answered"
            member.bridge_epoch = ch._epoch()
        history = f"{ch._epoch()}:{ch._new_uuid()}:uuid_br:{agent_uuid}"
        for name, value in (
            ("cc_agent_uuid", agent_uuid),
            ("uuid_bridge", agent_uuid),
            ("bridge_channel", outcome.agent_contact),
            ("bridge_uuid", agent_uuid),
            ("signal_bond", agent_uuid),
            ("original_destination_number", ch.profile.destination_number),
            ("original_caller_id_name", ch.profile.caller_id_name),
            ("original_caller_id_number", ch.profile.caller_id_number),
            ("transfer_history", history),
            ("transfer_source", history),
        ):
            ch.vars.set(name, value)
        p = ch.profile
        p.callee_id_name = "Outbound Call"
        p.callee_id_number = outcome.agent_number
        p.transfer_source = history
        p.profile_index = str(int(p.profile_index or "1") + 1)
        p.profile_created = leg.profile_created
        p.touch()
        ch.other = leg
        self.moh_vars(join.moh_start)
        ch.vars.set("cc_cause", "answered")
        ch.state_num = 8
        ch._redirect = (
            "uuid_bridge",
            AgentLeg(outcome, join.queue, join.member, join.joined, agent_uuid, leg.created),
        )

    def _join_members_table(self, queue: str, member_uuid: str, joined: int) -> None:
        """The ``INSERT INTO members`` of ``callcenter_function`` (state Waiting)."""
        ch = self.ch
        answered = (ch.profile.answered or ch._us()) // 1_000_000
        base = atoi(ch.vars.get("cc_base_score"))
        if ch.config.cc_time_base_score == "system":
            base += joined - answered
        member = QueueMember(
            queue=queue,
            uuid=member_uuid,
            session_uuid=ch.uuid,
            cid_number=ch.profile.caller_id_number,
            cid_name=ch.profile.caller_id_name,
            system_epoch=answered,
            joined_epoch=joined,
            base_score=base,
        )
        self.state.member = member
        ch.switch.members.append(member)

    def nested_broadcasts(self, deadline: float) -> AppGen:
        """The broadcasts queued to the channel run inside the hold music (switch_ivr_play_file
        parses the private events); the wait's end cuts them."""
        ch = self.ch
        saved, ch.private.media_deadline = ch.private.media_deadline, deadline
        try:
            while not ch.hung_up and ch.now < deadline:
                item = next(((s, c) for s, c in ch.private.msgs if s is None), None)
                if item is None:
                    break
                ch.private.msgs.remove(item)
                yield from ch.runner.private_event(item[1], broadcast=True)
                if ch.private.stop_broadcast:
                    # uuid_break during a broadcast: it stops, and CF_BREAK is set again
                    ch.private.stop_broadcast = False
                    ch.private.cf_break = True
                    break
        finally:
            ch.private.media_deadline = saved

    def moh_vars(self, start: float) -> None:
        played = round((self.ch.now - start) * 1000)
        for name, value in (
            ("playback_last_offset_pos", str(played * 8)),
            ("playback_seconds", str(played // 1000)),
            ("playback_ms", str(played)),
            ("playback_samples", str(played * 8)),
        ):
            self.ch.vars.set(name, value)

    def bridge(self, leg: AgentLeg, rest: Sequence[DialplanApp]) -> AppGen:
        """After the callcenter app: the member is uuid_bridge'd to the agent, off the socket;
        after the conversation the dialplan goes on with ``rest`` (the actions after the
        socket action)."""
        ch = self.ch
        outcome = leg.outcome
        ch.life.set_state("CS_HIBERNATE")
        ch.life.set_state("CS_RESET")
        ch.life.set_state("CS_SOFT_EXECUTE")
        ch.vars.delete("uuid_bridge")
        post: Headers = [("Application", "uuid_bridge"), ("Application-Data", leg.agent_uuid)]
        ch.events.fire(
            "CHANNEL_EXECUTE",
            ch.events.event("CHANNEL_EXECUTE", calling="UUID_BRIDGE_EXECUTE", post=post),
        )
        ch.profile.bridged = ch._us()
        ch.profile.touch()
        ab: Headers = [("Bridge-A-Unique-ID", ch.uuid), ("Bridge-B-Unique-ID", leg.agent_uuid)]
        ch.events.fire("CHANNEL_BRIDGE", ch.events.event("CHANNEL_BRIDGE", pre=ab))
        answered_at = ch._epoch()
        ch._bridged = True
        try:
            yield from ch.engine.sleep(outcome.talk_time)
        finally:
            ch._bridged = False
        self._unbridged_vars(leg, answered_at)
        ch.events.fire("CHANNEL_UNBRIDGE", ch.events.event("CHANNEL_UNBRIDGE", pre=ab))
        ch.engine.schedule(
            ch.now + ch.config.cc_end_delay, lambda: self._terminated(leg, answered_at)
        )
        if ch.hung_up:
            yield from ch.life.hangup_tail()
            return
        ch.life.set_state("CS_EXECUTE")
        ch.vars.set("call_uuid", ch.uuid)
        yield from ch._run_dialplan(rest)

    def _unbridged_vars(self, leg: AgentLeg, answered_at: int) -> None:
        ch = self.ch
        outcome = leg.outcome
        cause = outcome.agent_hangup_cause
        base = [
            ("last_bridge_to", leg.agent_uuid),
            ("bridge_channel", outcome.agent_contact),
            ("bridge_uuid", leg.agent_uuid),
            ("signal_bond", leg.agent_uuid),
            ("cc_agent_bridged", "true"),
        ]
        callee = [
            ("last_sent_callee_id_name", "Outbound Call"),
            ("last_sent_callee_id_number", outcome.agent_number),
        ]
        agent = [("cc_agent", outcome.agent), ("cc_queue_answered_epoch", str(answered_at))]
        ordered = base + (agent + callee if outcome.agent_vars_first else callee + agent)
        for name, value in ordered:
            ch.vars.set(name, value)
        if cause == "NORMAL_CLEARING":
            ch.vars.set("sip_hangup_phrase", "OK")
            ch.vars.set("last_bridge_hangup_cause", cause)
            ch.vars.set("last_bridge_proto_specific_hangup_cause", "sip:200")
        else:
            ch.vars.set("last_bridge_hangup_cause", cause)
        ch.vars.set("bridge_hangup_cause", cause)

    def _terminated(self, leg: AgentLeg, answered_at: int) -> None:
        ch = self.ch
        now = ch._epoch()
        member = self.state.member
        if member is not None and member in ch.switch.members:
            ch.switch.members.remove(member)
        ch.vars.set("cc_queue_terminated_epoch", str(now))
        post: Headers = [
            ("CC-Queue", leg.queue),
            ("CC-Action", "member-queue-end"),
            ("CC-Hangup-Cause", "SUCCESS"),
            ("CC-Cause", "Terminated"),
            ("CC-Agent", leg.outcome.agent),
            ("CC-Agent-System", "single_box"),
            ("CC-Agent-UUID", leg.agent_uuid),
            ("CC-Agent-Called-Time", str(leg.called_us // 1_000_000)),
            ("CC-Agent-Answered-Time", str(answered_at)),
            ("CC-Member-Leaving-Time", str(now)),
            ("CC-Member-Joined-Time", str(leg.joined)),
            *leg.member,
        ]
        self._info("CC_TERMINATED", post)
