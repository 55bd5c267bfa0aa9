"""Builders for what an ESL client sends, as bytes ready for the socket.

A command is a header block like any ESL message: the first line is the
command itself, further ``Name: value`` lines are its headers, an empty line
ends it; ``sendmsg`` may carry a body (``content-length``).  FreeSWITCH reads
command header values raw (no URL-decoding), so a value can never contain a
line break: every builder rejects ``\\r``/``\\n`` where they would break the
framing (``ValueError``), except ``sendmsg_execute``, which switches a
multi-line argument to the ``content-type: text/plain`` + body form that
``switch_ivr_parse_event`` understands.

Use as ``from runtime.esl import commands as cmd; cmd.exit()`` (``exit`` and
``filter`` are named after the protocol commands and shadow the builtins if
imported bare).

``pagd_args`` builds a ``play_and_get_digits`` argument string that
FreeSWITCH's tokenizer (``switch_separate_string`` with a blank delimiter)
splits back into exactly the intended positions; see its docstring.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterable
from typing import Final, Literal

__all__ = [
    "api",
    "auth",
    "bgapi",
    "connect",
    "divert_events",
    "event",
    "exit",
    "filter",
    "filter_delete",
    "getvar",
    "linger",
    "myevents",
    "new_event_uuid",
    "nixevent",
    "noevents",
    "nolinger",
    "pagd_args",
    "resume",
    "sendmsg_execute",
    "sendmsg_hangup",
    "userauth",
]

EventFormatName = Literal["plain", "json"]

# Event-UUIDs / Job-UUIDs only have to be unique among what one switch sees: a random
# UUID-4 prefix drawn once per process and a counter in the last 12 hex digits give that
# without a 16-byte read from the kernel's random source per command (uuid4).
_UUID_PREFIX: Final = str(uuid.uuid4())[:24]
_uuid_counter = itertools.count(int(str(uuid.uuid4())[24:], 16) >> 8)


def new_event_uuid() -> str:
    """A fresh UUID-shaped id for ``Event-UUID`` (sendmsg) or ``Job-UUID`` (bgapi)."""
    return f"{_UUID_PREFIX}{next(_uuid_counter) & 0xFFFFFFFFFFFF:012x}"


_TOKEN: Final = re.compile(r"[^\s]+")


def _line(value: str, what: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError(f"{what} must be a single line: {value!r}")
    return value


def _token(value: str, what: str) -> str:
    if not _TOKEN.fullmatch(value):
        raise ValueError(f"{what} must be a non-empty word without whitespace: {value!r}")
    return value


def _command(first_line: str, headers: Iterable[tuple[str, str]] = ()) -> bytes:
    lines = [_line(first_line, "command")]
    for name, value in headers:
        lines.append(f"{_token(name, 'header name')}: {_line(value, name)}")
    return ("\n".join(lines) + "\n\n").encode()


# -- session setup ------------------------------------------------------------------------------


def connect() -> bytes:
    """Outbound: first command; the reply carries the channel data."""
    return b"connect\n\n"


def auth(password: str) -> bytes:
    """Inbound: answer ``auth/request``."""
    return _command(f"auth {_token(password, 'password')}")


def userauth(user: str, password: str) -> bytes:
    """Inbound: ``userauth user@domain:password`` (event-socket users in the directory)."""
    return _command(f"userauth {_token(user, 'user')}:{_token(password, 'password')}")


def myevents(fmt: EventFormatName | None = None, *, uuid: str | None = None) -> bytes:
    """Subscribe to one channel's events (outbound: ours; inbound: ``uuid``)."""
    parts = ["myevents"]
    if uuid is not None:
        parts.append(_token(uuid, "uuid"))
    if fmt is not None:
        parts.append(_format(fmt))
    return _command(" ".join(parts))


def linger(seconds: int | None = None) -> bytes:
    """Keep the socket after hang-up (``None``: until we close it; needs ``full``)."""
    if seconds is None:
        return b"linger\n\n"
    if seconds <= 0:
        raise ValueError("linger seconds must be positive")
    return _command(f"linger {int(seconds)}")


def nolinger() -> bytes:
    return b"nolinger\n\n"


def _format(fmt: str) -> str:
    if fmt not in ("plain", "json"):
        raise ValueError(f"event format must be 'plain' or 'json', not {fmt!r}")
    return fmt


def event(fmt: EventFormatName, *names: str) -> bytes:
    """``event plain|json NAME ...`` (``ALL``; ``CUSTOM sub::class ...`` for custom events)."""
    if not names:
        raise ValueError("event needs at least one event name")
    return _command(" ".join(["event", _format(fmt), *(_token(n, "event name") for n in names)]))


