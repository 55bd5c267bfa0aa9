"""Pause the cyclic garbage collector around bulk work on big flows.

Loading, validating and linting a 10,000-node flow builds hundreds of thousands of small,
long-lived, acyclic objects. With the collector on, every few hundred allocations it scans
the whole growing heap again, which costs more than the work itself (measured: about half
of load time and most of lint time). Nothing these stages build is cyclic garbage, so the
collector is paused for their duration and restored after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
