"""How each node and edge kind looks: shapes, colours, fonts, and text fitting."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Fonts with CJK coverage first (zh-CN prompts), then whatever the system has.
FONT = "Noto Sans CJK SC, Noto Sans, DejaVu Sans, sans-serif"


@dataclass(frozen=True)
class NodeStyle:
    shape: str
    fill: str
    border: str
    tag: str  # the small word above the node name
    style: str = "filled"
    penwidth: float = 1.2
    margin: str | None = None  # shapes whose outline cuts into the label need more


INK = "#1f2937"
MUTED = "#6b7280"
FAIL = "#b91c1c"
PERSON_FILL = "#bbf7d0"
PERSON_BORDER = "#15803d"

NODE_STYLES: dict[str, NodeStyle] = {
    "menu": NodeStyle("plain", "#dbeafe", "#1d4ed8", "menu"),
    "collect": NodeStyle("box", "#e0f2fe", "#0369a1", "collect", "filled,rounded"),
    "switch": NodeStyle("diamond", "#fef3c7", "#b45309", "switch"),
    "hours": NodeStyle("diamond", "#fde68a", "#b45309", "hours"),
    "fetch": NodeStyle("cylinder", "#ede9fe", "#6d28d9", "fetch"),
    "set": NodeStyle("box", "#f8fafc", "#94a3b8", "set", "filled,rounded"),
    "play": NodeStyle("note", "#ffffff", "#475569", "play"),
    "queue": NodeStyle("box", PERSON_FILL, PERSON_BORDER, "queue · person", "filled,bold", 2.0),
    "transfer": NodeStyle(
        "box", PERSON_FILL, PERSON_BORDER, "transfer · person", "filled,rounded,bold", 2.0
    ),
    "voicemail": NodeStyle("tab", "#fce7f3", "#be185d", "voicemail"),
    "record": NodeStyle("tab", "#fce7f3", "#be185d", "record"),
    "callback": NodeStyle("tab", "#fce7f3", "#be185d", "callback"),
    "survey": NodeStyle("folder", "#fce7f3", "#be185d", "survey"),
    "subflow": NodeStyle("component", "#f1f5f9", "#334155", "subflow"),
    "return": NodeStyle("cds", "#f1f5f9", "#334155", "return", margin="0.25,0.08"),
    "hangup": NodeStyle("octagon", "#e5e7eb", "#6b7280", "hangup", margin="0.02,0.02"),
    "goto": NodeStyle("box", "#ffffff", "#94a3b8", "goto", "filled,rounded,dashed"),
    "missing": NodeStyle("box", "#fee2e2", FAIL, "missing", "filled,dashed", 1.5),
}

# Edge colours by outcome; failures are dashed red, the call's normal course dark.
OUTCOME_COLOURS = {
    "open": "#15803d",
    "closed": MUTED,
    "holiday": MUTED,
    "emergency": FAIL,
    "after": MUTED,
    "on_exit": MUTED,
}

# Diff drawings.
DIFF_COLOURS = {
    "added": ("#bbf7d0", "#15803d"),
    "removed": ("#fecaca", "#b91c1c"),
    "changed": ("#fde68a", "#b45309"),
    "renamed": ("#fde68a", "#b45309"),
    "unchanged": ("#f3f4f6", "#9ca3af"),
}


def width(text: str) -> int:
    """Display width: East-Asian wide characters take two cells."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def truncate(text: str, limit: int) -> str:
    """At most `limit` display cells, ending in an ellipsis when cut."""
    if width(text) <= limit:
        return text
    out = ""
    used = 0
    for ch in text:
        w = width(ch)
        if used + w > limit - 1:
            break
        out += ch
        used += w
    return out.rstrip() + "…"


# Punctuation that may not start a line (CJK typography): it stays on the line before.
NO_LINE_START = frozenset("，。、；：！？）」』】〉》…,.;:!?)")


def wrap(text: str, cells: int, max_lines: int) -> list[str]:
    """Wrap at spaces (or anywhere in CJK text) to lines of about `cells` display cells."""
    lines: list[str] = []
    line = ""
    used = 0
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ch == " ":
            if word:
                tokens.append(word)
            tokens.append(" ")
            word = ""
        elif width(ch) == 2:
            if word:
                tokens.append(word)
            tokens.append(ch)
            word = ""
        else:
            word += ch
    if word:
        tokens.append(word)
    for tok in tokens:
        w = width(tok)
        if used + w > cells and line.strip() and tok not in NO_LINE_START:
            lines.append(line.strip())
            line, used = "", 0
            if tok == " ":
                continue
        line += tok
        used += w
    if line.strip():
        lines.append(line.strip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = truncate(lines[-1], cells - 1).rstrip("…").rstrip() + "…"
    return [truncate(x, cells + 4) for x in lines]


def esc(text: str) -> str:
    """Text for a Graphviz HTML-like label."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("]", "&#93;")
        .replace("[", "&#91;")
    )
