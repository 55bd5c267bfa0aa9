"""IR bundle + bindings -> FreeSWITCH artifacts: dialplan, queues and the voicemail limit.

Per environment (binding file) two files are written under `freeswitch/<env>/`:

* `dialplan/flowc.xml` — one extension per bound flow, matching its DIDs, that sets the call's
  `flowc_*` variables, answers and transfers to context `flowc`, which hands the call to the
  runtime instances one after the other. mod_event_socket's `socket` application takes ONE
  `host[:port]` (`socket_function` cuts the port after the last `:`, so `a:p|b:p` names the
  host `a:p|b`, which does not resolve: "Socket Error!"), and it returns whenever it cannot
  connect, or when the application lets the channel go with `resume`: the dialplan then goes
  on after the socket action. After the transfer the channel's destination number is
  `flowc_try_<N>`: the DID travels in `flowc_did` (the runtime reads it there). So:
    - `flowc_try_<N>` (one per `runtime` instance, in order): `set flowc_try=<N>`,
      `socket <instance N> async full`, `transfer flowc_next`;
    - `flowc_next` decides, from channel variables, where a call goes once a socket session is
      over (the runtime sets `flowc_served` on every call it takes; it refuses a call by
      `resume` without setting it):
        (a) `flowc_resume` set: the runtime queued the caller for a node with `after` (the
            post-call survey) and an agent talked to them; mod_callcenter returns the caller
            to the dialplan after an agent conversation, never to the socket. Remember the
            node in `flowc_resume_node` and start over at `flowc_try_1` (the resume fails
            over like a new call; the instance that still holds the call adopts it);
        (b) `flowc_served` and `cc_queue_answered_epoch` set: the caller talked to an agent
            and the flow has nothing after the queue: hang up;
        (c) `flowc_served` set otherwise: a runtime took the call and lost it mid-flow: the
            fallback (a person);
        (d) `flowc_try` below the number of instances: the next instance;
        (e) every instance refused or was unreachable: hang up when the caller already talked
            to an agent (`flowc_resume_node`), else the fallback.
  The fallback is the binding's `fallback` (`app:data`), or a hang-up with
  NORMAL_TEMPORARY_FAILURE when there is none. A condition on `${var}` is evaluated when the
  extension is hunted, i.e. right after the `transfer` (mod_dialplan_xml `parse_exten`), and
  the first extension whose conditions all pass wins; every extension therefore first
  matches its `destination_number`, and carries its actions on its last condition only
  (actions of a passing condition are kept even when a later one fails).
* `autoload_configs/callcenter.conf.xml` — the queues named in the bindings.

and, when the flows the environment serves have voicemail nodes, a third:

* `flowc/voicemail_profile.xml` — the `max-record-len` of the mod_voicemail profile the
  runtime leaves messages through (`voicemail <profile> <domain> <box>`). mod_voicemail has no
  per-call limit: `create_file` records with `switch_ivr_record_file(..., profile->
  max_record_len)`, and neither `voicemail_leave_main` nor `switch_ivr_record_file` reads a
  channel variable that changes it. So one profile serves every voicemail node of the
  environment, and its limit is the longest `max_length` among them (whole seconds, rounded
  up; mod_voicemail accepts 1..999). It is a pre-processor include: FreeSWITCH drops the
  `<include>` lines and pastes the `<param>` where the include stands, inside the profile of
  `autoload_configs/voicemail.conf.xml` (see the README).

Every value written into XML attributes goes through the XML escaper; nothing from a flow is
pasted into the dialplan unescaped.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

CONTEXT = "flowc"
VOICEMAIL_FRAGMENT = Path("flowc") / "voicemail_profile.xml"
# mod_voicemail checks `max-record-len` against `config_int_0_1000`, with strict bounds
# (`switch_xml_config_parse_event`): 1..999 seconds; any other value is replaced by the
# default, 300, with only an error in FreeSWITCH's log.
MAX_RECORD_LEN_S = 999


def _did_regex(dids: list[str]) -> str:
    return "^(" + "|".join(re.escape(d) for d in dids) + ")$"


def _action(parent: ET.Element, app: str, data: str | None = None) -> None:
    attrs = {"application": app}
    if data is not None:
        attrs["data"] = data
    ET.SubElement(parent, "action", attrs)


RUNTIME_DEFAULT = "127.0.0.1:8084"
NO_FALLBACK = "hangup:NORMAL_TEMPORARY_FAILURE"
# The channel variables the dialplan and the runtime share.
TRY_VAR = "flowc_try"  # the instance being tried, 1-based
SERVED_VAR = "flowc_served"  # set by the runtime (uuid_setvar) on every call it takes
RESUME_VAR = "flowc_resume"  # set by the runtime before a queue whose node has `after`
RESUME_NODE_VAR = "flowc_resume_node"  # the `after` node, for the resume socket
AGENT_VAR = "cc_queue_answered_epoch"  # set by mod_callcenter when an agent answers
NEXT = "flowc_next"


def runtime_instances(bindings: Mapping[str, Any]) -> list[str]:
    """The binding's runtime instances (`host:port`), in the order the dialplan tries them."""
    instances = [str(r).strip() for r in (bindings.get("runtime") or [RUNTIME_DEFAULT])]
    for each in instances:
        if not each or "|" in each or any(c.isspace() for c in each):
            raise ValueError(
                f"runtime instance {each!r}: one host:port per entry (FreeSWITCH's socket "
                "application takes one address; list the instances instead)"
            )
    return instances


