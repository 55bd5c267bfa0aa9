"""What a test says about one call: the caller's script, the switch's configuration, the
call's identity, and the messages and socket requests the channel hands to its driver."""

from __future__ import annotations

import uuid as uuid_mod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from ..dialplan import Dialplan
from ..profile import SwitchProfile, stock_1_10_12

__all__ = [
    "DEFAULT_EXTENSION",
    "BridgeOutcome",
    "CallSpec",
    "CallerScript",
    "ChannelConfig",
    "DialplanApp",
    "Outgoing",
    "QueueOutcome",
    "QueueOutcomes",
    "SocketRequest",
    "speech",
]


def speech(text: str) -> str:
    """A ``CallerScript`` input meaning "the caller says <text>"."""
    return "speech:" + text


# -- the caller's script ----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueOutcome:
    """What happens to the caller in ``callcenter <queue>``.

    ``result``: ``answered`` (an agent answers after ``wait`` s, the member is
    uuid_bridge'd to it and control leaves the socket; the agent ends the
    conversation after ``talk_time`` s), ``timeout`` / ``no_agent``
    (``cc_cause=cancel``, ``cc_cancel_reason`` TIMEOUT / NO_AGENT_TIMEOUT
    after ``wait`` s, the caller stays), ``exit_key`` (the caller presses
    ``exit_key`` after ``wait`` s: EXIT_WITH_KEY), ``hangup`` (the caller
    hangs up while waiting: BREAK_OUT), ``wait`` (no agent is ready and the
    queue has no time limit: the member waits until something else ends the
    call - T08/T09, whose queues have ``max-wait-time`` 0).
    ``agent_hangup_cause``: NORMAL_CLEARING when the agent sends BYE,
    ALLOTTED_TIMEOUT for a switch-side timer (``sched_hangup``).
    ``agent_vars_first``: two recordings show two orders of the agent
    variables at CHANNEL_UNBRIDGE (a race between mod_callcenter's threads);
    True reproduces ``outbound_callcenter_dialplan_after_socket_json``.
    """

    result: Literal["answered", "timeout", "no_agent", "exit_key", "hangup", "wait"] = "answered"
    wait: float = 0.08
    talk_time: float = 2.0
    agent: str = "1000@default"
    agent_contact: str = "sofia/internal/agent@127.0.0.1:5080"
    agent_number: str = "agent"
    agent_hangup_cause: str = "NORMAL_CLEARING"
    exit_key: str = "*"
    agent_vars_first: bool = False


@dataclass(frozen=True)
class BridgeOutcome:
    """What the far end of a ``bridge`` does.

    ``answered``: rings ``ring_time`` s, answers, hangs up after ``talk_time``
    s (cause ``far_end_hangup_cause``); ``busy``: 486 (USER_BUSY, DIALSTATUS
    BUSY); ``fail``: nothing listens (503, NORMAL_TEMPORARY_FAILURE);
    ``no_answer``: rings until the originate timeout (NO_ANSWER); ``loopback``: the dial
    string is ``loopback/<ext>/default`` and the far end is the switch itself, as T11 shows
    (``loopback.Loopback``: a second call, a channel of its own, hunts ``<ext>``; the times
    above do not apply).
    """

    result: Literal["answered", "busy", "fail", "no_answer", "loopback"] = "answered"
    ring_time: float = 0.06
    talk_time: float = 2.0
    far_end_hangup_cause: str = "NORMAL_CLEARING"
    fail_time: float = 0.02


@dataclass(frozen=True)
class DialplanApp:
    """One ``<action application=... data=...>`` FreeSWITCH runs itself."""

    app: str
    data: str = ""


DEFAULT_EXTENSION: Final = (
    DialplanApp("answer"),
    DialplanApp("playback", "tone_stream://%(300,100,660);loops=3"),
    DialplanApp("hangup", "NORMAL_CLEARING"),
)

