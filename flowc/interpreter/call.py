"""The per-call state machine: events in, commands out, time injected.

Theory of operation
-------------------
A `Call` runs one caller through a `Program`. It never does I/O and never reads a clock: the
host calls `start(now)` once and then `handle(event)` for every event, and executes the
commands each call returns, in order. Every instant the call uses (schedules, `now()`,
callback request times) comes from `start`'s `now` or the `at` of the event being handled.

Between two `handle` calls the call waits for exactly one kind of answer: it is in one
*wait state* (`state`: answering, playing, collecting, fetching, queued, with_agent,
transferring, recording) that accepts a fixed set of event types. An event of another type,
a stale timer or a stale fetch answer is recorded in the trace as `ignored` and changes
nothing. `Hangup` (the caller hung up) is accepted in every state and ends the call at once.

Handling an accepted event runs the flow forward through as many nodes as needed
(switch, set, hours, goto ... need no input) until a node waits again or the call ends. Each
node entered is one *step*; more than `MAX_STEPS` steps in one `start`/`handle` (a flow
looping without waiting for anyone) ends the call with outcome `error`. The last command of a
finished call is always `End`; after it every event returns [].

Subflows run on a stack of frames (at most `MAX_DEPTH` deep): each frame has its program,
its variables and its namespaces; `return` pops back to the calling `subflow` node.

Identifiers of fetches and timers are `r<n>` / `t<n>` from one counter per call, so the same
events always produce the same commands (golden fixtures rely on it).

A call whose state was lost (the `after` node of a queue, served in a new socket session by
another host) is rebuilt with `restore(variables=..., outcome=...)` and then
`start(now, at_node=...)`: the saved variables follow the rules of `set`, and a restored
sticky outcome (`queued`) survives however the resumed part ends.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from flowc.hours import evaluate as evaluate_hours
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.interpreter.program import (
    CallbackN,
    CollectN,
    FetchN,
    GotoN,
    HangupN,
    HoursN,
    MenuChoice,
    MenuN,
    PlayN,
    Program,
    Question,
    QueueN,
    RecordN,
    ReturnN,
    SetN,
    SubflowN,
    SurveyN,
    SwitchN,
    TransferN,
    VoicemailN,
    normalize_speech,
)
from flowc.interpreter.prompts import CompiledPrompt, render_text
from flowc.interpreter.scope import FrameScope, make_namespaces, set_locale
from flowc.interpreter.slot_init import slot_init
from flowc.interpreter.trace import MASK, Outcome, OutcomeKind, TraceStep, plain
from flowc.lang.expr import NOW_KEY, BudgetError, EvalError, evaluate, to_text, truthy
from flowc.lang.template import Template, evaluate_template

MAX_STEPS = 1000
# Outcomes that survive the rest of the call once reached (see `Outcome`); only these can be
# restored into a resumed call.
STICKY_OUTCOMES: tuple[OutcomeKind, ...] = ("queued", "voicemail")
MAX_DEPTH = 10
# The most failed inputs a resumed call takes over (`restore(struggles=...)`): more than any
# `escalate.after_failures` (at most 100) can ask for, and a bound on what a state may carry.
MAX_STRUGGLES = 1000
ERROR_CAUSE = "NORMAL_TEMPORARY_FAILURE"
FETCH_GUARD_MARGIN_MS = 1000

MENU_VAR = "flowc_menu"
CONFIRM_VAR = "flowc_confirm"
SURVEY_VAR = "flowc_survey"
CALLBACK_VAR = "flowc_callback"
ANY_KEY = "^[0-9*#]$"


def key_regex(keys: str) -> str:
    """The valid-input pattern of a menu offering `keys` (phone keys only)."""
    kept = "".join(k for k in dict.fromkeys(keys) if k in "0123456789*#")
    return f"^[{kept}]$" if kept else ANY_KEY


CONFIRM_REGEX = "^[12]$"
SURVEY_TIMEOUT_MS = 5000
SURVEY_DIGIT_TIMEOUT_MS = 2000
CALLBACK_NUMBER_REGEX = r"^\d{3,20}$"
SCALES: dict[str, tuple[int, int, str, str]] = {  # min, max digits, terminators, regex
    "1-5": (1, 1, "", "^[1-5]$"),
    "0-10": (1, 2, "#", "^(?:10|[0-9])$"),
    "yes_no": (1, 1, "", "^[12]$"),
}
# The language has no prompt for typing another callback number; these are read when the
# caller asks to give one (by language; other languages hear silence, see the package docs).
CALLBACK_ENTER_PROMPT = {
    "en": "Please enter the number to call back, then press the hash key.",
    "zh": "请输入回电号码，以井号键结束。",
}

Cont = Callable[[ev.Event | None], str | None]
_INPUT_EVENTS: tuple[type[ev.Event], ...] = (ev.Digits, ev.SpeechResult, ev.SpeechNoMatch)
_FIELDS: dict[type[ev.Event], tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls) if f.name != "at") for cls in ev.EVENT_TYPES.values()
}


@slot_init  # one per call
@dataclass(frozen=True, slots=True)
class CallInfo:
    """Who is calling what. `locale`: the caller's language when known (else the flow's
    default locale); `call_id`: the switch's channel id, visible as `call.id`."""

    caller_number: str = ""
    caller_name: str = ""
    did: str = ""
    locale: str | None = None
    call_id: str = ""


_FETCH_ANSWERS = (ev.FetchResult, ev.FetchFailed)


def _quote(text: str) -> str:
    """`quote(text, safe="")`; ASCII letters and digits need no escaping (ids, account
    numbers: most URL holes), so those skip urllib."""
    return text if text.isascii() and text.isalnum() else quote(text, safe="")


# Events that are no hang-up, timer, fetch answer or agent's end (`handle` checks those).
_PLAIN_EVENTS = frozenset(
    {
        ev.Answered,
        ev.Digits,
        ev.SpeechResult,
        ev.SpeechNoMatch,
        ev.PromptDone,
        ev.QueueResult,
        ev.TransferResult,
        ev.RecordDone,
    }
)
_SCALARS = frozenset({str, int, float, bool})  # `plain` keeps them as they are


class _Frame:
    __slots__ = ("call_node", "ns", "program", "scope", "sensitive", "variables")

    def __init__(
        self,
        program: Program,
        variables: dict[str, Any],
        ns: dict[str, Any],
        call_node: SubflowN | None,
    ) -> None:
        self.program = program
        self.variables = variables
        self.ns = ns
        self.scope = FrameScope(ns, variables)
        self.sensitive: set[str] = set(program.sensitive)
        self.call_node = call_node


@dataclass(slots=True)
class _Tally:
    """Failures of one collect so far, by kind (for escalation prompts)."""

    failures: int = 0
    no_input: int = 0
    no_match: int = 0


class _MenuRun:
    __slots__ = ("failures", "no_input", "no_match", "node", "offer", "speech")

    def __init__(self, node: MenuN) -> None:
        self.node = node
        self.failures = 0
        self.no_input = 0
        self.no_match = 0
        # Adaptive menus: the options offered on this visit, in order, with their keys.
        self.offer: tuple[tuple[str, MenuChoice], ...] = ()
        # The speech keywords the caller may say on this visit (see `_offered_speech`).
        self.speech = node.speech


class _KeyScope(Mapping[str, object]):
    """The frame's names plus `key`: what an option's prompt fragment may read."""

    __slots__ = ("base", "key")

    def __init__(self, base: Mapping[str, object], key: str) -> None:
        self.base = base
        self.key = key

    def __getitem__(self, name: str) -> object:
        return self.key if name == "key" else self.base[name]

    def __contains__(self, name: object) -> bool:
        return name == "key" or name in self.base

    def __iter__(self) -> Iterator[str]:
        yield "key"
        yield from (k for k in self.base if k != "key")

    def __len__(self) -> int:
        return len(self.base) + (0 if "key" in self.base else 1)


