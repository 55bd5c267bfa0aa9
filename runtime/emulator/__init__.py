"""An emulator of FreeSWITCH's side of the outbound event socket, for tests and load tests.

FreeSWITCH's ``socket`` dialplan application connects to the runtime and
speaks ESL; this package plays that role without FreeSWITCH, byte-compatible
with the sessions recorded from FreeSWITCH 1.10.12 in
``tests/fixtures/freeswitch/`` (``tests/emulator/test_fidelity.py`` replays
every outbound recording against the model).

``channel.Channel``  (sans-IO)
    One channel + its outbound sessions: bytes from the application and
    virtual time in, FreeSWITCH's messages out.  ``CallerScript`` scripts the
    caller (digits, silence, speech, hang-ups) and the world (queue, bridge,
    transfer outcomes, the dialplan after the socket action, where a further
    ``socket`` action opens a new connection); ``ChannelConfig`` the switch
    (identity, ``socket`` action data, recorded races); ``CallSpec`` one call.
``switch.Switch``  (sans-IO)
    What the channels of one emulated FreeSWITCH share: the ``api`` command
    table (``uuid_break``, ``uuid_setvar``, ``uuid_getvar``,
    ``uuid_broadcast``, ``callcenter_config queue list members``) and
    mod_callcenter's members table.
``profile.SwitchProfile`` / ``profile.Unrecorded``
    What the emulated switch has installed (``stock_1_10_12()``: the live captures' switch,
    the default) and the error raised into the test for anything no recording shows.
``dialplan.Dialplan``
    An XML dialplan (the file ``flowc compile --target freeswitch`` writes)
    hunted as mod_dialplan_xml does; a ``CallerScript.dialplan`` makes a call
    start there, every transfer hunt it, and its ``socket`` actions open the
    call's connections.
``aio.dial`` / ``aio.place_call`` / ``aio.call_through_dialplan`` / ``aio.run_load``
    The asyncio driver: connect to the runtime like FreeSWITCH does (every
    socket action of the call), run the model, record every message (fixture
    JSONL shape), bounded by a timeout; one call through a dialplan file; many
    calls with bounded concurrency, on one shared switch.  Loopback targets
    only by default.
``metrics``
    Event-to-command latency bookkeeping and percentiles, shared with the
    runtime benchmarks.
``cli``
    ``flowc emulate`` (imported by ``flowc.cli.main``; not imported here).
"""

from __future__ import annotations

from .aio import (
    CallRecord,
    LoadResult,
    SocketAttempt,
    call_through_dialplan,
    dial,
    is_loopback,
    place_call,
    run_load,
)
from .channel import (
    BridgeOutcome,
    CallerScript,
    CallSpec,
    Channel,
    ChannelConfig,
    DialplanApp,
    Outgoing,
    QueueOutcome,
    SocketRequest,
    socket_target,
    socket_targets,
    speech,
)
from .dialplan import Dialplan, DialplanError
from .metrics import LatencyRecorder, Summary, percentile, rss_bytes, summarize
from .profile import SwitchProfile, Unrecorded, stock_1_10_12
from .switch import QueueMember, Switch

__all__ = [
    "BridgeOutcome",
    "CallRecord",
    "CallSpec",
    "CallerScript",
    "Channel",
    "ChannelConfig",
    "Dialplan",
    "DialplanApp",
    "DialplanError",
    "LatencyRecorder",
    "LoadResult",
    "Outgoing",
    "QueueMember",
    "QueueOutcome",
    "SocketAttempt",
    "SocketRequest",
    "Summary",
    "Switch",
    "SwitchProfile",
    "Unrecorded",
    "call_through_dialplan",
    "dial",
    "is_loopback",
    "percentile",
    "place_call",
    "rss_bytes",
    "run_load",
    "socket_target",
    "socket_targets",
    "speech",
    "stock_1_10_12",
    "summarize",
]