QueueOutcomes = QueueOutcome | Sequence[QueueOutcome]
"""One outcome for every ``callcenter`` on a queue, or one per use, in order."""


@dataclass(frozen=True)
class CallerScript:
    """The scripted caller (and the world around the call).

    ``inputs`` are consumed in order, one per input-taking step: each try of
    play_and_get_digits / read, each detect_speech.  An input is a digit
    string (``"1"``, ``"1234#"``), ``"silence"`` (nothing), ``"hangup"``
    (the caller hangs up during that step) or ``speech("text")``.  Missing
    inputs mean silence.  ``hangup_after_apps``: the caller hangs up while
    the N-th executed application runs (1-based; broadcasts are not counted,
    nor, with ``count_dialplan_apps`` False, the dialplan's own actions: only
    what the socket's application runs), ``hangup_delay`` s into it (or at its
    end if it is shorter).  Digits start ``digit_delay`` s after a collection
    starts and are ``inter_digit`` s apart; DTMF events carry ``dtmf_source`` /
    ``dtmf_duration``.

    ``queues`` / ``default_queue``: callcenter outcomes by queue name (with or
    without ``@domain``): one outcome for every use of the queue, or a
    sequence consumed by successive ``callcenter`` apps on that queue, then
    ``default_queue``.  ``bridges``: outcomes consumed by successive
    ``bridge`` apps, then ``default_bridge``.  ``extensions``: what a
    transfer finds (extension -> apps); ``None`` means every extension exists
    and runs ``default_extension``; a mapping without the extension gives
    NO_ROUTE_DESTINATION.  ``after_socket``: the dialplan actions after the
    first ``socket`` action (run when control leaves the socket, e.g. after a
    queue's agent hangs up, or when the socket cannot be opened); none -> the
    caller is hung up.  A ``socket`` action among them (or in an extension)
    opens a new connection for the channel.

    ``keys_at`` (or ``live_keys`` and ``Channel.caller_key_at`` while the call runs):
    instead of ``inputs``, the caller's keys as (virtual time, digit), the
    time each reaches the switch (a live capture's ``RECV DTMF`` lines).  A key that
    arrives while a collect listens is read by it; while the caller waits in a queue it is
    an exit key or ignored; while the socket's park loop idles it is dequeued and dropped
    (its DTMF event fires then: T07 line 101, T12 lines 3.053/5.060); during any other app
    it waits in the channel's queue for the next collect, or for the park loop after the
    app (T07: the ``#`` typed after a full 6-digit PIN is read by the next menu).

    ``dialplan``: a real XML dialplan (``dialplan.Dialplan``, e.g. the one ``flowc
    compile --target freeswitch`` writes) instead of ``after_socket`` /
    ``extensions`` / ``default_extension`` (which must then stay unset): the call
    starts in CS_ROUTING with ``CallSpec.did`` hunted in ``ChannelConfig.context``,
    every ``transfer`` hunts it again, and its ``socket`` actions are the call's
    connections (none is open at the start; ``ChannelConfig.socket_data`` is
    unused).  An application the emulator does not run is a ``DialplanError``
    when the channel is created.
    """

    inputs: Sequence[str] = ()
    hangup_after_apps: int | None = None
    hangup_delay: float = 0.5
    digit_delay: float = 0.4
    inter_digit: float = 0.32
    dtmf_source: str = "ENDPOINT"
    dtmf_duration: int = 1280
    queues: Mapping[str, QueueOutcomes] = field(default_factory=dict)
    default_queue: QueueOutcome = QueueOutcome()
    bridges: Sequence[BridgeOutcome] = ()
    default_bridge: BridgeOutcome = BridgeOutcome()
    extensions: Mapping[str, Sequence[DialplanApp]] | None = None
    default_extension: Sequence[DialplanApp] = DEFAULT_EXTENSION
    after_socket: Sequence[DialplanApp] = ()
    prompt_ms: int = 1000
    tts_ms_per_char: int = 60  # a time scale for flite's speech (60: as recorded)
    record_ms: int = 3000
    speech_delay: float = 1.0
    speech_confidence: int = 90
    missing_files: frozenset[str] = frozenset()
    answer_delay: float = 0.02
    dialplan: Dialplan | None = None
    count_dialplan_apps: bool = True
    keys_at: Sequence[tuple[float, str]] = ()
    live_keys: bool = False


