"""The live part of `scripts/demo.sh`: example scenarios as emulated FreeSWITCH calls into a
running `flowc serve`, and what each caller experienced.

    python -m runtime.demo ports                       # three free loopback ports
    python -m runtime.demo env examples/               # dummy API tokens the flows read
    python -m runtime.demo compile examples/ --out out/runtime --mock http://127.0.0.1:PORT
    python -m runtime.demo calls examples/ --port ESL --mock-port PORT [--per-example 3]
    python -m runtime.demo journal out/runtime/journal.db

`compile` builds the bundle with demo bindings (`runtime.scenario_calls.bindings_for`: one DID
per flow, one queue per logical queue, look-ups at the local mock server). `calls` serves the
scenarios' look-up answers on the mock port, plays a few scenarios of every
`*.test.yaml` (those that need no per-call locale, flags or second socket, nor anything no
recording of the switch shows: speech, `record`, sound files, see `scenario_calls.needs_of`)
through the emulator (`runtime.emulator.dial`, the stock 1.10.12 profile; the runtime runs
without ASR) and prints each call as the caller lived it: prompts, keys, queue, transfer,
hang-up. `journal` prints what the runtime recorded for those
calls next to what `flowc test` predicts.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import socket
import sqlite3
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from flowc.flowtest import Scenario, ScenarioFile, load_scenario_file
from runtime import scenario_calls as sc
from runtime import translate as tr
from runtime.emulator import CallSpec, dial
from runtime.emulator.channel import ChannelConfig
from runtime.esl.message import Event


def free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


# ------------------------------------------------------------------ what the caller lived


def _prompt_text(arg: str) -> str:
    parts = arg[len("file_string://") :].split("!") if arg.startswith("file_string://") else [arg]
    out = []
    for part in parts:
        if part.startswith("say:"):
            out.append(part[4:])
        elif part.startswith("${say_string("):
            out.append("[" + " ".join(part[len("${say_string(") : -2].split()[2:]) + "]")
        elif part.startswith("silence_stream://"):
            continue
        else:
            out.append(f"[audio {part.replace('${sound_prefix}/', '')}]")
    return " ".join(out)


def transcript(messages: Sequence[dict[str, Any]]) -> list[str]:
    """The call as the caller lived it, from the emulator's record of the wire."""
    lines: list[str] = []
    keys = ""

    def flush() -> None:
        nonlocal keys
        if keys:
            lines.append(f"  ☎ presses {keys}")
            keys = ""

    for m in messages:
        data = str(m.get("data", ""))
        if m.get("dir") == "to_switch":
            head = dict(line.split(": ", 1) for line in data.split("\n")[1:] if ": " in line)
            app, arg = head.get("execute-app-name"), head.get("execute-app-arg", "")
            if app is not None:
                flush()
            if app == "speak":
                lines.append(f"  🔊 {arg.split('|', 2)[-1]}")
            elif app == "playback" and not arg.startswith("tone_stream"):
                lines.append(f"  🔊 [audio {arg}]")
            elif app == "play_and_get_digits":
                argv = _split(arg)
                if len(argv) > 5 and argv[5] not in ("silence", tr.NO_PROMPT):
                    lines.append(f"  🔊 {_prompt_text(argv[5])}")
            elif app == "callcenter":
                lines.append(f"  📞 waits in queue {arg}")
            elif app == "bridge":
                lines.append(f"  📞 is put through to {arg}")
            elif app in ("voicemail", "record"):
                lines.append("  📞 beep: leaves a message")
            elif head.get("call-command") == "hangup":
                lines.append(f"  📞 the flow hangs up ({head.get('hangup-cause', '')})")
            continue
        if "Content-Type: text/event-json" not in data:
            continue
        try:
            event = Event.from_json(data.split("\n\n", 1)[1].encode())
        except Exception:
            continue
        name = event.name
        if name == "DTMF":
            keys += event.get("DTMF-Digit", "")
        elif name == "DETECTED_SPEECH":
            heard = tr.speech_result(event, datetime.now().astimezone())
            if heard is not None and heard.type == "speech_result":
                flush()
                lines.append(f'  ☎ says "{getattr(heard, "text", "")}"')
        elif name == "CHANNEL_EXECUTE_COMPLETE" and event.get("Application") == "callcenter":
            cause = event.variable("cc_cause") or ""
            reason = event.variable("cc_cancel_reason") or ""
            lines.append(f"  📞 queue: {'an agent answers' if cause == 'answered' else reason}")
        elif name == "CHANNEL_HANGUP":
            flush()
            lines.append(f"  📞 hang-up ({event.get('Hangup-Cause', '')})")
            break
    flush()
    return lines


def _split(arg: str) -> list[str]:
    """FreeSWITCH's blank-delimited tokenizer with single quotes (enough for display)."""
    out, cur, quoted = [], "", False
    i = 0
    while i < len(arg):
        ch = arg[i]
        if ch == "\\" and i + 1 < len(arg) and arg[i + 1] == "'":
            cur += "'"
            i += 2
            continue
        if ch == "'":
            quoted = not quoted
        elif ch == " " and not quoted:
            if cur:
                out.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    if cur:
        out.append(cur)
    return out


# ------------------------------------------------------------------ commands


def _pick(sf: ScenarioFile, at: datetime, per_example: int) -> list[tuple[Scenario, sc.Plan]]:
    chosen: list[tuple[Scenario, sc.Plan]] = []
    kinds: set[str] = set()
    for s in sf.scenarios:
        if s.skip or s.locale or s.flags or s.hangup_at or s.hangup_after_ms is not None:
            continue
        s = dataclasses.replace(s, at=at)
        p = sc.plan(sf, s)  # as `flowc test --no-asr` predicts (the runtime runs without ASR)
        kind = str(p.sim_outcome.get("kind"))
        # `p.needs`: what no recording of the switch shows (speech, `record`, sound files)
        if p.needs or p.resume_node is not None or not kind or kind in kinds:
            continue
        kinds.add(kind)
        chosen.append((s, p))
        if len(chosen) >= per_example:
            break
    return chosen


