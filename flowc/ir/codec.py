"""JSON <-> IR classes, driven by the classes' own field declarations.

Each IR class is a frozen dataclass whose fields, in order, are the keys of its JSON form: a
field is declared once and both directions follow from its type (str, int, bool, Literal,
`X | None`, `tuple[X, ...]`, `Mapping[str, X]`, another IR class, or `Any` for plain JSON).
Field metadata may rename the key (`{"json": "if"}`), leave it out while it holds a value
(`omitted(False)`) or give a custom reader (`{"read": fn}`).

Reading is lenient where the writer is not the compiler (hand-written IR in tests, old
bundles): a missing key takes the field's default. A value of the wrong type raises `IRError`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Literal, TypeVar, Union

T = TypeVar("T")
EMPTY: Mapping[str, Any] = MappingProxyType({})

Reader = Callable[[Any], Any]
Writer = Callable[[Any], Any]


class IRError(ValueError):
    """JSON that is not the IR it claims to be."""


_MISSING = dataclasses.MISSING


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    attr: str
    key: str
    read: Reader
    write: Writer
    default: Any  # _MISSING when required
    omit: Any  # the value written by leaving the key out (_MISSING: always written)
    custom: bool  # a reader of its own, whose errors say where they are already
    nullable: bool  # None is a value of the field's type


_PLANS: dict[type, tuple[_Field, ...]] = {}


def _plan(cls: type) -> tuple[_Field, ...]:
    plan = _PLANS.get(cls)
    if plan is None:
        hints = typing.get_type_hints(cls, include_extras=False)
        out = []
        for f in dataclasses.fields(cls):
            tp = hints[f.name]
            default: Any = f.default
            factory: Any = f.default_factory
            if default is _MISSING and factory is not _MISSING:
                default = factory()
            out.append(
                _Field(
                    f.name,
                    f.metadata.get("json", f.name),
                    f.metadata.get("read") or reader(tp),
                    writer(tp),
                    default,
                    f.metadata.get("omit", _MISSING),
                    "read" in f.metadata,
                    tp is Any or type(None) in typing.get_args(tp),
                )
            )
        plan = _PLANS[cls] = tuple(out)
    return plan


def from_json(cls: type[T], raw: Any) -> T:
    """An instance of the IR class `cls` from its JSON form."""
    read = _READERS.get(cls)
    if read is None:
        read = _READERS[cls] = _class_reader(cls)
    result: T = read(raw)
    return result


_READERS: dict[type, Reader] = {}
_new = object.__new__
_set = object.__setattr__


class _Slow(Exception):
    """The fast reader met something other than the compiler's own output."""


def _class_reader(cls: type) -> Reader:
    """The reader of one IR class. Its fast path is generated code, one statement per field,
    for JSON as the compiler writes it (every key present, each value of its plain type); on
    anything else it hands over to the general reader, which applies defaults and says what
    is wrong. Instances are filled field by field as the frozen dataclass's `__init__` does."""
    plan = _plan(cls)
    slow = _general_reader(cls, plan)
    env: dict[str, Any] = {
        "cls": cls,
        "new": _new,
        "put": _set,
        "M": _MISSING,
        "Slow": _Slow,
        "IRError": IRError,
        "slow": slow,
    }
    lines = ["def read(raw):", "  try:", "    g = raw.get", "    obj = new(cls)"]
    for i, f in enumerate(plan):
        plain, nullable = _plain_of(f)
        lines.append(f"    v = g({f.key!r}, M)")
        lines.append("    if v is M: raise Slow")
        if plain is not None:
            env[f"t{i}"] = plain
            check = f"type(v) is not t{i}"
            lines.append(f"    if {check}{' and v is not None' if nullable else ''}: raise Slow")
        elif f.read is not _read_any:
            env[f"r{i}"] = f.read
            if f.nullable:
                lines.append(f"    if v is not None: v = r{i}(v)")
            else:
                lines.append("    if v is None: raise Slow")
                lines.append(f"    v = r{i}(v)")
        lines.append(f"    put(obj, {f.attr!r}, v)")
    lines += ["    return obj", "  except (Slow, IRError, AttributeError, TypeError):", "    pass"]
    lines.append("  return slow(raw)")
    exec("\n".join(lines), env)  # the same technique dataclasses use for __init__
    fast: Reader = env["read"]
    return fast


