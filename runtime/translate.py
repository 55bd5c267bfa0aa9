"""Interpreter commands -> FreeSWITCH applications, and FreeSWITCH events -> interpreter events.

Sans-IO and pure: no sockets, no clock. `runtime.driver` sends what these functions build and
feeds back what they read. The mapping, command by command (`MediaConfig` holds the knobs):

Commands (each row: the command, then the applications it becomes):

* Answer: `answer` (skipped when the channel data says the call is already answered).
* Play: one app per item: audio -> `playback <file>`; tts -> `speak <engine>|<voice>|<text>`;
  say -> `say <lang> <TYPE> <METHOD> <value>`; `playback_terminators` is set to `any`
  (barge-in) or `none` when it changes.
* Collect: `play_and_get_digits <min> <max> <tries> <timeout> <terminators> <prompt>
  <invalid> <var> <regex> <digit_timeout>` with every position filled (`none`,
  `silence_stream://250`) and quoted; a prompt of several items is one `file_string://`
  (tts as `say:<text>`, say as `${say_string(...)}`); `<var>` is `flowc_in_<var>`. With
  speech: `set fire_asr_events=true` (once), `detect_speech <engine> <grammar> flowc` before,
  `detect_speech stop` after.
* SetVariable: `set flowc_var_<name>=<value>`, written without waiting for the completion;
  sensitive values are not mirrored.
* Enqueue: `set cc_base_score=<priority>`, `cc_exit_keys=<key>`, `flowc_announce...`; with
  `resume_at` also `flowc_resume=<node>` and `flowc_state=<base64 JSON>.<HMAC>` (signed by
  `runtime.resume_state`); then
  `callcenter <bound queue>`. The max wait is the runtime's own timer, which presses the
  queue's exit key (`api uuid_recv_dtmf`, see `max_wait_key`).
  Announcements (`announce`) are played by `runtime.queue_announce` while the application
  runs (`api uuid_setvar` + `api uuid_broadcast speak::...`); the `flowc_announce*`
  variables only record the setting on the channel (CDRs, the dialplan).
* Transfer (blind or warm): `set continue_on_fail=true`, `set hangup_after_bridge=true`, then
  `bridge <dial string>`: a bound number (`user/..`, `sofia/gateway/..`) as is, a `sip:` URI
  as `sofia/<profile>/<uri>`, a plain number or extension as `loopback/<n>/<context>` (the
  dialplan routes it). A bridge, not the `transfer` app, because only a bridge tells the
  socket that the far end failed (`transfer` completes at once and the call leaves).
* Voicemail: `voicemail <profile> <domain> <box>` (the mailbox binding is `domain/box`). The
  node's `max_length` is not sent: mod_voicemail records up to its profile's `max-record-len`
  (see `voicemail_record_ms`).
* Record: (`playback tone_stream://%(500,0,800)` for the beep) `record <path> <secs> 200 3`.
* Hangup: `sendmsg` with `call-command: hangup` and `hangup-cause: <cause>` (acts at once,
  even while an app runs).

| FreeSWITCH                                   | interpreter event                               |
|----------------------------------------------|-------------------------------------------------|
| completion of `answer`                       | Answered                                        |
| completion of the last `playback`/`speak`/`say` (or the one a key interrupted) | PromptDone  |
| completion of `play_and_get_digits`          | Digits (see `digits_result`)                    |
| DETECTED_SPEECH `detected-speech` (NLSML)    | SpeechResult / SpeechNoMatch                    |
| completion of `callcenter` (`cc_cause`, `cc_cancel_reason`) | QueueResult                      |
| CHANNEL_BRIDGE during `bridge`                | TransferResult(ok=True)                        |
| completion of a failed `bridge` (originate_disposition) | TransferResult(ok=False, cause)      |
| completion of `voicemail` / `record`         | RecordDone(path, duration_ms)                   |
| CHANNEL_HANGUP (any time), socket closed     | Hangup(cause)                                   |

Every text that goes into an app argument passes `fs_safe`: one line, and no `${` / `$${`
(FreeSWITCH expands variables and API calls in app arguments: a CRM answer or a caller's
entry must never run `${system ...}`).
"""

