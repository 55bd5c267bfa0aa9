"""The pieces of the hostile-input campaign (issue 12, `test_hostile_campaign.py`).

* `CASES`: a hypothesis strategy of one call: the CRM look-up's HTTP answer (status and raw
  body: JSON with hostile strings, huge numbers, wrong types, deep nesting, malformed bodies)
  and the caller (caller-ID name, the keys typed at each collect try incl. `*` and `#`,
  silences, a hang-up at any point, what the queue and the transfer's far end do);
* `LookupServer`: the loopback CRM, answering each call by its caller number (`ani=`);
* `wire_hazards`: what, in the bytes the runtime sent for one call, FreeSWITCH would expand,
  split or misread; `Sinks` counts which places the calls reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from hypothesis import strategies as st

from runtime.emulator.fsutil import separate_string

# ------------------------------------------------------------------ what is generated

# Pieces FreeSWITCH acts on (expansion, API calls, variable blocks, list and delimiter
# syntax, header framing, tokenizer escapes) and text around them.
FRAGMENTS: Final = [
    "${system(id)}",
    "$${x}",
    "${",
    "$${",
    "$$${hostname}",
    "${say_string(en.wav en CURRENCY PRONOUNCED 1)}",
    "${uuid_kill(${uuid})}",
    "{a=b}user/1",
    "{execute_on_answer=system id}",
    "[leg_timeout=1]",
    "<x=y>",
    "^^:",
    "^^|a=b|c=d",
    ",",
    "|",
    ":_:",
    "\n",
    "\r",
    "\r\n\r\n",
    "\ncall-command: hangup\n",
    "\n\nsendmsg\ncall-command: execute\nexecute-app-name: bridge\n",
    "\x00",
    "\t",
    "\x1b[2J",
    "\x7f",
    "\x85",
    "'",
    '"',
    "\\",
    "\\'",
    "\\n",
    "\\s",
    " ",
    "  ",
    "!",
    "#",
    "*",
    "*#",
    "+",
    "-",
    ".",
    "=",
    "%",
    "0",
    "1",
    "9",
    "12.50",
    "1e308",
    "1000",
    "+19005550100",
    "sip:",
    "sip:agent@example.com",
    "user/",
    "sofia/gateway/carrier/+19005550100",
    "loopback/1000/default",
    "1000,sofia/gateway/carrier/+19005550100",
    "say:",
    "file_string://",
    "silence_stream://250",
    "@",
    "/",
    "2026-10-20",
    "08:30",
    "\u202e",  # right-to-left override
    "\u202d",
    "\u2066",
    "\u200b",
    "\u2028",
    "\u2029",
    "\ufeff",
    "回电号码",
    "ﷺ",
    "é",
    "😀",
]
_LONG_UNITS: Final = ["${system(id)}", "A", "9", "^^:", "\\'", "零", "{a=b},", " "]

HOSTILE_TEXT: Final = st.one_of(
    st.lists(
        st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), min_size=1, max_size=10
    ).map("".join),
    st.text(max_size=30),
    st.sampled_from(FRAGMENTS),
    # very long: past fsarg.MAX_TEXT, and past what one ESL header line should carry
    st.tuples(st.sampled_from(_LONG_UNITS), st.integers(300, 3000)).map(lambda p: p[0] * p[1]),
)
HUGE_NUMBERS: Final = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([10**63, -(10**64), 10**200, 2**1000]),
    st.floats(allow_nan=True, allow_infinity=True),
)
_SCALARS: Final = st.one_of(st.none(), st.booleans(), HUGE_NUMBERS, HOSTILE_TEXT)
JSON_VALUE: Final = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(HOSTILE_TEXT, inner, max_size=3)
    ),
    max_leaves=6,
)


def _nested(depth: int) -> Any:
    value: Any = "${system(id)}"
    for _ in range(depth):
        value = [value]
    return value


# Values of the right kind for each field, so the sinks behind a type check (say values,
# dial strings) are reached with data that passes it, next to data that does not.
_PLAUSIBLE: Final[dict[str, Any]] = {
    "name": st.sampled_from(["Alice", "王小明", "O'Brien", "Zoë"]),
    "note": st.sampled_from(["gold member", "call back", ""]),
    "amount": st.one_of(
        st.decimals(min_value=-(10**6), max_value=10**9, places=2).map(str),
        st.integers(-(10**9), 10**15),
        st.sampled_from(["12.50", "-3", "0.01", "1e5", "12,50", "$12", "١٢.٥٠", "１２"]),
    ),
    "points": st.one_of(
        st.integers(-(10**15), 10**15), st.sampled_from(["007", "1.5", "1_000", "٣", "²"])
    ),
    "code": st.one_of(
        st.from_regex(r"\+?[0-9*#]{1,20}", fullmatch=True), st.sampled_from(["12 34", "１２"])
    ),
    "due": st.one_of(
        st.dates().map(str),
        st.datetimes().map(lambda d: d.isoformat()),
        st.sampled_from(["2026-02-30", "2026-10-20T08:30:00Z", "20261020", "２０２６-10-20"]),
    ),
    "ext": st.one_of(
        st.from_regex(r"\+?[0-9]{3,12}", fullmatch=True),
        st.sampled_from(
            [
                "sip:agent@example.com",
                "sip:agent@example.com:5080",
                "{execute_on_answer=system id}user/1000",
                "1000,sofia/gateway/carrier/+19005550100",
                "1000|user/1001",
                "user/1000",
                "loopback/9196/default",
                "sip:a@b;transport=tcp",
                "1000:_:2000",
            ]
        ),
    ),
}
FIELDS: Final = tuple(_PLAUSIBLE)
_FIELD_VALUE: Final = {  # about half of them plausible
    name: st.one_of(plausible, plausible, HOSTILE_TEXT, JSON_VALUE)
    for name, plausible in _PLAUSIBLE.items()
}
# The transfer target is always there, mostly a number or sip: URI that makes a dial string.
_EXT: Final = st.one_of(
    st.from_regex(r"\+?[0-9]{3,12}", fullmatch=True),
    st.from_regex(r"sip:[a-z0-9.]{1,12}@[a-z0-9.]{1,20}(:[0-9]{1,5})?", fullmatch=True),
    _FIELD_VALUE["ext"],
)

_ANSWER: Final = st.fixed_dictionaries(
    {"ext": _EXT}, optional={name: _FIELD_VALUE[name] for name in FIELDS if name != "ext"}
).flatmap(lambda d: st.dictionaries(HOSTILE_TEXT, JSON_VALUE, max_size=2).map(lambda x: {**x, **d}))


def _raw(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


# (status, body bytes): mostly a JSON object with the fields; also wrong types at the top,
# errors, and bodies that are not (or barely) JSON
LOOKUP_ANSWERS: Final = st.one_of(
    st.tuples(st.just(200), _ANSWER.map(_raw)),
    st.tuples(st.just(200), _ANSWER.map(_raw)),
    st.tuples(st.just(200), _ANSWER.map(_raw)),
    st.tuples(st.sampled_from([200, 404, 500]), JSON_VALUE.map(_raw)),
    st.tuples(
        st.just(200),
        st.sampled_from(
            [
                b"{not json",
                b"",
                b"NaN",
                b'{"amount": Infinity, "points": -Infinity, "code": NaN}',
                b'{"amount": 1' + b"0" * 5000 + b"}",  # past Python's int digit limit
                b'{"name": "\\ud800"}',  # a lone surrogate
                b'{"name": "a", "name": "${system(id)}"}',  # duplicate key
                b"\xff\xfe{}",
                b"[" * 100_000 + b"]" * 100_000,  # deeper than the parser's recursion
            ]
        ),
    ),
    st.tuples(st.just(200), st.integers(300, 990).map(lambda n: _raw({"name": _nested(n)}))),
)

# One collect try's input: typed keys (incl. `*`, `#`), nothing, or a hang-up.
_KEYS: Final = st.one_of(
    st.text(alphabet="0123456789*#", min_size=1, max_size=16),
    st.sampled_from(["*#", "#", "*", "123#", "0", "12345678901234567890#"]),
)
CALLER_INPUT: Final = st.one_of(_KEYS, st.just("silence"), st.just("hangup"))
QUEUE_RESULTS: Final = ("exit_key", "timeout", "no_agent", "hangup", "answered")
BRIDGE_RESULTS: Final = ("answered", "busy", "fail", "no_answer")
_PRINTABLE_NAME: Final = HOSTILE_TEXT.map(lambda s: re.sub(r"[\x00-\x1f\x7f]", "", s)[:200])


@dataclass(frozen=True)
class Case:
    """One call of the campaign."""

    status: int
    body: bytes
    caller_name: str | None
    inputs: tuple[str, ...]
    hangup_after_apps: int | None
    queue: str
    bridge: str

    def brief(self) -> str:
        return (
            f"status={self.status} body={self.body[:300]!r} name={self.caller_name!r} "
            f"inputs={self.inputs} hangup_after_apps={self.hangup_after_apps} "
            f"queue={self.queue} bridge={self.bridge}"
        )


CASES: Final = st.builds(
    lambda answer, name, inputs, hang, queue, bridge: Case(
        answer[0], answer[1], name, tuple(inputs), hang, queue, bridge
    ),
    LOOKUP_ANSWERS,
    st.one_of(st.none(), _PRINTABLE_NAME),
    st.lists(CALLER_INPUT, max_size=4),
    st.one_of(st.none(), st.integers(1, 30)),
    st.sampled_from(QUEUE_RESULTS),
    st.sampled_from(BRIDGE_RESULTS),
)


# ------------------------------------------------------------------ the look-up service


@dataclass
class LookupServer:
    """The flow's CRM on loopback: `GET .../customer?ani=<caller number>` answers with that
    call's generated status and body."""

    answers: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    requests: int = 0
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5):
                    await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep-alive: httpx reuses the connection
                async with asyncio.timeout(30):
                    head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ", 2)[1].decode("latin-1")
                ani = parse_qs(urlsplit(target).query).get("ani", [""])[0]
                self.requests += 1
                status, body = self.answers.get(ani, (404, b'{"error": "unknown caller"}'))
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError, IndexError):
            pass
        except asyncio.CancelledError:
            return  # the test's loop is ending with the runtime's keep-alive connection open
        finally:
            writer.close()


