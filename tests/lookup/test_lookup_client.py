"""LookupClient against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from runtime.lookup import (
    BreakerConfig,
    LookupClient,
    LookupFailed,
    LookupOk,
    LookupRequest,
    LookupResult,
)
from tests.lookup.lookup_support import Reply, Seen, Server, closed_port, http_server, run

SLACK_MS = 250  # scheduling slack on a loaded test machine


def req(url: str, method: str = "GET", **kw: Any) -> LookupRequest:
    fields: dict[str, Any] = {"service": "crm", "flow": "care", "timeout_ms": 1000, **kw}
    return LookupRequest(method=method, url=url, **fields)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def with_client(
    body: Callable[[LookupClient], Awaitable[Any]], env: dict[str, str] | None = None, **kw: Any
) -> Any:
    kw.setdefault("rng", random.Random(7))
    client = LookupClient(env or {}, **kw)
    try:
        return await body(client)
    finally:
        await client.aclose()


def fetch_one(handler: Any, request: Callable[[Server], LookupRequest], **kw: Any) -> Any:
    """Serve `handler`, fetch one request, return (result, server)."""

    async def main() -> tuple[LookupResult, Server]:
        async with http_server(handler) as server:
            result = await with_client(lambda c: c.fetch(request(server)), **kw)
            return result, server

    return run(main())


# -- answers -------------------------------------------------------------------------------


def test_json_ok() -> None:
    result, server = fetch_one(
        lambda seen: Reply.json({"name": "Ann", "tier": "gold", "balance": 12.5}),
        lambda s: req(f"{s.base}/customers?ani=%2B8613800000000"),
    )
    assert isinstance(result, LookupOk)
    assert result.status == 200
    assert result.body == {"name": "Ann", "tier": "gold", "balance": 12.5}
    assert result.attempts == 1
    assert 0 <= result.elapsed_ms < 1000
    assert server.requests[0].method == "GET"
    assert server.requests[0].target == "/customers?ani=%2B8613800000000"


def test_post_sends_json_body_and_headers() -> None:
    result, server = fetch_one(
        lambda seen: Reply.json({"created": True}, status=201),
        lambda s: req(
            f"{s.base}/tickets", "POST", body={"ani": "5551234", "n": 3}, headers={"X-Flow": "care"}
        ),
    )
    assert isinstance(result, LookupOk) and result.status == 201
    seen = server.requests[0]
    assert seen.method == "POST"
    assert json.loads(seen.body) == {"ani": "5551234", "n": 3}
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["x-flow"] == "care"


@pytest.mark.parametrize("status", [204, 205])
def test_no_content_is_ok_with_no_body(status: int) -> None:
    result, _ = fetch_one(
        lambda seen: Reply(status=status, body=b""), lambda s: req(f"{s.base}/x", "DELETE")
    )
    assert isinstance(result, LookupOk) and result.status == status and result.body is None


def test_head_is_ok_with_no_body() -> None:
    result, server = fetch_one(lambda seen: Reply(body=b""), lambda s: req(f"{s.base}/x", "HEAD"))
    assert isinstance(result, LookupOk) and result.body is None
    assert server.requests[0].method == "HEAD"


@pytest.mark.parametrize("status", [400, 404, 500, 503])
def test_error_status(status: int) -> None:
    result, server = fetch_one(
        lambda seen: Reply.json({"error": "nope"}, status=status), lambda s: req(f"{s.base}/x")
    )
    assert isinstance(result, LookupFailed)
    assert (result.reason, result.status, result.attempts) == ("error", status, 1)
    assert f"HTTP {status}" in result.detail
    assert server.hits == 1


def test_redirect_is_not_followed() -> None:
    result, server = fetch_one(
        lambda seen: Reply(status=302, body=b"", headers={"Location": "http://127.0.0.1:1/"}),
        lambda s: req(f"{s.base}/x"),
    )
    assert isinstance(result, LookupFailed) and result.status == 302 and server.hits == 1


@pytest.mark.parametrize(
    "body", [b"{not json", b"", b"   ", b"<html>oops</html>", b"NaN", b"\xff\xfe\x00garbage"]
)
def test_malformed_json(body: bytes) -> None:
    result, _ = fetch_one(lambda seen: Reply(body=body), lambda s: req(f"{s.base}/x"))
    assert isinstance(result, LookupFailed)
    assert result.reason == "error" and result.status == 200
    assert result.detail.startswith("malformed JSON")


def test_deeply_nested_json_is_an_error_not_a_crash() -> None:
    result, _ = fetch_one(lambda seen: Reply(body=b"[" * 200_000), lambda s: req(f"{s.base}/x"))
    assert isinstance(result, LookupFailed) and "malformed JSON" in result.detail


def test_json_nested_past_the_depth_limit_is_an_error() -> None:
    # 500 levels parse (json's limit is the recursion limit) but would overflow the
    # interpreter's recursive walks of the value in the middle of a call (issue 12 campaign)
    deep = b'{"name": ' + b"[" * 500 + b"1" + b"]" * 500 + b"}"
    result, _ = fetch_one(lambda seen: Reply(body=deep), lambda s: req(f"{s.base}/x"))
    assert isinstance(result, LookupFailed) and result.reason == "error"
    assert result.status == 200 and "nested deeper than 64" in result.detail
    limit = b"[" * 64 + b"]" * 64
    result, _ = fetch_one(lambda seen: Reply(body=limit), lambda s: req(f"{s.base}/x"))
    assert isinstance(result, LookupOk)


def test_oversize_response_declared() -> None:
    big = b'"' + b"x" * (1024 * 1024) + b'"'
    result, _ = fetch_one(lambda seen: Reply(body=big), lambda s: req(f"{s.base}/x"))
    assert isinstance(result, LookupFailed) and result.reason == "error"
    assert "larger than" in result.detail


def test_oversize_response_without_length() -> None:
    # No Content-Length: the body ends when the server closes; it is cut at the limit.
    chunk = b"x" * 65536
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    result, _ = fetch_one(
        lambda seen: Reply(raw=head + b'"' + chunk * 20 + b'"'),
        lambda s: req(f"{s.base}/x"),
        max_response_bytes=256 * 1024,
    )
    assert isinstance(result, LookupFailed) and "larger than 262144 bytes" in result.detail


def test_response_at_the_limit_is_fine() -> None:
    body = b'"' + b"y" * 998 + b'"'
    result, _ = fetch_one(
        lambda seen: Reply(body=body), lambda s: req(f"{s.base}/x"), max_response_bytes=1000
    )
    assert isinstance(result, LookupOk) and result.body == "y" * 998


# -- time --------------------------------------------------------------------------------------


def test_slow_server_times_out_within_budget() -> None:
    t0 = time.monotonic()
    result, _ = fetch_one(
        lambda seen: Reply.json({}, delay=5.0), lambda s: req(f"{s.base}/x", timeout_ms=200)
    )
    wall = (time.monotonic() - t0) * 1000
    assert isinstance(result, LookupFailed)
    assert (result.reason, result.status, result.attempts) == ("timeout", None, 1)
    assert 150 <= result.elapsed_ms < 200 + SLACK_MS
    assert wall < 200 + 2 * SLACK_MS


def test_trickling_body_cannot_stretch_the_budget() -> None:
    # Each byte arrives well within httpx's per-read timeout; the whole exchange does not.
    result, _ = fetch_one(
        lambda seen: Reply(parts=[b"[", *[b"1," for _ in range(40)], b"1]"], gap=0.05),
        lambda s: req(f"{s.base}/x", timeout_ms=300),
    )
    assert isinstance(result, LookupFailed) and result.reason == "timeout"
    assert result.elapsed_ms < 300 + SLACK_MS


def test_timeouts_retried_within_the_overall_deadline() -> None:
    result, server = fetch_one(
        lambda seen: Reply.json({}, delay=5.0),
        lambda s: req(f"{s.base}/x", timeout_ms=150, retries=2),
    )
    assert isinstance(result, LookupFailed) and result.reason == "timeout"
    assert 2 <= result.attempts <= 3
    assert server.hits == result.attempts
    assert result.elapsed_ms < 150 * 3 + SLACK_MS


def test_deadline_is_capped() -> None:
    result, _ = fetch_one(
        lambda seen: Reply.json({}, delay=5.0),
        lambda s: req(f"{s.base}/x", timeout_ms=60_000, retries=5),
        max_deadline_ms=300,
    )
    assert isinstance(result, LookupFailed) and result.reason == "timeout"
    assert result.elapsed_ms < 300 + SLACK_MS


# -- retries -------------------------------------------------------------------------------


def flaky(statuses: list[int]) -> Callable[[Seen], Reply]:
    """Answers with each status in turn, then 200."""
    it = iter(statuses)
    return lambda seen: Reply.json({"ok": True}, status=next(it, 200))


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
def test_idempotent_methods_retried_on_503(method: str) -> None:
    result, server = fetch_one(
        flaky([503, 502]), lambda s: req(f"{s.base}/x", method, retries=3, timeout_ms=1000)
    )
    assert isinstance(result, LookupOk)
    assert result.attempts == 3
    assert server.hits == 3
    assert all(seen.method == method for seen in server.requests)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_post_and_patch_never_retried(method: str) -> None:
    result, server = fetch_one(
        flaky([503, 503]), lambda s: req(f"{s.base}/x", method, body={"a": 1}, retries=3)
    )
    assert isinstance(result, LookupFailed) and result.status == 503
    assert result.attempts == 1 and server.hits == 1


def test_post_not_retried_on_timeout() -> None:
    result, server = fetch_one(
        lambda seen: Reply.json({}, delay=5.0),
        lambda s: req(f"{s.base}/x", "POST", retries=3, timeout_ms=150),
    )
    assert isinstance(result, LookupFailed) and result.reason == "timeout"
    assert result.attempts == 1 and server.hits == 1
    assert result.elapsed_ms < 150 + SLACK_MS  # the deadline is one budget, not four


def test_retries_exhausted_reports_the_last_failure() -> None:
    result, server = fetch_one(flaky([503, 503, 504]), lambda s: req(f"{s.base}/x", retries=2))
    assert isinstance(result, LookupFailed)
    assert (result.status, result.attempts, server.hits) == (504, 3, 3)


def test_500_and_4xx_not_retried() -> None:
    for status in (500, 404, 429):
        result, server = fetch_one(flaky([status]), lambda s: req(f"{s.base}/x", retries=3))
        assert isinstance(result, LookupFailed) and result.status == status
        assert server.hits == 1


def test_connection_refused() -> None:
    port = closed_port()

    async def main(client: LookupClient) -> tuple[LookupResult, LookupResult]:
        once = await client.fetch(req(f"http://127.0.0.1:{port}/x"))
        retried = await client.fetch(req(f"http://127.0.0.1:{port}/x", retries=2))
        return once, retried

    once, retried = run(with_client(main))
    for result in (once, retried):
        assert isinstance(result, LookupFailed)
        assert (result.reason, result.status) == ("error", None)
        assert "connection error" in result.detail
    assert once.attempts == 1 and retried.attempts == 3


def test_backoff_is_deterministic_with_a_seeded_rng() -> None:
    class Recording(random.Random):
        def __init__(self) -> None:
            super().__init__(42)
            self.draws: list[float] = []

        def uniform(self, a: float, b: float) -> float:
            value = super().uniform(a, b)
            self.draws.append(value)
            return value

    draws = []
    for _ in range(2):
        rng = Recording()
        fetch_one(flaky([503, 503]), lambda s: req(f"{s.base}/x", retries=2), rng=rng)
        draws.append(rng.draws)
    assert len(draws[0]) == 2 and draws[0] == draws[1]
    assert all(0.5 <= d <= 1.0 for d in draws[0])


# -- circuit breaker ----------------------------------------------------------------------


def test_breaker_opens_fails_fast_half_opens_and_closes() -> None:
    clock = FakeClock()
    status = {"now": 500}

    async def main() -> None:
        async with http_server(lambda seen: Reply.json({}, status=status["now"])) as server:
            client = LookupClient(
                {}, breaker=BreakerConfig(failure_threshold=3, open_seconds=10), clock=clock
            )
            url = f"{server.base}/x"
            for _ in range(3):
                r = await client.fetch(req(url))
                assert isinstance(r, LookupFailed) and r.status == 500
            assert client.breaker("crm", "care").state == "open"
            # Open: fail fast, nothing sent.
            for _ in range(5):
                r = await client.fetch(req(url))
                assert isinstance(r, LookupFailed)
                assert (r.reason, r.detail, r.status, r.attempts) == (
                    "error",
                    "circuit open",
                    None,
                    0,
                )
            assert server.hits == 3
            clock.now += 9.9
            assert isinstance(await client.fetch(req(url)), LookupFailed)
            assert server.hits == 3
            # Half-open after the period: one trial; it succeeds, so the circuit closes.
            clock.now += 0.2
            status["now"] = 200
            assert client.breaker("crm", "care").state == "half_open"
            assert isinstance(await client.fetch(req(url)), LookupOk)
            assert client.breaker("crm", "care").state == "closed"
            assert server.hits == 4
            for _ in range(3):
                assert isinstance(await client.fetch(req(url)), LookupOk)
            stats = client.stats()["care.crm"]
            assert stats == {
                "requests": 13,
                "ok": 4,
                "timeouts": 0,
                "errors": 9,
                "retries": 0,
                "breaker_open_rejections": 6,
            }
            await client.aclose()

    run(main())


def test_half_open_trial_failure_reopens() -> None:
    clock = FakeClock()

    async def main() -> None:
        async with http_server(lambda seen: Reply.json({}, status=503)) as server:
            client = LookupClient(
                {}, breaker=BreakerConfig(failure_threshold=2, open_seconds=5), clock=clock
            )
            url = f"{server.base}/x"
            for _ in range(2):
                await client.fetch(req(url))
            clock.now += 5
            r = await client.fetch(req(url))  # the trial
            assert isinstance(r, LookupFailed) and r.status == 503
            assert server.hits == 3
            assert client.breaker("crm", "care").state == "open"
            r = await client.fetch(req(url))
            assert isinstance(r, LookupFailed) and r.detail == "circuit open"
            clock.now += 4.9  # the open period restarted at the trial's failure
            r = await client.fetch(req(url))
            assert isinstance(r, LookupFailed) and r.detail == "circuit open"
            assert server.hits == 3
            await client.aclose()

    run(main())


def test_half_open_lets_exactly_one_trial_through() -> None:
    clock = FakeClock()
    replies = iter([Reply.json({}, status=500), Reply.json({"trial": True}, delay=0.2)])

    async def main() -> None:
        async with http_server(lambda seen: next(replies)) as server:
            client = LookupClient(
                {}, breaker=BreakerConfig(failure_threshold=1, open_seconds=1), clock=clock
            )
            url = f"{server.base}/x"
            await client.fetch(req(url))
            clock.now += 1
            trial = asyncio.create_task(client.fetch(req(url)))
            await asyncio.sleep(0.05)
            others = await asyncio.gather(*(client.fetch(req(url)) for _ in range(5)))
            assert all(isinstance(o, LookupFailed) and o.detail == "circuit open" for o in others)
            ok = await trial
            assert isinstance(ok, LookupOk) and ok.body == {"trial": True}
            assert server.hits == 2
            assert client.breaker("crm", "care").state == "closed"
            await client.aclose()

    run(main())


def test_timeouts_and_refused_connections_trip_the_breaker() -> None:
    port = closed_port()

    async def main(client: LookupClient) -> None:
        for _ in range(2):
            r = await client.fetch(req(f"http://127.0.0.1:{port}/x"))
            assert isinstance(r, LookupFailed) and "connection error" in r.detail
        r = await client.fetch(req(f"http://127.0.0.1:{port}/x"))
        assert isinstance(r, LookupFailed) and r.detail == "circuit open"

    run(with_client(main, breaker=BreakerConfig(failure_threshold=2), clock=FakeClock()))


def test_client_errors_do_not_trip_the_breaker() -> None:
    async def main() -> None:
        async with http_server(lambda seen: Reply(status=404, body=b"")) as server:

            async def body(client: LookupClient) -> None:
                for _ in range(6):
                    r = await client.fetch(req(f"{server.base}/x"))
                    assert isinstance(r, LookupFailed) and r.status == 404
                assert client.breaker("crm", "care").state == "closed"

            await with_client(body, breaker=BreakerConfig(failure_threshold=2))
            assert server.hits == 6

    run(main())


def test_breakers_are_per_flow_and_service() -> None:
    async def main() -> None:
        async with http_server(lambda seen: Reply.json({}, status=500)) as server:

            async def body(client: LookupClient) -> None:
                url = f"{server.base}/x"
                await client.fetch(req(url))
                r = await client.fetch(req(url))
                assert isinstance(r, LookupFailed) and r.detail == "circuit open"
                r = await client.fetch(req(url, service="billing"))
                assert isinstance(r, LookupFailed) and r.status == 500
                r = await client.fetch(req(url, flow="bank"))
                assert isinstance(r, LookupFailed) and r.status == 500
                assert set(client.stats()) == {"care.crm", "care.billing", "bank.crm"}

            await with_client(body, breaker=BreakerConfig(failure_threshold=1))

    run(main())


# -- concurrency ---------------------------------------------------------------------------


def test_200_concurrent_lookups_bounded_by_the_semaphore() -> None:
    async def main() -> None:
        async with http_server(lambda seen: Reply.json({"n": seen.query}, delay=0.02)) as server:
            client = LookupClient({}, max_concurrency_per_service=10)
            t0 = time.monotonic()
            results = await asyncio.gather(
                *(client.fetch(req(f"{server.base}/x?{i}", timeout_ms=5000)) for i in range(200))
            )
            wall = time.monotonic() - t0
            oks = [r for r in results if isinstance(r, LookupOk)]
            assert len(oks) == len(results)
            assert sorted(r.body["n"] for r in oks) == sorted(str(i) for i in range(200))
            assert server.hits == 200
            assert server.max_in_flight <= 10
            assert wall >= 200 / 10 * 0.02 * 0.9
            other = await client.fetch(req(f"{server.base}/y", service="other"))
            assert isinstance(other, LookupOk)
            await client.aclose()

    run(main())


def test_slow_service_does_not_block_another_service() -> None:
    async def handler(seen: Seen) -> Reply:
        return Reply.json({}, delay=1.0 if seen.path == "/slow" else 0.0)

    async def main() -> None:
        async with http_server(handler) as server:
            client = LookupClient({}, max_concurrency_per_service=2)
            slow = [
                asyncio.create_task(client.fetch(req(f"{server.base}/slow", timeout_ms=1500)))
                for _ in range(10)
            ]
            await asyncio.sleep(0.05)
            fast = await client.fetch(req(f"{server.base}/fast", service="ivr_config"))
            assert isinstance(fast, LookupOk) and fast.elapsed_ms < 500
            for task in slow:
                task.cancel()
            await asyncio.gather(*slow, return_exceptions=True)
            await client.aclose()

    run(main())


def test_waiting_for_a_slot_counts_against_the_deadline() -> None:
    async def main() -> None:
        async with http_server(lambda seen: Reply.json({}, delay=5.0)) as server:
            client = LookupClient({}, max_concurrency_per_service=1)
            holder = asyncio.create_task(client.fetch(req(f"{server.base}/x", timeout_ms=1500)))
            await asyncio.sleep(0.05)
            waiters = await asyncio.gather(
                *(client.fetch(req(f"{server.base}/x", timeout_ms=200)) for _ in range(3))
            )
            assert server.hits == 1  # the holder's request only
            for r in waiters:
                assert isinstance(r, LookupFailed)
                assert (r.reason, r.attempts, r.status) == ("timeout", 0, None)
                assert "no free connection slot for care.crm within 200 ms" in r.detail
                assert 190 <= r.elapsed_ms < 200 + SLACK_MS
            holder.cancel()
            await asyncio.gather(holder, return_exceptions=True)
            assert client.stats()["care.crm"]["timeouts"] == 3
            await client.aclose()

    run(main())


def test_cancellation_propagates_and_frees_the_slot_and_the_trial() -> None:
    clock = FakeClock()
    replies = itertools.chain(
        [Reply.json({}, status=500), Reply.json({}, delay=5.0)],
        itertools.repeat(Reply.json({"after": True})),
    )

    async def main() -> None:
        async with http_server(lambda seen: next(replies)) as server:
            client = LookupClient(
                {},
                max_concurrency_per_service=1,
                breaker=BreakerConfig(failure_threshold=1, open_seconds=1),
                clock=clock,
            )
            url = f"{server.base}/x"
            await client.fetch(req(url))
            clock.now += 1
            task = asyncio.create_task(client.fetch(req(url, timeout_ms=3000)))  # the trial
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            r = await client.fetch(req(url))  # slot and trial are free again
            assert isinstance(r, LookupOk) and r.body == {"after": True}
            assert client.breaker("crm", "care").state == "closed"
            await client.aclose()

    run(main())


# -- environment and secrets ------------------------------------------------------------------

SECRET = "s3cr3t-T0KEN-zq81"
PATH_SECRET = "tenant-7f3a9c"
CALLER = "8613800000000"


def test_env_substitution_in_url_and_headers() -> None:
    async def main() -> None:
        async with http_server(lambda seen: Reply.json({"ok": 1})) as server:
            env = {"CRM_URL": server.base, "CRM_TOKEN": SECRET}

            async def body(client: LookupClient) -> None:
                r = await client.fetch(
                    req(
                        "${CRM_URL}/customers?ani=" + CALLER,
                        headers={"Authorization": "Bearer ${CRM_TOKEN}"},
                    )
                )
                assert isinstance(r, LookupOk)

            await with_client(body, env)
            seen = server.requests[0]
            assert seen.target == f"/customers?ani={CALLER}"
            assert seen.headers["authorization"] == f"Bearer {SECRET}"

    run(main())


def test_service_env_overrides_per_binding() -> None:
    async def main() -> None:
        async with (
            http_server(lambda seen: Reply.json({})) as a,
            http_server(lambda seen: Reply.json({})) as b,
        ):
            client = LookupClient(
                {"CRM_URL": a.base}, service_env={"bank.crm": {"CRM_URL": b.base}}
            )
            await client.fetch(req("${CRM_URL}/x"))
            await client.fetch(req("${CRM_URL}/x", flow="bank"))
            assert (a.hits, b.hits) == (1, 1)
            await client.aclose()

    run(main())


def test_missing_env_variable() -> None:
    async def main() -> None:
        async with http_server(lambda seen: Reply.json({})) as server:

            async def body(client: LookupClient) -> None:
                r = await client.fetch(req("${CRM_URL}/x"))
                assert isinstance(r, LookupFailed)
                assert (r.reason, r.detail, r.status, r.attempts) == (
                    "error",
                    "environment variable CRM_URL is not set",
                    None,
                    0,
                )
                r = await client.fetch(
                    req(f"{server.base}/x", headers={"Authorization": "Bearer ${CRM_TOKEN}"})
                )
                assert isinstance(r, LookupFailed)
                assert r.detail == "environment variable CRM_TOKEN is not set"
                assert client.stats()["care.crm"]["errors"] == 2

            await with_client(body, {"CRM_TOKENX": "x"})
            assert server.hits == 0

    run(main())


def test_values_are_not_substituted_twice() -> None:
    result, server = fetch_one(
        lambda seen: Reply.json({}),
        lambda s: req(f"{s.base}/x", headers={"X-A": "${A}"}),
        env={"A": "${B}", "B": "leak"},
    )
    assert isinstance(result, LookupOk) and server.requests[0].headers["x-a"] == "${B}"


def secret_free(text: str) -> bool:
    return SECRET not in text and PATH_SECRET not in text and CALLER not in text


@pytest.mark.parametrize("server_does", ["500", "timeout", "malformed", "ok", "refused", "open"])
def test_secrets_and_query_strings_never_shown(
    server_does: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    replies = {
        "500": Reply.json({"error": "boom"}, status=500),
        "timeout": Reply.json({}, delay=5.0),
        "malformed": Reply(body=b"{oops"),
        "ok": Reply.json({"ok": True}),
        "refused": Reply.json({}),
        "open": Reply.json({}, status=503),
    }

    async def main() -> list[LookupResult]:
        async with http_server(lambda seen: replies[server_does]) as server:
            base = f"http://127.0.0.1:{closed_port()}" if server_does == "refused" else server.base
            env = {"CRM_URL": base, "CRM_TOKEN": SECRET, "TENANT": PATH_SECRET}

            async def body(client: LookupClient) -> list[LookupResult]:
                request = req(
                    "${CRM_URL}/v1/${TENANT}/customers?ani=" + CALLER + "&key=${CRM_TOKEN}",
                    headers={"Authorization": "Bearer ${CRM_TOKEN}", "X-Key": "${CRM_TOKEN}"},
                    timeout_ms=200,
                    retries=1,
                )
                return [await client.fetch(request) for _ in range(3)]

            results: list[LookupResult] = await with_client(
                body, env, breaker=BreakerConfig(failure_threshold=2)
            )
            if server_does not in ("refused", "open"):
                assert SECRET in server.requests[0].headers["authorization"]
            return results

    results = run(main())
    for r in results:
        if isinstance(r, LookupFailed):
            assert secret_free(r.detail), r.detail
            assert "?***" in r.detail or r.detail == "circuit open"
    if server_does == "open":
        assert isinstance(results[-1], LookupFailed) and results[-1].detail == "circuit open"
    assert caplog.records, "the look-ups should have logged something"
    for record in caplog.records:
        assert secret_free(record.getMessage()), record.getMessage()
        assert secret_free(str(record.args)) and secret_free(str(record.exc_text))
    if server_does in ("500", "malformed", "ok", "open"):  # httpx logs each answer
        assert any(rec.name == "httpx" for rec in caplog.records)


def test_secret_in_userinfo_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    port = closed_port()
    result, _ = fetch_one(
        lambda seen: Reply.json({}),
        lambda s: req(f"http://admin:{SECRET}@127.0.0.1:{port}/x"),
    )
    assert isinstance(result, LookupFailed) and secret_free(result.detail)
    assert all(secret_free(rec.getMessage()) for rec in caplog.records)


# -- requests that cannot be made --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:///etc/passwd", "URL scheme 'file' is not allowed"),
        ("ftp://127.0.0.1/x", "URL scheme 'ftp' is not allowed"),
        ("127.0.0.1/x", "is not allowed"),
        ("http://[::1/x", "invalid URL"),
    ],
)
def test_bad_urls(url: str, expected: str) -> None:
    r = run(with_client(lambda c: c.fetch(req(url))))
    assert isinstance(r, LookupFailed) and r.reason == "error" and expected in r.detail


def test_scheme_allow_list() -> None:
    r = run(with_client(lambda c: c.fetch(req("http://127.0.0.1:1/x")), allowed_schemes=["https"]))
    assert isinstance(r, LookupFailed) and "'http' is not allowed" in r.detail


@pytest.mark.parametrize(
    "request_kw",
    [
        {"headers": {"X-Bad": "a\r\nInjected: yes"}},
        {"headers": {"Bad Name": "x"}},
        {"method": "POST", "body": {"x": object()}},
        {"method": "BREW"},
    ],
)
def test_unsendable_requests_fail_cleanly(request_kw: dict[str, Any]) -> None:
    method = request_kw.pop("method", "GET")
    result, server = fetch_one(
        lambda seen: Reply.json({}), lambda s: req(f"{s.base}/x", method, **request_kw)
    )
    assert isinstance(result, LookupFailed) and result.reason == "error"
    assert server.hits == 0


def test_cookies_are_not_carried_between_lookups() -> None:
    reply = Reply.json({})
    reply.headers["Set-Cookie"] = "session=abc123; Path=/"
    server_seen: list[Seen] = []

    async def main() -> None:
        async with http_server(lambda seen: reply) as server:

            async def body(client: LookupClient) -> None:
                await client.fetch(req(f"{server.base}/x"))
                await client.fetch(req(f"{server.base}/x"))

            await with_client(body)
            server_seen.extend(server.requests)

    run(main())
    assert len(server_seen) == 2 and "cookie" not in server_seen[1].headers


def test_closed_client_fails_cleanly() -> None:
    async def main() -> LookupResult:
        client = LookupClient({})
        await client.aclose()
        return await client.fetch(req("http://127.0.0.1:1/x"))

    r = run(main())
    assert isinstance(r, LookupFailed) and r.detail == "lookup client is closed"


def test_injected_client_is_used_and_not_closed() -> None:
    async def main() -> None:
        async with http_server(lambda seen: Reply.json({"via": "injected"})) as server:
            http = httpx.AsyncClient(headers={"X-Injected": "1"})
            client = LookupClient({}, client=http)
            r = await client.fetch(req(f"{server.base}/x"))
            await client.aclose()
            assert not http.is_closed
            await http.aclose()
            assert isinstance(r, LookupOk) and server.requests[0].headers["x-injected"] == "1"

    run(main())
