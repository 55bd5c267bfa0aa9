"""The self-contained HTML page of a drawing: the SVG inline, a tool bar (search, zoom), a
details panel for the clicked node and, for diffs, a summary panel beside the drawing. The
panels sit next to the drawing, never over it; script and style are inline (no network).

Opened with `#selftest` in the address (`#selftest&find=TEXT&pick=NODE&summary=hide`, also
`focus=NODE&keys=Enter,Escape`), the page does what they say through its own controls and
keys, then writes the geometry it ends up with (drawing, panels, node boxes, rendered text
sizes, the drawn width of a heat map's edges) as JSON into `<pre id="selftest">`, so a
headless browser's `--dump-dom` can check what a person would see.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any

from flowc.render_graph.page_script import SCRIPT

_PROLOG_RE = re.compile(r"^.*?(?=<svg\b)", re.S)

STYLE = """
html, body { margin: 0; height: 100%; }
body { display: flex; flex-direction: column; color: #1f2937;
  font: 14px system-ui, "Noto Sans", "Noto Sans CJK SC", sans-serif; }
#bar { flex: none; display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px;
  padding: 6px 10px; background: #f8fafc; border-bottom: 1px solid #e2e8f0; }
#bar h1 { margin: 0; font-size: 15px; font-weight: 600; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; max-width: 38vw; }
#find { width: 30ch; font: inherit; padding: 3px 7px; border: 1px solid #94a3b8;
  border-radius: 4px; }
#found { color: #475569; min-width: 9ch; }
#tools { margin-left: auto; display: flex; gap: 4px; }
button { font: inherit; padding: 2px 9px; border: 1px solid #cbd5e1; border-radius: 4px;
  background: #fff; color: inherit; cursor: pointer; }
button:hover { background: #f1f5f9; }
button[aria-expanded="true"] { background: #e0e7ff; border-color: #818cf8; }
:focus-visible { outline: 3px solid #2563eb; outline-offset: 1px; }
#main { flex: 1; display: flex; min-height: 0; }
#view { flex: 1; min-width: 0; position: relative; overflow: hidden; cursor: grab;
  background: #fff; touch-action: none; }
#view.dragging { cursor: grabbing; }
#view > svg { position: absolute; left: 0; top: 0; transform-origin: 0 0; }
#view:focus-visible { outline-offset: -3px; }
#summary, #panel { flex: none; overflow: auto; padding: 8px 14px; background: #f8fafc; }
#summary { width: min(40ch, 30vw); border-right: 1px solid #e2e8f0; }
#panel { width: min(44ch, 32vw); border-left: 1px solid #e2e8f0; background: #fff; }
#summary[hidden], #panel[hidden] { display: none; }
#summary h2, #panel h2 { font-size: 15px; margin: 4px 0 8px; }
#summary pre { white-space: pre-wrap; font: 12px ui-monospace, monospace; margin: 8px 0; }
#summary ul, #panel ul { list-style: none; padding: 0; margin: 0 0 8px; }
#summary li button, #panel li button { text-align: left; margin: 2px 0; width: 100%; }
#panel .close { float: right; }
#panel .tag { color: #64748b; font-size: 12px; margin: 0; }
#panel h3 { font-size: 13px; margin: 12px 0 4px; color: #475569; }
#panel .said { white-space: pre-wrap; margin: 0 0 6px; line-height: 1.45; }
#panel .locale { font-size: 12px; color: #64748b; }
#panel code { font-size: 12px; word-break: break-all; }
#hint { flex: none; font-size: 12px; color: #64748b; padding: 3px 10px;
  border-top: 1px solid #e2e8f0; }
g.node[tabindex] { cursor: pointer; }
g.node:focus { outline: none; }
rect.halo { fill: #fde047; fill-opacity: 0.6; stroke: #f59e0b; stroke-width: 3; }
rect.halo.current { fill: #fca5a5; stroke: #dc2626; stroke-width: 5; }
rect.halo.picked { fill: #bfdbfe; fill-opacity: 0.7; stroke: #2563eb; stroke-width: 4; }
rect.halo.focused { fill: none; stroke: #2563eb; stroke-width: 3; stroke-dasharray: 6 3; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
"""

_HINT = (
    "wheel or + −: zoom · drag or arrow keys: pan · Tab: next node · click or Enter: details"
    " · /: find (Enter: next match) · 0: whole drawing · 1: readable size · Home: the start"
)


def _json_for_script(data: Any) -> str:
    """JSON that cannot end the <script> element it sits in, whatever the prompt text says."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def html_page(
    svg: str,
    title: str,
    *,
    summary: str = "",
    nodes: Mapping[str, Mapping[str, Any]] | None = None,
    body_pt: float | None = None,
) -> str:
    """One self-contained page around an SVG drawing. `nodes` (DOT node id -> what to show
    about it: see FlowDrawing) feeds search and the details panel; `summary` (plain text)
    makes it a diff page, with the summary in a collapsible panel beside the drawing.
    `body_pt` is the size of the smallest text a reader needs (in the SVG's units): the page
    opens with it at a readable size (without it, the most common size of the nodes' text)."""
    body = _PROLOG_RE.sub("", svg, count=1)
    esc = html.escape
    summary_toggle = aside = ""
    if summary:
        summary_toggle = (
            '<button id="summary-toggle" aria-expanded="true" aria-controls="summary"'
            ' title="Show or hide the summary of changes">Summary</button>'
        )
        aside = (
            '<aside id="summary" aria-label="Summary of changes"><h2>Changes</h2>'
            '<ul id="changes"></ul>'
            f"<pre>{esc(summary)}</pre></aside>\n"
        )
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>\n"
        f'<body class="{"diff-page" if summary else "graph-page"}">\n'
        f'<header id="bar"><h1 title="{esc(title)}">{esc(title)}</h1>'
        '<label><span class="sr">Find a node</span><input id="find" type="search"'
        ' placeholder="Find a node or prompt text  ( / )" autocomplete="off"'
        ' spellcheck="false" aria-describedby="found"></label>'
        '<span id="found" role="status" aria-live="polite"></span>'
        '<span id="tools">'
        '<button id="zoom-out" aria-label="Zoom out" title="Zoom out (−)">−</button>'
        '<button id="zoom-in" aria-label="Zoom in" title="Zoom in (+)">+</button>'
        '<button id="whole" title="The whole drawing (0)">Whole</button>'
        '<button id="readable" title="Text at a readable size (1)">Readable</button>'
        f"{summary_toggle}</span></header>\n"
        f'<div id="main">{aside}'
        f'<div id="view" data-body-pt="{body_pt or ""}" tabindex="0" role="group"'
        ' aria-label="Call-flow drawing: arrow keys pan, + and − zoom, Tab moves from node'
        ' to node, Enter shows a node">'
        f"{body}</div>\n"
        '<aside id="panel" hidden tabindex="-1" aria-label="Node details"></aside></div>\n'
        f'<footer id="hint">{esc(_HINT)}</footer>\n'
        '<script type="application/json" id="flow-nodes">'
        f"{_json_for_script(dict(nodes or {}))}</script>\n"
        '<pre id="selftest" hidden></pre>\n'
        f"<script>{SCRIPT}</script>\n</body></html>\n"
    )
