"""Message/Event interpretation, checked on every recorded session and its specifics."""

from __future__ import annotations

import json

import pytest

from runtime.esl import ESLParser, Event, Message, RemoteProtocolError
from tests.runtime.esl_support import FIXTURES, from_switch, load, reference_event


def _messages(name: str) -> list[Message]:
    return ESLParser().feed(b"".join(line.raw for line in from_switch(name)))


def _events(name: str) -> list[Event]:
    return [Event.from_message(m) for m in _messages(name) if m.is_event]


@pytest.mark.parametrize("name", FIXTURES)
def test_every_event_matches_reference(name: str) -> None:
    lines = from_switch(name)
    messages = _messages(name)
    count = 0
    for line, msg in zip(lines, messages, strict=True):
        if not msg.is_event:
            continue
        count += 1
        fmt, headers, body = reference_event(line.data)
        ev = Event.from_message(msg)
        assert ev.format == fmt
        assert ev.headers == headers
        assert ev.body == body
        assert ev.name == headers["Event-Name"]
    assert count > 0 or name == "inbound_api_bgapi.jsonl"


@pytest.mark.parametrize("name", [f for f in FIXTURES if f.startswith("outbound_")])
def test_connect_reply_channel_data(name: str) -> None:
    msg = _messages(name)[0]
    assert msg.content_type == "command/reply"
    assert msg.reply_text == "+OK\n"
    assert msg.is_ok
    ev = Event.from_message(msg)
    assert ev.format == "channel_data"
    assert ev.name == "CHANNEL_DATA"
    assert ev.uuid and len(ev.uuid) == 36
    assert ev.get("Caller-Caller-ID-Number") == "sipp"
    assert ev.get("caller-caller-id-number") == "sipp"  # case-insensitive fallback
    assert ev.get("Socket-Mode") == "async"
    assert ev.get("Control") == "full"
    assert ev.variables["current_application"] == "socket"
    assert ev.variable("current_application_data") == "127.0.0.1:8084 async full"
    # Unique-ID of the channel data is the channel every later event is about.
    assert {e.uuid for e in _events(name) if e.name.startswith("CHANNEL_")} == {ev.uuid}


def test_plain_dtmf_pound_is_decoded() -> None:
    digits = [
        e.get("DTMF-Digit") for e in _events("outbound_pagd_info_dtmf.jsonl") if e.name == "DTMF"
    ]
    assert digits == ["1", "2", "3", "#"]
    raw = [
        line.data
        for line in from_switch("outbound_pagd_info_dtmf.jsonl")
        if "DTMF-Digit: %23" in line.data
    ]
    assert len(raw) == 1


@pytest.mark.parametrize(
    "name",
    ["outbound_json_pagd.jsonl", "inbound_event_json.jsonl", "outbound_speak_flite_json.jsonl"],
)
def test_json_dtmf(name: str) -> None:
    digits = [e.get("DTMF-Digit") for e in _events(name) if e.name == "DTMF"]
    assert digits == ["1", "2", "3", "#"]


def test_plain_application_data_decoded() -> None:
    events = _events("outbound_pagd_info_dtmf.jsonl")
    playback = [
        e
        for e in events
        if e.name == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application") == "playback"
    ]
    assert playback[0].get("Application-Data") == "tone_stream://%(500,0,440)"
    assert playback[0].get("Application-Response") == "FILE PLAYED"
    pagd = [e for e in events if e.get("Application") == "play_and_get_digits"]
    assert pagd[0].get("Application-Data") == (
        "1 4 2 4000 # tone_stream://%(200,0,800) silence_stream://250 ivr_digits \\d+ 2000"
    )


@pytest.mark.parametrize(
    "name",
    [
        "outbound_pagd_info_dtmf.jsonl",
        "outbound_json_pagd.jsonl",
        "outbound_speak_flite_json.jsonl",
    ],
)
def test_play_and_get_digits_completion(name: str) -> None:
    [done] = [
        e
        for e in _events(name)
        if e.name == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application") == "play_and_get_digits"
    ]
    assert done.variables["ivr_digits"] == "123"
    assert done.variables["read_result"] == "success"
    assert done.variable("read_terminator_used") == "#"
    assert done.get("Application-Response") == "_none_"