def _plain_of(f: _Field) -> tuple[type | None, bool]:
    """(the plain JSON type of a field's values, None allowed) for str/int/bool fields."""
    plain = _PLAIN_TYPES.get(f.read)
    if plain is not None:
        return plain, False
    return _OPTIONAL_PLAIN.get(f.read), f.nullable


def _general_reader(cls: type, plan: tuple[_Field, ...]) -> Reader:
    """Any JSON mapping: defaults for missing keys and nulls, errors that name the key."""
    name = cls.__name__

    def read(raw: Any) -> Any:
        if not isinstance(raw, Mapping):
            raise IRError(f"expected a mapping for {name}, got {type(raw).__name__}")
        obj: Any = _new(cls)
        for f in plan:
            value = raw.get(f.key, _MISSING)
            if value is _MISSING:
                if f.default is _MISSING:
                    raise IRError(f"`{f.key}` is missing")
                _set(obj, f.attr, f.default)
                continue
            if value is None and not f.nullable and f.default is not _MISSING:
                _set(obj, f.attr, f.default)  # null where null is no value: the default
                continue
            try:
                _set(obj, f.attr, f.read(value))
            except IRError as exc:
                if f.custom:
                    raise
                raise IRError(f"`{f.key}`: {exc}") from None
        return obj

    return read


def to_json(obj: Any) -> dict[str, Any]:
    """The JSON form of an IR instance (keys in field order, as the compiler writes them)."""
    out: dict[str, Any] = {}
    for f in _plan(type(obj)):
        value = getattr(obj, f.attr)
        if f.omit is not _MISSING and value == f.omit:
            continue
        out[f.key] = f.write(value)
    return out


# ------------------------------------------------------------------------------ readers


