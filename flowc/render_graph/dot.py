"""Call graph -> DOT (with the graphviz package; `dot` itself runs in flowc.render_graph.output).

Every node keeps its flow name as the DOT node id, carries `id="node-<name>"` and a
`kind-<kind>` class in SVG output, and, when its source line is known, a
`vscode://file/<abs path>:<line>` link with `<file>:<line>` as its tooltip.

Layout adapts to size and shape: a handful of nodes left to right, then whichever direction
gives a screen-shaped drawing (wide trees left to right, long chains top to bottom). Up to
`SMALL` nodes show three lines of prompt text, up to `MEDIUM` two; bigger graphs show names
only, with orthogonal edges (polyline past `ORTHO_MAX` nodes) and the edges into hub nodes
(goodbye, the agent queue) cut short to a "→ name" label. Menus are tables with one row (and
one edge port) per key.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import graphviz
import networkx as nx

from flowc.render_graph.style import (
    DIFF_COLOURS,
    FAIL,
    FONT,
    INK,
    MUTED,
    NODE_STYLES,
    OUTCOME_COLOURS,
    esc,
    truncate,
    wrap,
)
from flowc.render_graph.traffic import (
    FAILED,
    HANGUP,
    HEAT_COLOURS,
    PERSON,
    Traffic,
    edge_numbers,
    edge_width,
    heat_colours,
    node_heat,
    node_numbers,
)

LR_MAX = 12  # left to right reads best for a handful of nodes; then top to bottom
SMALL = 40
MEDIUM = 150
ORTHO_MAX = 300  # orthogonal edges are the tidiest, and slow: 500 nodes take half a minute
START = "__start__"
MORE = "__more__"
TO = "__to__"
LEGEND = "__legend__"
HUB_MIN = 12
BODY_PT = 9  # the smallest text a reader needs: prompt lines, edge labels, names when large

Detail = Literal["auto", "full", "medium", "names"]
_PORT_NAMES = {"*": "star", "#": "hash"}


@dataclass
class DrawOptions:
    """What to draw and how. `visible` (a set of node ids) overrides `focus`/`depth`.

    `node_status`/`edge_status` colour a diff: statuses are added, removed, changed,
    renamed, unchanged; edges are keyed (source, target, label)."""

    locale: str | None = None
    focus: str | None = None
    depth: int = 2
    title: str | None = None
    detail: Detail = "auto"
    links: bool = True
    visible: set[str] | None = None
    node_status: Mapping[str, str] = field(default_factory=dict)
    node_notes: Mapping[str, str] = field(default_factory=dict)
    edge_status: Mapping[tuple[str, str, str], str] = field(default_factory=dict)
    more_label: str = "more"
    # Recorded calls (a heat map): edge widths by calls, nodes coloured by how calls leave
    # there (diff colours win in diff drawings), numbers on every node and edge.
    traffic: Traffic | None = None


class FlowDrawing(graphviz.Digraph):  # type: ignore[misc]  # graphviz has no types
    """A DOT drawing that also carries, per drawn flow node, what the HTML page shows about it
    when clicked or searched: the whole prompt text (the drawing shows a few lines), where
    the node is defined and where it leads. Keys are the DOT node ids."""

    node_info: dict[str, dict[str, Any]]
    body_pt: float = BODY_PT


def neighbourhood(g: nx.MultiDiGraph, focus: str, depth: int) -> set[str]:
    """Nodes within `depth` edges of `focus`, either direction."""
    seen = {focus}
    frontier = {focus}
    for _ in range(max(depth, 0)):
        nxt: set[str] = set()
        for n in frontier:
            nxt.update(g.successors(n))
            nxt.update(g.predecessors(n))
        frontier = nxt - seen
        seen |= frontier
    return seen


def source_link(file: str | None, line: int | None) -> str | None:
    if not file or not line:
        return None
    path = Path(file).resolve().as_posix()
    return f"vscode://file{path if path.startswith('/') else '/' + path}:{line}"


def _port(key: str) -> str:
    return "k" + _PORT_NAMES.get(key, key)


def _detail_level(opts: DrawOptions, count: int) -> Detail:
    if opts.detail != "auto":
        return opts.detail
    if count <= SMALL:
        return "full"
    return "medium" if count <= MEDIUM else "names"


def _prompt(data: Mapping[str, Any], locale: str | None) -> str:
    prompts: Mapping[str, str] = data.get("prompts") or {}
    if locale and locale in prompts:
        return prompts[locale]
    return next(iter(prompts.values()), "")


@dataclass
class _Row:
    port: str
    text: str
    target: str
    agent: bool = False
    words: list[str] = field(default_factory=list)
    status: str | None = None  # in diffs: added, removed
    labels: list[tuple[str, str]] = field(default_factory=list)  # (edge label, edge kind)
    # Adaptive menus: when the option is offered and how it is ordered (`if ...`, `rank ...`)
    condition: str | None = None


def _short(g: nx.MultiDiGraph, node: str) -> str:
    return str(g.nodes[node].get("name") or node) if node in g else node


def menu_rows(g: nx.MultiDiGraph, node: str) -> list[_Row]:
    """One row per key (speech words that lead to the same place ride along), then rows
    for speech words that have no key."""
    rows: list[_Row] = []
    by_target: dict[str, _Row] = {}
    spoken: list[tuple[str, str, str]] = []
    for _, target, data in g.out_edges(node, data=True):
        kind = data.get("kind")
        if kind in ("key", "agent_key"):
            key = str(data.get("dtmf"))
            agent = kind == "agent_key"
            label = str(data["label"])
            alt = label.partition("#")[2]  # `key 2#1`: one of several options on key 2
            port = _port(key) + (f"_{alt}" if alt.isdigit() else "")
            row = _Row(port, f"{key} → {_short(g, target)}", target, agent)
            row.labels.append((label, kind))
            shown = [f"if {data['when']}"] if data.get("when") is not None else []
            shown += [f"rank {data['rank']}"] if data.get("rank") is not None else []
            row.condition = " · ".join(shown) or None
            rows.append(row)
            by_target.setdefault(target, row)
        elif kind == "speech":
            spoken.append((str(data.get("word")), target, data["label"]))
    extra: dict[str, _Row] = {}
    for word, target, label in spoken:
        found = by_target.get(target) or extra.get(target)
        if found is None:
            found = _Row(f"s{len(extra)}", f"→ {_short(g, target)}", target)
            extra[target] = found
        found.words.append(word)
        found.labels.append((label, "speech"))
    # Agent rows last, as callers hear them.
    return [r for r in rows if not r.agent] + list(extra.values()) + [r for r in rows if r.agent]


def _html_label(
    data: Mapping[str, Any],
    name: str,
    level: Detail,
    locale: str | None,
    rows: list[_Row] | None,
    colours: tuple[str, str],
    note: str | None,
    status: str | None,
) -> str:
    kind = str(data.get("kind", "missing"))
    style = NODE_STYLES.get(kind, NODE_STYLES["missing"])
    fill, border = colours
    cells = 30 if level == "full" else 26
    parts: list[str] = []
    tag = style.tag if status in (None, "unchanged") else f"{style.tag} · {status}"
    parts.append(f'<FONT POINT-SIZE="8" COLOR="{MUTED}">{esc(tag)}</FONT>')
    parts.append(f"<B>{esc(truncate(name, 34))}</B>")
    if note:
        parts.append(f'<FONT POINT-SIZE="9" COLOR="{border}">{esc(truncate(note, 40))}</FONT>')
    detail = str(data.get("detail") or "")
    # One table row per wrapped line: <BR/> line heights come out too tight for CJK fonts.
    if detail:
        for line in wrap(detail, cells, 2 if level == "full" else 1):
            parts.append(f'<FONT POINT-SIZE="9" COLOR="#374151">{esc(line)}</FONT>')
    prompt = _prompt(data, locale)
    if prompt:
        for line in wrap(prompt, cells, 3 if level == "full" else 2):
            parts.append(f'<FONT POINT-SIZE="9" COLOR="#4b5563"><I>{esc(line)}</I></FONT>')
    body = "".join(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{p}</TD></TR>' for p in parts)
    if rows is None:
        return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>>'
    # Menus: a framed table, one row per key with its own edge port.
    row_html = ""
    for row in rows:
        colour = "#dcfce7" if row.agent else "#ffffff"
        text = esc(truncate(row.text, cells))
        if row.status in ("added", "removed"):
            colour = DIFF_COLOURS[row.status][0]
            text = f"<B>{'+' if row.status == 'added' else '−'}</B> " + (
                f"<S>{text}</S>" if row.status == "removed" else text
            )
        text = f'<FONT POINT-SIZE="10">{text}</FONT>'
        small = []
        if row.condition:
            small.append(truncate(row.condition, cells))
        if row.words:
            small.append(truncate(" ".join(f'"{w}"' for w in row.words), cells))
        if small:
            text = (
                '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
                f'<TR><TD ALIGN="LEFT">{text}</TD></TR>'
                + "".join(
                    f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="8" COLOR="{MUTED}">{esc(s)}'
                    "</FONT></TD></TR>"
                    for s in small
                )
                + "</TABLE>"
            )
        row_html += (
            f'<TR><TD PORT="{row.port}" ALIGN="LEFT" BALIGN="LEFT" BGCOLOR="{colour}" '
            f'BORDER="1" COLOR="{border}">{text}</TD></TR>'
        )
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
        f'BGCOLOR="{fill}" COLOR="{border}" STYLE="ROUNDED">{body}{row_html}</TABLE>>'
    )


def _edge_style(data: Mapping[str, Any]) -> dict[str, str]:
    kind = data.get("kind")
    label = str(data.get("label", ""))
    if data.get("failure"):
        return {"color": FAIL, "fontcolor": FAIL, "style": "dashed"}
    if kind == "outcome" and label in OUTCOME_COLOURS:
        colour = OUTCOME_COLOURS[label]
        return {"color": colour, "fontcolor": colour, "style": "dashed" if label == "after" else ""}
    if kind == "default":
        return {"color": MUTED, "fontcolor": MUTED}
    if kind == "call":
        return {"color": "#334155", "penwidth": "1.8"}
    if kind == "return":
        return {"color": "#334155", "style": "dashed"}
    if kind == "agent_key":
        return {"color": "#15803d"}
    return {"color": INK}


def _edge_text(label: str, kind: str | None, level: Detail) -> str:
    limit = 34 if level == "full" else 22
    if kind == "condition" and label.startswith("if "):
        return truncate(label[3:], limit)
    return truncate(label, limit)


# Rough node sizes (inches, width x height) per detail level, for choosing the direction.
_NODE_SIZE = {"full": (2.4, 1.0), "medium": (2.1, 0.7), "names": (1.0, 0.3)}
_ASPECT = 1.3  # screens and PR comments are a little wider than tall


def layers(g: nx.MultiDiGraph, shown: list[str]) -> dict[str, int]:
    """Rank of each node as `dot` roughly assigns them: longest path from the entry once the
    edges that close loops (back edges of a depth-first walk) are left out."""
    members = set(shown)
    entry = g.graph.get("entry")
    roots = ([entry] if entry in members else []) + shown
    state: dict[str, int] = {}  # 1: on the walk's stack, 2: done
    order: list[str] = []
    forward: dict[str, list[str]] = {n: [] for n in shown}
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(g.successors(root)))]
        while stack:
            u, it = stack[-1]
            for v in it:
                if v not in members:
                    continue
                if v not in state:
                    forward[u].append(v)
                    state[v] = 1
                    stack.append((v, iter(g.successors(v))))
                    break
                if state[v] == 2:
                    forward[u].append(v)
            else:
                state[u] = 2
                order.append(u)
                stack.pop()
    level = dict.fromkeys(shown, 0)
    for u in reversed(order):  # reverse post-order: a topological order of the forward edges
        for v in forward[u]:
            level[v] = max(level[v], level[u] + 1)
    return level


def choose_rankdir(g: nx.MultiDiGraph, shown: list[str], level: Detail) -> str:
    """LR or TB, whichever gives the drawing the shape closest to a screen: wide trees
    (many branches, few levels) read better left to right, long chains top to bottom."""
    if len(shown) <= LR_MAX:
        return "LR"
    level_of = layers(g, shown)
    counts: dict[int, int] = {}
    for lv in level_of.values():
        counts[lv] = counts.get(lv, 0) + 1
    breadth, depth = max(counts.values()), len(counts)
    w, h = _NODE_SIZE.get(level, _NODE_SIZE["medium"])
    sep = 0.4

    def off(width: float, height: float) -> float:
        return abs(math.log(max(width, 0.1) / max(height, 0.1) / _ASPECT))

    tb = off(breadth * (w + sep), depth * (h + sep))
    lr = off(depth * (w + sep), breadth * (h + sep / 2))
    return "LR" if lr < tb else "TB"


def visible_nodes(g: nx.MultiDiGraph, opts: DrawOptions) -> set[str]:
    if opts.visible is not None:
        return set(opts.visible) & set(g.nodes)
    if opts.focus is not None:
        if opts.focus not in g:
            raise KeyError(opts.focus)
        return neighbourhood(g, opts.focus, opts.depth)
    return set(g.nodes)


def flow_dot(g: nx.MultiDiGraph, opts: DrawOptions | None = None) -> FlowDrawing:
    """The DOT drawing of a call graph (from flowc.analysis.graph.build_graph)."""
    opts = opts or DrawOptions()
    shown = visible_nodes(g, opts)
    order = [n for n in g.nodes if n in shown]
    level = _detail_level(opts, len(order))
    locale = opts.locale or g.graph.get("default_locale")
    rankdir = choose_rankdir(g, order, level)
    dot = FlowDrawing(name=str(g.graph.get("name") or "flow"))
    dot.node_info = {}
    _page_attrs(dot, g, opts, order, level, locale, rankdir)
    ported = _draw_nodes(dot, g, opts, order, level, locale)
    _draw_start(dot, g, shown)
    merged, hidden = _merge_edges(g, opts, shown, ported)
    _draw_edges(dot, g, merged, level, len(order), opts.traffic)
    _draw_stubs(dot, hidden, opts.more_label)
    if opts.traffic is not None:
        _draw_legend(dot, opts.traffic)
    return dot


def _page_attrs(
    dot: FlowDrawing,
    g: nx.MultiDiGraph,
    opts: DrawOptions,
    order: list[str],
    level: Detail,
    locale: str | None,
    rankdir: str,
) -> None:
    """The title and the page-wide graph, node and edge attributes."""
    large = level == "names"
    title = opts.title
    if title is None:
        title = f"{g.graph.get('name', '')}  ·  {g.graph.get('file', '')}"
        if locale and len(g.graph.get("locales") or []) > 1:
            title += f"  ·  {locale}"
        if opts.focus:
            title += f"  ·  around {opts.focus} ({opts.depth} step{'' if opts.depth == 1 else 's'})"
    dot.attr(
        "graph",
        rankdir=rankdir,
        splines=("ortho" if len(order) <= ORTHO_MAX else "polyline") if large else "spline",
        nodesep=("0.06" if rankdir == "LR" else "0.2") if large else "0.35",
        ranksep="0.45" if large else ("0.6" if level == "medium" else "0.5"),
        fontname=FONT,
        fontsize="12",
        label=title,
        labelloc="t",
        labeljust="l",
        bgcolor="white",
        pad="0.3",
        newrank="true",
        outputorder="edgesfirst",
    )
    dot.attr("node", fontname=FONT, fontsize="10", margin="0.08,0.04", color=INK)
    dot.attr("edge", fontname=FONT, fontsize="9", arrowsize="0.7", color=INK)


# A menu -> its edge labels -> the port (row of its table) each edge leaves from.
_Ports = dict[str, dict[str, str]]


def _draw_nodes(
    dot: FlowDrawing,
    g: nx.MultiDiGraph,
    opts: DrawOptions,
    order: list[str],
    level: Detail,
    locale: str | None,
) -> _Ports:
    """Every shown node, each subflow module's nodes in a cluster; the menus' ports."""
    modules: dict[str, Any] = g.graph.get("modules") or {}
    clusters: dict[str | None, list[str]] = {}
    for n in order:
        clusters.setdefault(g.nodes[n].get("module"), []).append(n)

    ported: dict[str, dict[str, str]] = {}  # menu -> edge label -> port

    def add_node(target: graphviz.Digraph, n: str) -> None:
        _draw_node(dot, target, g, n, opts, level, locale, ported)

    for module, members in clusters.items():
        if module is None:
            for n in members:
                add_node(dot, n)
            continue
        info = modules.get(module, {})
        with dot.subgraph(name=f"cluster_{info.get('prefix', module).rstrip('.')}") as sub:
            sub.attr(
                label=f"subflow {module}  ({info.get('name', '')})",
                style="rounded,dashed",
                color="#64748b",
                bgcolor="#f8fafc",
                fontcolor="#334155",
                fontsize="11",
                labeljust="l",
            )
            for n in members:
                add_node(sub, n)
    return ported


def _draw_node(
    dot: FlowDrawing,
    target: graphviz.Digraph,
    g: nx.MultiDiGraph,
    n: str,
    opts: DrawOptions,
    level: Detail,
    locale: str | None,
    ported: _Ports,
) -> None:
    """One node: its shape, colours, label (a table of rows for menus) and link."""
    large = level == "names"
    data = g.nodes[n]
    kind = str(data.get("kind", "missing"))
    style = NODE_STYLES.get(kind, NODE_STYLES["missing"])
    status = opts.node_status.get(n)
    colours = (style.fill, style.border)
    if status is not None:
        colours = DIFF_COLOURS.get(status, colours)
    note = opts.node_notes.get(n)
    classes = f"kind-{kind}" + (f" diff-{status}" if status else "")
    traffic = opts.traffic
    if traffic is not None:
        if status is None:
            colours = heat_colours(traffic, kind, n)
        way, _count = node_heat(traffic, kind, n)
        classes += f" heat-{way or 'none'}"
        numbers = node_numbers(traffic, kind, n)
        note = f"{note}; {numbers}" if note else numbers
    attrs: dict[str, str] = {
        "id": f"node-{n}",
        "class": classes,
        "fillcolor": colours[0],
        "color": colours[1],
        "penwidth": str(style.penwidth),
    }
    name = str(data.get("name") or n)
    if n == opts.focus:
        attrs["penwidth"] = "3"
    rows = menu_rows(g, n) if kind == "menu" and not large else None
    for row in rows or ():
        seen = {opts.edge_status.get((n, row.target, lab)) for lab, _ in row.labels}
        if seen in ({"added"}, {"removed"}):
            row.status = seen.pop()
    if rows is not None:
        ported[n] = {lab: r.port for r in rows for lab, _ in r.labels}
    if large:
        attrs.update(shape=style.shape if style.shape != "plain" else "box")
        label = truncate(name, 24)
        if traffic is not None:
            label += f"\n{traffic.node(n).calls:,}"
        attrs.update(style=style.style, label=label, fontsize="9")
        attrs.update(height="0.3", margin="0.05,0.02")
    elif rows is not None:
        attrs.update(shape="plain", style="")
    else:
        attrs.update(shape=style.shape, style=style.style)
        if style.margin:
            attrs["margin"] = style.margin
    if not large:
        attrs["label"] = _html_label(data, name, level, locale, rows, colours, note, status)
    if status == "removed":
        attrs["style"] = (attrs.get("style") or "") + ",dashed"
        attrs["style"] = attrs["style"].lstrip(",")
    if opts.links:
        link = source_link(data.get("file"), data.get("line"))
        if link:
            attrs["URL"] = link
            attrs["tooltip"] = f"{data.get('file')}:{data.get('line')}"
            attrs["target"] = "_top"
    target.node(n, **attrs)
    dot.node_info[n] = _node_info(g, n, locale, status, note)


def _draw_start(dot: FlowDrawing, g: nx.MultiDiGraph, shown: set[str]) -> None:
    # Start marker.
    entry = g.graph.get("entry")
    if entry in shown:
        dot.node(
            START,
            label="",
            shape="circle",
            width="0.18",
            style="filled",
            fillcolor=INK,
            color=INK,
            id="node-__start__",
        )
        dot.edge(START, str(entry), arrowsize="0.6")


_Merged = dict[tuple[str, str, str | None], list[tuple[dict[str, Any], str | None]]]


def _merge_edges(
    g: nx.MultiDiGraph, opts: DrawOptions, shown: set[str], ported: _Ports
) -> tuple[_Merged, dict[str, int]]:
    """Parallel edges between the same two nodes (and port) as one; how many edges of each
    shown node lead out of the drawing."""
    # Edges: merge parallel edges between the same two nodes (and port) into one.
    merged: dict[tuple[str, str, str | None], list[tuple[dict[str, Any], str | None]]] = {}
    hidden: dict[str, int] = {}
    for u, v, data in g.edges(data=True):
        if u not in shown or v not in shown:
            for inside, outside in ((u, v), (v, u)):
                if inside in shown and outside not in shown:
                    hidden[inside] = hidden.get(inside, 0) + 1
            continue
        if data.get("bypass") and module_shown(g, u, shown):
            continue
        port = ported.get(u, {}).get(str(data.get("label")))
        status = opts.edge_status.get((u, v, str(data.get("label"))))
        merged.setdefault((u, v, port), []).append((data, status))
    return merged, hidden


def _draw_edges(
    dot: FlowDrawing,
    g: nx.MultiDiGraph,
    merged: _Merged,
    level: Detail,
    count: int,
    traffic: Traffic | None = None,
) -> None:
    """The merged edges: labels, diff colours, and short stubs into hub nodes."""
    large = level == "names"
    # In big drawings, nodes most of the flow leads to (the goodbye, the agent queue) would
    # pull hundreds of edges across the page: edges into them end at a small "→ name" label.
    hubs: set[str] = set()
    if large:
        indeg: dict[str, int] = {}
        for _, v, _ in merged:
            indeg[v] = indeg.get(v, 0) + 1
        hubs = {v for v, d in indeg.items() if d >= max(HUB_MIN, count // 25)}
    kept: set[str] = set()
    # Drawn edges between the same two nodes, failure branches apart from the others: the
    # journal tells a failure from the rest (traffic.failure_edges), not one key from another.
    failing_pairs: dict[tuple[str, str], set[bool]] = {}
    for (u, v, _port), items in merged.items():
        failing_pairs.setdefault((u, v), set()).add(all(d.get("failure") for d, _ in items))
    for (u, v, port), items in merged.items():
        data, _status = items[0]
        head = v
        if v in hubs and v in kept and u != v:
            head = f"{TO}{v}.{u}"
            dot.node(
                head,
                label=f"→ {_short(g, v)}",
                shape="plaintext",
                fontsize="8",
                fontcolor=MUTED,
                height="0.15",
                margin="0",
                id=f"node-{head}",
            )
        kept.add(v)
        attrs = dict(_edge_style(data))
        attrs = {k: x for k, x in attrs.items() if x}
        if port is None:
            labels = list(
                dict.fromkeys(_edge_text(str(d["label"]), d.get("kind"), level) for d, _ in items)
            )
            text = " / ".join(labels)
            if large:
                # Orthogonal routing cannot place labels; keys stay readable as head labels.
                keys = [str(d.get("dtmf")) for d, _ in items if d.get("dtmf") is not None]
                if keys:
                    attrs["taillabel"] = ",".join(keys)
            elif text and not (data.get("kind") == "next" and len(items) == 1):
                attrs["label"] = f"<{esc(text)}>"
        statuses = {s for _, s in items if s}
        if statuses:
            st = "added" if statuses == {"added"} else "removed" if statuses == {"removed"} else ""
            st = st or ("changed" if "added" in statuses or "removed" in statuses else "unchanged")
            colour = DIFF_COLOURS.get(st, DIFF_COLOURS["unchanged"])[1]
            attrs.update(color=colour, fontcolor=colour, penwidth="2" if st != "unchanged" else "1")
            if st == "removed":
                attrs["style"] = "dashed"
            attrs["class"] = f"diff-{st}"
        if traffic is not None:
            calls = traffic.edges.get((u, v), 0)
            if len(failing_pairs[(u, v)]) == 2:
                failing = traffic.failure_edges.get((u, v), 0)
                calls = failing if all(d.get("failure") for d, _ in items) else calls - failing
            _add_traffic(attrs, traffic, max(calls, 0), large)
        tail = f"{u}:{port}" if port else u
        attrs["id"] = f"edge-{u}-{v}" + (f"-{port}" if port else "")
        kinds = sorted({str(d.get("kind")) for d, _ in items})
        attrs["class"] = (
            attrs.get("class", "") + " " + " ".join(f"edge-{k}" for k in kinds)
        ).strip()
        dot.edge(tail, head, **attrs)


def _add_traffic(attrs: dict[str, str], traffic: Traffic, calls: int, large: bool) -> None:
    """An edge of a heat map: as wide as its share of the traffic, its numbers in the label.
    Several drawn edges between the same two nodes (keys of one menu) each show the calls
    that went from one node to the other."""
    attrs["penwidth"] = f"{edge_width(traffic, calls):g}"
    numbers = edge_numbers(traffic, calls)
    if large:
        attrs["xlabel"] = numbers
    else:
        label = attrs.get("label")
        text = label[1:-1] if label else ""
        attrs["label"] = f"<{text}{'<BR/>' if text else ''}<B>{esc(numbers)}</B>>"
    attrs["class"] = (attrs.get("class", "") + " traffic").strip()
    if not calls:
        attrs["style"] = (attrs.get("style", "") + ",dotted").lstrip(",")


def _draw_legend(dot: FlowDrawing, traffic: Traffic) -> None:
    """What the colours and widths mean, and which calls were counted."""
    span = ""
    if traffic.since is not None and traffic.until is not None:
        span = f"{traffic.since:%Y-%m-%d %H:%M} – {traffic.until:%Y-%m-%d %H:%M}"
    rows = [f"<B>{traffic.calls:,} recorded calls</B>"]
    if span:
        rows.append(esc(f"{span} ({traffic.per_day(traffic.calls):,.1f}/day)"))
    for way, text in (
        (HANGUP, "callers hang up here"),
        (FAILED, "retries run out here"),
        (PERSON, "calls go to a person"),
    ):
        rows.append(f'<FONT COLOR="{HEAT_COLOURS[way][1]}">■</FONT> {text}')
    rows.append("edge width: calls · number: calls · share")
    body = "".join(f'<TR><TD ALIGN="LEFT">{r}</TD></TR>' for r in rows)
    dot.node(
        LEGEND,
        label=f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2"'
        f' COLOR="{MUTED}">{body}</TABLE>>',
        shape="plain",
        fontsize="9",
        id=f"node-{LEGEND}",
    )


def _draw_stubs(dot: FlowDrawing, hidden: dict[str, int], more_label: str) -> None:
    # Stubs where nodes were left out of a focused or collapsed drawing.
    for n, count in hidden.items():
        stub = f"{MORE}{n}"
        dot.node(
            stub,
            label=f"… {count} {more_label}",
            shape="plaintext",
            fontsize="9",
            fontcolor=MUTED,
            id=f"node-{stub}",
        )
        dot.edge(n, stub, style="dotted", color=MUTED, arrowhead="none")


def _node_info(
    g: nx.MultiDiGraph, n: str, locale: str | None, status: str | None, note: str | None
) -> dict[str, Any]:
    """What the HTML page says about a node: nothing cut short, the drawn locale first."""
    data = g.nodes[n]
    prompts: Mapping[str, str] = data.get("prompts") or {}
    ordered = sorted(prompts.items(), key=lambda kv: kv[0] != locale)
    file, line = data.get("file"), data.get("line")
    leads: list[list[str]] = []
    for _, v, edge in g.out_edges(n, data=True):
        leads.append([str(edge.get("label", "")), str(v)])
    info: dict[str, Any] = {
        "name": str(data.get("name") or n),
        "kind": str(data.get("kind", "missing")),
        "detail": str(data.get("detail") or ""),
        "prompts": [[loc, text] for loc, text in ordered if text],
        "where": f"{file}:{line}" if file and line else str(file or ""),
        "link": source_link(file, line) or "",
        "leads": leads,
    }
    if data.get("module"):
        info["module"] = str(data["module"])
    if status:
        info["status"] = status
    if note:
        info["note"] = note
    return info


def module_shown(g: nx.MultiDiGraph, caller: str, shown: Iterable[str]) -> bool:
    """Whether the module a subflow node calls is drawn (then its `next` edge is implied)."""
    shown_set = set(shown)
    return any(
        data.get("kind") == "call" and v in shown_set
        for _, v, data in g.out_edges(caller, data=True)
    )
