"""A small scripted FreeSWITCH for the runtime's own tests: one channel per `FakeCall`, JSON
events, apps executed in order like a parked async session.

It speaks the bytes of the recorded sessions (tests/fixtures/freeswitch): the URL-encoded
connect reply, `command/reply` replies, `text/event-json` events, CHANNEL_EXECUTE /
CHANNEL_EXECUTE_COMPLETE with Application-UUID, CHANNEL_HANGUP before a cut-off app's
completion, the linger disconnect-notice and `exit`. Channel events go to every socket
attached to the channel (the first, lingering one keeps seeing them while the dialplan's
second socket serves a queue's `after`). As on FreeSWITCH 1.10.12, the end of any socket of
the channel (`exit` or a close) clears CF_CONTROLLED: a newer socket's park then ends after
its next application and the dialplan hangs up (`flowc_agent_done`), as live capture T04
shows (lines 63, 73, 74). A CHANNEL_HANGUP carries what the real one carries about who
ended the call: the far end's SIP status for a caller (T14 line 21), `current_application=
hangup` for the dialplan (T04 line 74). The caller is a list of inputs consumed by
input-taking apps (`press 12#`, `silence`, `hangup`, `say words`); queues, bridges and faults
come from `Script`. Deliberately small: the project's full emulator is runtime/emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid as uuid_mod
from dataclasses import dataclass, field
from urllib.parse import quote

from tests.runtime.esl_support import fs_separate_blank


@dataclass
class Script:
    inputs: list[str] = field(default_factory=list)
    queue: list[str] = field(default_factory=lambda: ["answered"])  # one per callcenter
    agent: str = "1000@default"
    bridge_ok: bool = True
    # the caller hangs up while this app runs (`app:text`: the first one whose argument has text)
    hangup_during: str | None = None
    drop_during: str | None = None  # the switch drops the socket
    garbage_during: str | None = None  # the switch sends garbage bytes
    stall_during: str | None = None  # the switch never completes this app
    agent_talk: float = 0.0
    resume_host: tuple[str, int] | None = None  # where the dialplan's second socket goes
    hangup_with_agent: bool = False  # the caller hangs up at the end of the conversation
    voicemail_records: bool = True  # False: mod_voicemail returns without a message (T10b)
    collect_delay: float = 0.0  # seconds each play_and_get_digits takes (the caller is slow)


@dataclass
class Record:
    apps: list[tuple[str, str]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)
    hangup_cause: str | None = None
    exits: int = 0
    closed_by_runtime: int = 0
    resumed: bool = False
    connections: int = 0
    released: bool = False  # the runtime sent `resume`
    # (socket number, the channel was hung up already) each time the runtime ended a socket
    sockets_ended: list[tuple[int, bool]] = field(default_factory=list)
    hangup_by: str | None = None  # caller, dialplan, runtime


class _Session:
    def __init__(self, call: FakeCall, writer: asyncio.StreamWriter) -> None:
        self.call = call
        self.writer = writer
        self.apps: asyncio.Queue[tuple[str, str, str]] = asyncio.Queue()
        self.lingering = False
        self.subscribed = False
        self.gone = False

    def send(self, text: str) -> None:
        if not self.gone and not self.writer.is_closing():
            self.writer.write(text.encode())

    def reply(self, text: str) -> None:
        self.send(f"Content-Type: command/reply\nReply-Text: {text}\n\n")


class FakeCall:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        dest: str = "8001",
        caller: str = "+8613800000000",
        variables: dict[str, str] | None = None,
        script: Script | None = None,
        call_uuid: str | None = None,
        answered: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.uuid = call_uuid or str(uuid_mod.uuid4())
        self.dest = dest
        self.caller = caller
        self.vars: dict[str, str] = dict(variables or {})
        self.script = script or Script()
        self.inputs = list(self.script.inputs)
        self.record = Record()
        self.answered = answered
        self.hung_up = False
        self.sessions: list[_Session] = []
        self._queue_i = 0
        self._exit_key: asyncio.Future[str] | None = None  # a callcenter wait's exit key
        self._uncontrolled = False  # a socket of the channel ended while a newer one parks it
        self._tasks: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------------ wire

    def _headers(self) -> dict[str, str]:
        h = {
            "Event-Name": "CHANNEL_DATA",
            "Unique-ID": self.uuid,
            "Caller-Caller-ID-Number": self.caller,
            "Caller-Caller-ID-Name": "Test",
            "Caller-Destination-Number": self.dest,
            "Caller-Context": "public",
            "Answer-State": "answered" if self.answered else "ringing",
            "Channel-State": "CS_EXECUTE",
        }
        for k, v in self.vars.items():
            h[f"variable_{k}"] = v
        return h

    def event(self, name: str, **extra: str) -> None:
        body = {**self._headers(), "Event-Name": name, **extra}
        payload = json.dumps(body)
        frame = (
            f"Content-Length: {len(payload.encode())}\nContent-Type: text/event-json\n\n{payload}"
        )
        for s in self.sessions:
            if s.subscribed:
                s.send(frame)

    def _connect_reply(self, s: _Session) -> None:
        lines = [f"{k}: {quote(v, safe='')}" for k, v in self._headers().items()]
        lines += [
            "Content-Type: command/reply",
            "Reply-Text: %2BOK%0A",
            "Socket-Mode: async",
            "Control: full",
        ]
        s.send("\n".join(lines) + "\n\n")

    # ------------------------------------------------------------------ sessions

    async def run(self, timeout: float = 10.0) -> Record:
        """Place the call; return when every socket of it has ended."""
        async with asyncio.timeout(timeout):
            await self._session(self.host, self.port)
            while self._tasks:
                await self._tasks.pop(0)
        return self.record

    async def _session(self, host: str, port: int) -> None:
        self.record.connections += 1
        reader, writer = await asyncio.open_connection(host, port)
        s = _Session(self, writer)
        self.sessions.append(s)
        worker = asyncio.create_task(self._worker(s))
        try:
            first = await _read_command(reader)
            assert first is not None and first[0] == "connect", first
            self._connect_reply(s)
            while True:
                msg = await _read_command(reader)
                if msg is None:
                    self.record.closed_by_runtime += 1
                    self.record.sockets_ended.append((self.sessions.index(s), self.hung_up))
                    break
                line, headers, body = msg
                self.record.commands.append(line)
                if line.startswith("myevents"):
                    s.subscribed = True
                    s.reply("+OK Events Enabled")
                elif line.startswith("linger"):
                    s.lingering = True
                    s.reply("+OK will linger")
                elif line == "resume":
                    self.record.released = True
                    s.reply("+OK")
                elif line == "exit":
                    self.record.exits += 1
                    self.record.sockets_ended.append((self.sessions.index(s), self.hung_up))
                    s.reply("+OK bye")
                    s.send(
                        "Content-Type: text/disconnect-notice\nContent-Disposition: disconnect\n"
                        "Content-Length: 23\n\nDisconnected, goodbye.\n"
                    )
                    break
                elif line.startswith("api uuid_recv_dtmf "):
                    s.send(_api_response(self._recv_dtmf(line.split()[3])))
                elif line.startswith("api "):
                    # uuid_break answers +OK and does not end a callcenter wait (T08 28-29)
                    s.send("Content-Type: api/response\nContent-Length: 4\n\n+OK\n")
                elif line.startswith("sendmsg"):
                    s.reply("+OK")
                    if headers.get("call-command") == "hangup":
                        self.record.apps.append(("hangup", headers.get("hangup-cause", "")))
                        self.hangup(headers.get("hangup-cause") or "NORMAL_CLEARING", "runtime")
                    else:
                        arg = body.decode() if body else headers.get("execute-app-arg", "")
                        s.apps.put_nowait(
                            (headers["execute-app-name"], arg, headers.get("event-uuid", ""))
                        )
                else:
                    s.reply("-ERR command not found")
        finally:
            s.gone = True
            if not self.hung_up and s is not self.sessions[-1]:
                self._uncontrolled = True  # mod_event_socket.c:2838 clears CF_CONTROLLED
            worker.cancel()
            with contextlib.suppress(BaseException):
                await worker
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _worker(self, s: _Session) -> None:
        while True:
            app, arg, app_uuid = await s.apps.get()
            if self.hung_up:
                self._complete(app, arg, app_uuid, {})
                continue
            self.record.apps.append((app, arg))
            self.event("CHANNEL_EXECUTE", Application=app, **{"Application-UUID": app_uuid})
            script = self.script
            if script.drop_during == app:
                s.writer.transport.abort()
                return
            if script.garbage_during == app:
                s.send("this is not ESL\n\x00\x01garbage: \n\n\n")
                return
            if script.stall_during == app:
                await asyncio.sleep(3600)
            name, _, part = (script.hangup_during or "").partition(":")
            if name == app and part in arg:
                self.hangup("NORMAL_CLEARING")
                self._complete(app, arg, app_uuid, {}, response="PLAYBACK ERROR")
                continue
            extra = await self._run_app(app, arg)
            self._complete(app, arg, app_uuid, extra)
            if self._uncontrolled and s is self.sessions[-1] and not self.hung_up:
                # The park ends after this app (switch_ivr.c:1007): the dialplan goes on,
                # transfer flowc_next -> flowc_agent_done -> hangup (T04 line 73).
                self.event("CHANNEL_UNPARK")
                self.event("CHANNEL_EXECUTE", Application="transfer")
                self.hangup("NORMAL_CLEARING", "dialplan")
                return
            if app == "callcenter" and extra.get("variable_cc_cause") == "answered":
                await self._agent_conversation()
                return  # control left the socket
            if app == "bridge" and script.bridge_ok:
                if self.vars.get("hangup_after_bridge") == "true":
                    self.hangup("NORMAL_CLEARING", "switch")
            if app == "transfer":
                return  # control left the socket

    def _complete(
        self, app: str, arg: str, app_uuid: str, extra: dict[str, str], response: str = "_none_"
    ) -> None:
        self.event(
            "CHANNEL_EXECUTE_COMPLETE",
            Application=app,
            **{"Application-Data": arg, "Application-Response": response},
            **{"Application-UUID": app_uuid},
            **extra,
        )

    def hangup(self, cause: str, by: str = "caller") -> None:
        if self.hung_up:
            return
        self.hung_up = True
        self.record.hangup_cause = cause
        self.record.hangup_by = by
        extra = _HANGUP_VARS[by]
        self.event("CHANNEL_HANGUP", **{"Hangup-Cause": cause}, **extra)
        disposition = "recv_bye" if by == "caller" else "send_bye"
        self.event(
            "CHANNEL_HANGUP_COMPLETE",
            **{"Hangup-Cause": cause, "variable_sip_hangup_disposition": disposition},
            **extra,
        )
        for s in self.sessions:
            if s.lingering:
                s.send(
                    "Content-Type: text/disconnect-notice\nContent-Disposition: linger\n"
                    "Content-Length: 7\n\nlinger\n"
                )
            else:
                s.writer.close()

    def _next_input(self) -> str:
        return self.inputs.pop(0) if self.inputs else "silence"

    async def _agent_conversation(self) -> None:
        self.event("CHANNEL_EXECUTE_COMPLETE", Application="socket")
        self.event("CHANNEL_BRIDGE")
        await asyncio.sleep(self.script.agent_talk)
        self.event("CHANNEL_UNBRIDGE", variable_cc_agent=self.script.agent)
        if self.script.hangup_with_agent:
            self.hangup("NORMAL_CLEARING")
            return
        node = self.vars.get("flowc_resume")
        if node and self.script.resume_host:
            # The dialplan after the socket: transfer to flowc_after_<node>, socket again.
            self.vars.pop("flowc_resume")
            self.vars["flowc_resume_node"] = node
            self.vars["cc_agent"] = self.script.agent
            self.event("CHANNEL_EXECUTE", Application="transfer")
            self.event("CHANNEL_EXECUTE", Application="socket")
            self.record.resumed = True
            host, port = self.script.resume_host
            self._tasks.append(asyncio.create_task(self._session(host, port)))
            return
        self.hangup("NORMAL_CLEARING", "dialplan")  # nothing after the socket in the dialplan

    async def _run_app(self, app: str, arg: str) -> dict[str, str]:
        if app == "answer":
            self.answered = True
            self.event("CHANNEL_ANSWER")
        elif app == "set":
            name, _, value = arg.partition("=")
            self.vars[name] = value
        elif app == "multiset":
            delim = arg[2]
            for part in arg[3:].split(delim):
                name, _, value = part.partition("=")
                self.vars[name] = value
        elif app == "unset":
            self.vars.pop(arg, None)
        elif app in ("playback", "speak", "say"):
            self.record.heard.append(arg)
        elif app == "hangup":
            self.hangup(arg or "NORMAL_CLEARING", "dialplan")
        elif app == "play_and_get_digits":
            await asyncio.sleep(self.script.collect_delay)
            return self._pagd(arg)
        elif app == "callcenter":
            return await self._callcenter(arg)
        elif app == "bridge":
            if self.script.bridge_ok:
                self.event("CHANNEL_BRIDGE")
                self.event("CHANNEL_UNBRIDGE")
                return {"variable_originate_disposition": "SUCCESS"}
            if self.vars.get("continue_on_fail") != "true":
                self.hangup("USER_BUSY", "switch")
            return {"variable_originate_disposition": "USER_BUSY", "variable_DIALSTATUS": "BUSY"}
        elif app == "voicemail":
            if not self.script.voicemail_records:
                return {}  # T10b line 50, T10c line 45: mod_voicemail returned, nothing kept
            box = arg.split()[-1]
            return {  # T10 line 44
                "variable_record_ms": "3000",
                "variable_record_seconds": "3",
                "variable_voicemail_message_len": "00:00:03",
                "variable_voicemail_file_path": f"/srv/voicemail/default/{box}/msg_{self.uuid}.wav",
            }
        elif app == "record":
            return {"variable_record_seconds": "3", "variable_record_ms": "3000"}
        return {}

    async def _callcenter(self, queue: str) -> dict[str, str]:
        outcome = self.script.queue[min(self._queue_i, len(self.script.queue) - 1)]
        self._queue_i += 1
        if outcome == "answered":
            return {"variable_cc_cause": "answered", "variable_cc_queue": queue}
        if outcome == "max_wait":
            # Nobody answers: only an exit key ends the wait (mod_callcenter.c 3188-3233;
            # uuid_break does not, T08), e.g. one the runtime presses (E1 line 41).
            self._exit_key = asyncio.get_running_loop().create_future()
            try:
                key = await self._exit_key
            finally:
                self._exit_key = None
            return {
                "variable_cc_cause": "cancel",
                "variable_cc_cancel_reason": "EXIT_WITH_KEY",
                "variable_cc_exit_key": key,
            }
        reason = {"timeout": "TIMEOUT", "no_agent": "NO_AGENT_TIMEOUT"}.get(
            outcome, "EXIT_WITH_KEY"
        )
        return {"variable_cc_cause": "cancel", "variable_cc_cancel_reason": reason}

    def _recv_dtmf(self, digits: str) -> str:
        """`uuid_recv_dtmf <uuid> <digits>` (E1 line 481, 41): the keys as if the caller
        pressed them (DTMF-Source APP); one of `cc_exit_keys` ends a callcenter wait."""
        for key in digits:
            self.event("DTMF", **{"DTMF-Digit": key, "DTMF-Duration": "2000", "DTMF-Source": "APP"})
            waiting = self._exit_key
            if (
                waiting is not None
                and not waiting.done()
                and key in self.vars.get("cc_exit_keys", "")
            ):
                waiting.set_result(key)
        return f"+OK {self.uuid} received DTMF {digits}."

    def _pagd(self, arg: str) -> dict[str, str]:
        argv = fs_separate_blank(arg, 11)
        assert len(argv) >= 10, argv
        min_d, max_d = int(argv[0]), int(argv[1])
        terms, prompt, var, regex = argv[4], argv[5], argv[7], argv[8]
        self.record.heard.append(prompt)
        got = self._next_input()
        if got == "hangup":
            self.hangup("NORMAL_CLEARING")
            return {}
        if got.startswith("say "):
            body = (
                '<result><interpretation confidence="90"><input mode="speech">'
                f"{got[4:]}</input></interpretation></result>"
            )
            self.event("DETECTED_SPEECH", **{"Speech-Type": "detected-speech", "_body": body})
            return {"variable_read_result": "failure"}
        if got == "silence":
            return {"variable_read_result": "failure"}
        keys = got.removeprefix("press ").strip()
        for k in keys:
            self.event("DTMF", **{"DTMF-Digit": k})
        digits, term = keys, ""
        if terms != "none" and digits and digits[-1] in terms:
            term, digits = digits[-1], digits[:-1]
        if not min_d <= len(digits) <= max_d:
            return {"variable_read_result": "failure", f"variable_{var}_invalid": digits}
        if regex and not re.search(regex, digits):
            return {"variable_read_result": "success", f"variable_{var}_invalid": digits}
        return {
            "variable_read_result": "success",
            f"variable_{var}": digits,
            "variable_read_terminator_used": term,
        }


# What a CHANNEL_HANGUP says about who ended the call (the live captures' variables).
_HANGUP_VARS: dict[str, dict[str, str]] = {
    # T14 line 21: the caller's BYE
    "caller": {
        "variable_sip_term_status": "200",
        "variable_proto_specific_hangup_cause": "sip:200",
        "variable_sip_term_cause": "16",
    },
    # T04 line 74: the dialplan's hangup application
    "dialplan": {
        "variable_current_application": "hangup",
        "variable_current_application_data": "NORMAL_CLEARING",
    },
    # D1 line 107: `sendmsg` hangup from the runtime: nothing of a far end
    "runtime": {},
    # the end of a bridge (hangup_after_bridge), a failed bridge: nothing either
    "switch": {},
}


def _api_response(text: str) -> str:
    return f"Content-Type: api/response\nContent-Length: {len(text.encode())}\n\n{text}"


async def _read_command(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes] | None:
    try:
        head = await reader.readuntil(b"\n\n")
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        return None
    lines = head.decode().strip("\n").split("\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    return lines[0], headers, body
