"""Which version a new call gets: the canary for listed callers and DIDs, and for a stable
hash of the caller's number below the canary share; the stable version for everyone else.

The hash is SHA-256 of the canary's bundle hash and the caller's number, so a caller hears one
version for the whole canary (every instance computes the same answer, on every call), and a
new canary draws a new sample of callers instead of hitting the same ones every time. Shares
are in basis points (1/100 of a percent): `5%` is 500.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from typing import Final

FULL: Final = 10_000  # basis points in 100 %

_SHARE = re.compile(r"([0-9]{1,3})(?:\.([0-9]{1,2}))?\s*%?")


def parse_share(text: str) -> int | None:
    """`5%`, `0.5%`, `12.25`, `100%` -> basis points; None when not a share of 0-100 %."""
    m = _SHARE.fullmatch(text.strip())
    if m is None:
        return None
    bp = int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))
    return bp if 0 <= bp <= FULL else None


def caller_key(caller: str | None) -> str:
    """The caller's number as the split sees it: digits only (`+44 20...` and `4420...` are
    one caller); an empty or withheld number is "" (all such callers share one draw)."""
    return "".join(c for c in caller or "" if c.isdigit())


def bucket(canary: str, caller: str | None) -> int:
    """The caller's place in 0..9999 for this canary (uniform over callers)."""
    digest = hashlib.sha256(f"{canary}\0{caller_key(caller)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % FULL


def takes_canary(
    canary: str,
    share_bp: int,
    caller: str | None,
    did: str | None,
    callers: Collection[str] = (),
    dids: Collection[str] = (),
) -> bool:
    """Whether a new call from `caller` to `did` is served by the canary."""
    if callers and caller_key(caller) in {caller_key(c) for c in callers}:
        return True
    if dids and did is not None and did.lstrip("+") in {d.lstrip("+") for d in dids}:
        return True
    return share_bp > 0 and bucket(canary, caller) < share_bp
