"""Data cloned from the recorded FreeSWITCH 1.10.12 sessions (tests/fixtures/freeswitch/).

The channel variables of a fresh inbound SIP channel, the variables the media
negotiation, the ACK and the CDR add, the caller-profile header blocks, the
``Event-Calling-*`` triple of every event the emulator fires, the hang-up
cause table and FreeSWITCH's event names.  Values that depend on the call
(numbers, UUIDs, ports, tags, times) are computed from ``CallParams``.

Channel variables live in an ordered mapping with FreeSWITCH's semantics
(``switch_channel_set_variable`` deletes the header and appends it again, so
a re-set variable moves to the end): that is why header *order* in the events
follows the order in which FreeSWITCH set things, and why this module keeps
the recorded order of every block.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from .wire import HeaderBlock

__all__ = [
    "CALLING",
    "CAUSES",
    "EVENT_NAMES",
    "MYEVENTS",
    "CallParams",
    "CallerProfile",
    "Vars",
    "ack_vars",
    "cause_code",
    "cause_name",
    "initial_vars",
    "media_vars",
]


class Vars:
    """Channel variables with FreeSWITCH's ordering semantics."""

    __slots__ = ("_d", "_json_cache", "_plain_cache", "_snap")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        # name -> ("variable_<name>", value), in FreeSWITCH's order
        self._d: dict[str, tuple[str, str]] = {}
        self._snap: HeaderBlock | None = None
        self._plain_cache: dict[str, tuple[str, str]] = {}
        self._json_cache: dict[str, tuple[str, str]] = {}
        for name, value in items:
            self.set(name, value)

    def set(self, name: str, value: str | None) -> None:
        """Set (moving the variable to the end) or, for ``None``/``""``, delete."""
        self._snap = None
        self._d.pop(name, None)
        if value:
            self._d[name] = ("variable_" + name, value)

    def delete(self, name: str) -> None:
        if name in self._d:
            self._snap = None
            del self._d[name]

    def get(self, name: str) -> str | None:
        item = self._d.get(name)
        return item[1] if item is not None else None

    def __contains__(self, name: object) -> bool:
        return name in self._d

    def snapshot(self) -> HeaderBlock:
        """The ``variable_<name>`` headers as they are now (shared until the next change)."""
        if self._snap is None:
            self._snap = HeaderBlock(list(self._d.values()), self._plain_cache, self._json_cache)
        return self._snap

    def headers(self) -> list[tuple[str, str]]:
        """``variable_<name>`` headers (shared list: do not modify)."""
        return self.snapshot().pairs

    def items(self) -> list[tuple[str, str]]:
        return [(k, v) for k, (_, v) in self._d.items()]