from __future__ import annotations

import base64
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Final

from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from runtime.esl import commands as esl_cmd
from runtime.esl.message import Event

NO_PROMPT: Final = "silence_stream://250"
BEEP: Final = "tone_stream://%(500,0,800)"
VAR_PREFIX: Final = "flowc_var_"
INPUT_PREFIX: Final = "flowc_in_"
STATE_VAR: Final = "flowc_state"
RESUME_VAR: Final = "flowc_resume"
RESUME_NODE_VAR: Final = "flowc_resume_node"
_ENV_REF: Final = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_VAR_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_MAX_NLSML: Final = 64 * 1024

App = tuple[str, str]


@dataclass(frozen=True, slots=True)
class MediaConfig:
    """How prompts, recognition, transfers and recordings are written for this switch."""

    tts_engine: str = "flite"
    tts_voice: str = "kal"
    sounds: str = ""  # prefix for relative audio paths ("" = FreeSWITCH's sound_prefix)
    asr_engine: str = "unimrcp"
    asr_grammar: str = "flowc"
    recordings: str = "$${recordings_dir}/flowc"
    voicemail_profile: str = "default"
    transfer_context: str = "default"
    sip_profile: str = "external"


# ------------------------------------------------------------------ text safety


def fs_safe(text: str) -> str:
    """One line, with variable/API expansion (`${`, `$${`) made impossible."""
    if "\n" in text or "\r" in text:
        text = " ".join(text.split())
    while "${" in text:
        text = text.replace("${", "$ {")
    return text


def _tts_text(text: str, in_file_string: bool) -> str:
    text = fs_safe(text).replace("\\", " ")
    if in_file_string:
        text = text.replace("!", ".")  # `!` separates the files of a file_string
    return text.strip() or " "


# ------------------------------------------------------------------ prompts


def audio_path(path: str, cfg: MediaConfig) -> str:
    path = fs_safe(path).strip()
    if not cfg.sounds or "://" in path or path.startswith(("/", "$")):
        return path
    return f"{cfg.sounds.rstrip('/')}/{path}"


_SAY: Final[dict[str, tuple[str, str]]] = {
    "number": ("NUMBER", "PRONOUNCED"),
    "money": ("CURRENCY", "PRONOUNCED"),
    "digits": ("NUMBER", "ITERATED"),
    "ordinal": ("NUMBER", "COUNTED"),
    "date": ("CURRENT_DATE", "PRONOUNCED"),
    "time": ("CURRENT_TIME", "PRONOUNCED"),
}


def say_lang(locale: str) -> str:
    return (locale.split("-")[0] or "en").lower()


def _say_value(say_as: str, value: str) -> str:
    """FreeSWITCH's date/time say types read epoch seconds; numbers pass through."""
    value = fs_safe(value).strip()
    if say_as in ("date", "time"):
        try:
            if say_as == "date":
                d = date.fromisoformat(value[:10])
                return str(int(datetime(d.year, d.month, d.day, 12, tzinfo=UTC).timestamp()))
            t = time.fromisoformat(value)
            return str(
                int(datetime(1970, 1, 2, t.hour, t.minute, t.second, tzinfo=UTC).timestamp())
            )
        except ValueError:
            return value
    return value.replace(" ", "")


def say_arg(item: cmd.PlayItem, locale: str) -> str:
    kind, method = _SAY.get(item.say_as or "number", ("NUMBER", "PRONOUNCED"))
    value = _say_value(item.say_as or "number", item.text) or "0"
    return f"{say_lang(locale)} {kind} {method} {value}"


def play_steps(play: cmd.Play, cfg: MediaConfig) -> list[App]:
    """One app per prompt item, in order."""
    out: list[App] = []
    for item in play.items:
        if item.kind == "audio":
            out.append(("playback", audio_path(item.text, cfg)))
        elif item.kind == "tts":
            out.append(("speak", f"{cfg.tts_engine}|{cfg.tts_voice}|{_tts_text(item.text, False)}"))
        else:
            out.append(("say", say_arg(item, play.locale)))
    return out


