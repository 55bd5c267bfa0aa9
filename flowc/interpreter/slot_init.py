"""A cheaper `__init__` for the interpreter's frozen, slotted dataclasses.

A frozen dataclass's generated `__init__` stores each field with `object.__setattr__(self,
name, value)`, a look-up of the name through the class's MRO per field; a call builds some
sixty commands, events and trace steps, so that was a fifth of a replayed call's time.

`slot_init` swaps in an `__init__` with the same parameters (order, defaults, factories,
keyword-only fields) that stores each field through its slot's descriptor directly. The
class stays what it was: frozen (assignment raises), the same equality, hash, repr,
`__match_args__`, copying and pickling; only construction is cheaper.
"""

from __future__ import annotations

import dataclasses
import types
from typing import Any, TypeVar

T = TypeVar("T")


def slot_init(cls: type[T]) -> type[T]:
    """`cls` (a frozen dataclass with `slots=True`, no `__post_init__`) with its `__init__`
    replaced; TypeError for a class it does not fit."""
    if (
        not dataclasses.is_dataclass(cls)
        or not getattr(cls, "__dataclass_params__").frozen  # noqa: B009
        or "__slots__" not in cls.__dict__
        or hasattr(cls, "__post_init__")
    ):
        raise TypeError(f"{cls.__name__}: not a frozen slotted dataclass without __post_init__")
    fields = dataclasses.fields(cls)  # InitVars need a __post_init__: refused above
    ns: dict[str, Any] = {"_MISSING": dataclasses.MISSING}
    positional: list[str] = []
    keyword: list[str] = []
    prepare: list[str] = []  # factory defaults
    stores: list[str] = []  # through the slots' descriptors
    for i, f in enumerate(fields):
        ns[f"_set{i}"] = _slot(cls, f.name).__set__
        has_default = f.default is not dataclasses.MISSING
        has_factory = f.default_factory is not dataclasses.MISSING
        if has_default:
            ns[f"_default{i}"] = f.default
        if has_factory:
            ns[f"_factory{i}"] = f.default_factory
        value = f.name
        if not f.init:
            if has_factory:
                value = f"_factory{i}()"
            elif has_default:
                value = f"_default{i}"
            else:
                continue
        elif has_factory:
            (keyword if f.kw_only else positional).append(f"{f.name}=_MISSING")
            prepare.append(f"    if {f.name} is _MISSING: {f.name} = _factory{i}()")
        else:
            default = f"=_default{i}" if has_default else ""
            (keyword if f.kw_only else positional).append(f"{f.name}{default}")
        stores.append(f"    _set{i}(self, {value})")
    signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    lines = [f"def __init__({signature}):", *prepare, *(stores or ["    pass"])]
    source = "\n".join([*lines, ""])
    exec(source, ns)  # built from the class's own field names, as dataclasses does
    init = ns["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    setattr(cls, "__init__", init)  # noqa: B010 - a method assignment mypy refuses
    return cls


def _slot(cls: type, name: str) -> types.MemberDescriptorType:
    for klass in cls.__mro__:
        found = klass.__dict__.get(name)
        if found is not None:
            if isinstance(found, types.MemberDescriptorType):
                return found
            break
    raise TypeError(f"{cls.__name__}.{name} is not a slot")
