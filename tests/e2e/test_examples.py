"""Every example scenario (examples/*.test.yaml), played through emulator -> ESL -> runtime ->
interpreter on the strict model of the stock FreeSWITCH 1.10.12 (`scenario_calls.switch_profile`:
flite/kal, no ASR module, no sound files, the bindings' mailboxes) with the runtime started
without ASR, must end as `flowc test --no-asr` predicts: same expectations, same judge.

A scenario whose predicted call needs what no recording of that switch shows is not skipped:
it runs until the emulator refuses it (`Unrecorded`), and the refusal must name one of the
behaviours computed for it (`scenario_calls.needs_of`); it moves to the runnable list as soon
as a recording (and the profile) has the behaviour. No capture has a caller speaking or an ASR
module, a `record` app, or a sound file playing (the outbound_*.jsonl sessions play only
tone_stream/silence_stream and say:, the live ones have no sound files at all). Needs a
recording (kept equal to the computed lists by `test_the_list_of_scenarios_needing_a_recording`):

* speech recognition (47):
  - bank: a speech tour of the account menu
  - bank: lost card, nobody in the card team - fraud desk
  - bank: lost card said in English
  - bank: 盗刷 by voice
  - bank: fraud by voice in English
  - bank: the complaints system is down - the recording is kept
  - bank: the complaints system times out
  - ecommerce_aftersales: refund progress by voice, order number read out, then anything else
  - ecommerce_aftersales: a delivered parcel the caller never received - zero for an agent in the
    logistics team
  - ecommerce_aftersales: order system error - an agent
  - ecommerce_aftersales: order system timeout - an agent
  - ecommerce_aftersales: no input three times in the main menu - an agent
  - ecommerce_aftersales: refund menu - options by voice and key
  - ecommerce_aftersales: refund menu - return by voice in English
  - ecommerce_aftersales: refund menu - an agent by voice (人工)
  - ecommerce_aftersales: refund menu - an agent by voice in English
  - ecommerce_aftersales: booking the return fails - an agent
  - ecommerce_aftersales: English speech for delivery and exchange
  - ecommerce_aftersales: 退货 by voice for a parcel still on its way - an agent, who is busy
  - public_hotline_zh: 台风停工时12345占线
  - public_hotline_zh: 台风停工时说“求助”
  - public_hotline_zh: 台风停工时说“留言”
  - public_hotline_zh: 末位为X（星号键）的身份证号，有欠费提醒
  - public_hotline_zh: 查询系统故障转人工
  - public_hotline_zh: 查询系统超时转人工，坐席忙留言
  - public_hotline_zh: 社保卡挂失排队超时留言
  - public_hotline_zh: 养老金政策，然后返回主菜单和社保菜单
  - public_hotline_zh: 异地就医备案自助，然后回到医保菜单转人工
  - public_hotline_zh: 报销进度排队超时留言
  - public_hotline_zh: 医保菜单返回与按0
  - public_hotline_zh: 说“失业”和“就业”
  - public_hotline_zh: 说“投诉”
  - public_hotline_zh: 说“建议”
  - telecom_care: a speech tour of the billing, broadband and mobile menus
  - telecom_care: a spoken "lost phone" in English suspends the line first in the queue
  - telecom_care: 挂失 by voice
  - telecom_care: broadband speech options lead to the outage check
  - telecom_care: back and forth through the menus, then a new broadband line by voice
  - telecom_care: broadband install by voice in English
  - telecom_care: a failed payment queues with priority 8; after the wait the caller leaves a
    message
  - telecom_care: the bill by voice in the billing menu
  - telecom_care: bill look-up timeout goes to the billing queue; busy queue, callback by voice
  - telecom_care: plan change by voice
  - telecom_care: roaming activation by voice, busy team, callback offer
  - telecom_care: roaming activation in English
  - telecom_care: callback offer by voice - message
  - telecom_care: callback offer by voice - 回电
* the record app (3):
  - bank: a complaint is recorded and filed with a ticket number
  - bank: the complaints system is down - the recording is kept
  - bank: the complaints system times out
* sound files (32):
  - public_hotline_zh: 午休时间来电转入留言
  - public_hotline_zh: 国庆节假日播放假日通告后留言
  - public_hotline_zh: 调休上班日（周日）照常服务
  - public_hotline_zh: 台风停工时紧急转接12345
  - public_hotline_zh: 台风停工时12345占线
  - public_hotline_zh: 台风停工时按0没有人工，三次无效后留言
  - public_hotline_zh: 台风停工时按2留言
  - public_hotline_zh: 台风停工时说“求助”
  - public_hotline_zh: 台风停工时说“留言”
  - public_hotline_zh: 查询养老保险缴费记录，身份证号不被播报
  - public_hotline_zh: 末位为X（星号键）的身份证号，有欠费提醒
  - public_hotline_zh: 查询系统故障转人工
  - public_hotline_zh: 查询系统超时转人工，坐席忙留言
  - public_hotline_zh: 身份证号三次输入有误转人工
  - public_hotline_zh: 社保卡挂失优先接入，评价后结束
  - public_hotline_zh: 社保卡挂失排队超时留言
  - public_hotline_zh: 养老金政策，然后返回主菜单和社保菜单
  - public_hotline_zh: 社保菜单三次无效转人工
  - public_hotline_zh: 社保菜单按0转人工
  - public_hotline_zh: 异地就医备案自助，然后回到医保菜单转人工
  - public_hotline_zh: 报销进度排队超时留言
  - public_hotline_zh: 医保坐席无人值守留言
  - public_hotline_zh: 医保菜单无输入转医保坐席
  - public_hotline_zh: 医保菜单返回与按0
  - public_hotline_zh: 失业登记信息，沉默后挂机
  - public_hotline_zh: 说“失业”和“就业”
  - public_hotline_zh: 投诉留言
  - public_hotline_zh: 说“投诉”
  - public_hotline_zh: 说“建议”
  - public_hotline_zh: 主菜单三次无输入转人工，排队中按井号改为留言
  - public_hotline_zh: 主菜单按星号重听，按0转人工
  - public_hotline_zh: 来电者在欢迎语中挂机
"""

