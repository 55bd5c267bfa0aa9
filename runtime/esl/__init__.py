"""FreeSWITCH Event Socket (ESL) protocol layer: sans-IO core plus a thin asyncio driver.

Theory of operation
===================

The layer is split like h11: everything that understands the protocol does no
I/O, and the I/O driver does not understand the protocol.

``parser.ESLParser``  (bytes -> ``Message``)
    Framing only.  A message is a ``Name: value`` header block ended by an
    empty line, then exactly ``Content-Length`` body bytes if that header is
    present.  Outer header values are URL-decoded (as libesl does; the
    outbound connect reply is fully URL-encoded, e.g. ``Reply-Text: %2BOK%0A``
    is ``"+OK\\n"``).  Bodies stay bytes.  Bounded: a header block over 64 KiB, a
    ``Content-Length`` over 16 MiB, a malformed header line -> ``ProtocolError``.

``message.Message`` / ``message.Event``  (meaning of a message)
    ``Message`` has helpers (``content_type``, ``reply_text``, ``is_ok``).
    ``Event.from_message`` interprets ``text/event-plain`` (an encoded header
    block, possibly with a nested ``Content-Length`` body), ``text/event-json``
    (``_body`` is the body) and the outbound connect reply (its headers are the
    channel data).  ``_undef_`` becomes ``""`` (see ``message``).  A JSON event
    is decoded on first use of its headers; ``name``, ``uuid``, ``app_uuid`` ...
    are read straight from the payload until then.

``commands``  (what a client sends)
    Builders returning bytes: ``connect``, ``myevents``, ``linger``, ``event``,
    ``filter``, ``auth``, ``api``, ``bgapi``, ``sendmsg_execute``,
    ``sendmsg_hangup``, ``getvar``, ``resume``, ``divert_events``, ``exit`` ...
    and ``pagd_args`` for a correctly filled and quoted ``play_and_get_digits``
    argument.

``connection.ESLConnection``  (the state machine)
    ``send(bytes) -> (bytes, token)`` registers a command; ``receive_data(bytes)
    -> [ConnEvent]`` reports what arrived: ``Connected``, ``AuthRequest``,
    ``CommandReply``, ``ApiResponse``, ``EventReceived``, ``ExecuteComplete``,
    ``BackgroundJobDone``, ``Disconnect``, ``RudeRejection``, ``LogData``,
    ``Closed``.  Replies are matched to commands FIFO; execute completions by
    ``Event-UUID`` == ``Application-UUID``; background jobs by ``Job-UUID``.
    The states and the complete transition tables are in ``connection``; a
    violation is a ``ProtocolError`` (``RemoteProtocolError`` for what the peer
    did, ``LocalProtocolError`` for what we tried).

``aio.AsyncESL`` / ``aio.serve_outbound``  (I/O)
    One reader task per socket feeding the connection; futures per token /
    Event-UUID / Job-UUID; a bounded event queue; a timeout on every wait;
    ``ConnectionClosed`` for every waiter on EOF.

Facts this layer relies on are in ``shared/freeswitch-esl.md`` and were checked
against the byte-exact sessions in ``tests/fixtures/freeswitch/``.
"""

from __future__ import annotations

from . import commands
from .aio import AsyncESL, serve_outbound
from .connection import (
    ApiResponse,
    AuthRequest,
    BackgroundJobDone,
    Closed,
    CommandReply,
    Connected,
    ConnEvent,
    ConnState,
    Disconnect,
    ESLConnection,
    EventReceived,
    ExecuteComplete,
    LogData,
    Mode,
    RudeRejection,
)
from .errors import (
    ChannelHangup,
    CommandError,
    ConnectionClosed,
    ESLError,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
)
from .message import Event, Message
from .parser import MAX_BODY_BYTES, MAX_HEADER_BYTES, ESLParser

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_HEADER_BYTES",
    "ApiResponse",
    "AsyncESL",
    "AuthRequest",
    "BackgroundJobDone",
    "ChannelHangup",
    "Closed",
    "CommandError",
    "CommandReply",
    "ConnEvent",
    "ConnState",
    "Connected",
    "ConnectionClosed",
    "Disconnect",
    "ESLConnection",
    "ESLError",
    "ESLParser",
    "Event",
    "EventReceived",
    "ExecuteComplete",
    "LocalProtocolError",
    "LogData",
    "Message",
    "Mode",
    "ProtocolError",
    "RemoteProtocolError",
    "RudeRejection",
    "commands",
    "serve_outbound",
]
