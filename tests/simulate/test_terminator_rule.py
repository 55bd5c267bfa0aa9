"""One rule for a collect with a terminator, offline and live (live capture T07): the read
ends at the terminator, at max + 1 digits (an invalid entry), or at the inter-digit timeout;
the terminator typed after a full-length entry belongs to that entry, never to the next
menu. `runtime.translate.asked_max` asks FreeSWITCH for max + 1 digits to get exactly this."""

from __future__ import annotations

import pytest

from flowc.flowtest import build_scenario
from flowc.simulate import compile_text, simulate
from flowc.simulate.engine import _split_keys, read_limit

PIN = """
flow: pin
nodes:
  ask:
    collect:
      into: pin
      prompt: "Enter your 6 digit PIN, then the hash key."
      min: 6
      max: 6
      terminator: '#'
      timeout: 8s
      inter_digit_timeout: 3s
      retries: 1
      on_fail: failed
    next: menu
  menu:
    menu:
      prompt: "Press 1 for the balance."
      options: {1: ok}
      retries: 1
      on_fail: failed
  ok: {hangup: null, prompt: "Balance."}
  failed: {hangup: null, prompt: "Sorry."}
"""


@pytest.mark.parametrize(
    ("keys", "terminators", "max_digits", "read"),
    [
        ("123456#", "#", 6, ("123456", "#", 7)),  # the # ends this entry (T07 leaked it)
        ("1234567", "#", 6, ("1234567", None, 7)),  # max + 1: one too many, invalid
        ("12345678", "#", 6, ("1234567", None, 7)),  # the 8th key is not this entry's
        ("123456", "#", 6, ("123456", None, 6)),  # ends at the inter-digit timeout
        ("12#", "#", 6, ("12", "#", 3)),
        ("12", "", 1, ("1", None, 1)),  # no terminator: the max ends the read
    ],
)
def test_split_keys(
    keys: str, terminators: str, max_digits: int, read: tuple[str, str | None, int]
) -> None:
    assert _split_keys(keys, terminators, max_digits) == read


def test_read_limit() -> None:
    assert read_limit("#", 6) == 7
    assert read_limit("", 6) == 6
    assert read_limit("#", 128) == 128  # play_and_get_digits' buffer


def _run(*inputs: str) -> tuple[list[str], dict[str, object], list[str]]:
    result = simulate(compile_text(PIN), build_scenario({"name": "pin", "inputs": list(inputs)}))
    return [n for n in result.path if n], result.variables, result.heard


def test_full_length_entry_with_terminator_then_the_next_menu() -> None:
    path, variables, _ = _run("123456#", "1")
    assert path == ["ask", "menu", "ok"]
    assert variables["pin"] == "123456"


def test_full_length_entry_without_terminator_is_accepted() -> None:
    path, variables, _ = _run("123456", "1")
    assert path == ["ask", "menu", "ok"] and variables["pin"] == "123456"


def test_one_digit_too_many_is_an_invalid_entry() -> None:
    path, _, _ = _run("1234567")
    assert path == ["ask", "failed"]
