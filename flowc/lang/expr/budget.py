"""Budgets on the values an expression may build, so no flow can exhaust the host's memory.

A flow that passes lint can still grow a value without bound (`s + s` in a loop doubles a
string each turn: one call reached 2.75 GB), and integers of thousands of digits break the
JSON of traces and journals (Python refuses to print ints over 4,300 digits). Every operation
that can make a value larger than its operands checks the budget *before* building it and
raises `BudgetError` instead.

The limits are far above what a call flow needs: texts are read aloud or sent in a URL,
lists hold menu-sized data, and integers are counters, amounts or (typed) digits - a card
number has 19 digits.
"""

from __future__ import annotations

from flowc.lang.expr.errors import BudgetError

__all__ = [
    "MAX_INT_DIGITS",
    "MAX_LIST_LENGTH",
    "MAX_STRING_LENGTH",
    "check_int",
    "check_list_length",
    "check_string_length",
]

MAX_STRING_LENGTH = 64 * 1024  # characters
MAX_LIST_LENGTH = 10_000  # items
MAX_INT_DIGITS = 64  # decimal digits: |n| < 10**64
_INT_LIMIT = 10**MAX_INT_DIGITS
# bits of 10**64 is 213: a product of operands with more bits than this is surely too large
_INT_BITS = _INT_LIMIT.bit_length()


def check_string_length(length: int) -> None:
    if length > MAX_STRING_LENGTH:
        raise BudgetError(
            f"text would be {length:,} characters long (the limit is {MAX_STRING_LENGTH:,})",
            hint="a value that grows on every turn of a loop: keep only what the call needs",
        )


def check_list_length(length: int) -> None:
    if length > MAX_LIST_LENGTH:
        raise BudgetError(
            f"list would have {length:,} items (the limit is {MAX_LIST_LENGTH:,})",
            hint="a value that grows on every turn of a loop: keep only what the call needs",
        )


def check_int(value: int) -> int:
    """`value`, or `BudgetError` when it has more than `MAX_INT_DIGITS` digits."""
    if -_INT_LIMIT < value < _INT_LIMIT:
        return value
    raise BudgetError(
        f"integer has more than {MAX_INT_DIGITS} digits",
        hint="integers hold counters and amounts; keep long digit strings as strings",
    )


def check_product_bits(a: int, b: int) -> None:
    """Refuse `a * b` before computing it when it cannot fit (its bits are the sum, or one less)."""
    if a.bit_length() + b.bit_length() - 1 > _INT_BITS:
        raise BudgetError(
            f"integer has more than {MAX_INT_DIGITS} digits",
            hint="integers hold counters and amounts; keep long digit strings as strings",
        )
