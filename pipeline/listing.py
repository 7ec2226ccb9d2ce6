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

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .external_sort import sorted_in_runs
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
            values = sorted_in_runs(values, path, RUN_ROWS, _line, json.loads, key=order)
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


def _line(value: dict[str, str]) -> str:
    return json.dumps(value, ensure_ascii=False) + "\n"