class Call:
    """One call through a program. See the module docstring for the rules."""

    def __init__(
        self,
        program: Program,
        call_info: CallInfo,
        *,
        flags: Mapping[str, bool] | None = None,
        call_id: str = "",
        steps: bool = True,
    ) -> None:
        """`steps=False`: the trace leaves out node entries, accepted events, assignments,
        decisions and the end (kept: notes, errors, ignored events, the start), for a host
        that reads the commands, the outcome and `rejected_inputs`, e.g. replay; those are
        the same."""
        self.program = program
        self._steps_traced = steps
        self.info = call_info
        self.call_id = call_id or call_info.call_id
        requested = call_info.locale
        self.locale = requested if requested in program.locales else program.default_locale
        self.flags: dict[str, bool] = dict(flags or {})
        self.trace: list[TraceStep] = []
        # Inputs the flow refused: a menu key or word that is no option, an entry that does
        # not fit, a refused entry retried (the trace's `failure: no_match` decisions).
        self.rejected_inputs = 0
        self.outcome: Outcome | None = None
        self.state = "new"
        self.node: str | None = None
        self._now = datetime(1970, 1, 1, tzinfo=UTC)
        self._survey: dict[str, Any] = {}
        self._out: list[cmd.Command] = []  # the commands of this start/handle, in order
        self._accept: tuple[type[ev.Event], ...] = ()
        self._cont: Cont | None = None
        self._secret_input = False
        self._why = "start"  # why the next node is entered (`cmd.NodeEntered.why`)
        self._seq = 0
        self._steps = 0
        self._struggles = 0  # failed inputs of the call, all menus and collects (`escalate`)
        self._escalated = False
        self._timer: str | None = None
        self._request: str | None = None
        self._sticky: tuple[OutcomeKind, dict[str, Any]] | None = None
        self._restore: tuple[dict[str, Any], OutcomeKind | None, dict[str, Any], object] | None = (
            None
        )
        self._frame: _Frame = self._frame_for(program, None, {})  # the top of `_frames`
        self._frames: list[_Frame] = [self._frame]
        if requested and requested != self.locale:
            self._note(f"locale `{requested}` is not one of the flow's; using `{self.locale}`")

    # ------------------------------------------------------------------ public API

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    def depth(self) -> int:
        """How many subflows deep the call is (0: the main flow)."""
        return len(self._frames) - 1

    @property
    def variables(self) -> dict[str, Any]:
        """The main flow's variables, sensitive values masked."""
        return self._masked_vars(self._frames[0])

    @property
    def survey(self) -> dict[str, Any]:
        return dict(self._survey)

    @property
    def struggles(self) -> dict[str, Any]:
        """The call's `escalate` budget so far, to save with the variables when the call may
        resume elsewhere (see `restore`): failed inputs (capped at `MAX_STRUGGLES`) and
        whether the call escalated already."""
        return {"failures": min(self._struggles, MAX_STRUGGLES), "escalated": self._escalated}

    def restore(
        self,
        *,
        variables: Mapping[str, Any] | None = None,
        outcome: OutcomeKind | None = None,
        detail: Mapping[str, Any] | None = None,
        struggles: object = None,
    ) -> None:
        """Give a call that resumes a conversation begun elsewhere the state saved there.

        Call it before `start(now, at_node=...)`: e.g. the `after` node of a queue served in a
        new socket session, with the variables the first session saved on the channel.

        `variables`: the main flow's variables. They follow the rules of `set`: a name the flow
        does not declare is ignored, so is a sensitive variable and a masked value (`MASK`: a
        saved secret is never real data), and a value is converted to the declared type (one
        that does not convert is kept as it came, with a note). No `SetVariable` is emitted:
        the channel carries them already.

        `outcome` / `detail`: a sticky outcome the call had reached (`queued`: an agent
        answered; `voicemail`: a message was left). The resumed call keeps it however it ends
        (`detail.ended` says how), as the original call would have.

        `struggles`: the `struggles` of the call as it was saved, so failed inputs before the
        hand-off still count toward the flow's `escalate` budget (and a call that escalated
        does not escalate twice). It comes from outside: anything but a mapping of
        `failures` (an int from 0 to `MAX_STRUGGLES`) and `escalated` (a bool) is ignored,
        with a note, and the count starts at zero.

        The state is applied when `start` runs (and noted in the trace there); a second
        `restore` before it replaces the first. Raises ValueError for an outcome that is not
        sticky; after `start` it does nothing (noted), as a second `start` does.
        """
        if outcome is not None and outcome not in STICKY_OUTCOMES:
            raise ValueError(
                f"only a sticky outcome can be restored ({', '.join(STICKY_OUTCOMES)}), "
                f"not {outcome!r}"
            )
        if self.state != "new":
            self._note("restore() after start(): ignored")
            return
        # Applied by `start`, once `now` is known (the trace and any conversion note need it).
        self._restore = (dict(variables or {}), outcome, dict(detail or {}), struggles)

    def _apply_restore(
        self,
        variables: dict[str, Any],
        outcome: OutcomeKind | None,
        detail: dict[str, Any],
        struggles: object,
    ) -> None:
        frame = self._frames[0]
        declared = frame.program.variables
        restored: list[str] = []
        ignored: list[str] = []
        for name, value in variables.items():
            vdef = declared.get(name)
            if vdef is None or name in frame.sensitive or value == MASK:
                ignored.append(name)
                continue
            frame.variables[name] = self._coerce(name, value, vdef.type)
            restored.append(name)
        if outcome is not None:
            self._sticky = (outcome, detail)
        failures = self._restore_struggles(struggles)
        self._note(
            f"resumed with {len(restored)} saved variable(s)"
            + (f" and outcome `{outcome}`" if outcome is not None else "")
            + (f", {failures} failed input(s) so far" if failures else ""),
            {"restored": restored, "ignored": ignored, "outcome": outcome, "failures": failures},
        )

    def _restore_struggles(self, saved: object) -> int:
        """Apply a saved `struggles` (see `restore`); the failures restored (0 if refused)."""
        if saved is None:
            return 0
        failures = saved.get("failures") if isinstance(saved, Mapping) else None
        escalated = saved.get("escalated", False) if isinstance(saved, Mapping) else None
        if (
            not isinstance(failures, int)
            or isinstance(failures, bool)
            or not 0 <= failures <= MAX_STRUGGLES
            or not isinstance(escalated, bool)
        ):
            self._note("saved failed-input count is not valid: counting from zero")
            return 0
        self._struggles = failures
        self._escalated = escalated
        return failures

    def start(self, now: datetime, *, at_node: str | None = None) -> list[cmd.Command]:
        """Begin the call: answer it, then run from the entry (or `at_node`, to resume a call
        whose state was lost, e.g. the `after` node of a queue in a new socket session; see
        `restore` for its saved state)."""
        if self.state != "new":
            self._note("start() called twice: ignored")
            return []
        out: list[cmd.Command] = []
        self._out = out
        self._set_now(now)
        self._steps = 0
        entry = at_node or self.program.entry
        if at_node is not None:
            self._why = cmd.RESUMED
        self._trace(
            "start",
            f"call started in `{self.program.name}` at `{entry}`",
            None,
            {
                "flow": self.program.name,
                "locale": self.locale,
                "caller": self.info.caller_number,
                "did": self.info.did,
            },
        )
        if self._restore is not None:
            self._apply_restore(*self._restore)
            self._restore = None
        self._out.append(cmd.Answer())
        self._wait("answering", (ev.Answered,), lambda e: entry)
        return out

    def handle(self, event: ev.Event) -> list[cmd.Command]:
        """Feed one event; returns the commands to execute, in order."""
        if self.outcome is not None:
            return []
        if self.state == "new":
            self._set_now(event.at)
            self._ignored(event, "the call has not started")
            return []
        out: list[cmd.Command] = []
        self._out = out
        self._set_now(event.at)
        self._steps = 0
        # Most events are none of the kinds checked one by one below (exact classes only).
        plain = type(event) in _PLAIN_EVENTS
        try:
            if not plain and isinstance(event, ev.Hangup):
                if self._steps_traced:
                    self._trace(
                        "event",
                        f"caller hung up ({event.cause})",
                        self.node,
                        {
                            "cause": event.cause,
                            "state": self.state,
                        },
                    )
                self._end("caller_hangup", {"cause": event.cause, "state": self.state}, None)
                return out
            if not isinstance(event, self._accept) or self._cont is None:
                self._ignored(event, f"not expected while {self.state}")
                return out
            if not plain:
                if isinstance(event, ev.TimerFired) and event.timer_id != self._timer:
                    self._ignored(event, f"stale timer `{event.timer_id}`")
                    return out
                if isinstance(event, _FETCH_ANSWERS) and event.request_id != self._request:
                    self._ignored(event, f"stale answer to request `{event.request_id}`")
                    return out
                if isinstance(event, ev.AgentDone):
                    self._why = cmd.RESUMED
            if self._steps_traced:
                self._trace_event(event)
            cont = self._cont
            self._cont = None
            self._accept = ()
            self._run(cont(event))
        except BudgetError as exc:
            self._budget_exceeded(exc)
        except Exception as exc:  # a defect must end one call, never the host
            self._internal_error(exc)
        return out

    # ------------------------------------------------------------------ engine

    def _frame_for(
        self, program: Program, call_node: SubflowN | None, values: dict[str, Any]
    ) -> _Frame:
        variables = {name: v.default for name, v in program.variables.items()}
        variables.update(values)
        ns = make_namespaces(
            caller_number=self.info.caller_number,
            caller_name=self.info.caller_name,
            did=self.info.did,
            call_id=self.call_id,
            locale=self.locale,
            flags=self.flags,
            survey=self._survey,
            now=self._now,
            in_hours=_weak_in_hours(self),
        )
        return _Frame(program, variables, ns, call_node)

    def _set_now(self, at: datetime) -> None:
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        self._now = at
        for frame in self._frames:
            frame.ns[NOW_KEY] = at

    def _in_hours(self, name: str) -> bool:
        schedule = self._frame.program.schedules.get(name)
        if schedule is None:
            raise EvalError(f"unknown schedule `{name}`")
        return evaluate_hours(schedule, self._now, self.flags).is_open

    def _next_id(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}{self._seq}"

    def _wait(self, state: str, accept: tuple[type[ev.Event], ...], cont: Cont) -> None:
        self.state = state
        self._accept = accept
        self._cont = cont

    def _run(self, node_id: str | None) -> None:
        while node_id is not None and self.outcome is None:
            self._steps += 1
            if self._steps > MAX_STEPS:
                self._error(
                    f"more than {MAX_STEPS} steps without waiting for input: the flow loops",
                    {"reason": "loop_guard", "steps": MAX_STEPS},
                )
                return
            frame = self._frame
            node = frame.program.nodes.get(node_id)
            if node is None:
                self._error(
                    f"node `{node_id}` does not exist in `{frame.program.name}`",
                    {
                        "reason": "missing_node",
                        "target": node_id,
                    },
                )
                return
            self.node = node_id
            if self._steps_traced:
                self._trace(
                    "enter",
                    f"entered {node.kind} `{node_id}`",
                    node_id,
                    {
                        "kind": node.kind,
                        "flow": frame.program.name,
                    },
                )
            self._out.append(
                cmd.NodeEntered(frame.program.name, node_id, node.kind, self._now, self._why)
            )
            self._why = "next"
            node_id = _ENTER[type(node)](self, node)

    # ------------------------------------------------------------------ trace & masking

    def _trace(
        self, kind: str, why: str, node: str | None, detail: Mapping[str, Any] | None = None
    ) -> None:
        self.trace.append(TraceStep(self._now, node, kind, why, detail or {}))

    def _note(self, why: str, detail: Mapping[str, Any] | None = None) -> None:
        self._trace("note", why, self.node, detail)

    def _decision(self, why: str, **detail: Any) -> None:
        self._why = why
        if detail.get("failure") == "no_match":
            self.rejected_inputs += 1  # an input the flow refused, traced or not
        if self._steps_traced:
            self._trace("decision", why, self.node, detail)

    def _ignored(self, event: ev.Event, why: str) -> None:
        detail: dict[str, Any] = {"type": event.type}
        for key in ("timer_id", "request_id"):
            if hasattr(event, key):
                detail[key] = getattr(event, key)
        self._trace("ignored", f"{event.type} ignored: {why}", self.node, detail)

    def _trace_event(self, event: ev.Event) -> None:
        data = {name: getattr(event, name) for name in _FIELDS[type(event)]}
        kind = event.type
        if self._secret_input:
            for key in ("digits", "text"):
                if data.get(key):
                    data[key] = MASK
        if "body" in data:
            data["body"] = "<json>" if data["body"] is not None else None
        self._trace("event", kind, self.node, data)

    def _show(self, frame: _Frame, name: str, value: Any) -> Any:
        return MASK if name in frame.sensitive and value is not None else plain(value)

    def _masked_vars(self, frame: _Frame) -> dict[str, Any]:
        # `_show` spelled out: this runs for every variable at the end of every call.
        sensitive = frame.sensitive
        return {
            k: MASK
            if k in sensitive and v is not None
            else (v if v is None or type(v) in _SCALARS else plain(v))
            for k, v in frame.variables.items()
        }

    def _tainted(self, roots: frozenset[str]) -> bool:
        return bool(roots) and not roots.isdisjoint(self._frame.sensitive)

    # ------------------------------------------------------------------ values

    def _value(self, t: Template, what: str) -> Any:
        """A template's value in the current frame; None (noted) when it cannot be evaluated."""
        try:
            return evaluate_template(t, self._frame.scope)
        except BudgetError:
            raise  # ends the call (handle): the flow would only grow the value again
        except EvalError as exc:
            self._note(
                f"{what}: `{t.text}` could not be evaluated ({exc.message}); using null",
                {
                    "template": t.text,
                    "error": exc.message,
                },
            )
            return None

    def _text(self, t: Template) -> str:
        return render_text(t, self._frame.scope, self._note_cb)

    def _note_cb(self, why: str, detail: dict[str, Any]) -> None:
        self._note(why, detail)

    def _assign(self, name: str, value: Any, *, tainted: bool = False) -> None:
        frame = self._frame
        if name == "call.locale":
            self._switch_locale(value)
            return
        vdef = frame.program.variables.get(name)
        if vdef is not None:
            value = self._coerce(name, value, vdef.type)
        frame.variables[name] = value
        if tainted:
            frame.sensitive.add(name)
        secret = name in frame.sensitive
        if self._steps_traced:
            shown = MASK if secret and value is not None else plain(value)
            self._trace("set", f"{name} = {shown!r}", self.node, {"name": name, "value": shown})
        if len(self._frames) == 1:
            self._out.append(cmd.SetVariable(name, value, secret))

    def _coerce(self, name: str, value: Any, type_: str) -> Any:
        if value is None or type_ == "any":
            return value
        try:
            if type_ == "string":
                return value if isinstance(value, str) else to_text(value)
            if type_ == "int":
                if isinstance(value, int) and not isinstance(value, bool):
                    return value
                if isinstance(value, float) and value.is_integer():
                    return int(value)
                if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
                    return int(value)
            elif type_ == "float":
                if isinstance(value, int | float) and not isinstance(value, bool):
                    return float(value)
                if isinstance(value, str):
                    return float(value)
            elif type_ == "bool":
                if isinstance(value, bool):
                    return value
                if value in ("true", "false"):
                    return value == "true"
            else:
                return value
        except BudgetError:
            raise
        except (ValueError, EvalError):
            pass
        self._note(f"`{name}` is declared {type_}; kept the value as it came", {"name": name})
        return value

    def _switch_locale(self, value: Any) -> None:
        if isinstance(value, str) and value in self.program.locales:
            self.locale = value
            for frame in self._frames:
                set_locale(frame.ns, value)
            self._trace("set", f"call.locale = {value!r}", self.node, {"locale": value})
        else:
            self._note(f"cannot switch to locale {value!r}: not one of the flow's locales")

    def _render(self, prompt: CompiledPrompt | None) -> tuple[tuple[cmd.PlayItem, ...], bool]:
        if prompt is None:
            return (), True
        frame = self._frame
        return prompt.render(self.locale, frame.scope, frame.sensitive, self._note_cb)

    # ------------------------------------------------------------------ endings

    def _end(self, kind: OutcomeKind, detail: dict[str, Any], hangup: str | None) -> None:
        if self.outcome is not None:
            return
        if self._sticky is not None and kind in ("hangup", "completed", "caller_hangup"):
            sticky_kind, sticky_detail = self._sticky
            detail = {**sticky_detail, "ended": kind, **detail}
            kind = sticky_kind
        if hangup is not None:
            self._out.append(cmd.Hangup(hangup))
        # The end names its node as the path and the journal steps do: `module.node` inside a
        # subflow module, so a scenario's `outcome: {node: ...}` and reports agree.
        program = self._frame.program.name if self._frames else None
        main = self._frames[0].program.name if self._frames else None
        node = self.node
        if node is not None and program is not None and program != main:
            node = f"{program}.{node}"
        self.outcome = Outcome(
            kind, node, detail, dict(self._survey), self._masked_vars(self._frames[0])
        )
        self.state = "ended"
        self._accept = ()
        self._cont = None
        if self._steps_traced:
            detail_shown = {"outcome": kind, **plain(detail)}
            self._trace("end", f"call ended: {kind}", self.node, detail_shown)
        self._out.append(cmd.End(self.outcome))

    def _hangup_default(self, reason: str) -> None:
        self._decision(f"no branch for {reason}: hanging up")
        self._end("hangup", {"cause": "NORMAL_CLEARING", "reason": reason}, "NORMAL_CLEARING")

    def _branch(self, target: str | None, reason: str) -> str | None:
        """Go to `target`, or hang up (the default of every failure branch)."""
        if target is None:
            self._hangup_default(reason)
            return None
        return target

    def _continue_or_finish(self, target: str | None, reason: str) -> str | None:
        """`next` when given, else the flow is complete: hang up."""
        if target is not None:
            return target
        self._decision(f"{reason}: no `next`, the call is complete")
        self._end("completed", {"cause": "NORMAL_CLEARING"}, "NORMAL_CLEARING")
        return None

    def _error(self, why: str, detail: dict[str, Any]) -> None:
        self._trace("error", why, self.node, detail)
        self._end("error", {**detail, "cause": ERROR_CAUSE, "message": why}, ERROR_CAUSE)

    def _budget_exceeded(self, exc: BudgetError) -> None:
        if self.outcome is None:
            self._sticky = None
            why = f"a value grew past the evaluation budget: {exc.message}"
            self._error(why, {"reason": "budget", "error": exc.message})

    def _internal_error(self, exc: Exception) -> None:
        why = f"internal error: {type(exc).__name__}: {exc}"
        self._trace("error", why, self.node, {"reason": "internal_error"})
        if self.outcome is None:
            self._sticky = None
            self._end("error", {"reason": "internal_error", "message": why}, ERROR_CAUSE)

    # ------------------------------------------------------------------ shared waits

    def _play_then(self, items: tuple[cmd.PlayItem, ...], barge_in: bool, cont: Cont) -> str | None:
        if not items:
            return cont(None)
        self._out.append(cmd.Play(items, barge_in, self.locale))
        self._wait("playing", (ev.PromptDone,), cont)
        return None

    def _digits(
        self,
        var: str,
        regex: str,
        *,
        timeout_ms: int,
        digit_timeout_ms: int,
        min: int = 1,
        max: int = 1,
        tries: int = 1,
        terminators: str = "",
        speech: bool = False,
        speech_keywords: tuple[str, ...] = (),
        sensitive: bool = False,
    ) -> Callable[[tuple[cmd.PlayItem, ...]], cmd.Collect]:
        """The Collect every input node sends, given its prompt; the switch never plays a
        retry prompt of its own (escalation is the interpreter's), so `invalid_prompt` is
        always empty."""
        # A partial of positional arguments: cheaper to make than a closure over them all,
        # once per menu or collect attempt.
        return functools.partial(
            self._collect_command,
            min,
            max,
            tries,
            timeout_ms,
            terminators,
            var,
            regex,
            digit_timeout_ms,
            speech,
            speech_keywords,
            sensitive,
        )

    def _collect_command(
        self,
        min: int,
        max: int,
        tries: int,
        timeout_ms: int,
        terminators: str,
        var: str,
        regex: str,
        digit_timeout_ms: int,
        speech: bool,
        speech_keywords: tuple[str, ...],
        sensitive: bool,
        prompt: tuple[cmd.PlayItem, ...],
    ) -> cmd.Collect:
        return cmd.Collect(
            min,
            max,
            tries,
            timeout_ms,
            terminators,
            prompt,
            (),
            var,
            regex,
            digit_timeout_ms,
            speech,
            speech_keywords,
            self.locale,
            sensitive,
        )

    def _ask(
        self,
        items: tuple[cmd.PlayItem, ...],
        barge_in: bool,
        collect: Callable[[tuple[cmd.PlayItem, ...]], cmd.Collect],
        cont: Cont,
        *,
        secret: bool = False,
    ) -> str | None:
        """Collect with `items` as the prompt; a non-interruptible prompt is played first."""

        def go(_: ev.Event | None, prompt: tuple[cmd.PlayItem, ...]) -> str | None:
            self._secret_input = secret
            self._out.append(collect(prompt))
            self._wait("collecting", _INPUT_EVENTS, cont)
            return None

        if items and not barge_in:
            return self._play_then(items, False, lambda e: go(e, ()))
        return go(None, items)

    # ------------------------------------------------------------------ simple nodes

    def _enter_goto(self, n: GotoN) -> str | None:
        return n.goto

    def _enter_set(self, n: SetN) -> str | None:
        for name, t, roots in n.set:
            self._assign(name, self._value(t, name), tainted=self._tainted(roots))
        return n.next

    def _enter_switch(self, n: SwitchN) -> str | None:
        scope = self._frame.scope
        for i, rule in enumerate(n.rules):
            try:
                hit = truthy(evaluate(rule.expr, scope))
            except BudgetError:
                raise
            except EvalError as exc:
                self._note(
                    f"rule {i + 1} `{rule.text}` failed ({exc.message}): counted as false",
                    {
                        "rule": i + 1,
                        "if": rule.text,
                        "error": exc.message,
                    },
                )
                continue
            if hit:
                self._decision(
                    f"rule {i + 1} `{rule.text}` is true: go to `{rule.goto}`",
                    rule=i + 1,
                    target=rule.goto,
                )
                return rule.goto
        self._decision(f"no rule is true: default `{n.default}`", rule=None, target=n.default)
        return n.default

    def _enter_hours(self, n: HoursN) -> str | None:
        schedule = self._frame.program.schedules.get(n.schedule)
        if schedule is None:
            self._error(f"unknown schedule `{n.schedule}`", {"reason": "missing_schedule"})
            return None
        decision = evaluate_hours(schedule, self._now, self.flags)
        target = {
            "open": n.open,
            "closed": n.closed,
            "holiday": n.holiday or n.closed,
            "emergency": n.emergency or n.closed,
        }[decision.outcome]
        self._decision(
            f"{n.schedule} is {decision.outcome}: {decision.rule}; go to `{target}`",
            outcome=decision.outcome,
            rule=decision.rule,
            local_time=decision.local_time.isoformat(),
            target=target,
        )
        return target

    def _enter_play(self, n: PlayN) -> str | None:
        items, barge_in = self._render(n.prompt)
        return self._play_then(items, barge_in, lambda e: n.next)

    def _enter_hangup(self, n: HangupN) -> str | None:
        items, barge = self._render(n.prompt)

        def done(_: ev.Event | None) -> str | None:
            self._end("hangup", {"cause": n.cause}, n.cause)
            return None

        return self._play_then(items, barge, done)

    # ------------------------------------------------------------------ menu

    def _enter_menu(self, n: MenuN) -> str | None:
        run = _MenuRun(n)
        if n.adaptive:
            run.offer = self._offer(n)
            run.speech = _offered_speech(n, run.offer)
            if not run.offer:
                self._decision("no option of this menu is offered to this caller", target=n.on_fail)
                self._out.append(cmd.MenuEmpty(n.id, n.on_fail))
                return self._branch(n.on_fail, "a menu without options")
        return self._menu_attempt(run, None)

    def _offer(self, n: MenuN) -> tuple[tuple[str, MenuChoice], ...]:
        """The options offered on this visit: conditions evaluated, order and keys decided."""
        scope = self._frame.scope
        shown: list[tuple[int, MenuChoice, float | None]] = []
        hidden: list[str] = []
        for i, c in enumerate(n.choices):
            if c.when is not None:
                try:
                    visible = truthy(evaluate(c.when, scope))
                except BudgetError:
                    raise
                except EvalError as exc:
                    self._note(f"{c.label} `when: {c.when_text}` failed ({exc.message}): hidden")
                    visible = False
                if not visible:
                    hidden.append(c.label)
                    continue
            rank: float | None = None
            if c.rank is not None:
                try:
                    value = evaluate(c.rank, scope)
                    if isinstance(value, bool) or not isinstance(value, int | float):
                        raise EvalError(f"{value!r} is not a number")
                    rank = float(value)
                except BudgetError:
                    raise
                except EvalError as exc:
                    self._note(f"{c.label} `rank: {c.rank_text}` failed ({exc.message}): unranked")
            shown.append((i, c, rank))
        first = ""
        if n.first is not None:
            first = render_text(n.first, scope, self._note_cb).strip()

        def order(item: tuple[int, MenuChoice, float | None]) -> tuple[int, int, float, int]:
            i, c, rank = item
            favourite = 0 if first and first in (c.target, c.key) else 1
            return (favourite, 0 if rank is not None else 1, rank or 0.0, i)

        ordered = [c for _, c, _ in sorted(shown, key=order)]
        offer: list[tuple[str, MenuChoice]] = []
        reserved = self._reserved_keys(n)
        taken = set(reserved)
        free = iter(k for k in "1234567890" if k not in taken)
        for c in ordered:
            key = next(free, None) if n.renumber else c.key
            if key is None:
                self._note(f"{c.label}: no key left to offer it on")
                hidden.append(c.label)
                continue
            if key in reserved:  # the agent and repeat keys keep their meaning (FL301)
                self._note(f"{c.label}: key {key} is this menu's agent or repeat key")
                hidden.append(c.label)
                continue
            if key in taken:
                self._note(f"{c.label}: key {key} is taken by another offered option")
                hidden.append(c.label)
                continue
            taken.add(key)
            offer.append((key, c))
        self._decision(
            "offered: "
            + (", ".join(f"key {k} -> `{c.target}`" for k, c in offer) or "nothing")
            + (f"; hidden: {', '.join(hidden)}" if hidden else ""),
            shown=[c.label for _, c in offer],
            hidden=hidden,
            keys=[k for k, _ in offer],
        )
        return tuple(offer)

    def _reserved_keys(self, n: MenuN) -> list[str]:
        """Keys that are not options in this menu: the agent key and the repeat key."""
        out: list[str] = []
        agent = self._frame.program.agent_key
        if n.agent_key and agent is not None:
            out.append(agent[0])
        if n.repeat_key is not None:
            out.append(n.repeat_key)
        return out

    def _menu_prompt(self, run: _MenuRun) -> tuple[tuple[cmd.PlayItem, ...], bool]:
        items, barge = self._render(run.node.prompt)
        frame = self._frame
        for key, c in run.offer:
            if c.say is None:
                continue
            part, part_barge = c.say.render(
                self.locale, _KeyScope(frame.scope, key), frame.sensitive, self._note_cb
            )
            items += part
            barge = barge and part_barge
        return items, barge

    def _menu_attempt(self, run: _MenuRun, lead: CompiledPrompt | None) -> str | None:
        n = run.node
        lead_items, lead_barge = self._render(lead)
        if n.adaptive:
            items, barge = self._menu_prompt(run)
            keys = "".join(dict.fromkeys([k for k, _ in run.offer] + self._reserved_keys(n)))
            regex = key_regex(keys)
        else:
            items, barge = self._render(n.prompt)
            regex = ANY_KEY
        keywords = tuple(word for _, word, _ in run.speech)

        collect = self._digits(
            MENU_VAR,
            regex,
            timeout_ms=n.timeout_ms,
            digit_timeout_ms=n.inter_digit_timeout_ms,
            speech_keywords=keywords,
            speech=bool(keywords),
        )

        return self._ask(
            lead_items + items, lead_barge and barge, collect, lambda e: self._menu_input(run, e)
        )

    def _menu_input(self, run: _MenuRun, e: ev.Event | None) -> str | None:
        n = run.node
        if isinstance(e, ev.SpeechResult):
            found = _match_speech(run.speech, e.text)
            if found is not None:
                word, target = found
                return self._menu_choice(run, target, "speech", word)
            return self._menu_failure(run, "no_match", f"no keyword in {e.text!r}")
        if isinstance(e, ev.SpeechNoMatch):
            return self._menu_failure(run, e.reason, "speech not recognised")
        if not isinstance(e, ev.Digits):
            return self._menu_failure(run, "no_input", "no answer")
        key = e.digits
        if not key:
            if e.result == "failure":
                return self._menu_failure(run, "no_match", "invalid entry")
            return self._menu_failure(run, "no_input", "no key pressed")
        if n.adaptive:
            chosen = next((c for k, c in run.offer if k == key), None)
            if chosen is not None:
                return self._menu_choice(run, chosen.target, "dtmf", key, chosen.label)
        elif key in n.options:
            return self._menu_choice(run, n.options[key], "dtmf", key)
        agent = self._frame.program.agent_key
        if n.agent_key and agent is not None and key == agent[0]:
            return self._menu_choice(run, agent[1], "agent_key", key)
        if n.repeat_key is not None and key == n.repeat_key:
            self._decision(f"key {key} repeats the menu", key=key)
            return self._menu_attempt(run, None)
        return self._menu_failure(run, "no_match", f"key {key} is not an option")

    def _menu_choice(
        self, run: _MenuRun, target: str, via: str, choice: str, option: str | None = None
    ) -> str | None:
        what = f"said {choice!r}" if via == "speech" else f"key {choice}"
        extra = " (agent key)" if via == "agent_key" else ""
        if option is not None and option != f"key {choice}":
            extra = f" ({option})"
        more = {} if option is None else {"option": option}
        self._decision(
            f"{what}{extra}: go to `{target}`", via=via, choice=choice, target=target, **more
        )
        self._out.append(cmd.MenuChosen(run.node.id, via, choice, target, run.failures))
        return target

    def _menu_failure(self, run: _MenuRun, kind: str, why: str) -> str | None:
        n = run.node
        if kind == "no_input" and n.on_no_input is not None:
            # Silence is an answer here: go on at once, no retry.
            self._decision(
                f"no input ({why}): go to `{n.on_no_input}`",
                target=n.on_no_input,
                via="no_input",
            )
            return self._branch(n.on_no_input, "no input")
        run.failures += 1
        if kind == "no_input":
            run.no_input += 1
            prompts, count = n.no_input, run.no_input
        else:
            run.no_match += 1
            prompts, count = n.no_match, run.no_match
        self._decision(
            f"{kind.replace('_', ' ')} ({why}): failure {run.failures} of {n.retries}",
            failure=kind,
            failures=run.failures,
            retries=n.retries,
        )
        escalated = self._struggle(kind)
        if escalated is not None:
            return escalated
        if run.failures >= n.retries:
            self._out.append(
                cmd.MenuFailed(n.id, run.failures, run.no_input, run.no_match, n.on_fail)
            )
            if n.on_fail is not None:
                self._decision(
                    f"menu failed {run.failures} times: go to `{n.on_fail}`", target=n.on_fail
                )
            return self._branch(n.on_fail, "a failed menu")
        lead = prompts[min(count, len(prompts)) - 1] if prompts else None
        return self._menu_attempt(run, lead)

    def _struggle(self, kind: str) -> str | None:
        """Count one failed input of the call; the node to go to when that reaches the flow's
        `escalate` budget (once per call, from wherever the caller is: subflows are left),
        else None."""
        self._struggles += 1
        esc = self._frames[0].program.escalate
        if esc is None or self._escalated or self._struggles < esc.after_failures:
            return None
        self._escalated = True
        self._decision(
            f"{self._struggles} failed inputs in this call: escalate to `{esc.goto}`",
            escalate=esc.goto,
            failures=self._struggles,
            last=kind,
            target=esc.goto,
        )
        self._out.append(cmd.Escalated(self.node, self._struggles, esc.goto))
        if len(self._frames) > 1:  # the budget is the main flow's: leave every module
            del self._frames[1:]
            self._frame = self._frames[0]
        return esc.goto

    # ------------------------------------------------------------------ collect

    def _enter_collect(self, n: CollectN) -> str | None:
        return self._collect_attempt(n, 0, _Tally(), None)

    def _collect_attempt(
        self, n: CollectN, reentries: int, tally: _Tally, lead: CompiledPrompt | None
    ) -> str | None:
        # One play_and_get_digits try per attempt: the switch would replay a single invalid
        # prompt after every failure, silence included, so the interpreter counts no-input
        # and no-match itself and plays the n-th escalation prompt (VoiceXML style).
        lead_items, lead_barge = self._render(lead)
        items, barge = self._render(n.prompt)
        secret = n.into in self._frame.sensitive

        collect = self._digits(
            n.into,
            n.regex,
            min=n.min,
            max=n.max,
            timeout_ms=n.timeout_ms,
            digit_timeout_ms=n.inter_digit_timeout_ms,
            terminators=n.terminator or "",
            speech=n.speech,
            sensitive=secret,
        )

        return self._ask(
            lead_items + items,
            lead_barge and barge,
            collect,
            lambda e: self._collect_input(n, reentries, tally, e),
            secret=secret,
        )

    def _collect_input(
        self, n: CollectN, reentries: int, tally: _Tally, e: ev.Event | None
    ) -> str | None:
        self._secret_input = False
        value: str | None = None
        failure = "no_input"
        if isinstance(e, ev.Digits):
            if e.result == "success" or (e.digits and e.result == "timeout"):
                value = e.digits
                if not self._valid_entry(n, value):
                    self._note("the entry does not fit min/max/pattern: treated as a failure")
                    self.rejected_inputs += 1
                    value = None
                    failure = "no_match"
            elif e.digits or e.result == "failure":
                failure = "no_match"
        elif isinstance(e, ev.SpeechResult):
            value = e.text.strip() or None
        if value is None:
            tally.failures += 1
            if failure == "no_input":
                tally.no_input += 1
                prompts, count = n.no_input, tally.no_input
            else:
                tally.no_match += 1
                prompts, count = n.no_match, tally.no_match
            why = failure.replace("_", " ")
            escalated = self._struggle(failure)
            if escalated is not None:
                return escalated
            if tally.failures < n.retries:
                self._decision(
                    f"{why}: failure {tally.failures} of {n.retries}",
                    failure=failure,
                    failures=tally.failures,
                    retries=n.retries,
                )
                lead = prompts[min(count, len(prompts)) - 1] if prompts else None
                return self._collect_attempt(n, reentries, tally, lead)
            self._decision(
                f"nothing valid collected after {tally.failures} tries ({why})",
                target=n.on_fail,
            )
            return self._branch(n.on_fail, "a failed collect")
        self._assign(n.into, value)
        if n.confirm is None:
            return self._continue_or_finish(n.next, "collected")
        items, barge = self._render(n.confirm)

        collect = self._digits(
            CONFIRM_VAR,
            CONFIRM_REGEX,
            tries=n.retries,
            timeout_ms=n.timeout_ms,
            digit_timeout_ms=n.inter_digit_timeout_ms,
        )

        def confirmed(c: ev.Event | None) -> str | None:
            key = c.digits if isinstance(c, ev.Digits) and c.result == "success" else ""
            if key == "1":
                self._decision("entry confirmed (1)")
                return self._continue_or_finish(n.next, "collected")
            if key == "2" and reentries + 1 < n.retries:
                self._decision("caller asked to re-enter (2)")
                return self._collect_attempt(n, reentries + 1, _Tally(), None)
            self._decision("entry not confirmed", target=n.on_fail)
            return self._branch(n.on_fail, "an unconfirmed entry")

        return self._ask(items, barge, collect, confirmed)

    @staticmethod
    def _valid_entry(n: CollectN, value: str) -> bool:
        if not n.min <= len(value) <= n.max:
            return False
        return n.pattern is None or n.pattern.match(value) is not None

    # ------------------------------------------------------------------ fetch

    def _enter_fetch(self, n: FetchN) -> str | None:
        frame = self._frame
        svc = frame.program.services.get(n.service)
        if svc is None:
            self._error(f"unknown service `{n.service}`", {"reason": "missing_service"})
            return None
        url = self._url(svc.url)
        headers = tuple((k, self._text(t)) for k, t, _ in svc.headers)
        body: Any = None
        if svc.body is not None:
            body = {k: self._value(t, f"body {k}") for k, t, _ in svc.body}
        roots = set(svc.roots)
        if n.params:
            params = {k: self._value(t, f"param {k}") for k, t, _ in n.params}
            for _, _, used in n.params:
                roots |= used
            if svc.method in ("GET", "DELETE", "HEAD"):
                query = urlencode([(k, to_text(v)) for k, v in params.items()])
                url = f"{url}{'&' if '?' in url else '?'}{query}"
            else:
                body = {**(body or {}), **params}
        rid = self._next_id("r")
        tid = self._next_id("t")
        guard = svc.timeout_ms * (svc.retries + 1) + FETCH_GUARD_MARGIN_MS
        self._out.append(
            cmd.Fetch(
                rid,
                svc.name,
                svc.method,
                url,
                headers,
                body,
                svc.timeout_ms,
                svc.retries,
                self._tainted(frozenset(roots)),
            )
        )
        self._out.append(cmd.StartTimer(tid, guard))
        self._request, self._timer = rid, tid
        self._wait(
            "fetching",
            (ev.FetchResult, ev.FetchFailed, ev.TimerFired),
            lambda e: self._fetch_done(n, e),
        )
        return None

    def _url(self, t: Template) -> str:
        out: list[str] = []
        for piece in t.parts:
            if isinstance(piece, str):
                out.append(piece)
                continue
            try:
                out.append(_quote(to_text(evaluate(piece.expr, self._frame.scope))))
            except BudgetError:
                raise
            except EvalError as exc:
                self._note(f"URL hole `{{{piece.text}}}` could not be read: {exc.message}")
        return "".join(out)

    def _fetch_done(self, n: FetchN, e: ev.Event | None) -> str | None:
        frame = self._frame
        if isinstance(e, ev.TimerFired):
            failure = "timeout"
            self._note("the host did not answer the fetch in time (guard timer)")
        else:
            if self._timer is not None:
                self._out.append(cmd.CancelTimer(self._timer))
            failure = None
        self._request = self._timer = None
        if isinstance(e, ev.FetchResult):
            if 200 <= e.status < 300:
                frame.ns["result"] = e.body
                frame.sensitive.discard("result")
                self._decision(
                    f"{n.service} answered {e.status}: go to `{n.next}`",
                    status=e.status,
                    target=n.next,
                )
                for name, t, roots in n.set:
                    self._assign(name, self._value(t, name), tainted=self._tainted(roots))
                return n.next
            failure = "error"
            self._note(f"{n.service} answered {e.status}", {"status": e.status})
        elif isinstance(e, ev.FetchFailed):
            failure = e.reason
        frame.ns["result"] = None
        if failure == "timeout":
            target = n.on_timeout or n.on_error
        else:
            target = n.on_error or n.on_timeout
        self._decision(
            f"{n.service} failed ({failure}): go to `{target}`", failure=failure, target=target
        )
        return self._branch(target, f"a failed fetch ({failure})")

    # ------------------------------------------------------------------ queue, transfer

    def _enter_queue(self, n: QueueN) -> str | None:
        priority = self._priority(n)
        self._out.append(
            cmd.Enqueue(
                n.queue,
                priority,
                n.announce,
                n.max_wait_ms,
                n.exit_key,
                n.after,
                n.announce_every_ms,
            )
        )
        self._wait("queued", (ev.QueueResult,), lambda e: self._queue_done(n, priority, e))
        return None

    def _priority(self, n: QueueN) -> int:
        value = self._value(n.priority, "priority")
        if isinstance(value, bool):
            value = None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            value = int(value)
        if isinstance(value, int):
            return value
        self._note(f"priority {value!r} is not a whole number: using 0", {"priority": plain(value)})
        return 0

    def _queue_done(self, n: QueueN, priority: int, e: ev.Event | None) -> str | None:
        assert isinstance(e, ev.QueueResult)
        self._out.append(cmd.QueueDone(n.id, n.queue, priority, e.outcome, e.agent))
        if e.outcome == "answered":
            self._sticky = ("queued", {"queue": n.queue, "priority": priority, "agent": e.agent})
            if n.after is None:
                self._decision(f"agent {e.agent or '?'} answered: the call is with the agent")
                self._sticky = None
                self._end(
                    "queued", {"queue": n.queue, "priority": priority, "agent": e.agent}, None
                )
                return None
            after = n.after
            self._decision(
                f"agent {e.agent or '?'} answered: resume at `{after}` afterwards", target=after
            )
            self._wait("with_agent", (ev.AgentDone,), lambda _: after)
            return None
        target = {"timeout": n.on_timeout, "no_agent": n.on_no_agent, "exit_key": n.on_exit}[
            e.outcome
        ]
        self._decision(
            f"queue {n.queue} ended: {e.outcome}: go to `{target}`",
            outcome=e.outcome,
            target=target,
        )
        return self._branch(target, f"queue {e.outcome}")

    def _enter_transfer(self, n: TransferN) -> str | None:
        items, barge = self._render(n.prompt)
        return self._play_then(items, barge, lambda e: self._transfer(n))

    def _transfer(self, n: TransferN) -> str | None:
        target = self._text(n.target).strip()
        number: str | None = None
        numbers = self._frame.program.numbers
        if target in numbers:
            number = target
            target = self._text(numbers[target]).strip()
        if not target:
            self._decision("the transfer target is empty", target=n.on_fail)
            return self._branch(n.on_fail, "an empty transfer target")
        self._out.append(cmd.Transfer(target, n.mode, number))

        def done(e: ev.Event | None) -> str | None:
            assert isinstance(e, ev.TransferResult)
            if e.ok:
                self._end("transferred", {"target": target, "mode": n.mode, "number": number}, None)
                return None
            self._decision(
                f"transfer to {target} failed ({e.cause})", cause=e.cause, target=n.on_fail
            )
            return self._branch(n.on_fail, f"a failed transfer ({e.cause})")

        self._wait("transferring", (ev.TransferResult,), done)
        return None

    # ------------------------------------------------------------------ voicemail, record

    def _enter_voicemail(self, n: VoicemailN) -> str | None:
        items, barge = self._render(n.prompt)

        def record(_: ev.Event | None) -> str | None:
            self._out.append(cmd.Voicemail(n.mailbox, n.max_length_ms))
            self._wait("recording", (ev.RecordDone,), done)
            return None

        def done(e: ev.Event | None) -> str | None:
            assert isinstance(e, ev.RecordDone)
            self._out.append(cmd.VoicemailLeft(n.id, n.mailbox, e.path, e.duration_ms))
            self._sticky = ("voicemail", {"mailbox": n.mailbox, "path": e.path})
            return self._continue_or_finish(n.next, "message left")

        return self._play_then(items, barge, record)

    def _enter_record(self, n: RecordN) -> str | None:
        items, barge = self._render(n.prompt)

        def record(_: ev.Event | None) -> str | None:
            self._out.append(cmd.Record(n.var, n.max_length_ms, n.beep))
            self._wait("recording", (ev.RecordDone,), done)
            return None

        def done(e: ev.Event | None) -> str | None:
            assert isinstance(e, ev.RecordDone)
            self._assign(n.var, e.path)
            return self._continue_or_finish(n.next, "recorded")

        return self._play_then(items, barge, record)

    # ------------------------------------------------------------------ callback

    def _enter_callback(self, n: CallbackN) -> str | None:
        value = self._value(n.number, "callback number")
        number = to_text(value) if value is not None else ""
        items, barge = self._render(n.prompt)

        def book(num: str, confirmed: bool | None) -> str | None:
            self._out.append(cmd.CallbackBooked(n.id, num, self._now, confirmed))
            self._decision(f"callback to {num or '(unknown)'} booked", number=num)
            return self._continue_or_finish(n.next, "callback booked")

        def entered(e: ev.Event | None) -> str | None:
            if isinstance(e, ev.Digits) and e.result == "success" and e.digits:
                return book(e.digits, True)
            self._note("no other number entered: keeping the first one")
            return book(number, False)

        def answered(e: ev.Event | None) -> str | None:
            key = e.digits if isinstance(e, ev.Digits) and e.result == "success" else ""
            if key == "1":
                return book(number, True)
            if key == "2":
                text = CALLBACK_ENTER_PROMPT.get(self.locale.split("-")[0].lower())
                enter = (cmd.PlayItem("tts", text),) if text else ()
                return self._ask(
                    enter,
                    True,
                    self._digits(
                        CALLBACK_VAR,
                        CALLBACK_NUMBER_REGEX,
                        min=3,
                        max=20,
                        tries=3,
                        timeout_ms=SURVEY_TIMEOUT_MS,
                        digit_timeout_ms=SURVEY_DIGIT_TIMEOUT_MS * 2,
                        terminators="#",
                    ),
                    entered,
                )
            return book(number, False)

        def after_prompt(_: ev.Event | None) -> str | None:
            if n.confirm is None:
                return book(number, None)
            c_items, c_barge = self._render(n.confirm)
            return self._ask(
                c_items,
                c_barge,
                self._digits(
                    CONFIRM_VAR,
                    CONFIRM_REGEX,
                    tries=3,
                    timeout_ms=SURVEY_TIMEOUT_MS,
                    digit_timeout_ms=SURVEY_DIGIT_TIMEOUT_MS,
                ),
                answered,
            )

        return self._play_then(items, barge, after_prompt)

    # ------------------------------------------------------------------ survey

    def _enter_survey(self, n: SurveyN) -> str | None:
        return self._survey_question(n, 0)

    def _survey_question(self, n: SurveyN, index: int) -> str | None:
        if index >= len(n.questions):
            items, barge = self._render(n.thanks)
            return self._play_then(
                items, barge, lambda e: self._continue_or_finish(n.next, "survey done")
            )
        q = n.questions[index]
        items, barge = self._render(q.ask)
        lo, hi, terms, regex = SCALES[q.scale]

        collect = self._digits(
            SURVEY_VAR,
            regex,
            min=lo,
            max=hi,
            tries=q.retries,
            timeout_ms=SURVEY_TIMEOUT_MS,
            digit_timeout_ms=SURVEY_DIGIT_TIMEOUT_MS,
            terminators=terms,
        )

        def answered(e: ev.Event | None) -> str | None:
            answer = _survey_answer(q, e)
            self._survey[q.id] = answer
            self._decision(
                f"survey `{q.id}`: {_answer_text(q, e, answer)}", question=q.id, answer=answer
            )
            self._out.append(cmd.SurveyAnswered(n.id, q.id, q.scale, answer))
            return self._survey_question(n, index + 1)

        return self._ask(items, barge, collect, answered)

    # ------------------------------------------------------------------ subflow

    def _enter_subflow(self, n: SubflowN) -> str | None:
        if len(self._frames) > MAX_DEPTH:
            self._error(f"subflows nested more than {MAX_DEPTH} deep", {"reason": "depth"})
            return None
        module = self._frame.program.modules.get(n.path)
        if module is None:
            self._error(f"no module for subflow `{n.path}`", {"reason": "missing_module"})
            return None
        values: dict[str, Any] = {}
        tainted: set[str] = set()
        for name, t, roots in n.with_:
            value = self._value(t, f"with {name}")
            # Parameters get the module's declared type, as `set` values get theirs: a
            # template without holes is text, and "3" >= 3 would silently be false.
            declared = module.params.get(name)
            values[name] = value if declared is None else self._coerce(name, value, declared)
            if self._tainted(roots):
                tainted.add(name)
        frame = self._frame_for(module, n, values)
        frame.sensitive |= tainted
        self._frames.append(frame)
        self._frame = frame
        self._decision(
            f"call subflow `{module.name}` ({n.path})",
            module=module.name,
            depth=self.depth,
            params={k: self._show(frame, k, v) for k, v in values.items()},
        )
        return module.entry

    def _enter_return(self, n: ReturnN) -> str | None:
        frame = self._frame
        values = {name: self._value(t, f"return {name}") for name, t, _ in n.values}
        tainted = any(self._tainted(roots) for _, _, roots in n.values)
        if frame.call_node is None:
            self._decision("return from the main flow: the call is complete")
            self._end(
                "completed",
                {
                    "cause": "NORMAL_CLEARING",
                    "returned": {k: MASK if tainted else plain(v) for k, v in values.items()},
                },
                "NORMAL_CLEARING",
            )
            return None
        self._frames.pop()
        self._frame = self._frames[-1]
        caller = self._frame
        caller.ns["result"] = values
        if tainted:
            caller.sensitive.add("result")
        else:
            caller.sensitive.discard("result")
        node = frame.call_node
        self.node = node.id
        self._decision(
            f"returned from `{frame.program.name}` to `{node.id}`",
            result={k: MASK if tainted else plain(v) for k, v in values.items()},
        )
        for name, t, roots in node.set:
            self._assign(name, self._value(t, name), tainted=self._tainted(roots))
        return node.next


