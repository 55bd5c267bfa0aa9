"""Queue announcements: the caller's position and estimated wait, played while `callcenter` waits.

A queue node with `announce: position | wait_time | both` gets a `QueueAnnouncer` for as long
as its `callcenter` application runs (the driver's `_op_enqueue` starts and stops it). Every
`announce_every` - the first time one interval after the caller joined, like mod_callcenter's
own `announce-frequency` - it asks FreeSWITCH, on the call's own socket (`async full`, so
`api` works while the application runs), for the queue's members and tells the caller where
they are:

1. `api callcenter_config queue list members <queue>`: mod_callcenter's members table, a
   header line of column names, one `|`-separated line per member, then `+OK`
   (`parse_members`). The caller's position is their rank among the members still waiting
   (state `Waiting` or `Trying`) in mod_callcenter's dispatch order: score descending, where
   score = seconds since joining + base score + skill score (`queue_position`).
2. `api uuid_setvar <uuid> flowc_announce_text <text>`: the sentence, in the call's locale
   (`announcement_text`: zh-CN, en-US; any other `zh*` locale speaks Chinese, the rest
   English). `uuid_setvar` keeps the blanks of its last argument.
3. `api uuid_broadcast <uuid> speak::<engine>|<voice>|${flowc_announce_text} aleg`: the
   caller hears it over the hold music (mod_commands splits the broadcast's arguments at
   blanks, so the text goes through the variable; `${...}` is expanded when the `speak`
   application runs, not by the `api` command). The TTS engine and voice are the ones the
   driver uses for `speak`.

The estimated wait is position x seconds per position: the median of what this runtime
observed on the same queue (for calls answered after an announcement: the time from the
first announcement to the answer, divided by the position announced then), else
`DEFAULT_SECONDS_PER_POSITION`; it is spoken in whole minutes, at least one.

The announcer stops when the application completes (an agent answered, the caller left the
queue), when the caller hangs up (the operation is cancelled) and when the max wait breaks
the queue. An announcement that cannot be made (the member is not in the list yet or any
more, a command refused, a slow answer) is skipped; a closed socket ends the announcer.

When an agent answers, FreeSWITCH 1.10.12 has not set `cc_agent` on the member yet (it does
at the end of the conversation); `agent_name` reads the agent from the member's
`serving_agent` column instead (mod_callcenter's `agents_callback` maps the agent to the
member before offering the call, and the row lives until the conversation ends), and from
`uuid_getvar <uuid> cc_agent` when the row is already gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import statistics
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from runtime.esl.errors import ESLError
from runtime.logs import get_logger

__all__ = [
    "DEFAULT_SECONDS_PER_POSITION",
    "MEMBER_COLUMNS",
    "TEXT_VAR",
    "Member",
    "QueueAnnouncer",
    "WaitObservations",
    "agent_name",
    "announcement_text",
    "broadcast_command",
    "estimate_wait",
    "observations",
    "parse_members",
    "queue_position",
]

log = get_logger()

Api = Callable[[str, float], Awaitable[str]]
"""`AsyncESL.api`: the command, a timeout; the response body."""

TEXT_VAR: Final = "flowc_announce_text"
DEFAULT_SECONDS_PER_POSITION: Final = 60.0
WAITING_STATES: Final = ("Waiting", "Trying")
_NOT_AGENTS: Final = ("", "ring-all", "ring-progressively")  # serving_agent before an agent
_MAX_SAMPLES: Final = 50
_SAMPLE_TTL: Final = 3600.0
_API_TIMEOUT: Final = 5.0
# mod_callcenter's members table (`members_sql`) and the listing's computed score: the columns
# of `callcenter_config queue list members`, in order.
MEMBER_COLUMNS: Final = (
    "queue",
    "instance_id",
    "uuid",
    "session_uuid",
    "cid_number",
    "cid_name",
    "system_epoch",
    "joined_epoch",
    "rejoined_epoch",
    "bridge_epoch",
    "abandoned_epoch",
    "base_score",
    "skill_score",
    "serving_agent",
    "serving_system",
    "state",
    "score",
)


# ------------------------------------------------------------------ the members list


@dataclass(frozen=True, slots=True)
class Member:
    """One line of `callcenter_config queue list members`."""

    uuid: str
    session_uuid: str
    state: str
    score: int
    joined_epoch: int
    serving_agent: str
    fields: dict[str, str] = field(default_factory=dict)


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def parse_members(body: str) -> list[Member]:
    """The members in the listing's order. Raises ValueError when the answer is not a
    listing (`-ERR ...`, no `+OK`)."""
    lines = [line.rstrip("\r") for line in body.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    if not lines or lines[-1] != "+OK":
        raise ValueError(f"not a member list: {body[:120]!r}")
    lines = lines[:-1]
    if not lines:
        return []
    header = lines[0].split("|")
    out: list[Member] = []
    for line in lines[1:]:
        values = line.split("|")
        if len(values) > len(header) and tuple(header) == MEMBER_COLUMNS:
            # a caller name holding "|": the columns around it are fixed
            right = len(header) - 6
            values = [*values[:5], "|".join(values[5:-right]), *values[-right:]]
        row = dict(zip(header, values, strict=False))
        out.append(
            Member(
                uuid=row.get("uuid", ""),
                session_uuid=row.get("session_uuid", ""),
                state=row.get("state", ""),
                score=_int(row.get("score")),
                joined_epoch=_int(row.get("joined_epoch")),
                serving_agent=row.get("serving_agent", ""),
                fields=row,
            )
        )
    return out


def queue_position(members: Sequence[Member], session_uuid: str) -> int | None:
    """1-based rank of the call among the waiting members, in mod_callcenter's dispatch order
    (score descending; equal scores in the listing's order); None when it is not waiting."""
    waiting = [m for m in members if m.state in WAITING_STATES]
    ranked = sorted(waiting, key=lambda m: -m.score)  # stable: ties keep the listing's order
    for i, m in enumerate(ranked, 1):
        if m.session_uuid == session_uuid:
            return i
    return None


# ------------------------------------------------------------------ the wait


class WaitObservations:
    """Seconds per queue position, observed on answered calls, by queue (bounded, recent)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._samples: dict[str, deque[tuple[float, float]]] = {}

    def record(self, queue: str, seconds_per_position: float) -> None:
        if seconds_per_position < 0 or not math.isfinite(seconds_per_position):
            return
        samples = self._samples.setdefault(queue, deque(maxlen=_MAX_SAMPLES))
        samples.append((self._clock(), seconds_per_position))

    def per_position(self, queue: str) -> float | None:
        samples = self._samples.get(queue)
        if not samples:
            return None
        horizon = self._clock() - _SAMPLE_TTL
        while samples and samples[0][0] < horizon:
            samples.popleft()
        if not samples:
            return None
        return statistics.median(s for _, s in samples)

    def clear(self) -> None:
        self._samples.clear()


observations = WaitObservations()
"""What this runtime process observed (shared by its calls)."""


def estimate_wait(
    position: int,
    per_position: float | None,
    default_per_position: float = DEFAULT_SECONDS_PER_POSITION,
) -> float:
    """Estimated seconds until an agent answers the caller at `position`."""
    rate = per_position if per_position is not None else default_per_position
    return max(0, position) * max(0.0, rate)


# ------------------------------------------------------------------ what is said


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def announcement_text(kind: str, locale: str | None, position: int, wait_s: float) -> str:
    """The sentence for `kind` (`position`, `wait_time`, `both`) in the call's language.

    Plain text for `speak`: no quotes or backslashes (FreeSWITCH's argument splitter would
    eat them), no `${`."""
    chinese = (locale or "").lower().startswith("zh")
    minutes = _minutes(wait_s)
    parts: list[str] = []
    if kind in ("position", "both"):
        if chinese:
            parts.append("您是下一位，请稍候。" if position <= 1 else f"您当前排在第{position}位。")
        else:
            parts.append(
                "You are next in line." if position <= 1 else f"You are number {position} in line."
            )
    if kind in ("wait_time", "both"):
        if chinese:
            parts.append(f"预计等待时间约{minutes}分钟。")
        else:
            unit = "minute" if minutes == 1 else "minutes"
            parts.append(f"The estimated wait is about {minutes} {unit}.")
    if chinese:
        return "".join(parts) + "请不要挂机。"
    return " ".join([*parts, "Please stay on the line."])


def broadcast_command(call_id: str, engine: str, voice: str) -> str:
    """`uuid_broadcast` of the announcement variable to the caller (A-leg)."""
    path = f"speak::{engine}|{voice}|${{{TEXT_VAR}}}"
    if " " in path:
        path = f"'{path}'"  # one argument for mod_commands' blank splitter
    return f"uuid_broadcast {call_id} {path} aleg"


# ------------------------------------------------------------------ the announcer


class QueueAnnouncer:
    """Announces position / wait to one caller while its `callcenter` runs (see the module
    docs). `start()` it when the application is sent, `stop()` it when it is over."""

    def __init__(
        self,
        api: Api,
        call_id: str,
        queue: str,
        kind: str,
        every_ms: int,
        locale: str | None,
        engine: str,
        voice: str,
        *,
        seen: WaitObservations | None = None,
        default_per_position: float = DEFAULT_SECONDS_PER_POSITION,
        api_timeout: float = _API_TIMEOUT,
    ) -> None:
        self.api = api
        self.call_id = call_id
        self.queue = queue
        self.kind = kind
        self.every = max(every_ms, 1) / 1000
        self.locale = locale
        self.engine = engine
        self.voice = voice
        self.seen = seen if seen is not None else observations
        self.default_per_position = default_per_position
        self.api_timeout = api_timeout
        self.started = time.monotonic()
        self.first: tuple[int, float] | None = None  # (position, seconds since joining)
        self.said: list[tuple[int, str]] = []  # (position, text) of each announcement made
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def for_queue(
        cls,
        api: Api,
        call_id: str,
        queue: str,
        kind: str,
        every_ms: int,
        locale: str | None,
        engine: str,
        voice: str,
    ) -> QueueAnnouncer | None:
        """An announcer for a queue node's `announce` setting, started; None for `none`."""
        if kind not in ("position", "wait_time", "both"):
            return None
        announcer = cls(api, call_id, queue, kind, every_ms, locale, engine, voice)
        announcer.start()
        return announcer

    def start(self) -> None:
        self.started = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="call-announce")

    def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        try:
            while True:
                await asyncio.sleep(self.every)
                with contextlib.suppress(TimeoutError):
                    await self.announce_once()
        except ESLError as exc:  # the socket closed, or `api` refused (no `full` control)
            log.info("announce_stopped", call_id=self.call_id, queue=self.queue, error=str(exc))

    async def announce_once(self) -> str | None:
        """One announcement (the text said), or None when there was nothing to say."""
        body = await self.api(
            f"callcenter_config queue list members {self.queue}", self.api_timeout
        )
        try:
            members = parse_members(body)
        except ValueError:
            log.info("announce_no_list", call_id=self.call_id, queue=self.queue, reply=body[:80])
            return None
        position = queue_position(members, self.call_id)
        if position is None:
            return None
        if self.first is None:
            self.first = (position, time.monotonic() - self.started)
        wait = estimate_wait(
            position, self.seen.per_position(self.queue), self.default_per_position
        )
        text = announcement_text(self.kind, self.locale, position, wait)
        reply = await self.api(f"uuid_setvar {self.call_id} {TEXT_VAR} {text}", self.api_timeout)
        if not reply.startswith("+OK"):
            return None
        command = broadcast_command(self.call_id, self.engine, self.voice)
        reply = await self.api(command, self.api_timeout)
        if not reply.startswith("+OK"):
            return None
        self.said.append((position, text))
        return text

    def answered(self) -> None:
        """An agent answered: what the wait since the first announcement teaches."""
        if self.first is None:
            return
        position, at = self.first
        waited = time.monotonic() - self.started - at
        self.seen.record(self.queue, waited / max(position, 1))


async def agent_name(
    api: Api, queue: str, call_id: str, timeout: float = _API_TIMEOUT
) -> str | None:
    """The agent mod_callcenter connected the call to, or None when FreeSWITCH does not say.

    During the conversation the member's row names it (`serving_agent`); once the
    conversation is over the row is gone and the channel variable `cc_agent` is set."""
    try:
        members = parse_members(await api(f"callcenter_config queue list members {queue}", timeout))
        for m in members:
            if m.session_uuid == call_id and m.serving_agent not in _NOT_AGENTS:
                return m.serving_agent
        value = (await api(f"uuid_getvar {call_id} cc_agent", timeout)).strip()
    except (ValueError, ESLError, TimeoutError):
        return None
    if not value or value == "_undef_" or value.startswith("-"):
        return None
    return value
