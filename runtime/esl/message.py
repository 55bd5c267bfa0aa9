"""ESL messages (one framed unit on the wire) and events (what a message means).

A ``Message`` is what the parser produces: the outer header block, URL-decoded,
and the raw body bytes (exactly ``Content-Length`` of them).  It does not know
what the body means.

An ``Event`` is the interpretation of a message that carries a FreeSWITCH event:

* ``text/event-plain``: the body is itself a header block (``Name: value``
  lines, each value passed through ``switch_url_encode`` by FreeSWITCH), ended
  by an empty line, optionally followed by the event's own body: FreeSWITCH
  writes ``Content-Length: n`` as the last header and appends ``n`` bytes after
  the empty line (BACKGROUND_JOB output, DETECTED_SPEECH NLSML, ...).
* ``text/event-json``: the body is a cJSON object; values are not encoded, the
  event body is under ``_body``; array headers are JSON arrays.
* the outbound ``connect`` reply: a ``command/reply`` whose outer headers are a
  serialized CHANNEL_DATA event (``Event-Name``, ``Unique-ID``, ``Caller-*``,
  ``variable_*`` ...) with ``Content-Type``, ``Reply-Text``, ``Socket-Mode`` and
  ``Control`` appended, all URL-encoded.

Decisions, so that the same event reads the same whichever format carried it:

* ``_undef_``: ``switch_event_serialize`` writes an empty value as the literal
  ``_undef_`` in the plain (and channel-data) format; JSON carries ``""``.  An
  ``Event`` maps ``_undef_`` to ``""`` (header present, empty), so plain and
  JSON events compare equal.  A genuine value ``_undef_`` is indistinguishable
  and also becomes ``""``.  ``Message.headers`` keep the literal.
* duplicate header names (FreeSWITCH repeats e.g. ``Hangup-Cause`` in
  CHANNEL_HANGUP_COMPLETE): the FIRST occurrence wins, like libesl's
  ``esl_event_get_header``, in a header block and in a JSON object alike (so a
  header read straight from an undecoded JSON payload is the decoded one).
  FreeSWITCH repeats a header with the same value, so this does not matter in
  practice.
* JSON array headers are rendered as FreeSWITCH renders them in plain events:
  ``ARRAY::a|:b``; ``Event.get_array`` splits them again.
* ``Event.body`` is ``str`` (UTF-8, undecodable bytes replaced); the nested
  ``Content-Length`` is kept as a header in both formats.
* URL-decoding follows ``switch_url_decode``/libesl: ``%XX`` is decoded, ``+``
  is NOT a space.  Because FreeSWITCH does not re-encode an existing ``%XX``
  (double_encode=FALSE), a literal ``%41`` in a value arrives as ``%41`` and
  decodes to ``A``: an ambiguity of the wire format, not of this module.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any, Final, Literal, overload
from urllib.parse import unquote

from .errors import RemoteProtocolError

__all__ = [
    "UNDEF",
    "Event",
    "EventFormat",
    "Message",
    "find_blank_line",
    "parse_header_lines",
    "url_decode",
]

UNDEF: Final = "_undef_"

EventFormat = Literal["plain", "json", "channel_data"]
"""How the event arrived: ``text/event-plain``, ``text/event-json`` or the connect reply."""

PLAIN: Final = "plain"
JSON: Final = "json"
CHANNEL_DATA: Final = "channel_data"


def url_decode(value: str) -> str:
    """Decode ``%XX`` escapes like ``switch_url_decode`` (no ``+`` -> space)."""
    if "%" not in value:
        return value
    return unquote(value, errors="replace")


def find_blank_line(
    buf: bytes | bytearray, start: int = 0, end: int | None = None
) -> tuple[int, int]:
    """Find the empty line that ends a header block.

    Returns ``(head_end, body_start)``: the header block is ``buf[:head_end]``
    (its last line may end in ``\\r``) and what follows starts at
    ``body_start``.  Accepts LF (``\\n\\n``) and CRLF (``\\n\\r\\n``) endings.
    Returns ``(-1, -1)`` if there is none in ``buf[start:end]``.
    """
    stop = len(buf) if end is None else min(end, len(buf))
    lf = buf.find(b"\n\n", start, stop)
    # Only a CRLF blank line *before* the first LF one matters: bound that search.
    crlf = buf.find(b"\n\r\n", start, stop if lf < 0 else lf + 1)
    if crlf >= 0:
        return crlf, crlf + 3
    if lf >= 0:
        return lf, lf + 2
    return -1, -1


# One match per well-formed line.  Anchored (^ with MULTILINE) so that a long line without a
# colon costs O(length) once, not O(length**2) by retrying from every byte of it.
_HEADER_LINE: Final = re.compile(r"^([^:\s][^:\n]*):(?: )?(.*)$", re.MULTILINE)


def _unquote_all(values: list[str]) -> list[str]:
    """URL-decode many values at once (one ``unquote`` call on the joined text).

    A NUL separator cannot merge with a neighbouring ``%XX``; if a value itself
    decodes to a NUL the split count changes and we decode one by one.
    """
    joined = "\x00".join(values)
    if "%" not in joined:
        return values
    parts = unquote(joined, errors="replace").split("\x00")
    if len(parts) == len(values):
        return parts
    return [unquote(v, errors="replace") if "%" in v else v for v in values]


_ONLY_STR: frozenset[type] = frozenset({str})


def parse_header_lines(head: bytes, *, decode: bool, undef_to_empty: bool) -> dict[str, str]:
    """Parse ``Name: value`` lines (LF or CRLF) into a dict; first occurrence wins.

    The separator is the first ``:``, one following space is dropped.
    ``decode`` URL-decodes values.  Raises ``RemoteProtocolError`` on a line
    without a colon or with an empty (or whitespace-led) name, and on
    conflicting duplicate ``Content-Length`` headers.
    """
    text = head.decode("utf-8", "replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if text.endswith("\r"):
            text = text[:-1]
    pairs: list[tuple[str, str]] = _HEADER_LINE.findall(text)
    if len(pairs) != text.count("\n") + 1:
        for line in text.split("\n"):
            name, sep, _ = line.partition(":")
            if not sep or not name or name[0].isspace():
                raise RemoteProtocolError(f"malformed header line: {line[:80]!r}")
        raise RemoteProtocolError("malformed header block")  # pragma: no cover - defensive
    names = [name for name, _ in pairs]
    values = [value for _, value in pairs]
    if decode:
        values = _unquote_all(values)
    if undef_to_empty and UNDEF in values:
        values = ["" if v == UNDEF else v for v in values]
    headers = dict(zip(names, values, strict=True))
    if len(headers) != len(names):  # duplicates: keep the first value, like libesl
        headers = {}
        for name, value in zip(names, values, strict=True):
            previous = headers.get(name)
            if previous is None:
                headers[name] = value
            elif previous != value and name.lower() == "content-length":
                raise RemoteProtocolError("conflicting Content-Length headers")
    return headers


def _get_ci(headers: dict[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lname = name.lower()
    for key, val in headers.items():
        if key.lower() == lname:
            return val
    return None


@dataclass(frozen=True, slots=True)
class Message:
    """One framed ESL message: outer headers (URL-decoded) and raw body bytes."""

    headers: dict[str, str]
    body: bytes = b""

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: str) -> str: ...
    def get(self, name: str, default: str | None = None) -> str | None:
        """Header value, exact name first, then case-insensitively."""
        value = _get_ci(self.headers, name)
        return default if value is None else value

    @property
    def content_type(self) -> str:
        return self.get("Content-Type", "")

    @property
    def reply_text(self) -> str:
        """``Reply-Text`` (decoded: the connect reply's ``%2BOK%0A`` is ``"+OK\\n"``)."""
        return self.get("Reply-Text", "")

    @property
    def body_text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def is_ok(self) -> bool:
        """Success of a reply.

        ``command/reply``: ``Reply-Text`` starts with ``+OK``.  ``api/response``:
        the body does not start with ``-`` (FreeSWITCH API errors are ``-ERR``
        / ``-USAGE``).  Anything else: False.
        """
        ctype = self.content_type
        if ctype == "command/reply":
            return self.reply_text.startswith("+OK")
        if ctype == "api/response":
            return not self.body.startswith(b"-")
        return False

    @property
    def is_event(self) -> bool:
        return self.content_type in ("text/event-plain", "text/event-json")


def _decode_json(payload: bytes) -> tuple[dict[str, str], str]:
    """Headers and body of a ``text/event-json`` payload."""
    try:
        obj = json.loads(payload, object_pairs_hook=_first_wins)
    except (ValueError, RecursionError) as exc:
        raise RemoteProtocolError(f"bad JSON event: {exc}") from exc
    if not isinstance(obj, dict):
        raise RemoteProtocolError("JSON event is not an object")
    body = ""
    if "_body" in obj:
        value = obj.pop("_body")
        body = value if isinstance(value, str) else json.dumps(value)
    if set(map(type, obj.values())) <= _ONLY_STR:
        # FreeSWITCH writes every header as a string: the decoded object is the headers
        # (checked at C speed; events carry ~150 headers).
        return obj, body
    headers: dict[str, str] = {}
    for key, value in obj.items():
        if isinstance(value, str):
            headers[key] = value
        elif isinstance(value, list):
            headers[key] = "ARRAY::" + "|:".join(
                item if isinstance(item, str) else json.dumps(item) for item in value
            )
        else:
            headers[key] = json.dumps(value)
    return headers, body


class _Missing:
    """The peek could not tell: decode the whole event."""


_UNKNOWN: Final = _Missing()


def _first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose repeated keys keep their first value (see the module doc)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        obj = {}
        for key, value in pairs:
            obj.setdefault(key, value)
    return obj


# FreeSWITCH's cJSON writes an event as one flat object, Event-Name first.
_NAME_FIRST: Final = b'{"Event-Name":"'


# A ``\\u`` (an escaped ``\\`` before a ``u`` matches too: only ever a needless decode).
_U_ESCAPE: Final = re.compile(rb"\\u")


def _u_escape_before(payload: bytes, end: int) -> bool:
    """A ``\\uXXXX`` escape may be in ``payload[:end]`` (a key could be spelt with one)."""
    return _U_ESCAPE.search(payload, 0, end) is not None


def _peek_json(payload: bytes, key: str) -> str | _Missing | None:
    """The string value of top-level ``key`` in a flat JSON object, without decoding it.

    The payload is one object with no other ``{`` (checked by ``Event.from_json``).  In
    JSON a ``"`` inside a string is written ``\\"``, so ``{"Key":`` or ``,"Key":`` is a key
    of that object, and a key can be spelt differently only with a ``\\u`` escape; the
    first occurrence wins (module doc).  A non-string value, an escape in the value or a
    ``\\u`` escape before the key gives ``_UNKNOWN``: the caller then decodes the payload.
    """
    quoted = b'"' + key.encode() + b'"'
    at = payload.find(quoted)
    if at < 0:
        return _UNKNOWN if _u_escape_before(payload, len(payload)) else None
    start = at + len(quoted)
    if payload[at - 1 : at] not in (b"{", b",") or payload[start : start + 2] != b':"':
        return _UNKNOWN
    start += 2
    stop = payload.find(b'"', start)
    if stop < 0:
        return _UNKNOWN
    value = payload[start:stop]
    if b"\\" in value or _u_escape_before(payload, at):
        return _UNKNOWN
    try:
        return value.decode()
    except UnicodeDecodeError:
        return _UNKNOWN


class Event:
    """A FreeSWITCH event: headers (decoded, ``_undef_`` -> ``""``) and body text.

    A JSON event (``from_json``) keeps its payload and decodes it on first use of
    ``headers``/``body``: most events a channel sends are only looked at by name (or not
    at all), and decoding ~150 headers is the bulk of the cost of a message.  The header
    accessors below (``name``, ``uuid``, ``app_uuid``, ``job_uuid``, ``variable``, ``get``)
    read a single header straight from the payload when its shape makes that exact
    (``_peek_json``) and decode the whole event otherwise.  Only a payload of FreeSWITCH's
    shape (one flat object, a plain ``Event-Name`` first) is kept undecoded; if such a
    payload is malformed further in, ``RemoteProtocolError`` is raised when it is decoded
    (by the accessor that needed it) rather than by the parser.
    """

    __slots__ = ("_body", "_headers", "_lower", "_payload", "_read", "format")

    def __init__(
        self, headers: dict[str, str], body: str = "", format: EventFormat = PLAIN
    ) -> None:
        self._headers: dict[str, str] | None = headers
        self._body = body
        self._payload: bytes | None = None
        self._read: dict[str, str | None] = {}  # headers read from the payload so far
        self._lower: dict[str, str] | None = None
        self.format: EventFormat = format

    @classmethod
    def _lazy(cls, payload: bytes, name: str) -> Event:
        event = cls.__new__(cls)
        event._headers = None
        event._body = ""
        event._payload = payload
        event._read = {"Event-Name": name}
        event._lower = None
        event.format = JSON
        return event

    @property
    def headers(self) -> dict[str, str]:
        headers = self._headers
        if headers is None:
            headers = self._decode()
        return headers

    @property
    def body(self) -> str:
        if self._headers is None:
            self._decode()
        return self._body

    def _decode(self) -> dict[str, str]:
        assert self._payload is not None
        headers, self._body = _decode_json(self._payload)
        self._headers = headers
        self._payload = None
        return headers

    def _peek(self, name: str) -> str | None:
        """Exact-name header value, from the payload if the event is still undecoded."""
        if self._headers is None:
            read = self._read
            if name in read:
                return read[name]
            assert self._payload is not None
            value = _peek_json(self._payload, name)
            if not isinstance(value, _Missing):
                read[name] = value
                return value
        return self.headers.get(name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return (self.headers, self.body, self.format) == (other.headers, other.body, other.format)

    __hash__ = None  # type: ignore[assignment]  # mutable headers, like the dataclass it was

    def __repr__(self) -> str:
        return f"Event(headers={self.headers!r}, body={self.body!r}, format={self.format!r})"

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_message(cls, message: Message) -> Event:
        """Interpret an event message (plain, JSON) or the outbound connect reply.

        Raises ``RemoteProtocolError`` if the message is not an event or its
        payload is malformed.
        """
        ctype = message.content_type
        if ctype == "text/event-plain":
            return cls.from_plain(message.body)
        if ctype == "text/event-json":
            return cls.from_json(message.body)
        if ctype == "command/reply" and "Event-Name" in message.headers:
            return cls.from_channel_data(message)
        raise RemoteProtocolError(f"not an event message (Content-Type {ctype!r})")

    @classmethod
    def from_plain(cls, payload: bytes) -> Event:
        head_end, body_start = find_blank_line(payload)
        if head_end < 0:
            # Tolerate a payload without the final empty line (no nested body then).
            head = payload.rstrip(b"\r\n")
            rest = b""
        else:
            head = payload[:head_end]
            rest = payload[body_start:]
        if not head:
            raise RemoteProtocolError("empty event")
        headers = parse_header_lines(head, decode=True, undef_to_empty=True)
        body = ""
        length_text = headers.get("Content-Length")
        if length_text is not None:
            if not (length_text.isascii() and length_text.isdigit() and len(length_text) < 10):
                raise RemoteProtocolError(f"bad nested Content-Length {length_text[:20]!r}")
            length = int(length_text)
            if head_end < 0 or len(rest) < length:
                raise RemoteProtocolError("nested event body shorter than its Content-Length")
            body = rest[:length].decode("utf-8", "replace")
        return cls(headers, body, PLAIN)

    @classmethod
    def from_json(cls, payload: bytes) -> Event:
        """A ``text/event-json`` payload; decoded now unless it has FreeSWITCH's flat shape
        with a readable ``Event-Name`` (then on first use, see the class)."""
        if payload.startswith(_NAME_FIRST) and payload.endswith(b"}") and payload.find(b"{", 1) < 0:
            stop = payload.find(b'"', len(_NAME_FIRST))
            name = payload[len(_NAME_FIRST) : stop]
            if stop > 0 and b"\\" not in name:
                with contextlib.suppress(UnicodeDecodeError):
                    return cls._lazy(payload, name.decode())
        headers, body = _decode_json(payload)
        return cls(headers, body, JSON)

    @classmethod
    def from_channel_data(cls, message: Message) -> Event:
        """The outbound connect reply: its (already decoded) outer headers are the channel data."""
        headers = {k: ("" if v == UNDEF else v) for k, v in message.headers.items()}
        return cls(headers, "", CHANNEL_DATA)

    # -- access -------------------------------------------------------------------------------

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: str) -> str: ...
    def get(self, name: str, default: str | None = None) -> str | None:
        """Header value: exact name first, then case-insensitively (like FreeSWITCH)."""
        value = self._peek(name)
        if value is None:
            lower = self._lower
            if lower is None:
                lower = self._lower = {}
                for key, val in self.headers.items():
                    lower.setdefault(key.lower(), val)
            value = lower.get(name.lower())
        return default if value is None else value

    def get_array(self, name: str) -> list[str]:
        """Split an ``ARRAY::a|:b`` header; a plain value gives a one-item list, missing -> []."""
        value = self.get(name)
        if value is None:
            return []
        if value.startswith("ARRAY::"):
            return value[7:].split("|:")
        return [value]

    def variable(self, name: str) -> str | None:
        """Channel variable ``name`` (header ``variable_<name>``)."""
        return self._peek("variable_" + name)

    @property
    def name(self) -> str:
        """``Event-Name`` (``CUSTOM`` for custom events: see ``subclass``)."""
        return self._peek("Event-Name") or ""

    @property
    def subclass(self) -> str | None:
        """``Event-Subclass`` of a CUSTOM event (e.g. ``callcenter::info``)."""
        return self._peek("Event-Subclass")

    @property
    def uuid(self) -> str | None:
        """``Unique-ID``: the channel the event is about."""
        return self._peek("Unique-ID")

    @property
    def app_uuid(self) -> str | None:
        """``Application-UUID``: the ``Event-UUID`` sent with ``sendmsg`` (or FreeSWITCH's own)."""
        return self._peek("Application-UUID")

    @property
    def job_uuid(self) -> str | None:
        return self._peek("Job-UUID")

    @property
    def variables(self) -> dict[str, str]:
        """All ``variable_*`` headers, without the prefix."""
        return {k[9:]: v for k, v in self.headers.items() if k.startswith("variable_")}
