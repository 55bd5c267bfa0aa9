"""The common output of every frontend: plain data plus where each piece came from.

Both the YAML loader and the DSL parser produce a `SourceDoc`: the flow as plain Python
data (dicts, lists, str, int, float, bool, None) and a table from *paths* into that data
to source spans. Everything later (model validation, lint rules, the IR source map) points
at source through paths, so a diagnostic lands on the same line and column whichever
form the author wrote.

A path is a tuple of dict keys and list indexes, e.g. ("nodes", "main_menu", "menu",
"options", "1"). Dict keys in paths are always strings (YAML `1:` keys become "1").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

PathItem = str | int
Path = tuple[PathItem, ...]


class Span(NamedTuple):
    """A region of a source file. Lines and columns are 1-based; the end is exclusive.

    A NamedTuple, not a frozen dataclass: loaders create one per value, hundreds of
    thousands for a big flow, and tuple construction is several times cheaper."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    @staticmethod
    def whole_file(file: str) -> Span:
        return Span(file, 1, 1, 1, 1)


def comment_text(line: str) -> str:
    """The text of a full-line comment as both printers write it back (`# ` + text):
    the `#` and one space go, further indentation inside the comment stays."""
    text = line.strip()[1:]
    return (text[1:] if text.startswith(" ") else text).rstrip()


@dataclass
class SourceDoc:
    """One source file, loaded: its data and the span of every value and key in it."""

    file: str
    text: str
    data: Any
    spans: dict[Path, Span] = field(default_factory=dict)
    key_spans: dict[Path, Span] = field(default_factory=dict)
    # Comments keyed by the path of the item they precede (for lossless conversion).
    comments: dict[Path, list[str]] = field(default_factory=dict)

    def span_of(self, path: Path, *, key: bool = False) -> Span:
        """The span of the value (or key) at `path`, or of its nearest known ancestor."""
        table = self.key_spans if key else self.spans
        p = tuple(path)
        while True:
            if p in table:
                return table[p]
            if key and p in self.spans:
                return self.spans[p]
            if not p:
                return Span.whole_file(self.file)
            p = p[:-1]
            table = self.key_spans if key else self.spans