@dataclass(slots=True)
class CallerProfile:
    """``switch_caller_profile_t`` as ``switch_caller_profile_event_set_data`` writes it.

    Optional fields (``None``) are left out, in FreeSWITCH's order; times are
    microseconds since the epoch, ``0`` when unset.
    """

    caller_id_name: str
    caller_id_number: str
    destination_number: str
    uuid: str
    channel_name: str
    network_addr: str = "127.0.0.1"
    username: str | None = None
    dialplan: str | None = "XML"
    context: str | None = "public"
    direction: str = "inbound"
    logical_direction: str = "inbound"
    orig_caller_id_name: str | None = None
    orig_caller_id_number: str | None = None
    callee_id_name: str | None = None
    callee_id_number: str | None = None
    ani: str | None = None
    source: str = "mod_sofia"
    transfer_source: str | None = None
    rdnis: str | None = None
    profile_index: str | None = "1"
    profile_created: int = 0
    created: int = 0
    answered: int = 0
    progress: int = 0
    progress_media: int = 0
    hangup: int = 0
    transfer: int = 0
    resurrect: int = 0
    bridged: int = 0
    last_hold: int = 0
    hold_accum: int = 0
    _cache: dict[str, HeaderBlock] = field(default_factory=dict, repr=False)

    def touch(self) -> None:
        """Forget cached header blocks (call after changing a field)."""
        self._cache.clear()

    def block(self, prefix: str) -> HeaderBlock:
        """The headers as a block whose serializations are cached until ``touch``."""
        cached = self._cache.get(prefix)
        if cached is None:
            cached = HeaderBlock(self._headers(prefix))
            self._cache[prefix] = cached
        return cached

    def headers(self, prefix: str) -> list[tuple[str, str]]:
        return self.block(prefix).pairs

    def _headers(self, prefix: str) -> list[tuple[str, str]]:
        p = prefix
        h: list[tuple[str, str]] = [
            (f"{p}-Direction", self.direction),
            (f"{p}-Logical-Direction", self.logical_direction),
        ]
        opt: list[tuple[str, str | None]] = [
            ("Username", self.username),
            ("Dialplan", self.dialplan),
            ("Caller-ID-Name", self.caller_id_name),
            ("Caller-ID-Number", self.caller_id_number),
            ("Orig-Caller-ID-Name", self.orig_caller_id_name),
            ("Orig-Caller-ID-Number", self.orig_caller_id_number),
            ("Callee-ID-Name", self.callee_id_name),
            ("Callee-ID-Number", self.callee_id_number),
            ("Network-Addr", self.network_addr),
            ("ANI", self.ani),
            ("Destination-Number", self.destination_number),
            ("Unique-ID", self.uuid),
            ("Source", self.source),
            ("Transfer-Source", self.transfer_source),
            ("Context", self.context),
            ("RDNIS", self.rdnis),
            ("Channel-Name", self.channel_name),
            ("Profile-Index", self.profile_index),
        ]
        h.extend((f"{p}-{name}", value) for name, value in opt if value)
        h += [
            (f"{p}-Profile-Created-Time", str(self.profile_created)),
            (f"{p}-Channel-Created-Time", str(self.created)),
            (f"{p}-Channel-Answered-Time", str(self.answered)),
            (f"{p}-Channel-Progress-Time", str(self.progress)),
            (f"{p}-Channel-Progress-Media-Time", str(self.progress_media)),
            (f"{p}-Channel-Hangup-Time", str(self.hangup)),
            (f"{p}-Channel-Transfer-Time", str(self.transfer)),
            (f"{p}-Channel-Resurrect-Time", str(self.resurrect)),
            (f"{p}-Channel-Bridged-Time", str(self.bridged)),
            (f"{p}-Channel-Last-Hold", str(self.last_hold)),
            (f"{p}-Channel-Hold-Accum", str(self.hold_accum)),
            (f"{p}-Screen-Bit", "true"),
            (f"{p}-Privacy-Hide-Name", "false"),
            (f"{p}-Privacy-Hide-Number", "false"),
        ]
        return h


@dataclass(frozen=True, slots=True)
class CallParams:
    """Everything the templates need to know about one call."""

    uuid: str
    caller_number: str
    caller_name: str
    destination: str
    caller_host: str = "127.0.0.1"
    caller_port: int = 5070
    switch_host: str = "127.0.0.1"
    switch_sip_port: int = 5060
    profile: str = "internal"
    sip_subject: str | None = "ESL outbound test"
    sip_to_display: str | None = None
    created_us: int = 0
    call_id_seq: int = 1
    tag_seed: int = 0

    @property
    def channel_name(self) -> str:
        return f"sofia/{self.profile}/{self.caller_number}@{self.caller_host}:{self.caller_port}"

    @property
    def call_id(self) -> str:
        return f"{self.call_id_seq}-{self.tag_seed}@{self.caller_host}"

    @property
    def from_tag(self) -> str:
        return f"{self.tag_seed}SIPpTag00{self.call_id_seq}"


_R_SDP: Final = (
    "v=0\r\no=user1 53655765 2353687637 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
    "m=audio 6000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\na=ptime:20\r\n"
)

_L_SDP: Final = (
    "v=0\r\no=FreeSWITCH {sess} {ver} IN IP4 {ip}\r\ns=FreeSWITCH\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
    "m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n"
)


