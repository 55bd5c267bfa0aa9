"""The state of one live call that every part of the driver shares, and its inbox.

Everything asynchronous (an operation's answer, a timer, a look-up, the caller hanging up, a
fault, the server's abort or adoption) puts one item in the inbox; the driver's loop takes
them one at a time (see `runtime.driver`).
"""

from __future__ import annotations

import asyncio
import time as time_mod
import uuid as uuid_mod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flowc.interpreter import Call, CallInfo, Program
from flowc.interpreter import events as ev
from runtime import translate as tr
from runtime.call.host import FAULT_CAUSE, SHUTDOWN_CAUSE, CallHost
from runtime.call.journaling import CallJournal
from runtime.esl.message import Event
from runtime.logs import get_logger
from runtime.replay_log import observer_for

if TYPE_CHECKING:
    from runtime.bundle_store import LoadedBundle
    from runtime.esl.aio import AsyncESL

log = get_logger()


# ------------------------------------------------------------------ inbox items


@dataclass(frozen=True, slots=True)
class Fault:
    reason: str
    cause: str = FAULT_CAUSE


@dataclass(frozen=True, slots=True)
class Abort:
    reason: str
    cause: str = SHUTDOWN_CAUSE


@dataclass(frozen=True, slots=True)
class Adopt:
    esl: AsyncESL
    accepted: asyncio.Future[bool]


Item = ev.Event | Fault | Abort | Adopt


class CallState:
    """The call's state: what it was given, where the socket and the operation are."""

    def __init__(
        self,
        host: CallHost,
        esl: AsyncESL,
        bundle: LoadedBundle,
        flow: str,
        channel_data: Event,
    ) -> None:
        self.host = host
        self.esl = esl
        self.bundle = bundle
        self.flow = flow
        self.program: Program = bundle.programs[flow]
        self.data = channel_data
        self.call_id = channel_data.uuid or str(uuid_mod.uuid4())
        self.now = host.clock_factory(channel_data)
        self.metrics = host.metrics
        self.media = host.media
        self.t = host.timeouts
        caller = channel_data.get("Caller-Caller-ID-Number", "")
        did = channel_data.variable("flowc_did") or channel_data.get(
            "Caller-Destination-Number", ""
        )
        self.info = CallInfo(
            caller_number=caller,
            caller_name=channel_data.get("Caller-Caller-ID-Name", ""),
            did=did,
            locale=channel_data.variable("flowc_locale") or None,
            call_id=self.call_id,
        )
        self.call = Call(self.program, self.info, flags=bundle.flags.get(flow, {}))
        self.finished = asyncio.Event()
        self.outcome_kind: str | None = None
        self._inbox: asyncio.Queue[Item] = asyncio.Queue()
        self._op: asyncio.Task[None] | None = None
        self._op_name = ""
        self._fetches: set[asyncio.Task[None]] = set()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._gen = 0
        self._listener: Callable[[Event], None] | None = None
        self._keys: list[str] = []
        self._hangup_queued = False
        self._hung_up = asyncio.Event()
        self._hangup_sent = False
        self._hangup_by: str | None = None  # who ended the channel, when the events say
        self._socket_lost = False
        # Sockets of this call that no longer drive it (the first one after a queue's
        # `after` resume): kept open until the call ends, see `_adopt`.
        self._held: list[AsyncESL] = []
        self._dialled: str | None = None  # the dial string of the last transfer
        self._lingering = False
        self._answered = tr.is_answered(channel_data)
        self._terminators: str | None = None
        self._tts_sets: tuple[str, ...] = ()
        self._refused_says: list[dict[str, Any]] = []  # journaled with the call's end
        self._asr_events = False
        self._t_event = 0.0
        self._trace_pos = 0
        self.steps = CallJournal(
            host.journal, host.metrics, self.call_id, flow, self.program.name, self.now
        )
        self._secret_collect = False  # the running Collect is sensitive
        self._runtime_reason: str | None = None
        self._detached = False
        self._resume_pending = False
        self._agent_answered = False
        self._bridging: asyncio.Task[None] | None = None
        self._records = 0
        self._started_mono = time_mod.perf_counter()
        self._op_app_uuid: str | None = None
        self._op_completed = False
        self._deferred: ev.Hangup | None = None
        self._expect_resume = False
        self._resume_timer: asyncio.TimerHandle | None = None
        # Sees every command and event; journals what `flowc replay` needs (runtime.replay_log).
        self._observer = observer_for(self, host.observer)
        self.apps_sent = 0  # executes written (the emulator's caller counts apps too)
        self.sets_pending: list[str] = []  # variable sets not yet written (see _execute)

    @property
    def with_agent(self) -> bool:
        return self.call.state == "with_agent"

    def _mark(self) -> None:
        """An answer from the switch arrived: start the event-to-command clock."""
        self._t_event = time_mod.perf_counter()

    def _answer(self, event: ev.Event) -> None:
        self._mark()
        self._listener = None
        self._inbox.put_nowait(event)
        self._release_deferred()

    def _release_deferred(self) -> None:
        deferred = self._deferred
        if deferred is not None:
            self._deferred = None
            self._inbox.put_nowait(deferred)


def consume(fut: asyncio.Future[Any]) -> None:
    """Retrieve a finished future's exception (a reply nobody waits for)."""
    if not fut.cancelled():
        fut.exception()


def discard(_e: Event | None) -> None:
    """The listener of a socket whose events nobody needs (bounded: nothing is queued)."""
