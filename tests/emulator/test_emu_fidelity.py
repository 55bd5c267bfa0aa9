"""FIDELITY: the channel model replays every recorded outbound session byte-compatibly.

For each ``tests/fixtures/freeswitch/outbound_*.jsonl`` the model is configured
with the caller behaviour the recording's note describes (digits, hang-ups,
queue/bridge/transfer outcomes, the switch's identity) and fed the recorded
application's commands in order (``emu_support.replay``).  Then, message by
message over the recorded part:

* the sequence of (Content-Type, Event-Name, Application, Reply-Text) is the
  recorded one;
* command replies and disconnect notices are byte-identical;
* events carry the same header NAMES in the same ORDER (duplicates included),
  and the same VALUES, except for the headers listed in ``IGNORED`` (their
  values are inherently different from run to run: timestamps and durations,
  event sequence numbers, SIP tags / Call-ID / Via branch, media ports, SSRC
  and SDP session ids, FreeSWITCH's session counter, playback positions) and
  the UUIDs FreeSWITCH generates (``MAPPED``: Application-UUID of the socket
  app and of dialplan apps, the B-leg / agent / member UUIDs...), which must
  correspond one-to-one between recording and model (each recorded UUID
  always becomes the same produced one and vice versa), with epoch numbers
  inside those values normalised;
* the connect reply parses with ``runtime.esl``'s parser to the same header
  dict shape (same keys, same order) as the recorded one.

Among the compared values are all that the brief singles out: Event-Name,
Application, Application-Data, Application-Response, Application-UUID
(mapped), DTMF-Digit, Hangup-Cause, read_result, ivr_digits, cc_cause,
cc_cancel_reason, originate_disposition, DIALSTATUS.
"""

from __future__ import annotations

import re

import pytest

from runtime.emulator import BridgeOutcome, CallerScript, CallSpec, DialplanApp, QueueOutcome
from runtime.esl import ESLParser, Event
from tests.emulator.emu_support import (
    OUTBOUND,
    Pairs,
    event_pairs,
    fixture_spec,
    header_block,
    load,
    message_key,
    replay,
)

ALL_EARLY = ("CHANNEL_STATE", "CHANNEL_EXECUTE", "CHANNEL_PARK")

