"""Interpreter commands -> FreeSWITCH applications, and FreeSWITCH events -> interpreter events.

Sans-IO and pure: no sockets, no clock. `runtime.driver` sends what these functions build and
feeds back what they read. The mapping, command by command (`MediaConfig` holds the knobs):

Commands (each row: the command, then the applications it becomes):

* Answer: `answer` (skipped when the channel data says the call is already answered).
* Play (`play_steps`): a sound file -> `playback <file>`; adjacent text (tts, and say values
  written out as text for the locale) -> one `speak <engine>|<voice>|<text>`; no `say` app;
  `playback_terminators` is set to `any` (barge-in) or `none` when it changes.
* Collect (`collect_plan`): `set tts_engine=..`, `set tts_voice=..` when the prompt is
  `say:` and they changed; the leading parts of a prompt that mixes files and text as
  `playback`/`speak`; then `play_and_get_digits <min> <max> <tries> <timeout> <terminators>
  <prompt> <invalid> <var> <regex> <digit_timeout>` with every position filled (`none`,
  `silence_stream://250`) and quoted. The prompt is ONE item: text (tts, and say values
  written out for the TTS engine) joined into one `say:<text>`, or one file; never
  `file_string://` (it opens `say:` items as files) nor `${say_string(...)}`. `<max>` is one
  more than the entry's when there is a terminator (`asked_max`); `<var>` is
  `flowc_in_<var>`. With speech, when an ASR engine is configured (`uses_asr`):
  `set fire_asr_events=true` (once), `detect_speech <engine> <grammar> flowc` before,
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
  dialplan routes it); any other target is refused (`REFUSED_TARGET`, nothing sent). A
  bridge, not the `transfer` app, because only a bridge tells the socket that the far end
  failed (`transfer` completes at once and the call leaves).
* Voicemail: `voicemail <profile> <domain> <box>` (the mailbox binding is `domain/box`). The
  node's `max_length` is not sent: mod_voicemail records up to its profile's `max-record-len`
  (see `voicemail_record_ms`).
* Record: (`playback tone_stream://%(500,0,800)` for the beep) `record <path> <secs> 200 3`.
* Hangup: `sendmsg` with `call-command: hangup` and `hangup-cause: <cause>` (acts at once,
  even while an app runs).

| FreeSWITCH                                   | interpreter event                               |
|----------------------------------------------|-------------------------------------------------|
| completion of `answer`                       | Answered                                        |
| completion of the last `playback`/`speak` (or the one a key interrupted) | PromptDone  |
| completion of `play_and_get_digits`          | Digits (see `digits_result`)                    |
| DETECTED_SPEECH `detected-speech` (NLSML)    | SpeechResult / SpeechNoMatch                    |
| completion of `callcenter` (`cc_cause`, `cc_cancel_reason`) | QueueResult                      |
| CHANNEL_BRIDGE during `bridge`                | TransferResult(ok=True)                        |
| completion of a failed `bridge` (originate_disposition) | TransferResult(ok=False, cause)      |
| completion of `voicemail` / `record`         | RecordDone(path, duration_ms)                   |
| CHANNEL_HANGUP (any time), socket closed     | Hangup(cause)                                   |

Every string that goes to FreeSWITCH passes `runtime.fsarg`, by destination (app argument,
channel variable, TTS text, file, say value, dial string): one line, no `${` / `$${`, no
`^^`; say values only of their type; dial strings only from bindings or validated numbers
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
from datetime import datetime
from typing import Any, Final

from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.lang.regex import RegexError, regex_search
from runtime import fsarg
from runtime.esl import commands as esl_cmd
from runtime.esl.message import Event

NO_PROMPT: Final = "silence_stream://250"
BEEP: Final = "tone_stream://%(500,0,800)"
VAR_PREFIX: Final = "flowc_var_"
INPUT_PREFIX: Final = "flowc_in_"
MENU_VAR: Final = "flowc_menu"  # the variable every menu's play_and_get_digits writes
_MENU_KEYS: Final = re.compile(r"\^\[([0-9*#]+)\]\$")  # an adaptive menu's `^[<keys>]$`
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
    # The speech recogniser module for `detect_speech`; "" (the default): the switch has none,
    # and a menu with `speech:` is a keys-only menu (`detect_speech unimrcp` on a switch
    # without mod_unimrcp logs `Invalid ASR module [unimrcp]!`). `flowc test --no-asr`
    # predicts such a switch.
    asr_engine: str = ""
    asr_grammar: str = "flowc"
    recordings: str = "$${recordings_dir}/flowc"
    voicemail_profile: str = "default"
    transfer_context: str = "default"
    sip_profile: str = "external"
    # (locale prefix, engine, voice) per language, e.g. ("zh", "unimrcp", "xiaoyan"); a
    # locale none of them matches uses tts_engine/tts_voice.
    voices: tuple[tuple[str, str, str], ...] = ()


# ------------------------------------------------------------------ text safety


def fs_safe(text: str) -> str:
    """One line, nothing FreeSWITCH would expand (`${`, `$${`): `runtime.fsarg.app_arg`."""
    return fsarg.app_arg(text)


# ------------------------------------------------------------------ prompts


def audio_path(path: str, cfg: MediaConfig) -> str:
    path = fsarg.file_item(path)
    if not cfg.sounds or "://" in path or path.startswith(("/", "$")):
        return path
    return f"{cfg.sounds.rstrip('/')}/{path}"


def tts_voice(locale: str, cfg: MediaConfig) -> tuple[str, str]:
    """(engine, voice) for `locale`: the first `cfg.voices` entry whose locale is a prefix of
    it (`zh` matches `zh-CN`), else the default engine and voice."""
    loc = locale.lower()
    for prefix, engine, voice in cfg.voices:
        if loc == prefix.lower() or loc.startswith(prefix.lower() + "-"):
            return fsarg.channel_value(engine), fsarg.channel_value(voice)
    return fsarg.channel_value(cfg.tts_engine), fsarg.channel_value(cfg.tts_voice)


_VOICE_SPEC: Final = re.compile(
    r"([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)=([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+)"
)


def parse_voices(specs: list[str]) -> tuple[tuple[str, str, str], ...]:
    """`flowc serve --voice zh=unimrcp:xiaoyan` (repeatable) -> `MediaConfig.voices`."""
    out = []
    for spec in specs:
        m = _VOICE_SPEC.fullmatch(spec.strip())
        if m is None:
            raise ValueError(f"--voice {spec!r}: expected LOCALE=ENGINE:VOICE, e.g. zh=flite:kal")
        out.append((m.group(1), m.group(2), m.group(3)))
    return tuple(out)


def tts_sets(locale: str, cfg: MediaConfig) -> list[str]:
    """`set` arguments a `say:<text>` prompt needs on the channel: without `tts_engine` the
    switch refuses it (`switch_ivr_play_say.c:1407 Invalid Args`, live T01a); with
    `set tts_engine=flite` + `set tts_voice=kal` it plays (outbound_speak_flite_json lines
    15-34, live T01 line 25)."""
    engine, voice = tts_voice(locale, cfg)
    return [f"tts_engine={engine}", f"tts_voice={voice}"]


def _speak_arg(text: str, locale: str, cfg: MediaConfig) -> str:
    engine, voice = tts_voice(locale, cfg)
    return f"{engine}|{voice}|{text}"


@dataclass(frozen=True, slots=True)
class Refused:
    """A prompt item that was not sent: its value is not of its say type."""

    say_as: str
    length: int  # of the refused value (the value itself may be sensitive or hostile)


def play_steps(play: cmd.Play, cfg: MediaConfig) -> list[App]:
    """The prompt's runs in order (`_parts`): a sound file -> `playback`, adjacent text (tts,
    and say values written out as text for the locale, `fsarg.say_text`) -> one `speak`. No
    `say` app: a switch without the language's say module says nothing (live T02 lines
    270-272, `Can't find language zh`) and no capture shows mod_say_en speaking, while TTS
    is what every capture plays (`speak flite|kal|...`, T01a line 37). A say value not of
    its type is left out (`refused_items` lists it)."""
    out: list[App] = []
    for kind, text in _parts(play.items, play.locale, cfg):
        if kind == "audio":
            out.append(("playback", text))
        else:
            out.append(("speak", _speak_arg(text, play.locale, cfg)))
    return out


def refused_items(items: tuple[cmd.PlayItem, ...]) -> list[Refused]:
    """The say items of a prompt whose value is not of their say type (not sent)."""
    return [
        Refused(i.say_as or "number", len(i.text))
        for i in items
        if i.kind == "say" and fsarg.say_value(i.say_as or "number", i.text) is None
    ]


def _parts(items: tuple[cmd.PlayItem, ...], locale: str, cfg: MediaConfig) -> list[App]:
    """A collect prompt as ("audio", path) / ("tts", text) runs: adjacent text (tts, and say
    values written out as text for the TTS engine: FreeSWITCH's `${say_string(...)}` pastes
    `-ERR Usage: ...` into the prompt on a switch without that language's say module, live
    T06 line 304) is joined into one text."""
    out: list[App] = []
    for item in items:
        if item.kind == "audio":
            out.append(("audio", audio_path(item.text, cfg)))
            continue
        if item.kind == "tts":
            text = fsarg.tts_text(item.text)
        else:
            text = fsarg.tts_text(fsarg.say_text(item.say_as or "number", item.text, locale) or "")
        if not text:
            continue
        if out and out[-1][0] == "tts":
            out[-1] = ("tts", f"{out[-1][1]} {text}")
        else:
            out.append(("tts", text))
    return out


def _one_file(part: App) -> str:
    kind, text = part
    return "say:" + text if kind == "tts" else text


@dataclass(frozen=True, slots=True)
class CollectPlan:
    """What a Collect becomes: `sets` (channel variables the prompt needs), `lead` (apps
    played before play_and_get_digits, interruptible), then play_and_get_digits `arg`.

    play_and_get_digits has one prompt position, and the only multi-item form,
    `file_string://`, opens `say:` items as file names (live T01 lines 283-284): the collect
    returns at once without listening. So the prompt is ONE item: all-text prompts become one
    `say:<text>`; a prompt that mixes sound files and text keeps its last run (text or one
    file) in play_and_get_digits and plays the parts before it as `playback`/`speak` first.
    Barge-in consequence: a key pressed during those lead parts stops them (playback
    terminators `any`) but is consumed by that app, so it is not part of the entry: the
    caller keys again during the last part (its prompt listens from its first word)."""

    sets: tuple[str, ...]
    lead: tuple[App, ...]
    arg: str
    max_digits: int  # what play_and_get_digits was asked for (max + 1 with a terminator)


def _prompt_argument(items: tuple[cmd.PlayItem, ...], locale: str, cfg: MediaConfig) -> str:
    """An invalid prompt (no lead possible): its text joined, or its single file."""
    parts = _parts(items, locale, cfg)
    texts = [t for k, t in parts if k == "tts"]
    if texts:
        return "say:" + " ".join(texts)
    return parts[-1][1] if parts else ""


def collect_plan(c: cmd.Collect, cfg: MediaConfig) -> CollectPlan:
    parts = _parts(c.prompt, c.locale, cfg)
    lead: list[App] = []
    for kind, text in parts[:-1]:
        if kind == "audio":
            lead.append(("playback", text))
        else:
            lead.append(("speak", _speak_arg(text, c.locale, cfg)))
    prompt = _one_file(parts[-1]) if parts else ""
    invalid = _prompt_argument(c.invalid_prompt, c.locale, cfg)
    uses_tts = prompt.startswith("say:") or invalid.startswith("say:")
    arg, max_digits = _pagd(c, prompt, invalid)
    sets = tuple(tts_sets(c.locale, cfg)) if uses_tts else ()
    return CollectPlan(sets, tuple(lead), arg, max_digits)


def terminators_var(barge_in: bool) -> str:
    return "any" if barge_in else "none"


# ------------------------------------------------------------------ collect


def input_var(var: str) -> str:
    """The channel variable play_and_get_digits writes (prefixed: never an FS variable)."""
    name = var if var.startswith("flowc_") else INPUT_PREFIX + var
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def asked_max(c: cmd.Collect) -> int:
    """The max_digits play_and_get_digits is asked for. With a terminator it is one more than
    the entry's max: FreeSWITCH ends a read as soon as max_digits arrive, so `6 6 ... #` ends
    at the 6th digit and the `#` the prompt asks for is read by the next menu (live T07 lines
    284, 299, 327). With max + 1:
    * the terminator ends a full-length entry (`1 4 2 4000 #` + 1,2,3,# -> ivr_digits=123,
      read_terminator_used=#: outbound_pagd_info_dtmf lines 23-30, outbound_json_pagd 17-24);
    * a full-length entry without it ends at the inter-digit timeout, accepted with
      read_result=timeout (`1 2 2 5000 #` + 7 -> flowc_survey=7, read_result=timeout: live
      D1_diag_survey_old_socket_kept line 91);
    * one digit more than max is an invalid entry (`digits_result`).
    The offline simulator models the same rule (`flowc.simulate.engine.read_limit`)."""
    max_digits = max(1, min(c.max, 128))
    if c.terminators and max_digits < 128:
        return max_digits + 1
    return max_digits


def _pagd(c: cmd.Collect, prompt: str, invalid: str) -> tuple[str, int]:
    var = input_var(c.var)
    max_digits = asked_max(c)
    min_digits = max(0, min(c.min, max_digits))
    terminators = "".join(ch for ch in c.terminators if ch in "0123456789*#ABCD")
    regex = c.regex or ".*"
    offered = _MENU_KEYS.fullmatch(regex) if c.var == MENU_VAR else None
    if offered is not None:
        # a menu's offered keys: rebuilt from the keys alone, through the one escaping layer
        regex = fsarg.key_class(offered.group(1)) or ".*"
    elif regex != fsarg.app_arg(regex):
        # the switch would expand `${` in it or cut the line: let any entry through, the
        # interpreter checks the pattern itself (as for the tokenizer fallback below)
        regex = ".*"
    args = (
        min_digits,
        max_digits,
        max(1, c.tries),
        max(0, c.timeout_ms),
        terminators,
        prompt or NO_PROMPT,
        invalid or NO_PROMPT,
        var,
    )
    try:
        return esl_cmd.pagd_args(*args, regex, max(0, c.digit_timeout_ms)), max_digits
    except ValueError:
        # A regex FreeSWITCH's tokenizer would rewrite (\s, \t ...): let any entry through;
        # the interpreter checks min/max/pattern itself and refuses what does not fit.
        return esl_cmd.pagd_args(*args, ".*", max(0, c.digit_timeout_ms)), max_digits


def collect_arg(c: cmd.Collect, cfg: MediaConfig) -> str:
    """The play_and_get_digits argument string: every position filled and quoted."""
    return collect_plan(c, cfg).arg


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
    if len(value) > max_digits:  # asked for max + 1 (see asked_max): a digit too many
        return ev.Digits(value, term, "failure", at=at)
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
        # RE2: linear time, so a caller's digits cannot stall the event loop
        return regex_search(regex, value)
    except RegexError:
        return True  # the switch matched it with its own (PCRE) engine


def uses_asr(c: cmd.Collect, cfg: MediaConfig) -> bool:
    """Whether this collect starts the recogniser: a speech collect on a switch that has one."""
    return c.speech and bool(cfg.asr_engine.strip())


def detect_speech_arg(c: cmd.Collect, cfg: MediaConfig) -> str:
    engine, grammar = fsarg.app_arg(cfg.asr_engine), fsarg.app_arg(cfg.asr_grammar)
    return f"{engine} {grammar} flowc"


def speech_keywords_value(c: cmd.Collect) -> str:
    return fsarg.channel_value(json.dumps(list(c.speech_keywords), ensure_ascii=False))


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
    return f"{name}={fsarg.channel_value(text)}"


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
    keys = fsarg.dtmf_keys(q.exit_key or "")
    injected = max_wait_key(q)
    if injected is not None and injected not in keys:
        keys += injected
    if keys:
        out.append(f"cc_exit_keys={keys}")
    if q.announce and q.announce != "none":
        out.append(f"flowc_announce={fsarg.channel_value(q.announce)}")
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


REFUSED_TARGET: Final = "refused_target (not a bound dial string, a number or a sip: URI)"


@dataclass(frozen=True, slots=True)
class TransferPlan:
    app: str  # "bridge"; "" when the target is refused (nothing is sent)
    arg: str
    target: str  # what it resolves to, for logs and the journal
    refused: str = ""  # why nothing was sent: the TransferResult cause


def transfer_plan(t: cmd.Transfer, bound: str | None, cfg: MediaConfig) -> TransferPlan:
    """The bridge for a transfer. Dial strings are built only from a bound target (a binding's
    `numbers:` entry: `user/1901`, `sofia/gateway/pstn/+86...`, `loopback/8001/default`, checked
    by `fsarg.dial_target`) or from a validated number/extension (`fsarg.dial_number`) or a
    strict `sip:user@host` URI. Anything else - a templated target holding
    `{execute_on_answer=...}user/1000` or `1000,sofia/gateway/...` - is refused: no bridge,
    the transfer fails with `REFUSED_TARGET` (its on_fail branch, journaled with that cause)."""
    raw = bound if bound is not None else t.target
    shown = fsarg.app_arg(raw)
    profile = fsarg.dial_target(cfg.sip_profile) or "external"
    context = fsarg.dial_target(cfg.transfer_context) or "default"
    uri = fsarg.sip_uri(raw)
    if uri is not None:
        return TransferPlan("bridge", f"sofia/{profile}/{uri}", shown)
    number = fsarg.dial_number(raw)
    if number is not None:
        # A number or extension goes through the dialplan on a loopback leg: unlike the
        # `transfer` app (which completes at once, whatever becomes of the call), a bridge
        # reports a failure back to the socket, so the flow's `on_fail` works.
        return TransferPlan("bridge", f"loopback/{number}/{context}", shown)
    if bound is not None:
        dial = fsarg.dial_target(bound)
        if dial is not None and "/" in dial:
            return TransferPlan("bridge", dial, shown)
    return TransferPlan("", "", shown, REFUSED_TARGET)


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
    """`<profile> <domain> <box>` (the mailbox binding is `domain/box`; a bare box is in the
    switch's own domain). Each part keeps only the characters of a name (letters, digits,
    `_ . @ -`): the app splits on blanks, and a binding is data like any other."""
    domain, _, box = mailbox.partition("/")
    if not box:
        domain, box = "", mailbox
    profile = fsarg.name_word(cfg.voicemail_profile) or "default"
    domain = fsarg.name_word(domain) or "$${domain}"  # ours: the switch's domain variable
    return f"{profile} {domain} {fsarg.name_word(box) or 'none'}"


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