def initial_vars(p: CallParams) -> list[tuple[str, str]]:
    """The variables of a new inbound sofia channel when the dialplan starts (recorded order)."""
    user, host, port = p.caller_number, p.caller_host, p.caller_port
    sw, swport, dest = p.switch_host, p.switch_sip_port, p.destination
    full_from = f"{p.caller_name} <sip:{user}@{host}:{port}>;tag={p.from_tag}"
    v: list[tuple[str, str | None]] = [
        ("direction", "inbound"),
        ("uuid", p.uuid),
        ("session_id", "1"),
        ("sip_from_user", user),
        ("sip_from_port", str(port)),
        ("sip_from_uri", f"{user}@{host}:{port}"),
        ("sip_from_host", host),
        ("video_media_flow", "disabled"),
        ("audio_media_flow", "disabled"),
        ("text_media_flow", "disabled"),
        ("channel_name", p.channel_name),
        ("sip_call_id", p.call_id),
        ("sip_local_network_addr", sw),
        ("sip_network_ip", host),
        ("sip_network_port", str(port)),
        ("sip_invite_stamp", str(p.created_us)),
        ("sip_received_ip", host),
        ("sip_received_port", str(port)),
        ("sip_via_protocol", "udp"),
        ("sip_from_user_stripped", user),
        ("sip_from_tag", p.from_tag),
        ("sofia_profile_name", p.profile),
        ("sofia_profile_url", f"sip:mod_sofia@{sw}:{swport}"),
        ("recovery_profile_name", p.profile),
        ("sip_full_via", f"SIP/2.0/UDP {host}:{port};branch=z9hG4bK-{p.tag_seed}-1-0"),
        ("sip_from_display", p.caller_name),
        ("sip_full_from", full_from),
        ("sip_to_display", p.sip_to_display),
        ("sip_full_to", f"<sip:{dest}@{sw}:{swport}>"),
        ("sip_req_user", dest),
        ("sip_req_port", str(swport)),
        ("sip_req_uri", f"{dest}@{sw}:{swport}"),
        ("sip_req_host", sw),
        ("sip_to_user", dest),
        ("sip_to_port", str(swport)),
        ("sip_to_uri", f"{dest}@{sw}:{swport}"),
        ("sip_to_host", sw),
        ("sip_contact_user", user),
        ("sip_contact_port", str(port)),
        ("sip_contact_uri", f"{user}@{host}:{port}"),
        ("sip_contact_host", host),
        ("rtp_use_codec_string", "OPUS,G722,PCMU,PCMA,H264,VP8"),
        ("sip_subject", p.sip_subject),
        ("sip_via_host", host),
        ("sip_via_port", str(port)),
        ("max_forwards", "70"),
        ("presence_id", f"{user}@{host}"),
        ("switch_r_sdp", _R_SDP.format(ip=host)),
        ("ep_codec_string", "CORE_PCM_MODULE.PCMU@8000h@20i@64000b"),
        ("endpoint_disposition", "DELAYED NEGOTIATION"),
        ("call_uuid", p.uuid),
    ]
    return [(k, val) for k, val in v if val]


def media_vars(p: CallParams, rng: random.Random) -> list[tuple[str, str]]:
    """Set by sofia when media is negotiated (early media / answer), in recorded order."""
    port = rng.randrange(16384, 32768, 2)
    return [
        ("rtp_use_codec_string", "OPUS,G722,PCMU,PCMA,H264,VP8"),
        ("remote_video_media_flow", "inactive"),
        ("remote_text_media_flow", "inactive"),
        ("remote_audio_media_flow", "sendrecv"),
        ("audio_media_flow", "sendrecv"),
        ("rtp_audio_recv_pt", "0"),
        ("rtp_use_codec_name", "PCMU"),
        ("rtp_use_codec_rate", "8000"),
        ("rtp_use_codec_ptime", "20"),
        ("rtp_use_codec_channels", "1"),
        ("rtp_last_audio_codec_string", "PCMU@8000h@20i@1c"),
        ("read_codec", "PCMU"),
        ("original_read_codec", "PCMU"),
        ("read_rate", "8000"),
        ("original_read_rate", "8000"),
        ("write_codec", "PCMU"),
        ("write_rate", "8000"),
        ("dtmf_type", "rfc2833"),
        ("local_media_ip", p.switch_host),
        ("local_media_port", str(port)),
        ("advertised_media_ip", p.switch_host),
        ("rtp_use_timer_name", "soft"),
        ("rtp_use_pt", "0"),
        ("rtp_use_ssrc", str(rng.randrange(1, 2**32))),
        ("rtp_2833_send_payload", "101"),
        ("rtp_2833_recv_payload", "101"),
        ("remote_media_ip", p.caller_host),
        ("remote_media_port", "6000"),
        ("endpoint_disposition", "EARLY MEDIA"),
    ]


