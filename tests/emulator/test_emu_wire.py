"""Byte-level pieces: URL encoding, serialization, command framing, metrics helpers."""

from __future__ import annotations

import json
import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.emulator import LatencyRecorder, percentile, summarize
from runtime.emulator.metrics import peak_concurrency, rss_bytes
from runtime.emulator.wire import (
    CommandReader,
    EventData,
    HeaderBlock,
    command_reply,
    serialize_json,
    serialize_plain,
    url_encode,
)
from runtime.esl import Event, Message
from runtime.esl.message import url_decode
from tests.emulator.emu_support import FIXTURE_DIR


def _plain_values() -> list[tuple[str, str]]:
    """Every (name, encoded value) of every plain event and connect reply recorded."""
    out = []
    for path in sorted(FIXTURE_DIR.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            data = row.get("data", "")
            if row.get("dir") != "from_switch":
                continue
            head = data.partition("\n\n")[0]
            if data.startswith("Event-Name: CHANNEL_DATA"):
                block = head
            elif "Content-Type: text/event-plain" in head:
                block = data.partition("\n\n")[2].partition("\n\n")[0]
            else:
                continue
            for item in block.split("\n"):
                name, _, value = item.partition(": ")
                if name != "Content-Length" and value != "_undef_":
                    out.append((name, value))
    return out


def test_url_encode_reproduces_every_recorded_value() -> None:
    values = _plain_values()
    assert len(values) > 7000
    bad = [(n, v) for n, v in values if url_encode(url_decode(v)) != v]
    assert not bad, bad[:5]


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("plain-text_1.0/x", "plain-text_1.0/x"),
        ("+OK\n", "%2BOK%0A"),
        ("a b#c%d&e+f:g;h<i=j>k?l", "a%20b%23c%25d%26e%2Bf%3Ag%3Bh%3Ci%3Dj%3Ek%3Fl"),
        ("@m[n\\o]p^q`r{s|t}u\"v", "%40m%5Bn%5Co%5Dp%5Eq%60r%7Bs%7Ct%7Du%22v"),
        ("tone_stream://%(200,0,800)", "tone_stream%3A//%25(200,0,800)"),
        ("%41 kept", "%41%20kept"),
        ("100%", "100%25"),
        ("caf\u00e9\x7f\x01", "caf%C3%A9%7F%01"),
        ("!$'()*,-.~", "!$'()*,-.~"),
    ],
)  # fmt: skip
def test_url_encode_rules(raw: str, encoded: str) -> None:
    assert url_encode(raw) == encoded


@given(st.text())
def test_url_encode_output_is_printable_ascii_and_decodes_back(text: str) -> None:
    out = url_encode(text)
    assert all(0x21 <= ord(c) <= 0x7E for c in out)
    if "%" not in text:
        assert url_decode(out) == text


def test_serializations_parse_back_with_runtime_esl() -> None:
    headers = [("Event-Name", "CHANNEL_HANGUP_COMPLETE"), ("Hangup-Cause", "USER_BUSY"),
               ("Unique-ID", "u"), ("Hangup-Cause", "USER_BUSY"), ("variable_x", "a b\n\"c\""),
               ("Empty", "")]  # fmt: skip
    body = "<result>ok</result>\n"
    plain = serialize_plain(headers, body)
    assert "Empty: _undef_\n" in plain and plain.endswith(f"Content-Length: {len(body)}\n\n{body}")
    ev = Event.from_plain(plain.encode())
    assert ev.get("variable_x") == 'a b\n"c"' and ev.body == body and ev.get("Empty") == ""
    js = serialize_json(headers, body)
    assert js.count('"Hangup-Cause":"USER_BUSY"') == 2
    pairs = json.loads(js, object_pairs_hook=list)
    assert [k for k, _ in pairs][-2:] == ["Content-Length", "_body"]
    assert Event.from_json(js.encode()).body == body


