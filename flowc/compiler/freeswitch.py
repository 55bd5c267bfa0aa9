"""IR bundle + bindings -> FreeSWITCH artifacts: dialplan, queues and the voicemail limit.

Per environment (binding file) two files are written under `freeswitch/<env>/`:

* `dialplan/flowc.xml` — one extension per bound flow, matching its DIDs, that hands the call
  to the runtime with `socket <a:p|b:p> async full` (the host list is FreeSWITCH's own
  failover). What follows the socket action matters, because FreeSWITCH continues the dialplan
  when the socket application returns:
    - the runtime is down or refused the call: `flowc_resume` is unset, and the call is
      transferred to `flowc_fallback`, which sends it to a person (the binding's `fallback`);
    - the runtime handed the call to a queue whose `after` node must run once the agent hangs
      up (the post-call survey): after an agent conversation mod_callcenter returns the caller
      to the dialplan, never to the socket, so the runtime sets `flowc_resume=<node>` before
      queueing and the dialplan connects the socket again with that variable set.
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


def dialplan(bindings: dict[str, Any], public_context: str = "public") -> ET.Element:
    """The dialplan include for one environment."""
    root = ET.Element("include")
    runtime = "|".join(bindings.get("runtime") or ["127.0.0.1:8084"])
    socket_data = f"{runtime} async full"
    fallback = bindings.get("fallback") or "hangup:NORMAL_TEMPORARY_FAILURE"
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
        _action(cond, "socket", socket_data)
        # Reached only when the socket returns: runtime down, or a queue `after` resume.
        _action(cond, "transfer", f"flowc_after_${{flowc_resume}} XML {CONTEXT}")
    inner = ET.SubElement(root, "context", {"name": CONTEXT})
    resume = ET.SubElement(inner, "extension", {"name": "flowc_resume"})
    cond = ET.SubElement(
        resume, "condition", {"field": "destination_number", "expression": r"^flowc_after_(\w+)$"}
    )
    _action(cond, "set", "flowc_resume_node=$1")
    _action(cond, "unset", "flowc_resume")
    _action(cond, "socket", socket_data)
    _action(cond, "hangup", "NORMAL_CLEARING")
    fall = ET.SubElement(inner, "extension", {"name": "flowc_fallback"})
    cond = ET.SubElement(
        fall, "condition", {"field": "destination_number", "expression": "^flowc_after_$"}
    )
    _action(cond, "log", "WARNING flowc runtime unreachable: falling back")
    app, _, data = fallback.partition(":")
    _action(cond, app, data or None)
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
    lengths = voicemail_lengths(bundle_flows, bindings)
    if not lengths:
        return None
    return min(MAX_RECORD_LEN_S, max(1, math.ceil(max(lengths.values()) / 1000)))


def voicemail_profile(
    bindings: Mapping[str, Any], bundle: Mapping[str, Any]
) -> tuple[ET.Element | None, list[str]]:
    """The profile fragment for one environment (None without voicemail nodes), and notes
    on the voicemail nodes whose `max_length` FreeSWITCH will not keep exactly."""
    flows = bundle.get("flows") or {}
    secs = max_record_len(flows, bindings)
    if secs is None:
        return None, []
    root = ET.Element("include")
    root.append(ET.Comment(" generated by flowc: the longest voicemail of this environment "))
    ET.SubElement(root, "param", {"name": "max-record-len", "value": str(secs)})
    rounded = {k: math.ceil(ms / 1000) for k, ms in voicemail_lengths(flows, bindings).items()}
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
