"""Which fields of a look-up answer a flow reads: `result.a.b` names in its expressions.

The journal keeps only those fields of each answer (the rest is never needed to replay the
call, and may be personal data), and masks the ones assigned to sensitive variables.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import Any

from flowc.interpreter.program import FetchN, Program
from flowc.lang.expr.ast import Name, walk
from flowc.lang.expr.ast import Node as ExprNode
from flowc.lang.template import Template

RESULT = "result"
_cache: dict[int, tuple[Program, frozenset[tuple[str, ...]]]] = {}
_sensitive_cache: dict[int, tuple[Program, frozenset[tuple[str, ...]]]] = {}


def _programs(program: Program) -> list[Program]:
    seen: dict[int, Program] = {}
    todo = [program]
    while todo:
        p = todo.pop()
        if id(p) in seen:
            continue
        seen[id(p)] = p
        todo.extend(p.modules.values())
    return list(seen.values())


def _names(value: Any, out: set[str], depth: int = 0) -> None:
    """Every dotted name in the expressions and templates inside `value` (a node)."""
    if depth > 12 or value is None or isinstance(value, str | int | float | bool):
        return
    if isinstance(value, Template):
        for hole in value.holes:
            _names(hole.expr, out, depth + 1)
        return
    if isinstance(value, ExprNode):
        for node in walk(value):  # type: ignore[arg-type]
            if isinstance(node, Name):
                out.add(node.name)
        return
    if isinstance(value, Mapping):
        for v in value.values():
            _names(v, out, depth + 1)
        return
    if isinstance(value, list | tuple | frozenset | set):
        for v in value:
            _names(v, out, depth + 1)
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _names(getattr(value, f.name, None), out, depth + 1)
        return
    slots = getattr(type(value), "__slots__", ())
    for name in slots if isinstance(slots, tuple) else ():
        _names(getattr(value, name, None), out, depth + 1)


def _path(name: str) -> tuple[str, ...] | None:
    parts = name.split(".")
    if parts[0] != RESULT:
        return None
    return tuple(parts[1:])


def read_paths(program: Program) -> frozenset[tuple[str, ...]]:
    """The paths under `result` the flow (and its subflows) read; `()` means the whole
    answer (a bare `result`)."""
    hit = _cache.get(id(program))
    if hit is not None and hit[0] is program:
        return hit[1]
    names: set[str] = set()
    for p in _programs(program):
        for node in p.nodes.values():
            _names(node, names)
    paths = frozenset(path for path in map(_path, names) if path is not None)
    _cache[id(program)] = (program, paths)
    return paths


def sensitive_paths(program: Program) -> frozenset[tuple[str, ...]]:
    """Paths under `result` assigned (by a fetch's `set`) to a sensitive variable."""
    hit = _sensitive_cache.get(id(program))
    if hit is not None and hit[0] is program:
        return hit[1]
    out: set[tuple[str, ...]] = set()
    for p in _programs(program):
        for node in p.nodes.values():
            if not isinstance(node, FetchN):
                continue
            for name, template, _roots in node.set:
                if name not in p.sensitive:
                    continue
                names: set[str] = set()
                _names(template, names)
                out.update(path for path in map(_path, names) if path is not None)
    paths = frozenset(out)
    _sensitive_cache[id(program)] = (program, paths)
    return paths


MASK = "****"


def prune(body: Any, paths: frozenset[tuple[str, ...]], masked: frozenset[tuple[str, ...]]) -> Any:
    """`body` cut to `paths` (a subtree is kept whole below a path), with `masked` paths
    replaced by "****". A bare `result` read keeps the whole answer (still masked)."""
    if () in masked:
        return MASK if body is not None else None
    keep = body if () in paths else _keep(body, paths)
    # A copy before masking: `body` is the answer the call itself is using.
    return _mask(copy.deepcopy(keep), masked) if masked else keep


def _keep(body: Any, paths: frozenset[tuple[str, ...]]) -> Any:
    if not isinstance(body, Mapping):
        return None
    out: dict[str, Any] = {}
    for path in sorted(paths):
        if not path:
            continue
        src: Any = body
        ok = True
        for key in path[:-1]:
            if not isinstance(src, Mapping) or key not in src:
                ok = False
                break
            src = src[key]
        if not ok or not isinstance(src, Mapping) or path[-1] not in src:
            continue
        dst = out
        for key in path[:-1]:
            nxt = dst.get(key)
            if not isinstance(nxt, dict):
                nxt = {}
                dst[key] = nxt
            dst = nxt
        dst[path[-1]] = src[path[-1]]
    return out


def _mask(body: Any, masked: frozenset[tuple[str, ...]]) -> Any:
    for path in masked:
        if not path:
            continue
        node = body
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and path[-1] in node and node[path[-1]] is not None:
            node[path[-1]] = MASK
    return body