def local_sdp(p: CallParams, port: str, rng: random.Random) -> str:
    sess = rng.randrange(1_700_000_000, 1_800_000_000)
    return _L_SDP.format(sess=sess, ver=sess + 1, ip=p.switch_host, port=port)


def ack_vars(p: CallParams, to_tag: str) -> list[tuple[str, str]]:
    """Re-set by sofia when the caller's ACK arrives after the 200 OK."""
    sw, swport = p.switch_host, p.switch_sip_port
    host, port, user = p.caller_host, p.caller_port, p.caller_number
    return [
        ("sip_to_tag", to_tag),
        ("sip_from_tag", p.from_tag),
        ("sip_cseq", "1"),
        ("sip_call_id", p.call_id),
        ("sip_full_via", f"SIP/2.0/UDP {host}:{port};branch=z9hG4bK-{p.tag_seed}-1-5"),
        ("sip_from_display", p.caller_name),
        ("sip_full_from", f"{p.caller_name} <sip:{user}@{host}:{port}>;tag={p.from_tag}"),
        ("sip_full_to", f"<sip:{p.destination}@{sw}:{swport}>;tag={to_tag}"),
    ]


RTP_STAT_VARS: Final = (
    "rtp_audio_in_raw_bytes",
    "rtp_audio_in_media_bytes",
    "rtp_audio_in_packet_count",
    "rtp_audio_in_media_packet_count",
    "rtp_audio_in_skip_packet_count",
    "rtp_audio_in_jitter_packet_count",
    "rtp_audio_in_dtmf_packet_count",
    "rtp_audio_in_cng_packet_count",
    "rtp_audio_in_flush_packet_count",
    "rtp_audio_in_largest_jb_size",
    "rtp_audio_in_jitter_min_variance",
    "rtp_audio_in_jitter_max_variance",
    "rtp_audio_in_jitter_loss_rate",
    "rtp_audio_in_jitter_burst_rate",
    "rtp_audio_in_mean_interval",
    "rtp_audio_in_flaw_total",
    "rtp_audio_in_quality_percentage",
    "rtp_audio_in_mos",
    "rtp_audio_out_raw_bytes",
    "rtp_audio_out_media_bytes",
    "rtp_audio_out_packet_count",
    "rtp_audio_out_media_packet_count",
    "rtp_audio_out_skip_packet_count",
    "rtp_audio_out_dtmf_packet_count",
    "rtp_audio_out_cng_packet_count",
    "rtp_audio_rtcp_packet_count",
    "rtp_audio_rtcp_octet_count",
)