def test_event_data_blocks_serialize_like_flat_lists() -> None:
    plain_cache: dict[str, tuple[str, str]] = {}
    json_cache: dict[str, tuple[str, str]] = {}
    block = HeaderBlock([("variable_a", "1 2"), ("variable_b", "x")], plain_cache, json_cache)
    event = EventData([[("Event-Name", "X")], block, [("Application", "y")]], "b")
    flat = event.pairs()
    assert event.plain() == serialize_plain(flat, "b") and event.json() == serialize_json(flat, "b")
    # a later block with a changed value is encoded afresh, the unchanged one comes from the cache
    block2 = HeaderBlock([("variable_a", "3"), ("variable_b", "x")], plain_cache, json_cache)
    assert block2.plain() == "variable_a: 3\nvariable_b: x\n" and block.plain().startswith(
        "variable_a: 1%202"
    )
    assert event.get("Application") == "y" and event.get_ci("application") == "y"


def test_command_reply_format() -> None:
    assert command_reply("+OK") == b"Content-Type: command/reply\nReply-Text: +OK\n\n"
    assert command_reply("~Reply-Text: +OK Job-UUID: j\nJob-UUID: j\n\n") == (
        b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: j\nJob-UUID: j\n\n"
    )
    assert Message({"Content-Type": "command/reply", "Reply-Text": "+OK"}).is_ok


def test_command_reader_framing() -> None:
    r = CommandReader()
    cmds = r.feed(
        b"\r\n\nsendmsg\r\ncall-command: execute\r\nno colon here\r\n"
        b"execute-app-name:  answer\r\n\r\n"
    )
    (cmd,) = cmds
    assert cmd.line == "sendmsg" and cmd.get("Call-Command") == "execute"
    assert cmd.get("execute-app-name") == "answer" and cmd.body is None
    assert r.feed(b"sendmsg\ncontent-type: text/plain\ncontent-length: 5\n\nab") == []
    (body_cmd,) = r.feed(b"\ncd" + b"exit\n\n")[:1]
    assert body_cmd.body == "ab\ncd" and body_cmd.raw.endswith(b"ab\ncd")
    assert r.feed(b"") == [] and [c.line for c in r.feed(b"a\x00b\n\n")] == ["a"]


def test_command_reader_byte_by_byte_equals_whole() -> None:
    data = b"connect\n\nmyevents json\n\nsendmsg\ncontent-length: 3\n\nxyzlinger\n\nexit\n\n"
    whole = [(c.line, c.headers, c.body) for c in CommandReader().feed(data)]
    r = CommandReader()
    pieces = []
    rng = random.Random(3)
    pos = 0
    while pos < len(data):
        step = rng.randint(1, 4)
        pieces += r.feed(data[pos : pos + step])
        pos += step
    assert [(c.line, c.headers, c.body) for c in pieces] == whole
    assert [line for line, _, _ in whole] == [
        "connect",
        "myevents json",
        "sendmsg",
        "linger",
        "exit",
    ]


def test_command_reader_forces_a_parse_at_the_size_limit() -> None:
    r = CommandReader(max_command_bytes=64)
    (cmd,) = r.feed(b"x" * 100)
    assert cmd.line == "x" * 64 and r.buffered == 36


def test_percentiles_and_summaries() -> None:
    assert math.isnan(percentile([], 50))
    assert percentile([3.0], 99) == 3.0
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([1, 2, 3, 4], 100) == 4
    s = summarize([0.001 * i for i in range(1, 101)])
    assert s.count == 100 and abs(s.p50 - 0.0505) < 1e-9 and s.max == 0.1
    assert "p99=" in s.ms() and summarize([]).ms() == "n=0"


def test_latency_recorder_pairs_completion_with_next_command() -> None:
    rec = LatencyRecorder()
    rec.command_received("a", 1.0)  # no completion yet: no sample
    rec.completion_sent("a", 2.0)
    rec.completion_sent("b", 2.5)
    rec.command_received("a", 2.25)
    rec.completion_sent("a", 3.0)
    rec.completion_sent("a", 3.5)  # the latest completion counts
    rec.command_received("a", 4.0)
    rec.call_ended("b")
    rec.command_received("b", 9.0)
    assert rec.samples == [0.25, 0.5]


def test_peak_concurrency_and_rss() -> None:
    assert peak_concurrency([]) == 0
    assert peak_concurrency([(0, 2), (1, 3), (2, 4), (5, 6)]) == 2
    assert peak_concurrency([(0, 10)] * 3) == 3
    assert rss_bytes() > 0 and rss_bytes(2**30) == 0
