"""The pure parts: the circuit breaker state machine, env substitution and masking."""

from __future__ import annotations

import logging

import pytest

from runtime.lookup import (
    BreakerConfig,
    BreakerState,
    CircuitBreaker,
    MissingEnv,
    Scrubber,
    substitute,
)
from runtime.lookup.secrets import LOG_FILTER, display_url, install_log_filter, mask_urls


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def state(b: CircuitBreaker) -> BreakerState:
    return b.state  # a call, so that mypy does not narrow the property across changes


def test_breaker_cycle() -> None:
    clock = Clock()
    changes: list[tuple[str, str]] = []
    b = CircuitBreaker(BreakerConfig(3, 10), clock, lambda old, new: changes.append((old, new)))
    for _ in range(2):
        t = b.acquire()
        assert t is not None
        b.release(t, False)
    t = b.acquire()
    assert t is not None
    b.release(t, True)  # a success resets the count
    for _ in range(3):
        t = b.acquire()
        assert t is not None
        b.release(t, False)
    assert b.state == "open" and b.acquire() is None
    clock.now = 9.99
    assert b.acquire() is None
    clock.now = 10
    trial = b.acquire()
    assert trial is not None and trial.trial
    assert b.acquire() is None  # one trial at a time
    b.release(trial, True)
    assert state(b) == "closed"
    assert changes == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]


def test_breaker_ignores_stale_tickets() -> None:
    clock = Clock()
    b = CircuitBreaker(BreakerConfig(1, 5), clock)
    slow = b.acquire()
    fast = b.acquire()
    assert slow is not None and fast is not None
    b.release(fast, False)
    assert b.state == "open"
    b.release(slow, True)  # admitted before the circuit opened: no evidence about now
    assert b.state == "open"


def test_breaker_trial_without_evidence_frees_the_trial() -> None:
    clock = Clock()
    b = CircuitBreaker(BreakerConfig(1, 5), clock)
    t = b.acquire()
    assert t is not None
    b.release(t, False)
    clock.now = 5
    trial = b.acquire()
    assert trial is not None
    b.release(trial, None)
    assert b.state == "half_open"
    again = b.acquire()
    assert again is not None and again.trial
    b.release(again, False)
    assert state(b) == "open"
    clock.now = 9.9
    assert b.acquire() is None


def test_breaker_neutral_outcomes_do_not_count() -> None:
    b = CircuitBreaker(BreakerConfig(2, 5), Clock())
    for healthy in (False, None, None, False):
        t = b.acquire()
        assert t is not None
        b.release(t, healthy)
    assert b.state == "open"


@pytest.mark.parametrize("config", [{"failure_threshold": 0}, {"open_seconds": -1}])
def test_breaker_config_validated(config: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        BreakerConfig(**config)  # type: ignore[arg-type]


def test_substitute() -> None:
    used: list[tuple[str, int]] = []
    out = substitute("${BASE}/a?k=${KEY}&x=$HOME&y=${ lit}", {"BASE": "http://h", "KEY": "K"}, used)
    assert out == "http://h/a?k=K&x=$HOME&y=${ lit}"
    assert used == [("http://h", 0), ("K", 12)]
    with pytest.raises(MissingEnv, match="environment variable NOPE is not set"):
        substitute("${NOPE}", {})


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://h:8080/a/b?x=1&y=2#frag", "http://h:8080/a/b?***"),
        ("https://user:pw@h/a", "https://h/a"),
        ("http://[::1]:80/a", "http://[::1]:80/a"),
        ("no-scheme", "<invalid URL>"),
        ("http://h:notaport/", "<invalid URL>"),
    ],
)
def test_display_url(url: str, shown: str) -> None:
    assert display_url(url) == shown


def test_scrubber() -> None:
    url = "http://u:pw-1234@h/v1/tenant-xyz/c?ani=555&key=topsecret"
    scrub = Scrubber(url, ["Bearer topsecret", "abc"], ["topsecret", "tenant-xyz", "ab"])
    text = f"failed {url}; header Bearer topsecret; tenant-xyz; ani=555&key=topsecret; abc"
    out = scrub(text)
    for leak in ("topsecret", "tenant-xyz", "ani=555", "pw-1234"):
        assert leak not in out
    assert "abc" in out  # too short to be a secret
    assert scrub.secrets == frozenset({"topsecret", "tenant-xyz"})


def test_mask_urls() -> None:
    assert (
        mask_urls('HTTP Request: GET http://u:p@h:1/a?b=c&d=e "HTTP/1.1 200 OK"')
        == 'HTTP Request: GET http://h:1/a?*** "HTTP/1.1 200 OK"'
    )


def test_httpx_log_filter(caplog: pytest.LogCaptureFixture) -> None:
    install_log_filter()
    install_log_filter()
    assert logging.getLogger("httpx").filters.count(LOG_FILTER) == 1
    LOG_FILTER.add(["path-secret-42"])
    caplog.set_level(logging.INFO)
    logging.getLogger("httpx").info("GET %s", "http://h/path-secret-42/x?ani=1")
    assert caplog.records[-1].getMessage() == "GET http://h/***/x?***"