def _prompt_part(item: cmd.PlayItem, locale: str, cfg: MediaConfig, many: bool) -> str:
    if item.kind == "audio":
        path = audio_path(item.text, cfg)
        if many and "://" not in path and not path.startswith(("/", "$")):
            path = "${sound_prefix}/" + path  # file_string:// does no sound-path expansion
        return path
    if item.kind == "tts":
        return "say:" + _tts_text(item.text, many)
    lang = say_lang(locale)
    return "${say_string(" + f"{lang}.wav {say_arg(item, locale)}" + ")}"


def prompt_file(items: tuple[cmd.PlayItem, ...], locale: str, cfg: MediaConfig) -> str:
    """All items as ONE file argument (play_and_get_digits has one prompt position)."""
    if not items:
        return ""
    parts = [_prompt_part(i, locale, cfg, len(items) > 1) for i in items]
    if len(parts) == 1:
        return parts[0]
    return "file_string://" + "!".join(parts)


def terminators_var(barge_in: bool) -> str:
    return "any" if barge_in else "none"


# ------------------------------------------------------------------ collect


def input_var(var: str) -> str:
    """The channel variable play_and_get_digits writes (prefixed: never an FS variable)."""
    name = var if var.startswith("flowc_") else INPUT_PREFIX + var
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def collect_arg(c: cmd.Collect, cfg: MediaConfig) -> str:
    """The play_and_get_digits argument string: every position filled and quoted."""
    prompt = prompt_file(c.prompt, c.locale, cfg) or NO_PROMPT
    invalid = prompt_file(c.invalid_prompt, c.locale, cfg) or NO_PROMPT
    var = input_var(c.var)
    max_digits = max(1, min(c.max, 128))
    min_digits = max(0, min(c.min, max_digits))
    terminators = c.terminators if c.terminators and " " not in c.terminators else ""
    regex = c.regex or ".*"
    try:
        return esl_cmd.pagd_args(
            min_digits,
            max_digits,
            max(1, c.tries),
            max(0, c.timeout_ms),
            terminators,
            prompt,
            invalid,
            var,
            regex,
            max(0, c.digit_timeout_ms),
        )
    except ValueError:
        # A regex FreeSWITCH's tokenizer would rewrite (\s, \t ...): let any entry through;
        # the interpreter checks min/max/pattern itself and refuses what does not fit.
        return esl_cmd.pagd_args(
            min_digits,
            max_digits,
            max(1, c.tries),
            max(0, c.timeout_ms),
            terminators,
            prompt,
            invalid,
            var,
            ".*",
            max(0, c.digit_timeout_ms),
        )


def digits_result(
    complete: Event,
    var: str,
    keys_seen: str,
    at: datetime,
    *,
    min_digits: int = 1,
    max_digits: int = 128,
    regex: str = "",
) -> ev.Digits:
    """play_and_get_digits' completion -> Digits, decided as the host contract says.

    success: the variable holds an accepted entry. FreeSWITCH leaves `read_result=timeout`
    when the caller stopped typing after enough digits (the entry is accepted), and also when
    the last try timed out on a too-short entry (which it leaves in the variable): the two
    are told apart by min/max/regex, as play_and_get_digits itself does. failure: something
    was entered but refused (a regex mismatch arrives as `read_result=success` with the
    variable cleared and `<var>_invalid` set). timeout: nothing entered.
    """
    name = input_var(var)
    read_result = complete.variable("read_result") or ""
    value = complete.variable(name) or ""
    invalid = complete.variable(name + "_invalid") or ""
    term = complete.variable("read_terminator_used") or None
    if value and (
        read_result == "success"
        or (read_result == "timeout" and _accepted(value, min_digits, max_digits, regex))
    ):
        return ev.Digits(value, term, "success", at=at)
    if read_result == "success":
        return ev.Digits(invalid, term, "failure", at=at)
    entered = bool(invalid or value or keys_seen)
    if not entered:
        return ev.Digits("", None, "timeout", at=at)
    return ev.Digits(invalid or value, term, "failure", at=at)


def _accepted(value: str, min_digits: int, max_digits: int, regex: str) -> bool:
    if not min_digits <= len(value) <= max_digits:
        return False
    if not regex:
        return True
    try:
        return re.search(regex, value) is not None
    except re.error:
        return True  # the switch matched it with its own (PCRE) engine