def _extension(
    ctx: ET.Element, name: str, destination: str, *variables: tuple[str, str]
) -> ET.Element:
    """An extension matching `destination` and every `(${var}, regex)`; returns the condition
    that carries the actions (the last one)."""
    ext = ET.SubElement(ctx, "extension", {"name": name})
    cond = ET.SubElement(
        ext, "condition", {"field": "destination_number", "expression": destination}
    )
    for field, expression in variables:
        cond = ET.SubElement(ext, "condition", {"field": field, "expression": expression})
    return cond


def _transfer(cond: ET.Element, extension: str) -> None:
    _action(cond, "transfer", f"{extension} XML {CONTEXT}")


def _fallback(cond: ET.Element, fallback: str | None, why: str) -> None:
    _action(cond, "log", f"WARNING flowc: {why}: falling back")
    app, _, data = (fallback or NO_FALLBACK).partition(":")
    _action(cond, app, data or None)


def dialplan(bindings: dict[str, Any], public_context: str = "public") -> ET.Element:
    """The dialplan include for one environment (see the module docstring)."""
    root = ET.Element("include")
    instances = runtime_instances(bindings)
    fallback = bindings.get("fallback") or None
    ctx = ET.SubElement(root, "context", {"name": public_context})
    for flow, fb in sorted(bindings.get("flows", {}).items()):
        dids = list(fb.get("dids") or [])
        if not dids:
            continue
        ext = ET.SubElement(ctx, "extension", {"name": f"flowc_{flow}"})
        cond = ET.SubElement(
            ext, "condition", {"field": "destination_number", "expression": _did_regex(dids)}
        )
        _action(cond, "set", f"flowc_flow={flow}")
        _action(cond, "set", "flowc_did=${destination_number}")
        _action(cond, "set", f"flowc_env={bindings.get('environment', '')}")
        _action(cond, "answer")
        _transfer(cond, "flowc_try_1")
    inner = ET.SubElement(root, "context", {"name": CONTEXT})
    for n, address in enumerate(instances, start=1):
        inner.append(ET.Comment(f" runtime instance {n} of {len(instances)} "))
        cond = _extension(inner, f"flowc_try_{n}", f"^flowc_try_{n}$")
        _action(cond, "set", f"{TRY_VAR}={n}")
        _action(cond, "socket", f"{address} async full")
        # Reached when the socket returns: refused, unreachable, or control came back.
        _transfer(cond, NEXT)
    here = f"^{NEXT}$"
    inner.append(ET.Comment(" after an agent: the queue's `after` node, on any instance "))
    cond = _extension(inner, "flowc_resume", here, (f"${{{RESUME_VAR}}}", "^(.+)$"))
    _action(cond, "set", f"{RESUME_NODE_VAR}=$1")
    _action(cond, "unset", RESUME_VAR)
    _action(cond, "unset", SERVED_VAR)
    _transfer(cond, "flowc_try_1")
    inner.append(ET.Comment(" after an agent, nothing more in the flow "))
    cond = _extension(
        inner,
        "flowc_agent_done",
        here,
        (f"${{{SERVED_VAR}}}", "^.+$"),
        (f"${{{AGENT_VAR}}}", "^.+$"),
    )
    _action(cond, "hangup", "NORMAL_CLEARING")
    inner.append(ET.Comment(" a runtime took the call and lost it "))
    cond = _extension(inner, "flowc_lost", here, (f"${{{SERVED_VAR}}}", "^.+$"))
    _fallback(cond, fallback, f"runtime ${{{SERVED_VAR}}} lost the call")
    for n in range(1, len(instances)):
        inner.append(ET.Comment(f" instance {n} refused or unreachable: try {n + 1} "))
        cond = _extension(inner, f"flowc_next_{n + 1}", here, (f"${{{TRY_VAR}}}", f"^{n}$"))
        _transfer(cond, f"flowc_try_{n + 1}")
    inner.append(ET.Comment(" no runtime: the caller already talked to an agent "))
    cond = _extension(inner, "flowc_resume_lost", here, (f"${{{RESUME_NODE_VAR}}}", "^.+$"))
    _action(cond, "log", "WARNING flowc: no runtime for the call after the agent: hanging up")
    _action(cond, "hangup", "NORMAL_CLEARING")
    inner.append(ET.Comment(" no runtime took the call "))
    cond = _extension(inner, "flowc_fallback", here)
    _fallback(cond, fallback, "no runtime took the call")
    return root


