"""End-to-end harness: a `flowc test` scenario played through emulator -> ESL -> runtime ->
interpreter, judged by the same `check_expectations` as the simulator. The scenario-to-call
pieces (bindings, plan, caller script, look-up mock) are `runtime.scenario_calls`, shared
with the demo; this module adds the test runtime and the result.

How a scenario becomes a live-like call:

* the bundle: every example flow, compiled with generated bindings (`e2e` environment):
  one DID per flow, one mod_callcenter queue per logical queue (`<flow>__<queue>@e2e`),
  every service's `${...}` base URL pointing at the loopback mock HTTP server
  (`/svc/<flow>.<service>`);
* the switch's installation: `scenario_calls.switch_profile` (the stock 1.10.12 of the live
  captures plus the bindings' mailboxes); the runtime runs without ASR, as on that switch;
* the caller: the emulator's `CallerScript`. Which input the emulator hands to which app is
  planned from a simulator run of the same scenario with `asr=False` (`plan`): each collect
  of the call takes one input per try (`play_and_get_digits` only); what the caller says to
  a speech collect is handed to it as speech, which the strict emulator refuses
  (`Plan.needs`, see test_examples);
* queues, transfers, look-ups: queue answers by use (a sequence per queue, consumed by the
  emulator's successive `callcenter` apps), bridge outcomes in the order the transfers
  happen, HTTP answers by use from `MockHTTP`;
* the switch: the emulated call runs the dialplan `flowc compile --target freeswitch`
  writes for the `e2e` bindings, with the test runtime's address
  (`scenario_calls.generated_dialplan`): the flow's DID extension sets `flowc_flow`,
  `flowc_did`, answers and goes to the socket action; the facts a scenario adds (its own
  DID, the caller's locale) are put on the channel data by `E2ERuntime`, the scenario's
  flags and time go in through the runtime's per-call hooks;
* the queue's `after` (the survey): after the agent conversation the emulated switch goes
  on in that dialplan: `flowc_next` sees `flowc_resume`, sets `flowc_resume_node` and
  connects the socket again, a new connection to the runtime for the same channel carrying
  `flowc_state` and `cc_agent`; the runtime continues the call there;
* the result: path, variables, outcome and survey from the journal (what the runtime
  recorded), heard from the prompts the runtime played (`CallHost.observer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flowc.flowtest import Scenario, ScenarioFile, check_expectations, load_scenario_file
from flowc.interpreter import commands as cmd
from flowc.interpreter import events as ev
from flowc.simulate.voice import items_text
from runtime import scenario_calls as sc
from runtime.bundle_store import LoadedBundle
from runtime.driver import Timeouts
from runtime.emulator import CallSpec, Dialplan, place_call
from runtime.emulator.channel import ChannelConfig
from runtime.emulator.profile import SwitchProfile
from runtime.esl.aio import AsyncESL
from runtime.esl.message import Event
from runtime.scenario_calls import (
    MockHTTP,
    Plan,
    caller_script,
    compile_with_bindings,
    plan,
    service_timeouts,
)
from runtime.server import Runtime, ServeConfig
from runtime.translate import MediaConfig

__all__ = ["MockHTTP", "Plan", "caller_script", "plan", "service_timeouts"]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SCENARIO_FILES = sorted(EXAMPLES.glob("*.test.yaml"))
E2E_TIMEOUTS = Timeouts(
    setup=10.0,
    answer=10.0,
    app=60.0,
    collect_margin=60.0,
    queue=120.0,
    queue_margin=30.0,
    bridge=60.0,
    record_margin=30.0,
    with_agent=60.0,
    idle=60.0,
    speech_grace=5.0,
    hangup_wait=2.0,
    exit=3.0,
    resume_grace=0.5,
)


# ------------------------------------------------------------------ scenarios


def all_scenarios() -> list[tuple[ScenarioFile, Scenario]]:
    out = []
    for path in SCENARIO_FILES:
        sf = load_scenario_file(path, str(path.relative_to(ROOT)))
        out += [(sf, s) for s in sf.scenarios if not s.skip]
    return out


def scenario_id(item: tuple[ScenarioFile, Scenario]) -> str:
    sf, s = item
    return f"{Path(sf.file).name.removesuffix('.test.yaml')}: {s.name}"


# ------------------------------------------------------------------ the bundle


def compile_e2e_bundle(tmp: Path, mock_url: str) -> Path:
    return compile_with_bindings([EXAMPLES], tmp, mock_url, "e2e")


def lookup_env() -> dict[str, str]:
    return sc.lookup_env(EXAMPLES)


# ------------------------------------------------------------------ the runtime


@dataclass
class CallSetup:
    flow: str
    start: datetime
    variables: dict[str, str]
    flags: dict[str, bool]
    t0: float = field(default_factory=time.monotonic)


class E2ERuntime(Runtime):
    """The runtime, with the per-call facts a real dialplan (and the scenario's clock and
    flags) would supply."""

    def __init__(self, config: ServeConfig, **kw: Any) -> None:
        self.setups: dict[str, CallSetup] = {}
        self.heard: dict[str, list[str]] = {}
        self.hangup_watch: dict[str, str] = {}  # call id -> node where the caller hangs up
        self.hangup_points: dict[str, int] = {}  # call id -> the app the node starts with
        self.apps_total: dict[str, int] = {}  # call id -> applications the runtime executed
        super().__init__(config, clock_factory=self._clock, observer=self._observe, **kw)

    def _clock(self, data: Event) -> Any:
        setup = self.setups.get(data.uuid or "")
        if setup is None:
            return lambda: datetime.now().astimezone()
        return lambda: setup.start + timedelta(seconds=time.monotonic() - setup.t0)

    def _observe(self, call_id: str, item: cmd.Command | ev.Event) -> None:
        watch = self.hangup_watch.get(call_id)
        if (
            watch is not None
            and isinstance(item, cmd.NodeEntered)
            and call_id not in self.hangup_points
            and watch in (item.node, f"{item.flow}.{item.node}")
        ):
            driver = next((d for d in self.drivers if d.call_id == call_id), None)
            if driver is not None:
                self.hangup_points[call_id] = driver.apps_sent + len(driver.sets_pending) + 1
        if isinstance(item, cmd.End):
            driver = next((d for d in self.drivers if d.call_id == call_id), None)
            if driver is not None:
                self.apps_total[call_id] = driver.apps_sent
        heard = self.heard.setdefault(call_id, [])
        if isinstance(item, cmd.Play):
            text = items_text(item.items)
            if text:
                heard.append(text)
        elif isinstance(item, cmd.Collect):
            text = items_text(item.prompt)
            if text:
                heard.append(text)
        elif isinstance(item, ev.Digits) and item.result != "success":
            pass

    async def _serve_connection(self, esl: AsyncESL) -> None:
        data = esl.channel_data
        if data is not None:
            setup = self.setups.get(data.uuid or "")
            if setup is not None:
                for k, v in setup.variables.items():
                    if v is not None:
                        data.headers[f"variable_{k}"] = v
        await super()._serve_connection(esl)

    @functools.cached_property
    def profile(self) -> SwitchProfile:
        """The emulated switch: stock 1.10.12 with the e2e bindings' mailboxes."""
        return sc.switch_profile(self.config.bundle, "e2e")

    def dialplan(self) -> Dialplan:
        """The generated dialplan of the `e2e` bindings, its socket action to this runtime."""
        return sc.generated_dialplan(self.config.bundle, "e2e", [f"127.0.0.1:{self.port}"])

    def bundle_for_call(self, bundle: LoadedBundle, data: Event, flow: str) -> LoadedBundle:
        setup = self.setups.get(data.uuid or "")
        if setup is None or not setup.flags:
            return bundle
        flags = {**bundle.flags, flow: {**bundle.flags.get(flow, {}), **setup.flags}}
        return dataclasses.replace(bundle, flags=flags)


