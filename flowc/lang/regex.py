"""Regular expressions from flows, run by RE2: time linear in the text, memory bounded.

A flow's patterns (`matches` in expressions, a collect's `pattern`) are written by authors
but run against what callers and look-ups send; Python's backtracking `re` can take
exponential time on them (`^(1+)+$` against 29 digits blocked the event loop for 14 s).
RE2 never backtracks. It has no backreferences and no lookaround: such patterns are refused
here, and lint reports them with `REGEX_HINT`.

`compile_regex` is the one entry point (the offline tools and the runtime both use it);
`regex_search` is the convenience for one-off checks such as a digit validation.
"""

from __future__ import annotations

import functools
from typing import Protocol, cast

import re2

__all__ = [
    "MAX_PATTERN_LENGTH",
    "REGEX_HINT",
    "Regex",
    "RegexError",
    "compile_regex",
    "regex_search",
]

MAX_PATTERN_LENGTH = 500
# RE2's default is 8 MiB per pattern; flows need far less, and a cache of them stays small.
_MAX_MEM = 1 << 20
REGEX_HINT = (
    "flow patterns run on RE2 (linear time): backreferences (\\1), lookaround ((?=...),"
    " (?!...), (?<=...)) and possessive or atomic groups are not available; rewrite the pattern"
    " without them, or test the value in steps"
)


class RegexError(ValueError):
    """A pattern RE2 cannot run (a syntax error, or a feature RE2 does not have)."""

    def __init__(self, message: str, hint: str | None = REGEX_HINT) -> None:
        super().__init__(message)
        self.hint = hint


class _Match(Protocol):
    def group(self, index: int = 0) -> str: ...


class Regex(Protocol):
    """The part of a compiled pattern flows use (the `re.Pattern` methods of the same names)."""

    @property
    def pattern(self) -> str: ...

    def search(self, text: str) -> _Match | None: ...

    def match(self, text: str) -> _Match | None: ...

    def fullmatch(self, text: str) -> _Match | None: ...


def _options() -> object:
    options = re2.Options()
    options.log_errors = False  # RE2 would write every refused pattern to stderr
    options.max_mem = _MAX_MEM
    return options


_OPTIONS = _options()


@functools.lru_cache(maxsize=512)
def compile_regex(pattern: str) -> Regex:
    """The compiled pattern (cached). Raises `RegexError` when RE2 cannot run it."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RegexError(
            f"regular expression is longer than {MAX_PATTERN_LENGTH} characters",
            "test the value in steps, or with a shorter pattern",
        )
    try:
        return cast(Regex, re2.compile(pattern, _OPTIONS))
    except re2.error as exc:
        raise RegexError(f"invalid regular expression: {_reason(exc)}") from None
    except (UnicodeError, ValueError, TypeError, OverflowError) as exc:
        raise RegexError(f"invalid regular expression: {exc}") from None


def regex_search(pattern: str, text: str) -> bool:
    """Whether `pattern` occurs in `text` (RE2; raises `RegexError` for a bad pattern)."""
    return compile_regex(pattern).search(text) is not None


def _reason(exc: BaseException) -> str:
    """RE2's message (pybind11 hands it over as bytes inside the exception's args)."""
    arg = exc.args[0] if exc.args else exc
    if isinstance(arg, bytes):
        return arg.decode("utf-8", "replace")
    return str(arg)
