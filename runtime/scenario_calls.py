"""Turn `flowc test` scenarios into emulated FreeSWITCH calls (for the demo and the
end-to-end tests).

* `bindings_for`: bindings for every flow of a bundle (one DID per flow, one mod_callcenter
  queue per logical queue `<flow>__<queue>@<env>`, each service's `${...}` base URL pointing
  at the loopback `MockHTTP` server as `/svc/<flow>.<service>`); `compile_with_bindings`
  compiles flows with them.
* `plan`: which input the emulator hands to which application. The plan comes from a
  simulator run of the same scenario: each collect takes one input per try, and a collect
  with speech on runs `detect_speech` before `play_and_get_digits`, so it gets the speech
  (or silence) first and the keys second. Queue answers go by use (one outcome per
  `callcenter` on the queue, as often as the simulated call queued there), bridge outcomes
  in the order the transfers happen.
* `caller_script`: the emulator's `CallerScript` for a plan. Given the dialplan
  `flowc compile --target freeswitch` writes (`generated_dialplan`: the environment's
  bindings with the runtime's real address), the call starts in it and runs it all: the
  DID's extension, the socket action, and after an agent conversation `flowc_next`, whose
  resume connects the socket again for the queue's `after` node. Without one, the call is
  dialled straight to the runtime (`runtime.emulator.dial`) and only the resume is
  emulated after the socket (`generated_after_socket`).
* `MockHTTP`: the scenario's look-up answers over loopback HTTP, one per use.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from flowc.compiler.bundle import compile_paths
from flowc.flowtest import Scenario, ScenarioFile
from flowc.flowtest.scenario import CallerInput, MockResponse
from flowc.interpreter import TraceStep
from flowc.interpreter import commands as cmd
from flowc.simulate import CompiledFlow, Simulator, compile_file, start_time
from flowc.simulate.engine import DEFAULT_AGENT, QUEUE_WAIT_MS, TALK_MS, Ask, ScriptedInputs
from runtime import translate as tr
from runtime.emulator import BridgeOutcome, CallerScript, Dialplan, QueueOutcome, speech
from runtime.emulator.channel import DialplanApp
from runtime.emulator.profile import SwitchProfile, stock_1_10_12

MUMBLE = "嗯……那个"  # speech in which no keyword is found

# What a scenario can need that no recording of FreeSWITCH 1.10.12 shows (the strict emulator
# refuses it with `Unrecorded`): need -> the words its refusal names.
NEED_ASR = "speech recognition"
NEED_RECORD = "the record app"
NEED_SOUND_FILES = "sound files"
REFUSAL_WORDS: dict[str, str] = {
    NEED_ASR: "caller speech",
    NEED_RECORD: "application 'record'",
    NEED_SOUND_FILES: "sound file",
}


def _env_names(template: str) -> list[str]:
    return re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", template)


def bindings_for(
    flows: Mapping[str, Mapping[str, Any]], mock_url: str, env: str = "e2e"
) -> dict[str, Any]:
    """Bindings for every flow of a compiled bundle (`flows`: name -> IR)."""
    out: dict[str, Any] = {
        "environment": env,
        "runtime": ["127.0.0.1:8084"],
        "flows": {},
        "queues": {},
        "mailboxes": {},
        "services": {},
    }
    for i, (name, ir) in enumerate(sorted(flows.items())):
        if ir.get("params"):  # a subflow module: no DID of its own
            pass
        else:
            out["flows"][name] = {"dids": [f"9{i:03d}"]}
        for q in ir.get("queues") or {}:
            out["queues"][f"{name}.{q}"] = f"{name}__{q}@{env}"
        for m in ir.get("mailboxes") or {}:
            out["mailboxes"][f"{name}.{m}"] = f"{env}/{name}-{m}"
        for svc, spec in (ir.get("services") or {}).items():
            url = str(spec.get("url") or "")
            names = _env_names(url)
            if names:
                out["services"][f"{name}.{svc}"] = {
                    "env": {names[0]: f"{mock_url}/svc/{name}.{svc}"}
                }
    return out


def compile_with_bindings(
    sources: Sequence[Path], tmp: Path, mock_url: str, env: str = "e2e"
) -> Path:
    """Compile `sources` (flow files/folders) with generated bindings into `tmp/build`."""
    first = tmp / "first"
    lines: list[str] = []
    if compile_paths(list(sources), first, echo=lines.append) != 0:
        raise RuntimeError("\n".join(lines))
    flows = json.loads((first / "bundle.json").read_text(encoding="utf-8"))["flows"]
    bindings_dir = tmp / "bindings"
    bindings_dir.mkdir(parents=True, exist_ok=True)
    (bindings_dir / f"{env}.yaml").write_text(
        yaml.safe_dump(bindings_for(flows, mock_url, env), allow_unicode=True), encoding="utf-8"
    )
    out = tmp / "build"
    if compile_paths([*sources, bindings_dir], out, echo=lines.append) != 0:
        raise RuntimeError("\n".join(lines))
    return out


def lookup_env(flows_dir: Path) -> dict[str, str]:
    """Dummy secrets for every `${NAME}` the flows under `flows_dir` use (tokens...)."""
    env: dict[str, str] = {}
    for path in flows_dir.rglob("*.yaml"):
        for name in _env_names(path.read_text(encoding="utf-8")):
            env.setdefault(name, "e2e-secret")
    return env


# ------------------------------------------------------------------ the plan


class _Recording(ScriptedInputs):
    """The scenario's inputs, remembering what each collect asked and when."""

    def __init__(self, inputs: list[CallerInput]) -> None:
        super().__init__(inputs)
        self.sim: Simulator | None = None
        self.asks: list[tuple[Ask, CallerInput | None, int]] = []

    def next_input(self, ask: Ask) -> CallerInput | None:
        got = super().next_input(ask)
        pos = len(self.sim.call.trace) if self.sim is not None else 0
        self.asks.append((ask, got, pos))
        return got


