"""What the tests with two `flowc serve` processes (scale-out, canary) share: a free
loopback port for each instance (`pgserver.free_port`) and the short call they place."""

from __future__ import annotations

from runtime.emulator import CallerScript, CallSpec, Dialplan
from runtime.journal.pgserver import free_port

__all__ = ["free_port", "short_call"]


def short_call(i: int, dialplan: Dialplan) -> CallSpec:
    """Caller `i`: the greeting (and, in the canary's flow, its look-up), then the menu
    twice with 9, which is no option, then goodbye: the call ends `hangup`."""
    script = CallerScript(
        inputs=["9", "9"],
        prompt_ms=60,
        tts_ms_per_char=1,
        digit_delay=0.05,
        inter_digit=0.02,
        dialplan=dialplan,
    )
    return CallSpec(caller=f"+86139{i:08d}", did="8001", script=script)
