"""The sticky split: which version a new call gets."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from runtime.rollout.split import FULL, bucket, caller_key, parse_share, takes_canary

numbers = st.text(alphabet="+0123456789 ", min_size=0, max_size=16)
hashes = st.text(alphabet="0123456789abcdef", min_size=8, max_size=64)
shares = st.integers(min_value=0, max_value=FULL)


def test_parse_share() -> None:
    assert parse_share("5%") == 500
    assert parse_share("0.5%") == 50
    assert parse_share("12.25") == 1225
    assert parse_share("100%") == FULL
    assert parse_share("0%") == 0
    for bad in ("101%", "-1%", "5%%", "five", "", "1.234%"):
        assert parse_share(bad) is None, bad


@given(hashes, numbers)
def test_bucket_in_range_and_sticky(canary: str, caller: str) -> None:
    b = bucket(canary, caller)
    assert 0 <= b < FULL
    assert bucket(canary, caller) == b  # the same caller, the same place, every call
    # the written form of the number does not matter: `+44 20` is `4420`
    assert bucket(canary, " +" + caller + " ") == b


@given(hashes, numbers, shares, shares)
def test_share_is_monotonic(canary: str, caller: str, a: int, b: int) -> None:
    """A caller on the canary at some share stays on it when the share grows (widening a
    canary never moves its callers back to stable)."""
    low, high = sorted((a, b))
    if takes_canary(canary, low, caller, None):
        assert takes_canary(canary, high, caller, None)


@given(hashes, numbers)
def test_zero_and_full(canary: str, caller: str) -> None:
    assert not takes_canary(canary, 0, caller, "5000")
    assert takes_canary(canary, FULL, caller, "5000")


def test_share_is_roughly_the_share_of_callers() -> None:
    callers = [f"+4420{n:07d}" for n in range(20_000)]
    taken = sum(takes_canary("abc123", 500, c, None) for c in callers)
    assert 800 <= taken <= 1200  # 5 % of 20,000 = 1,000, binomial sd about 31


def test_new_canary_new_sample() -> None:
    callers = [f"{n}" for n in range(2000)]
    first = {c for c in callers if takes_canary("aaaa", 1000, c, None)}
    second = {c for c in callers if takes_canary("bbbb", 1000, c, None)}
    assert first and second and first != second


def test_listed_callers_and_dids() -> None:
    assert takes_canary("h", 0, "+44 20 7000 0001", None, callers=["442070000001"])
    assert not takes_canary("h", 0, "+44 20 7000 0002", None, callers=["442070000001"])
    assert takes_canary("h", 0, "1", "+5000", dids=["5000"])
    assert takes_canary("h", 0, "1", "5000", dids=["+5000"])
    assert not takes_canary("h", 0, "1", "5001", dids=["5000"])
    assert not takes_canary("h", 0, "1", None, dids=["5000"])


def test_caller_key() -> None:
    assert caller_key("+44 (20) 7000-0001") == "442070000001"
    assert caller_key(None) == caller_key("anonymous") == ""
