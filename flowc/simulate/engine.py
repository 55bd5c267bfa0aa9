"""The simulator: plays the switch and the caller around one interpreter `Call`.

Theory of operation
-------------------
The simulator has no call-flow semantics of its own. It starts a `flowc.interpreter.Call`,
executes the commands the call returns the way a host must (see the host contract in
`flowc.interpreter`) and answers each one from the scenario:

* `Play` takes an estimated time (`flowc.simulate.voice`), then `PromptDone`;
* `Collect` is play_and_get_digits: each try plays the prompt and takes the caller's next input
  (`press`, `say`, `mumble`, `silence`, `hangup`), checks it against min/max/terminators/regex
  and answers `Digits` (`success`, `failure`, `timeout`), `SpeechResult` or `SpeechNoMatch`;
* `Fetch` is answered from the scenario's mocks (HTTP answer, `error`, `timeout`, or `hang`:
  no answer at all, so the interpreter's guard timer fires);
* `Enqueue` from the queue answers (`answered` after a wait, then the agent conversation and
  `AgentDone` when the queue node has `after`; `timeout` after the max wait; `no_agent`;
  `exit_key`), `Transfer` from the transfer answers, `Voicemail`/`Record` take 15 s of message;
* `StartTimer`/`CancelTimer` keep a timer table.

Time is virtual: every answer is due at some instant, the earliest of the pending answer, the
running timers and the caller's scheduled hang-up is delivered next, and the clock jumps there.
`step()` delivers one event, so many calls can be interleaved (the benchmark runs 10,000).
The run stops after `Scenario.max_events` events (a runaway guard) or when the call ends.

What comes out (`SimResult`): the transcript (system lines, prompts as heard, caller actions,
routing decisions with the interpreter's reason), the node path, the edges taken, the masked
variables, the outcome, the survey answers and the interpreter's trace.
"""

from __future__ import annotations

import dataclasses
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Final, Literal, Protocol

from flowc.flowtest.scenario import (
    CallerInput,
    MockResponse,
    QueueAnswer,
    Scenario,
    TransferAnswer,
)
from flowc.interpreter import MASK, Call, CallInfo, TraceStep
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.interpreter.trace import plain
from flowc.lang.regex import Regex, RegexError, compile_regex
from flowc.model.values import format_duration_ms
from flowc.simulate.edges import EdgeKey, EdgeTracker
from flowc.simulate.load import CompiledFlow, compile_file
from flowc.simulate.voice import items_text, play_ms

LineKind = Literal["system", "prompt", "caller", "route", "note", "error"]
ICONS: dict[str, str] = {
    "system": "📞",
    "prompt": "🔊",
    "caller": "☎",
    "route": "➜",
    "note": "·",
    "error": "✖",
}

KEY_MS = 350  # a caller pressing one key
SPEECH_MS_PER_CHAR = 180
FETCH_MS = 120  # a mocked HTTP answer without `delay`
ERROR_MS = 60
QUEUE_WAIT_MS = 20_000  # an agent answers after this long unless the scenario says
QUEUE_TIMEOUT_MS = 300_000  # a queue without max_wait: its own limit
EXIT_KEY_WAIT_MS = 30_000
TALK_MS = 180_000  # the agent conversation
TRANSFER_OK_MS = 4_000
TRANSFER_FAIL_MS = 20_000
MESSAGE_MS = 15_000  # a voicemail or recording
DEFAULT_AGENT = "1001"


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """One line of what happened: `system` (the switch), `prompt` (heard by the caller),
    `caller` (what the caller did), `route` (a decision of the flow, `text` = the reason),
    `note` and `error` (from the interpreter's trace)."""

    at: datetime
    kind: LineKind
    text: str
    node: str | None = None
    locale: str | None = None

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {ICONS[self.kind]} {self.text}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": self.at.isoformat(), "kind": self.kind, "text": self.text}
        if self.node is not None:
            out["node"] = self.node
        if self.locale is not None:
            out["locale"] = self.locale
        return out


