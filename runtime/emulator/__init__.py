"""An emulator of FreeSWITCH's side of the outbound event socket, for tests and load tests.

FreeSWITCH's ``socket`` dialplan application connects to the runtime and
speaks ESL; this package plays that role without FreeSWITCH, byte-compatible
with the sessions recorded from FreeSWITCH 1.10.12 in
``tests/fixtures/freeswitch/`` (``tests/emulator/test_fidelity.py`` replays
every outbound recording against the model).

``channel.Channel``  (sans-IO)
    One channel + its outbound session: bytes from the application and
    virtual time in, FreeSWITCH's messages out.  ``CallerScript`` scripts the
    caller (digits, silence, speech, hang-ups) and the world (queue, bridge,
    transfer outcomes); ``ChannelConfig`` the switch (identity, ``socket``
    action data, recorded races); ``CallSpec`` one call.
``aio.dial`` / ``aio.run_load``
    The asyncio driver: connect to the runtime like FreeSWITCH does, run the
    model, record every message (fixture JSONL shape), bounded by a timeout;
    many calls with bounded concurrency.  Loopback targets only by default.
``metrics``
    Event-to-command latency bookkeeping and percentiles, shared with the
    runtime benchmarks.
``cli``
    ``flowc emulate`` (imported by ``flowc.cli.main``; not imported here).
"""

from __future__ import annotations

from .aio import CallRecord, LoadResult, dial, is_loopback, run_load
from .channel import (
    BridgeOutcome,
    CallerScript,
    CallSpec,
    Channel,
    ChannelConfig,
    DialplanApp,
    Outgoing,
    QueueOutcome,
    speech,
)
from .metrics import LatencyRecorder, Summary, percentile, rss_bytes, summarize

__all__ = [
    "BridgeOutcome",
    "CallRecord",
    "CallSpec",
    "CallerScript",
    "Channel",
    "ChannelConfig",
    "DialplanApp",
    "LatencyRecorder",
    "LoadResult",
    "Outgoing",
    "QueueOutcome",
    "Summary",
    "dial",
    "is_loopback",
    "percentile",
    "rss_bytes",
    "run_load",
    "speech",
    "summarize",
]
