"""Whatever a server does (status, framing, bytes, delay), a look-up returns; it never raises."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from runtime.lookup import LookupClient, LookupFailed, LookupOk, LookupRequest
from tests.lookup.lookup_support import TEST_TIMEOUT, RawServer

TIMEOUT_MS = 100

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode()))
framings = st.sampled_from(["length", "length", "close", "chunked", "short", "long", "garbage"])


def reject_constant(name: str) -> Any:
    raise ValueError(name)


def response_bytes(status: int, body: bytes, framing: str, ctype: str) -> bytes:
    if framing == "garbage":
        return body
    head = f"HTTP/1.1 {status} Whatever\r\nContent-Type: {ctype}\r\n"
    if framing == "length":
        head += f"Content-Length: {len(body)}\r\n"
    elif framing == "short":  # promises more than it sends
        head += f"Content-Length: {len(body) + 10}\r\n"
    elif framing == "long":  # sends more than it promises
        head += f"Content-Length: {max(len(body) - 3, 0)}\r\n"
    elif framing == "chunked":
        head += "Transfer-Encoding: chunked\r\n"
        body = (f"{len(body):x}\r\n".encode() + body + b"\r\n" if body else b"") + b"0\r\n\r\n"
    return (head + "Connection: close\r\n\r\n").encode() + body


@pytest.fixture(scope="module")
def raw_server() -> Iterator[RawServer]:
    with RawServer().running() as server:
        yield server


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    status=st.one_of(
        st.sampled_from([200, 201, 204, 302, 404, 429, 500, 503]), st.integers(100, 599)
    ),
    body=bodies,
    framing=framings,
    ctype=st.sampled_from(["application/json", "text/html", "application/json; charset=utf-8"]),
    delay=st.sampled_from([0.0, 0.0, 0.0, 0.01, 0.2]),
    method=st.sampled_from(["GET", "POST", "DELETE"]),
    retries=st.integers(0, 1),
)
def test_random_server_behaviour_never_raises(
    raw_server: RawServer,
    status: int,
    body: bytes,
    framing: str,
    ctype: str,
    delay: float,
    method: str,
    retries: int,
) -> None:
    raw_server.response = response_bytes(status, body, framing, ctype)
    raw_server.delay = delay
    request = LookupRequest(
        service="crm",
        method=method,
        url=f"{raw_server.base}/customers?ani=1",
        headers={"Authorization": "Bearer ${TOKEN}"},
        body={"a": 1} if method == "POST" else None,
        timeout_ms=TIMEOUT_MS,
        retries=retries,
        flow="fuzz",
    )

    async def main() -> Any:
        client = LookupClient({"TOKEN": "fuzz-secret-value"})
        try:
            async with asyncio.timeout(TEST_TIMEOUT):
                return await client.fetch(request)
        finally:
            await client.aclose()

    result = asyncio.run(main())
    event(type(result).__name__ + (f" {result.reason}" if isinstance(result, LookupFailed) else ""))
    assert isinstance(result, LookupOk | LookupFailed)
    assert result.elapsed_ms < TIMEOUT_MS * (1 + retries) + 1000  # slack for a loaded machine
    assert 0 <= result.attempts <= 1 + retries
    if isinstance(result, LookupOk):
        assert 200 <= result.status < 300
    else:
        assert "fuzz-secret-value" not in result.detail and "ani=1" not in result.detail
    timed_out = isinstance(result, LookupFailed) and result.reason == "timeout"
    clean = framing == "length" and delay < 0.1 and status in (200, 201) and not timed_out
    if clean:
        try:
            expected = json.loads(body, parse_constant=reject_constant)
        except (ValueError, RecursionError):
            assert isinstance(result, LookupFailed) and "malformed JSON" in result.detail
        else:
            assert isinstance(result, LookupOk) and result.body == expected
    if clean and status == 200 and body.strip() == b"":
        assert isinstance(result, LookupFailed)
