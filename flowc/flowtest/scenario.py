"""Scenarios: one simulated call each, with what the caller does and what must happen.

A `Scenario` is plain data (no interpreter, no simulator): who calls when, the caller's inputs
in order, how look-ups, queues and transfers answer, and the expectations. The simulator
(`flowc.simulate`) plays it against the interpreter; the FreeSWITCH emulator of the runtime can
play the same scenario, and `flowc.flowtest.expect.check_expectations` judges either result.

Scenario files (`*.test.yaml`) are loaded with positions, so every problem in them and every
failed expectation points at the line the author wrote::

    flow: telecom_care.yaml            # relative to this file
    defaults: {at: "2026-10-09 10:00", mocks: {crm: {tier: standard}}}   # merged into each
    scenarios:
      - name: gold customer goes straight to the VIP queue
        caller: "+8613800000000"
        mocks: {crm: {tier: gold, open_ticket: true}}
        inputs: [press 4, press 10]
        expect: {path: [start, identify, route, vip_welcome], outcome: {queue: vip}}

Inputs (consumed in order by whatever asks the caller for input: menus, collects, survey
questions, confirmations; each try of a collect takes one): `press 1`, `press 1234#` (keys;
a bare `1` or `"1234#"` also means press), `say 查话费` (speech), `mumble` (speech nobody
understands), `silence` (no input until the timeout), `hangup` (the caller hangs up instead of
answering). When the inputs run out the caller stays silent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, cast

from flowc.codes import code
from flowc.diagnostics import Diagnostic, FlowcError, Severity, did_you_mean
from flowc.model.values import parse_duration_ms
from flowc.source.document import SourceDoc, Span
from flowc.source.files import (
    MAX_MOCK_BYTES,
    MAX_SCENARIO_BYTES,
    FileRefused,
    check_inside_project,
    read_bounded,
)

FT101 = code("FT101")
FT102 = code("FT102")
FT103 = code("FT103")
FT104 = code("FT104")
FT201 = code("FT201")
FT202 = code("FT202")

DEFAULT_CALLER = "+8613800000000"
DEFAULT_MAX_EVENTS = 10_000
SCENARIO_SUFFIXES = (".test.yaml", ".test.yml")

InputKind = Literal["press", "say", "mumble", "silence", "hangup"]
MockKind = Literal["ok", "error", "timeout", "hang"]
QueueOutcome = Literal["answered", "timeout", "no_agent", "exit_key"]
QUEUE_OUTCOMES: tuple[str, ...] = ("answered", "timeout", "no_agent", "exit_key")
OUTCOME_KINDS: tuple[str, ...] = (
    "hangup",
    "transferred",
    "queued",
    "voicemail",
    "caller_hangup",
    "error",
    "completed",
)
DTMF = frozenset("0123456789*#ABCDabcd")

FILE_KEYS = ("flow", "description", "defaults", "scenarios")
SCENARIO_KEYS = (
    "name",
    "description",
    "skip",
    "caller",
    "caller_name",
    "did",
    "call_id",
    "locale",
    "at",
    "timezone",
    "flags",
    "inputs",
    "mocks",
    "queues",
    "transfers",
    "hangup_at",
    "hangup_after",
    "max_events",
    "expect",
)
EXPECT_KEYS = (
    "path",
    "path_exact",
    "not_visited",
    "heard",
    "not_heard",
    "variables",
    "outcome",
    "survey",
)
# Outcome expectation keys: the outcome's own fields plus shorthands (queue: vip = queued
# in vip; transfer: X; voicemail: mailbox; hangup: CAUSE).
OUTCOME_KEYS = (
    "kind",
    "node",
    "queue",
    "priority",
    "agent",
    "transfer",
    "target",
    "mode",
    "number",
    "voicemail",
    "mailbox",
    "hangup",
    "cause",
    "ended",
    "reason",
    "callback",
)
MOCK_KEYS = ("file", "status", "body", "delay", "responses")
QUEUE_KEYS = ("outcome", "agent", "wait", "talk")
TRANSFER_KEYS = ("ok", "cause")


class ScenarioError(FlowcError):
    """A scenario (file) that cannot be used; `diagnostics` say where and why."""


# ------------------------------------------------------------------------------ the model


@dataclass(frozen=True, slots=True)
class CallerInput:
    """One thing the caller does when asked for input."""

    kind: InputKind
    value: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.value}" if self.value else self.kind


def parse_input(raw: Any) -> CallerInput:
    """`press 12#`, `12#`, `say 查话费`, `mumble`, `silence`, `hangup` (ValueError otherwise)."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(f"`{raw}` is not an input")
    if isinstance(raw, int):
        raw = str(raw)
    if not isinstance(raw, str):
        raise ValueError(f"an input is text such as `press 1`, not {type(raw).__name__}")
    text = raw.strip()
    word, _, rest = text.partition(" ")
    rest = rest.strip()
    lower = word.lower()
    if lower in ("silence", "mumble", "hangup") and not rest:
        return CallerInput(cast(InputKind, lower))
    if lower == "say":
        if not rest:
            raise ValueError("`say` needs words, e.g. `say 查话费`")
        return CallerInput("say", rest)
    if lower == "press":
        keys = "".join(rest.split())
    else:
        keys = "".join(text.split())
    if len(keys) >= 2 and keys[0] == keys[-1] and keys[0] in "'\"":
        keys = keys[1:-1]  # press "#": YAML would read a bare # as a comment
    if keys and all(ch in DTMF for ch in keys):
        return CallerInput("press", keys)
    hint = did_you_mean(lower, ("press", "say", "silence", "mumble", "hangup"))
    raise ValueError(
        f"`{raw}` is not an input: write `press 1`, `say words`, `silence`, `mumble` or "
        f"`hangup`{'; ' + hint if hint else ''}"
    )


