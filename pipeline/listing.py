"""Listing rows spooled to disk: streamed once from the store, read as often as needed.

The site goes over each listing (all events, all actors...) several times: to draw the
resource pages, to count and then write the paged indexes, for the search index. Holding
the rows in memory would grow with the corpus, and asking the store again would repeat
its sort; a spool file costs one query and a sequential read per pass.

A listing as long as the corpus (every event, every article) is put in order here rather
than by the store: Oxigraph sorts a query's rows in memory (47 MiB for the 103,000 events of
10,000 articles, so half a gigabyte at 100,000), while `Spool` sorts RUN_ROWS rows at a time
and merges the sorted runs from disk.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from itertools import islice
from pathlib import Path
from typing import Any

from .siteread import Row

RUN_ROWS = 10_000  # rows sorted in memory at a time (about 1 KB each, as dicts with their keys)

Order = Callable[[dict[str, str]], Any]  # a sort key on a spooled row


class Spool:
    """The rows of one listing query, each a dict of variable -> the bound term's lexical value,
    in the store's order or, given `order`, in that key's (a stable sort)."""

    def __init__(self, path: Path, rows: Iterable[Row], order: Order | None = None):
        self.path = path
        self.count = 0
        values: Iterable[dict[str, str]] = ({var: term.value for var, term in row.items()} for row in rows)
        if order is not None:
            values = _sorted(values, order, path)
        with path.open("w", encoding="utf-8") as out:
            for value in values:
                out.write(_line(value))
                self.count += 1

    def __iter__(self) -> Iterator[dict[str, str]]:
        with self.path.open(encoding="utf-8") as rows:
            yield from map(json.loads, rows)


def newest_first(field: str) -> Order:
    """The order of SPARQL's `ORDER BY DESC(STR(?field)) ?e`: latest first, rows without the
    field last, rows of one value by IRI."""
    return lambda row: (_descending(row.get(field, "")), row["e"])


def _descending(value: str) -> tuple[int, ...]:
    # Code points negated order two strings the other way round; the closing 1 (above any
    # negated code point) puts a string after the longer ones it begins, and "" last.
    return (*(-ord(c) for c in value), 1)


def _sorted(rows: Iterable[dict[str, str]], order: Order, path: Path) -> Iterator[dict[str, str]]:
    """`rows` sorted by `order`, at most RUN_ROWS of them in memory: each run of that many is
    sorted and written beside `path`, and the runs are merged as they are read back. Rows that
    fit in one run are never written."""
    rows = iter(rows)
    runs: list[Path] = []
    try:
        while run := sorted(islice(rows, RUN_ROWS), key=order):
            if not runs and len(run) < RUN_ROWS:
                yield from run
                return
            runs.append(path.with_name(f"{path.name}.run{len(runs)}"))
            with runs[-1].open("w", encoding="utf-8") as out:
                out.writelines(map(_line, run))
            del run  # before the next run is read: one run in memory at a time
        with ExitStack() as files:
            streams = [map(json.loads, files.enter_context(run.open(encoding="utf-8"))) for run in runs]
            yield from heapq.merge(*streams, key=order)
    finally:
        for run in runs:
            run.unlink(missing_ok=True)


def _line(value: dict[str, str]) -> str:
    return json.dumps(value, ensure_ascii=False) + "\n"
