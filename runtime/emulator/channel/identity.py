"""Who the channel is: the SIP call's parameters and the caller profile at the start."""

from __future__ import annotations

import random

from ..templates import CallerProfile, CallParams
from .script import CallSpec

__all__ = ["call_identity"]


def call_identity(
    spec: CallSpec, created: int, rng: random.Random
) -> tuple[CallParams, CallerProfile]:
    """The call's ``CallParams`` (SIP identity, ``created`` in epoch microseconds) and its
    first caller profile (``Caller-*``)."""
    cfg = spec.config
    caller = spec.caller
    name = spec.caller_name or caller
    params = CallParams(
        uuid=spec.uuid,
        caller_number=caller,
        caller_name=name,
        destination=spec.did,
        caller_host=cfg.caller_host,
        caller_port=cfg.caller_port,
        switch_host=cfg.switch_host,
        switch_sip_port=cfg.switch_sip_port,
        sip_subject=cfg.sip_subject,
        sip_to_display=cfg.sip_to_display,
        created_us=created,
        call_id_seq=1,
        tag_seed=rng.randrange(1000, 99999),
    )
    profile = CallerProfile(
        caller_id_name=name,
        caller_id_number=caller,
        destination_number=spec.did,
        uuid=spec.uuid,
        channel_name=spec.channel_name or params.channel_name,
        network_addr=cfg.caller_host,
        username=caller,
        context=cfg.context,
        orig_caller_id_name=name,
        orig_caller_id_number=caller,
        ani=caller,
        profile_created=created,
        created=created,
    )
    return params, profile