def callcenter(bindings: dict[str, Any], bundle: dict[str, Any]) -> ET.Element:
    """mod_callcenter configuration for the queues this environment binds."""
    conf = ET.Element(
        "configuration",
        {"name": "callcenter.conf", "description": "CallCenter (generated by flowc)"},
    )
    queues = ET.SubElement(conf, "queues")
    seen: set[str] = set()
    for logical, real in sorted(bindings.get("queues", {}).items()):
        if real in seen:
            continue
        seen.add(real)
        flow_name, _, qname = logical.partition(".")
        spec = bundle["flows"].get(flow_name, {}).get("queues", {}).get(qname, {})
        q = ET.SubElement(queues, "queue", {"name": real})
        params = {
            "strategy": spec.get("strategy") or "longest-idle-agent",
            "moh-sound": spec.get("moh") or "$${hold_music}",
            "time-base-score": "system",
            "tier-rules-apply": "false",
            "discard-abandoned-after": "60",
            "abandoned-resume-allowed": "false",
            "max-wait-time": "0",
            "max-wait-time-with-no-agent": "0",
            "max-wait-time-with-no-agent-time-reached": "5",
        }
        for name, value in params.items():
            ET.SubElement(q, "param", {"name": name, "value": value})
    ET.SubElement(conf, "agents")
    ET.SubElement(conf, "tiers")
    return conf


def served_flows(bundle_flows: Mapping[str, Any], bindings: Mapping[str, Any]) -> list[str]:
    """The flows an environment's calls can run: those it routes DIDs to, and the subflow
    modules they call (transitively)."""
    todo = [str(name) for name in (bindings.get("flows") or {}) if name in bundle_flows]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        ir = bundle_flows.get(name)
        modules = ir.get("modules") if isinstance(ir, Mapping) else None
        if isinstance(modules, Mapping):
            todo.extend(str(m) for m in modules.values() if m in bundle_flows)
    return sorted(seen)


