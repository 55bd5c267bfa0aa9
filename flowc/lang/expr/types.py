"""Static types of expressions, the naming environment, and type-check issues.

`Type` is deliberately coarse: eight types, no generics (a list is a `LIST` whatever its items)
and one widening (`INT` -> `FLOAT`). `ANY` is compatible with everything; `NULL` is the type
of `null` and may be assigned to a variable of any type.

`TypeEnv` says which names an expression may read:
- plain variables: `tier` -> STRING;
- *closed* namespaces: only their declared members exist (`caller.number`, `call.did`);
- *open* namespaces: every member exists and has the namespace's member type, at any depth
  (`result.customer.tier` -> ANY, `flags.storm` -> BOOL, `survey.csat` -> INT). The bare
  name of an open namespace (`result`) is the whole object, of type ANY.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeAlias

__all__ = [
    "IssueKind",
    "Type",
    "TypeEnv",
    "TypeIssue",
    "Value",
    "is_assignable",
    "join",
    "type_of_value",
]

Value: TypeAlias = "str | int | float | bool | datetime | list[Value] | dict[str, Value] | None"
"""A run-time value. Lists and mappings only come from the scope (e.g. a fetch result)."""


class Type(enum.Enum):
    STRING = "string"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    NULL = "null"
    LIST = "list"
    ANY = "any"
    DATETIME = "datetime"

    def __str__(self) -> str:
        return self.value

    @property
    def is_numeric(self) -> bool:
        return self is Type.INT or self is Type.FLOAT

    @classmethod
    def from_name(cls, name: str) -> Type:
        """The type named in a flow file (`string`, `int`, `float`, `bool`, `any`, ...)."""
        try:
            return cls(name.strip().lower())
        except ValueError:
            raise ValueError(f"unknown type `{name}`") from None


def is_assignable(src: Type, dst: Type) -> bool:
    """Can a value of type `src` be stored where `dst` is expected?

    Equal types, `ANY` on either side, `NULL` into anything, and `INT` into `FLOAT`.
    """
    return (
        src is dst
        or src is Type.ANY
        or dst is Type.ANY
        or src is Type.NULL
        or (src is Type.INT and dst is Type.FLOAT)
    )


def join(a: Type, b: Type) -> Type:
    """The type of a value that is either an `a` or a `b` (used for `x if c else y`)."""
    if a is b:
        return a
    if a is Type.NULL:
        return b
    if b is Type.NULL:
        return a
    if a.is_numeric and b.is_numeric:
        return Type.FLOAT
    return Type.ANY


def type_of_value(value: object) -> Type:
    """The `Type` of a run-time value (ANY for mappings and anything unexpected)."""
    if value is None:
        return Type.NULL
    if isinstance(value, bool):
        return Type.BOOL
    if isinstance(value, int):
        return Type.INT
    if isinstance(value, float):
        return Type.FLOAT
    if isinstance(value, str):
        return Type.STRING
    if isinstance(value, list | tuple):
        return Type.LIST
    if isinstance(value, datetime):
        return Type.DATETIME
    return Type.ANY


IssueKind: TypeAlias = Literal["unknown_name", "type_error", "regex"]


@dataclass
class TypeIssue:
    """A problem found by the checker, with offsets into the expression (or template) text."""

    message: str
    start: int
    end: int
    hint: str | None = None
    kind: IssueKind = "type_error"

    def shifted(self, offset: int) -> TypeIssue:
        return TypeIssue(self.message, self.start + offset, self.end + offset, self.hint, self.kind)


@dataclass
class TypeEnv:
    """The names visible to an expression and their types.

    `schedules`, when not None, is the set of schedule names `in_hours("...")` may use.
    """

    names: dict[str, Type] = field(default_factory=dict)
    open_namespaces: dict[str, Type] = field(default_factory=dict)
    closed_namespaces: dict[str, dict[str, Type]] = field(default_factory=dict)
    schedules: set[str] | None = None

    # ------------------------------------------------------------ building

    def declare(self, name: str, type_: Type) -> TypeEnv:
        """Declare a variable (or any exact dotted name). Returns self, for chaining."""
        self.names[name] = type_
        return self

    def declare_open(self, prefix: str, member_type: Type = Type.ANY) -> TypeEnv:
        """Declare an open namespace: `prefix.<anything>` has type `member_type`.

        Replaces a closed namespace of the same name.
        """
        self.closed_namespaces.pop(prefix, None)
        self.open_namespaces[prefix] = member_type
        return self

    def declare_closed(self, prefix: str, members: Mapping[str, Type]) -> TypeEnv:
        """Declare a closed namespace: only `prefix.<member>` for the given members.

        Adds to an existing closed namespace; replaces an open namespace of the same name.
        """
        self.open_namespaces.pop(prefix, None)
        self.closed_namespaces.setdefault(prefix, {}).update(members)
        return self

    def copy(self) -> TypeEnv:
        return TypeEnv(
            dict(self.names),
            dict(self.open_namespaces),
            {k: dict(v) for k, v in self.closed_namespaces.items()},
            None if self.schedules is None else set(self.schedules),
        )

    @classmethod
    def standard(
        cls,
        variables: Mapping[str, Type] | None = None,
        *,
        schedules: Iterable[str] | None = None,
        result: bool = True,
    ) -> TypeEnv:
        """The environment of a flow: its variables plus the built-in namespaces.

        `caller.number`, `caller.name`, `call.did`, `call.id`, `call.locale` (STRING, closed);
        `flags.*` (BOOL), `survey.*` (INT) and, unless `result=False`, `result.*` (ANY).
        """
        env = cls(dict(variables or {}))
        env.declare_closed("caller", {"number": Type.STRING, "name": Type.STRING})
        env.declare_closed("call", {"did": Type.STRING, "id": Type.STRING, "locale": Type.STRING})
        env.declare_open("flags", Type.BOOL)
        env.declare_open("survey", Type.INT)
        if result:
            env.declare_open("result", Type.ANY)
        env.schedules = None if schedules is None else set(schedules)
        return env

    # ------------------------------------------------------------ queries

    def lookup(self, name: str) -> Type | None:
        """The type of `name`, or None when it is not visible."""
        found = self.names.get(name)
        if found is not None:
            return found
        if name in self.open_namespaces:
            return Type.ANY
        pos = len(name)
        while (pos := name.rfind(".", 0, pos)) > 0:
            prefix = name[:pos]
            member_type = self.open_namespaces.get(prefix)
            if member_type is not None:
                return member_type
            members = self.closed_namespaces.get(prefix)
            if members is not None:
                return members.get(name[pos + 1 :])
        return None

    def namespace_of(self, name: str) -> str | None:
        """The declared namespace `name` is or lies in, if any."""
        if name in self.open_namespaces or name in self.closed_namespaces:
            return name
        pos = len(name)
        while (pos := name.rfind(".", 0, pos)) > 0:
            prefix = name[:pos]
            if prefix in self.open_namespaces or prefix in self.closed_namespaces:
                return prefix
        return None

    def variable_prefix(self, name: str) -> str | None:
        """The longest proper prefix of dotted `name` that is a plain variable, if any."""
        pos = len(name)
        while (pos := name.rfind(".", 0, pos)) > 0:
            if name[:pos] in self.names:
                return name[:pos]
        return None

    def candidates(self, for_name: str = "") -> list[str]:
        """Names to suggest for a misspelt `for_name` (used for "did you mean")."""
        out = set(self.names)
        for prefix, members in self.closed_namespaces.items():
            out.update(f"{prefix}.{m}" for m in members)
        rest = for_name.split(".", 1)[1] if "." in for_name else ""
        for prefix in self.open_namespaces:
            out.add(prefix)
            if rest:
                out.add(f"{prefix}.{rest}")
        return sorted(out)
