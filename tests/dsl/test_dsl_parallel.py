"""Each parse has its own builder and indenter: parses in several threads at once give the
same documents and errors as one after another (spans name their own file, comments and
problems stay with their own parse)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from flowc.diagnostics import FlowcError
from flowc.source.dsl import parser as dsl_parser
from flowc.source.dsl.parser import parse_dsl_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BROKEN = "flow broken\nnodes\n  start: menu (\n"


def _outcome(text: str, file: str) -> object:
    try:
        doc = parse_dsl_text(text, file, includes=False)
    except FlowcError as exc:
        return [(d.code, d.message, d.span.file, d.span.line, d.span.col) for d in exc.diagnostics]
    files = {span.file for span in doc.spans.values()}
    return doc.data, files, doc.comments


@pytest.mark.parametrize("fast", [True, False])
def test_parallel_parses_match_serial_ones(monkeypatch: pytest.MonkeyPatch, fast: bool) -> None:
    monkeypatch.setattr(dsl_parser, "USE_FAST_PATH", fast)
    jobs = [(p.read_text("utf-8"), p.name) for p in sorted(EXAMPLES.glob("*.flow"))]
    jobs += [(BROKEN, f"broken{i}.flow") for i in range(3)]
    jobs = jobs * 4
    serial = [_outcome(text, file) for text, file in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda job: _outcome(*job), jobs))
    assert parallel == serial
    for (_, file), out in zip(jobs, serial, strict=True):
        if isinstance(out, tuple):
            assert out[1] == {file}  # every span names the file it came from
