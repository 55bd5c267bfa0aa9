"""Incremental ESL framing: bytes in, ``Message`` objects out.

Wire format (FreeSWITCH -> client)::

    Name: value\\n          header block: one or more "Name: value" lines
    Name: value\\n
    \\n                     an empty line ends the block
    <Content-Length bytes>  only if the block has Content-Length

LF is what FreeSWITCH writes; CRLF line ends are accepted too.  There is no
other framing: a message without ``Content-Length`` (``command/reply``, the
outbound connect reply with its whole CHANNEL_DATA block) ends at the empty
line.

The parser is a two-state machine over an internal buffer:

* ``HEADERS``: look for the empty line.  Stray empty lines *between* messages
  are skipped.  If none is found within ``max_header_bytes`` the peer is not
  speaking ESL: ``RemoteProtocolError``.  Otherwise the block is parsed
  (``Name: value``; first occurrence of a name wins; values URL-decoded like
  libesl does), ``Content-Length`` validated (ASCII digits only, at most
  ``max_body_bytes``, duplicates must agree) and we move to ``BODY`` or emit the
  message at once.
* ``BODY``: wait for exactly ``Content-Length`` bytes, emit, back to ``HEADERS``.

Memory is bounded: at most one header block (``max_header_bytes``) or one body
(``max_body_bytes``) plus the bytes handed to the current ``feed`` call is ever
buffered; the search for the empty line never rescans bytes it has already
looked at, so feeding one byte at a time stays linear.

``feed(b"")`` means end of stream (as in h11): it raises ``RemoteProtocolError``
if a message was cut short; afterwards any ``feed`` raises.  After a
``RemoteProtocolError`` the parser is poisoned and every later call raises again:
garbage on the socket gives ``ProtocolError`` and never any other exception.
"""

from __future__ import annotations

import enum
import re
from typing import Final, NoReturn

from .errors import ProtocolError, RemoteProtocolError
from .message import Message, find_blank_line, parse_header_lines

__all__ = ["MAX_BODY_BYTES", "MAX_HEADER_BYTES", "ESLParser"]

MAX_HEADER_BYTES: Final = 64 * 1024
MAX_BODY_BYTES: Final = 16 * 1024 * 1024

_LEADING_BLANK_LINES: Final = re.compile(rb"(?:\r?\n)*")

# Parsed header blocks by their bytes: FreeSWITCH repeats the same few outer blocks
# ("Content-Length: 1952\nContent-Type: text/event-json", "Content-Type: command/reply\n
# Reply-Text: +OK") thousands of times.  Only short blocks are kept, and the cache is emptied
# when full, so it stays small whatever arrives.  Values: the headers (copied for each
# message: a Message's dict is its own) and the validated Content-Length (limit not applied).
_CACHED_BLOCK_BYTES: Final = 256
_CACHE_ENTRIES: Final = 1024
_blocks: dict[bytes, tuple[dict[str, str], int]] = {}


class _State(enum.Enum):
    HEADERS = "headers"
    BODY = "body"
    EOF = "eof"
    ERROR = "error"


class ESLParser:
    """Sans-IO incremental ESL frame parser."""

    def __init__(
        self, *, max_header_bytes: int = MAX_HEADER_BYTES, max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self.max_header_bytes = max_header_bytes
        self.max_body_bytes = max_body_bytes
        self._buf = bytearray()
        self._scan_from = 0
        self._state = _State.HEADERS
        self._headers: dict[str, str] = {}
        self._need = 0
        self._error: ProtocolError | None = None

    @property
    def buffered(self) -> int:
        """Bytes held waiting for the rest of a message."""
        return len(self._buf)

    @property
    def at_eof(self) -> bool:
        return self._state is _State.EOF

    def feed(self, data: bytes) -> list[Message]:
        """Add received bytes; return every message completed by them (in order).

        ``b""`` signals end of stream.
        """
        if self._state is _State.ERROR:
            raise RemoteProtocolError("parser already failed") from self._error
        if self._state is _State.EOF:
            self._fail(RemoteProtocolError("data after end of stream"))
        if not data:
            return self._feed_eof()
        self._buf += data
        out: list[Message] = []
        try:
            while True:
                message = self._next()
                if message is None:
                    return out
                out.append(message)
        except ProtocolError as exc:
            self._fail(exc)
        except (ValueError, UnicodeError, OverflowError) as exc:  # pragma: no cover - defensive
            self._fail(RemoteProtocolError(f"unparsable input: {exc}"))

    # -- internals ------------------------------------------------------------------------------

    def _fail(self, exc: ProtocolError) -> NoReturn:
        self._state = _State.ERROR
        self._error = exc
        self._buf.clear()
        raise exc

    def _feed_eof(self) -> list[Message]:
        if self._state is _State.BODY or self._buf.strip(b"\r\n"):
            self._fail(RemoteProtocolError("connection closed in the middle of a message"))
        self._buf.clear()
        self._state = _State.EOF
        return []

    def _next(self) -> Message | None:
        buf = self._buf
        if self._state is _State.HEADERS:
            # Skip empty lines between messages.
            if buf.startswith((b"\n", b"\r")):
                skip = _LEADING_BLANK_LINES.match(buf)
                if skip is not None and skip.end():
                    del buf[: skip.end()]
                    self._scan_from = 0
            if not buf or buf == b"\r":
                return None
            limit = self.max_header_bytes + 3
            head_end, body_start = find_blank_line(buf, self._scan_from, limit)
            if head_end < 0:
                if len(buf) > self.max_header_bytes:
                    raise RemoteProtocolError(
                        f"header block longer than {self.max_header_bytes} bytes"
                    )
                # A terminator may straddle the boundary: rescan the last 2 bytes next time.
                self._scan_from = max(0, len(buf) - 2)
                return None
            if head_end > self.max_header_bytes:
                raise RemoteProtocolError(f"header block longer than {self.max_header_bytes} bytes")
            head = bytes(buf[:head_end])
            del buf[:body_start]
            self._scan_from = 0
            cached = _blocks.get(head)
            if cached is None:
                headers = parse_header_lines(head, decode=True, undef_to_empty=False)
                length = _content_length(headers)
                if head_end <= _CACHED_BLOCK_BYTES:
                    if len(_blocks) >= _CACHE_ENTRIES:
                        _blocks.clear()
                    _blocks[head] = (headers, length)
                    headers = dict(headers)
            else:
                headers = dict(cached[0])
                length = cached[1]
            if length > self.max_body_bytes:
                raise RemoteProtocolError(
                    f"Content-Length {length} exceeds the limit of {self.max_body_bytes} bytes"
                )
            if length == 0:
                return Message(headers, b"")
            self._headers = headers
            self._need = length
            self._state = _State.BODY
        # BODY
        if len(buf) < self._need:
            return None
        body = bytes(buf[: self._need])
        del buf[: self._need]
        headers = self._headers
        self._headers = {}
        self._need = 0
        self._state = _State.HEADERS
        return Message(headers, body)


def _content_length(headers: dict[str, str]) -> int:
    values = [v for k, v in headers.items() if k.lower() == "content-length"]
    if not values:
        return 0
    text = values[0]
    if any(v != text for v in values[1:]):
        raise RemoteProtocolError("conflicting Content-Length headers")
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        raise RemoteProtocolError(f"bad Content-Length {text[:20]!r}")
    return int(text)
