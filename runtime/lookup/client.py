"""`LookupClient`: the HTTP side of the `fetch` node, shared by every live call of a runtime.

One `fetch(req)`:

1. fills `${NAME}` in the URL and the header values from the environment (the process
   environment plus the binding's `env`, plus the per-binding `service_env`); an unset name
   fails with "environment variable NAME is not set"; only `allowed_schemes` may be called;
2. asks the service's circuit breaker; an open circuit fails fast with "circuit open";
3. runs attempts, each holding one of the service's `max_concurrency_per_service` slots
   (waiting for a slot counts against the deadline) and bounded by `timeout_ms` for the whole
   exchange (httpx connect/read/write/pool timeouts *and* an `asyncio.timeout` around
   sending, headers and body, so a trickling server cannot stretch it);
4. retries only idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) and only after a
   connection error, a timeout or a 502/503/504, at most `retries` times, after a short
   jittered exponential backoff, and never past the overall deadline
   `min(timeout_ms * (1 + retries), max_deadline_ms)`; POST and PATCH run exactly once;
5. reads at most `max_response_bytes` (1 MiB) of body; a 2xx body must be JSON.

It never raises (but `asyncio.CancelledError` propagates: a hung-up call cancels its
look-up).  Results feed the breaker: timeouts, connection errors, 5xx and 429 are failures;
any other answer (2xx, 3xx, 4xx, even a malformed body) shows the service alive.

Services are keyed `<flow>.<service>` (the binding's key; just `service` when `flow` is
empty): breaker, concurrency slots and `stats()` are per key.

Secrets: see `runtime.lookup.secrets`; no header value, secret or query string appears in a
`LookupFailed.detail` or a log record.  The owned httpx client keeps no cookies (a session
cookie from one call must not ride along on another caller's look-up), follows no redirects
and ignores proxy environment variables.
"""

from __future__ import annotations

import asyncio
import functools
import http.cookiejar
import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from .breaker import DEFAULT_BREAKER, BreakerConfig, BreakerState, CircuitBreaker
from .secrets import (
    LOG_FILTER,
    MissingEnv,
    Scrubber,
    display_url,
    install_log_filter,
    substitute,
)
from .types import LookupFailed, LookupOk, LookupRequest, LookupResult

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 1024 * 1024
MAX_DEADLINE_MS = 15_000
MAX_RETRIES = 5
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({502, 503, 504})
BACKOFF_BASE_S = 0.05
BACKOFF_MAX_S = 0.5
MIN_ATTEMPT_S = 0.05  # no retry unless at least this much (or the full budget) would remain
MIN_START_S = 0.01  # no attempt with less time left than this (or half the budget)

Health = bool | None  # for the breaker: True alive, False failing, None no evidence


@dataclass
class _Stats:
    requests: int = 0
    ok: int = 0
    timeouts: int = 0
    errors: int = 0
    retries: int = 0
    breaker_open_rejections: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "ok": self.ok,
            "timeouts": self.timeouts,
            "errors": self.errors,
            "retries": self.retries,
            "breaker_open_rejections": self.breaker_open_rejections,
        }


@dataclass(frozen=True)
class _Prepared:
    key: str
    method: str
    url: str
    shown: str  # "GET http://host:port/path?***"
    headers: dict[str, str]
    body: Mapping[str, Any] | None
    budget_s: float
    deadline_s: float  # relative to the start of fetch()
    retries: int
    scrub: Scrubber


@dataclass(frozen=True)
class _Attempt:
    """What one attempt came to: either `ok` or a failure with its retry and health verdicts."""

    ok: LookupOk | None
    reason: Literal["timeout", "error"] = "error"
    detail: str = ""
    status: int | None = None
    retryable: bool = False
    health: Health = None


def _no_cookies() -> http.cookiejar.CookieJar:
    return http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects a look-up answer may have. The interpreter walks values
recursively (templates, traces, the journal): an answer nested a few hundred levels deep - less
than the JSON parser's own limit - would exhaust the stack in the middle of a call."""


