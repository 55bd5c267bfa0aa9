"""The adaptive telecom line end to end on the strict stock-switch emulator: every scenario of
examples/telecom_line.test.yaml ends as `flowc test` predicts (test_examples runs them too),
and the switch is asked for ONE play_and_get_digits per menu visit, with the prompt assembled
from the options this caller is offered and exactly their keys (plus the agent key) as the
valid-input regex. The journal names the escalation of a struggling caller."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import e2e_support as E
import pytest

from tests.runtime.esl_support import fs_separate_blank

SCENARIO_FILE = E.EXAMPLES / "telecom_line.test.yaml"
ITEMS = [item for item in E.all_scenarios() if Path(item[0].file).name == SCENARIO_FILE.name]


class Calls:
    def __init__(self) -> None:
        self.failures: dict[str, list[str]] = {}
        self.apps: dict[str, list[tuple[str, str | None]]] = {}
        self.steps: dict[str, list[dict[str, Any]]] = {}

    async def run(self) -> None:
        tmp = Path(tempfile.mkdtemp(prefix="flowc-adaptive-"))
        http = E.MockHTTP()
        await http.start()
        try:
            bundle = E.compile_e2e_bundle(tmp, http.url)
            http.timeouts = E.service_timeouts(bundle)
            async with E.e2e_runtime(bundle, tmp) as rt:
                for item in ITEMS:
                    name = item[1].name
                    p = E.plan(*item)
                    assert not p.needs, (name, p.needs)  # runs on the stock switch
                    async with asyncio.timeout(120):
                        result, records = await E.run_scenario(rt, http, p)
                    fails = E.judge(result, item[1])
                    fails += [f"the switch logged: {line}" for r in records for line in r.log]
                    self.failures[name] = fails
                    self.apps[name] = [a for r in records for a in r.apps]
                    assert rt.journal is not None
                    self.steps[name] = await rt.journal.fetch_steps(p.call_id)
        finally:
            await http.close()


@pytest.fixture(scope="module")
def calls() -> Calls:
    c = Calls()
    asyncio.run(c.run())
    return c


def _menus(apps: list[tuple[str, str | None]]) -> list[list[str]]:
    """The argument vectors of the main menu's play_and_get_digits, as FreeSWITCH splits them."""
    out = []
    for app, data in apps:
        if app == "play_and_get_digits" and data:
            argv = fs_separate_blank(data, 11)
            if argv[7] == "flowc_menu":
                out.append(argv)
    return out


def test_every_audience_ends_as_predicted(calls: Calls) -> None:
    assert len(calls.failures) == len(ITEMS) >= 9
    bad = {name: fails for name, fails in calls.failures.items() if fails}
    assert not bad, bad


def test_broadband_caller_hears_repair_first_and_may_press_2(calls: Calls) -> None:
    name = ITEMS[0][1].name
    assert name.startswith("a broadband customer who mostly reports faults")
    (menu,) = _menus(calls.apps[name])
    assert menu[5] == (
        "say:您好，欢迎致电。人工服务请按0。 宽带故障报修请按2。 查询话费请按1。 充值卡充值请按3。"
    )
    assert menu[8] == "^[2130]$"  # offered order, then the agent key


def test_mobile_caller_is_not_offered_key_2(calls: Calls) -> None:
    name = "a mobile customer never hears broadband repair, and key 2 is no option"
    menus = _menus(calls.apps[name])
    assert len(menus) == 2  # key 2 refused by the switch's regex, the menu asked again
    assert menus[0][5] == "say:您好，欢迎致电。人工服务请按0。 查询话费请按1。 充值卡充值请按3。"
    assert menus[0][8] == "^[130]$"
    assert menus[1][5].startswith("say:抱歉，没有这个选项。 您好")


def test_english_prompt_follows_the_favourite(calls: Calls) -> None:
    name = next(n for n in calls.apps if n.startswith("an English broadband customer"))
    (menu,) = _menus(calls.apps[name])
    assert menu[5] == (
        "say:Welcome. For an agent, press 0. To top up with a voucher, press 3."
        " For your balance, press 1. To report a broadband fault, press 2."
    )
    assert menu[8] == "^[3120]$"


def test_the_journal_shows_the_escalation(calls: Calls) -> None:
    name = "four failed inputs across the menu and the voucher entry reach a person"
    steps = calls.steps[name]
    assert [s["node"] for s in steps] == ["identify", "main_menu", "enter_voucher", "agent"]
    assert steps[-1]["why"] == "4 failed inputs in this call: escalate to `agent`"