def _read_str(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    raise IRError(f"expected text, got {raw!r}")


def _read_int(raw: Any) -> int:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return int(raw)
    raise IRError(f"expected a number, got {raw!r}")


def _read_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    raise IRError(f"expected true or false, got {raw!r}")


def _read_any(raw: Any) -> Any:
    return raw


# Readers whose plain JSON type is the value itself (`type(v) is int` leaves out booleans).
_PLAIN_TYPES: dict[Reader, type] = {_read_str: str, _read_int: int, _read_bool: bool}
# Readers of `str | None` (and int, bool) fields -> the plain type.
_OPTIONAL_PLAIN: dict[Reader, type] = {}


def reader(tp: Any) -> Reader:
    """How to read JSON into a value of type `tp`."""
    if tp is str:
        return _read_str
    if tp is int:
        return _read_int
    if tp is bool:
        return _read_bool
    if tp is Any or tp is object:
        return _read_any
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        cls = tp

        def read_class(raw: Any) -> Any:
            return from_json(cls, raw)

        return read_class
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Literal:
        allowed = frozenset(args)

        def read_literal(raw: Any) -> Any:
            if raw in allowed and not isinstance(raw, bool):
                return raw
            raise IRError(f"{raw!r} is not one of {', '.join(map(repr, args))}")

        return read_literal
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            one = reader(inner[0])

            def read_optional(raw: Any) -> Any:
                return None if raw is None else one(raw)

            if one in _PLAIN_TYPES:
                _OPTIONAL_PLAIN[read_optional] = _PLAIN_TYPES[one]
            return read_optional
        return _union_reader(inner, type(None) in args)
    if origin is tuple:
        item = reader(args[0])
        plain_item = _PLAIN_TYPES.get(item)

        def read_tuple(raw: Any) -> tuple[Any, ...]:
            if not isinstance(raw, list | tuple):
                raise IRError(f"expected a list, got {raw!r}")
            if plain_item is not None and all(type(x) is plain_item for x in raw):
                return tuple(raw)
            return tuple([item(x) for x in raw])

        return read_tuple
    if origin in (Mapping, dict):
        value = reader(args[1])
        plain_value = _PLAIN_TYPES.get(value)

        def read_mapping(raw: Any) -> Mapping[str, Any]:
            if type(raw) is not dict and not isinstance(raw, Mapping):
                raise IRError(f"expected a mapping, got {raw!r}")
            if not raw:
                return EMPTY
            if plain_value is not None and all(type(v) is plain_value for v in raw.values()):
                return MappingProxyType({str(k): v for k, v in raw.items()})
            return MappingProxyType({str(k): value(v) for k, v in raw.items()})

        return read_mapping
    raise TypeError(f"no IR reader for {tp!r}")


def _union_reader(members: list[Any], nullable: bool) -> Reader:
    """Unions are told apart by the JSON value: a mapping is the IR class among the members
    (several IR classes by their `kind` field), a scalar the scalar type of its kind."""
    by_kind: dict[Any, type] = {}
    classes: list[type] = []
    scalars: list[tuple[type | tuple[type, ...], Reader]] = []
    read_list: Reader | None = None
    for m in members:
        if typing.get_origin(m) is tuple:
            read_list = reader(m)
        elif dataclasses.is_dataclass(m) and isinstance(m, type):
            classes.append(m)
            kind = getattr(m, "KIND", None)
            if kind is not None:
                by_kind[kind] = m
        elif m in (str, int, bool):
            scalars.append((bool if m is bool else (int, float) if m is int else str, reader(m)))
        else:
            raise TypeError(f"no IR reader for a union with {m!r}")
    if len(classes) > 1 and len(by_kind) != len(classes):
        raise TypeError(f"IR classes {classes!r} in one union need a `KIND` each")

    def read_union(raw: Any) -> Any:
        if raw is None and nullable:
            return None
        if isinstance(raw, Mapping) and classes:
            if len(classes) == 1:
                return from_json(classes[0], raw)
            cls = by_kind.get(raw.get("kind"))
            if cls is None:
                raise IRError(f"unknown kind {raw.get('kind')!r}")
            return from_json(cls, raw)
        if isinstance(raw, list | tuple) and read_list is not None:
            return read_list(raw)
        for json_type, read in scalars:
            if isinstance(raw, json_type) and (json_type is bool or not isinstance(raw, bool)):
                return read(raw)
        raise IRError(f"unexpected {raw!r}")

    return read_union


# ------------------------------------------------------------------------------ writers


def _write_plain(value: Any) -> Any:
    return value


def _write_ir(value: Any) -> Any:
    return None if value is None else to_json(value)


def _write_any(value: Any) -> Any:
    """A member of a union: an IR instance as its JSON form, a tuple as a list, a scalar as
    it is."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(value)
    if isinstance(value, tuple):
        return [_write_any(v) for v in value]
    return value


def writer(tp: Any) -> Writer:
    """How to write a value of type `tp` as JSON."""
    if tp in (str, int, bool) or tp is Any or tp is object:
        return _write_plain
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _write_ir
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Literal:
        return _write_plain
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            one = writer(inner[0])
            if one is _write_plain or one is _write_ir:
                return one
            return lambda value: None if value is None else one(value)
        return _write_any
    if origin is tuple:
        item = writer(args[0])
        if item is _write_plain:
            return list
        return lambda value: [item(x) for x in value]
    if origin in (Mapping, dict):
        value_w = writer(args[1])
        if value_w is _write_plain:
            return dict
        return lambda value: {k: value_w(v) for k, v in value.items()}
    raise TypeError(f"no IR writer for {tp!r}")


def renamed(key: str, **kw: Any) -> Any:
    """A dataclass field written under another JSON key (a Python keyword such as `if`)."""
    return dataclasses.field(metadata={"json": key}, **kw)


def omitted(default: Any) -> Any:
    """A field left out of the JSON while it holds `default`: a setting added to the IR keeps
    every flow that does not use it byte for byte as it was (and its content hash)."""
    return dataclasses.field(default=default, metadata={"omit": default})


def mapping() -> Any:
    """An empty, read-only mapping as a field default."""
    return dataclasses.field(default_factory=_empty)


def _empty() -> Mapping[str, Any]:
    return EMPTY