@dataclass(frozen=True, slots=True)
class Ask:
    """What the switch is asking the caller for (handed to an `InputSource`)."""

    node: str | None
    var: str
    min: int
    max: int
    terminators: str
    speech: bool
    keywords: tuple[str, ...]
    sensitive: bool
    attempt: int
    tries: int
    prompt: str


class InputSource(Protocol):
    """Where the caller's inputs come from: a script, or a person at a terminal."""

    def next_input(self, ask: Ask) -> CallerInput | None:
        """The caller's next input, or None: nothing more (the caller stays silent)."""
        ...


class ScriptedInputs:
    """Inputs from a list, consumed in order."""

    def __init__(self, inputs: Iterable[CallerInput]) -> None:
        self.remaining: list[CallerInput] = list(inputs)
        self.used: list[CallerInput] = []

    def next_input(self, ask: Ask) -> CallerInput | None:
        if not self.remaining:
            return None
        item = self.remaining.pop(0)
        self.used.append(item)
        return item


@dataclass
class SimResult:
    """A simulated call. `outcome` is a plain mapping (`kind`, `node` and the outcome's
    details, plus `callback`: the last callback number booked); empty when the simulation
    stopped before the call ended (`error` says why)."""

    flow: str
    scenario: str
    locale: str
    started_at: datetime
    ended_at: datetime
    transcript: list[TranscriptLine] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    edges: list[EdgeKey] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    outcome: dict[str, Any] = field(default_factory=dict)
    survey: dict[str, Any] = field(default_factory=dict)
    trace: list[TraceStep] = field(default_factory=list)
    callbacks: list[str] = field(default_factory=list)
    events: int = 0
    unused_inputs: list[CallerInput] = field(default_factory=list)
    error: str | None = None

    @property
    def finished(self) -> bool:
        return bool(self.outcome)

    @property
    def duration(self) -> timedelta:
        return self.ended_at - self.started_at

    def to_json(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "scenario": self.scenario,
            "locale": self.locale,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat(),
            "transcript": [line.to_json() for line in self.transcript],
            "heard": list(self.heard),
            "actions": list(self.actions),
            "path": list(self.path),
            "edges": [list(e) for e in self.edges],
            "variables": plain(self.variables),
            "outcome": plain(self.outcome),
            "survey": plain(self.survey),
            "callbacks": list(self.callbacks),
            "events": self.events,
            "unused_inputs": [str(i) for i in self.unused_inputs],
            "error": self.error,
            "trace": [s.to_json() for s in self.trace],
        }


@dataclass(slots=True)
class _Pending:
    due: datetime
    event: ev.Event
    lines: list[tuple[LineKind, str]] = field(default_factory=list)


def call_timezone(scenario: Scenario, flow: CompiledFlow) -> tzinfo:
    name = scenario.timezone or flow.timezone
    return zoneinfo.ZoneInfo(name) if name else UTC


def start_time(scenario: Scenario, flow: CompiledFlow) -> datetime:
    """When the call starts, in the call centre's zone (the scenario's `timezone`, else the
    flow's first schedule's, else UTC): a naive `at` is read in that zone; no `at`: now."""
    tz = call_timezone(scenario, flow)
    at = scenario.at
    if at is None:
        return datetime.now(tz).replace(microsecond=0)
    if at.tzinfo is None:
        return at.replace(tzinfo=tz)
    if scenario.timezone or flow.timezone:
        return at.astimezone(tz)
    return at


REFUSED_TARGET: Final = "refused_target (not a bound dial string, a number or a sip: URI)"
_DIALABLE: Final = re.compile(
    r"\+?[0-9*#]{1,32}|(?i:sips?):[A-Za-z0-9_.+*#~-]{1,64}@[A-Za-z0-9.-]{1,253}(?::\d{1,5})?"
)


def dialable(target: str) -> bool:
    """A target the runtime dials without a binding: a number/extension or a sip: URI
    (`runtime.fsarg.dial_number` / `sip_uri`; flowc does not import the runtime)."""
    return _DIALABLE.fullmatch(target.strip()) is not None