# ------------------------------------------------------------------ the checks

# What the runtime may send: ESL commands, `sendmsg` headers, applications and `api`
# commands (anything else - a new line where a value broke its header - is a hazard).
COMMANDS: Final = frozenset(
    {"connect", "myevents", "linger", "nolinger", "event", "filter", "sendmsg", "api", "exit"}
)
SENDMSG_HEADERS: Final = frozenset(
    {"call-command", "execute-app-name", "execute-app-arg", "event-uuid", "hangup-cause"}
)
APPS: Final = frozenset(
    {"answer", "set", "speak", "say", "play_and_get_digits", "callcenter", "bridge"}
)
API_COMMANDS: Final = frozenset(
    {
        "uuid_break",
        "uuid_setvar",
        "uuid_getvar",
        "uuid_broadcast",
        "uuid_recv_dtmf",
        "callcenter_config",
    }
)
# The one template flowc itself writes with `${...}` into a command: the queue announcement,
# spoken through the channel variable it sets first (`runtime.queue_announce`). Only this
# exact shape is exempt; no `${` from data can take it (the engine and voice are names).
FLOWC_TEMPLATES: Final = (
    re.compile(r"speak::[A-Za-z0-9_.-]+\|[A-Za-z0-9_.-]+\|\$\{flowc_announce_text\}"),
)
_SET_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SAY_ARG: Final = re.compile(
    r"([a-z]+) (NUMBER|CURRENCY|CURRENT_DATE|CURRENT_TIME) (PRONOUNCED|ITERATED|COUNTED) (\S+)"
)
_DECIMAL: Final = r"[+-]?[0-9]{1,15}(?:\.[0-9]{1,6})?"  # ASCII digits: what the say modules read
SAY_VALUES: Final = {  # (type, method) -> what a value of that say type looks like
    ("CURRENCY", "PRONOUNCED"): re.compile(_DECIMAL),
    ("NUMBER", "PRONOUNCED"): re.compile(_DECIMAL),
    ("NUMBER", "ITERATED"): re.compile(r"\+?[0-9*#]{1,64}"),
    ("NUMBER", "COUNTED"): re.compile(r"[0-9]{1,9}"),
    ("CURRENT_DATE", "PRONOUNCED"): re.compile(r"-?[0-9]{1,12}"),
    ("CURRENT_TIME", "PRONOUNCED"): re.compile(r"[0-9]{1,6}"),
}
# Dial strings built from data: a validated number on a loopback leg, or a strict sip: URI.
DIAL_STRINGS: Final = re.compile(
    r"loopback/\+?[0-9*#]{1,32}/default"
    r"|sofia/external/[A-Za-z0-9_.+*#~-]{1,64}@[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?"
)
_TERMINATORS: Final = re.compile(r"[0-9*#ABCD]+|none")
_UUID: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Sinks:
    """How often the calls reached each place a value goes (the campaign must not pass by
    never getting there), and how often hostile data was seen made safe there."""

    apps: Counter[str] = field(default_factory=Counter)
    mirrored: int = 0  # `set flowc_var_...`
    say_types: Counter[str] = field(default_factory=Counter)
    dial_strings: int = 0
    defused: Counter[str] = field(default_factory=Counter)  # app -> args with `{system(id)}`