def test_unquoted_prompt_shifted_arguments() -> None:
    events = _events("outbound_pagd_unquoted_prompt_json.jsonl")
    [done] = [
        e
        for e in events
        if e.name == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application") == "play_and_get_digits"
    ]
    assert done.variable("read_result") == "failure"
    assert done.variable("your_invalid") == "123"  # the var name became 'your'
    assert done.variable("code") is None
    assert (done.variable("transfer_source") or "").endswith("bl_xfer:code/3000/\\d+")
    [hangup] = [e for e in events if e.name == "CHANNEL_HANGUP"]
    assert hangup.get("Hangup-Cause") == "NO_ROUTE_DESTINATION"
    assert hangup.get("Caller-Destination-Number") == "code"


def test_background_job_json_body() -> None:
    messages = _messages("inbound_event_json.jsonl")
    reply = next(m for m in messages if m.get("Job-UUID"))
    assert reply.reply_text.startswith("+OK Job-UUID: ")
    [job] = [e for e in _events("inbound_event_json.jsonl") if e.name == "BACKGROUND_JOB"]
    assert job.format == "json"
    assert job.job_uuid == reply.get("Job-UUID")
    assert job.get("Job-Command") == "status"
    assert job.body.startswith("UP 0 years")
    assert "_body" not in job.headers
    assert int(job.headers["Content-Length"]) == len(job.body.encode())


def test_api_event_plain_and_api_response() -> None:
    messages = _messages("inbound_api_bgapi.jsonl")
    assert messages[0].content_type == "auth/request"
    api = next(m for m in messages if m.content_type == "api/response")
    assert api.body.startswith(b"UP 0 years")
    assert api.is_ok
    [ev] = [Event.from_message(m) for m in messages if m.is_event]
    assert ev.name == "API"
    assert ev.get("API-Command") == "version"
    assert ev.get("FreeSWITCH-IPv6") == "fd00::2"
    assert ev.body == ""


def test_background_job_plain_nested_body() -> None:
    # The recorded inbound_api_bgapi session lost its BACKGROUND_JOB in the capture (see its
    # note), so this is built the way switch_event_serialize writes it.
    output = "FreeSWITCH Version 1.10.12-release~64bit\n\nsecond paragraph: 100%\n"
    inner = (
        "Event-Name: BACKGROUND_JOB\n"
        "Core-UUID: c164eee1-c011-4381-9f9a-e6b63057ac72\n"
        "Job-UUID: d9f19463-068c-4a8e-924c-c4e99f73901c\n"
        "Job-Command: version\n"
        "Job-Owner-UUID: _undef_\n"
        f"Content-Length: {len(output.encode())}\n\n{output}"
    ).encode()
    outer = b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(inner) + inner
    [msg] = ESLParser().feed(outer)
    ev = Event.from_message(msg)
    assert ev.name == "BACKGROUND_JOB"
    assert ev.job_uuid == "d9f19463-068c-4a8e-924c-c4e99f73901c"
    assert ev.body == output
    assert ev.get("Job-Owner-UUID") == ""  # _undef_ -> empty


def test_custom_event_subclass() -> None:
    custom = [e for e in _events("outbound_callcenter_json.jsonl") if e.name == "CUSTOM"]
    assert [e.subclass for e in custom] == ["callcenter::info", "callcenter::info"]
    assert custom[-1].get("CC-Action") == "member-queue-end"


def test_linger_and_final_disconnect_notices() -> None:
    notices = [
        m
        for m in _messages("outbound_pagd_info_dtmf.jsonl")
        if m.content_type == "text/disconnect-notice"
    ]
    linger, final = notices
    assert linger.get("Content-Disposition") == "linger"
    assert linger.get("Linger-Time") == "-1"
    assert linger.body == b""
    assert final.get("Content-Disposition") == "disconnect"
    assert final.body.startswith(b"Disconnected, goodbye.")