def nixevent(*names: str) -> bytes:
    if not names:
        raise ValueError("nixevent needs at least one event name")
    return _command(" ".join(["nixevent", *(_token(n, "event name") for n in names)]))


def noevents() -> bytes:
    return b"noevents\n\n"


def filter(header: str, value: str) -> bytes:
    """``filter <Header> <value>`` (positive filters OR, ``-value`` vetoes, ``/regex``)."""
    return _command(f"filter {_token(header, 'header')} {_line(value, 'filter value')}")


def filter_delete(header: str | None = None, value: str | None = None) -> bytes:
    """``filter delete <Header> [value]``; no header: ``filter delete all``."""
    if header is None:
        if value is not None:
            raise ValueError("filter_delete: a value needs a header")
        return b"filter delete all\n\n"
    text = f"filter delete {_token(header, 'header')}"
    if value is not None:
        text += " " + _line(value, "filter value")
    return _command(text)


def exit() -> bytes:
    """Ask FreeSWITCH to close the socket (``+OK bye``, then a disconnect notice)."""
    return b"exit\n\n"


def resume() -> bytes:
    """Outbound: continue the dialplan after the ``socket`` app when the socket closes."""
    return b"resume\n\n"


def divert_events(on: bool = True) -> bytes:
    """Outbound: divert events queued to the session (e.g. DETECTED_SPEECH) to the socket."""
    return b"divert_events on\n\n" if on else b"divert_events off\n\n"


def getvar(name: str) -> bytes:
    """Outbound: ``getvar <name>`` (the reply's Reply-Text is the raw value)."""
    return _command(f"getvar {_token(name, 'variable name')}")


# -- API ----------------------------------------------------------------------------------------


def api(command: str) -> bytes:
    """``api <cmd> <args>``: blocking; the answer is an ``api/response`` body."""
    if not command.strip():
        raise ValueError("api command must not be empty")
    return _command(f"api {_line(command, 'api command')}")


def bgapi(command: str, job_uuid: str | None = None) -> bytes:
    """``bgapi <cmd> <args>``: immediate reply with Job-UUID, result in BACKGROUND_JOB later.

    ``job_uuid`` makes FreeSWITCH use our UUID (sent as a ``Job-UUID`` header).
    """
    if not command.strip():
        raise ValueError("bgapi command must not be empty")
    headers = [] if job_uuid is None else [("Job-UUID", _token(job_uuid, "job uuid"))]
    return _command(f"bgapi {_line(command, 'bgapi command')}", headers)


# -- sendmsg ------------------------------------------------------------------------------------


def sendmsg_execute(
    app: str,
    arg: str,
    event_uuid: str,
    *,
    uuid: str | None = None,
    event_lock: bool = False,
    loops: int | None = None,
) -> bytes:
    """``sendmsg`` ``call-command: execute``.

    ``event_uuid`` comes back as ``Application-UUID`` in CHANNEL_EXECUTE and
    CHANNEL_EXECUTE_COMPLETE: that completion, not the immediate ``+OK``, ends
    the app.  ``arg`` is sent raw in ``execute-app-arg``; an argument with a
    line break goes as a ``text/plain`` body instead.  ``loops`` repeats the
    app (one completion per iteration; FreeSWITCH stops early when an
    iteration lasts under 0.5 s or the channel goes down).  ``event_lock``: no
    other queued message is processed while this app runs.
    """
    first = "sendmsg" if uuid is None else f"sendmsg {_token(uuid, 'uuid')}"
    headers: list[tuple[str, str]] = [
        ("call-command", "execute"),
        ("execute-app-name", _token(app, "app name")),
        ("Event-UUID", _token(event_uuid, "event uuid")),
    ]
    if event_lock:
        headers.append(("event-lock", "true"))
    if loops is not None:
        if loops == 0 or loops < -1:
            raise ValueError("loops must be a positive count or -1 (forever)")
        headers.append(("loops", str(int(loops))))
    multiline = "\n" in arg or "\r" in arg
    if arg and not multiline:
        headers.append(("execute-app-arg", arg))
    if not multiline:
        return _command(first, headers)
    body = arg.encode()
    headers.append(("content-type", "text/plain"))
    headers.append(("content-length", str(len(body))))
    return _command(first, headers) + body


def sendmsg_hangup(cause: str = "NORMAL_CLEARING", *, uuid: str | None = None) -> bytes:
    """``sendmsg`` ``call-command: hangup`` with ``hangup-cause``."""
    first = "sendmsg" if uuid is None else f"sendmsg {_token(uuid, 'uuid')}"
    return _command(
        first, [("call-command", "hangup"), ("hangup-cause", _token(cause, "hangup cause"))]
    )


# -- play_and_get_digits ------------------------------------------------------------------------

NO_INVALID_PROMPT: Final = "silence_stream://250"
"""Filler for an empty invalid-input prompt (an empty argument would shift the rest)."""