def _offered_speech(
    n: MenuN, offer: tuple[tuple[str, MenuChoice], ...]
) -> tuple[tuple[str, str, str], ...]:
    """An adaptive menu's speech keywords on one visit. A word is tied to the options that go
    where it goes: it is heard (given to the recogniser, matched) only while one of them is
    offered, so a hidden option is reached by no input. A word to a node no option goes to
    (an agent, say) is offered always, as in a fixed menu."""
    offered = {c.target for _, c in offer}
    optional = {c.target for c in n.choices}
    return tuple(s for s in n.speech if s[2] in offered or s[2] not in optional)


def _match_speech(speech: tuple[tuple[str, str, str], ...], text: str) -> tuple[str, str] | None:
    """Exact match of the normalised text first, else the longest keyword it contains."""
    said = normalize_speech(text)
    if not said:
        return None
    best: tuple[str, str, str] | None = None
    for norm, word, target in speech:
        if norm == said:
            return word, target
        if norm and norm in said and (best is None or len(norm) > len(best[0])):
            best = (norm, word, target)
    return (best[1], best[2]) if best is not None else None


def _answer_text(q: Question, e: ev.Event | None, answer: int | bool | None) -> str:
    """A survey answer as people read it (no Python `None`/`True`)."""
    if isinstance(answer, bool):
        return "yes" if answer else "no"
    if answer is not None:
        return str(answer)
    if isinstance(e, ev.Digits) and e.digits:
        return f"no valid answer ({e.digits} is not on the {q.scale} scale)"
    return "no answer"


