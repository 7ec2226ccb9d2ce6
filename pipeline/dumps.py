"""Write the whole dataset as downloadable files other researchers can load and cite.

Four dumps, all streamed from the store without building the dataset in memory:
Turtle of the union of all graphs, gzipped N-Triples of the same, TriG keeping one
named graph per article (plus the resolved and ontology graphs), and JSON-LD of the
dataset with its named graphs. Each is described by size and SHA-256 for the DCAT
record.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .vocab import PREFIXES

_UNION = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"


@dataclass(frozen=True)
class Dump:
    """One written dump file and what a catalogue needs to know about it."""

    file: str  # name inside the downloads folder
    title: str
    media_type: str
    compression: str | None  # media type of the compression, if any
    size: int  # bytes on disk
    sha256: str
    statements: int  # triples (union dumps) or quads (dataset dumps)


def _prefixes() -> dict[str, str]:
    return {name: str(ns) for name, ns in PREFIXES.items()}


def _union(store: ox.Store) -> Iterator[ox.Triple]:
    """The union of all named graphs, each triple once (Oxigraph's union graph is a set)."""
    return store.query(_UNION, use_default_graph_as_union=True)


class _Counter:
    """Passes triples through, counting them: a dump's statement count without a second pass."""

    def __init__(self, items):
        self.items, self.count = items, 0

    def __iter__(self):
        for item in self.items:
            self.count += 1
            yield item


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_dumps(store: ox.Store, folder: Path) -> list[Dump]:
    """Write newsgraph.ttl, newsgraph.nt.gz, newsgraph.trig and newsgraph.jsonld into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    quads = len(store)
    written: list[tuple[str, str, str, str | None, int]] = []

    counter = _Counter(_union(store))
    ox.serialize(counter, str(folder / "newsgraph.ttl"), ox.RdfFormat.TURTLE, prefixes=_prefixes())
    written.append(("newsgraph.ttl", "Whole dataset, union of all graphs (Turtle)", "text/turtle", None,
                    counter.count))

    counter = _Counter(_union(store))
    with gzip.open(folder / "newsgraph.nt.gz", "wb") as out:
        ox.serialize(counter, out, ox.RdfFormat.N_TRIPLES)
    written.append(("newsgraph.nt.gz", "Whole dataset, union of all graphs (N-Triples, gzip)",
                    "application/n-triples", "application/gzip", counter.count))

    store.dump(str(folder / "newsgraph.trig"), ox.RdfFormat.TRIG, prefixes=_prefixes())
    written.append(("newsgraph.trig", "Whole dataset, one named graph per article (TriG)", "application/trig",
                    None, quads))

    store.dump(str(folder / "newsgraph.jsonld"), ox.RdfFormat.JSON_LD)
    written.append(("newsgraph.jsonld", "Whole dataset with its named graphs (JSON-LD)", "application/ld+json",
                    None, quads))

    return [Dump(name, title, media, compression, (folder / name).stat().st_size, sha256_of(folder / name), n)
            for name, title, media, compression, n in written]