def detect_speech_arg(c: cmd.Collect, cfg: MediaConfig) -> str:
    return f"{cfg.asr_engine} {cfg.asr_grammar} flowc"


def speech_keywords_value(c: cmd.Collect) -> str:
    return fs_safe(json.dumps(list(c.speech_keywords), ensure_ascii=False))


def speech_result(event: Event, at: datetime) -> ev.SpeechResult | ev.SpeechNoMatch | None:
    """DETECTED_SPEECH -> SpeechResult / SpeechNoMatch; None for begin-speaking, partials."""
    kind = event.get("Speech-Type", "")
    if kind != "detected-speech":
        return None
    body = event.body[:_MAX_NLSML]
    if not body.strip():
        return ev.SpeechNoMatch("no_input", at=at)
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        text = body.strip()
        return ev.SpeechResult(text, 1.0, at=at) if text else ev.SpeechNoMatch("no_match", at=at)
    if root.find(".//noinput") is not None:
        return ev.SpeechNoMatch("no_input", at=at)
    if root.find(".//nomatch") is not None:
        return ev.SpeechNoMatch("no_match", at=at)
    interp = root.find(".//interpretation")
    if interp is None:
        return ev.SpeechNoMatch("no_match", at=at)
    node = interp.find("input")
    if node is None:
        node = interp.find("instance")
    text = "".join(node.itertext()).strip() if node is not None else ""
    if not text:
        return ev.SpeechNoMatch("no_match", at=at)
    try:
        confidence = float(interp.get("confidence", "1"))
    except ValueError:
        confidence = 1.0
    if confidence > 1.0:
        confidence = confidence / 100.0
    return ev.SpeechResult(text, max(0.0, min(1.0, confidence)), at=at)


# ------------------------------------------------------------------ variables