# Event-Calling-File / -Function / -Line-Number as recorded from FreeSWITCH 1.10.12.
CALLING: Final[dict[str, tuple[str, str, str]]] = {
    "CHANNEL_DATA": ("mod_event_socket.c", "parse_command", "2021"),
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", "2408"),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", "2944"),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", "2967"),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", "1002"),
    "CHANNEL_UNPARK": ("switch_ivr.c", "switch_ivr_park", "1213"),
    "CHANNEL_PROGRESS_MEDIA": (
        "switch_channel.c",
        "switch_channel_perform_mark_pre_answered",
        "3560",
    ),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", "3846"),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", "3445"),
    "CHANNEL_HANGUP_COMPLETE": (
        "switch_core_state_machine.c",
        "switch_core_session_reporting_state",
        "943",
    ),
    "CHANNEL_BRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", "1689"),
    "CHANNEL_UNBRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", "1879"),
    "UUID_BRIDGE_EXECUTE": ("switch_ivr_bridge.c", "uuid_bridge_on_soft_execute", "1236"),
    "DTMF": ("switch_channel.c", "switch_channel_dequeue_dtmf", "677"),
    "CC_START": ("mod_callcenter.c", "callcenter_function", "3113"),
    "CC_CANCEL": ("mod_callcenter.c", "callcenter_function", "3274"),
    "CC_TERMINATED": ("mod_callcenter.c", "outbound_agent_thread_run", "2098"),
    # Not in the recordings (best effort from the source layout):
    "DETECTED_SPEECH": ("switch_ivr_async.c", "speech_thread", "4669"),
    "BACKGROUND_JOB": ("mod_event_socket.c", "api_exec", "1572"),
}

CAUSES: Final[dict[str, int]] = {
    "NONE": 0,
    "UNALLOCATED_NUMBER": 1,
    "NO_ROUTE_TRANSIT_NET": 2,
    "NO_ROUTE_DESTINATION": 3,
    "CHANNEL_UNACCEPTABLE": 6,
    "CALL_AWARDED_DELIVERED": 7,
    "NORMAL_CLEARING": 16,
    "USER_BUSY": 17,
    "NO_USER_RESPONSE": 18,
    "NO_ANSWER": 19,
    "SUBSCRIBER_ABSENT": 20,
    "CALL_REJECTED": 21,
    "NUMBER_CHANGED": 22,
    "REDIRECTION_TO_NEW_DESTINATION": 23,
    "EXCHANGE_ROUTING_ERROR": 25,
    "DESTINATION_OUT_OF_ORDER": 27,
    "INVALID_NUMBER_FORMAT": 28,
    "FACILITY_REJECTED": 29,
    "RESPONSE_TO_STATUS_ENQUIRY": 30,
    "NORMAL_UNSPECIFIED": 31,
    "NORMAL_CIRCUIT_CONGESTION": 34,
    "NETWORK_OUT_OF_ORDER": 38,
    "NORMAL_TEMPORARY_FAILURE": 41,
    "SWITCH_CONGESTION": 42,
    "ACCESS_INFO_DISCARDED": 43,
    "REQUESTED_CHAN_UNAVAIL": 44,
    "PRE_EMPTED": 45,
    "FACILITY_NOT_SUBSCRIBED": 50,
    "OUTGOING_CALL_BARRED": 52,
    "INCOMING_CALL_BARRED": 54,
    "BEARERCAPABILITY_NOTAUTH": 57,
    "BEARERCAPABILITY_NOTAVAIL": 58,
    "SERVICE_UNAVAILABLE": 63,
    "BEARERCAPABILITY_NOTIMPL": 65,
    "CHAN_NOT_IMPLEMENTED": 66,
    "FACILITY_NOT_IMPLEMENTED": 69,
    "SERVICE_NOT_IMPLEMENTED": 79,
    "INVALID_CALL_REFERENCE": 81,
    "INCOMPATIBLE_DESTINATION": 88,
    "INVALID_MSG_UNSPECIFIED": 95,
    "MANDATORY_IE_MISSING": 96,
    "MESSAGE_TYPE_NONEXIST": 97,
    "WRONG_MESSAGE": 98,
    "IE_NONEXIST": 99,
    "INVALID_IE_CONTENTS": 100,
    "WRONG_CALL_STATE": 101,
    "RECOVERY_ON_TIMER_EXPIRE": 102,
    "MANDATORY_IE_LENGTH_ERROR": 103,
    "PROTOCOL_ERROR": 111,
    "INTERWORKING": 127,
    "SUCCESS": 142,
    "ORIGINATOR_CANCEL": 487,
    "CRASH": 700,
    "SYSTEM_SHUTDOWN": 701,
    "LOSE_RACE": 702,
    "MANAGER_REQUEST": 503,
    "BLIND_TRANSFER": 600,
    "ATTENDED_TRANSFER": 601,
    "ALLOTTED_TIMEOUT": 602,
    "USER_CHALLENGE": 603,
    "MEDIA_TIMEOUT": 604,
    "PICKED_OFF": 605,
    "USER_NOT_REGISTERED": 606,
    "PROGRESS_TIMEOUT": 607,
    "INVALID_GATEWAY": 608,
    "GATEWAY_DOWN": 609,
    "INVALID_URL": 610,
    "INVALID_PROFILE": 611,
    "NO_PICKUP": 612,
    "SRTP_READ_ERROR": 613,
}
_CAUSE_BY_CODE: Final = {v: k for k, v in CAUSES.items()}


