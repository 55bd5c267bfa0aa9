"""Output lines that know which data paths they print, and comments placed before them.

Both printers (`to_dsl`, `to_yaml`) build a list of `Line`s and let `render` put every comment
before the line that prints its path. A comment whose path has no line of its own (a value
printed inline, a mapping the text form leaves implicit) goes before the first line printing
something inside that path, else before the line printing its nearest ancestor; comments for
the root path `()` (after the last item of the source) go at the end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flowc.source.document import Path


@dataclass
class Line:
    indent: int
    text: str
    paths: tuple[Path, ...] = ()


def render(lines: list[Line], comments: dict[Path, list[str]] | None, unit: str = "  ") -> str:
    before: dict[int, list[str]] = {}
    trailing: list[str] = []
    if comments:
        exact: dict[Path, int] = {}
        inside: dict[Path, int] = {}  # path -> first line printing something below it
        for i, line in enumerate(lines):
            for p in line.paths:
                exact.setdefault(p, i)
                for cut in range(1, len(p)):
                    inside.setdefault(p[:cut], i)
        for path, texts in comments.items():
            if not texts:
                continue
            if path == ():
                trailing.extend(texts)
                continue
            at = _find(path, exact, inside, lines)
            if at is None:
                trailing.extend(texts)
            else:
                before.setdefault(at, []).extend(texts)
    out: list[str] = []
    for i, line in enumerate(lines):
        pad = unit * line.indent
        out += _comment_lines(before.get(i, ()), pad)
        out.append(f"{pad}{line.text}" if line.text else "")
    out += _comment_lines(trailing, "")
    return "\n".join(out) + "\n"


def _comment_lines(texts: Iterable[str], pad: str) -> list[str]:
    return [f"{pad}# {part}".rstrip() for text in texts for part in (text.splitlines() or [""])]


def _find(
    path: Path, exact: dict[Path, int], inside: dict[Path, int], lines: list[Line]
) -> int | None:
    if path in exact:
        return exact[path]
    if path in inside:
        return inside[path]
    for cut in range(len(path) - 1, 0, -1):
        if path[:cut] in exact:
            return exact[path[:cut]]
    return 0 if lines else None