async def _calls(args: argparse.Namespace) -> int:
    at = datetime.fromisoformat(args.clock)
    http = sc.MockHTTP()
    await http.start(args.mock_port)
    build = Path(args.bundle)
    if (build / "bundle.json").exists():
        http.timeouts = sc.service_timeouts(build)
    async with asyncio.timeout(30):
        while True:
            try:
                _, w = await asyncio.open_connection("127.0.0.1", args.port)
                w.close()
                break
            except OSError:
                await asyncio.sleep(0.1)
    profile = sc.switch_profile(build, "demo")
    made: list[dict[str, Any]] = []
    try:
        for path in sorted(Path(args.examples).glob("*.test.yaml")):
            sf = load_scenario_file(path)
            print(f"\n── {path.name}")
            picked = _pick(sf, at, args.per_example)
            if not picked:
                print("  (no call: its scenarios need what no recording of the switch shows")
                print("   - speech, `record`, sound files - or a per-call locale, flags, resume)")
            for s, p in picked:
                http.reset(s.mocks)
                spec = CallSpec(
                    caller=s.caller,
                    did=_did(build, p.flow.name),
                    script=sc.caller_script(p, 0, env="demo"),
                    caller_name=s.caller_name or None,
                    config=ChannelConfig(profile=profile),
                )
                rec = await dial(
                    "127.0.0.1", args.port, call=spec, timeout=60, time_scale=0.0, record=True
                )
                expected = p.sim_outcome
                print(f"\n  {s.name}")
                print(f"  caller {s.caller} dials {spec.did} ({p.flow.name})")
                for line in transcript(rec.messages):
                    print(line)
                print(f"  flowc test predicts: {expected.get('kind')} at `{expected.get('node')}`")
                made.append(
                    {
                        "call_id": spec.uuid,
                        "scenario": s.name,
                        "file": path.name,
                        "expected": {"kind": expected.get("kind"), "node": expected.get("node")},
                        "ok": rec.ok,
                    }
                )
    finally:
        await http.close()
    if args.record:
        Path(args.record).write_text(json.dumps(made, ensure_ascii=False, indent=1))
    return 0 if all(c["ok"] for c in made) else 1


def _did(build: Path, flow: str) -> str:
    data = json.loads((build / "bundle.json").read_text(encoding="utf-8"))
    for env in (data.get("bindings") or {}).values():
        dids = ((env.get("flows") or {}).get(flow) or {}).get("dids") or []
        if dids:
            return str(dids[0])
    return "5000"


def _journal(args: argparse.Namespace) -> int:
    db = Path(args.journal)
    calls = json.loads(Path(args.record).read_text()) if args.record else []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        total = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("calls", "steps", "call_ends", "survey_answers", "callback_requests")
        }
        print(f"\njournal {db}: " + ", ".join(f"{n} {t}" for t, n in total.items()))
        same = 0
        for c in calls:
            row = con.execute(
                "SELECT outcome, node FROM call_ends WHERE call_id = ?", (c["call_id"],)
            ).fetchone()
            got = {"kind": row[0], "node": row[1]} if row else None
            mark = "✓" if got == c["expected"] else "✗"
            same += got == c["expected"]
            shown = f"{got['kind']} at `{got['node']}`" if got else "no record"
            print(f"  {mark} {c['scenario']}: runtime {shown}")
        if calls:
            print(f"  {same} of {len(calls)} calls ended as flowc test predicts")
    finally:
        con.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m runtime.demo", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    envp = sub.add_parser("env", help="print NAME=value dummy secrets the flows need")
    envp.add_argument("flows")
    ports = sub.add_parser("ports", help="print free loopback ports")
    ports.add_argument("n", type=int, nargs="?", default=3)
    comp = sub.add_parser("compile", help="compile flows with demo bindings")
    comp.add_argument("sources", nargs="+")
    comp.add_argument("--out", required=True)
    comp.add_argument("--mock", required=True, help="base URL of the look-up mock")
    calls = sub.add_parser("calls", help="play example scenarios as emulated calls")
    calls.add_argument("examples")
    calls.add_argument("--bundle", required=True)
    calls.add_argument("--port", type=int, required=True)
    calls.add_argument("--mock-port", type=int, required=True)
    calls.add_argument("--per-example", type=int, default=3)
    calls.add_argument("--clock", default="2026-10-09T10:00:00+08:00")
    calls.add_argument("--record", help="write the calls made (JSON) here")
    jr = sub.add_parser("journal", help="what the runtime recorded")
    jr.add_argument("journal")
    jr.add_argument("--record")
    args = p.parse_args(argv)
    if args.cmd == "env":
        print(
            *(f"{k}=demo-{k.lower()}" for k, v in sorted(sc.lookup_env(Path(args.flows)).items()))
        )
        return 0
    if args.cmd == "ports":
        print(*free_ports(args.n))
        return 0
    if args.cmd == "compile":
        out = Path(args.out)
        build = sc.compile_with_bindings([Path(x) for x in args.sources], out, args.mock, "demo")
        print(f"compiled {', '.join(args.sources)} with demo bindings -> {build / 'bundle.json'}")
        return 0
    if args.cmd == "calls":
        return asyncio.run(_calls(args))
    return _journal(args)


if __name__ == "__main__":
    sys.exit(main())