def cause_name(text: str | None, default: str = "NORMAL_CLEARING") -> str:
    """``switch_channel_str2cause``: a name (any case) or a Q.850 number."""
    if not text:
        return default
    t = text.strip().upper()
    if t in CAUSES:
        return t
    if t.isdigit():
        return _CAUSE_BY_CODE.get(int(t), default)
    return default


def cause_code(name: str) -> int:
    return CAUSES.get(name, 0)


# switch_event_types_t names (switch_event.c EVENT_NAMES), for `event` / `nixevent`.
EVENT_NAMES: Final = frozenset(
    """CUSTOM CLONE CHANNEL_CREATE CHANNEL_DESTROY CHANNEL_STATE CHANNEL_CALLSTATE
    CHANNEL_ANSWER CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_EXECUTE
    CHANNEL_EXECUTE_COMPLETE CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_BRIDGE CHANNEL_UNBRIDGE
    CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_OUTGOING CHANNEL_PARK CHANNEL_UNPARK
    CHANNEL_APPLICATION CHANNEL_ORIGINATE CHANNEL_UUID API LOG INBOUND_CHAN OUTBOUND_CHAN
    STARTUP SHUTDOWN PUBLISH UNPUBLISH TALK NOTALK SESSION_CRASH MODULE_LOAD MODULE_UNLOAD
    DTMF MESSAGE PRESENCE_IN NOTIFY_IN PRESENCE_OUT PRESENCE_PROBE MESSAGE_WAITING
    MESSAGE_QUERY ROSTER CODEC BACKGROUND_JOB DETECTED_SPEECH DETECTED_TONE
    PRIVATE_COMMAND HEARTBEAT TRAP ADD_SCHEDULE DEL_SCHEDULE EXE_SCHEDULE RE_SCHEDULE
    RELOADXML NOTIFY PHONE_FEATURE PHONE_FEATURE_SUBSCRIBE SEND_MESSAGE RECV_MESSAGE
    REQUEST_PARAMS CHANNEL_DATA GENERAL COMMAND SESSION_HEARTBEAT CLIENT_DISCONNECTED
    SERVER_DISCONNECTED SEND_INFO RECV_INFO RECV_RTCP_MESSAGE SEND_RTCP_MESSAGE
    CALL_SECURE NAT RECORD_START RECORD_STOP PLAYBACK_START PLAYBACK_STOP CALL_UPDATE
    FAILURE SOCKET_DATA MEDIA_BUG_START MEDIA_BUG_STOP CONFERENCE_DATA_QUERY
    CONFERENCE_DATA CALL_SETUP_REQ CALL_SETUP_RESULT CALL_DETAIL DEVICE_STATE TEXT
    SHUTDOWN_REQUESTED ALL""".split()
)

# What `myevents` subscribes to (mod_event_socket.c).
MYEVENTS: Final = frozenset(
    """CHANNEL_ANSWER CHANNEL_APPLICATION CHANNEL_BRIDGE CHANNEL_CREATE CHANNEL_DATA
    CHANNEL_DESTROY CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP
    CHANNEL_HANGUP_COMPLETE CHANNEL_ORIGINATE CHANNEL_UUID CHANNEL_OUTGOING CHANNEL_PARK
    CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_STATE CHANNEL_UNBRIDGE CHANNEL_UNPARK
    DETECTED_SPEECH DTMF NOTALK TALK""".split()
)