NO_PROMPT: Final = "silence"
"""Filler for an empty prompt: ``switch_ivr_read`` skips a prompt named ``silence``."""

NO_TERMINATORS: Final = "none"
"""Filler for "no terminator key": an empty argument means ``#`` to FreeSWITCH, and
no DTMF digit (0-9 * # A-D) is one of the letters n, o, e."""

MATCH_ANY: Final = ".*"
"""Filler for an empty regex (every digit string matches, as with no regex)."""

# A backslash followed by one of these is rewritten by FreeSWITCH's tokenizer
# (\' -> ', \" -> ", \n \r \t \s -> whitespace); a trailing backslash would
# escape the delimiter or our closing quote.  Such text cannot be passed through.
_UNREPRESENTABLE: Final = re.compile(r"\\(?:['\"nrts]|$)")


def quote_arg(value: str) -> str:
    """Quote one argument for FreeSWITCH's blank-delimited tokenizer.

    ``'`` is escaped as ``\\'``; a value with a space is wrapped in single
    quotes.  The tokenizer strips the quotes and the escapes again.
    Raises ``ValueError`` for an empty value, a line break, or a backslash
    sequence the tokenizer would rewrite (see ``_UNREPRESENTABLE``).
    """
    if not value:
        raise ValueError("an argument cannot be empty (it would shift the following ones)")
    _line(value, "argument")
    if _UNREPRESENTABLE.search(value):
        raise ValueError(
            f"argument {value!r} contains a backslash sequence FreeSWITCH would rewrite"
        )
    escaped = value.replace("'", "\\'")
    if " " in value:
        return f"'{escaped}'"
    return escaped


def pagd_args(
    min_digits: int,
    max_digits: int,
    tries: int,
    timeout_ms: int,
    terminators: str,
    prompt: str,
    invalid_prompt: str,
    var_name: str,
    regex: str,
    digit_timeout_ms: int,
    fail_ext: str | None = None,
) -> str:
    """Build the argument string of ``play_and_get_digits``.

    FreeSWITCH splits it with ``switch_separate_string(..., ' ', argv, 11)``:
    runs of spaces collapse, so an empty argument vanishes and SHIFTS every
    later one (the recorded ``outbound_pagd_unquoted_prompt_json`` session shows
    an unquoted ``say:`` prompt turning the variable name into ``your`` and the
    tail into a transfer target).  Every position is therefore filled:

    * empty ``prompt`` -> ``silence`` (``switch_ivr_read`` plays nothing);
    * empty ``invalid_prompt`` -> ``silence_stream://250``;
    * empty ``terminators`` -> ``none`` (FreeSWITCH would read an empty or
      missing value as the default ``#``; no DTMF digit is n, o or e, so
      ``none`` means "no terminator"); ``=#`` / ``+#`` / ``x#`` pass through;
    * empty ``regex`` -> ``.*``;
    * ``digit_timeout_ms`` is always written (0 means "same as timeout").

    Arguments with spaces are single-quoted, ``'`` is escaped (``quote_arg``).
    ``fail_ext`` is ``"<ext> [<dialplan> [<context>]]"``; on final failure the
    channel is transferred there and leaves socket control.
    FreeSWITCH expands ``${var}`` in the whole string before splitting it.
    Limits: ``0 <= min_digits <= max_digits <= 128`` (the app's buffer),
    ``tries >= 1``; FreeSWITCH raises a timeout <= 1000 ms to 1000 ms.
    """
    if not 0 <= min_digits <= max_digits <= 128 or max_digits < 1:
        raise ValueError("need 0 <= min_digits <= max_digits <= 128 and max_digits >= 1")
    if tries < 1:
        raise ValueError("tries must be >= 1")
    if timeout_ms < 0 or digit_timeout_ms < 0:
        raise ValueError("timeouts must be >= 0")
    _token(var_name, "var_name")
    if "'" in var_name or "\\" in var_name:
        raise ValueError(f"var_name {var_name!r} must not contain quotes or backslashes")
    terms = terminators or NO_TERMINATORS
    _token(terms, "terminators")
    args = [
        str(int(min_digits)),
        str(int(max_digits)),
        str(int(tries)),
        str(int(timeout_ms)),
        quote_arg(terms),
        quote_arg(prompt or NO_PROMPT),
        quote_arg(invalid_prompt or NO_INVALID_PROMPT),
        var_name,
        quote_arg(regex or MATCH_ANY),
        str(int(digit_timeout_ms)),
    ]
    if fail_ext is not None:
        if not fail_ext.strip():
            raise ValueError("fail_ext must not be blank (use None for no transfer)")
        args.append(quote_arg(" ".join(fail_ext.split())))
    return " ".join(args)
