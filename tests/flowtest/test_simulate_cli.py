"""`flowc simulate`: scripted and interactive calls, printed as a transcript."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from flowc.cli.main import app

CARE = "examples/telecom_care.yaml"


def sim(*args: str, input: str | None = None) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["simulate", *args], input=input)
    return r.exit_code, r.output


def test_scripted_call_prints_a_transcript_and_the_outcome() -> None:
    code, out = sim(
        CARE,
        "--at",
        "2026-10-09 10:00",
        "--mock",
        'crm={"tier": "standard", "balance": 8}',
        "--mock",
        'billing={"balance": 12.5}',
        "--press",
        "1",
        "1",
        "--press",
        "2",
    )
    assert code == 0, out
    assert "📞 call from +8613800000000; telecom_care answers" in out
    assert "🔊 您好，欢迎致电客服热线" in out
    assert "☎ caller presses 1" in out
    assert "➜ main_menu: key 1: go to `billing_menu`" in out
    assert "🔊 您的账户余额为 [money 12.50] 元。" in out
    assert "╭─ outcome" in out and "hangup  cause NORMAL_CLEARING" in out
    assert "ended at   goodbye" in out


def test_inputs_keep_their_order_across_options() -> None:
    code, out = sim(
        CARE,
        "--at",
        "2026-10-09 10:00",
        "--mock",
        "crm=error",
        "--say",
        "宽带",
        "--press",
        "9",
        "--say",
        "lost phone",
        "--queue",
        "general=no_agent",
        "--hangup",
    )
    assert code == 0, out
    lines = [line for line in out.splitlines() if "☎" in line or "➜" in line]
    said = [line.split("☎ caller ", 1)[1] for line in lines if "☎ caller " in line]
    assert said[:3] == ['says "宽带"', "presses 9", 'says "lost phone"']
    # nobody logged in: suspend_line has no on_no_agent, so the flow hangs up
    assert "➜ suspend_line: no branch for queue no_agent: hanging up" in out
    assert "unused     hangup" in out


def test_flags_queues_and_locale() -> None:
    code, out = sim(
        "examples/public_hotline_zh.yaml",
        "--at",
        "2026-10-09 10:00",
        "--flag",
        "typhoon_closure",
        "--press",
        "1",
        "--transfer",
        "12345=fail",
    )
    assert code == 0
    assert "➜ start: service_hours is emergency" in out
    assert "the transfer failed (NO_ANSWER)" in out
    code, out = sim(CARE, "--at", "2026-10-09 23:00", "--locale", "en-US")
    assert "🔊 We're closed right now." in out


def test_json_and_trace() -> None:
    code, out = sim(CARE, "--at", "2026-10-01 10:00", "--format", "json")
    data = json.loads(out)
    assert data["path"] == ["start", "holiday_notice", "after_hours"]
    assert data["outcome"]["kind"] == "voicemail" and data["outcome"]["mailbox"] == "general"
    assert data["transcript"][0]["kind"] == "system"
    code, out = sim(CARE, "--at", "2026-10-01 10:00", "--trace")
    assert code == 0
    assert "trace" in out and "start decision: care_hours is holiday" in out


def test_a_scenario_from_a_file_with_overrides() -> None:
    code, out = sim(
        "examples/bank.yaml",
        "--scenario",
        "examples/bank.test.yaml",
        "--name",
        "balance after a correct PIN",
    )
    assert code == 0, out
    assert "☎ caller presses ****" in out and "123456" not in out
    assert "[money 8888.80]" in out
    code, out = sim(
        "examples/bank.yaml",
        "--scenario",
        "examples/bank.test.yaml",
        "--name",
        "a lost card in the day",
        "--at",
        "2026-10-09 23:30",
    )
    assert "go to `fraud_transfer`" in out  # at night the fraud centre takes lost cards


def test_interactive_the_person_is_the_caller() -> None:
    typed = "\n".join(["say 话费", "1", "", "2"]) + "\n"
    code, out = sim(
        CARE,
        "--interactive",
        "--at",
        "2026-10-09 10:00",
        "--mock",
        "billing=500",
        "--queue",
        "billing=no_agent",
        input=typed,
    )
    assert code == 0, out
    assert "You are the caller." in out
    assert "your turn (keys, or say one of: 话费" in out
    assert '☎ caller says "话费"' in out
    assert "➜ main_menu: said '话费': go to `billing_menu`" in out
    assert "➜ balance_lookup: billing failed (error): go to `billing_down`" in out
    assert "outcome" in out


def test_interactive_end_of_input_hangs_up() -> None:
    code, out = sim(CARE, "-i", "--at", "2026-10-09 10:00", input="bogus words\n")
    assert code == 0
    assert "is not an input" in out
    assert "☎ caller hangs up" in out and "caller_hangup" in out


def test_usage_errors() -> None:
    code, out = sim("nope.yaml")
    assert code == 2
    code, out = sim(CARE, "--mock", "crm")
    assert code == 2
    code, out = sim(CARE, "--press")
    assert code == 2
    code, out = sim(CARE, "--presss", "1")
    assert code == 2
    code, out = sim(CARE, "--interactive", "--press", "1")
    assert code == 2
    code, out = sim(CARE, "--at", "tomorrow")
    assert code == 2 and "cannot read the time" in out


def test_adaptive_menu_and_escalation_in_the_transcript() -> None:
    code, out = sim(
        "examples/telecom_line.yaml",
        "--mock",
        'crm={"plan": "mobile", "favourite": "enter_voucher", "balance": "1.00"}',
        "--silence",
        "--press",
        "2",
        "3",
        "1#",
        "--silence",
    )
    assert code == 0, out
    assert "offered: key 3 -> `enter_voucher`, key 1 -> `balance`; hidden: key 2" in out
    assert "充值卡充值请按3。 查询话费请按1。" in out
    assert "key 2 is not an option" in out
    assert "4 failed inputs in this call: escalate to `agent`" in out