def read_limit(terminators: str, max_digits: int) -> int:
    """How many digits end a read, the runtime's rule (`runtime.translate.asked_max`): with a
    terminator, max + 1, so the terminator typed after a full-length entry ends that entry
    instead of being left for the next menu (a real switch ends `6 6 ... #` at the 6th digit:
    live capture T07), and one digit more than max is an invalid entry; without one, max."""
    return max_digits + 1 if terminators and max_digits < 128 else max_digits


def _split_keys(keys: str, terminators: str, max_digits: int) -> tuple[str, str | None, int]:
    """(digits read, terminator pressed, keys used) as play_and_get_digits reads them: the
    read ends at a terminator, at `read_limit` digits, or (keys running out) at the
    inter-digit timeout. Keys after the end are not read by this collect."""
    limit = read_limit(terminators, max_digits)
    digits = ""
    for i, ch in enumerate(keys):
        if ch in terminators:
            return digits, ch, i + 1
        digits += ch
        if len(digits) >= limit:
            return digits, None, i + 1
    return digits, None, len(keys)


class Simulator:
    """One simulated call. `run()` plays it to the end; `start()` + `step()` one event at a
    time. `on_line` sees every transcript line as it happens (the interactive mode prints
    them); `inputs` overrides the scenario's scripted inputs (a person at a terminal)."""

    def __init__(
        self,
        flow: CompiledFlow,
        scenario: Scenario | None = None,
        *,
        inputs: InputSource | None = None,
        on_line: Callable[[TranscriptLine], None] | None = None,
        keep_transcript: bool = True,
        asr: bool = True,
    ) -> None:
        self.flow = flow
        # False: the switch has no speech recogniser (`flowc serve` without `--asr`): speech
        # collects take keys only and what the caller says is heard as silence.
        self.asr = asr
        self.scenario = sc = scenario or Scenario()
        self._script = ScriptedInputs(sc.inputs) if inputs is None else None
        self.inputs: InputSource = inputs if inputs is not None else self._script  # type: ignore[assignment]
        self.on_line = on_line
        self.keep_transcript = keep_transcript
        self.started_at = start_time(sc, flow)
        # The clock runs in UTC: adding seconds to a local time is wall-clock arithmetic in
        # Python, wrong across a DST change. The call and the transcript see local times.
        self._tz = self.started_at.tzinfo or UTC
        self.now = self.started_at.astimezone(UTC)
        info = CallInfo(sc.caller, sc.caller_name, sc.did, sc.locale, sc.call_id or "sim-call-1")
        self.call = Call(flow.program, info, flags=sc.flags)
        self.tracker = EdgeTracker(flow.edges)
        self.transcript: list[TranscriptLine] = []
        self.heard: list[str] = []
        self.actions: list[str] = []
        self.callbacks: list[str] = []
        self.events = 0
        self.error: str | None = None
        self._pending: _Pending | None = None
        self._timers: dict[str, datetime] = {}
        self._uses: dict[tuple[str, str], int] = {}
        self._talk_ms = TALK_MS
        self._agent_scheduled = False
        self._hangup_due: datetime | None = None
        if sc.hangup_after_ms is not None:
            self._hangup_due = self.now + timedelta(milliseconds=sc.hangup_after_ms)
        self._hangup_checked = 0
        self._caller_gone = False
        self._stopped = False
        self._started = False
        self._regex: dict[str, Regex | None] = {}
        self._records = 0

    # ------------------------------------------------------------------ driving

    @property
    def done(self) -> bool:
        return self._stopped or self.call.finished

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._after(self.call.start(self.now.astimezone(self._tz)))

    def step(self) -> bool:
        """Deliver the next event; False once the call is over (nothing was delivered)."""
        if not self._started:
            self.start()
            return not self.done
        if self.done:
            return False
        if self.events >= self.scenario.max_events:
            self._stop(
                f"stopped after {self.events} events: the call does not end "
                f"(runaway guard, max_events {self.scenario.max_events})"
            )
            return False
        best: tuple[datetime, int, str] | None = None
        if self._pending is not None:
            best = (self._pending.due, 0, "")
        for tid, due in self._timers.items():
            if best is None or (due, 1) < best[:2]:
                best = (due, 1, tid)
        if self._hangup_due is not None and not self._caller_gone:
            if best is None or (self._hangup_due, 2) < best[:2]:
                best = (self._hangup_due, 2, "")
        if best is None:
            self._stop(f"the call waits ({self.call.state}) for nothing the simulator can give")
            return False
        due, which, tid = best
        self.now = max(self.now, due)
        event: ev.Event
        if which == 0:
            assert self._pending is not None
            pending, self._pending = self._pending, None
            for kind, text in pending.lines:
                self._line(kind, text)
            event = pending.event
        elif which == 1:
            del self._timers[tid]
            event = ev.TimerFired(tid, at=self.now)
        else:
            self._line("caller", "hangs up")
            self.actions.append("hangup")
            self._caller_gone = True
            self._pending = None
            event = ev.Hangup(at=self.now)
        if isinstance(event, ev.Hangup):
            self._caller_gone = True
        self.events += 1
        self._after(self.call.handle(dataclasses.replace(event, at=event.at.astimezone(self._tz))))
        return not self.done

    def run(self) -> SimResult:
        self.start()
        while self.step():
            pass
        return self.result()

    def result(self) -> SimResult:
        call = self.call
        outcome: dict[str, Any] = {}
        if call.outcome is not None:
            outcome = {"kind": call.outcome.kind, "node": call.outcome.node}
            outcome.update(plain(dict(call.outcome.detail)))
            if self.callbacks:
                outcome["callback"] = self.callbacks[-1]
        return SimResult(
            flow=self.flow.name,
            scenario=self.scenario.name,
            locale=call.locale,
            started_at=self.started_at,
            ended_at=self.now.astimezone(self._tz),
            transcript=list(self.transcript),
            heard=list(self.heard),
            actions=list(self.actions),
            path=list(self.tracker.path),
            edges=list(self.tracker.taken),
            variables=call.variables,
            outcome=outcome,
            survey=call.survey,
            trace=list(call.trace),
            callbacks=list(self.callbacks),
            events=self.events,
            unused_inputs=list(self._script.remaining) if self._script is not None else [],
            error=self.error,
        )

    # ------------------------------------------------------------------ bookkeeping

    def _stop(self, why: str) -> None:
        self.error = why
        self._stopped = True
        self._line("error", why)

    def _line(self, kind: LineKind, text: str, *, at: datetime | None = None, **kw: Any) -> None:
        if not self.keep_transcript and self.on_line is None:
            return
        when = (at or self.now).astimezone(self._tz)
        line = TranscriptLine(when, kind, text, kw.get("node"), kw.get("locale"))
        if self.keep_transcript:
            self.transcript.append(line)
        if self.on_line is not None:
            self.on_line(line)

    def _node(self) -> str | None:
        return self.tracker.path[-1] if self.tracker.path else self.call.node

    def _answer(self, table: Mapping[str, list[Any]], kind: str, *names: str | None) -> Any:
        for name in names:
            if name is None or name not in table:
                continue
            answers = table[name]
            used = self._uses.get((kind, name), 0)
            self._uses[(kind, name)] = used + 1
            return answers[min(used, len(answers) - 1)]
        return None

    def _after(self, commands: list[cmd.Command]) -> None:
        for step, node in self.tracker.feed(self.call.trace):
            if step.kind == "decision":
                self._line("route", step.why, node=node)
            elif step.kind == "note":
                self._line("note", step.why, node=node)
            elif step.kind == "error":
                self._line("error", step.why, node=node)
        for c in commands:
            self._execute(c)
        if self.call.finished:
            return
        if self.call.state == "with_agent" and self._pending is None:
            talk = self._talk_ms
            self._pending = _Pending(
                self.now + timedelta(milliseconds=talk),
                ev.AgentDone(at=self.now + timedelta(milliseconds=talk)),
                [("system", "the agent conversation ends; the caller is back in the flow")],
            )
            self._line("caller", f"talks with the agent ({format_duration_ms(talk)})")
        self._check_hangup_at()

    def _check_hangup_at(self) -> None:
        target = self.scenario.hangup_at
        path = self.tracker.path
        if target is None or self._caller_gone or self._hangup_due is not None:
            self._hangup_checked = len(path)
            return
        fresh = path[self._hangup_checked :]
        self._hangup_checked = len(path)
        if not any(n == target or n.rsplit(".", 1)[-1] == target for n in fresh):
            return
        due = self.now + timedelta(seconds=1)
        if self._pending is not None and self._pending.due < due:
            due = self._pending.due
        self._hangup_due = due

    # ------------------------------------------------------------------ commands

    def _execute(self, c: cmd.Command) -> None:
        if isinstance(c, cmd.Answer):
            s = self.scenario
            who = s.caller or "an unknown number"
            to = f" to {s.did}" if s.did else ""
            self._line("system", f"call from {who}{to}; {self.flow.name} answers")
            self._pending = _Pending(self.now, ev.Answered(at=self.now))
        elif isinstance(c, cmd.Play):
            ms = self._say(c.items, c.locale, self.now)
            due = self.now + timedelta(milliseconds=ms)
            self._pending = _Pending(due, ev.PromptDone(at=due))
        elif isinstance(c, cmd.Collect):
            self._collect(c)
        elif isinstance(c, cmd.StartTimer):
            self._timers[c.timer_id] = self.now + timedelta(milliseconds=c.ms)
        elif isinstance(c, cmd.CancelTimer):
            self._timers.pop(c.timer_id, None)
        elif isinstance(c, cmd.Fetch):
            self._fetch(c)
        elif isinstance(c, cmd.Enqueue):
            self._enqueue(c)
        elif isinstance(c, cmd.Transfer):
            self._transfer(c)
        elif isinstance(c, cmd.Voicemail | cmd.Record):
            self._record(c)
        elif isinstance(c, cmd.Hangup):
            self._line("system", f"the flow hangs up ({c.cause})")
        elif isinstance(c, cmd.CallbackBooked):
            self.callbacks.append(c.number)
        elif isinstance(c, cmd.End):
            self._pending = None
            self._timers.clear()
            o = c.outcome
            detail = {k: v for k, v in plain(dict(o.detail)).items() if v not in (None, "", {})}
            shown = ", ".join(f"{k}={v}" for k, v in detail.items())
            self._line("system", f"call ended: {o.kind}" + (f" ({shown})" if shown else ""))

    def _say(self, items: tuple[cmd.PlayItem, ...], locale: str, at: datetime) -> int:
        text = items_text(items)
        if text:
            self.heard.append(text)
            self._line("prompt", text, at=at, node=self._node(), locale=locale)
        return play_ms(items, self.flow.audio_ms)

    def _valid(self, c: cmd.Collect, digits: str) -> bool:
        if not c.min <= len(digits) <= c.max:
            return False
        if c.regex not in self._regex:
            try:
                self._regex[c.regex] = compile_regex(c.regex)
            except RegexError:
                self._regex[c.regex] = None
        rx = self._regex[c.regex]
        return rx is None or rx.search(digits) is not None

    def _collect(self, c: cmd.Collect) -> None:
        t = self.now
        last = ""
        prompt_text = items_text(c.prompt)
        for attempt in range(max(1, c.tries)):
            if c.prompt:
                t += timedelta(milliseconds=self._say(c.prompt, c.locale, t))
            ask = Ask(
                self._node(),
                c.var,
                c.min,
                c.max,
                c.terminators,
                c.speech,
                c.speech_keywords,
                c.sensitive,
                attempt + 1,
                c.tries,
                prompt_text,
            )
            given = self.inputs.next_input(ask)
            inp = given if given is not None else CallerInput("silence")
            quiet = given is None
            if inp.kind == "hangup":
                self._line("caller", "hangs up", at=t)
                self.actions.append("hangup")
                self._caller_gone = True
                self._pending = _Pending(t, ev.Hangup(at=t))
                return
            if inp.kind in ("say", "mumble") and c.speech and self.asr:
                if inp.kind == "say":
                    said = MASK if c.sensitive else inp.value
                    self._line("caller", f'says "{said}"', at=t)
                    self.actions.append(f"say {said}")
                    t += timedelta(milliseconds=SPEECH_MS_PER_CHAR * len(inp.value) + 400)
                    self._pending = _Pending(t, ev.SpeechResult(inp.value, 0.9, at=t))
                else:
                    self._line("caller", "mumbles (speech not recognised)", at=t)
                    self.actions.append("mumble")
                    t += timedelta(seconds=2)
                    self._pending = _Pending(t, ev.SpeechNoMatch("no_match", at=t))
                return
            if inp.kind in ("say", "mumble"):
                self._line(
                    "caller",
                    f"{'says ' + repr(inp.value) if inp.value else 'mumbles'} "
                    + (
                        "(only keys are read here: heard as silence)"
                        if self.asr or not c.speech
                        else "(no speech recogniser: heard as silence)"
                    ),
                    at=t,
                )
                self.actions.append(str(inp))
            elif inp.kind == "silence":
                self._line("caller", "(stays silent)" if quiet else "(silence)", at=t)
                self.actions.append("silence")
            if inp.kind != "press":
                t += timedelta(milliseconds=c.timeout_ms)
                last = ""
                t = self._bad_input(c, t)
                continue
            digits, term, used = _split_keys(inp.value, c.terminators, c.max)
            shown = (MASK + (term or "")) if c.sensitive else inp.value[:used]
            self._line("caller", f"presses {shown}", at=t)
            self.actions.append(f"press {shown}")
            t += timedelta(milliseconds=KEY_MS * max(1, used))
            if term is None and len(digits) < read_limit(c.terminators, c.max):
                t += timedelta(milliseconds=c.digit_timeout_ms)  # waits for more keys
            if self._valid(c, digits):
                self._pending = _Pending(t, ev.Digits(digits, term, "success", at=t))
                return
            last = digits
            t = self._bad_input(c, t)
        result: ev.DigitsResult = "failure" if last else "timeout"
        self._pending = _Pending(t, ev.Digits(last, None, result, at=t))

    def _bad_input(self, c: cmd.Collect, t: datetime) -> datetime:
        """play_and_get_digits plays its invalid prompt after every failed try (no input
        too, the last try too)."""
        if c.invalid_prompt:
            t += timedelta(milliseconds=self._say(c.invalid_prompt, c.locale, t))
        return t

    def _fetch(self, c: cmd.Fetch) -> None:
        resp: MockResponse | None = self._answer(self.scenario.mocks, "mock", c.service)
        if resp is None:
            # Shown without --trace: a missing mock is the usual cause of a surprising branch.
            self._line(
                "system",
                f"look-up {c.service}: no mock given (--mock {c.service}=...), "
                "answering as a connection error",
                node=self._node(),
            )
            resp = MockResponse("error")
        attempts = c.retries + 1
        if resp.kind == "hang":
            self._line("system", f"look-up {c.service}: no answer at all")
            return
        if resp.kind == "timeout":
            ms = c.timeout_ms * attempts
            due = self.now + timedelta(milliseconds=ms)
            event: ev.Event = ev.FetchFailed(c.request_id, "timeout", "simulated", at=due)
            line = f"look-up {c.service}: timed out after {format_duration_ms(ms)}"
        elif resp.kind == "error":
            due = self.now + timedelta(milliseconds=ERROR_MS)
            event = ev.FetchFailed(c.request_id, "error", "simulated connection error", at=due)
            line = f"look-up {c.service}: connection error"
        else:
            ms = resp.delay_ms if resp.delay_ms is not None else FETCH_MS
            if ms > c.timeout_ms * attempts:
                ms = c.timeout_ms * attempts
                due = self.now + timedelta(milliseconds=ms)
                event = ev.FetchFailed(c.request_id, "timeout", "slower than the timeout", at=due)
                line = f"look-up {c.service}: slower than its timeout"
            else:
                due = self.now + timedelta(milliseconds=ms)
                event = ev.FetchResult(c.request_id, resp.status, resp.body, at=due)
                line = f"look-up {c.service}: HTTP {resp.status}"
        self._pending = _Pending(due, event, [("system", line)])

    def _enqueue(self, c: cmd.Enqueue) -> None:
        ans: QueueAnswer = self._answer(self.scenario.queues, "queue", c.queue) or QueueAnswer()
        parts = [f"priority {c.priority}"]
        if c.announce != "none":
            parts.append(f"announce {c.announce}")
        if c.max_wait_ms is not None:
            parts.append(f"max wait {format_duration_ms(c.max_wait_ms)}")
        if c.exit_key:
            parts.append(f"exit key {c.exit_key}")
        self._line("system", f"waiting in queue {c.queue} ({', '.join(parts)})")
        lines: list[tuple[LineKind, str]] = []
        agent = None
        if ans.outcome == "answered":
            wait = ans.wait_ms if ans.wait_ms is not None else QUEUE_WAIT_MS
            if c.max_wait_ms is not None:
                wait = min(wait, c.max_wait_ms)
            agent = ans.agent or DEFAULT_AGENT
            self._talk_ms = ans.talk_ms if ans.talk_ms is not None else TALK_MS
            lines.append(("system", f"agent {agent} answers after {format_duration_ms(wait)}"))
        elif ans.outcome == "timeout":
            wait = c.max_wait_ms or ans.wait_ms or QUEUE_TIMEOUT_MS
            lines.append(("system", f"no agent answered within {format_duration_ms(wait)}"))
        elif ans.outcome == "no_agent":
            wait = ans.wait_ms if ans.wait_ms is not None else 1000
            lines.append(("system", f"no agent is logged in to {c.queue}"))
        else:
            wait = ans.wait_ms if ans.wait_ms is not None else EXIT_KEY_WAIT_MS
            key = c.exit_key or "?"
            lines.append(("caller", f"presses {key} to leave the queue"))
            self.actions.append(f"press {key}")
        due = self.now + timedelta(milliseconds=wait)
        self._pending = _Pending(due, ev.QueueResult(ans.outcome, agent, at=due), lines)

    def _transfer(self, c: cmd.Transfer) -> None:
        logical = f" ({c.number})" if c.number else ""
        self._line("system", f"{c.mode} transfer to {c.target}{logical}")
        if c.number is None and not dialable(c.target):
            # the runtime dials only bound numbers, plain numbers/extensions and sip: URIs
            # (`runtime.translate.transfer_plan`): a templated target holding anything else
            # is refused, never sent to the switch
            due = self.now + timedelta(milliseconds=ERROR_MS)
            event = ev.TransferResult(False, REFUSED_TARGET, at=due)
            self._pending = _Pending(due, event, [("system", "the transfer is refused")])
            return
        ans: TransferAnswer = (
            self._answer(self.scenario.transfers, "transfer", c.number, c.target)
            or TransferAnswer()
        )
        ms = TRANSFER_OK_MS if ans.ok else TRANSFER_FAIL_MS
        due = self.now + timedelta(milliseconds=ms)
        text = "the transfer is answered" if ans.ok else f"the transfer failed ({ans.cause})"
        event = ev.TransferResult(ans.ok, ans.cause, at=due)
        self._pending = _Pending(due, event, [("system", text)])

    def _record(self, c: cmd.Voicemail | cmd.Record) -> None:
        self._records += 1
        ms = min(MESSAGE_MS, c.max_length_ms)
        if isinstance(c, cmd.Voicemail):
            self._line("system", f"beep: recording a message for mailbox {c.mailbox}")
            path = f"sim/voicemail/{c.mailbox}-{self._records}.wav"
        else:
            beep = "beep: " if c.beep else ""
            self._line("system", f"{beep}recording into `{c.var}`")
            path = f"sim/recordings/{c.var}-{self._records}.wav"
        self._line("caller", f"speaks for {format_duration_ms(ms)}")
        self.actions.append("message")
        due = self.now + timedelta(milliseconds=ms)
        self._pending = _Pending(due, ev.RecordDone(path, ms, at=due))


def simulate(
    flow: CompiledFlow | Path | str,
    scenario: Scenario | None = None,
    *,
    inputs: InputSource | None = None,
    on_line: Callable[[TranscriptLine], None] | None = None,
) -> SimResult:
    """Simulate one call of `flow` (a compiled flow or a flow file) through `scenario`."""
    compiled = flow if isinstance(flow, CompiledFlow) else compile_file(Path(flow))
    return Simulator(compiled, scenario, inputs=inputs, on_line=on_line).run()
