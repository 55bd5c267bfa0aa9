"""`slot_init`: the cheaper constructor of the interpreter's frozen dataclasses builds the
same objects the dataclass's own `__init__` does, and leaves them frozen."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.interpreter.slot_init import slot_init
from flowc.interpreter.trace import Outcome, TraceStep

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class _Base:
    kind: ClassVar[str] = "base"
    at: datetime = dataclasses.field(kw_only=True)


@dataclasses.dataclass(frozen=True, slots=True)
class _Plain(_Base):
    name: str
    count: int = 3
    tags: list[str] = dataclasses.field(default_factory=list)
    hidden: str = dataclasses.field(default="h", init=False)
    made: list[int] = dataclasses.field(default_factory=lambda: [1], init=False)


@slot_init
@dataclasses.dataclass(frozen=True, slots=True)
class _Quick(_Base):
    name: str
    count: int = 3
    tags: list[str] = dataclasses.field(default_factory=list)
    hidden: str = dataclasses.field(default="h", init=False)
    made: list[int] = dataclasses.field(default_factory=lambda: [1], init=False)


def _values(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("a",), {"at": AT}),
        (("a", 5), {"at": AT}),
        (("a", 5, ["x"]), {"at": AT}),
        ((), {"name": "a", "tags": ["y"], "at": AT}),
    ],
)
def test_the_same_fields_as_the_dataclass_init(args: tuple[Any, ...], kwargs: Any) -> None:
    assert _values(_Quick(*args, **kwargs)) == _values(_Plain(*args, **kwargs))


def test_factories_run_per_object_and_the_same_argument_errors() -> None:
    a, b = _Quick("a", at=AT), _Quick("b", at=AT)
    assert a.tags == [] and a.tags is not b.tags and a.made is not b.made
    plain_cls: Any = _Plain  # called wrongly on purpose
    quick_cls: Any = _Quick
    wrong: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((), {}),  # no name
        (("a",), {}),  # no keyword-only `at`
        (("a", 1, [], "extra"), {"at": AT}),  # too many positional arguments
        (("a",), {"hidden": "x", "at": AT}),  # not an init field
        (("a",), {"name": "b", "at": AT}),  # twice
    ]
    for args, kwargs in wrong:
        with pytest.raises(TypeError) as plain:
            plain_cls(*args, **kwargs)
        with pytest.raises(TypeError) as quick:
            quick_cls(*args, **kwargs)
        assert str(quick.value).replace("_Quick", "_Plain") == str(plain.value)


def test_objects_stay_frozen_equal_hashable_and_matchable() -> None:
    step = TraceStep(AT, "menu", "decision", "key 1", {"key": "1"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.why = "changed"  # type: ignore[misc]
    same = TraceStep(AT, "menu", "decision", "key 1", {"key": "1"})
    assert step == same and step is not same
    assert TraceStep(AT, None, "note", "x").detail == {}
    assert TraceStep(AT, None, "note", "x").detail is not TraceStep(AT, None, "note", "x").detail
    item = cmd.PlayItem("tts", "hello")
    assert hash(item) == hash(cmd.PlayItem("tts", "hello")) and item.say_as is None
    assert repr(cmd.PlayItem("tts", "1234", sensitive=True)) == "PlayItem('tts', '****')"
    entered = cmd.NodeEntered("main", "menu", "menu")
    assert (entered.at, entered.why) == (datetime(1970, 1, 1, tzinfo=UTC), "next")
    match entered:
        case cmd.NodeEntered("main", node, "menu"):
            assert node == "menu"
        case _:
            pytest.fail("positional pattern did not match")
    digits = ev.Digits("12", at=AT)
    assert (digits.terminator, digits.result, digits.at) == (None, "success", AT)
    assert digits.to_json() == {
        "type": "digits",
        "at": AT.isoformat(),
        "digits": "12",
        "terminator": None,
        "result": "success",
    }
    assert Outcome("hangup", "bye").variables == {}


def test_every_command_event_and_trace_class_has_it() -> None:
    classes: list[type[Any]] = [
        cmd.PlayItem,
        *cmd.COMMAND_TYPES.values(),
        *cmd.JOURNAL_RECORDS.values(),
        *ev.EVENT_TYPES.values(),
        TraceStep,
        Outcome,
    ]
    for cls in classes:
        init = cls.__dict__["__init__"]
        assert init.__qualname__ == f"{cls.__qualname__}.__init__"
        assert "_set0" in init.__code__.co_names or not dataclasses.fields(cls)


@slot_init
@dataclasses.dataclass(frozen=True, slots=True)
class _Small:
    name: str
    count: int = 1


@dataclasses.dataclass(frozen=True, slots=True)
class _Sub(_Quick):
    extra: str = "x"


def test_objects_stay_frozen_and_subclasses_are_built_too() -> None:
    small = _Small("a")
    assert (small.name, small.count, type(small)) == ("a", 1, _Small)
    with pytest.raises(dataclasses.FrozenInstanceError):
        small.count = 2  # type: ignore[misc]
    quick = _Quick("a", at=AT)
    other: object = _Small("a")
    assert type(quick) is _Quick and quick == _Quick("a", at=AT) and quick != other
    with pytest.raises(dataclasses.FrozenInstanceError):
        quick.count = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del quick.count
    # a subclass keeps its own constructor; the inherited one serves a subclass too
    sub = _Sub("a", 2, extra="y", at=AT)
    assert type(sub) is _Sub and (sub.count, sub.extra) == (2, "y")
    lent: Any = _Quick.__init__
    blank = object.__new__(_Sub)
    lent(blank, "b", at=AT)
    assert type(blank) is _Sub and (blank.name, blank.count, blank.hidden) == ("b", 3, "h")
    assert copy.copy(quick) == quick and pickle.loads(pickle.dumps(small)) == small
    assert dataclasses.replace(quick, count=9) == _Quick("a", 9, at=AT)


def test_classes_it_does_not_fit_are_refused() -> None:
    @dataclasses.dataclass(slots=True)
    class Mutable:
        a: int

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Post:
        a: int

        def __post_init__(self) -> None:
            pass

    for cls in (Mutable, NoSlots, Post, int):
        with pytest.raises(TypeError):
            slot_init(cls)
