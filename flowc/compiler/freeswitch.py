"""IR bundle + bindings -> FreeSWITCH artifacts: dialplan, queues and the voicemail limit.

Per environment (binding file) these files are written under `freeswitch/<env>/`, at the paths
they take in FreeSWITCH's configuration directory (`<conf>`):

* `dialplan/public/flowc.xml` — the DIDs: one extension per bound flow, matching its DIDs, that
  sets the call's `flowc_*` variables, answers and transfers to context `flowc`. The file is an
  `<include>` of extensions, no `<context>`: the stock `dialplan/public.xml` pastes
  `public/*.xml` inside its own `public` context (`<X-PRE-PROCESS cmd="include"
  data="public/*.xml"/>`, conf/vanilla/dialplan/public.xml:55 in 1.10.12), so the switch's
  other public extensions keep working. A top-level `<context name="public">` of our own
  would shadow the switch's (mod_dialplan_xml hunts the first context of a name; the
  `dialplan/*.xml` files are read in name order, `flowc.xml` before `public.xml`): live
  capture X2, `originate loopback/5551212/public` -> NO_ROUTE_DESTINATION.
* `dialplan/flowc.xml` — context `flowc` (a name the stock configuration does not use), which
  hands the call to the runtime instances one after the other. The `socket` application
  returns whenever it cannot connect, or when the application lets the channel go with
  `resume`: the dialplan then goes on after the socket action. mod_event_socket 1.10.12 also
  accepts a `|`-separated list of `host:port` in one socket action and tries each in turn
  (`socket_function`, mod_event_socket.c:442; live capture Qc2: `Trying host:
  127.0.0.1:8086` ... `Trying host: 127.0.0.1:8085`). We still write one socket action per
  instance: a refusal by a live instance (`resume`, e.g. a draining or stale runtime) ends
  the socket action, which a host list would not retry, and `flowc_try` tells the next step
  which instance the call came back from. After the transfer the channel's destination
  number is `flowc_try_<N>`: the DID travels in `flowc_did` (the runtime reads it there). So:
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
* `autoload_configs/callcenter.conf.xml` — the queues named in the bindings (`callcenter`).

and, when the flows the environment serves have voicemail nodes, one more:

* `autoload_configs/flowc/voicemail_profile.xml` — the `max-record-len` of the mod_voicemail
  profile the runtime leaves messages through (`voicemail <profile> <domain> <box>`).
  mod_voicemail has no per-call limit: `create_file` records with `switch_ivr_record_file(...,
  profile->max_record_len)`, and neither `voicemail_leave_main` nor `switch_ivr_record_file`
  reads a channel variable that changes it. So one profile serves every voicemail node of the
  environment, and its limit is the longest `max_length` among them (whole seconds, rounded
  up; mod_voicemail accepts 1..999). It is a pre-processor include: FreeSWITCH drops the
  `<include>` lines and pastes the `<param>` where the include stands, inside the profile of
  `autoload_configs/voicemail.conf.xml`. A relative include is looked up in the folder of the
  file that includes it (`preprocess_glob` in switch_xml.c; live capture X1: `No files to
  include at <conf>/autoload_configs/flowc/voicemail_profile.xml`), so the line is
  `<X-PRE-PROCESS cmd="include" data="flowc/voicemail_profile.xml"/>` and the fragment lives
  in `autoload_configs/flowc/`; the configuration loader only reads `autoload_configs/*.xml`,
  not the sub-folder, so it is never loaded on its own.

Every value written into XML attributes goes through the XML escaper; nothing from a flow is
pasted into the dialplan unescaped.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowc.ir import BundleIR, FlowIR
from flowc.ir.nodes import QueueNode, VoicemailNode

CONTEXT = "flowc"
PUBLIC_CONTEXT = "public"
# Where each file goes, relative to FreeSWITCH's configuration directory.
DIALPLAN_FILE = Path("dialplan") / "flowc.xml"
PUBLIC_FILE = Path("dialplan") / PUBLIC_CONTEXT / "flowc.xml"
CALLCENTER_FILE = Path("autoload_configs") / "callcenter.conf.xml"
# The include line's `data` is relative to the including file, voicemail.conf.xml, which is in
# `autoload_configs/` (switch_xml.c:1389 joins it to that folder).
VOICEMAIL_INCLUDE = "flowc/voicemail_profile.xml"
VOICEMAIL_FRAGMENT = Path("autoload_configs") / VOICEMAIL_INCLUDE
VOICEMAIL_INCLUDE_LINE = f'<X-PRE-PROCESS cmd="include" data="{VOICEMAIL_INCLUDE}"/>'
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
                f"runtime instance {each!r}: one host:port per entry (the dialplan gives each "
                "instance its own socket action; list the instances instead of a `|` list)"
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


def public_extensions(bindings: Mapping[str, Any]) -> ET.Element:
    """`dialplan/public/flowc.xml`: the DID extensions, an `<include>` without a context, for
    the stock public context to paste in (see the module docstring)."""
    root = ET.Element("include")
    root.append(ET.Comment(" generated by flowc: included by the public context (public/*.xml) "))
    for flow, fb in sorted((bindings.get("flows") or {}).items()):
        dids = list((fb or {}).get("dids") or [])
        if not dids:
            continue
        ext = ET.SubElement(root, "extension", {"name": f"flowc_{flow}"})
        cond = ET.SubElement(
            ext, "condition", {"field": "destination_number", "expression": _did_regex(dids)}
        )
        _action(cond, "set", f"flowc_flow={flow}")
        _action(cond, "set", "flowc_did=${destination_number}")
        _action(cond, "set", f"flowc_env={bindings.get('environment', '')}")
        _action(cond, "answer")
        _transfer(cond, "flowc_try_1")
    return root


def dialplan(bindings: dict[str, Any], public_context: str = PUBLIC_CONTEXT) -> ET.Element:
    """Both dialplan files as the switch reads them once installed: context `public` holding
    the DID extensions (without the stock public context's own extensions) and context
    `flowc`. For the emulator and tests; the files are `public_extensions` and
    `flowc_dialplan`."""
    root = ET.Element("include")
    ctx = ET.SubElement(root, "context", {"name": public_context})
    ctx.extend(e for e in public_extensions(bindings) if e.tag == "extension")
    root.extend(flowc_dialplan(bindings))
    return root


def flowc_dialplan(bindings: Mapping[str, Any]) -> ET.Element:
    """`dialplan/flowc.xml`: context `flowc`, the failover over the runtime instances."""
    root = ET.Element("include")
    instances = runtime_instances(bindings)
    fallback = bindings.get("fallback") or None
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


# The hold music when neither the flow's queue (`moh`) nor the binding (`hold_music`) names
# one: a tone every 3 s from mod_tone_stream, which a stock install loads
# (conf/vanilla/autoload_configs/modules.conf.xml) and which needs no sound files. Not
# `$${hold_music}`: vanilla sets it to `local_stream://moh`, which needs mod_local_stream and
# its music files; where that is not playable mod_callcenter retries it every ~1 ms and the
# caller's exit key and the announcements are lost (live capture T06a).
DEFAULT_HOLD_MUSIC = "tone_stream://%(400,2600,440);loops=-1"
# mod_callcenter's own wait limit is a backstop: the runtime ends a node's `max_wait` itself;
# the queue ends the wait this much later, for a caller whose runtime is gone.
MAX_WAIT_BACKSTOP_S = 30
# A caller leaves a queue once it has had no agent logged in for this long (`no_agent`).
NO_AGENT_S = 5


@dataclass(frozen=True, slots=True)
class QueueUse:
    """A queue node that puts callers into a bound queue."""

    node: str  # `<flow>.<node>`
    max_wait_ms: int | None
    on_no_agent: bool


def queue_uses(
    bundle_flows: Mapping[str, FlowIR], bindings: Mapping[str, Any]
) -> dict[str, list[QueueUse]]:
    """Bound queue name (`name@profile`) -> the queue nodes of the bundle that use it."""
    out: dict[str, list[QueueUse]] = {}
    for logical, real in sorted((bindings.get("queues") or {}).items()):
        flow_name, _, qname = str(logical).partition(".")
        uses = out.setdefault(str(real), [])
        flow = bundle_flows.get(flow_name)
        if flow is None:
            continue
        for node_id, node in sorted(flow.nodes.items()):
            if isinstance(node, QueueNode) and node.queue == qname:
                uses.append(
                    QueueUse(f"{flow_name}.{node_id}", node.max_wait, node.on_no_agent is not None)
                )
    return out


def queue_timers(uses: list[QueueUse]) -> tuple[dict[str, str], list[str]]:
    """mod_callcenter's wait parameters for a queue used by `uses`, and notes on the nodes
    whose setting the queue cannot keep. The limits are per queue, not per caller
    (mod_callcenter.c 1.10.12, `cc_member_thread_run`):

    * `max-wait-time` (l. 2869-2885): a caller who has waited that long leaves with
      `cc_cancel_reason` TIMEOUT; 0 = never. The runtime ends each node's `max_wait` itself, so
      this is the longest `max_wait` plus `MAX_WAIT_BACKSTOP_S`, for callers whose runtime is
      gone (never the same instant as the runtime's, which would race it); 0 when a node waits
      without limit.
    * `max-wait-time-with-no-agent` (l. 2887-2904): once the queue has had no agent logged in
      (status Available, On Break or Available (On Demand), with a tier in the queue: the
      agent query, l. 2693, sets `last_agent_exist`, l. 2731-2733) for that many seconds, a
      waiting caller leaves with NO_AGENT_TIMEOUT, the flow's `no_agent` outcome
      (`on_no_agent`, else the hang-up `flowc simulate` predicts); 0 = never, for a queue no
      node uses (e.g. only the dialplan's fallback).
    * `max-wait-time-with-no-agent-time-reached` (l. 2892-2898): when above 0, a caller must
      also have waited that many seconds more before leaving; 0, so a caller who joins a
      queue nobody is logged in to leaves at once, as `flowc simulate` predicts.
    """
    notes: list[str] = []
    waits = [u.max_wait_ms for u in uses]
    if not uses or any(w is None for w in waits):
        max_wait = 0
    else:
        max_wait = math.ceil(max(w for w in waits if w is not None) / 1000) + MAX_WAIT_BACKSTOP_S
    max_wait = min(max_wait, 86_400)  # config_int_0_86400 (l. 578)
    no_agent = NO_AGENT_S if uses else 0
    without = sorted(u.node for u in uses if not u.on_no_agent)
    if without:
        notes.append(
            f"{len(without)} queue node(s) have no on_no_agent: when nobody is logged in to "
            f"the queue their callers are hung up, as `flowc simulate` predicts for no_agent "
            f"({', '.join(without)})"
        )
    params = {
        "max-wait-time": str(max_wait),
        "max-wait-time-with-no-agent": str(no_agent),
        "max-wait-time-with-no-agent-time-reached": "0",
    }
    return params, notes


def hold_music(bindings: Mapping[str, Any], queue_moh: str | None = None) -> str:
    """What a queue plays to waiting callers: the flow's queue `moh`, else the binding's
    `hold_music`, else `DEFAULT_HOLD_MUSIC`. mod_callcenter expands channel variables in it
    for every caller (`switch_channel_expand_variables`, mod_callcenter.c:3186), so a value
    with `${` (an API call, `${system(...)}`) is refused, as is one spanning lines."""
    music = str(queue_moh or bindings.get("hold_music") or DEFAULT_HOLD_MUSIC)
    if "${" in music or "\n" in music or "\r" in music or not music.strip():
        raise ValueError(f"hold music {music!r}: name the file or stream itself, no variables")
    return music


def callcenter_notes(bindings: Mapping[str, Any], bundle: BundleIR) -> list[str]:
    """Notes on the queue nodes whose settings the bound queues cannot keep exactly."""
    return [n for _, _, notes in _queues(bindings, bundle) for n in notes]


def _queues(
    bindings: Mapping[str, Any], bundle: BundleIR
) -> list[tuple[str, dict[str, str], list[str]]]:
    flows = bundle.flows
    uses = queue_uses(flows, bindings)
    out: list[tuple[str, dict[str, str], list[str]]] = []
    seen: set[str] = set()
    for logical, real in sorted((bindings.get("queues") or {}).items()):
        if real in seen:
            continue
        seen.add(real)
        flow_name, _, qname = str(logical).partition(".")
        flow = flows.get(flow_name)
        spec = flow.queues.get(qname) if flow is not None else None
        timers, notes = queue_timers(uses.get(real, []))
        params = {
            "strategy": (spec.strategy if spec else None) or "longest-idle-agent",
            "moh-sound": hold_music(bindings, spec.moh if spec else None),
            "time-base-score": "system",
            "tier-rules-apply": "false",
            "discard-abandoned-after": "60",
            "abandoned-resume-allowed": "false",
            **timers,
        }
        out.append((str(real), params, [f"queue {real}: {n}" for n in notes]))
    return out


def callcenter(bindings: Mapping[str, Any], bundle: BundleIR) -> ET.Element:
    """mod_callcenter configuration for the queues this environment binds."""
    conf = ET.Element(
        "configuration",
        {"name": "callcenter.conf", "description": "CallCenter (generated by flowc)"},
    )
    queues = ET.SubElement(conf, "queues")
    for real, params, _ in _queues(bindings, bundle):
        q = ET.SubElement(queues, "queue", {"name": real})
        for name, value in params.items():
            ET.SubElement(q, "param", {"name": name, "value": value})
    ET.SubElement(conf, "agents")
    ET.SubElement(conf, "tiers")
    return conf


def served_flows(bundle_flows: Mapping[str, FlowIR], bindings: Mapping[str, Any]) -> list[str]:
    """The flows an environment's calls can run: those it routes DIDs to, and the subflow
    modules they call (transitively)."""
    todo = [str(name) for name in (bindings.get("flows") or {}) if name in bundle_flows]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        flow = bundle_flows.get(name)
        if flow is not None:
            todo.extend(m for m in flow.modules.values() if m in bundle_flows)
    return sorted(seen)


def voicemail_lengths(
    bundle_flows: Mapping[str, FlowIR], bindings: Mapping[str, Any]
) -> dict[str, int]:
    """`<flow>.<node>` -> `max_length` (ms) of every voicemail node the environment serves."""
    out: dict[str, int] = {}
    for name in served_flows(bundle_flows, bindings):
        for node_id, node in bundle_flows[name].nodes.items():
            if isinstance(node, VoicemailNode):
                out[f"{name}.{node_id}"] = node.max_length
    return out


def max_record_len(bundle_flows: Mapping[str, FlowIR], bindings: Mapping[str, Any]) -> int | None:
    """The voicemail profile's `max-record-len` (seconds) for an environment: its longest
    voicemail, rounded up, between 1 and `MAX_RECORD_LEN_S`; None when it has none."""
    return _limit_s(voicemail_lengths(bundle_flows, bindings))


def _limit_s(lengths: Mapping[str, int]) -> int | None:
    if not lengths:
        return None
    return min(MAX_RECORD_LEN_S, max(1, math.ceil(max(lengths.values()) / 1000)))


def voicemail_profile(
    bindings: Mapping[str, Any], bundle: BundleIR
) -> tuple[ET.Element | None, list[str]]:
    """The profile fragment for one environment (None without voicemail nodes), and notes
    on the voicemail nodes whose `max_length` FreeSWITCH will not keep exactly."""
    lengths = voicemail_lengths(bundle.flows, bindings)
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


# The extensions of the stock public context that come before its `public/*.xml` include
# (conf/vanilla/dialplan/public.xml, 1.10.12): a DID they match never reaches ours.
STOCK_PUBLIC_FIRST = (
    ("public_extensions", r"^(10[01][0-9])$"),
    ("public_conference_extensions", r"^(3[5-8][01][0-9])$"),
)


def stock_public_notes(bindings: Mapping[str, Any]) -> list[str]:
    """A note per DID that the stock public context routes elsewhere before ours."""
    notes: list[str] = []
    for flow, fb in sorted((bindings.get("flows") or {}).items()):
        for did in (fb or {}).get("dids") or []:
            for name, expression in STOCK_PUBLIC_FIRST:
                if re.search(expression, str(did)):
                    notes.append(
                        f"DID {did} of {flow} is taken by the stock public context's `{name}` "
                        f"({expression}), which comes before its public/*.xml include: remove "
                        "that extension or bind another DID"
                    )
    return notes


def _write(element: ET.Element, path: Path) -> None:
    ET.indent(element)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ET.tostring(element, encoding="unicode")
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + text + "\n", encoding="utf-8")


def write_freeswitch(bundle: BundleIR, out: Path) -> Iterator[str]:
    """Write the artifacts of every environment in the bundle; yield what was written."""
    envs = bundle.bindings
    if not envs:
        yield "no binding files given: no FreeSWITCH artifacts (add bindings/<env>.yaml)"
        return
    for env, b in sorted(envs.items()):
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", env):
            raise ValueError(f"environment {env!r}: letters, digits, _ and - only")
        base = out / "freeswitch" / env
        _write(public_extensions(b), base / PUBLIC_FILE)
        _write(flowc_dialplan(b), base / DIALPLAN_FILE)
        _write(callcenter(b, bundle), base / CALLCENTER_FILE)
        yield (
            f"wrote {base / PUBLIC_FILE}, {base / DIALPLAN_FILE} and {base / CALLCENTER_FILE} "
            "(copy them to the same paths under FreeSWITCH's configuration directory)"
        )
        for note in [*stock_public_notes(b), *callcenter_notes(b, bundle)]:
            yield f"note: {env}: {note}"
        profile, notes = voicemail_profile(b, bundle)
        if profile is not None:
            _write(profile, base / VOICEMAIL_FRAGMENT)
            yield (
                f"wrote {base / VOICEMAIL_FRAGMENT} (copy it to <conf>/{VOICEMAIL_FRAGMENT} and "
                f"put {VOICEMAIL_INCLUDE_LINE} in the voicemail profile of "
                "autoload_configs/voicemail.conf.xml)"
            )
            for note in notes:
                yield f"note: {env}: {note}"
