"""The command line's garbage-collector setting (libraries leave the collector alone).

Checking, compiling or drawing a big flow builds hundreds of thousands of small objects that
live until the command ends. Python's default full collection runs again each time the
number of long-lived objects has grown by a quarter, and each one walks all of them: for a
10,000-node flow that was about a third of `flowc check`'s CPU time
(`python bench/gc_host.py` prints the figures). As in `flowc serve`
(`runtime.server.rare_full_collections`), the young generations stay automatic, so cyclic
garbage is still freed, and a full collection runs only after `FULL_GC_EVERY`
middle-generation collections instead of 10.

`flowc check` goes further and runs without the cyclic collector: checking makes almost no
reference cycles (everything it builds is freed by reference counting but some 30 objects a
holiday calendar's look-ups leave, which the command collects every 200 files;
`tests/test_gc_left_alone.py` holds that for every example and a big generated flow), so a
collection mostly walks live objects and frees nothing; for 10,000 nodes that was 0.06-0.12 s
of 1.7 s even with rare full collections (`python bench/gc_host.py` prints the three settings
side by side).
"""

from __future__ import annotations

import gc

FULL_GC_EVERY = 1000  # middle-generation collections between full ones (Python's default: 10)


def rare_full_collections() -> None:
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_GC_EVERY)


# Commands whose work makes no reference cycles: they run without the cyclic collector.
NO_CYCLES = frozenset({"check"})


def tune(command: str | None) -> None:
    """The collector setting for `command` (`check`, `compile`..., None for none): none for
    `NO_CYCLES` commands, rare full collections for the others."""
    if command in NO_CYCLES:
        gc.disable()
    else:
        rare_full_collections()
