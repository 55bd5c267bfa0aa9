"""Byte-level pieces of FreeSWITCH's side of the event socket (sans-IO).

* ``url_encode``: ``switch_url_encode`` with ``double_encode=FALSE`` (what
  ``switch_event_serialize(..., encode=TRUE)`` applies to every value).
* ``serialize_plain`` / ``serialize_json``: an event (ordered header list plus
  optional body) as ``switch_event_serialize`` / ``switch_event_serialize_json``
  write it; ``frame_event`` wraps it in ``Content-Length`` + ``Content-Type``
  exactly like ``mod_event_socket``'s ``read_packet``.
* ``command_reply`` / ``disconnect_notice`` / ``linger_notice``: the fixed
  texts of ``mod_event_socket``.
* ``CommandReader``: how ``read_packet`` cuts the application's bytes into
  commands: leading CR/LF skipped, a command ends at a LF followed by any CRs
  and a second LF, lines without ``:`` are ignored, a ``Content-Length``
  header makes it read exactly that many body bytes.  Everything is bytes in,
  ``Command`` objects out; nothing here raises on garbage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "DISCONNECT_MESSAGE",
    "MAX_COMMAND_BYTES",
    "Command",
    "CommandReader",
    "EventData",
    "HeaderBlock",
    "Headers",
    "command_reply",
    "disconnect_notice",
    "frame_event",
    "json_item",
    "linger_notice",
    "plain_line",
    "serialize_json",
    "serialize_plain",
    "url_encode",
]

Headers = list[tuple[str, str]]
"""An event: header (name, value) pairs in FreeSWITCH's order; duplicates allowed."""

MAX_COMMAND_BYTES: Final = 10 * 1024 * 1024
"""``read_packet``'s ``max_len``: a longer header block is cut and parsed as it is."""

DISCONNECT_MESSAGE: Final = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

# switch_url_encode: bytes < 0x20, bytes > 0x7e and these become %XX (upper case);
# a "%" that starts a %XX escape is kept as it is (double_encode=FALSE).
_SAFE_CLASS: Final = r"\x21\x24\x27-\x2a\x2c-\x39\x41-\x5a\x5f\x61-\x7a\x7e"
_NEEDS_ENCODING: Final = re.compile(f"[^{_SAFE_CLASS}]")
_ENCODE: Final = re.compile(f"%(?![0-9A-Fa-f]{{2}})|[^{_SAFE_CLASS}%]+")


def _escape(m: re.Match[str]) -> str:
    return "".join([f"%{b:02X}" for b in m.group().encode("utf-8", "surrogateescape")])


def url_encode(value: str) -> str:
    """``switch_url_encode(value, buf, len)`` with ``double_encode=FALSE``.

    Bytes below 0x20 or above 0x7e and any of ``\\r\\n #%&+:;<=>?@[\\]^`{|}"``
    become ``%XX``; an existing ``%XX`` (two hex digits) is copied unchanged,
    every other ``%`` becomes ``%25``.
    """
    if not _NEEDS_ENCODING.search(value):
        return value
    return _ENCODE.sub(_escape, value)


_json_str: Callable[[str], str] = getattr(json.encoder, "c_encode_basestring", None) or (
    json.encoder.py_encode_basestring
)


def plain_line(name: str, value: str) -> str:
    """One header of ``switch_event_serialize(..., encode=TRUE)`` (``_undef_`` when empty)."""
    return f"{name}: {url_encode(value) if value else '_undef_'}\n"


def json_item(name: str, value: str) -> str:
    """One member of the cJSON object (``"name":"value"``, values not URL-encoded)."""
    return f"{_json_str(name)}:{_json_str(value)}"


def _plain_body(body: str | None) -> str:
    return f"Content-Length: {len(body.encode())}\n\n{body}" if body else "\n"


def _json_body(body: str | None) -> list[str]:
    if not body:
        return []
    return [f'"Content-Length":"{len(body.encode())}"', f'"_body":{_json_str(body)}']


def serialize_plain(headers: Headers, body: str | None = None) -> str:
    """``switch_event_serialize(event, &str, SWITCH_TRUE)``.

    Each header as ``Name: <url-encoded value>``; an empty value is written
    ``_undef_``.  A body is appended as ``Content-Length: n`` + empty line +
    body; without one the block just ends with an empty line.
    """
    return "".join([plain_line(n, v) for n, v in headers]) + _plain_body(body)


