"""Exceptions raised by the ESL layer.

``ProtocolError`` is the only exception the sans-IO layer (parser, message,
connection) raises for anything that arrives from the socket: garbage, a frame
over the size limits, a reply nobody asked for, data after the peer said
goodbye.  It has two subclasses, as in h11:

* ``RemoteProtocolError``: the peer (FreeSWITCH, or whatever is on the socket)
  broke the protocol.  The parser/connection that raised it is poisoned: every
  later call raises again.
* ``LocalProtocolError``: *we* tried something the protocol does not allow in
  the current state (sending ``api`` before ``connect``, anything after
  ``exit``, a malformed command).  Nothing was written, so the connection is
  left as it was.

The asyncio driver adds ``ConnectionClosed`` (the connection ended while a
caller was waiting), ``CommandError`` (FreeSWITCH answered ``-ERR``) and
``ChannelHangup`` (an execute can no longer complete because the session is
gone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .message import Message


class ESLError(Exception):
    """Base class of every error raised by ``runtime.esl``."""


class ProtocolError(ESLError):
    """The ESL protocol was violated (by either side)."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something that is not valid ESL in the current state."""


class LocalProtocolError(ProtocolError):
    """We tried to send something that is not valid in the current state."""


class ConnectionClosed(ESLError):
    """The connection ended (EOF, protocol error, local close) before the awaited result."""


class ChannelHangup(ESLError):
    """The controlled channel is gone: an awaited execute completion will never arrive."""


class CommandError(ESLError):
    """FreeSWITCH refused a command (``-ERR ...`` reply or API error)."""

    def __init__(self, text: str, message: Message | None = None) -> None:
        super().__init__(text)
        self.message = message