@dataclass(frozen=True, slots=True)
class MockResponse:
    """How a look-up answers: `ok` (HTTP `status` with JSON `body`), `error` (no HTTP
    answer: connection refused...), `timeout`, or `hang` (the host never answers: the
    interpreter's guard timer decides)."""

    kind: MockKind = "ok"
    status: int = 200
    body: Any = None
    delay_ms: int | None = None

    def describe(self) -> str:
        if self.kind == "ok":
            return f"HTTP {self.status}"
        return self.kind


@dataclass(frozen=True, slots=True)
class QueueAnswer:
    outcome: QueueOutcome = "answered"
    agent: str | None = None
    wait_ms: int | None = None
    talk_ms: int | None = None


@dataclass(frozen=True, slots=True)
class TransferAnswer:
    ok: bool = True
    cause: str = ""


@dataclass
class Expectations:
    path: list[str] | None = None
    path_exact: list[str] | None = None
    not_visited: list[str] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)
    not_heard: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    outcome: str | dict[str, Any] | None = None
    survey: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return (
            self.path is None
            and self.path_exact is None
            and not self.not_visited
            and not self.heard
            and not self.not_heard
            and not self.variables
            and self.outcome is None
            and not self.survey
        )


@dataclass
class Scenario:
    """One call to simulate (see the module docstring). `at` may be naive: the simulator
    reads it in `timezone`, else the flow's first schedule's timezone, else UTC.

    `mocks`, `queues` and `transfers` hold one answer per use, in order (the last one repeats):
    a service looked up twice with `[error, {...}]` fails first and answers the second time.
    `transfers` is keyed by the logical number name or the target as dialled.
    `spans` maps paths inside the scenario (`("expect", "outcome", "queue")`) to where they
    were written, when the scenario came from a file."""

    name: str = "call"
    flow: Path | None = None
    caller: str = DEFAULT_CALLER
    caller_name: str = ""
    did: str = ""
    call_id: str = ""
    locale: str | None = None
    at: datetime | None = None
    timezone: str | None = None
    flags: dict[str, bool] = field(default_factory=dict)
    inputs: list[CallerInput] = field(default_factory=list)
    mocks: dict[str, list[MockResponse]] = field(default_factory=dict)
    queues: dict[str, list[QueueAnswer]] = field(default_factory=dict)
    transfers: dict[str, list[TransferAnswer]] = field(default_factory=dict)
    hangup_at: str | None = None
    hangup_after_ms: int | None = None
    max_events: int = DEFAULT_MAX_EVENTS
    expect: Expectations = field(default_factory=Expectations)
    description: str = ""
    skip: str | None = None
    file: str | None = None
    line: int | None = None
    spans: dict[tuple[str | int, ...], Span] = field(default_factory=dict)

    def where(self, *path: str | int) -> Span | None:
        """Where `path` (or its nearest ancestor) was written, if known."""
        p = tuple(path)
        while True:
            if p in self.spans:
                return self.spans[p]
            if not p:
                return None
            p = p[:-1]


