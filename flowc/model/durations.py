"""Which model fields hold durations (kept as milliseconds in the IR), found from the types.

Readers of the IR (diffs, summaries) show these as `10m`/`5s`/`1500ms`, as authors write them.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from functools import cache

from pydantic import BaseModel

from flowc.model import nodes
from flowc.model.flow import Flow
from flowc.model.values import parse_duration_ms


def _is_duration(tp: object) -> bool:
    if typing.get_origin(tp) is typing.Annotated:
        meta = getattr(tp, "__metadata__", ())
        return any(getattr(m, "func", None) is parse_duration_ms for m in meta)
    return any(_is_duration(a) for a in typing.get_args(tp))


def _models(tp: object) -> Iterator[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        yield tp
    for a in typing.get_args(tp):
        yield from _models(a)


@cache
def duration_field_names() -> frozenset[str]:
    """Names of every field, in the flow header and any node kind, whose type is `Duration`."""
    out: set[str] = set()
    seen: set[type[BaseModel]] = set()
    todo: list[type[BaseModel]] = [Flow, nodes._NodeBase]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        todo.extend(cls.__subclasses__())
        for name, f in cls.model_fields.items():
            if _is_duration(f.annotation) or any(
                getattr(m, "func", None) is parse_duration_ms for m in f.metadata
            ):
                out.add(name)
            todo.extend(_models(f.annotation))
    return frozenset(out)
