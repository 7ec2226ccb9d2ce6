"""Python's cyclic garbage collector, paused while a stage builds millions of objects it keeps."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off for the block, as it was afterwards.

    A collection is set off by the number of objects made since the last, and the oldest
    generation's scans every object that has survived so far: reading a corpus's
    extractions or linking them makes millions of objects that all survive, so the
    collector scans them again and again and finds nothing (they hold no cycles). Garbage
    the block does make in cycles is collected after it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