@dataclass(frozen=True)
class ChannelConfig:
    """The switch: identity, the socket action, timing and recorded races.

    ``socket_data`` is the ``socket`` action's data (``async`` / ``full`` are
    read from it like ``socket_function`` does).  ``early_events``: which of
    CHANNEL_STATE / CHANNEL_EXECUTE (of the socket app) / CHANNEL_PARK, all
    fired before the application can subscribe, still reach it - FreeSWITCH's
    event dispatch thread decides that by timing; they are delivered right
    after the ``early_events_after_reply``-th reply following ``connect``
    (if subscribed then).  An application no recording shows is ``Unrecorded``
    (``apps.AppRunner.impl``).

    ``callcenter_break``: what a break of the hold music (``uuid_break``) does
    to a waiting member.  ``ignore`` (1.10.12, T08/T09: ``api uuid_break <uuid>
    all`` answers ``+OK`` and the member stays Waiting until the runtime hangs
    up 60 s later, ``mod_callcenter.c:3295 ... due to BREAK_OUT`` only then):
    the hold music restarts.  ``break_out`` is NOT 1.10.12 (other releases
    leave the loop on any SWITCH_STATUS_BREAK); kept only for explicit use.
    ``profile``: what the switch has installed (``profile.SwitchProfile``);
    the default is the live captures' stock switch.
    ``cc_time_base_score``: the queue's ``time-base-score`` (``system`` adds the
    seconds since the answer to the member's base score).
    """

    socket_data: str = "127.0.0.1:8084 async full"
    core_uuid: str = field(default_factory=lambda: str(uuid_mod.uuid4()))
    hostname: str = "fs01"
    ipv4: str = "192.0.2.2"
    ipv6: str = "fd00::2"
    context: str = "public"
    caller_host: str = "127.0.0.1"
    caller_port: int = 5070
    switch_host: str = "127.0.0.1"
    switch_sip_port: int = 5060
    sip_subject: str | None = "ESL outbound test"
    sip_to_display: str | None = None
    early_events: tuple[str, ...] = ()
    early_events_after_reply: int = 1
    start_epoch: float | None = None
    event_sequence: int = 480
    connect_timeout: float = 25.0
    cc_end_delay: float = 0.15
    callcenter_break: Literal["break_out", "ignore"] = "ignore"
    cc_time_base_score: Literal["queue", "system"] = "queue"
    seed: int | None = None
    profile: SwitchProfile = field(default_factory=stock_1_10_12)


@dataclass(frozen=True)
class CallSpec:
    """One call: who calls which number, the channel UUID and the caller's script."""

    caller: str = "+8613800000000"
    did: str = "5000"
    uuid: str = field(default_factory=lambda: str(uuid_mod.uuid4()))
    script: CallerScript = CallerScript()
    caller_name: str | None = None
    config: ChannelConfig = ChannelConfig()
    channel_name: str | None = None  # else the sofia channel's name (a loopback b-leg's own)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message FreeSWITCH writes: the bytes plus what it is (for bookkeeping)."""

    data: bytes
    kind: Literal["reply", "channel_data", "event", "notice"]
    event_name: str | None = None
    application: str | None = None
    app_uuid: str | None = None


@dataclass(frozen=True, slots=True)
class SocketRequest:
    """A connection the channel's ``socket`` app asks the driver to open (``socket``: its index)."""

    socket: int
    host: str
    port: int
    data: str