# fixture -> (script, ChannelConfig overrides).  early_events: which of the events fired
# before `myevents` the recording shows, and after which reply (a dispatch-thread race).
SCENARIOS: dict[str, tuple[CallerScript, dict[str, object]]] = {
    # SIP INFO 1,2,3 (+#) during play_and_get_digits; all three early events after the answer +OK.
    "outbound_pagd_info_dtmf.jsonl": (
        CallerScript(inputs=["123#"]),
        {"early_events": ALL_EARLY, "early_events_after_reply": 4},
    ),
    # No input; CHANNEL_PARK seen after the `event plain DTMF` reply (first messages only).
    "outbound_no_dtmf.jsonl": (
        CallerScript(),
        {"early_events": ("CHANNEL_PARK",), "early_events_after_reply": 3},
    ),
    # RFC2833 digits 2,4 (first messages only: the digits are not in the recorded part).
    "outbound_rfc2833_dtmf.jsonl": (CallerScript(inputs=["24"], dtmf_source="RTP"), {}),
    # The caller hangs up during the playback after answer (first messages only); SIPp's
    # INVITE had a different Subject and a To display name.
    "outbound_brief_uac.jsonl": (
        CallerScript(hangup_after_apps=2),
        {"sip_subject": "Performance Test", "sip_to_display": "5000"},
    ),
    "outbound_tts_info_dtmf.jsonl": (CallerScript(inputs=["123#"]), {}),
    # JSON events; DTMF 1,2,3,# in play_and_get_digits; early events after the answer +OK.
    "outbound_json_pagd.jsonl": (
        CallerScript(inputs=["123#"]),
        {"early_events": ALL_EARLY, "early_events_after_reply": 3},
    ),
    # BYE 3 s into a 20 s playback: CHANNEL_HANGUP before the playback's completion.
    "outbound_caller_hangup_midprompt_json.jsonl": (
        CallerScript(hangup_after_apps=2, hangup_delay=3.0),
        {"early_events": ("CHANNEL_PARK",), "early_events_after_reply": 2},
    ),
    # speak, then play_and_get_digits with a quoted say: prompt; digits 1,2,3,#.
    "outbound_speak_flite_json.jsonl": (
        CallerScript(inputs=["123#"]),
        {"early_events": ("CHANNEL_PARK",), "early_events_after_reply": 2},
    ),
    # Unquoted prompt: the arguments shift, var "your", regex "code" never matches, the tail
    # is a fail extension that does not exist -> NO_ROUTE_DESTINATION.
    "outbound_pagd_unquoted_prompt_json.jsonl": (
        CallerScript(inputs=["123#"], extensions={}),
        {},
    ),
    # The far end answers and hangs up 2 s later; the caller stays under socket control.
    "outbound_bridge_json.jsonl": (CallerScript(bridges=[BridgeOutcome("answered")]), {}),
    # Nothing listens (503), no continue_on_fail: the caller is hung up before the completion.
    "outbound_bridge_fail_json.jsonl": (CallerScript(bridges=[BridgeOutcome("fail")]), {}),
    # 486 Busy Here: USER_BUSY, DIALSTATUS=BUSY.
    "outbound_bridge_busy_json.jsonl": (CallerScript(bridges=[BridgeOutcome("busy")]), {}),
    # Same failure with continue_on_fail=true (set by the app): the caller stays.
    "outbound_bridge_fail_continue_json.jsonl": (
        CallerScript(bridges=[BridgeOutcome("fail")]),
        {},
    ),
    # transfer 9999 XML default; extension 9999 = answer, 3 tones, hangup.
    "outbound_transfer_json.jsonl": (
        CallerScript(
            extensions={
                "9999": [
                    DialplanApp("answer"),
                    DialplanApp("playback", "tone_stream://%(300,100,660);loops=3"),
                    DialplanApp("hangup", "NORMAL_CLEARING"),
                ]
            }
        ),
        {},
    ),
    # An agent answers at once and hangs up (BYE) 2 s later; nothing after the socket action.
    "outbound_callcenter_json.jsonl": (
        CallerScript(queues={"support@default": QueueOutcome("answered")}),
        {},
    ),
    # The agent leg is ended by sched_hangup (ALLOTTED_TIMEOUT); log, tone, hangup follow the
    # socket action; early events after the answer +OK.
    "outbound_callcenter_dialplan_after_socket_json.jsonl": (
        CallerScript(
            queues={
                "support@default": QueueOutcome(
                    "answered", agent_hangup_cause="ALLOTTED_TIMEOUT", agent_vars_first=True
                )
            },
            after_socket=[
                DialplanApp("log", "INFO after-socket reached"),
                DialplanApp("playback", "tone_stream://%(200,0,880)"),
                DialplanApp("hangup", "NORMAL_CLEARING"),
            ],
        ),
        {"early_events": ALL_EARLY, "early_events_after_reply": 3},
    ),
    # No agent logged in, max-wait-time 5: cc_cancel_reason=TIMEOUT.
    "outbound_callcenter_no_agent_json.jsonl": (
        CallerScript(queues={"support@default": QueueOutcome("timeout", wait=4.5)}),
        {},
    ),
    # max-wait-time-with-no-agent 3: cc_cancel_reason=NO_AGENT_TIMEOUT.
    "outbound_callcenter_no_agent_timeout_json.jsonl": (
        CallerScript(queues={"noagent@default": QueueOutcome("no_agent", wait=4.5)}),
        {},
    ),
}

# Values that legitimately differ between two runs of the same call.
IGNORED = re.compile(
    r"^(?:Event-Date-(?:Local|GMT|Timestamp)|Event-Sequence|.+-Time"
    r"|variable_.+_(?:u?epoch|stamp)|variable_[mu]?duration|variable_.+(?:sec|msec|usec)"
    r"|variable_playback_.+|variable_rtp_audio_.+"
    r"|variable_(?:local_media_port|rtp_use_ssrc|rtp_local_sdp_str|session_id|sip_call_id"
    r"|sip_from_tag|sip_to_tag|sip_full_from|sip_full_to|sip_full_via|sip_invite_stamp"
    r"|switch_r_sdp|switch_m_sdp))$"
)

# Values holding UUIDs FreeSWITCH generates: compared through a one-to-one mapping.
MAPPED = frozenset(
    {
        "Application-UUID",
        "Bridge-B-Unique-ID",
        "Other-Leg-Unique-ID",
        "CC-Agent-UUID",
        "CC-Member-UUID",
        "Caller-Transfer-Source",
        "variable_cc_agent_uuid",
        "variable_cc_member_uuid",
        "variable_bridge_uuid",
        "variable_last_bridge_to",
        "variable_signal_bond",
        "variable_uuid_bridge",
        "variable_originate_signal_bond",
        "variable_originated_legs",
        "variable_originate_causes",
        "variable_transfer_history",
        "variable_transfer_source",
    }
)

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_EPOCH = re.compile(r"\b\d{10}\b")


class UuidMap:
    """A one-to-one correspondence recorded UUID <-> produced UUID, built as it is used."""

    def __init__(self) -> None:
        self.forward: dict[str, str] = {}
        self.backward: dict[str, str] = {}

    def same(self, recorded: str, produced: str) -> bool:
        a = _UUID.findall(recorded)
        b = _UUID.findall(produced)
        if len(a) != len(b):
            return False
        for x, y in zip(a, b, strict=True):
            if self.forward.setdefault(x, y) != y or self.backward.setdefault(y, x) != x:
                return False
        shape_a = _EPOCH.sub("<epoch>", _UUID.sub("<uuid>", recorded))
        shape_b = _EPOCH.sub("<epoch>", _UUID.sub("<uuid>", produced))
        return shape_a == shape_b


