"""Listing rows spooled to disk: streamed once from the store, read as often as needed.

The site goes over each listing (all events, all actors...) several times: to draw the
resource pages, to count and then write the paged indexes, for the search index. Holding
the rows in memory would grow with the corpus, and asking the store again would repeat
its sort; a spool file costs one query and a sequential read per pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from .siteread import Row


class Spool:
    """The rows of one listing query, each a dict of variable -> the bound term's lexical value."""

    def __init__(self, path: Path, rows: Iterable[Row]):
        self.path = path
        self.count = 0
        with path.open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps({var: term.value for var, term in row.items()}, ensure_ascii=False) + "\n")
                self.count += 1

    def __iter__(self) -> Iterator[dict[str, str]]:
        with self.path.open(encoding="utf-8") as rows:
            for line in rows:
                yield json.loads(line)
