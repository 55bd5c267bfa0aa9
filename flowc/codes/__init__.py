"""The catalogue of every diagnostic code flowc can emit. Codes are permanent.

One entry per code (`flowc.codes.entry.Entry`): name, default severity, a one-sentence
summary, and what/why/example/fix. `flowc rules` lists and explains them; emitting code names
its codes through `code("FL001")`, which fails for a code the catalogue lacks, and a test
checks that every code literal in `flowc/` and `runtime/` is such a look-up (or a lint rule's
`CODE`), and that every entry is emitted somewhere.

This package is the bottom layer: it imports nothing of flowc but `flowc.diagnostics`, so the
loader, the model, the schedules, the lint rules and flowtest can all import it. The lint
rules' own texts stay in their module docstrings; `flowc.lint.registry` attaches them.
"""

from __future__ import annotations

from collections.abc import Iterable

from flowc.codes import bindings, lint, loading, scenarios, schedules, shape
from flowc.codes.entry import Entry, Family

__all__ = [
    "CATALOGUE",
    "FAMILIES",
    "Entry",
    "Family",
    "UnknownCode",
    "closest",
    "code",
    "entry",
    "families_text",
    "family_of",
    "matching",
    "pattern",
]

FAMILIES: tuple[Family, ...] = (
    Family("loading", "FL0", "Loading: reading YAML and .flow files"),
    Family("shape", "FL1", "Shape: fields, types and node kinds"),
    Family("references", "FL2", "References and call-graph shape"),
    Family("menus", "FL3", "Menus and prompts"),
    Family("schedules", "FL4", "Business-hours schedules"),
    Family("expressions", "FL5", "Expressions and data"),
    Family("bindings", "FL6", "Binding files"),
    Family("scenario files", "FT", "Scenario files of flowc test"),
)

CATALOGUE: tuple[Entry, ...] = tuple(
    sorted(
        (
            *loading.ENTRIES,
            *shape.ENTRIES,
            *lint.ENTRIES,
            *schedules.ENTRIES,
            *bindings.ENTRIES,
            *scenarios.ENTRIES,
        ),
        key=lambda e: e.code,
    )
)

_BY_CODE: dict[str, Entry] = {e.code: e for e in CATALOGUE}


class UnknownCode(LookupError):
    """A code the catalogue does not have; the message suggests the closest one."""

    def __init__(self, wanted: str) -> None:
        self.wanted = wanted
        close = closest(wanted)
        super().__init__(
            f"no diagnostic code {wanted}" + (f"; did you mean `{close}`?" if close else "")
        )


def entry(wanted: str) -> Entry:
    """The catalogue entry of a code, case-insensitively. Raises `UnknownCode`."""
    found = _BY_CODE.get(wanted.strip().upper())
    if found is None:
        raise UnknownCode(wanted)
    return found


def code(wanted: str) -> str:
    """`wanted` itself, once the catalogue knows it: how emitting modules name their codes,
    at import time, so a code missing from the catalogue fails every test at once."""
    if wanted not in _BY_CODE:
        raise UnknownCode(wanted)
    return wanted


def closest(wanted: str) -> str | None:
    """The catalogue code one or two characters away from `wanted` (a typo), or None."""
    wanted = wanted.strip().upper()
    best: tuple[int, str] | None = None
    for known in _BY_CODE:
        if len(known) == len(wanted):
            distance = sum(a != b for a, b in zip(known, wanted, strict=True))
            if distance <= 2 and (best is None or distance < best[0]):
                best = (distance, known)
    return best[1] if best else None


def family_of(item: Entry) -> Family:
    for fam in FAMILIES:
        if item.code.startswith(fam.prefix):
            return fam
    raise AssertionError(f"{item.code} belongs to no family")  # pragma: no cover - tested


def matching(pattern: str) -> list[Entry]:
    """The entries a `select`/`ignore` pattern names: `ALL`, a code, or a code prefix."""
    if pattern == "ALL":
        return list(CATALOGUE)
    return [e for e in CATALOGUE if e.code.startswith(pattern)]


def families_text(families: Iterable[Family] = FAMILIES) -> str:
    """`FL0xx loading, FL1xx shape, ...`: the known families, for messages."""
    return ", ".join(f"{pattern(f)} {f.key}" for f in families)


def pattern(family: Family) -> str:
    """`FL2xx`, `FTxxx`: how the codes of a family are written in prose."""
    return family.prefix + "x" * (5 - len(family.prefix))
