"""Property: whatever text `flowc check` is given, it answers with diagnostics, never a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.pipeline import check_text

SAMPLE = (Path(__file__).parent / "fixtures" / "flows" / "acme_care.yaml").read_text("utf-8")
LINES = SAMPLE.splitlines(keepends=True)
DATA = yaml.safe_load(SAMPLE)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 100),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["", "start", "{x", "1-5", "10m"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def line_mutations(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "chars", "indent"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            lines[i] = draw(st.sampled_from([" ", "  ", "\t", ""])) + lines[i].lstrip()
        else:
            line = lines[i]
            k = draw(st.integers(0, max(len(line) - 1, 0)))
            lines[i] = line[:k] + draw(st.text(max_size=3)) + line[k + 1 :]
        if not lines:
            break
    return "".join(lines)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


ALL_PATHS = _paths(DATA)[1:]


@st.composite
def data_mutations(draw: st.DrawFn) -> str:
    import copy

    data = copy.deepcopy(DATA)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        parent: Any = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = draw(values)
        except (KeyError, IndexError, TypeError):
            continue
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(line_mutations())
def test_mutated_text_never_crashes(text: str) -> None:
    result = check_text(text, "mutated.yaml")
    assert result.flow is not None or result.diagnostics


@SETTINGS
@given(data_mutations())
def test_mutated_structure_never_crashes(text: str) -> None:
    result = check_text(text, "mutated.yaml")
    for d in result.diagnostics:
        assert d.span.line >= 1 and d.span.col >= 1
        assert d.code.startswith("FL")


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes_never_crash(data: bytes) -> None:
    check_text(data, "random.yaml")