def set_arg(name: str, value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = ""
    elif isinstance(value, str | int | float):
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return f"{name}={fs_safe(text)}"


def mirror_name(name: str) -> str | None:
    """The channel variable a flow variable is mirrored to (None: not a usable name)."""
    if not _VAR_NAME.match(name):
        return None
    return VAR_PREFIX + name.replace(".", "_").replace("-", "_")


def encode_state(state: Mapping[str, Any]) -> str:
    raw = json.dumps(state, ensure_ascii=False, separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_state(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = json.loads(raw)
    except (ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


# ------------------------------------------------------------------ queue


# The key the runtime itself presses (`uuid_recv_dtmf`) to end a wait at the queue's
# `max_wait` when the flow gives the queue no exit key of its own: `D`, the fourth DTMF column
# key that phones lack, so a caller practically never leaves the queue with it. mod_callcenter
# 1.10.12 leaves its wait only for an agent, a cancel reason or an exit key
# (mod_callcenter.c 3188-3233; `uuid_break` only restarts the hold music, T08 lines 28-29,
# 291); an injected exit key ends it at once (E1: `uuid_recv_dtmf <uuid> *` -> `+OK <uuid>
# received DTMF *.`, then EXIT_WITH_KEY).
MAX_WAIT_KEY: Final = "D"


def max_wait_key(q: cmd.Enqueue) -> str | None:
    """The exit key the driver injects at `max_wait` (None: the queue has no max wait): the
    flow's own exit key, else `MAX_WAIT_KEY` (which `enqueue_sets` then sets)."""
    if not q.max_wait_ms:
        return None
    own = fs_safe(q.exit_key or "").strip()
    return own[0] if own and own[0] in _DTMF else MAX_WAIT_KEY


_DTMF: Final = frozenset("0123456789*#ABCD")


def enqueue_sets(q: cmd.Enqueue) -> list[str]:
    """`set` arguments before `callcenter` (the resume variables are added by the driver).
    `flowc_announce*` record the announcement setting; `runtime.queue_announce` plays it.
    `cc_exit_keys` holds the flow's exit key, and with a max wait the key the driver presses
    at that moment (see `max_wait_key`)."""
    out = [f"cc_base_score={int(q.priority)}"]
    keys = fs_safe(q.exit_key or "").strip()
    injected = max_wait_key(q)
    if injected is not None and injected not in keys:
        keys += injected
    if keys:
        out.append(f"cc_exit_keys={keys}")
    if q.announce and q.announce != "none":
        out.append(f"flowc_announce={fs_safe(q.announce)}")
        out.append(f"flowc_announce_every_ms={int(q.announce_every_ms)}")
    return out


def queue_result(complete: Event, broke_for_max_wait: bool, at: datetime) -> ev.QueueResult:
    """callcenter's completion -> QueueResult. `broke_for_max_wait`: the driver pressed the
    exit key at `max_wait` (`max_wait_key`): the EXIT_WITH_KEY that follows (E1 line 41,
    `cc_exit_key`) is the max wait's `timeout`, not the caller leaving with the key; so is the
    BREAK_OUT of the runtime's own guard hang-up (T08 line 232)."""
    cause = complete.variable("cc_cause") or ""
    if cause == "answered":
        agent = complete.variable("cc_agent") or None
        return ev.QueueResult("answered", agent, at=at)
    reason = complete.variable("cc_cancel_reason") or ""
    if reason == "TIMEOUT":
        return ev.QueueResult("timeout", at=at)
    if reason == "NO_AGENT_TIMEOUT":
        return ev.QueueResult("no_agent", at=at)
    if broke_for_max_wait:
        return ev.QueueResult("timeout", at=at)
    if reason in ("EXIT_WITH_KEY", "BREAK_OUT"):
        return ev.QueueResult("exit_key", at=at)
    return ev.QueueResult("no_agent", at=at)  # unknown queue, app refused: nobody to talk to


# ------------------------------------------------------------------ transfer


@dataclass(frozen=True, slots=True)
class TransferPlan:
    app: str  # "transfer" or "bridge"
    arg: str
    target: str  # what it resolves to, for logs and the journal


def transfer_plan(t: cmd.Transfer, bound: str | None, cfg: MediaConfig) -> TransferPlan:
    target = fs_safe((bound or t.target).strip())
    if target.lower().startswith(("sip:", "sips:")):
        uri = target.split(":", 1)[1]
        return TransferPlan("bridge", f"sofia/{cfg.sip_profile}/{uri}", target)
    if "/" in target or "@" in target:
        return TransferPlan("bridge", target, target)
    # A number or extension goes through the dialplan on a loopback leg: unlike the
    # `transfer` app (which completes at once, whatever becomes of the call), a bridge
    # reports a failure back to the socket, so the flow's `on_fail` works.
    return TransferPlan("bridge", f"loopback/{target}/{cfg.transfer_context}", target)


def bridge_result(complete: Event, at: datetime) -> ev.TransferResult:
    disposition = complete.variable("originate_disposition") or complete.variable("DIALSTATUS")
    if disposition in ("SUCCESS", "ANSWER"):
        return ev.TransferResult(True, "", at=at)
    cause = (
        complete.variable("originate_failed_cause")
        or disposition
        or complete.variable("bridge_hangup_cause")
        or "UNKNOWN"
    )
    return ev.TransferResult(False, cause, at=at)


# ------------------------------------------------------------------ voicemail, record


def voicemail_arg(mailbox: str, cfg: MediaConfig) -> str:
    domain, _, box = mailbox.partition("/")
    if not box:
        domain, box = "$${domain}", mailbox
    return fs_safe(f"{cfg.voicemail_profile} {domain} {box}")


def voicemail_record_ms(max_length_ms: int, profile_s: int | None) -> int:
    """How long mod_voicemail may record a message for a node of `max_length_ms`.

    It is not told the node's limit: it has no per-call setting, its profile's
    `max-record-len` (`profile_s`, see `LoadedBundle.voicemail_record_s`) decides, and
    `flowc compile --target freeswitch` sets that to the longest voicemail of the
    environment. So the longer of the two."""
    return max(max_length_ms, (profile_s or 0) * 1000)


def record_path(cfg: MediaConfig, call_id: str, n: int) -> str:
    safe_id = re.sub(r"[^A-Za-z0-9_-]", "_", call_id) or "call"
    return f"{cfg.recordings.rstrip('/')}/{safe_id}_{n}.wav"


def record_arg(path: str, max_length_ms: int) -> str:
    secs = max(1, (max_length_ms + 999) // 1000)
    return f"{path} {secs} 200 3"


def record_done(complete: Event, path: str, at: datetime, voicemail: bool) -> ev.RecordDone:
    if voicemail:
        path = complete.variable("voicemail_file_path") or complete.variable("vm_file") or path
        secs = complete.variable("voicemail_message_len") or ""
    else:
        secs = complete.variable("record_seconds") or ""
    ms = complete.variable("record_ms") or ""
    try:
        duration = int(ms) if ms else _seconds_ms(secs)
    except ValueError:
        duration = 0
    return ev.RecordDone(path, duration, at=at)


def _seconds_ms(text: str) -> int:
    """`6`, `6.4` or mod_voicemail's `00:00:06` (T10 line 44) -> milliseconds."""
    if not text:
        return 0
    total = 0.0
    for part in text.split(":"):
        total = total * 60 + float(part)
    return int(total * 1000)


def voicemail_recorded(complete: Event) -> bool:
    """Whether mod_voicemail kept a message. It sets `voicemail_file_path` (and `record_ms`)
    when it delivers one (T10 line 44); when it returns without recording - an unknown
    mailbox domain (T10b line 50: `Can't find user [1001@default]`), a greeting it cannot
    play (T10c line 45) - its completion has neither."""
    if complete.variable("voicemail_file_path"):
        return True
    try:
        return int(complete.variable("record_ms") or "0") > 0
    except ValueError:
        return False


# ------------------------------------------------------------------ look-ups


def expand_env(
    text: str, bound: Mapping[str, str], process: Mapping[str, str] | None = None
) -> tuple[str, list[str]]:
    """Substitute `${NAME}`: the bound service environment first, then the runtime's own
    environment (where secrets such as tokens live). Returns the text and missing names."""
    env = os.environ if process is None else process
    missing: list[str] = []

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in bound:
            return bound[name]
        if name in env:
            return env[name]
        missing.append(name)
        return ""

    return _ENV_REF.sub(sub, text), missing


# ------------------------------------------------------------------ channel data


def hangup_cause(event: Event) -> str:
    return event.get("Hangup-Cause") or event.variable("hangup_cause") or "NORMAL_CLEARING"


# Causes only the switch itself gives a channel (not a far end's BYE/CANCEL): RTP stopped.
_SWITCH_CAUSES: Final = frozenset({"MEDIA_TIMEOUT"})


def hangup_by(event: Event) -> str | None:
    """Who ended the channel, from its CHANNEL_HANGUP(_COMPLETE): `caller`, `dialplan`,
    `switch`, or None when the event does not say.

    The caller: sofia records the far end's BYE/CANCEL as `sip_term_status` (and
    `sip_hangup_disposition=recv_bye` on the completion; T14 line 21, T13, Qc). The
    dialplan: its `hangup` application is the running one (`current_application=hangup`,
    T04 line 74; the runtime never runs that app, it hangs up with `sendmsg`). The switch:
    a cause of its own (MEDIA_TIMEOUT, T07 line 100)."""
    disposition = event.variable("sip_hangup_disposition") or ""
    if (
        event.variable("sip_term_status")
        or event.variable("proto_specific_hangup_cause")
        or disposition.startswith("recv_")
    ):
        return "caller"
    if event.variable("current_application") == "hangup":
        return "dialplan"
    if hangup_cause(event) in _SWITCH_CAUSES:
        return "switch"
    return None


def is_answered(channel_data: Event) -> bool:
    return channel_data.get("Answer-State") == "answered"


def event_time(event: Event, fallback: datetime) -> datetime:
    """`Event-Date-Timestamp` (microseconds) in the fallback's zone; else the fallback."""
    stamp = event.get("Event-Date-Timestamp")
    if stamp and stamp.isdigit():
        try:
            return datetime.fromtimestamp(int(stamp) / 1e6, fallback.tzinfo or UTC)
        except (OverflowError, OSError, ValueError):
            pass
    return fallback