def _survey_answer(q: Question, e: ev.Event | None) -> int | bool | None:
    if not isinstance(e, ev.Digits) or e.result != "success":
        return None
    digits = e.digits
    if not re.fullmatch(SCALES[q.scale][3], digits):
        return None
    if q.scale == "yes_no":
        return digits == "1"
    return int(digits)


_ENTER: dict[type[Any], Callable[[Call, Any], str | None]] = {
    MenuN: Call._enter_menu,
    CollectN: Call._enter_collect,
    SwitchN: Call._enter_switch,
    HoursN: Call._enter_hours,
    FetchN: Call._enter_fetch,
    SetN: Call._enter_set,
    PlayN: Call._enter_play,
    QueueN: Call._enter_queue,
    TransferN: Call._enter_transfer,
    VoicemailN: Call._enter_voicemail,
    RecordN: Call._enter_record,
    CallbackN: Call._enter_callback,
    SurveyN: Call._enter_survey,
    SubflowN: Call._enter_subflow,
    ReturnN: Call._enter_return,
    HangupN: Call._enter_hangup,
    GotoN: Call._enter_goto,
}


def _weak_in_hours(call: Call) -> Callable[[str], bool]:
    """`in_hours()` for expressions without a strong reference back to the call: a bound
    method in the call's own namespaces would make every call a reference cycle, which only
    a full (slow) garbage collection frees."""
    ref = weakref.ref(call)

    def in_hours(name: str) -> bool:
        target = ref()
        return target._in_hours(name) if target is not None else False

    return in_hours
