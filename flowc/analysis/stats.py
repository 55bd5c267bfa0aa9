"""Numbers reviewers ask about a call flow, computed on its call graph.

* `max_menu_depth`: the deepest menu callers can reach, counting menus on the shortest path
  from the entry (the menu itself included), as FL303 counts them.
* `agent_presses`: the fewest phone keys a caller presses to reach a person (a `queue` or a
  `transfer`) from the entry: one per menu choice, the digits (and terminator) a `collect`
  needs, and the keys pressed inside subflow modules. Routes that need something to fail
  (`on_fail`, `on_error`, `on_timeout`, `on_no_agent`) do not count: a caller cannot choose
  them. Conditions and opening hours may go either way.
* `seconds_to_agent[locale]`: the fewest seconds of prompts a caller hears before reaching a
  person, listening to every prompt once in full. `worst_seconds_to_agent[locale]`: the same
  route search when every menu and `collect` on the way needs all its retries (its prompt
  `retries` times, plus the re-prompts between). A route through `on_fail` costs the full
  retries either way. Prompt lengths are estimated (`flowc.analysis.prompts`). Adaptive menus
  (options with `when`): the best case hears only the options offered to everyone and may
  take a conditional option; the worst case hears every key's longest alternative (the
  largest set of options the menu can offer) and is a caller no conditional option is
  offered to.
* `no_person_ends`: where calls end without ever reaching a person (hang-ups, voicemail,
  dead ends...), each with the shortest such path from the entry.
* `self_service_ends`: hang-ups reached without a person after the caller was told something:
  a `play` that reads out call data (a `say` part or an `{expr}` hole) or that the caller chose
  from a menu, or a hang-up prompt that reads out data.
* `cycles`: strongly connected groups of nodes (loops back to a menu and so on), with whether
  the loop waits for the caller (a loop that does not is a busy loop).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from flowc.analysis.edgegraph import EdgeGraph
from flowc.analysis.graph import PERSON_KINDS, build_edge_graph, build_graph
from flowc.analysis.prompts import PromptTimer, has_data, main_prompts, retry_prompts
from flowc.model.flow import Flow
from flowc.model.nodes import (
    INPUT_KINDS,
    CollectNode,
    HangupNode,
    Node,
    PlayNode,
    SubflowNode,
)
from flowc.model.prompts import Prompt

if TYPE_CHECKING:
    import networkx as nx

ENDING_KINDS = frozenset({"hangup", "voicemail", "return"})
_ENDS_WITHOUT_NEXT = frozenset({"record", "callback", "survey"})


@dataclass
class Route:
    """A path through the flow with what each step costs (presses or seconds)."""

    nodes: list[str]
    costs: list[float]

    @property
    def total(self) -> float:
        return sum(self.costs)


@dataclass
class EndPath:
    node: str
    kind: str
    path: list[str]


@dataclass
class Cycle:
    nodes: list[str]
    waits_for_input: bool


@dataclass
class FlowStats:
    flow: str
    file: str
    nodes: int
    reachable: int
    menus: int
    locales: list[str]
    max_menu_depth: int
    deepest_menu: str | None
    agent_presses: int | None
    agent_press_route: list[str]
    seconds_to_agent: dict[str, float | None]
    worst_seconds_to_agent: dict[str, float | None]
    agent_routes: dict[str, Route | None] = field(default_factory=dict)
    worst_agent_routes: dict[str, Route | None] = field(default_factory=dict)
    no_person_ends: list[EndPath] = field(default_factory=list)
    self_service_ends: list[str] = field(default_factory=list)
    cycles: list[Cycle] = field(default_factory=list)
    estimated_audio: list[str] = field(default_factory=list)
    # the same flow in its other form (`bank.flow` beside `bank.yaml`), listed once
    also_files: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("agent_routes", "worst_agent_routes"):
            out[key] = {
                loc: None
                if r is None
                else {"nodes": r.nodes, "seconds": [round(c, 1) for c in r.costs]}
                for loc, r in getattr(self, key).items()
            }
        for key in ("seconds_to_agent", "worst_seconds_to_agent"):
            out[key] = {loc: None if v is None else round(v, 1) for loc, v in out[key].items()}
        return out


# --------------------------------------------------------------------------- primitives


# Nodes whose branch the caller does not choose: data, conditions and the clock decide.
ENV_KINDS = frozenset({"switch", "hours", "fetch"})

CostFn = Callable[[str, str, dict[str, Any]], float | None]


def _edge_data(g: nx.MultiDiGraph, u: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for _, v, data in g.out_edges(u, data=True):
        yield v, data


def shortest_route(
    g: nx.MultiDiGraph | EdgeGraph,
    start: str,
    is_target: Callable[[str], bool],
    cost: CostFn,
    final: Callable[[str], float] = lambda _n: 0.0,
    env: Callable[[str], bool] = lambda _n: False,
) -> Route | None:
    """The cheapest way from `start` to a target, as a game: the caller picks the cheapest
    continuation at its own nodes, the world (`env(n)` true: conditions, opening hours,
    look-ups) the dearest one among those that can still reach a target. Backward Dijkstra
    (non-negative costs); when the world can keep the caller from every target (a loop it
    controls), the cheapest cooperative route is returned instead.

    `cost(u, v, edge)` is what leaving `u` along the edge costs (None: the edge is not
    usable); `final(t)` what the target itself adds. Targets are not walked through. The
    route is the path the two choices make; ties go to the edge written first."""
    if start not in g:
        return None
    succ: dict[str, list[tuple[str, float]]] = {}
    pred: dict[str, list[tuple[str, float, int]]] = {}
    targets: list[str] = []
    seen = {start}
    todo = [start]
    out_edges = g.edge_data if isinstance(g, EdgeGraph) else partial(_edge_data, g)
    while todo:
        u = todo.pop()
        if is_target(u):
            targets.append(u)
            succ[u] = []
            continue
        out: list[tuple[str, float]] = []
        for v, data in out_edges(u):
            if data.get("dangling") or data["kind"] in ("call", "return"):
                continue
            c = cost(u, v, data)
            if c is None:
                continue
            if v in pred:
                pred[v].append((u, c, len(out)))
            else:
                pred[v] = [(u, c, len(out))]
            out.append((v, c))
            if v not in seen:
                seen.add(v)
                todo.append(v)
        succ[u] = out
    if not targets:
        return None
    # Nodes that can reach a target at all: the world only picks among these.
    alive = set(targets)
    stack = list(targets)
    while stack:
        v = stack.pop()
        for u, _, _ in pred.get(v, ()):
            if u not in alive:
                alive.add(u)
                stack.append(u)
    if start not in alive:
        return None
    target_set = set(targets)
    for cooperative in (False, True):
        value: dict[str, float] = {}
        choice: dict[str, tuple[str, float]] = {}
        left = {
            u: sum(1 for v, _ in out if v in alive)
            for u, out in succ.items()
            if not cooperative and env(u)
        }
        worst: dict[str, tuple[float, int, str, float]] = {}
        tentative: dict[str, tuple[float, int]] = {}
        heap: list[tuple[float, int, str]] = []
        for t in targets:
            heapq.heappush(heap, (final(t), 0, t))
        while heap:
            val, _, w = heapq.heappop(heap)
            if w in value:
                continue
            value[w] = val
            if w == start:
                break
            for u, c, idx in pred.get(w, ()):
                if u in value or u in target_set:
                    continue
                cand = c + val
                if u in left:
                    prev = worst.get(u)
                    if prev is None or (cand, -idx) > (prev[0], -prev[1]):
                        worst[u] = (cand, idx, w, c)
                    left[u] -= 1
                    if left[u] == 0:
                        heapq.heappush(heap, (worst[u][0], worst[u][1], u))
                        choice[u] = (worst[u][2], worst[u][3])
                    continue
                best = tentative.get(u)
                if best is None or (cand, idx) < best:
                    tentative[u] = (cand, idx)
                    choice[u] = (w, c)
                    heapq.heappush(heap, (cand, idx, u))
        if start not in value:
            continue
        nodes = [start]
        costs: list[float] = []
        while not is_target(nodes[-1]):
            nxt, c = choice[nodes[-1]]
            nodes.append(nxt)
            costs.append(c)
            if len(nodes) > len(succ) + 1:  # defensive: a choice cycle cannot happen
                return None
        costs.append(final(nodes[-1]))
        # costs[i] is what leaving nodes[i] cost; the last entry is what the target adds.
        return Route(nodes, costs)
    return None


def menu_depths(
    flow: Flow, successors: Callable[[str], Iterable[str]]
) -> tuple[dict[str, int], dict[str, str | None]]:
    """Menus on the shortest path from the entry (0-1 BFS): depth and BFS parent of every
    reachable node of the flow; a menu counts itself. `successors` gives a node's targets
    (graph edges or the lint context's table); targets outside the flow are skipped."""
    entry = flow.entry
    nodes = flow.nodes
    if entry is None or entry not in nodes:
        return {}, {}
    weight = {n: 1 if node.kind == "menu" else 0 for n, node in nodes.items()}
    depth: dict[str, int] = {entry: weight[entry]}
    parent: dict[str, str | None] = {entry: None}
    todo: deque[str] = deque([entry])
    while todo:
        u = todo.popleft()
        for v in successors(u):
            if v not in nodes:
                continue
            nd = depth[u] + weight[v]
            if v not in depth or nd < depth[v]:
                depth[v] = nd
                parent[v] = u
                if weight[v]:
                    todo.append(v)
                else:
                    todo.appendleft(v)
    return depth, parent


# --------------------------------------------------------------------------- per-node costs


def _collect_presses(node: CollectNode) -> int:
    c = node.collect
    digits = max(int(c.min), 1)
    return digits + (1 if c.terminator and c.min < c.max else 0)


@dataclass
class _Costs:
    """Seconds heard at each node, per locale, once and in the worst case."""

    flow: Flow
    timer: PromptTimer
    locale: str
    worst_case: bool = True  # adaptive menus: the most options offered, else the fewest
    # id(node) -> (node, worst-case seconds): worst() is asked for again by failed()
    _worst: dict[int, tuple[Node, float]] = field(default_factory=dict)

    def once(self, node: Node) -> float:
        return self.timer.total(main_prompts(node), self.locale) + self.offered(node)

    def offered(self, node: Node) -> float:
        """An adaptive menu's fragments over the sets of options it may offer. Worst case:
        every key's longest alternative (alternatives on one key are for audiences that
        exclude each other, FL309); best case: only the options offered to everyone."""
        menu = getattr(node, "menu", None)
        if menu is None or not menu.adaptive:
            return 0.0
        longest: dict[str, float] = {}
        for opt in menu.entries():
            if opt.when is not None and not self.worst_case:
                continue
            seconds = self.timer.seconds(opt.say, self.locale)
            longest[opt.key] = max(longest.get(opt.key, 0.0), seconds)
        return sum(longest.values())

    def _reprompts(self, steps: list[tuple[Prompt | None, Prompt | None]]) -> float:
        seconds, locale = self.timer.seconds, self.locale
        return sum(max(seconds(ni, locale), seconds(nm, locale)) for ni, nm in steps)

    def worst(self, node: Node) -> float:
        if node.kind not in ("menu", "collect"):
            return self.once(node)
        known = self._worst.get(id(node))
        if known is not None:
            return known[1]
        retries, steps = retry_prompts(node)
        secs = retries * self.once(node) + self._reprompts(steps[: retries - 1])
        self._worst[id(node)] = (node, secs)
        return secs

    def failed(self, node: Node) -> float:
        # Every attempt fails; the last failure goes straight on (no re-prompt).
        return self.worst(node)


def _language_of(flow: Flow, locale: str) -> str:
    return locale if locale in flow.locales else flow.default_locale


# --------------------------------------------------------------------------- the analysis


def _module_of(flow: Flow, node: Node, modules: Mapping[str, Flow | None]) -> Flow | None:
    if not isinstance(node, SubflowNode):
        return None
    return modules.get(node.subflow)


def _is_target_fn(flow: Flow, kinds: frozenset[str]) -> Callable[[str], bool]:
    nodes = flow.nodes
    return lambda n: n in nodes and nodes[n].kind in kinds


def _env_fn(flow: Flow) -> Callable[[str], bool]:
    nodes = flow.nodes
    return lambda n: n in nodes and nodes[n].kind in ENV_KINDS


def presses_route(
    flow: Flow,
    g: nx.MultiDiGraph | EdgeGraph,
    modules: Mapping[str, Flow | None],
    target_kinds: frozenset[str] = PERSON_KINDS,
    depth: int = 0,
) -> Route | None:
    """The route with the fewest key presses from the entry to a node of `target_kinds`."""
    nodes = flow.nodes
    sub_cost: dict[str, float | None] = {}

    def cost(u: str, _v: str, e: dict[str, Any]) -> float | None:
        if e.get("failure") or e["kind"] == "speech":
            return None
        node = nodes[u]
        if e["kind"] in ("key", "agent_key"):
            return 1.0
        if isinstance(node, CollectNode) and e["field"] == "next":
            return float(_collect_presses(node))
        if node.kind == "subflow":
            if u not in sub_cost:
                sub_cost[u] = _module_cost(flow, node, modules, depth, None)
            return sub_cost[u]
        return 0.0

    if flow.entry is None:
        return None
    return shortest_route(g, flow.entry, _is_target_fn(flow, target_kinds), cost, env=_env_fn(flow))


def seconds_route(
    flow: Flow,
    g: nx.MultiDiGraph | EdgeGraph,
    modules: Mapping[str, Flow | None],
    locale: str,
    *,
    worst: bool,
    timer: PromptTimer | None = None,
    target_kinds: frozenset[str] = PERSON_KINDS,
    depth: int = 0,
) -> Route | None:
    """The route with the fewest seconds of prompts from the entry to a `target_kinds` node."""
    nodes = flow.nodes
    costs = _Costs(flow, timer or PromptTimer(flow), _language_of(flow, locale), worst)
    cache: dict[tuple[str, bool], float | None] = {}

    def cost(u: str, _v: str, e: dict[str, Any]) -> float | None:
        if worst and e.get("when") is not None:
            return None  # the worst case is a caller this option is not offered to
        node = nodes[u]
        failing = e["field"] in ("menu.on_fail", "collect.on_fail")
        key = (u, failing)
        if key not in cache:
            if failing:
                cache[key] = costs.failed(node)
            elif node.kind == "subflow":
                inner = _module_cost(flow, node, modules, depth, (locale, worst))
                cache[key] = None if inner is None else costs.once(node) + inner
            else:
                cache[key] = costs.worst(node) if worst else costs.once(node)
        return cache[key]

    def final(n: str) -> float:
        return costs.once(nodes[n]) if nodes[n].kind == "transfer" else 0.0

    if flow.entry is None:
        return None
    return shortest_route(
        g, flow.entry, _is_target_fn(flow, target_kinds), cost, final, _env_fn(flow)
    )


def _module_cost(
    flow: Flow,
    node: Node,
    modules: Mapping[str, Flow | None],
    depth: int,
    seconds: tuple[str, bool] | None,
) -> float | None:
    """Presses (seconds=None) or seconds of prompts from a module's entry to its quickest
    `return`; 0 when the module is not loaded (unknown), None when it never returns."""
    mod = _module_of(flow, node, modules)
    if mod is None or depth > 4:
        return 0.0
    mg = build_edge_graph(mod)
    returns = frozenset({"return"})
    if seconds is None:
        route = presses_route(mod, mg, modules, returns, depth + 1)
    else:
        route = seconds_route(
            mod, mg, modules, seconds[0], worst=seconds[1], target_kinds=returns, depth=depth + 1
        )
    return None if route is None else route.total


def _ends_without_person(flow: Flow, g: nx.MultiDiGraph) -> tuple[list[EndPath], list[str]]:
    """Endings reachable without passing a person, and the self-service ones among them."""
    nodes = flow.nodes
    entry = flow.entry
    if entry is None or entry not in nodes:
        return [], []
    data_plays = {
        n for n, node in nodes.items() if isinstance(node, PlayNode) and has_data(flow, node.play)
    }
    # State: (node, served) with served 0: not told anything yet, 1: told something, 2: told
    # something and then one menu ("anything else?"). A second menu after being told
    # something starts over: the caller went on to something else.
    start = (entry, 1 if entry in data_plays else 0)
    parent: dict[tuple[str, int], tuple[str, int] | None] = {start: None}
    todo: deque[tuple[str, int]] = deque([start])
    while todo:
        u, served = todo.popleft()
        if nodes[u].kind in PERSON_KINDS:
            continue
        for _, v, e in g.out_edges(u, data=True):
            if v not in nodes:
                continue
            vk = nodes[v].kind
            chosen = e["kind"] in ("key", "speech", "agent_key")
            s = served
            if vk == "menu" and s:
                s = (s + 1) % 3
            if v in data_plays or (chosen and vk == "play"):
                s = 1
            target = nodes[v]
            if isinstance(target, HangupNode) and has_data(flow, target.prompt):
                s = 1
            state = (v, s)
            if state not in parent:
                parent[state] = (u, served)
                todo.append(state)

    def path_to(state: tuple[str, int]) -> list[str]:
        out: list[str] = []
        cur: tuple[str, int] | None = state
        while cur is not None:
            out.append(cur[0])
            cur = parent[cur]
        return out[::-1]

    ends: dict[str, EndPath] = {}
    served_ends: set[str] = set()
    order = {n: i for i, n in enumerate(nodes)}
    # BFS order: the first state found per node has the shortest path.
    for state in parent:
        n, served = state
        node = nodes[n]
        kind = node.kind
        if kind in PERSON_KINDS:
            continue
        succ = [v for v in g.successors(n) if v in nodes]
        ends_call = kind in ENDING_KINDS or (
            kind in _ENDS_WITHOUT_NEXT and getattr(node, "next", None) is None
        )
        if not ends_call and succ:
            continue
        if n not in ends:
            ends[n] = EndPath(n, kind if ends_call else "dead end", path_to(state))
        if served and kind == "hangup":
            served_ends.add(n)
    out = sorted(ends.values(), key=lambda e: order[e.node])
    return out, sorted(served_ends, key=order.__getitem__)


def _cycles(flow: Flow, g: nx.MultiDiGraph) -> list[Cycle]:
    import networkx as nx

    nodes = flow.nodes
    order = {n: i for i, n in enumerate(nodes)}
    # A plain digraph of the flow's own nodes (subgraph views are slow on big flows).
    sub = nx.DiGraph()
    sub.add_nodes_from(nodes)
    sub.add_edges_from((u, v) for u, v in g.edges() if u in nodes and v in nodes)
    out: list[Cycle] = []
    for comp in nx.strongly_connected_components(sub):
        members = sorted(comp, key=order.__getitem__)
        if len(members) == 1 and not sub.has_edge(members[0], members[0]):
            continue
        waits = any(nodes[n].kind in INPUT_KINDS for n in members)
        out.append(Cycle(members, waits))
    out.sort(key=lambda c: order[c.nodes[0]])
    return out


def flow_stats(
    flow: Flow,
    modules: Mapping[str, Flow | None] | None = None,
    *,
    graph: nx.MultiDiGraph | None = None,
    sound_dirs: Sequence[str] = ("sounds", "."),
) -> FlowStats:
    """All the numbers for one flow (subflow modules, when given, count their prompts and
    key presses between the call and the quickest return)."""
    import networkx as nx

    mods = modules or {}
    g = graph if graph is not None else build_graph(flow)
    nodes = flow.nodes
    reach: set[str] = set()
    if flow.entry in nodes:
        reach = {n for n in nx.descendants(g, flow.entry) if n in nodes} | {flow.entry}
    depth, _ = menu_depths(flow, g.successors)
    menus = [n for n in depth if nodes[n].kind == "menu"]
    deepest = max(menus, key=lambda n: depth[n], default=None)
    presses = presses_route(flow, g, mods)
    timer = PromptTimer(flow, sound_dirs)
    best: dict[str, Route | None] = {}
    worst: dict[str, Route | None] = {}
    for loc in flow.locales:
        best[loc] = seconds_route(flow, g, mods, loc, worst=False, timer=timer)
        worst[loc] = seconds_route(flow, g, mods, loc, worst=True, timer=timer)
    ends, served = _ends_without_person(flow, g)
    return FlowStats(
        flow=flow.name,
        file=flow.file,
        nodes=len(nodes),
        reachable=len(reach),
        menus=sum(1 for n in nodes.values() if n.kind == "menu"),
        locales=list(flow.locales),
        max_menu_depth=depth[deepest] if deepest is not None else 0,
        deepest_menu=deepest,
        agent_presses=None if presses is None else int(presses.total),
        agent_press_route=[] if presses is None else presses.nodes,
        seconds_to_agent={loc: None if r is None else r.total for loc, r in best.items()},
        worst_seconds_to_agent={loc: None if r is None else r.total for loc, r in worst.items()},
        agent_routes=best,
        worst_agent_routes=worst,
        no_person_ends=ends,
        self_service_ends=served,
        cycles=_cycles(flow, g),
        estimated_audio=sorted(timer.estimated_audio),
    )