def _headers(lines: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    headers: dict[str, str] = {}
    bad: list[str] = []
    for line in lines:
        name, sep, value = line.partition(": ")
        if not sep or name.lower() not in SENDMSG_HEADERS or name.lower() in headers:
            bad.append(f"header line {line[:120]!r}")
            continue
        headers[name.lower()] = value
    return headers, bad


def _app_hazards(app: str, arg: str, acct_var: str, sinks: Sinks) -> list[str]:
    bad: list[str] = []
    if app not in APPS:
        return [f"application {app!r}"]
    sinks.apps[app] += 1
    if "{system(id)}" in arg:
        sinks.defused[app] += 1
    if app == "set":
        name, sep, value = arg.partition("=")
        if not sep or not _SET_NAME.fullmatch(name):
            bad.append(f"set of {name[:60]!r}")
        if value.startswith("^^"):
            bad.append(f"set {name}: value starts with a delimiter change: {value[:60]!r}")
        if name.startswith("flowc_var_"):
            sinks.mirrored += 1
    elif app == "say":
        m = _SAY_ARG.fullmatch(arg)
        pattern = SAY_VALUES.get((m.group(2), m.group(3))) if m else None
        if m is None or pattern is None or not pattern.fullmatch(m.group(4)):
            bad.append(f"say {arg[:120]!r}: not a value of its type")
        else:
            sinks.say_types[f"{m.group(2)} {m.group(3)}"] += 1
    elif app == "bridge":
        if not DIAL_STRINGS.fullmatch(arg):
            bad.append(f"bridge {arg[:120]!r}: not a dial string built from a validated value")
        sinks.dial_strings += 1
    elif app == "speak":
        engine, voice, _text = [*arg.split("|", 2), "", ""][:3]
        if (engine, voice) != ("flite", "kal"):
            bad.append(f"speak {arg[:120]!r}: engine/voice not ours")
    elif app == "play_and_get_digits":
        argv = separate_string(arg, 11)
        if len(argv) != 10 or argv[7] != acct_var or not _TERMINATORS.fullmatch(argv[4]):
            bad.append(f"play_and_get_digits split into {len(argv)} arguments: {argv[:10]!r}")
        elif not argv[5].startswith(("say:", "silence")):
            bad.append(f"play_and_get_digits prompt {argv[5][:120]!r}")
    elif app == "callcenter":
        if arg != "hostile__care@e2e":
            bad.append(f"callcenter {arg[:120]!r}")
    return bad


def wire_hazards(messages: Sequence[dict[str, object]], sinks: Sinks) -> list[str]:
    """Everything in one call's recorded traffic to the switch (`CallRecord.messages`,
    `to_switch`) that FreeSWITCH would expand (`${`, `$${`), split (a NUL, CR or LF inside a
    value: a new header or command), read as a delimiter change (`^^`), as more dial
    destinations or a variable block, or as a say value of another type."""
    bad: list[str] = []
    app_uuids: set[str] = set()
    for m in messages:
        if m.get("dir") != "to_switch":
            continue
        data = str(m["data"])
        head, _, body = data.partition("\n\n")
        if body:  # the text/plain body form: an argument carried a line break
            bad.append(f"a command with a body: {data[:200]!r}")
        if "\r" in data or "\x00" in data:
            bad.append(f"CR or NUL in {data[:200]!r}")
        scrubbed = head
        for template in FLOWC_TEMPLATES:
            scrubbed = template.sub("", scrubbed)
        if "${" in scrubbed:
            bad.append(f"expansion in {data[:200]!r}")
        if "^^" in head:
            bad.append(f"delimiter change in {data[:200]!r}")
        first, *rest = head.split("\n")
        verb, _, args = first.partition(" ")
        if verb not in COMMANDS:
            bad.append(f"command line {first[:120]!r}")
            continue
        if verb == "api":
            if args.split(" ", 1)[0] not in API_COMMANDS:
                bad.append(f"api {args[:120]!r}")
            continue
        if verb != "sendmsg":
            if rest:
                bad.append(f"{verb} with header lines {rest[:3]!r}")
            continue
        headers, problems = _headers(rest)
        bad += problems
        command = headers.get("call-command")
        if command == "execute":
            # each application the runtime runs has its own Event-UUID: a command smuggled
            # in through a value's line breaks would have none, or repeat one
            app_uuid = headers.get("event-uuid", "")
            if not _UUID.fullmatch(app_uuid) or app_uuid in app_uuids:
                bad.append(f"sendmsg without an Event-UUID of its own: {data[:200]!r}")
            app_uuids.add(app_uuid)
            app, arg = headers.get("execute-app-name", ""), headers.get("execute-app-arg", "")
            bad += _app_hazards(app, arg, "flowc_in_acct", sinks)
        elif command != "hangup":
            bad.append(f"sendmsg call-command {command!r}")
    return bad
