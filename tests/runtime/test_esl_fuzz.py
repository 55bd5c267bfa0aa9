"""Garbage in -> ProtocolError out, never another exception, never unbounded buffering."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.esl import ConnState, ESLConnection, ESLParser, ProtocolError
from runtime.esl.parser import MAX_HEADER_BYTES
from tests.runtime.esl_support import FIXTURES, chunked, load

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_STREAMS = {name: load(name)[1] for name in FIXTURES}


def _feed_parser(data: bytes, rng: random.Random) -> None:
    parser = ESLParser()
    try:
        for piece in chunked(data, rng, 1, 64):
            parser.feed(piece)
            assert parser.buffered <= MAX_HEADER_BYTES + 64 or parser.buffered <= len(data)
        parser.feed(b"")
    except ProtocolError:
        pass


@FUZZ
@given(data=st.binary(max_size=4096), seed=st.integers(0, 2**32))
def test_random_bytes_parser(data: bytes, seed: int) -> None:
    _feed_parser(data, random.Random(seed))


_LINE = st.one_of(
    st.builds(
        lambda n, v: f"{n}: {v}",
        st.sampled_from(
            ["Content-Type", "Content-Length", "Reply-Text", "Event-Name", "Job-UUID", "X"]
        ),
        st.one_of(
            st.sampled_from(
                [
                    "command/reply",
                    "api/response",
                    "text/event-plain",
                    "text/event-json",
                    "text/disconnect-notice",
                    "auth/request",
                    "log/data",
                    "+OK",
                    "-ERR x",
                    "0",
                    "5",
                    "17",
                    "%2BOK%0A",
                ]
            ),
            st.text(max_size=20),
        ),
    ),
    st.text(max_size=30),
)
_MESSAGE = st.builds(
    lambda lines, body: ("\n".join(lines) + "\n\n").encode() + body,
    st.lists(_LINE, min_size=1, max_size=6),
    st.binary(max_size=40),
)


@FUZZ
@given(messages=st.lists(_MESSAGE, max_size=8), seed=st.integers(0, 2**32), inbound=st.booleans())
def test_header_shaped_garbage_connection(messages: list[bytes], seed: int, inbound: bool) -> None:
    rng = random.Random(seed)
    conn = ESLConnection("inbound" if inbound else "outbound")
    if not inbound:
        conn.send(b"connect\n\n")
        conn.send(b"api status\n\n")
        conn.send(b"sendmsg\ncall-command: execute\nexecute-app-name: answer\nEvent-UUID: e\n\n")
    try:
        for piece in chunked(b"".join(messages), rng, 1, 50):
            conn.receive_data(piece)
            if conn.state is ConnState.AUTH_REQUESTED:
                conn.send(b"auth ClueCon\n\n")
        conn.receive_data(b"")
    except ProtocolError:
        assert conn.state is ConnState.ERROR


@st.composite
def _mutated_fixture(draw: st.DrawFn) -> tuple[str, bytes, int]:
    name = draw(st.sampled_from(FIXTURES))
    data = bytearray(b"".join(x.raw for x in _STREAMS[name] if x.dir == "from_switch"))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "dup"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[pos:pos] = draw(
                st.sampled_from([b"\n", b"\n\n", b":", b"%", b"{", b"\x00", b"Content-Length: 9\n"])
            )
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 20))]
        elif kind == "truncate":
            del data[pos:]
        else:
            data[pos:pos] = data[pos : pos + draw(st.integers(1, 200))]
    return name, bytes(data), draw(st.integers(0, 2**32))


@FUZZ
@given(case=_mutated_fixture())
def test_mutated_fixtures(case: tuple[str, bytes, int]) -> None:
    name, data, seed = case
    rng = random.Random(seed)
    _feed_parser(data, random.Random(seed))
    commands = [x.raw for x in _STREAMS[name] if x.dir == "to_switch"]
    conn = ESLConnection("inbound" if name.startswith("inbound_") else "outbound")
    try:
        if conn.mode == "outbound":
            for command in commands:
                conn.send(command)
        for piece in chunked(data, rng, 1, 512):
            conn.receive_data(piece)
            if conn.state is ConnState.AUTH_REQUESTED:
                for command in commands:
                    if conn.state not in (ConnState.CLOSING, ConnState.DISCONNECTED):
                        conn.send(command)
        conn.receive_data(b"")
    except ProtocolError:
        assert conn.state is ConnState.ERROR


def test_unmutated_pipelined_fixtures_are_clean() -> None:
    """Control for the mutation test: pipelining every recorded command up front is valid."""
    for name in FIXTURES:
        if name.startswith("inbound_"):
            continue
        conn = ESLConnection("outbound")
        for command in (x.raw for x in _STREAMS[name] if x.dir == "to_switch"):
            conn.send(command)
        conn.receive_data(b"".join(x.raw for x in _STREAMS[name] if x.dir == "from_switch"))
        conn.receive_data(b"")
        assert conn.state is ConnState.CLOSED
