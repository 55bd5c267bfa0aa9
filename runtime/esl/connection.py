"""Sans-IO client side of an ESL connection (outbound and inbound mode).

``ESLConnection`` does no I/O.  The driver hands it the bytes it wants to send
(``send``, which validates them, classifies the command and returns the same
bytes plus a *token*) and the bytes it received (``receive_data``, which returns
``ConnEvent`` objects).  Everything the connection knows is in its attributes.

Correlation rules (all from FreeSWITCH's mod_event_socket):

* Every command gets exactly one reply, in the order the commands were sent
  (the listener thread handles one command at a time).  ``api`` is answered
  with ``api/response``; every other command, and ``api`` when refused
  (``-ERR command not found`` without ``full``), with ``command/reply``.  A
  reply pops the oldest pending command: ``CommandReply(token, ...)`` /
  ``ApiResponse(token, ...)`` / ``Connected(token, ...)``.
* Events interleave freely with replies.
* ``sendmsg`` ``execute`` carrying ``Event-UUID: X`` is completed by the
  CHANNEL_EXECUTE_COMPLETE whose ``Application-UUID`` is X:
  ``ExecuteComplete(token, X, event)``.  Other completions (apps FreeSWITCH ran
  itself, e.g. after a transfer, or a refused sendmsg) are plain
  ``EventReceived``.  With ``loops`` the first completion is reported; later
  iterations arrive as ``EventReceived``.
* ``bgapi`` is completed by the BACKGROUND_JOB event whose ``Job-UUID`` is the
  one in the reply (or the one we sent): ``BackgroundJobDone``.
* Each received message gives exactly one ``ConnEvent``; the ``Event`` inside
  ``ExecuteComplete`` / ``BackgroundJobDone`` is not repeated as
  ``EventReceived``.

State machine (``ConnState``; ``_OUTBOUND`` / ``_INBOUND`` are the complete
transition tables, anything not in them is a ``ProtocolError``)::

    outbound:  IDLE --send connect--> CONNECTING --connect reply--> READY
    inbound:   IDLE --auth/request--> AUTH_REQUESTED --send auth--> AUTHENTICATING
               AUTHENTICATING --+OK--> READY          --(-ERR)--> CLOSING
    READY --linger notice--> LINGERING (outbound; commands still allowed)
    READY / LINGERING --send exit--> CLOSING
    READY / LINGERING / CLOSING --disconnect notice--> DISCONNECTED
    any --EOF--> CLOSED;  any --local close()--> CLOSED
    inbound IDLE --rude rejection--> DISCONNECTED

Commands may be pipelined behind ``connect``/``auth``: CONNECTING and
AUTHENTICATING accept further sends, ``exit`` included (-> CLOSING, where the
handshake reply is still accepted).  A disconnect notice without
``Content-Disposition: linger`` is FreeSWITCH's last word: anything after it
but EOF is a ``RemoteProtocolError`` ("data after close"), as is anything after
EOF.  The hang-up of the controlled channel (CHANNEL_HANGUP or
CHANNEL_HANGUP_COMPLETE with our ``Unique-ID``) only sets ``hangup_seen``: it is
not a state, because FreeSWITCH keeps answering (``+OK``) and keeps sending
completions after it; stop on it, not on replies.

A ``RemoteProtocolError`` poisons the connection (state ``ERROR``).  A
``LocalProtocolError`` from ``send`` leaves it untouched: nothing was sent.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass
from typing import Final, Literal, NoReturn

from .errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from .message import Event, Message, find_blank_line
from .parser import ESLParser

__all__ = [
    "ApiResponse",
    "AuthRequest",
    "BackgroundJobDone",
    "Closed",
    "CommandKind",
    "CommandReply",
    "ConnEvent",
    "ConnState",
    "Connected",
    "Disconnect",
    "ESLConnection",
    "EventReceived",
    "ExecuteComplete",
    "LogData",
    "Mode",
    "RudeRejection",
]

Mode = Literal["outbound", "inbound"]


# -- events produced by receive_data --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Connected:
    """Outbound: the reply to ``connect``; ``channel_data`` is the CHANNEL_DATA event."""

    token: int
    channel_data: Event
    message: Message


@dataclass(frozen=True, slots=True)
class AuthRequest:
    """Inbound: FreeSWITCH asks for ``auth``."""

    message: Message


@dataclass(frozen=True, slots=True)
class CommandReply:
    """``command/reply`` to the command sent with ``token`` (check ``message.is_ok``)."""

    token: int
    message: Message

    @property
    def ok(self) -> bool:
        return self.message.is_ok


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """``api/response`` to the ``api`` command sent with ``token``."""

    token: int
    body: str
    message: Message


@dataclass(frozen=True, slots=True)
class EventReceived:
    event: Event


@dataclass(frozen=True, slots=True)
class ExecuteComplete:
    """CHANNEL_EXECUTE_COMPLETE of the ``sendmsg execute`` sent with ``token``."""

    token: int
    event_uuid: str
    event: Event


@dataclass(frozen=True, slots=True)
class BackgroundJobDone:
    """BACKGROUND_JOB of the ``bgapi`` sent with ``token``; ``body`` is the command output."""

    token: int
    job_uuid: str
    body: str
    event: Event


@dataclass(frozen=True, slots=True)
class Disconnect:
    """``text/disconnect-notice``; ``linger`` True: the channel is gone but the socket stays."""

    linger: bool
    message: Message


@dataclass(frozen=True, slots=True)
class RudeRejection:
    """Inbound: ``text/rude-rejection`` (ACL); FreeSWITCH closes the socket."""

    message: Message


@dataclass(frozen=True, slots=True)
class LogData:
    """``log/data`` (after a ``log`` command)."""

    message: Message


@dataclass(frozen=True, slots=True)
class Closed:
    """End of stream; ``unanswered`` are the tokens that will never get a reply."""

    unanswered: tuple[int, ...]


ConnEvent = (
    Connected
    | AuthRequest
    | CommandReply
    | ApiResponse
    | EventReceived
    | ExecuteComplete
    | BackgroundJobDone
    | Disconnect
    | RudeRejection
    | LogData
    | Closed
)


# -- state machine --------------------------------------------------------------------------------


class ConnState(enum.Enum):
    # Members are singletons: hash by identity (C) instead of Enum's Python-level name hash;
    # every message looks up (state, trigger) in a transition table.
    __hash__ = object.__hash__

    IDLE = "idle"
    CONNECTING = "connecting"
    AUTH_REQUESTED = "auth_requested"
    AUTHENTICATING = "authenticating"
    READY = "ready"
    LINGERING = "lingering"
    CLOSING = "closing"
    DISCONNECTED = "disconnected"
    CLOSED = "closed"
    ERROR = "error"


class _T(enum.Enum):
    """Transition triggers."""

    __hash__ = object.__hash__  # see ConnState

    SEND_CONNECT = "send connect"
    SEND_AUTH = "send auth"
    SEND_COMMAND = "send command"
    SEND_EXIT = "send exit"
    RECV_CONNECT_REPLY = "connect reply"
    RECV_AUTH_REQUEST = "auth/request"
    RECV_AUTH_OK = "auth accepted"
    RECV_AUTH_FAIL = "auth refused"
    RECV_REPLY = "reply"
    RECV_EVENT = "event"
    RECV_LOG = "log/data"
    RECV_LINGER_NOTICE = "linger notice"
    RECV_DISCONNECT_NOTICE = "disconnect notice"
    RECV_RUDE_REJECTION = "rude rejection"
    RECV_EOF = "end of stream"
    LOCAL_CLOSE = "local close"


S = ConnState

_TRAFFIC: Final = (_T.RECV_REPLY, _T.RECV_EVENT, _T.RECV_LOG)

_COMMON: Final[dict[tuple[ConnState, _T], ConnState]] = {
    (S.READY, _T.SEND_COMMAND): S.READY,
    (S.READY, _T.SEND_EXIT): S.CLOSING,
    **{(S.READY, t): S.READY for t in _TRAFFIC},
    (S.READY, _T.RECV_DISCONNECT_NOTICE): S.DISCONNECTED,
    **{(S.CLOSING, t): S.CLOSING for t in _TRAFFIC},
    (S.CLOSING, _T.RECV_DISCONNECT_NOTICE): S.DISCONNECTED,
    **{(s, _T.RECV_EOF): S.CLOSED for s in S if s not in (S.CLOSED, S.ERROR)},
    **{(s, _T.LOCAL_CLOSE): S.CLOSED for s in S},
}

_OUTBOUND: Final[dict[tuple[ConnState, _T], ConnState]] = {
    **_COMMON,
    (S.IDLE, _T.SEND_CONNECT): S.CONNECTING,
    (S.CONNECTING, _T.SEND_COMMAND): S.CONNECTING,
    (S.CONNECTING, _T.SEND_EXIT): S.CLOSING,
    (S.CONNECTING, _T.RECV_CONNECT_REPLY): S.READY,
    (S.CLOSING, _T.RECV_CONNECT_REPLY): S.CLOSING,
    (S.READY, _T.RECV_LINGER_NOTICE): S.LINGERING,
    (S.LINGERING, _T.SEND_COMMAND): S.LINGERING,
    (S.LINGERING, _T.SEND_EXIT): S.CLOSING,
    **{(S.LINGERING, t): S.LINGERING for t in _TRAFFIC},
    (S.LINGERING, _T.RECV_DISCONNECT_NOTICE): S.DISCONNECTED,
    (S.CLOSING, _T.RECV_LINGER_NOTICE): S.CLOSING,
}

_INBOUND: Final[dict[tuple[ConnState, _T], ConnState]] = {
    **_COMMON,
    (S.IDLE, _T.RECV_AUTH_REQUEST): S.AUTH_REQUESTED,
    (S.IDLE, _T.RECV_RUDE_REJECTION): S.DISCONNECTED,
    (S.AUTH_REQUESTED, _T.SEND_AUTH): S.AUTHENTICATING,
    (S.AUTHENTICATING, _T.SEND_COMMAND): S.AUTHENTICATING,
    (S.AUTHENTICATING, _T.SEND_EXIT): S.CLOSING,
    (S.AUTHENTICATING, _T.RECV_AUTH_OK): S.READY,
    (S.AUTHENTICATING, _T.RECV_AUTH_FAIL): S.CLOSING,
    (S.CLOSING, _T.RECV_AUTH_OK): S.CLOSING,
    (S.CLOSING, _T.RECV_AUTH_FAIL): S.CLOSING,
}

TRANSITIONS: Final[dict[Mode, dict[tuple[ConnState, _T], ConnState]]] = {
    "outbound": _OUTBOUND,
    "inbound": _INBOUND,
}


# -- commands -------------------------------------------------------------------------------------


class CommandKind(enum.Enum):
    CONNECT = "connect"
    AUTH = "auth"
    API = "api"
    BGAPI = "bgapi"
    EXECUTE = "execute"
    EXIT = "exit"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class _Pending:
    token: int
    kind: CommandKind
    key: str | None  # Event-UUID of an execute, Job-UUID we supplied to bgapi


def _classify(data: bytes) -> tuple[CommandKind, str | None]:
    """Validate one command's framing; return its kind and correlation key."""
    if b"\r" in data:
        raise LocalProtocolError("commands must use LF line ends")
    head_end, body_start = find_blank_line(data)
    if head_end <= 0:
        raise LocalProtocolError(
            "a command must be a non-empty header block ended by an empty line"
        )
    lines = data[:head_end].decode("utf-8", "replace").split("\n")
    first = lines[0]
    verb = first.split(" ", 1)[0].lower()
    if not verb or first != first.strip():
        raise LocalProtocolError(f"malformed command line {first[:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise LocalProtocolError(f"malformed command header {line[:80]!r}")
        headers.setdefault(name.strip().lower(), value.strip())
    rest = len(data) - body_start
    length = headers.get("content-length")
    if length is None:
        if rest:
            raise LocalProtocolError("data after the command's empty line (one command per send)")
    elif not (length.isascii() and length.isdigit()) or int(length) != rest:
        raise LocalProtocolError("command body does not match its content-length")
    if verb == "connect":
        return CommandKind.CONNECT, None
    if verb in ("auth", "userauth"):
        return CommandKind.AUTH, None
    if verb == "api":
        return CommandKind.API, None
    if verb == "bgapi":
        return CommandKind.BGAPI, headers.get("job-uuid")
    if verb == "exit":
        return CommandKind.EXIT, None
    if verb == "sendmsg" and headers.get("call-command", "").lower() == "execute":
        return CommandKind.EXECUTE, headers.get("event-uuid") or None
    return CommandKind.OTHER, None


_SEND_TRIGGER: Final = {
    CommandKind.CONNECT: _T.SEND_CONNECT,
    CommandKind.AUTH: _T.SEND_AUTH,
    CommandKind.EXIT: _T.SEND_EXIT,
}

_HANGUP_EVENTS: Final = frozenset({"CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"})


class ESLConnection:
    """Client side of one ESL connection, without I/O.

    ``mode="outbound"``: FreeSWITCH connected to us (``socket`` app); we send
    ``connect`` first.  ``mode="inbound"``: we connected to FreeSWITCH's event
    socket; it sends ``auth/request`` first.
    """

    def __init__(self, mode: Mode = "outbound", *, parser: ESLParser | None = None) -> None:
        if mode not in TRANSITIONS:
            raise ValueError(f"mode must be 'outbound' or 'inbound', not {mode!r}")
        self.mode: Mode = mode
        self.state = ConnState.IDLE
        self._table = TRANSITIONS[mode]
        self._parser = parser if parser is not None else ESLParser()
        self._next_token = 1
        self._pending: deque[_Pending] = deque()
        self._executes: dict[str, int] = {}
        self._jobs: dict[str, int] = {}
        #: Outbound: the CHANNEL_DATA event of the connect reply.
        self.channel_data: Event | None = None
        #: Outbound: Unique-ID of the controlled channel.
        self.channel_uuid: str | None = None
        #: CHANNEL_HANGUP(_COMPLETE) of the controlled channel was received.
        self.hangup_seen = False
        self.hangup_cause: str | None = None
        #: A ``Content-Disposition: linger`` disconnect notice was received.
        self.linger_notice = False
        self.error: ProtocolError | None = None

    # -- introspection ---------------------------------------------------------------------------

    @property
    def pending_tokens(self) -> tuple[int, ...]:
        """Tokens of commands still waiting for their reply, oldest first."""
        return tuple(p.token for p in self._pending)

    @property
    def pending_executes(self) -> dict[str, int]:
        """Event-UUID -> token of executes whose completion has not arrived."""
        return dict(self._executes)

    @property
    def pending_jobs(self) -> dict[str, int]:
        """Job-UUID -> token of bgapi jobs whose BACKGROUND_JOB has not arrived."""
        return dict(self._jobs)

    # -- sending ---------------------------------------------------------------------------------

    def send(self, data: bytes) -> tuple[bytes, int]:
        """Register one command; return the bytes to write and its token.

        Raises ``LocalProtocolError`` (and changes nothing) if the bytes are
        not one well-formed command or the command is not allowed now.
        """
        kind, key = _classify(data)
        trigger = _SEND_TRIGGER.get(kind, _T.SEND_COMMAND)
        new_state = self._table.get((self.state, trigger))
        if new_state is None:
            raise LocalProtocolError(
                f"cannot {trigger.value} ({data.split(b' ', 1)[0][:20]!r}) "
                f"in state {self.state.name} ({self.mode})"
            )
        if kind is CommandKind.EXECUTE and key is not None and key in self._executes:
            raise LocalProtocolError(f"Event-UUID {key} is already waiting for its completion")
        token = self._next_token
        self._next_token += 1
        self.state = new_state
        self._pending.append(_Pending(token, kind, key))
        if kind is CommandKind.EXECUTE and key is not None:
            self._executes[key] = token
        elif kind is CommandKind.BGAPI and key is not None:
            self._jobs[key] = token
        return data, token

    def close(self) -> None:
        """We closed the socket: no more sends or receives."""
        self.state = self._table[(self.state, _T.LOCAL_CLOSE)]

    # -- receiving -------------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> list[ConnEvent]:
        """Feed received bytes (``b""`` = end of stream); return what they mean, in order."""
        if self.state is ConnState.ERROR:
            raise RemoteProtocolError("connection already failed") from self.error
        if self.state is ConnState.CLOSED:
            self._fail(RemoteProtocolError("data after close"))
        try:
            messages = self._parser.feed(data)
            out = [self._handle(m) for m in messages]
            if not data:
                self._transition(_T.RECV_EOF)
                unanswered = self.pending_tokens
                self._pending.clear()
                self._executes.clear()
                self._jobs.clear()
                out.append(Closed(unanswered))
            return out
        except ProtocolError as exc:
            self._fail(exc)

    def _fail(self, exc: ProtocolError) -> NoReturn:
        self.state = ConnState.ERROR
        self.error = exc
        raise exc

    def _transition(self, trigger: _T) -> None:
        new_state = self._table.get((self.state, trigger))
        if new_state is None:
            if self.state is ConnState.DISCONNECTED:
                raise RemoteProtocolError(f"{trigger.value} after the final disconnect notice")
            raise RemoteProtocolError(
                f"unexpected {trigger.value} in state {self.state.name} ({self.mode})"
            )
        self.state = new_state

    def _handle(self, msg: Message) -> ConnEvent:
        ctype = msg.content_type
        if ctype == "command/reply":
            return self._on_reply(msg)
        if ctype == "api/response":
            return self._on_api_response(msg)
        if ctype in ("text/event-plain", "text/event-json"):
            return self._on_event(msg)
        if ctype == "text/disconnect-notice":
            linger = msg.get("Content-Disposition", "").lower() == "linger"
            self._transition(_T.RECV_LINGER_NOTICE if linger else _T.RECV_DISCONNECT_NOTICE)
            if linger:
                self.linger_notice = True
            return Disconnect(linger, msg)
        if ctype == "auth/request":
            self._transition(_T.RECV_AUTH_REQUEST)
            return AuthRequest(msg)
        if ctype == "text/rude-rejection":
            self._transition(_T.RECV_RUDE_REJECTION)
            return RudeRejection(msg)
        if ctype == "log/data":
            self._transition(_T.RECV_LOG)
            return LogData(msg)
        raise RemoteProtocolError(f"unexpected Content-Type {ctype!r}")

    def _pop_pending(self, what: str) -> _Pending:
        if not self._pending:
            raise RemoteProtocolError(f"{what} with no command pending")
        return self._pending.popleft()

    def _on_reply(self, msg: Message) -> ConnEvent:
        if self.state is ConnState.DISCONNECTED:
            raise RemoteProtocolError("reply after the final disconnect notice")
        cmd = self._pop_pending("command/reply")
        if cmd.kind is CommandKind.CONNECT:
            if not msg.is_ok or "Event-Name" not in msg.headers:
                raise RemoteProtocolError("connect reply without +OK and channel data")
            self._transition(_T.RECV_CONNECT_REPLY)
            channel_data = Event.from_channel_data(msg)
            self.channel_data = channel_data
            self.channel_uuid = channel_data.uuid
            return Connected(cmd.token, channel_data, msg)
        if cmd.kind is CommandKind.AUTH:
            self._transition(_T.RECV_AUTH_OK if msg.is_ok else _T.RECV_AUTH_FAIL)
            return CommandReply(cmd.token, msg)
        self._transition(_T.RECV_REPLY)
        if cmd.kind is CommandKind.EXECUTE and cmd.key is not None and not msg.is_ok:
            self._executes.pop(cmd.key, None)  # refused: no completion will come
        elif cmd.kind is CommandKind.BGAPI:
            if msg.is_ok:
                job = msg.get("Job-UUID") or cmd.key
                if job and job != cmd.key:
                    if cmd.key is not None:
                        self._jobs.pop(cmd.key, None)
                    self._jobs[job] = cmd.token
            elif cmd.key is not None:
                self._jobs.pop(cmd.key, None)
        return CommandReply(cmd.token, msg)

    def _on_api_response(self, msg: Message) -> ConnEvent:
        self._transition(_T.RECV_REPLY)
        cmd = self._pop_pending("api/response")
        if cmd.kind is not CommandKind.API:
            raise RemoteProtocolError(f"api/response to a {cmd.kind.value} command")
        return ApiResponse(cmd.token, msg.body_text, msg)

    def _on_event(self, msg: Message) -> ConnEvent:
        self._transition(_T.RECV_EVENT)
        event = Event.from_message(msg)
        name = event.name
        if (
            name in _HANGUP_EVENTS
            and self.channel_uuid is not None
            and event.uuid == self.channel_uuid
        ):
            self.hangup_seen = True
            if self.hangup_cause is None:
                self.hangup_cause = event.get("Hangup-Cause")
        if name == "CHANNEL_EXECUTE_COMPLETE":
            app_uuid = event.app_uuid
            if app_uuid is not None and app_uuid in self._executes:
                return ExecuteComplete(self._executes.pop(app_uuid), app_uuid, event)
        elif name == "BACKGROUND_JOB":
            job = event.job_uuid
            if job is not None and job in self._jobs:
                return BackgroundJobDone(self._jobs.pop(job), job, event.body, event)
        return EventReceived(event)
