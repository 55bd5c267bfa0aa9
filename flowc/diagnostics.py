"""Diagnostics are values: a code, a severity, a message, a span and a hint.

Every stage reports problems by returning `Diagnostic`s, never by raising at the user.
Codes are permanent and listed in one catalogue, `flowc.codes` (`flowc rules` shows it):
FL0xx syntax and loading, FL1xx schema and types, FL2xx references and graph shape, FL3xx
menus and prompts, FL4xx schedules, FL5xx expressions and data, FL6xx binding files, FTxxx
scenario files.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from flowc.source.document import Span


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span
    hint: str | None = None
    related: tuple[tuple[str, Span], ...] = field(default=())

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.col, self.code)


class FlowcError(Exception):
    """Raised inside a stage to abort with diagnostics; caught at the stage boundary."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("; ".join(d.message for d in self.diagnostics))


class Suggester:
    """'Did you mean' over a fixed set of names, near-linear in the number of questions.

    Comparing a misspelt name with every candidate (difflib's ratio, ~25 us a pair) is
    quadratic: 10,000 unknown targets among 10,000 nodes took minutes. Up to `EXACT_UP_TO`
    candidates every one is compared (the answer is exactly difflib's). Above that, a shortlist
    comes from an index of character trigrams: candidates sharing the most *rare* trigrams
    with the name (a trigram in more than `COMMON` names says little and is skipped), at most
    `SHORTLIST` of them, then compared as before. A typo keeps most trigrams of the name it
    misspells, so the best match is on the shortlist in practice; when no trigram is rare,
    the names closest in length are taken. `compared` counts ratio comparisons (for tests).
    """

    EXACT_UP_TO = 200
    SHORTLIST = 8
    COMMON = 64

    def __init__(self, candidates: Iterable[str]) -> None:
        self.words = sorted({str(c) for c in candidates})
        self.compared = 0
        self._index: dict[str, list[int]] | None = None
        self._by_length: dict[int, list[int]] | None = None

    def hint(self, name: str) -> str | None:
        best = self.best(name)
        return f"did you mean `{best}`?" if best is not None else None

    def best(self, name: str) -> str | None:
        pool = self.words if len(self.words) <= self.EXACT_UP_TO else self._shortlist(name)
        self.compared += len(pool)
        matches = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
        return matches[0] if matches else None

    def _shortlist(self, name: str) -> list[str]:
        index = self._grams_index()
        counts: dict[int, int] = {}
        for gram in _grams(name):
            postings = index.get(gram)
            if postings is None or len(postings) > self.COMMON:
                continue
            for i in postings:
                counts[i] = counts.get(i, 0) + 1
        size = len(name)
        if counts:
            ranked = sorted(counts, key=lambda i: (-counts[i], abs(len(self.words[i]) - size), i))
            chosen = ranked[: self.SHORTLIST]
        else:
            chosen = self._nearest_lengths(size)
        return sorted(self.words[i] for i in chosen)  # difflib breaks ties by order

    def _grams_index(self) -> dict[str, list[int]]:
        if self._index is None:
            index: dict[str, list[int]] = {}
            for i, word in enumerate(self.words):
                for gram in set(_grams(word)):
                    index.setdefault(gram, []).append(i)
            self._index = index
        return self._index

    def _nearest_lengths(self, size: int) -> list[int]:
        if self._by_length is None:
            by_length: dict[int, list[int]] = {}
            for i, word in enumerate(self.words):
                by_length.setdefault(len(word), []).append(i)
            self._by_length = by_length
        out: list[int] = []
        for delta in range(0, 64):
            for length in {size - delta, size + delta}:
                out.extend(self._by_length.get(length, ())[: self.SHORTLIST - len(out)])
                if len(out) >= self.SHORTLIST:
                    return out
        return out


def _grams(word: str) -> list[str]:
    padded = f"\x00{word.lower()}\x00"
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


def did_you_mean(name: str, candidates: Iterable[str] | Suggester) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None when nothing is close. For many
    questions over the same names, pass one `Suggester` (its index is built once)."""
    suggester = candidates if isinstance(candidates, Suggester) else Suggester(candidates)
    return suggester.hint(name)


def worst(diagnostics: Iterable[Diagnostic]) -> Severity | None:
    sev = [d.severity for d in diagnostics]
    return max(sev) if sev else None
