"""The command line's garbage-collector setting (libraries leave the collector alone).

Checking, compiling or drawing a big flow builds hundreds of thousands of small objects that
live until the command ends. Python's default full collection runs again each time the
number of long-lived objects has grown by a quarter, and each one walks all of them: for a
10,000-node flow that was about a third of `flowc check`'s CPU time
(`python bench/gc_host.py` prints the figures). As in `flowc serve`
(`runtime.server.rare_full_collections`), the young generations stay automatic, so cyclic
garbage is still freed, and a full collection runs only after `FULL_GC_EVERY`
middle-generation collections instead of 10.
"""

from __future__ import annotations

import gc

FULL_GC_EVERY = 1000  # middle-generation collections between full ones (Python's default: 10)


def rare_full_collections() -> None:
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_GC_EVERY)
