"""DOT -> files: SVG and PNG through the real `dot` binary, DOT text, and one self-contained
HTML page (the SVG inline, wheel zoom and drag to pan, click a node to see its source line)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import graphviz

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
        return html_page(svg, title or dot.name or "flow", summary=summary).encode("utf-8")
    return run_dot(dot, fmt)


def write_drawing(dot: graphviz.Digraph, path: Path, *, title: str = "", summary: str = "") -> str:
    """Write the drawing in the format the file name asks for; returns that format."""
    fmt = format_of(path)
    data = render(dot, fmt, title=title, summary=summary)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return fmt


_PROLOG_RE = re.compile(r"^.*?(?=<svg\b)", re.S)

_STYLE = """
html, body { margin: 0; height: 100%; font: 13px system-ui, "Noto Sans CJK SC", sans-serif; }
#view { position: fixed; inset: 0; overflow: hidden; cursor: grab; background: #fff; }
#view.dragging { cursor: grabbing; }
#view > svg { position: absolute; left: 0; top: 0; transform-origin: 0 0; }
#view g.node a { cursor: pointer; }
#panel { position: fixed; right: 12px; top: 12px; max-width: 44ch; background: #fff;
  border: 1px solid #cbd5e1; border-radius: 6px; padding: 8px 12px;
  box-shadow: 0 2px 10px #0002; }
#panel[hidden] { display: none; }
#panel .name { font-weight: 600; }
#panel code { font-size: 12px; word-break: break-all; }
#summary { position: fixed; left: 12px; top: 12px; max-width: 60ch; max-height: 45vh;
  overflow: auto; background: #fffc; border: 1px solid #e2e8f0; border-radius: 6px;
  padding: 6px 10px; white-space: pre-wrap; font: 12px ui-monospace, monospace; }
#hint { position: fixed; left: 12px; bottom: 8px; color: #64748b; font-size: 12px; }
g.node.picked polygon, g.node.picked path, g.node.picked ellipse { stroke-width: 3px; }
"""

_SCRIPT = """
(() => {
  const view = document.getElementById("view");
  const svg = view.querySelector("svg");
  const panel = document.getElementById("panel");
  let s = 1, x = 0, y = 0, drag = null, moved = false;
  const apply = () => { svg.style.transform = `translate(${x}px, ${y}px) scale(${s})`; };
  const fit = () => {
    s = 1; x = 0; y = 0; apply();
    const r = svg.getBoundingClientRect();
    s = Math.min(view.clientWidth / r.width, view.clientHeight / r.height, 1) * 0.96;
    x = (view.clientWidth - r.width * s) / 2; y = (view.clientHeight - r.height * s) / 2;
    apply();
  };
  view.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = view.getBoundingClientRect(), mx = e.clientX - r.left, my = e.clientY - r.top;
    const k = Math.exp(-e.deltaY * 0.0015);
    x = mx - (mx - x) * k; y = my - (my - y) * k; s *= k; apply();
  }, { passive: false });
  view.addEventListener("pointerdown", (e) => {
    drag = { sx: e.clientX, sy: e.clientY, x, y }; moved = false; view.classList.add("dragging");
  });
  window.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.sx, dy = e.clientY - drag.sy;
    if (Math.abs(dx) + Math.abs(dy) > 3) moved = true;
    x = drag.x + dx; y = drag.y + dy; apply();
  });
  window.addEventListener("pointerup", () => { drag = null; view.classList.remove("dragging"); });
  window.addEventListener("keydown", (e) => { if (e.key === "0") fit(); });
  svg.addEventListener("click", (e) => {
    const a = e.target.closest("a");
    if (!a) return;
    e.preventDefault();
    if (moved) return;
    const node = a.closest("g.node");
    document.querySelectorAll("g.node.picked").forEach((n) => n.classList.remove("picked"));
    if (node) node.classList.add("picked");
    const href = a.getAttribute("xlink:href") || a.getAttribute("href") || "";
    const where = a.getAttribute("xlink:title") || a.getAttribute("title") || "";
    const title = node ? node.querySelector("title") : null;
    panel.replaceChildren();
    const name = document.createElement("div");
    name.className = "name"; name.textContent = title ? title.textContent : "";
    const code = document.createElement("code"); code.textContent = where;
    const open = document.createElement("a");
    open.href = href; open.textContent = "open in VS Code";
    const path = document.createElement("div");
    const file = path.appendChild(document.createElement("code"));
    file.textContent = href.replace(/^vscode:\\/\\/file/, "");
    panel.append(name, code, document.createElement("br"), open, path);
    panel.hidden = false;
  });
  fit();
})();
"""


def html_page(svg: str, title: str, *, summary: str = "") -> str:
    """One self-contained page: the SVG inline, pan/zoom and click-to-source in a few lines
    of script, no network access needed."""
    body = _PROLOG_RE.sub("", svg, count=1)
    aside = f'<div id="summary">{html.escape(summary)}</div>' if summary else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        f'<div id="view">{body}</div>\n{aside}'
        '<div id="panel" hidden></div>\n'
        '<div id="hint">wheel: zoom · drag: pan · click a node: where it is defined'
        " · 0: fit</div>\n"
        f"<script>{_SCRIPT}</script>\n</body></html>\n"
    )