def voicemail_lengths(
    bundle_flows: Mapping[str, Any], bindings: Mapping[str, Any]
) -> dict[str, int]:
    """`<flow>.<node>` -> `max_length` (ms) of every voicemail node the environment serves."""
    out: dict[str, int] = {}
    for name in served_flows(bundle_flows, bindings):
        nodes = bundle_flows[name].get("nodes")
        if not isinstance(nodes, Mapping):
            continue
        for node_id, node in nodes.items():
            if isinstance(node, Mapping) and node.get("kind") == "voicemail":
                # The interpreter's default when the IR has none (`program._voicemail`).
                out[f"{name}.{node_id}"] = int(node.get("max_length") or 120_000)
    return out


def max_record_len(bundle_flows: Mapping[str, Any], bindings: Mapping[str, Any]) -> int | None:
    """The voicemail profile's `max-record-len` (seconds) for an environment: its longest
    voicemail, rounded up, between 1 and `MAX_RECORD_LEN_S`; None when it has none."""
    return _limit_s(voicemail_lengths(bundle_flows, bindings))


def _limit_s(lengths: Mapping[str, int]) -> int | None:
    if not lengths:
        return None
    return min(MAX_RECORD_LEN_S, max(1, math.ceil(max(lengths.values()) / 1000)))


def voicemail_profile(
    bindings: Mapping[str, Any], bundle: Mapping[str, Any]
) -> tuple[ET.Element | None, list[str]]:
    """The profile fragment for one environment (None without voicemail nodes), and notes
    on the voicemail nodes whose `max_length` FreeSWITCH will not keep exactly."""
    lengths = voicemail_lengths(bundle.get("flows") or {}, bindings)
    secs = _limit_s(lengths)
    if secs is None:
        return None, []
    root = ET.Element("include")
    root.append(ET.Comment(" generated by flowc: the longest voicemail of this environment "))
    ET.SubElement(root, "param", {"name": "max-record-len", "value": str(secs)})
    rounded = {k: math.ceil(ms / 1000) for k, ms in lengths.items()}
    notes: list[str] = []
    longer = sorted(k for k, n in rounded.items() if n > secs)
    if longer:
        notes.append(
            f"{len(longer)} voicemail node(s) have a max_length over mod_voicemail's limit of "
            f"{MAX_RECORD_LEN_S}s: messages stop at {secs}s ({', '.join(longer)})"
        )
    shorter = sorted(k for k, n in rounded.items() if n < secs)
    if shorter:
        notes.append(
            f"{len(shorter)} voicemail node(s) have a shorter max_length, but mod_voicemail has "
            f"one limit per profile: messages may run to {secs}s ({', '.join(shorter)})"
        )
    return root, notes


def _write(element: ET.Element, path: Path) -> None:
    ET.indent(element)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ET.tostring(element, encoding="unicode")
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + text + "\n", encoding="utf-8")


def write_freeswitch(bundle: dict[str, Any], out: Path) -> Iterator[str]:
    """Write the artifacts of every environment in the bundle; yield what was written."""
    envs = bundle.get("bindings") or {}
    if not envs:
        yield "no binding files given: no FreeSWITCH artifacts (add bindings/<env>.yaml)"
        return
    for env, b in sorted(envs.items()):
        base = out / "freeswitch" / env
        _write(dialplan(b), base / "dialplan" / "flowc.xml")
        _write(callcenter(b, bundle), base / "autoload_configs" / "callcenter.conf.xml")
        yield f"wrote {base}/dialplan/flowc.xml and {base}/autoload_configs/callcenter.conf.xml"
        profile, notes = voicemail_profile(b, bundle)
        if profile is not None:
            _write(profile, base / VOICEMAIL_FRAGMENT)
            yield f"wrote {base / VOICEMAIL_FRAGMENT} (include it in the voicemail profile)"
            for note in notes:
                yield f"note: {env}: {note}"
