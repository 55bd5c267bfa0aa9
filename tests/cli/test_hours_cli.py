from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from flowc.cli.main import app

FLOW = """\
flow: h
schedules:
  care:
    timezone: Asia/Shanghai
    weekly: {mon-fri: "08:00-20:00"}
    holidays: {calendar: CN}
    emergency: storm
nodes:
  start: {hours: care, open: a, closed: a}
  a: {hangup: null}
"""


def run(tmp_path: Path, *args: str) -> tuple[int, str]:
    p = tmp_path / "h.yaml"
    p.write_text(FLOW, encoding="utf-8")
    r = CliRunner().invoke(app, ["hours", "explain", str(p), *args])
    return r.exit_code, r.output


def test_holiday_names_the_calendar(tmp_path: Path) -> None:
    code, out = run(tmp_path, "care", "--at", "2026-10-01 09:30")
    assert code == 0
    assert "HOLIDAY" in out and "National Day (CN calendar)" in out


def test_open_and_next_change(tmp_path: Path) -> None:
    _code, out = run(tmp_path, "care", "--at", "2026-10-09 09:30")
    assert "OPEN" in out and "Friday 08:00-20:00" in out
    assert "next change: 2026-10-09 20:00 -> closed" in out


def test_emergency_flag_beats_hours(tmp_path: Path) -> None:
    _code, out = run(tmp_path, "care", "--at", "2026-10-09 09:30", "--flag", "storm")
    assert "EMERGENCY" in out


def test_utc_instant_is_converted(tmp_path: Path) -> None:
    # 00:30 UTC is 08:30 in Shanghai.
    _code, out = run(tmp_path, "care", "--at", "2026-10-09T00:30:00+00:00")
    assert "2026-10-09 08:30 Asia/Shanghai" in out and "OPEN" in out


def test_unknown_schedule_did_you_mean(tmp_path: Path) -> None:
    code, out = run(tmp_path, "cares", "--at", "2026-10-09 09:30")
    assert code == 2 and "did you mean `care`?" in out
