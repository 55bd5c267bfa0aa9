"""What every call of a runtime instance shares (`CallHost`), and its time limits."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Final, Protocol

from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from runtime import translate as tr
from runtime.esl.message import Event
from runtime.resume_state import ResumeKeys

if TYPE_CHECKING:
    from runtime.bundle_store import LoadedBundle
    from runtime.esl.aio import AsyncESL
    from runtime.journal import Journal
    from runtime.lookup import LookupClient
    from runtime.metrics import RuntimeMetrics

SOCKET_CLOSED: Final = "SOCKET_CLOSED"
SHUTDOWN_CAUSE: Final = "SYSTEM_SHUTDOWN"
FAULT_CAUSE: Final = "NORMAL_TEMPORARY_FAILURE"


class AgentCall(Protocol):
    """A call that is with an agent, waiting for the queue's `after` socket (a `CallDriver`)."""

    flow: str

    async def adopt(self, esl: AsyncESL) -> bool: ...


@dataclass(frozen=True)
class Timeouts:
    """Upper bounds (seconds) of every wait. Generous by default; tests make them short."""

    setup: float = 5.0  # myevents / linger replies
    answer: float = 15.0
    app: float = 600.0  # one playback / speak / say
    collect_margin: float = 120.0  # added to the digits' own timeouts
    queue: float = 4 * 3600.0  # callcenter without a max wait
    queue_margin: float = 60.0  # added to a max wait
    bridge: float = 4 * 3600.0
    record_margin: float = 60.0
    with_agent: float = 4 * 3600.0  # an agent conversation, waiting for the resume socket
    idle: float = 4 * 3600.0  # the inbox, when no operation bounds the wait
    speech_grace: float = 5.0  # recognition still running when the digits timed out
    resume_grace: float = 10.0  # the dialplan's second socket went elsewhere: detach after
    hangup_wait: float = 2.0  # after our hangup, before exit
    exit: float = 3.0  # exit -> the switch closes


_zones: dict[tuple[int, str], timezone] = {}


def system_clock() -> datetime:
    """Now, in the local time zone: what `datetime.now().astimezone()` gives, without building
    a new time-zone object each time (a call reads the clock at every step)."""
    now = time.time()
    local = time.localtime(now)
    key = (local.tm_gmtoff, local.tm_zone)
    zone = _zones.get(key)
    if zone is None:
        zone = _zones[key] = timezone(timedelta(seconds=local.tm_gmtoff), local.tm_zone)
    return datetime.fromtimestamp(now, zone)


ClockFactory = Callable[[Event], Callable[[], datetime]]


@dataclass
class CallHost:
    """What every call of a runtime instance shares."""

    metrics: RuntimeMetrics
    journal: Journal | None = None
    media: tr.MediaConfig = field(default_factory=tr.MediaConfig)
    timeouts: Timeouts = field(default_factory=Timeouts)
    instance: str = "flowc"
    linger: bool = True
    mirror_variables: bool = True
    clock_factory: ClockFactory = field(default=lambda _data: system_clock)
    lookups: Callable[[LoadedBundle], LookupClient] | None = None
    agents: dict[str, AgentCall] = field(default_factory=dict)
    # Sign the resume state (`flowc_state`) that the queue's `after` reads back.
    resume_keys: ResumeKeys = field(default_factory=ResumeKeys.random)
    # Sees every interpreter command a call executes and every event it is given (masking is
    # the observer's business: use `to_json()`); for demos and end-to-end tests.
    observer: Callable[[str, cmd.Command | ev.Event], None] | None = None