@dataclass
class ScenarioFile:
    file: str
    path: Path
    flow: Path
    scenarios: list[Scenario]
    description: str = ""
    doc: SourceDoc | None = None
    flow_span: Span | None = None


# ------------------------------------------------------------------------------ reading


_Spans = list[tuple[tuple[str | int, ...], Span]]


class _Reader:
    """Typed access to loaded data with diagnostics at the right position."""

    def __init__(self, doc: SourceDoc | None, file: str, base: Path) -> None:
        self.doc = doc
        self.file = file
        self.base = base
        self.diags: list[Diagnostic] = []
        self._line_starts: list[int] | None = None
        self._groups: dict[tuple[int, bool], dict[tuple[str | int, ...], _Spans]] = {}

    def spans_below(self, path: tuple[str | int, ...], *, key: bool) -> _Spans:
        """The spans of everything below `path`. The document's spans are grouped by their
        first `len(path)` parts once: scanning them all for each of 4,000 scenarios was
        quadratic (33 s)."""
        assert self.doc is not None
        n = len(path)
        groups = self._groups.get((n, key))
        if groups is None:
            groups = {}
            for p, span in (self.doc.key_spans if key else self.doc.spans).items():
                if len(p) > n:
                    groups.setdefault(p[:n], []).append((p, span))
            self._groups[(n, key)] = groups
        return groups.get(path, [])

    def span(self, path: tuple[str | int, ...], *, key: bool = False) -> Span:
        if self.doc is None:
            return Span.whole_file(self.file)
        return self.doc.span_of(path, key=key)

    def error(
        self,
        code: str,
        message: str,
        path: tuple[str | int, ...],
        hint: str | None = None,
        *,
        key: bool = False,
    ) -> None:
        self.diags.append(Diagnostic(code, Severity.ERROR, message, self.span(path, key=key), hint))

    def raw_text(self, path: tuple[str | int, ...]) -> str | None:
        """The scalar at `path` as written (YAML reads `+8613800000000` as a number)."""
        doc = self.doc
        if doc is None or path not in doc.spans:
            return None
        if self._line_starts is None:
            starts = [0]
            for i, ch in enumerate(doc.text):
                if ch == "\n":
                    starts.append(i + 1)
            self._line_starts = starts
        s = doc.spans[path]
        ls = self._line_starts
        if s.line > len(ls) or s.end_line > len(ls):
            return None
        text = doc.text[ls[s.line - 1] + s.col - 1 : ls[s.end_line - 1] + s.end_col - 1]
        return text.strip() or None

    def keys(
        self, data: Mapping[str, Any], path: tuple[str | int, ...], allowed: Iterable[str]
    ) -> None:
        allowed = tuple(allowed)
        for key in data:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed) or f"known keys: {', '.join(allowed)}"
                self.error(FT101, f"unknown key `{key}`", (*path, key), hint, key=True)

    def text(self, value: Any, path: tuple[str | int, ...], what: str) -> str | None:
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.raw_text(path) or str(value)
        self.error(FT102, f"{what} must be text, not {_type(value)}", path)
        return None

    def mapping(self, value: Any, path: tuple[str | int, ...], what: str) -> dict[str, Any]:
        if value is None:
            return {}
        if isinstance(value, Mapping):
            return dict(value)
        self.error(FT102, f"{what} must be a mapping, not {_type(value)}", path)
        return {}

    def text_list(self, value: Any, path: tuple[str | int, ...], what: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            t = self.text(value, path, what)
            return [t] if t is not None else []
        if not isinstance(value, list):
            self.error(FT102, f"{what} must be a list, not {_type(value)}", path)
            return []
        out = []
        for i, item in enumerate(value):
            t = self.text(item, (*path, i), f"{what} items")
            if t is not None:
                out.append(t)
        return out

    def duration(self, value: Any, path: tuple[str | int, ...]) -> int | None:
        try:
            return parse_duration_ms(value)
        except ValueError as exc:
            self.error(FT102, str(exc), path)
            return None


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def parse_time(text: str) -> datetime:
    """`2026-10-01 09:30`, `2026-10-01T09:30:00+08:00` ... (ValueError otherwise)."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"cannot read the time `{text}`; write e.g. `2026-10-01 09:30` or "
            "`2026-10-01T09:30:00+08:00`"
        ) from None


def _seq(value: Any) -> list[tuple[int | None, Any]]:
    """A value or a list of values, each with its index in the list (None: not a list)."""
    if isinstance(value, list):
        return list(enumerate(value))
    return [(None, value)]


def _at(path: tuple[str | int, ...], index: int | None) -> tuple[str | int, ...]:
    return path if index is None else (*path, index)


def _mock(r: _Reader, value: Any, path: tuple[str | int, ...]) -> list[MockResponse]:
    if isinstance(value, Mapping) and "responses" in value:
        r.keys(value, path, ("responses",))
        items = value["responses"]
        if not isinstance(items, list) or not items:
            r.error(FT102, "`responses` is a non-empty list of answers", (*path, "responses"))
            return []
        out: list[MockResponse] = []
        for i, item in enumerate(items):
            out += _one_mock(r, item, (*path, "responses", i))
        return out
    return _one_mock(r, value, path)


def _one_mock(r: _Reader, value: Any, path: tuple[str | int, ...]) -> list[MockResponse]:
    if isinstance(value, str) and value in ("error", "timeout", "hang"):
        return [MockResponse(cast(MockKind, value))]
    special = (
        isinstance(value, Mapping)
        and value
        and set(value) <= set(MOCK_KEYS)
        and ("file" in value or "body" in value or isinstance(value.get("status"), int))
    )
    if not special:
        # Anything else is the JSON body of an HTTP 200 answer.
        return [MockResponse("ok", 200, value)]
    assert isinstance(value, Mapping)
    status = value.get("status", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        r.error(FT102, "`status` is an HTTP status code (100-599)", (*path, "status"))
        status = 200
    delay = r.duration(value["delay"], (*path, "delay")) if "delay" in value else None
    body = value.get("body")
    if "file" in value:
        name = r.text(value["file"], (*path, "file"), "`file`")
        if name is None:
            return []
        target = r.base / name
        try:
            if r.doc is not None:  # a path written in a scenario file stays in the project
                check_inside_project(target, r.base / "_", name)
            data = read_bounded(target, MAX_MOCK_BYTES)  # never a FIFO, /dev/zero, ...
            body = json.loads(data.decode("utf-8", errors="replace"))
        except OSError as exc:
            r.error(
                FT202,
                f"cannot read mock file `{name}`: {exc.strerror or exc}",
                (*path, "file"),
                exc.hint
                if isinstance(exc, FileRefused)
                else "the path is relative to the current folder"
                if r.doc is None
                else f"the path is relative to {r.file}",
            )
            return []
        except json.JSONDecodeError as exc:
            r.error(
                FT202,
                f"mock file `{name}` is not JSON: {exc.msg} at line {exc.lineno}",
                (*path, "file"),
            )
            return []
        except ValueError as exc:  # e.g. an integer of more than 4,300 digits
            r.error(FT202, f"mock file `{name}` cannot be read: {exc}", (*path, "file"))
            return []
    return [MockResponse("ok", status, body, delay)]


def _queue(r: _Reader, value: Any, path: tuple[str | int, ...]) -> list[QueueAnswer]:
    out: list[QueueAnswer] = []
    for i, item in _seq(value):
        p = _at(path, i)
        if isinstance(item, str):
            if item not in QUEUE_OUTCOMES:
                hint = did_you_mean(item, QUEUE_OUTCOMES) or f"one of {', '.join(QUEUE_OUTCOMES)}"
                r.error(FT102, f"`{item}` is not a queue outcome", p, hint)
                continue
            out.append(QueueAnswer(cast(QueueOutcome, item)))
        elif isinstance(item, Mapping):
            r.keys(item, p, QUEUE_KEYS)
            outcome = item.get("outcome", "answered")
            if outcome not in QUEUE_OUTCOMES:
                guess = did_you_mean(str(outcome), QUEUE_OUTCOMES)
                r.error(FT102, f"`{outcome}` is not a queue outcome", (*p, "outcome"), guess)
                continue
            agent = item.get("agent")
            out.append(
                QueueAnswer(
                    cast(QueueOutcome, outcome),
                    r.text(agent, (*p, "agent"), "`agent`") if agent is not None else None,
                    r.duration(item["wait"], (*p, "wait")) if "wait" in item else None,
                    r.duration(item["talk"], (*p, "talk")) if "talk" in item else None,
                )
            )
        else:
            r.error(FT102, "a queue answer is an outcome or a mapping", p)
    return out


def _transfer(r: _Reader, value: Any, path: tuple[str | int, ...]) -> list[TransferAnswer]:
    out: list[TransferAnswer] = []
    for i, item in _seq(value):
        p = _at(path, i)
        if item in ("ok", True):
            out.append(TransferAnswer(True))
        elif item in ("fail", False):
            out.append(TransferAnswer(False, "NO_ANSWER"))
        elif isinstance(item, Mapping):
            r.keys(item, p, TRANSFER_KEYS)
            ok = item.get("ok", False)
            if not isinstance(ok, bool):
                r.error(FT102, "`ok` is true or false", (*p, "ok"))
                continue
            cause = item.get("cause", "" if ok else "NO_ANSWER")
            out.append(TransferAnswer(ok, str(cause)))
        else:
            hint = did_you_mean(str(item), ("ok", "fail")) or "write `ok` or `fail`"
            r.error(FT102, f"`{item}` is not a transfer outcome", p, hint)
    return out


def _answers(
    r: _Reader, value: Any, path: tuple[str | int, ...], what: str, parse: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in r.mapping(value, path, what).items():
        parsed = parse(r, spec, (*path, name))
        if parsed:
            out[str(name)] = parsed
    return out


def _expect(r: _Reader, value: Any, path: tuple[str | int, ...]) -> Expectations:
    data = r.mapping(value, path, "`expect`")
    r.keys(data, path, EXPECT_KEYS)
    e = Expectations()
    if "path" in data:
        e.path = r.text_list(data["path"], (*path, "path"), "`path`")
    if "path_exact" in data:
        e.path_exact = r.text_list(data["path_exact"], (*path, "path_exact"), "`path_exact`")
    e.not_visited = r.text_list(data.get("not_visited"), (*path, "not_visited"), "`not_visited`")
    e.heard = r.text_list(data.get("heard"), (*path, "heard"), "`heard`")
    e.not_heard = r.text_list(data.get("not_heard"), (*path, "not_heard"), "`not_heard`")
    e.variables = r.mapping(data.get("variables"), (*path, "variables"), "`variables`")
    e.survey = r.mapping(data.get("survey"), (*path, "survey"), "`survey`")
    if "outcome" in data:
        raw = data["outcome"]
        p = (*path, "outcome")
        if isinstance(raw, str):
            if raw not in OUTCOME_KINDS:
                hint = did_you_mean(raw, OUTCOME_KINDS) or f"one of {', '.join(OUTCOME_KINDS)}"
                r.error(FT102, f"`{raw}` is not an outcome", p, hint)
            else:
                e.outcome = raw
        elif isinstance(raw, Mapping):
            r.keys(raw, p, OUTCOME_KEYS)
            kind = raw.get("kind")
            if kind is not None and kind not in OUTCOME_KINDS:
                guess = did_you_mean(str(kind), OUTCOME_KINDS)
                r.error(FT102, f"`{kind}` is not an outcome", (*p, "kind"), guess)
            e.outcome = {str(k): v for k, v in raw.items()}
        else:
            r.error(FT102, "`outcome` is an outcome name or a mapping", p)
    return e


def _flags(r: _Reader, value: Any, path: tuple[str | int, ...]) -> dict[str, bool]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {value: True}
    if isinstance(value, list):
        return {str(v): True for v in value}
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(v, bool):
                r.error(FT102, f"flag `{k}` is true or false", (*path, k))
            else:
                out[str(k)] = v
        return out
    r.error(FT102, "`flags` is a list of flag names or a mapping of name: true/false", path)
    return {}


def _merge(defaults: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` over `defaults`; the answer tables (mocks, queues, transfers) merge by name."""
    out = dict(defaults)
    for key, value in data.items():
        base = out.get(key)
        if key in ("mocks", "queues", "transfers") and isinstance(base, Mapping):
            if isinstance(value, Mapping):
                value = {**base, **value}
        out[key] = value
    return out


def build_scenario(
    data: Mapping[str, Any],
    *,
    base_dir: Path | str = ".",
    doc: SourceDoc | None = None,
    path: tuple[str | int, ...] = (),
    defaults: Mapping[str, Any] | None = None,
    defaults_path: tuple[str | int, ...] = (),
    file: str = "<scenario>",
    flow: Path | None = None,
) -> Scenario:
    """A scenario from plain data (one item of a file's `scenarios`, or built by a tool).
    Raises `ScenarioError` with positioned diagnostics when something is wrong."""
    r = _Reader(doc, file, Path(base_dir))
    sc = _build(r, data, path, defaults or {}, defaults_path, flow)
    if r.diags:
        raise ScenarioError(r.diags)
    return sc


def _build(
    r: _Reader,
    data: Mapping[str, Any],
    path: tuple[str | int, ...],
    defaults: Mapping[str, Any],
    defaults_path: tuple[str | int, ...],
    flow: Path | None,
) -> Scenario:
    r.keys(data, path, SCENARIO_KEYS)
    merged = _merge(defaults, data)

    def where(key: str) -> tuple[str | int, ...]:
        return (*path, key) if key in data else (*defaults_path, key)

    name = data.get("name")
    sc = Scenario(flow=flow, file=r.file)
    sc.line = r.span(path).line if r.doc is not None else None
    if name is None:
        r.error(FT103, "a scenario needs a `name`", path, "add `name: what this call checks`")
    else:
        sc.name = r.text(name, (*path, "name"), "`name`") or "?"
    for key in ("caller", "caller_name", "did", "call_id", "locale", "timezone", "hangup_at"):
        if merged.get(key) is not None:
            value = r.text(merged[key], where(key), f"`{key}`")
            if value is not None:
                setattr(sc, key, value)
    for key in ("description", "skip"):
        if data.get(key) is not None:
            setattr(sc, key, str(data[key]))
    if sc.timezone is not None:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(sc.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            r.error(FT102, f"unknown timezone `{sc.timezone}`", where("timezone"))
            sc.timezone = None
    if merged.get("at") is not None:
        at = r.text(merged["at"], where("at"), "`at`")
        if at is not None:
            try:
                sc.at = parse_time(at)
            except ValueError as exc:
                r.error(FT102, str(exc), where("at"))
    sc.flags = _flags(r, merged.get("flags"), where("flags"))
    raw_inputs = merged.get("inputs")
    if raw_inputs is not None:
        p = where("inputs")
        items = raw_inputs if isinstance(raw_inputs, list) else [raw_inputs]
        for i, item in enumerate(items):
            ip = (*p, i) if isinstance(raw_inputs, list) else p
            if isinstance(item, int | float) and not isinstance(item, bool):
                item = r.raw_text(ip) or str(item)
            try:
                sc.inputs.append(parse_input(item))
            except ValueError as exc:
                r.error(FT102, str(exc), ip)
    sc.mocks = _answers(r, merged.get("mocks"), where("mocks"), "`mocks`", _mock)
    sc.queues = _answers(r, merged.get("queues"), where("queues"), "`queues`", _queue)
    sc.transfers = _answers(
        r, merged.get("transfers"), where("transfers"), "`transfers`", _transfer
    )
    if merged.get("hangup_after") is not None:
        sc.hangup_after_ms = r.duration(merged["hangup_after"], where("hangup_after"))
    if merged.get("max_events") is not None:
        me = merged["max_events"]
        if not isinstance(me, int) or isinstance(me, bool) or me < 1:
            r.error(FT102, "`max_events` is a positive whole number", where("max_events"))
        else:
            sc.max_events = me
    sc.expect = _expect(r, data.get("expect"), (*path, "expect"))
    if r.doc is not None:
        n = len(path)
        for p, span in r.spans_below(path, key=False):
            sc.spans[p[n:]] = span
        for p, span in r.spans_below(path, key=True):
            sc.spans.setdefault(p[n:], span)
        sc.spans[()] = r.span(path)
    return sc


def _refused(target: Path, referrer: Path, written: str) -> FileRefused | None:
    """Why the flow a scenario names is not read (outside the project, a loop, not a regular
    file), or None."""
    try:
        check_inside_project(target, referrer, written)
        if target.exists() and not target.is_file():
            raise FileRefused(
                "not_regular", f"`{written}` is not a regular file", "name a flow file"
            )
    except FileRefused as exc:
        return exc
    except OSError:
        return None
    return None


def load_scenario_file(path: Path, display: str | None = None) -> ScenarioFile:
    """Load and validate a `*.test.yaml` file. Raises `ScenarioError` (positioned
    diagnostics, unknown keys with "did you mean") when anything in it is wrong."""
    from flowc.pipeline import display_path
    from flowc.source.yaml_loader import load_yaml_file

    name = display or display_path(path)
    doc = load_yaml_file(path, display_name=name, max_bytes=MAX_SCENARIO_BYTES)  # FlowcError
    r = _Reader(doc, name, path.parent)
    data = doc.data
    assert isinstance(data, dict)
    r.keys(data, (), FILE_KEYS)
    flow_path = path
    flow_span = None
    if "flow" not in data:
        r.error(FT103, "a scenario file needs `flow:` (the flow file, relative to it)", ())
    else:
        flow_text = r.text(data["flow"], ("flow",), "`flow`")
        flow_span = r.span(("flow",))
        if flow_text is not None:
            flow_path = path.parent / flow_text
            refused = _refused(flow_path, path, flow_text)
            if refused is not None:
                # never loaded, so nothing of it (`/etc/shadow`) reaches a diagnostic
                r.error(FT201, f"flow file not read: {refused.message}", ("flow",), refused.hint)
                flow_path = path
            elif not flow_path.is_file():
                siblings = [p.name for p in path.parent.glob("*.y*ml")]
                hint = did_you_mean(flow_text, siblings) or "the path is relative to this file"
                r.error(FT201, f"no flow file `{flow_text}`", ("flow",), hint)
    defaults = r.mapping(data.get("defaults"), ("defaults",), "`defaults`")
    if defaults:
        allowed = [k for k in SCENARIO_KEYS if k not in ("name", "expect", "skip")]
        r.keys(defaults, ("defaults",), allowed)
        defaults = {k: v for k, v in defaults.items() if k in allowed}
    scenarios: list[Scenario] = []
    raw = data.get("scenarios")
    if not isinstance(raw, list) or not raw:
        r.error(FT103, "`scenarios` is a non-empty list of scenarios", ("scenarios",))
        raw = []
    names: dict[str, int] = {}
    for i, item in enumerate(raw):
        p: tuple[str | int, ...] = ("scenarios", i)
        if not isinstance(item, Mapping):
            r.error(FT102, "a scenario is a mapping with `name`, inputs and `expect`", p)
            continue
        sc = _build(r, item, p, defaults, ("defaults",), flow_path)
        if sc.name in names:
            r.error(
                FT104,
                f"two scenarios are named `{sc.name}`",
                (*p, "name"),
                f"the first one is at line {names[sc.name]}",
            )
        names[sc.name] = sc.line or 0
        scenarios.append(sc)
    if r.diags:
        unique = {(d.code, d.span, d.message): d for d in r.diags}
        raise ScenarioError(sorted(unique.values(), key=Diagnostic.sort_key))
    description = str(data.get("description") or "")
    return ScenarioFile(name, path, flow_path, scenarios, description, doc, flow_span)
