"""A FlowDiff for people: markdown for a pull-request comment, plain text for a terminal, JSON
for tools, and one coloured drawing of the changed part of the flow."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import graphviz
import networkx as nx

from flowc.analysis.graph import build_graph
from flowc.diff.core import AttrChange, FlowDiff
from flowc.model.durations import duration_field_names
from flowc.model.values import format_duration_ms
from flowc.render_graph.dot import DrawOptions, flow_dot, neighbourhood
from flowc.render_graph.traffic import Traffic
from flowc.source.document import SourceDoc

_LOCALE_RE = re.compile(r"\[([a-z]{2,3}(?:-[A-Za-z0-9]+)*)\]")
_REACH_ICON = {
    "unreachable": "⚠",
    "agent_lost": "⚠",
    "dead_end": "⚠",
    "reachable": "ℹ",
    "agent_gained": "ℹ",
    "audience": "👥",  # an adaptive menu offers an option to other callers, or in another order
}


def _field(path: str) -> str:
    """The field at the end of a diff path: `menu.timeout`, `rules[0].timeout` -> timeout."""
    return path.rsplit(".", 1)[-1].split("[", 1)[0]


def _shown(path: str, v: Any) -> Any:
    """A value as authors write it: durations (milliseconds in the IR) as `10m`, `5s`, `1500ms`."""
    if type(v) is int and _field(path) in duration_field_names():
        return format_duration_ms(v)
    return v


def _value(v: Any, limit: int = 200) -> str:
    if v is None:
        return "—"
    text = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _md(v: Any) -> str:
    """A value for a markdown table cell."""
    if v is None:
        return "—"
    text = _value(v).replace("|", "\\|").replace("\n", " ")
    return f"`{text}`" if "`" not in text else text


def headline(d: FlowDiff) -> str:
    c = d.counts()
    parts = [
        f"{c[k]} {label}"
        for k, label in (
            ("changed", "changed"),
            ("added", "added"),
            ("removed", "removed"),
            ("renamed", "renamed"),
        )
        if c[k]
    ]
    text = (" · ".join(parts) + " node(s)") if parts else "no node changes"
    if c["edges"]:
        text += f" · {c['edges']} edge(s) rewired"
    if c["header"]:
        text += f" · {c['header']} header setting(s)"
    warnings = sum(1 for r in d.reach if _REACH_ICON.get(r.kind) == "⚠")
    if warnings:
        text += f" · ⚠ {warnings} reachability warning(s)"
    return text


def _where(d: FlowDiff) -> str:
    if d.old_file and d.new_file and d.old_file != d.new_file:
        return f"{d.old_file} → {d.new_file}"
    return d.new_file or d.old_file or ""


def _change_rows(changes: Sequence[AttrChange]) -> list[str]:
    rows = ["| attribute | before | after |", "|---|---|---|"]
    for a in changes:
        rows.append(f"| `{a.path}` | {_md(_shown(a.path, a.old))} | {_md(_shown(a.path, a.new))} |")
    return rows


def to_markdown(d: FlowDiff) -> str:
    out = [f"### flowc diff: `{d.name}` ({_where(d)})", ""]
    if d.empty:
        out.append("No semantic changes: comments, descriptions, tags or formatting only.")
        return "\n".join(out) + "\n"
    out += [f"**{headline(d)}**", ""]
    if d.reach:
        out += ["#### Reachability", ""]
        out += [f"- {_REACH_ICON.get(r.kind, '')} {r.message}" for r in d.reach]
        out.append("")
    if d.added:
        out += ["#### Added nodes", ""]
        out += [f"- `{n}` ({d.kinds.get(n)})" + _summary(d, n) for n in d.added]
        out.append("")
    if d.removed:
        out += ["#### Removed nodes", ""]
        out += [f"- `{n}` ({d.kinds.get(n)})" for n in d.removed]
        out.append("")
    if d.renamed:
        out += ["#### Renamed nodes", ""]
        out += [f"- `{a}` → `{b}` (same content)" for a, b in d.renamed]
        out.append("")
    if d.changed:
        out += ["#### Changed nodes", ""]
        for c in d.changed:
            kind = f"{c.old_kind} → {c.kind}" if c.old_kind else c.kind
            out += [f"**`{c.node}`** ({kind})", "", *_change_rows(c.changes), ""]
    rewired = d.rewired()
    if rewired:
        out += ["#### Edges", ""]
        for e in rewired:
            if e.status == "added":
                out.append(f"- ➕ `{e.source}` —{e.label}→ `{e.new_target}`")
            elif e.status == "removed":
                out.append(f"- ➖ `{e.source}` —{e.label}→ `{e.old_target}`")
            else:
                out.append(f"- 🔀 `{e.source}` —{e.label}→ `{e.new_target}` (was `{e.old_target}`)")
        out.append("")
    if d.header:
        out += ["#### Header", "", *_change_rows(d.header), ""]
    return "\n".join(out).rstrip() + "\n"


def _summary(d: FlowDiff, node: str) -> str:
    flow = d.new_flow
    if flow is None or node not in flow.nodes:
        return ""
    from flowc.analysis.prompts import main_prompts, prompt_text

    prompts = main_prompts(flow.nodes[node])
    if not prompts:
        return ""
    text = prompt_text(flow, prompts[0], flow.default_locale)
    return f": “{_value(text, 80)}”" if text else ""


def to_text(d: FlowDiff) -> str:
    out = [f"flowc diff {d.name} ({_where(d)})"]
    if d.empty:
        out.append("  no semantic changes")
        return "\n".join(out) + "\n"
    out.append(f"  {headline(d)}")
    for r in d.reach:
        out.append(f"  {_REACH_ICON.get(r.kind, ' ')} {r.message.replace('`', '')}")
    for n in d.added:
        out.append(f"  + {n} ({d.kinds.get(n)})")
    for n in d.removed:
        out.append(f"  - {n} ({d.kinds.get(n)})")
    for a, b in d.renamed:
        out.append(f"  R {a} -> {b}")
    for c in d.changed:
        kind = f"{c.old_kind} -> {c.kind}" if c.old_kind else c.kind
        out.append(f"  ~ {c.node} ({kind})")
        for ch in c.changes:
            old, new = _shown(ch.path, ch.old), _shown(ch.path, ch.new)
            out.append(f"      {ch.path}: {_value(old, 100)} -> {_value(new, 100)}")
    for e in d.rewired():
        sign = {"added": "+", "removed": "-", "retargeted": "~"}[e.status]
        target = e.new_target if e.new_target is not None else e.old_target
        was = f" (was {e.old_target})" if e.status == "retargeted" else ""
        out.append(f"  {sign} edge {e.source} --{e.label}--> {target}{was}")
    for h in d.header:
        out.append(f"  ~ header {h.path}: {_value(h.old, 100)} -> {_value(h.new, 100)}")
    return "\n".join(out) + "\n"


def to_json(diffs: Sequence[FlowDiff]) -> str:
    data: Any = [d.to_json() for d in diffs]
    return json.dumps(data[0] if len(data) == 1 else data, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- the drawing


def diff_graph(
    d: FlowDiff,
    old_doc: SourceDoc | None = None,
    new_doc: SourceDoc | None = None,
    *,
    context: int = 1,
) -> tuple[nx.MultiDiGraph, DrawOptions]:
    """One graph holding both versions (new names; removed nodes from the old version) and
    how to colour it: added green, removed red, changed amber, unchanged grey, and only the
    neighbourhood (`context` steps) of what changed."""
    renames = dict(d.renamed)
    if d.new_flow is not None:
        g = build_graph(d.new_flow, new_doc)
    else:
        g = nx.MultiDiGraph(name=d.name, entry=None, file=d.old_file, locales=[], modules={})
    og = build_graph(d.old_flow, old_doc) if d.old_flow is not None else nx.MultiDiGraph()
    if not g.graph.get("locales") and d.old_flow is not None:
        g.graph.update(og.graph)
    for n in d.removed:
        if n in og:
            g.add_node(n, **og.nodes[n])
    new_edges = {(u, v, str(x["label"])) for u, v, x in g.edges(data=True)}
    old_edges: set[tuple[str, str, str]] = set()
    for u, v, x in og.edges(data=True):
        key = (renames.get(u, u), renames.get(v, v), str(x["label"]))
        old_edges.add(key)
        if key not in new_edges and key[0] in g and key[1] in g:
            g.add_edge(key[0], key[1], **x)
    status: dict[str, str] = {n: "unchanged" for n in g.nodes}
    status.update({n: "added" for n in d.added})
    status.update({n: "removed" for n in d.removed})
    status.update({c.node: "changed" for c in d.changed})
    status.update({b: "renamed" for _, b in d.renamed})
    notes: dict[str, str] = {b: f"renamed from {a}" for a, b in d.renamed}
    for r in d.reach:
        if r.node in g:
            notes[r.node] = (notes.get(r.node, "") + "; " if r.node in notes else "") + (
                r.message.replace("`", "")
            )
    edge_status: dict[tuple[str, str, str], str] = {}
    for key in new_edges | old_edges:
        if key in new_edges and key in old_edges:
            edge_status[key] = "unchanged"
        else:
            edge_status[key] = "added" if key in new_edges else "removed"
    focus = {n for n, s in status.items() if s != "unchanged"} | set(notes)
    for (u, _, _), st in edge_status.items():
        if st != "unchanged":
            focus.add(u)  # its targets are its neighbours: drawn anyway
    visible: set[str] = set()
    for n in focus:
        if n in g:
            visible |= neighbourhood(g, n, context)
    if not focus:
        visible = set(g.nodes)
    title = f"diff {d.name}: {headline(d)}"
    opts = DrawOptions(
        title=title,
        visible=visible,
        node_status=status,
        node_notes=notes,
        edge_status=edge_status,
        more_label="unchanged",
    )
    return g, opts


def changed_locale(d: FlowDiff) -> str | None:
    """The first locale whose prompt text changed: the drawing shows that text."""
    for c in d.changed:
        for a in c.changes:
            m = _LOCALE_RE.search(a.path)
            if m:
                return m.group(1)
    return None


def diff_dot(
    d: FlowDiff,
    old_doc: SourceDoc | None = None,
    new_doc: SourceDoc | None = None,
    *,
    locale: str | None = None,
    context: int = 1,
    traffic: Traffic | None = None,
) -> graphviz.Digraph:
    """The diff drawn; with `traffic` (recorded on the old version) the drawing carries the
    calls on each node and edge, edges as wide as their traffic."""
    g, opts = diff_graph(d, old_doc, new_doc, context=context)
    opts.locale = locale or changed_locale(d)
    if traffic is not None:
        opts.traffic = traffic.renamed(dict(d.renamed))
    return flow_dot(g, opts)
