"""The built-in functions: name -> parameter types, return type, implementation.

Implementations receive the evaluation scope and the evaluated arguments, and raise only
`EvalError` (without a span; the evaluator adds the call's). They never read the real clock:
time comes from the scope's injected clock under `NOW_KEY` (a `datetime` or a zero-argument
callable returning one), and `in_hours` asks the callable under `IN_HOURS_KEY`. Both keys start
with `_`, so no expression can name them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flowc.lang.expr.budget import check_int, check_string_length
from flowc.lang.expr.errors import EvalError
from flowc.lang.expr.types import Type, Value

__all__ = [
    "FUNCTIONS",
    "IN_HOURS_KEY",
    "NOW_KEY",
    "Function",
    "clock_now",
    "to_text",
    "type_name",
    "values_equal",
]

NOW_KEY = "__now__"
IN_HOURS_KEY = "__in_hours__"

Scope = Mapping[str, object]
Impl = Callable[[Scope, list[Value]], Value]

_ALL = frozenset(Type)


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[frozenset[Type], ...]  # accepted types of each parameter (ANY always passes)
    returns: Type
    impl: Impl
    summary: str

    @property
    def arity(self) -> int:
        return len(self.params)

    def signature(self) -> str:
        def one(types: frozenset[Type]) -> str:
            return "any" if types == _ALL else "|".join(sorted(str(t) for t in types))

        return f"{self.name}({', '.join(one(p) for p in self.params)}) -> {self.returns}"


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def values_equal(a: object, b: object) -> bool:
    """`==` of the language: ints and floats compare numerically, bools equal only bools."""
    ta, tb = type(a), type(b)
    if ta is str or tb is str:
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    if ta is bool or tb is bool:
        return ta is tb and a == b
    return a == b


def to_text(value: object) -> str:
    """How a value reads in a template or through `str()`.

    null -> "", true/false in lower case, lists comma-separated, datetimes in ISO 8601.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        parts, size = [], 0
        for v in value:
            parts.append(to_text(v))
            size += len(parts[-1]) + 2
            check_string_length(size)  # item by item: a list of big texts never joins whole
        return ", ".join(parts)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    raise EvalError(f"cannot turn a {type_name(value)} into text")


def clock_now(scope: Scope) -> datetime:
    """The current time according to the scope's injected clock."""
    clock = scope.get(NOW_KEY)
    if callable(clock):
        try:
            clock = clock()
        except Exception as exc:
            raise EvalError(f"the clock failed: {exc}") from exc
    if not isinstance(clock, datetime):
        raise EvalError("no clock in scope: time functions need `now` injected by the runtime")
    return clock


def _now(scope: Scope, args: list[Value]) -> Value:
    return clock_now(scope)


def _weekday(scope: Scope, args: list[Value]) -> Value:
    return clock_now(scope).isoweekday()


def _hour(scope: Scope, args: list[Value]) -> Value:
    return clock_now(scope).hour


def _minute(scope: Scope, args: list[Value]) -> Value:
    return clock_now(scope).minute


def _len(scope: Scope, args: list[Value]) -> Value:
    (x,) = args
    if isinstance(x, str | list | Mapping):
        return len(x)
    raise EvalError(f"len() needs a string or a list, got {type_name(x)}")


def _need_str(func: str, x: object) -> str:
    if not isinstance(x, str):
        raise EvalError(f"{func}() needs a string, got {type_name(x)}")
    return x


def _lower(scope: Scope, args: list[Value]) -> Value:
    return _need_str("lower", args[0]).lower()


def _upper(scope: Scope, args: list[Value]) -> Value:
    return _need_str("upper", args[0]).upper()


def _digits(scope: Scope, args: list[Value]) -> Value:
    return "".join(c for c in _need_str("digits", args[0]) if "0" <= c <= "9")


def _int(scope: Scope, args: list[Value]) -> Value:
    (x,) = args
    try:
        if isinstance(x, bool):
            return int(x)
        if isinstance(x, int):
            return x
        if isinstance(x, float):
            return check_int(int(x))
        if isinstance(x, str):
            return check_int(int(x.strip()))
    except (ValueError, OverflowError):
        raise EvalError(f"cannot convert {_short(x)} to an int") from None
    raise EvalError(f"int() needs a string or a number, got {type_name(x)}")


def _float(scope: Scope, args: list[Value]) -> Value:
    (x,) = args
    try:
        if isinstance(x, bool):
            raise EvalError("float() needs a string or a number, got bool")
        if isinstance(x, int | float):
            return float(x)
        if isinstance(x, str):
            return float(x.strip())
    except (ValueError, OverflowError):
        raise EvalError(f"cannot convert {_short(x)} to a float") from None
    raise EvalError(f"float() needs a string or a number, got {type_name(x)}")


def _str(scope: Scope, args: list[Value]) -> Value:
    return to_text(args[0])


def _contains(scope: Scope, args: list[Value]) -> Value:
    haystack, needle = args
    if haystack is None:
        return False
    if isinstance(haystack, str):
        if not isinstance(needle, str):
            raise EvalError(f"contains() on a string needs a string, got {type_name(needle)}")
        return needle in haystack
    if isinstance(haystack, list):
        return any(values_equal(item, needle) for item in haystack)
    raise EvalError(f"contains() needs a string or a list, got {type_name(haystack)}")


def _in_hours(scope: Scope, args: list[Value]) -> Value:
    name = _need_str("in_hours", args[0])
    oracle = scope.get(IN_HOURS_KEY)
    if not callable(oracle):
        raise EvalError("in_hours() is not available: no schedules in scope")
    try:
        answer = oracle(name)
    except EvalError:
        raise
    except Exception as exc:
        raise EvalError(f"in_hours({name!r}) failed: {exc}") from exc
    if not isinstance(answer, bool):
        raise EvalError(f"in_hours({name!r}) did not answer true or false")
    return answer


def _short(x: object) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


_S = frozenset({Type.STRING})

FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in [
        Function("now", (), Type.DATETIME, _now, "the current date and time"),
        Function("weekday", (), Type.INT, _weekday, "day of the week: mon=1 .. sun=7"),
        Function("hour", (), Type.INT, _hour, "hour of the day, 0-23"),
        Function("minute", (), Type.INT, _minute, "minute of the hour, 0-59"),
        Function("len", (frozenset({Type.STRING, Type.LIST}),), Type.INT, _len, "length"),
        Function("lower", (_S,), Type.STRING, _lower, "lower-case copy"),
        Function("upper", (_S,), Type.STRING, _upper, "upper-case copy"),
        Function(
            "int",
            (frozenset({Type.STRING, Type.INT, Type.FLOAT, Type.BOOL}),),
            Type.INT,
            _int,
            "convert to an int (floats are truncated)",
        ),
        Function(
            "float",
            (frozenset({Type.STRING, Type.INT, Type.FLOAT}),),
            Type.FLOAT,
            _float,
            "convert to a float",
        ),
        Function("str", (_ALL,), Type.STRING, _str, "convert to text, as a template would"),
        Function("digits", (_S,), Type.STRING, _digits, "only the digits 0-9 of a string"),
        Function(
            "contains",
            (frozenset({Type.STRING, Type.LIST}), _ALL),
            Type.BOOL,
            _contains,
            "whether a string contains a substring, or a list an item",
        ),
        Function(
            "in_hours",
            (_S,),
            Type.BOOL,
            _in_hours,
            "whether a schedule is open now (the schedule name is a string literal)",
        ),
    ]
}
