"""The CDR variables FreeSWITCH sets when the channel reaches CS_REPORTING
(``switch_channel_set_timestamps`` and the RTP statistics), in its order."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .. import templates as tpl
from ..templates import CallerProfile

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["cdr_vars"]


def cdr_vars(ch: Channel) -> list[tuple[str, str]]:
    """The variables of CS_REPORTING: hang-up cause, stamps, epochs, durations, RTP stats."""
    p = ch.profile
    end = p.hangup or ch._us()
    out: list[tuple[str, str]] = [
        ("hangup_cause", ch.hangup_cause or "NORMAL_CLEARING"),
        ("hangup_cause_q850", str(tpl.cause_code(ch.hangup_cause or "NORMAL_CLEARING"))),
        ("digits_dialed", ch.digits_dialed or "none"),
    ]
    out += _stamps(p, end)
    if ch.app_log:
        last_app, last_arg = ch.app_log[-1]
        out.append(("last_app", last_app))
        if last_arg:
            out.append(("last_arg", last_arg))
    out.append(("caller_id", f'"{p.caller_id_name}" <{p.caller_id_number}>'))
    out += _durations(p, end)
    if "sip_hangup_disposition" not in ch.vars:
        out.append(("sip_hangup_disposition", "send_bye"))
    if ch.media:
        out += _rtp_stats(max(0, (end - (p.progress_media or end)) // 20_000))
    return out


def _stamp(us: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(us / 1_000_000))


def _stamps(p: CallerProfile, end: int) -> list[tuple[str, str]]:
    """``*_stamp`` (the set ones), then ``*_epoch`` / ``*_uepoch`` of every time."""
    out = [("start_stamp", _stamp(p.created)), ("profile_start_stamp", _stamp(p.profile_created))]
    for label, us in (
        ("answer", p.answered),
        ("bridge", p.bridged),
        ("progress", p.progress),
        ("progress_media", p.progress_media),
    ):
        if us:
            out.append((f"{label}_stamp", _stamp(us)))
    out.append(("end_stamp", _stamp(end)))
    first = (
        ("start", p.created),
        ("profile_start", p.profile_created),
        ("answer", p.answered),
        ("bridge", p.bridged),
        ("last_hold", p.last_hold),
    )
    then = (
        ("resurrect", p.resurrect),
        ("progress", p.progress),
        ("progress_media", p.progress_media),
        ("end", end),
    )
    for label, us in first:
        out += [(f"{label}_epoch", str(us // 1_000_000)), (f"{label}_uepoch", str(us))]
    out += [("hold_accum_seconds", "0"), ("hold_accum_usec", "0"), ("hold_accum_ms", "0")]
    for label, us in then:
        out += [(f"{label}_epoch", str(us // 1_000_000)), (f"{label}_uepoch", str(us))]
    return out


def _durations(p: CallerProfile, end: int) -> list[tuple[str, str]]:
    def span(a: int, b: int, div: int) -> str:
        return str(b // div - a // div) if a and b else "0"

    created = p.created
    out: list[tuple[str, str]] = []
    for unit, div in (("sec", 1_000_000), ("msec", 1000), ("usec", 1)):
        dur = "duration" if unit == "sec" else ("mduration" if unit == "msec" else "uduration")
        out += [
            (dur, span(created, end, div)),
            (f"bill{unit}", span(p.answered, end, div)),
            (f"progress{unit}", span(created, p.progress, div)),
            (f"answer{unit}", span(created, p.answered, div)),
            (f"wait{unit}", span(created, p.bridged, div)),
            (f"progress_media{unit}", span(created, p.progress_media, div)),
            (f"flow_bill{unit}", span(p.profile_created, end, div)),
        ]
    return out


def _rtp_stats(packets: int) -> list[tuple[str, str]]:
    stats = {
        "rtp_audio_in_skip_packet_count": str(packets),
        "rtp_audio_out_raw_bytes": str(packets * 172),
        "rtp_audio_out_media_bytes": str(packets * 172),
        "rtp_audio_out_packet_count": str(packets),
        "rtp_audio_out_media_packet_count": str(packets),
        "rtp_audio_in_quality_percentage": "100.00",
        "rtp_audio_in_mos": "4.50",
    }
    out = []
    for name in tpl.RTP_STAT_VARS:
        default = "0.00" if ("variance" in name or "rate" in name or "interval" in name) else "0"
        out.append((name, stats.get(name, default)))
    return out
