"""Reader of the live captures in ``tests/fixtures/freeswitch/live/*.jsonl``.

One file is one real call through FreeSWITCH 1.10.12 (format: the README next to the files).
This module only parses; it is deliberately independent of ``runtime.esl`` and of the
emulator (plain ``partition`` for header blocks, ``json.loads`` for event bodies), so the
conformance tests compare the emulator against the recording and not against itself.

``load(name)`` gives a ``Capture``: the header, and per ESL connection (in accept order) the
commands the runtime wrote (``rt->fs``, re-framed into whole commands with their ``t``) and
the messages FreeSWITCH wrote (``fs->rt``, re-framed by ``Content-Length``), each with the
``t`` of the chunk that completed it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

LIVE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "freeswitch" / "live"
CAPTURES = sorted(p.name for p in LIVE_DIR.glob("*.jsonl"))


@dataclass(frozen=True)
class RtCommand:
    """One command the runtime sent: first line, headers (lower-case names), body."""

    t: float
    text: str

    @property
    def line(self) -> str:
        return self.text.split("\n", 1)[0]

    def header(self, name: str) -> str | None:
        for raw in self.text.split("\n")[1:]:
            key, sep, value = raw.partition(":")
            if sep and key.strip().lower() == name.lower():
                return value.strip()
        return None

    @property
    def app(self) -> str | None:
        """The app of a ``sendmsg`` execute."""
        return self.header("execute-app-name") if self.line.startswith("sendmsg") else None


@dataclass(frozen=True)
class FsMessage:
    """One message FreeSWITCH wrote: its outer headers, body, and the event inside."""

    t: float
    headers: dict[str, str]
    body: str

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def reply(self) -> str | None:
        """The reply text of a command (``command/reply`` Reply-Text, ``api/response`` body)."""
        if self.content_type == "command/reply" and "Event-Name" not in self.headers:
            return self.headers.get("Reply-Text", "")
        if self.content_type == "api/response":
            return self.body
        return None

    @property
    def event(self) -> dict[str, Any] | None:
        if self.content_type == "text/event-json":
            obj: dict[str, Any] = json.loads(self.body)
            return obj
        if self.content_type == "text/event-plain":
            head, _, _ = self.body.partition("\n\n")
            return {k: unquote(v) for k, _, v in (x.partition(": ") for x in head.split("\n"))}
        if self.content_type == "command/reply" and "Event-Name" in self.headers:
            return dict(self.headers)  # the CHANNEL_DATA reply to `connect`
        return None

    @property
    def event_name(self) -> str | None:
        ev = self.event
        return None if ev is None else str(ev.get("Event-Name"))


@dataclass
class Connection:
    """One outbound ESL connection of the call (the order FreeSWITCH opened them in)."""

    conn: int
    accept_t: float
    commands: list[RtCommand] = field(default_factory=list)
    messages: list[FsMessage] = field(default_factory=list)
    rt_eof_t: float | None = None
    fs_eof_t: float | None = None


@dataclass
class Capture:
    name: str
    header: dict[str, Any]
    connections: list[Connection]
    fslog: list[dict[str, Any]]

    @property
    def uuid(self) -> str:
        data = self.connections[0].messages[0].event
        assert data is not None
        return str(data["Unique-ID"])

    def fslog_has(self, needle: str) -> bool:
        return any(needle in str(r.get("line", "")) for r in self.fslog)


def split_commands(data: str) -> list[str]:
    """Whole commands (each ends with a blank line; a ``Content-Length`` body follows it)."""
    out: list[str] = []
    rest = data
    while "\n\n" in rest:
        head, _, rest = rest.partition("\n\n")
        length = 0
        for raw in head.split("\n"):
            key, sep, value = raw.partition(":")
            if sep and key.strip().lower() == "content-length":
                length = int(value.strip())
        body = rest.encode()[:length].decode()
        rest = rest.encode()[length:].decode()
        out.append(head + ("\n\n" + body if length else ""))
    if rest:
        raise ValueError(f"incomplete command at the end of the stream: {rest[:80]!r}")
    return out


def _split_messages(data: bytes) -> tuple[list[tuple[dict[str, str], str]], bytes]:
    out: list[tuple[dict[str, str], str]] = []
    while b"\n\n" in data:
        head, _, rest = data.partition(b"\n\n")
        headers: dict[str, str] = {}
        for raw in head.decode().split("\n"):
            key, _, value = raw.partition(": ")
            headers[key] = unquote(value)
        length = int(headers.get("Content-Length", "0"))
        if len(rest) < length:
            break
        out.append((headers, rest[:length].decode()))
        data = rest[length:]
    return out, data


def load(name: str) -> Capture:
    rows = [json.loads(x) for x in (LIVE_DIR / name).read_text().splitlines() if x.strip()]
    header = rows[0]
    conns: dict[int, Connection] = {}
    rt_buf: dict[int, list[tuple[float, str]]] = {}
    fs_buf: dict[int, bytes] = {}
    fslog: list[dict[str, Any]] = []
    for r in rows[1:]:
        kind = r.get("kind")
        if kind == "esl_conn":
            c = r["conn"]
            if r["event"] == "accept":
                conns[c] = Connection(c, r["t"])
                rt_buf[c] = []
                fs_buf[c] = b""
            elif r["event"] == "eof" and r.get("dir") == "rt->fs":
                conns[c].rt_eof_t = r["t"]
            elif r["event"] == "eof":
                conns[c].fs_eof_t = r["t"]
        elif kind == "esl":
            c = r["conn"]
            data = r["text"]
            if r["dir"] == "rt->fs":
                rt_buf[c].append((r["t"], data))
            else:
                msgs, fs_buf[c] = _split_messages(fs_buf[c] + data.encode())
                conns[c].messages += [FsMessage(r["t"], h, b) for h, b in msgs]
        elif kind == "fslog":
            fslog.append(r)
    for c, chunks in rt_buf.items():
        # commands may span chunks: re-frame the stream, stamping each with its last chunk's t
        text = ""
        pending: list[RtCommand] = []
        for t, data in chunks:
            text += data
            if "\n\n" not in text:
                continue
            whole = text[: text.rfind("\n\n") + 2]
            try:
                cmds = split_commands(whole)
            except ValueError:
                continue
            pending += [RtCommand(t, x) for x in cmds]
            text = text[len(whole) :]
        conns[c].commands = pending
    return Capture(name, header, [conns[c] for c in sorted(conns)], fslog)