def test_caller_hangup_mid_prompt_order() -> None:
    events = _events("outbound_caller_hangup_midprompt_json.jsonl")
    names = [(e.name, e.get("Application")) for e in events]
    hangup = names.index(("CHANNEL_HANGUP", None))
    playback_done = names.index(("CHANNEL_EXECUTE_COMPLETE", "playback"))
    assert hangup < playback_done
    assert events[playback_done].get("Application-Response") == "PLAYBACK ERROR"
    assert events[hangup].get("Hangup-Cause") == "NORMAL_CLEARING"


@pytest.mark.parametrize(
    ("name", "cause", "dialstatus"),
    [
        ("outbound_bridge_fail_json.jsonl", "NORMAL_TEMPORARY_FAILURE", "NORMAL_TEMPORARY_FAILURE"),
        ("outbound_bridge_busy_json.jsonl", "USER_BUSY", "BUSY"),
    ],
)
def test_failed_bridge_hangup_before_completion(name: str, cause: str, dialstatus: str) -> None:
    events = _events(name)
    keys = [(e.name, e.get("Application")) for e in events]
    hangup = keys.index(("CHANNEL_HANGUP", None))
    done = keys.index(("CHANNEL_EXECUTE_COMPLETE", "bridge"))
    assert hangup < done
    assert events[hangup].get("Hangup-Cause") == cause
    assert events[done].variable("DIALSTATUS") == dialstatus
    assert events[done].get("Application-Response") == "_none_"