def _too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class LookupClient:
    def __init__(
        self,
        env: Mapping[str, str],
        *,
        client: httpx.AsyncClient | None = None,
        breaker: BreakerConfig = DEFAULT_BREAKER,
        max_concurrency_per_service: int = 50,
        allowed_schemes: Iterable[str] = ("http", "https"),
        service_env: Mapping[str, Mapping[str, str]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        max_deadline_ms: int = MAX_DEADLINE_MS,
    ) -> None:
        """`env`: the process environment plus the binding env.  `service_env`: per binding key
        (`<flow>.<service>`) variables layered over `env` (two flows may bind `CRM_URL`
        differently).  `client`: an httpx client to use (and not close); by default one is
        owned.  `clock`: the breaker's time source.  `rng`: backoff jitter (seed it for
        deterministic tests)."""
        if max_concurrency_per_service < 1:
            raise ValueError("max_concurrency_per_service must be at least 1")
        self._env = dict(env)
        self._service_env = {k: dict(v) for k, v in (service_env or {}).items()}
        self._owns_client = client is None
        self._client = client if client is not None else self._make_client()
        self._breaker_config = breaker
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._max_concurrency = max_concurrency_per_service
        self._schemes = frozenset(s.lower() for s in allowed_schemes)
        self._max_bytes = max_response_bytes
        self._max_deadline_s = max_deadline_ms / 1000
        self._breakers: dict[str, CircuitBreaker] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._stats: dict[str, _Stats] = {}
        self._closed = False
        install_log_filter()

    @staticmethod
    def _make_client() -> httpx.AsyncClient:
        return httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            cookies=_no_cookies(),
            # Per-service semaphores bound concurrency; the pool itself must not add a second,
            # global queue in which one slow service's requests starve the others.
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=100),
        )

    async def aclose(self) -> None:
        self._closed = True
        if self._owns_client:
            await self._client.aclose()

    def stats(self) -> dict[str, dict[str, int]]:
        """Per service key: requests = ok + timeouts + errors (+ cancelled ones);
        breaker_open_rejections are counted within errors; retries counts extra attempts."""
        return {key: s.as_dict() for key, s in sorted(self._stats.items())}

    def breaker(self, service: str, flow: str = "") -> CircuitBreaker:
        """The circuit breaker of one service binding (created closed on first use)."""
        key = self._key(service, flow)
        found = self._breakers.get(key)
        if found is None:
            found = CircuitBreaker(
                self._breaker_config, self._clock, functools.partial(self._log_change, key)
            )
            self._breakers[key] = found
        return found

    def _log_change(self, key: str, old: BreakerState, new: BreakerState) -> None:
        breaker = self._breakers.get(key)
        if new == "open" and breaker is not None:
            log.warning(
                "lookup %s: circuit open after %d consecutive failures (for %g s)",
                key,
                breaker.consecutive_failures,
                breaker.config.open_seconds,
            )
        else:
            log.info("lookup %s: circuit %s -> %s", key, old, new)

    @staticmethod
    def _key(service: str, flow: str) -> str:
        return f"{flow}.{service}" if flow else service

    # -- the look-up -------------------------------------------------------------------------

    async def fetch(self, req: LookupRequest) -> LookupResult:
        started = time.monotonic()
        key = self._key(req.service, req.flow)
        stats = self._stats.setdefault(key, _Stats())
        stats.requests += 1
        try:
            result = await self._fetch(req, key, stats, started)
        except Exception as exc:  # a bug here must cost one look-up, not the call
            log.error("lookup %s: internal error %s", key, type(exc).__name__)
            result = LookupFailed(
                "error", f"internal error ({type(exc).__name__})", None, _ms(started), 0
            )
        if isinstance(result, LookupOk):
            stats.ok += 1
        elif result.reason == "timeout":
            stats.timeouts += 1
        else:
            stats.errors += 1
        return result

    async def _fetch(
        self, req: LookupRequest, key: str, stats: _Stats, started: float
    ) -> LookupResult:
        if self._closed:
            return LookupFailed("error", "lookup client is closed", None, _ms(started), 0)
        prepared = self._prepare(req, key)
        if isinstance(prepared, str):
            log.warning("lookup %s: %s", key, prepared)
            return LookupFailed("error", prepared, None, _ms(started), 0)
        breaker = self.breaker(req.service, req.flow)
        ticket = breaker.acquire()
        if ticket is None:
            stats.breaker_open_rejections += 1
            log.info("lookup %s: circuit open, %s not sent", key, prepared.shown)
            return LookupFailed("error", "circuit open", None, _ms(started), 0)
        health: Health = None
        try:
            result, health = await self._attempts(prepared, stats, started)
        finally:
            breaker.release(ticket, health)
        if isinstance(result, LookupOk):
            log.debug(
                "lookup %s: %s -> %d in %.0f ms (%d attempts)",
                key,
                prepared.shown,
                result.status,
                result.elapsed_ms,
                result.attempts,
            )
        else:
            log.info(
                "lookup %s failed (%s) after %.0f ms, %d attempts: %s",
                key,
                result.reason,
                result.elapsed_ms,
                result.attempts,
                result.detail,
            )
        return result

    def _prepare(self, req: LookupRequest, key: str) -> _Prepared | str:
        """Substitute the environment and check what can be checked before sending;
        a str is the (already safe) reason the request cannot be made."""
        env: Mapping[str, str] = self._env
        if key in self._service_env:
            env = {**self._env, **self._service_env[key]}
        method = req.method.upper()
        used: list[tuple[str, int]] = []
        try:
            url = substitute(req.url, env, used)
            secrets = [value for value, pos in used if pos != 0]  # pos 0: the base URL
            headers: dict[str, str] = {}
            for name, value in req.headers.items():
                hused: list[tuple[str, int]] = []
                headers[name] = substitute(value, env, hused)
                secrets.extend(v for v, _ in hused)
        except MissingEnv as exc:
            return str(exc)
        scrub = Scrubber(url, headers.values(), secrets)
        LOG_FILTER.add(scrub.secrets)
        shown = scrub(f"{method} {display_url(url)}")
        if method not in METHODS:
            return scrub(f"unsupported HTTP method {method!r}")
        try:
            scheme = httpx.URL(url).scheme.lower()
        except Exception as exc:  # httpx.InvalidURL and friends
            return scrub(f"invalid URL {display_url(url)}: {exc}")
        if scheme not in self._schemes:
            allowed = ", ".join(sorted(self._schemes))
            return scrub(f"URL scheme {scheme or '(none)'!r} is not allowed (allowed: {allowed})")
        budget_s = max(int(req.timeout_ms), 1) / 1000
        retries = min(max(int(req.retries), 0), MAX_RETRIES) if method in IDEMPOTENT else 0
        deadline_s = min(budget_s * (1 + retries), self._max_deadline_s)
        return _Prepared(
            key=key,
            method=method,
            url=url,
            shown=shown,
            headers=headers,
            body=req.body,
            budget_s=min(budget_s, deadline_s),
            deadline_s=deadline_s,
            retries=retries,
            scrub=scrub,
        )

    def _slot(self, key: str) -> asyncio.Semaphore:
        sem = self._slots.get(key)
        if sem is None:
            sem = self._slots[key] = asyncio.Semaphore(self._max_concurrency)
        return sem

    async def _attempts(
        self, p: _Prepared, stats: _Stats, started: float
    ) -> tuple[LookupResult, Health]:
        sem = self._slot(p.key)
        attempts = 0
        last: _Attempt | None = None
        while True:
            remaining = p.deadline_s - (time.monotonic() - started)
            if remaining <= 0:
                break
            budget = 0.0
            try:
                async with asyncio.timeout(remaining):
                    await sem.acquire()
            except TimeoutError:
                pass
            else:
                budget = min(p.budget_s, p.deadline_s - (time.monotonic() - started))
                if budget < min(MIN_START_S, p.budget_s / 2):  # too late to be worth sending
                    sem.release()
                    budget = 0.0
            if budget <= 0:
                if last is None:
                    detail = (
                        f"no free connection slot for {p.key} within {p.deadline_s * 1000:.0f} ms"
                        f" ({self._max_concurrency} in use)"
                    )
                    return LookupFailed("timeout", detail, None, _ms(started), 0), None
                break
            attempts += 1
            try:
                last = await self._attempt(p, budget, started)
            finally:
                sem.release()
            if last.ok is not None:
                ok = last.ok
                return LookupOk(ok.status, ok.body, _ms(started), attempts), True
            if not last.retryable or attempts > p.retries:
                break
            delay = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (attempts - 1))
            delay *= self._rng.uniform(0.5, 1.0)
            left_after = p.deadline_s - (time.monotonic() - started) - delay
            if left_after < min(MIN_ATTEMPT_S, p.budget_s):
                break
            await asyncio.sleep(delay)
            stats.retries += 1
        if last is None:  # the deadline passed before the first attempt (a tiny budget)
            detail = f"deadline of {p.deadline_s * 1000:.0f} ms exceeded ({p.shown})"
            return LookupFailed("timeout", detail, None, _ms(started), attempts), None
        failed = LookupFailed(last.reason, last.detail, last.status, _ms(started), attempts)
        return failed, last.health

    async def _attempt(self, p: _Prepared, budget_s: float, started: float) -> _Attempt:
        """One exchange, bounded by `budget_s` as a whole.  Never raises but CancelledError."""
        shown = p.shown
        try:
            request = self._client.build_request(
                p.method,
                p.url,
                headers=p.headers,
                json=dict(p.body) if p.body is not None else None,
                timeout=httpx.Timeout(budget_s),
            )
        except Exception as exc:
            detail = p.scrub(f"cannot build request {shown}: {type(exc).__name__}: {exc}")
            return _Attempt(None, "error", detail)
        try:
            async with asyncio.timeout(budget_s):
                response = await self._client.send(request, stream=True)
                try:
                    return await self._read(p, response, started)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            detail = f"timed out after {budget_s * 1000:.0f} ms ({shown})"
            return _Attempt(None, "timeout", detail, retryable=True, health=False)
        except (httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            detail = p.scrub(f"cannot send {shown}: {type(exc).__name__}: {exc}")
            return _Attempt(None, "error", detail)
        except httpx.TransportError as exc:
            detail = p.scrub(f"connection error ({shown}): {type(exc).__name__}: {exc}")
            return _Attempt(None, "error", detail, retryable=True, health=False)
        except httpx.DecodingError as exc:
            detail = p.scrub(f"undecodable response from {shown}: {exc}")
            return _Attempt(None, "error", detail, health=True)
        except Exception as exc:
            detail = p.scrub(f"unexpected error ({shown}): {type(exc).__name__}: {exc}")
            return _Attempt(None, "error", detail)

    async def _read(self, p: _Prepared, response: httpx.Response, started: float) -> _Attempt:
        status = response.status_code
        shown = p.shown
        if not 200 <= status < 300:
            return _Attempt(
                None,
                "error",
                f"HTTP {status} from {shown}",
                status,
                retryable=status in RETRY_STATUSES,
                health=not (status >= 500 or status == 429),
            )
        if p.method == "HEAD" or status in (204, 205):
            return _Attempt(LookupOk(status, None, _ms(started), 0))
        too_big = _Attempt(
            None,
            "error",
            f"response from {shown} is larger than {self._max_bytes} bytes",
            status,
            health=True,
        )
        declared = response.headers.get("content-length", "")
        if declared.strip().isdigit() and int(declared) > self._max_bytes:
            return too_big
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                return too_big
            chunks.append(chunk)
        data = b"".join(chunks)
        try:
            body = json.loads(data, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            what = "empty body" if not data.strip() else f"{type(exc).__name__}: {exc}"
            # json's messages give a position, never the content, but scrub all the same.
            detail = p.scrub(f"malformed JSON in HTTP {status} response from {shown}: {what}")
            return _Attempt(None, "error", detail, status, health=True)
        if _too_deep(body):
            detail = f"JSON in HTTP {status} response from {shown} nested deeper than"
            detail = p.scrub(f"{detail} {MAX_JSON_DEPTH}")
            return _Attempt(None, "error", detail, status, health=True)
        return _Attempt(LookupOk(status, body, _ms(started), 0))


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
