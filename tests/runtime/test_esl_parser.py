"""ESLParser: framing of every recorded FreeSWITCH session, chunking, CRLF, limits."""

from __future__ import annotations

import random

import pytest

from runtime.esl import ESLParser, Event, Message, ProtocolError, RemoteProtocolError
from runtime.esl.parser import MAX_BODY_BYTES, MAX_HEADER_BYTES
from tests.runtime.esl_support import FIXTURES, chunked, from_switch, reference_parse, stream


def _expected(name: str) -> list[tuple[dict[str, str], bytes]]:
    return [reference_parse(line.data) for line in from_switch(name)]


def _as_tuples(messages: list[Message]) -> list[tuple[dict[str, str], bytes]]:
    return [(m.headers, m.body) for m in messages]


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_whole(name: str) -> None:
    parser = ESLParser()
    messages = parser.feed(stream(name))
    assert len(messages) == len(from_switch(name))
    assert _as_tuples(messages) == _expected(name)
    assert parser.buffered == 0
    assert parser.feed(b"") == []
    assert parser.at_eof


@pytest.mark.parametrize("name", FIXTURES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fixture_tiny_chunks(name: str, seed: int) -> None:
    rng = random.Random(f"{name}-{seed}")
    parser = ESLParser()
    messages: list[Message] = []
    for piece in chunked(stream(name), rng, 1, 7):
        messages.extend(parser.feed(piece))
    assert len(messages) == len(from_switch(name))
    assert _as_tuples(messages) == _expected(name)


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_message_by_message(name: str) -> None:
    parser = ESLParser()
    for line in from_switch(name):
        out = parser.feed(line.raw)
        assert len(out) == 1
        assert (out[0].headers, out[0].body) == reference_parse(line.data)


def test_connect_reply_without_content_length_is_decoded() -> None:
    line = from_switch("outbound_pagd_info_dtmf.jsonl")[0]
    [msg] = ESLParser().feed(line.raw)
    assert msg.content_type == "command/reply"
    assert "Content-Length" not in msg.headers
    assert msg.headers["Reply-Text"] == "+OK\n"  # raw: %2BOK%0A
    assert "%2BOK" in line.data
    assert msg.is_ok
    assert msg.body == b""
    assert msg.headers["Socket-Mode"] == "async"
    assert msg.headers["Control"] == "full"
    assert msg.headers["Channel-Channel-Name"] == "sofia/internal/sipp@127.0.0.1:5070"


def test_crlf_line_ends_accepted() -> None:
    data = (
        b"Content-Type: command/reply\r\nReply-Text: +OK accepted\r\n\r\n"
        b"Content-Type: api/response\r\nContent-Length: 5\r\n\r\nhello"
        b"Content-Type: command/reply\nReply-Text: +OK\n\n"
    )
    for step in (1, 2, 3, len(data)):
        parser = ESLParser()
        out: list[Message] = []
        for i in range(0, len(data), step):
            out.extend(parser.feed(data[i : i + step]))
        assert [m.headers for m in out] == [
            {"Content-Type": "command/reply", "Reply-Text": "+OK accepted"},
            {"Content-Type": "api/response", "Content-Length": "5"},
            {"Content-Type": "command/reply", "Reply-Text": "+OK"},
        ]
        assert out[1].body == b"hello"


def test_blank_lines_between_messages_are_skipped() -> None:
    data = (
        b"\n\r\nContent-Type: auth/request\n\n\n\nContent-Type: command/reply\nReply-Text: +OK\n\n"
    )
    out = ESLParser().feed(data)
    assert [m.content_type for m in out] == ["auth/request", "command/reply"]


def test_body_may_contain_blank_lines_and_binary() -> None:
    body = b"\n\nContent-Type: fake\n\n\x00\xff"
    data = b"Content-Type: api/response\nContent-Length: %d\n\n" % len(body) + body
    [msg] = ESLParser().feed(data)
    assert msg.body == body


def test_outer_values_url_decoded_but_plus_kept() -> None:
    [msg] = ESLParser().feed(b"Content-Type: command/reply\nReply-Text: a+b%20c%zz%4\n\n")
    assert msg.reply_text == "a+b c%zz%4"


def test_duplicate_headers_first_wins() -> None:
    [msg] = ESLParser().feed(b"Content-Type: command/reply\nReply-Text: one\nReply-Text: two\n\n")
    assert msg.reply_text == "one"


def test_case_insensitive_lookup() -> None:
    [msg] = ESLParser().feed(b"content-type: command/reply\nreply-text: +OK\n\n")
    assert msg.content_type == "command/reply"
    assert msg.get("REPLY-TEXT") == "+OK"
    assert msg.get("missing") is None
    assert msg.get("missing", "x") == "x"


@pytest.mark.parametrize(
    "data",
    [
        b"no colon here\n\n",
        b": empty name\n\n",
        b" Leading: space\n\n",
        b"Content-Type: api/response\nContent-Length: -1\n\n",
        b"Content-Type: api/response\nContent-Length: 1e3\n\n",
        b"Content-Type: api/response\nContent-Length:  5\n\nhello",
        b"Content-Type: api/response\nContent-Length: \xd9\xa3\n\n",
        b"Content-Type: api/response\nContent-Length: 99999999999999999999\n\n",
        b"Content-Type: api/response\nContent-Length: 2\nContent-Length: 3\n\nabc",
        b"Content-Type: api/response\nContent-Length: 2\ncontent-length: 3\n\nabc",
    ],
)
def test_malformed_input_raises_protocol_error(data: bytes) -> None:
    parser = ESLParser()
    with pytest.raises(RemoteProtocolError):
        parser.feed(data)
    # Poisoned: every later call raises too.
    with pytest.raises(ProtocolError):
        parser.feed(b"Content-Type: command/reply\nReply-Text: +OK\n\n")


def test_agreeing_duplicate_content_length_is_fine() -> None:
    data = b"Content-Type: api/response\nContent-Length: 3\nContent-Length: 3\n\nabc"
    assert ESLParser().feed(data)[0].body == b"abc"


def test_header_block_limit() -> None:
    parser = ESLParser()
    line = b"X-Filler: " + b"a" * 1000 + b"\n"
    with pytest.raises(RemoteProtocolError, match="header block"):
        for _ in range(MAX_HEADER_BYTES // len(line) + 2):
            parser.feed(line)
            assert parser.buffered <= MAX_HEADER_BYTES + len(line)


def test_header_block_just_under_limit_is_accepted() -> None:
    head = b"Content-Type: command/reply\nX-Big: "
    head += b"a" * (MAX_HEADER_BYTES - len(head))
    assert len(head) == MAX_HEADER_BYTES
    [msg] = ESLParser().feed(head + b"\n\n")
    assert len(msg.headers["X-Big"]) > 60000


@pytest.mark.parametrize("size", [60_000])
def test_long_line_without_colon_is_rejected(size: int) -> None:
    # This once took ~28 s (quadratic scan); bench/esl_parser.py would show a regression.
    with pytest.raises(RemoteProtocolError, match="malformed"):
        ESLParser().feed(b"A" * size + b"\n\n")
    with pytest.raises(RemoteProtocolError, match="malformed"):
        Event.from_plain(b"Event-Name: X\n" + b"B" * size * 10 + b"\n\n")


def test_no_newline_garbage_is_bounded() -> None:
    parser = ESLParser()
    with pytest.raises(RemoteProtocolError):
        for _ in range(100):
            parser.feed(b"\x00" * 4096)
    assert parser.buffered == 0


def test_content_length_limit() -> None:
    ok = b"Content-Type: api/response\nContent-Length: %d\n\n" % MAX_BODY_BYTES
    parser = ESLParser()
    assert parser.feed(ok) == []
    with pytest.raises(RemoteProtocolError, match="exceeds"):
        ESLParser().feed(
            b"Content-Type: api/response\nContent-Length: %d\n\n" % (MAX_BODY_BYTES + 1)
        )


def test_custom_limits() -> None:
    parser = ESLParser(max_header_bytes=16, max_body_bytes=4)
    assert parser.feed(b"A: b\n\n")[0].headers == {"A": "b"}
    with pytest.raises(RemoteProtocolError):
        parser.feed(b"Content-Length: 5\n\n")


def test_eof_mid_message_is_an_error() -> None:
    parser = ESLParser()
    assert parser.feed(b"Content-Type: api/response\nContent-Length: 10\n\nabc") == []
    with pytest.raises(RemoteProtocolError, match="middle"):
        parser.feed(b"")


def test_eof_mid_header_is_an_error() -> None:
    parser = ESLParser()
    parser.feed(b"Content-Type: comm")
    with pytest.raises(RemoteProtocolError):
        parser.feed(b"")


def test_data_after_eof_is_an_error() -> None:
    parser = ESLParser()
    assert parser.feed(b"") == []
    with pytest.raises(RemoteProtocolError, match="after end"):
        parser.feed(b"Content-Type: auth/request\n\n")


def test_repeated_header_block_gives_each_message_its_own_headers() -> None:
    """Identical outer blocks are parsed once (the parser caches them): each message must
    still get a dict of its own, and a parser's own body limit still applies."""
    block = b"Content-Type: command/reply\nReply-Text: %2BOK%20cached\n\n"
    first, second = ESLParser().feed(block + block)
    assert (
        first.headers
        == second.headers
        == {
            "Content-Type": "command/reply",
            "Reply-Text": "+OK cached",
        }
    )
    first.headers["Reply-Text"] = "changed"
    (third,) = ESLParser().feed(block)
    assert third.reply_text == "+OK cached"
    assert second.reply_text == "+OK cached"
    event = b"Content-Length: 5\nContent-Type: text/event-plain\n\nX: y\n"
    assert [m.body for m in ESLParser().feed(event + b"\n" + event)] == [b"X: y\n"] * 2
    with pytest.raises(RemoteProtocolError, match="exceeds the limit"):
        ESLParser(max_body_bytes=4).feed(event)