@contextlib.asynccontextmanager
async def e2e_runtime(bundle: Path, tmp: Path) -> Any:
    config = ServeConfig(
        bundle=bundle,
        listen=[("127.0.0.1", 0)],
        env="e2e",
        journal=f"sqlite:///{tmp / 'journal.db'}",
        reload_interval=0,
        instance="e2e",
        timeouts=E2E_TIMEOUTS,
        journal_options={"flush_interval": 0.01},
        media=MediaConfig(),  # no ASR: the stock switch has no recogniser (`flowc serve`)
    )
    rt = E2ERuntime(config, lookup_env=lookup_env(), lookup_options={"max_deadline_ms": 300})
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop(drain_timeout=2.0)


# ------------------------------------------------------------------ one scenario


async def run_scenario(rt: E2ERuntime, http: MockHTTP, p: Plan) -> tuple[dict[str, Any], Any]:
    s = p.scenario
    dialplan = rt.dialplan()
    did = sc.flow_did(rt.config.bundle, "e2e", p.flow.name)
    if s.hangup_at and p.hangup_after_apps is None:
        # A dry run finds which application the node starts with; the caller of the real
        # run hangs up during that application (`hangup_after_apps`).
        dry = CallSpec(
            caller=s.caller,
            did=did,
            script=caller_script(p, 0, dialplan=dialplan),
            config=ChannelConfig(profile=rt.profile),
        )
        variables = {"flowc_flow": p.flow.name, "flowc_did": s.did}
        if s.locale:
            variables["flowc_locale"] = s.locale
        rt.setups[dry.uuid] = CallSetup(p.flow.name, p.start, variables, dict(s.flags))
        rt.hangup_watch[dry.uuid] = s.hangup_at
        http.reset(s.mocks)
        await place_call(dry, timeout=60, time_scale=0.0)
        await settle(rt)
        p.hangup_after_apps = rt.hangup_points.get(dry.uuid)
    http.reset(s.mocks)
    spec = CallSpec(
        caller=s.caller,
        did=did,
        script=caller_script(p, 0, dialplan=dialplan),
        caller_name=s.caller_name or None,
        config=ChannelConfig(profile=rt.profile),
    )
    variables = {"flowc_flow": p.flow.name, "flowc_did": s.did}
    if s.locale:
        variables["flowc_locale"] = s.locale
    p.call_id = spec.uuid
    rt.setups[spec.uuid] = CallSetup(p.flow.name, p.start, variables, dict(s.flags))
    first = await place_call(spec, timeout=60, time_scale=0.0)
    records = [first]
    await settle(rt)
    assert rt.journal is not None
    await rt.journal.flush()
    result = await neutral_result(rt, spec.uuid)
    return result, records


