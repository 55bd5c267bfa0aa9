"""``flowc emulate`` against a runtime.esl application served from a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowc_app import full_app
from runtime.emulator.cli import parse_target
from runtime.esl import serve_outbound
from tests.emulator.emu_support import AppLog, ivr_app

app = full_app()

runner = CliRunner()


@contextlib.contextmanager
def app_in_thread(log: AppLog) -> Iterator[int]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    port: list[int] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(serve_outbound(ivr_app(log), "127.0.0.1", 0))
        port.append(server.sockets[0].getsockname()[1])
        ready.set()
        loop.run_forever()
        server.close()
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield port[0]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def test_emulate_runs_calls_and_records(tmp_path: Path) -> None:
    log = AppLog()
    out = tmp_path / "calls.jsonl"
    with app_in_thread(log) as port:
        result = runner.invoke(
            app,
            [
                "emulate",
                "--target", f"127.0.0.1:{port}",
                "--did", "5000",
                "--caller", "+8613800000000",
                "--press", "12#",
                "--press", "2",
                "--calls", "4",
                "--concurrency", "2",
                "--time-scale", "0",
                "--timeout", "10",
                "--record", str(out),
            ],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "completed 4, failed 0" in result.output
    assert '"NORMAL_CLEARING": 4' in result.output
    # a few calls: one line each, with what the call ran and how it ended
    lines = [ln for ln in result.output.splitlines() if re.match(r"call \d+: ", ln)]
    assert len(lines) == 4
    assert all("play_and_get_digits" in ln and "-> NORMAL_CLEARING" in ln for ln in lines)
    assert [r[1] for r in log.results] == ["12"] * 4
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    notes = [r for r in rows if "note" in r]
    assert len(notes) == 4 and "+8613800000000 -> 5000" in notes[0]["note"]
    assert rows[1] == {"dir": "to_switch", "data": "connect\n\n", "t": rows[1]["t"]}


def test_emulate_rejects_bad_and_remote_targets() -> None:
    bad = runner.invoke(app, ["emulate", "--target", "127.0.0.1:notaport"])
    assert bad.exit_code == 2 and "bad target" in bad.output
    remote = runner.invoke(app, ["emulate", "--target", "192.0.2.7:8084"])
    assert remote.exit_code == 2 and "loopback" in remote.output


def test_emulate_fails_when_nothing_listens() -> None:
    result = runner.invoke(app, ["emulate", "--target", "127.0.0.1:1", "--timeout", "2"])
    assert result.exit_code == 1 and "failed 1" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:8084", ("127.0.0.1", 8084)),
        ("localhost", ("localhost", 8084)),
        ("[::1]:9000", ("::1", 9000)),
    ],
)
def test_parse_target(text: str, expected: tuple[str, int]) -> None:
    assert parse_target(text) == expected


def test_a_target_list_is_refused_with_the_reason() -> None:
    result = runner.invoke(app, ["emulate", "--target", "127.0.0.1:8084|127.0.0.1:8085"])
    assert result.exit_code == 2 and "one host:port" in result.output
    with pytest.raises(ValueError, match="socket_function"):
        parse_target("127.0.0.1:8084|127.0.0.1:8085")


def test_several_targets_are_tried_in_order_by_the_dialplan(tmp_path: Path) -> None:
    log = AppLog()
    out = tmp_path / "calls.jsonl"
    with app_in_thread(log) as port:
        result = runner.invoke(
            app,
            [
                "emulate",
                "--target", "127.0.0.1:1",  # nothing listens: refused
                "--target", f"127.0.0.1:{port}",
                "--press", "5#",
                "--calls", "2",
                "--time-scale", "0",
                "--timeout", "10",
                "--record", str(out),
            ],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "completed 2, failed 0" in result.output
    assert [r[1] for r in log.results] == ["5"] * 2
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r.get("socket") for r in rows if "dir" in r} == {1}  # all on the second socket


def write_dialplan(tmp_path: Path, runtime: list[str], fallback: str | None = None) -> Path:
    """The dialplan `flowc compile --target freeswitch` writes for these instances."""
    import xml.etree.ElementTree as ET

    from flowc.compiler.freeswitch import dialplan

    bindings = {
        "environment": "dev",
        "runtime": runtime,
        "fallback": fallback,
        "flows": {"care": {"dids": ["8001"]}},
    }
    path = tmp_path / "flowc.xml"
    path.write_text(ET.tostring(dialplan(bindings), encoding="unicode"), encoding="utf-8")
    return path


def test_emulate_plays_calls_through_a_dialplan_file(tmp_path: Path) -> None:
    log = AppLog()
    with app_in_thread(log) as port:
        path = write_dialplan(tmp_path, ["127.0.0.1:1", f"127.0.0.1:{port}"])
        result = runner.invoke(
            app,
            [
                "emulate",
                "--dialplan", str(path),
                "--did", "8001",
                "--press", "7#",
                "--calls", "2",
                "--time-scale", "0",
                "--timeout", "10",
            ],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "completed 2, failed 0" in result.output
    assert [r[1] for r in log.results] == ["7"] * 2  # instance 1 refused: instance 2 served
    assert (
        "dialplan (first call): public/8001: flowc_care -> flowc/flowc_try_1: flowc_try_1 -> "
        "flowc/flowc_next: flowc_next_2 -> flowc/flowc_try_2: flowc_try_2"
    ) in result.output


def test_emulate_dialplan_errors(tmp_path: Path) -> None:
    remote = write_dialplan(tmp_path, ["192.0.2.7:8084"])
    result = runner.invoke(app, ["emulate", "--dialplan", str(remote)])
    assert result.exit_code == 2 and "192.0.2.7 is not a loopback address" in result.output
    both = runner.invoke(app, ["emulate", "--dialplan", str(remote), "--target", "127.0.0.1:1"])
    assert both.exit_code == 2 and "--dialplan and --target" in both.output
    lua = write_dialplan(tmp_path, ["127.0.0.1:1"], fallback="lua:operators.lua")
    result = runner.invoke(app, ["emulate", "--dialplan", str(lua)])
    assert result.exit_code == 2 and "the emulator does not run: lua" in result.output
    missing = runner.invoke(app, ["emulate", "--dialplan", str(tmp_path / "nope.xml")])
    assert missing.exit_code == 2 and "nope.xml" in missing.output