class _Sim(Simulator):
    """The simulator, remembering the commands it was given (for the plan)."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.commands: list[cmd.Command] = []

    def _execute(self, c: cmd.Command) -> None:
        self.commands.append(c)
        super()._execute(c)


@dataclass
class Plan:
    """A scenario made ready for the emulator (see the module docstring)."""

    file: ScenarioFile
    scenario: Scenario
    flow: CompiledFlow
    start: datetime
    legs: list[list[str]]  # emulator inputs of the first socket and of the resume socket
    resume_node: str | None
    bridges: list[BridgeOutcome]
    sim_outcome: dict[str, Any]
    agent: str = "1001"
    hangup_after_apps: int | None = None  # the caller hangs up during this application
    call_id: str = ""  # the channel UUID of the scenario's call (not of a dry run)
    queue_uses: dict[str, int] = field(default_factory=dict)  # logical queue -> callcenters
    needs: tuple[str, ...] = ()  # what the call needs that no recording shows (`needs_of`)


def _emulator_input(inp: CallerInput | None, for_speech: bool) -> str:
    if inp is None:
        return "silence"
    if inp.kind == "hangup":
        return "hangup"
    if for_speech:
        if inp.kind == "say":
            return speech(inp.value)
        if inp.kind == "mumble":
            return speech(MUMBLE)
        return "silence"
    if inp.kind == "press":
        return inp.value
    return "silence"


def plan(
    sf: ScenarioFile,
    scenario: Scenario,
    *,
    asr: bool = False,
    profile: SwitchProfile | None = None,
) -> Plan:
    """Simulate `scenario` once and derive the emulator's inputs, bridges and resume leg.

    `asr`: whether the runtime starts speech recognition (`flowc serve --asr`); the stock
    switch has none, so by default the prediction is the simulator's `asr=False` and a collect
    is `play_and_get_digits` only. What the caller says to a speech collect is then handed to
    `play_and_get_digits` as speech, which the strict emulator refuses (no capture has a
    caller speaking): such a scenario `needs` speech recognition (`needs_of`)."""
    flow = compile_file(sf.flow)
    rec = _Recording(list(scenario.inputs))
    sim = _Sim(flow, scenario, inputs=rec, asr=asr)
    rec.sim = sim
    result = sim.run()
    agent_done = next(
        (i for i, s in enumerate(result.trace) if s.kind == "event" and s.why == "agent_done"),
        None,
    )
    legs: list[list[str]] = [[]]
    resumed = False
    for ask, got, pos in rec.asks:
        if agent_done is not None and pos > agent_done and not resumed:
            legs.append([])
            resumed = True
        leg = legs[-1]
        spoken = got is not None and got.kind in ("say", "mumble")
        if ask.speech and asr and ask.attempt == 1:
            leg.append(_emulator_input(got, True))  # detect_speech
            if got is not None and got.kind == "hangup":
                continue
        elif ask.speech and spoken and not asr:
            leg.append(_emulator_input(got, True))  # speech to play_and_get_digits: refused
            continue
        leg.append(_emulator_input(got, False))  # play_and_get_digits (one try)
    if agent_done is not None and not resumed:
        legs.append([])
    resume_node = None
    if agent_done is not None:
        enq = [c for c in sim.commands if isinstance(c, cmd.Enqueue) and c.resume_at]
        resume_node = enq[-1].resume_at if enq else None
    bridges: list[BridgeOutcome] = []
    for c, step in _transfers(sim.commands, result.trace):
        plan_ = tr.transfer_plan(c, None, tr.MediaConfig())
        if plan_.app != "bridge":
            continue
        if step is None or step.detail.get("ok", True):
            bridges.append(BridgeOutcome("answered", talk_time=1.0))
        elif "BUSY" in str(step.detail.get("cause", "")).upper():
            bridges.append(BridgeOutcome("busy"))
        else:
            bridges.append(BridgeOutcome("fail"))
    agent = next(
        (
            str(s.detail.get("agent") or "1001")
            for s in result.trace
            if s.kind == "event"
            and s.why == "queue_result"
            and s.detail.get("outcome") == "answered"
        ),
        "1001",
    )
    uses: dict[str, int] = {}
    for command in sim.commands:
        if isinstance(command, cmd.Enqueue):
            uses[command.queue] = uses.get(command.queue, 0) + 1
    return Plan(
        sf,
        scenario,
        flow,
        start_time(scenario, flow),
        legs,
        resume_node,
        bridges,
        dict(result.outcome),
        agent,
        queue_uses=uses,
        needs=_needs(sf, scenario, sim, rec, asr, profile or stock_1_10_12()),
    )


def _needs(
    sf: ScenarioFile,
    scenario: Scenario,
    sim: _Sim,
    rec: _Recording,
    asr: bool,
    profile: SwitchProfile,
) -> tuple[str, ...]:
    needs = needs_of(sim.commands, [(a, g) for a, g, _ in rec.asks], asr=asr, profile=profile)
    if NEED_ASR in needs and not asr:
        # the scenario as written (with a recogniser) goes elsewhere: what that path needs too
        rec2 = _Recording(list(scenario.inputs))
        sim2 = _Sim(compile_file(sf.flow), scenario, inputs=rec2, asr=True)
        sim2.run()
        more = needs_of(sim2.commands, [], asr=True, profile=profile)
        needs = needs + tuple(n for n in more if n not in needs)
    return needs


def needs_of(
    commands: Sequence[cmd.Command],
    asks: Sequence[tuple[Ask, CallerInput | None]],
    *,
    asr: bool,
    profile: SwitchProfile,
) -> tuple[str, ...]:
    """What the predicted call asks of the switch that no recording shows, given what
    `profile` has installed: a caller speaking to a speech collect (no capture has caller
    speech or a loaded ASR module), a `record` node (no capture records outside
    mod_voicemail), a sound file in a prompt (no capture plays one). Each is refused by the
    strict emulator with `Unrecorded` naming `REFUSAL_WORDS[need]`."""
    needs: list[str] = []
    spoken = any(
        ask.speech and got is not None and got.kind in ("say", "mumble") for ask, got in asks
    )
    if spoken and not (asr and profile.asr_modules):
        needs.append(NEED_ASR)
    if any(isinstance(c, cmd.Record) for c in commands):
        needs.append(NEED_RECORD)
    if not profile.sound_files and any(
        item.kind == "audio" for c in commands for item in _prompt_items(c)
    ):
        needs.append(NEED_SOUND_FILES)
    return tuple(needs)


def _prompt_items(c: cmd.Command) -> tuple[cmd.PlayItem, ...]:
    if isinstance(c, cmd.Play):
        return c.items
    if isinstance(c, cmd.Collect):
        return c.prompt + c.invalid_prompt
    return ()


def switch_profile(bundle: Path, env: str) -> SwitchProfile:
    """The switch the scenario calls run on: the live captures' stock 1.10.12
    (`stock_1_10_12`: flite/kal, no ASR, no sound files, skip_* variables for mod_voicemail)
    whose directory also has the mailboxes environment `env` binds (`domain/box`), as an
    installation for these bindings would (T10: a known mailbox records)."""
    data = json.loads((bundle / "bundle.json").read_text(encoding="utf-8"))
    base = stock_1_10_12()
    directory = {d: set(users) for d, users in base.directory.items()}
    for target in (data["bindings"][env].get("mailboxes") or {}).values():
        domain, _, box = str(target).partition("/")
        if box:
            directory.setdefault(domain, set()).add(box)
    return dataclasses.replace(
        base, directory=MappingProxyType({d: frozenset(u) for d, u in directory.items()})
    )


def _transfers(
    commands: list[cmd.Command], trace: list[TraceStep]
) -> Iterator[tuple[cmd.Transfer, TraceStep | None]]:
    results = iter(s for s in trace if s.kind == "event" and s.why == "transfer_result")
    for c in commands:
        if isinstance(c, cmd.Transfer):
            yield c, next(results, None)


def caller_script(
    p: Plan,
    leg: int = 0,
    *,
    env: str = "e2e",
    socket_data: str = "127.0.0.1:8084 async full",
    dialplan: Dialplan | None = None,
) -> CallerScript:
    """The emulated caller of a plan. `leg` 0: the whole call (the dialplan's resume socket
    is part of it: its inputs follow the first socket's); 1: only what follows the agent
    conversation. `dialplan`: the generated dialplan the call runs from its start (then
    `hangup_after_apps` counts what the runtime runs, not the dialplan's own actions);
    without it `socket_data` is the resume socket's action (the runtime's address)."""
    s = p.scenario
    queues: dict[str, list[QueueOutcome]] = {}
    for logical, answers in s.queues.items():
        real = f"{p.flow.name}__{logical}@{env}"
        outcomes = [
            QueueOutcome(
                result=a.outcome,
                wait=(a.wait_ms if a.wait_ms is not None else 20_000) / 1000,
                talk_time=(a.talk_ms if a.talk_ms is not None else 180_000) / 1000,
                agent=a.agent or "1001",
            )
            for a in answers
        ]
        # a scenario's answers go by use, the last one repeating (like the simulator's)
        uses = max(p.queue_uses.get(logical, 0), len(outcomes))
        queues[real] = [outcomes[min(i, len(outcomes) - 1)] for i in range(uses)]
    if leg == 0:
        inputs = [x for each in p.legs for x in each]
    else:
        inputs = p.legs[leg] if leg < len(p.legs) else []
    after: tuple[DialplanApp, ...] = ()
    extensions: dict[str, tuple[DialplanApp, ...]] | None = None
    if dialplan is None:
        after, extensions = generated_after_socket(p.resume_node, socket_data)
    return CallerScript(
        inputs=inputs,
        hangup_after_apps=p.hangup_after_apps if leg == 0 else None,
        queues=queues,
        # a queue the scenario does not script: what the simulator assumes
        default_queue=QueueOutcome(
            wait=QUEUE_WAIT_MS / 1000, talk_time=TALK_MS / 1000, agent=DEFAULT_AGENT
        ),
        bridges=p.bridges if leg == 0 else [],
        after_socket=after,
        extensions=extensions,
        dialplan=dialplan,
        count_dialplan_apps=dialplan is None,
    )


def generated_dialplan(bundle: Path, env: str, runtime: Sequence[str]) -> Dialplan:
    """The dialplan `flowc compile --target freeswitch` writes for environment `env` of a
    compiled bundle, with the runtime instances at `runtime` (`host:port`, in order): the
    bundle's bindings name the addresses of the real deployment, a test knows its own only
    once the runtime listens."""
    import xml.etree.ElementTree as ET

    from flowc.compiler.freeswitch import dialplan

    data = json.loads((bundle / "bundle.json").read_text(encoding="utf-8"))
    bindings = {**data["bindings"][env], "runtime": list(runtime)}
    return Dialplan.parse(ET.tostring(dialplan(bindings), encoding="unicode"), f"{env} dialplan")


def flow_did(bundle: Path, env: str, flow: str) -> str:
    """The first DID environment `env` of a compiled bundle routes to `flow`."""
    data = json.loads((bundle / "bundle.json").read_text(encoding="utf-8"))
    dids = ((data["bindings"][env].get("flows") or {}).get(flow) or {}).get("dids") or []
    if not dids:
        raise LookupError(f"no DID routes to {flow} in {env}")
    return str(dids[0])


def generated_after_socket(
    resume_node: str | None, socket_data: str
) -> tuple[tuple[DialplanApp, ...], dict[str, tuple[DialplanApp, ...]]]:
    """For a call dialled straight to one runtime (no dialplan file): after the socket, the
    part of the generated dialplan such a call needs, as emulator dialplan apps - the resume
    of a queue's `after` node (`flowc_resume_node`, a second socket action to `socket_data`)
    when `flowc_resume` is set, a hang-up (NORMAL_TEMPORARY_FAILURE) otherwise.
    `generated_dialplan` is the whole
    dialplan, with the instance failover and the fallback."""
    after = (DialplanApp("transfer", f"flowc_after_${{{tr.RESUME_VAR}}} XML flowc"),)
    extensions: dict[str, tuple[DialplanApp, ...]] = {
        "flowc_after_": (
            DialplanApp("log", "WARNING flowc runtime unreachable: falling back"),
            DialplanApp("hangup", "NORMAL_TEMPORARY_FAILURE"),
        )
    }
    if resume_node:
        extensions[f"flowc_after_{resume_node}"] = (
            DialplanApp("set", f"{tr.RESUME_NODE_VAR}={resume_node}"),
            DialplanApp("unset", tr.RESUME_VAR),
            DialplanApp("socket", socket_data),
            DialplanApp("hangup", "NORMAL_CLEARING"),
        )
    return after, extensions


# ------------------------------------------------------------------ look-ups


@dataclass
class MockHTTP:
    """Loopback HTTP server for the scenario's look-ups: `/svc/<flow>.<service>/...`."""

    timeouts: dict[str, int] = field(default_factory=dict)  # service key -> timeout ms
    mocks: Mapping[str, list[MockResponse]] = field(default_factory=dict)
    uses: dict[str, int] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self, mocks: Mapping[str, list[MockResponse]]) -> None:
        self.mocks, self.uses, self.requests = mocks, {}, []

    def _answer(self, service: str) -> MockResponse:
        answers = self.mocks.get(service)
        if not answers:
            return MockResponse("error")
        used = self.uses.get(service, 0)
        self.uses[service] = used + 1
        return answers[min(used, len(answers) - 1)]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.decode("latin-1").split("\r\n"):
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            if length:
                await reader.readexactly(length)
            path = head.split(b" ", 2)[1].decode()
            self.requests.append(path)
            key = path.split("/")[2] if path.startswith("/svc/") else ""
            service = key.split(".", 1)[-1]
            resp = self._answer(service)
            limit = self.timeouts.get(key, 1000)
            if resp.kind in ("timeout", "hang") or (resp.delay_ms or 0) > limit:
                await asyncio.sleep(30)  # the runtime gives up first
                return
            if resp.kind == "error":
                body, status = b'{"error": "mock error"}', 500
            else:
                body = json.dumps(resp.body, ensure_ascii=False).encode()
                status = resp.status
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def service_timeouts(bundle: Path) -> dict[str, int]:
    flows = json.loads((bundle / "bundle.json").read_text(encoding="utf-8"))["flows"]
    out = {}
    for name, ir in flows.items():
        for svc, spec in (ir.get("services") or {}).items():
            out[f"{name}.{svc}"] = int(spec.get("timeout") or 1000)
    return out
