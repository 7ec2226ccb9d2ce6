"""Python's cyclic garbage collector, paused while a stage builds millions of objects it keeps."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
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


@contextmanager
def long_lived_objects() -> Iterator[Callable[[], None]]:
    """A scope (a build) whose stages make structures of millions of objects read to its end.

    Yields `keep`: called once a stage has made such structures (the extractions, the linked
    corpus and its resolved graph, their digests), it freezes every object alive then
    (`gc.freeze`), and no later collection scans them again. Without it, the main process of
    an incremental build of a 10,000-article publication spent tens of seconds in the
    collector's full collections over objects that never become garbage; processes forked
    after a `keep` inherit the frozen state. Leaving the scope unfreezes them all, so that
    what it made is collected once dropped.
    """
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()
