"""Sorting more items than should be held in memory: sorted runs written to disk, merged as read.

Used where a sort's input grows with the corpus (a listing's rows, the lines of the merged
validation report), so that a process holds one run at a time whatever the corpus's size.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from itertools import groupby, islice
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def sorted_in_runs(items: Iterable[T], scratch: Path, run_size: int, encode: Callable[[T], str],
                   decode: Callable[[str], T], key: Callable[[T], Any] | None = None,
                   unique: bool = False) -> Iterator[T]:
    """`items` sorted by `key`, at most `run_size` of them in memory: each run of that many is
    sorted and written beside `scratch` (`encode` making one line of an item, `decode` reading
    it back), and the runs are merged as they are read back. Items that fit in one run are never
    written. The sort is stable, as `sorted` is. With `unique`, each item comes once: a run is
    then `run_size` distinct items, so items repeated many times make few runs (and distinct
    items of one key come in no set order: give it a key that tells them apart, or none)."""
    items = iter(items)
    runs: list[Path] = []
    try:
        for run in _runs(items, run_size, unique):
            run.sort(key=key)
            if not runs and len(run) < run_size:
                yield from run
                return
            runs.append(scratch.with_name(f"{scratch.name}.run{len(runs)}"))
            with runs[-1].open("w", encoding="utf-8", newline="\n") as out:
                out.writelines(map(encode, run))
            del run  # before the next run is read: one run in memory at a time
        with ExitStack() as files:
            streams = [map(decode, files.enter_context(run.open(encoding="utf-8", newline="\n"))) for run in runs]
            merged = heapq.merge(*streams, key=key)
            yield from ((item for item, _ in groupby(merged)) if unique else merged)
    finally:
        for run in runs:
            run.unlink(missing_ok=True)


def _runs(items: Iterator[T], run_size: int, unique: bool) -> Iterator[list[T]]:
    """`items` cut into lists of `run_size` (distinct ones, with `unique`), the last shorter."""
    if not unique:
        while run := list(islice(items, run_size)):
            yield run
        return
    run: set[T] = set()
    for item in items:
        run.add(item)
        if len(run) == run_size:
            yield list(run)
            run = set()
    if run:
        yield list(run)