def serialize_json(headers: Headers, body: str | None = None) -> str:
    """``switch_event_serialize_json``: one cJSON object, unformatted.

    Keys keep FreeSWITCH's order and duplicates (cJSON appends, so e.g.
    ``Hangup-Cause`` appears twice in CHANNEL_HANGUP_COMPLETE); values are
    not URL-encoded (cJSON escapes ``"`` ``\\`` and control characters
    only, like ``json.encoder``'s ``ensure_ascii=False`` encoder).  A body
    becomes ``Content-Length`` and ``_body``.
    """
    items = [json_item(n, v) for n, v in headers] + _json_body(body)
    return "{" + ",".join(items) + "}"


class HeaderBlock:
    """An immutable run of headers serialized lazily (and at most once per format).

    Used for a channel's ``variable_*`` headers and caller-profile blocks, which
    repeat unchanged across many events.  ``plain_cache`` / ``json_cache``
    (optional, shared by the blocks of one channel) map a header name to
    (value, serialized text), so a variable that did not change between two
    snapshots is encoded once; an entry is used only if its value is still the
    same, so an old block is always serialized correctly.
    """

    __slots__ = ("_json", "_plain", "json_cache", "pairs", "plain_cache")

    def __init__(
        self,
        pairs: Headers,
        plain_cache: dict[str, tuple[str, str]] | None = None,
        json_cache: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        self.pairs = pairs
        self.plain_cache = plain_cache
        self.json_cache = json_cache
        self._plain: str | None = None
        self._json: str | None = None

    def plain(self) -> str:
        if self._plain is None:
            self._plain = "".join(_cached(self.pairs, self.plain_cache, plain_line))
        return self._plain

    def json(self) -> str:
        if self._json is None:
            self._json = ",".join(_cached(self.pairs, self.json_cache, json_item))
        return self._json


def _cached(
    pairs: Headers, cache: dict[str, tuple[str, str]] | None, encode: Callable[[str, str], str]
) -> list[str]:
    if cache is None:
        return [encode(n, v) for n, v in pairs]
    out = []
    for name, value in pairs:
        hit = cache.get(name)
        if hit is None or hit[0] != value:
            hit = (value, encode(name, value))
            cache[name] = hit
        out.append(hit[1])
    return out


Part = Headers | HeaderBlock


class EventData:
    """An event as fired: runs of headers (plain lists or cached blocks) and a body."""

    __slots__ = ("body", "parts")

    def __init__(self, parts: list[Part], body: str | None = None) -> None:
        self.parts = parts
        self.body = body

    def pairs(self) -> Headers:
        out: Headers = []
        for part in self.parts:
            out += part.pairs if isinstance(part, HeaderBlock) else part
        return out

    def get(self, name: str) -> str | None:
        """First value of ``name`` (exact spelling)."""
        for part in self.parts:
            for key, value in part.pairs if isinstance(part, HeaderBlock) else part:
                if key == name:
                    return value
        return None

    def get_ci(self, name: str) -> str | None:
        """``switch_event_get_header``: first value, name compared case-insensitively."""
        lname = name.lower()
        for key, value in self.pairs():
            if key == name or key.lower() == lname:
                return value
        return None

    def plain(self) -> str:
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, HeaderBlock):
                out.append(part.plain())
            else:
                out += [plain_line(n, v) for n, v in part]
        out.append(_plain_body(self.body))
        return "".join(out)

    def json(self) -> str:
        items: list[str] = []
        for part in self.parts:
            if isinstance(part, HeaderBlock):
                if part.pairs:
                    items.append(part.json())
            else:
                items += [json_item(n, v) for n, v in part]
        items += _json_body(self.body)
        return "{" + ",".join(items) + "}"


def frame_event(payload: str, fmt: str) -> bytes:
    """``Content-Length: n\\nContent-Type: text/event-<fmt>\\n\\n<payload>``."""
    data = payload.encode("utf-8", "surrogateescape")
    return b"Content-Length: %d\nContent-Type: text/event-%s\n\n" % (len(data), fmt.encode()) + data