def _compare_event(i: int, rec: Pairs, got: Pairs, uuids: UuidMap) -> list[str]:
    problems: list[str] = []
    rec_names = [k for k, _ in rec]
    got_names = [k for k, _ in got]
    if rec_names != got_names:
        missing = [n for n in rec_names if n not in got_names]
        extra = [n for n in got_names if n not in rec_names]
        return [f"#{i}: header names differ (missing {missing}, extra {extra}, or order)"]
    application = dict(rec).get("Application")
    for (name, want), (_, have) in zip(rec, got, strict=True):
        if IGNORED.match(name):
            continue
        if name in MAPPED or (name == "Application-Data" and application == "uuid_bridge"):
            if not uuids.same(want, have):
                problems.append(f"#{i} {name}: {want!r} does not correspond to {have!r}")
        elif want != have:
            problems.append(f"#{i} {name}: recorded {want!r}, produced {have!r}")
    return problems


def test_every_outbound_fixture_has_a_scenario() -> None:
    assert sorted(SCENARIOS) == OUTBOUND


@pytest.mark.parametrize("name", OUTBOUND)
def test_replay_matches_recording(name: str) -> None:
    script, config = SCENARIOS[name]
    spec = fixture_spec(name, script, **config)
    recorded, produced = replay(name, spec)
    assert len(produced) >= len(recorded), f"produced {len(produced)} of {len(recorded)}"
    uuids = UuidMap()
    problems: list[str] = []
    for i, (rec, got) in enumerate(zip(recorded, produced, strict=False)):
        assert message_key(got) == message_key(rec), f"#{i}: sequence differs"
        rec_event = event_pairs(rec)
        got_event = event_pairs(got)
        if rec_event is None:
            assert got == rec, f"#{i}: reply/notice not byte-identical"
            continue
        assert got_event is not None
        problems += _compare_event(i, rec_event, got_event, uuids)
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("name", OUTBOUND)
def test_connect_reply_parses_to_the_same_shape(name: str) -> None:
    script, config = SCENARIOS[name]
    spec = fixture_spec(name, script, **config)
    recorded, produced = replay(name, spec)
    (rec_msg,) = ESLParser().feed(recorded[0].encode())
    (got_msg,) = ESLParser().feed(produced[0].encode())
    assert list(got_msg.headers) == list(rec_msg.headers)
    assert got_msg.reply_text == rec_msg.reply_text == "+OK\n"
    rec_ev = Event.from_message(rec_msg)
    got_ev = Event.from_message(got_msg)
    assert list(got_ev.headers) == list(rec_ev.headers)
    for key in ("Unique-ID", "Caller-Caller-ID-Number", "Caller-Destination-Number"):
        assert got_ev.get(key) == rec_ev.get(key)
    assert got_msg.get("Socket-Mode") == "async" and got_msg.get("Control") == "full"


def test_recorded_values_that_matter_are_reproduced() -> None:
    """Spot checks of the headline values (also covered by the full comparison above)."""
    pagd, busy = "play_and_get_digits", "outbound_bridge_busy_json.jsonl"
    cases: list[tuple[str, str, str, str]] = [
        ("outbound_json_pagd.jsonl", pagd, "variable_ivr_digits", "123"),
        ("outbound_json_pagd.jsonl", pagd, "variable_read_result", "success"),
        ("outbound_pagd_unquoted_prompt_json.jsonl", pagd, "variable_your_invalid", "123"),
        (busy, "bridge", "variable_DIALSTATUS", "BUSY"),
        (busy, "bridge", "variable_originate_disposition", "USER_BUSY"),
        ("outbound_callcenter_no_agent_timeout_json.jsonl", "callcenter",
         "variable_cc_cancel_reason", "NO_AGENT_TIMEOUT"),
        ("outbound_callcenter_json.jsonl", "callcenter", "variable_cc_cause", "answered"),
    ]  # fmt: skip
    for name, app, header, value in cases:
        script, config = SCENARIOS[name]
        _, produced = replay(name, fixture_spec(name, script, **config))
        completions = [
            dict(e)
            for e in map(event_pairs, produced)
            if e and dict(e).get("Event-Name") == "CHANNEL_EXECUTE_COMPLETE"
        ]
        (done,) = [c for c in completions if c.get("Application") == app]
        assert done.get(header) == value, (name, header)


def test_fixture_notes_are_loaded() -> None:
    for name in OUTBOUND:
        note, rows = load(name)
        assert note and rows[0].data == "connect\n\n"
        assert header_block(rows[1].data)[0][0] == ("Event-Name", "CHANNEL_DATA")


def test_spec_is_a_plain_callspec() -> None:
    spec = fixture_spec("outbound_json_pagd.jsonl", CallerScript())
    assert isinstance(spec, CallSpec) and spec.caller == "sipp" and spec.did == "5000"
