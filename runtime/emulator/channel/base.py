"""What the parts of the channel share: the session coroutine's types and small helpers."""

from __future__ import annotations

from collections.abc import Generator

__all__ = ["AppGen", "Wait", "truthy"]

Wait = float | None
"""What the session coroutine yields: seconds to sleep, or ``None`` to wait for a wake-up."""
AppGen = Generator[Wait, str, None]


def truthy(value: str | None) -> bool:
    """``switch_true``."""
    return (value or "").strip().lower() in ("true", "yes", "on", "1", "enabled", "active", "allow")
