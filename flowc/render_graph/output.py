"""DOT -> files: SVG and PNG through the real `dot` binary, DOT text, and one self-contained
HTML page (flowc.render_graph.page: the SVG inline, search, pan and zoom, node details)."""

from __future__ import annotations

from pathlib import Path

import graphviz

from flowc.render_graph.dot import FlowDrawing
from flowc.render_graph.page import html_page

FORMATS = ("svg", "png", "dot", "html")


class RenderError(Exception):
    """`dot` is missing or failed; the message says what to do."""


def format_of(path: Path) -> str:
    fmt = path.suffix.lower().lstrip(".")
    if fmt == "gv":
        fmt = "dot"
    if fmt == "htm":
        fmt = "html"
    if fmt not in FORMATS:
        raise RenderError(
            f"cannot tell the drawing format from `{path.name}`: use .svg, .png, .dot or .html"
        )
    return fmt


def run_dot(dot: graphviz.Digraph, fmt: str) -> bytes:
    """Lay out and render with the `dot` binary (svg, png...)."""
    try:
        data = dot.pipe(format=fmt, engine="dot", quiet=True)
    except graphviz.ExecutableNotFound:
        raise RenderError(
            "the Graphviz `dot` program is not installed (Debian: apt-get install graphviz);"
            " `-o file.dot` writes the DOT text without it"
        ) from None
    except graphviz.CalledProcessError as exc:
        err = (exc.stderr or b"").decode("utf-8", "replace").strip()
        raise RenderError(f"dot failed: {err or exc}") from None
    return bytes(data)


def render(dot: graphviz.Digraph, fmt: str, *, title: str = "", summary: str = "") -> bytes:
    """The drawing in `fmt` (svg, png, dot or html) as bytes."""
    if fmt == "dot":
        source: str = dot.source
        return source.encode("utf-8")
    if fmt == "html":
        svg = run_dot(dot, "svg").decode("utf-8")
        drawing = dot if isinstance(dot, FlowDrawing) else None
        page = html_page(
            svg,
            title or dot.name or "flow",
            summary=summary,
            nodes=drawing.node_info if drawing else None,
            body_pt=drawing.body_pt if drawing else None,
        )
        return page.encode("utf-8")
    return run_dot(dot, fmt)


def write_drawing(dot: graphviz.Digraph, path: Path, *, title: str = "", summary: str = "") -> str:
    """Write the drawing in the format the file name asks for; returns that format."""
    fmt = format_of(path)
    data = render(dot, fmt, title=title, summary=summary)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return fmt