async def settle(rt: Runtime) -> None:
    async with asyncio.timeout(30):
        while rt.drivers:
            await asyncio.sleep(0.005)


async def neutral_result(rt: E2ERuntime, call_id: str) -> dict[str, Any]:
    """The `check_expectations` result of a call, from what the runtime recorded."""
    assert rt.journal is not None
    row = await rt.journal.fetch_call(call_id)
    steps = await rt.journal.fetch_steps(call_id)
    callbacks = await rt.journal.fetch_callbacks(call_id)
    assert row is not None, "no call record"
    detail = dict(row.get("detail") or {})
    survey = detail.pop("survey", {})
    variables = detail.pop("variables", {})
    detail.pop("runtime", None)
    detail.pop("interpreter_outcome", None)
    outcome: dict[str, Any] = {"kind": row.get("outcome"), "node": row.get("end_node")}
    outcome.update(detail)
    if callbacks:
        outcome["callback"] = callbacks[-1]["number"]
    return {
        "path": [str(s["node"]) for s in steps],
        "heard": rt.heard.get(call_id, []),
        "variables": variables,
        "outcome": outcome,
        "survey": survey,
    }


def judge(result: Mapping[str, Any], scenario: Scenario) -> list[str]:
    return [f"{f.step}: {f.message}" for f in check_expectations(result, scenario)]
