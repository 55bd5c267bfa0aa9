"""What the journal keeps of each call for `flowc replay` (the `call_replay` table).

`observer_for(driver, chained)` gives the call's driver an observer that sees every command
the call executes and every event it is given (the driver already calls one: `CallHost.
observer`); at the call's `End` it journals one `ReplayLog` (layout: `flowc.replay.format`):

* the start time, the caller's attributes the interpreter was given (number, name, DID,
  locale) and the flags the call ran with;
* every answer the interpreter got, in order, with its time: a sensitive entry is kept as a
  valid/invalid marker (and a keyed hash when `FLOWC_REPLAY_KEY` is set), never its digits;
  a look-up answer is cut to the fields the flow reads, those assigned to sensitive variables
  masked; queue, transfer and recording outcomes;
* what each command asked (prompt hashes, services, queues), the path and the interpreter's
  outcome, and the bundle and flow hashes.

A call that goes to an agent with a queue `after` (the survey) is journaled in two parts:
part 0 when the agent answers (`open`: the call goes on), part 1 when the call ends, by this
driver (it adopted the resume socket) or by the one that served the resume (another
instance, or after a restart); the reader joins them. A call the runtime ends without an
`End` (a driver defect) has no replay log; `flowc replay` says so.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.replay.fields import prune, read_paths, sensitive_paths
from flowc.replay.format import LOG_VERSION, ask_of

__all__ = ["ReplayRecorder", "observer_for"]

Observer = Callable[[str, "cmd.Command | ev.Event"], None]
_KEY = os.environb.get(b"FLOWC_REPLAY_KEY") or None


def observer_for(driver: Any, chained: Observer | None) -> Observer | None:
    """The observer a call driver uses: a recorder when it journals (`driver.host.journal`),
    else `chained` as is."""
    journal = driver.host.journal
    if journal is None:
        return chained
    return ReplayRecorder(driver, chained, journal)


class ReplayRecorder:
    """Builds one call's replay log from what the driver's observer sees (see the module
    docstring); `driver` is a `runtime.driver.CallDriver`."""

    __slots__ = (
        "_asks",
        "_chained",
        "_collect_secret",
        "_events",
        "_fetch",
        "_input",
        "_journal",
        "_node",
        "_part",
        "_path",
        "_queue",
        "_ref",
        "_resume_at",
        "_start",
        "_target",
        "_written",
    )

    def __init__(self, driver: Any, chained: Observer | None, journal: Any) -> None:
        # Weakly: the driver holds this recorder (its observer); a strong reference back
        # would make every finished call a reference cycle (tests/server/test_no_cycles.py).
        self._ref = weakref.ref(driver)
        self._chained = chained
        self._journal = journal  # a `runtime.journal.Journal` (anything with `record`)
        self._events: list[dict[str, Any]] = []
        self._asks: list[str] = []
        self._path: list[str] = []
        self._node = ""
        self._fetch = ""
        self._queue = ""
        self._resume_at: str | None = None
        self._part: int | None = None  # known at the first thing seen (see `_begin`)
        self._target = ""
        self._collect_secret = False
        # the last input, and the call's count of refused inputs before it was handled
        self._input: tuple[dict[str, Any], int] | None = None
        self._start: datetime | None = None
        self._written = False

    def __call__(self, call_id: str, item: cmd.Command | ev.Event) -> None:
        try:
            if self._part is None:
                self._begin()
            if isinstance(item, ev.Event):
                self._event(item)
            else:
                self._command(item)
        except Exception:  # pragma: no cover - recording must never break a call
            self._written = True
        chained = self._chained
        if chained is not None:
            chained(call_id, item)

    @property
    def _driver(self) -> Any:
        driver = self._ref()
        if driver is None:  # pragma: no cover - the driver calls its observer
            raise LookupError("the call's driver is gone")
        return driver

    def _begin(self) -> None:
        """Part 1 when this driver serves the resume of a call begun elsewhere (its start is
        not the flow's entry), else part 0."""
        trace = self._driver.call.trace
        entry = self._driver.program.entry
        first = trace[0] if trace else None
        resumed = first is not None and not first.why.endswith(f"at `{entry}`")
        self._part = 1 if resumed else 0

    # ---- commands ---------------------------------------------------------------------------
    def _command(self, c: cmd.Command) -> None:
        if self._input is not None:
            self._settle_input()
        if isinstance(c, cmd.NodeEntered):
            program = self._driver.program
            flow = c.flow
            node = c.node
            self._node = node if flow == program.name else f"{flow}.{node}"
            self._path.append(self._node)
            return
        if isinstance(c, cmd.End):
            self._write(c.outcome)
            return
        ask = ask_of(self._node, c)
        if ask is None:
            return
        self._asks.append(ask)
        if isinstance(c, cmd.Collect):
            self._collect_secret = bool(c.sensitive)
        elif isinstance(c, cmd.Fetch):
            self._fetch = c.service
        elif isinstance(c, cmd.Enqueue):
            self._queue = c.queue
            self._resume_at = c.resume_at
        elif isinstance(c, cmd.Transfer):
            self._target = c.target

    def _settle_input(self) -> None:
        """Mark the last input `nm` when the flow did not accept it (`Call.rejected_inputs`
        grew while handling it)."""
        entry, mark = self._input or ({}, 0)
        self._input = None
        if self._driver.call.rejected_inputs > mark:
            entry["nm"] = 1
            if "v" in entry:
                entry["v"] = 0  # a secret entry counts as valid only if the flow took it

    # ---- events -----------------------------------------------------------------------------
    def _ms(self, at: datetime) -> int:
        start = self._start
        if start is None:
            start = self._start = self._call_start(at)
        return max(0, int((at - start).total_seconds() * 1000))

    def _call_start(self, fallback: datetime) -> datetime:
        trace = self._driver.call.trace
        first = trace[0] if trace else None
        return first.at if first is not None and first.kind == "start" else fallback

    def _event(self, e: ev.Event) -> None:
        if self._input is not None:
            self._settle_input()
        entry: dict[str, Any] = {"t": e.type, "ms": self._ms(e.at)}
        if isinstance(e, ev.Digits):
            entry["r"] = e.result
            if e.terminator:
                entry["k"] = e.terminator
            if self._collect_secret:
                entry["v"] = 1 if e.result == "success" and e.digits else 0
                if _KEY is not None and e.digits:
                    entry["h"] = _hash(e.digits)
            else:
                entry["d"] = e.digits
            self._input = (entry, self._driver.call.rejected_inputs)
        elif isinstance(e, ev.SpeechResult):
            if self._collect_secret:
                entry["v"] = 1 if e.text.strip() else 0
            else:
                entry["x"] = e.text
            entry["c"] = e.confidence
            self._input = (entry, self._driver.call.rejected_inputs)
        elif isinstance(e, ev.SpeechNoMatch):
            entry["r"] = e.reason
            self._input = (entry, self._driver.call.rejected_inputs)
        elif isinstance(e, ev.FetchResult):
            program = self._driver.program
            entry["s"] = self._fetch
            entry["st"] = e.status
            entry["b"] = prune(e.body, read_paths(program), sensitive_paths(program))
        elif isinstance(e, ev.FetchFailed):
            entry["s"] = self._fetch
            entry["r"] = e.reason
        elif isinstance(e, ev.TimerFired):
            entry["s"] = self._fetch
        elif isinstance(e, ev.QueueResult):
            entry["q"] = self._queue
            entry["o"] = e.outcome
            if e.agent:
                entry["a"] = e.agent
            if e.outcome == "answered" and self._resume_at and self._part == 0:
                # The call may go on on another instance: journal what we have now.
                self._events.append(entry)
                self._write(None)
                return
        elif isinstance(e, ev.TransferResult):
            entry["to"] = self._target
            entry["ok"] = e.ok
            if e.cause:
                entry["cause"] = e.cause
        elif isinstance(e, ev.RecordDone):
            entry["p"] = e.path
            entry["dur"] = e.duration_ms
        elif isinstance(e, ev.Hangup):
            entry["c"] = e.cause
        self._events.append(entry)

    # ---- the end ----------------------------------------------------------------------------
    def _write(self, outcome: Any) -> None:
        """Journal the log; `outcome` None: part 0 of a call that goes on after an agent
        (the recorder then starts part 1, should this driver go on with the call)."""
        if self._written:
            return
        d = self._driver
        journal = self._journal
        from runtime.journal import ReplayLog

        info = d.info
        start = self._start or self._call_start(d.now())
        part = self._part or 0
        data = {
            "v": LOG_VERSION,
            "flow": d.flow,
            "bundle": d.bundle.hash,
            "version": d.bundle.versions.get(d.flow, ""),
            "start": start.isoformat(),
            "part": part,
            "open": outcome is None,
            "caller": {
                "number": info.caller_number,
                "name": info.caller_name,
                "did": info.did,
                "locale": info.locale,
            },
            "flags": dict(d.call.flags),
            "events": self._events,
            "asks": self._asks,
            "path": self._path,
            "end": None if outcome is None else {"kind": outcome.kind, "node": outcome.node},
        }
        journal.record(ReplayLog(d.call_id, data, part))
        if outcome is None:
            self._part = 1
            self._events, self._asks, self._path = [], [], []
            self._start = None
        else:
            self._written = True


def _hash(digits: str) -> str:
    assert _KEY is not None
    return hmac.new(_KEY, digits.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