from __future__ import annotations

import asyncio
import tempfile
import traceback
from pathlib import Path
from typing import Any

import pytest

from runtime.emulator.profile import Unrecorded
from runtime.journal import open_journal
from runtime.scenario_calls import REFUSAL_WORDS
from tests.e2e import e2e_support as E

SCENARIOS = E.all_scenarios()
IDS = [E.scenario_id(item) for item in SCENARIOS]
# What each scenario needs that no recording shows (computed, see `scenario_calls.needs_of`).
NEEDS = {sid: E.plan(*item).needs for item, sid in zip(SCENARIOS, IDS, strict=True)}
RUNNABLE = [sid for sid in IDS if not NEEDS[sid]]
NEEDS_A_RECORDING = [sid for sid in IDS if NEEDS[sid]]


class Outcomes:
    """All scenarios, run once in one runtime (one event loop); results by id."""

    def __init__(self) -> None:
        self.failures: dict[str, list[str]] = {}
        self.results: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, str] = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="flowc-e2e-"))
        self.counts: dict[str, int] = {}
        self.dangling = -1
        self.unended: list[str] = []
        self.refusals: dict[str, str] = {}

    async def run(self) -> None:
        http = E.MockHTTP()
        await http.start()
        try:
            bundle = E.compile_e2e_bundle(self.tmp, http.url)
            http.timeouts = E.service_timeouts(bundle)
            async with E.e2e_runtime(bundle, self.tmp) as rt:
                for item, sid in zip(SCENARIOS, IDS, strict=True):
                    try:
                        p = E.plan(*item)
                        try:
                            async with asyncio.timeout(120):
                                result, records = await E.run_scenario(rt, http, p)
                        except Unrecorded as refused:
                            await E.settle(rt)
                            if p.call_id:  # (not when a hang-up point's dry run was refused)
                                self.calls[sid] = p.call_id
                            self.refusals[sid] = str(refused)
                            continue
                        self.results[sid] = result
                        self.calls[sid] = p.call_id
                        fails = E.judge(result, item[1])
                        # what the runtime asked the switch to play, the switch played: no
                        # prompt failed to open, no missing say module / ASR module / user
                        fails += [f"the switch logged: {line}" for r in records for line in r.log]
                        stuck = [r for r in records if r.closed_by in ("timeout", "error")]
                        if stuck:
                            fails.append(f"emulated call did not end cleanly: {stuck[0].error}")
                        self.failures[sid] = fails
                    except Exception:
                        self.failures[sid] = [traceback.format_exc()]
        finally:
            await http.close()
        j = open_journal(f"sqlite:///{self.tmp / 'journal.db'}")
        await j.open()
        try:
            for table in ("calls", "call_ends", "steps", "survey_answers", "callback_requests"):
                self.counts[table] = await j.count(table)
            self.unended = [
                sid
                for sid, call_id in self.calls.items()
                if ((await j.fetch_call(call_id)) or {}).get("outcome") is None
            ]
            rows = await j._query(
                "SELECT count(*) AS n FROM call_ends e LEFT JOIN calls c"
                " ON c.call_id = e.call_id WHERE c.call_id IS NULL",
                (),
            )
            self.dangling = int(rows[0]["n"])
        finally:
            await j.close()