def command_reply(text: str) -> bytes:
    """``Content-Type: command/reply\\nReply-Text: <text>\\n\\n`` (a ``~`` text is sent raw)."""
    if text.startswith("~"):
        return ("Content-Type: command/reply\n" + text[1:]).encode()
    return f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode()


def disconnect_notice(uuid: str | None, message: str = DISCONNECT_MESSAGE) -> bytes:
    """``send_disconnect``: the final notice before FreeSWITCH closes the socket."""
    body = message.encode()
    if uuid is None:
        head = f"Content-Type: text/disconnect-notice\nContent-Length: {len(body)}\n\n"
    else:
        head = (
            "Content-Type: text/disconnect-notice\n"
            f"Controlled-Session-UUID: {uuid}\n"
            "Content-Disposition: disconnect\n"
            f"Content-Length: {len(body)}\n\n"
        )
    return head.encode() + body


def linger_notice(uuid: str, channel_name: str, linger_time: int) -> bytes:
    """The notice sent when the channel goes down while the socket lingers."""
    return (
        "Content-Type: text/disconnect-notice\n"
        f"Controlled-Session-UUID: {uuid}\n"
        "Content-Disposition: linger\n"
        f"Channel-Name: {channel_name}\n"
        f"Linger-Time: {linger_time}\n"
        "Content-Length: 0\n\n"
    ).encode()


# -- reading commands -------------------------------------------------------------------------


@dataclass(slots=True)
class Command:
    """One command as ``read_packet`` builds it.

    ``line`` is the first line (the command, CR/LF stripped, cut at a NUL as
    C would); ``headers`` keep the sender's names (lookup is
    case-insensitive through ``get``), ``body`` the ``Content-Length`` bytes
    decoded as UTF-8 (invalid bytes replaced).  ``raw`` is exactly what was
    consumed from the stream.
    """

    line: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str | None = None
    raw: bytes = b""

    def get(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None


_TERMINATOR: Final = re.compile(rb"\n\r*\n")


def _c_string(data: bytes) -> str:
    nul = data.find(b"\x00")
    if nul >= 0:
        data = data[:nul]
    return data.decode("utf-8", "replace")


class CommandReader:
    """Incremental ``read_packet``: feed bytes, get complete ``Command`` objects."""

    def __init__(self, *, max_command_bytes: int = MAX_COMMAND_BYTES) -> None:
        self._buf = bytearray()
        self._max = max_command_bytes
        self._pending: Command | None = None  # header block read, waiting for its body
        self._need = 0

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[Command]:
        self._buf += data
        out: list[Command] = []
        while True:
            cmd = self._next()
            if cmd is None:
                return out
            out.append(cmd)

    def _next(self) -> Command | None:
        buf = self._buf
        if self._pending is not None:
            if len(buf) < self._need:
                return None
            cmd = self._pending
            cmd.body = bytes(buf[: self._need]).decode("utf-8", "replace")
            cmd.raw += bytes(buf[: self._need])
            del buf[: self._need]
            self._pending = None
            self._need = 0
            return cmd
        # "bah": CR/LF before a command are skipped.
        skip = 0
        while skip < len(buf) and buf[skip] in (0x0A, 0x0D):
            skip += 1
        if skip:
            del buf[:skip]
        if not buf:
            return None
        match = _TERMINATOR.search(buf)
        if match is None:
            if len(buf) < self._max:
                return None
            end = self._max  # read_packet forces a parse at max_len
            block = bytes(buf[:end])
            del buf[:end]
        else:
            end = match.end()
            block = bytes(buf[:end])
            del buf[:end]
        return self._parse(block)

    def _parse(self, block: bytes) -> Command | None:
        lines = re.split(rb"[\r\n]+", block)
        first = _c_string(lines[0])
        cmd = Command(first, raw=block)
        for raw_line in lines[1:]:
            line = _c_string(raw_line)
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep:
                continue
            value = value.lstrip(" ")
            cmd.headers.append((name, value))
            if name.lower() == "content-length":
                length = _atoi(value)
                if length > 0:
                    self._pending = cmd
                    self._need = length
                    return self._next()
        return cmd


def _atoi(text: str) -> int:
    """C ``atoi``: optional sign and leading digits, anything else stops it."""
    m = re.match(r"\s*([+-]?\d+)", text)
    if m is None:
        return 0
    try:
        return int(m.group(1))
    except ValueError:  # pragma: no cover - digits only
        return 0