def test_undef_and_arrays_in_synthetic_events() -> None:
    plain = b"Event-Name: CUSTOM\nEvent-Subclass: x%3A%3Ay\nEmpty: _undef_\nArr: ARRAY::a|:b\n\n"
    ev = Event.from_plain(plain)
    assert ev.subclass == "x::y"
    assert ev.get("Empty") == ""
    assert ev.get_array("Arr") == ["a", "b"]
    js = json.dumps({"Event-Name": "CUSTOM", "Empty": "", "Arr": ["a", "b"], "N": 5, "_body": "x"})
    ej = Event.from_json(js.encode())
    assert ej.get("Empty") == ""
    assert ej.get("Arr") == "ARRAY::a|:b"
    assert ej.get_array("Arr") == ["a", "b"]
    assert ej.get("N") == "5"
    assert ej.body == "x"
    assert ej.get_array("missing") == []
    assert ej.get_array("Empty") == [""]


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\n\n",
        b"no colon\n\n",
        b"Event-Name: X\nContent-Length: 10\n\nshort",
        b"Event-Name: X\nContent-Length: x\n\n",
    ],
)
def test_bad_plain_event(payload: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        Event.from_plain(payload)


@pytest.mark.parametrize("payload", [b"", b"[1]", b"{", b"\xff\xfe", b"[" * 100000])
def test_bad_json_event(payload: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        Event.from_json(payload)


def test_non_event_message() -> None:
    with pytest.raises(RemoteProtocolError):
        Event.from_message(Message({"Content-Type": "command/reply", "Reply-Text": "+OK"}))


def test_is_ok_variants() -> None:
    assert Message({"Content-Type": "command/reply", "Reply-Text": "+OK bye"}).is_ok
    assert not Message(
        {"Content-Type": "command/reply", "Reply-Text": "-ERR command not found"}
    ).is_ok
    assert Message({"Content-Type": "api/response"}, b"UP 0 years").is_ok
    assert not Message({"Content-Type": "api/response"}, b"-USAGE: status").is_ok
    assert not Message({"Content-Type": "text/event-plain"}, b"").is_ok


def test_notes_are_loaded() -> None:
    note, lines = load("outbound_transfer_json.jsonl")
    assert "transfer" in note
    assert lines[0].dir == "to_switch"


_PEEKED = ("Event-Name", "Unique-ID", "Application-UUID", "Job-UUID", "Event-Subclass")


def _read_one_header(payload: bytes, name: str) -> str | None:
    """What a consumer reading one header of a fresh (undecoded) event gets."""
    return Event.from_json(payload).get(name)


@pytest.mark.parametrize("name", [f for f in FIXTURES if "_json" in f])
def test_lazy_json_header_reads_match_full_decode(name: str) -> None:
    """Reading single headers of an undecoded JSON event gives what the decoded event has."""
    lazy = 0
    for msg in _messages(name):
        if msg.content_type != "text/event-json":
            continue
        decoded = Event.from_json(msg.body)
        reference = decoded.headers  # decodes
        fresh = Event.from_json(msg.body)
        lazy += fresh._headers is None
        assert fresh.name == reference["Event-Name"]
        assert fresh.uuid == reference.get("Unique-ID")
        assert fresh.app_uuid == reference.get("Application-UUID")
        assert fresh.job_uuid == reference.get("Job-UUID")
        assert fresh.subclass == reference.get("Event-Subclass")
        assert fresh.variable("current_application") == reference.get(
            "variable_current_application"
        )
        for key in (*_PEEKED, "DTMF-Digit", "Application", "Hangup-Cause", "variable_x"):
            assert _read_one_header(msg.body, key) == decoded.get(key)
        assert fresh == decoded
    assert lazy > 0  # FreeSWITCH's own events take the undecoded path


@pytest.mark.parametrize(
    "payload",
    [
        # a repeated key: the first one wins
        b'{"Event-Name":"A","Unique-ID":"1","Unique-ID":"2"}',
        # an escaped key spells Unique-ID too, before or after the plain one
        b'{"Event-Name":"A","Unique-ID":"1","Unique\\u002dID":"2"}',
        b'{"Event-Name":"A","Unique\\u002dID":"2","Unique-ID":"1"}',
        b'{"Event-Name":"A","Unique\\u002dID":"2"}',
        # an escaped backslash before a u is not an escape
        b'{"Event-Name":"A","X":"\\\\u002d","Unique-ID":"1"}',
        # an escape inside the value
        b'{"Event-Name":"A","Unique-ID":"a\\"b"}',
        # not a string
        b'{"Event-Name":"A","Unique-ID":7}',
        # nested: the inner key is not a header
        b'{"Event-Name":"A","X":{"Unique-ID":"inner"}}',
        # the key text inside a value
        b'{"Event-Name":"A","X":"\\"Unique-ID\\":\\"fake\\""}',
        # spaces (not cJSON's shape)
        b'{"Event-Name": "A", "Unique-ID": "1"}',
    ],
)
def test_lazy_json_reads_agree_with_json_loads(payload: bytes) -> None:
    """A header read from the undecoded payload is the decoded one (first key wins)."""

    def first_wins(pairs: list[tuple[str, object]]) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, value in pairs:
            out.setdefault(key, value)
        return out

    expected = json.loads(payload, object_pairs_hook=first_wins)
    ev = Event.from_json(payload)
    want = expected.get("Unique-ID")
    assert ev.uuid == (want if want is None or isinstance(want, str) else json.dumps(want))
    assert ev.name == expected["Event-Name"]
    assert ev.headers["Event-Name"] == "A"


def test_lazy_json_event_malformed_later_raises_protocol_error_on_use() -> None:
    ev = Event.from_json(b'{"Event-Name":"CHANNEL_STATE","Unique-ID":"u",}')
    assert ev.name == "CHANNEL_STATE"
    assert ev.uuid == "u"
    with pytest.raises(RemoteProtocolError, match="bad JSON event"):
        _ = ev.headers
    with pytest.raises(RemoteProtocolError):
        ev.get("Other")


def test_lazy_json_event_body_and_equality() -> None:
    payload = b'{"Event-Name":"BACKGROUND_JOB","Job-UUID":"j","Content-Length":"3","_body":"+OK"}'
    ev = Event.from_json(payload)
    assert ev.job_uuid == "j"
    assert ev.body == "+OK"
    assert ev == Event(
        {"Event-Name": "BACKGROUND_JOB", "Job-UUID": "j", "Content-Length": "3"}, "+OK", "json"
    )
    assert "BACKGROUND_JOB" in repr(ev)