@pytest.fixture(scope="module")
def outcomes() -> Outcomes:
    o = Outcomes()
    asyncio.run(o.run())
    return o


def test_there_are_scenarios_for_every_example() -> None:
    names = {Path(sf.file).name for sf, _ in SCENARIOS}
    assert len(names) >= 4 and len(SCENARIOS) >= 50


def test_the_strict_switch_runs_most_scenarios() -> None:
    assert len(RUNNABLE) >= 80


def test_the_list_of_scenarios_needing_a_recording() -> None:
    listed: dict[str, list[str]] = {}
    need = ""
    for line in (__doc__ or "").splitlines():
        if line.startswith("* "):
            need = line[2:].rsplit(" (", 1)[0]
        elif line.startswith("  - "):  # a scenario, its name wrapped on "    " lines
            listed.setdefault(need, []).append(line[4:])
        elif line.startswith("    ") and need:
            listed[need][-1] += " " + line[4:]
    computed: dict[str, set[str]] = {}
    for sid, needs in NEEDS.items():
        for n in needs:
            computed.setdefault(n, set()).add(sid)
    assert {n: set(sids) for n, sids in listed.items()} == computed


@pytest.mark.parametrize("sid", RUNNABLE)
def test_scenario_ends_as_flowc_test_predicts(outcomes: Outcomes, sid: str) -> None:
    assert sid not in outcomes.refusals, f"refused by the strict emulator: {outcomes.refusals[sid]}"
    fails = outcomes.failures.get(sid)
    assert fails is not None, "not run"
    assert not fails, "\n".join(fails) + f"\nresult: {outcomes.results.get(sid)}"


@pytest.mark.parametrize("sid", NEEDS_A_RECORDING)
def test_scenario_needing_a_recording_is_refused(outcomes: Outcomes, sid: str) -> None:
    """The call runs until the switch is asked for what no capture shows; the refusal names
    one of the behaviours the scenario was computed to need. Once a recording shows it and
    the profile has it, the scenario moves to the list above."""
    refusal = outcomes.refusals.get(sid)
    assert refusal is not None, f"not refused (needs {NEEDS[sid]}): {outcomes.failures.get(sid)}"
    assert any(REFUSAL_WORDS[n] in refusal for n in NEEDS[sid]), (NEEDS[sid], refusal)


def test_journal_has_one_record_of_each_kind_per_call(outcomes: Outcomes) -> None:
    c = outcomes.counts
    assert c["calls"] >= len(SCENARIOS)
    assert set(RUNNABLE) <= set(outcomes.calls)
    assert outcomes.unended == []  # every scenario's call has its end (exactly one: the key)
    assert outcomes.dangling == 0  # no end without its call
    assert c["steps"] > c["calls"]
    assert set(outcomes.refusals) == set(NEEDS_A_RECORDING)
    assert c["survey_answers"] > 0 and c["callback_requests"] > 0
