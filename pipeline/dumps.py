"""Write the whole dataset as downloadable files other researchers can load and cite.

Four dumps, all serialized by Oxigraph straight from the store into the files, with no
graph built in memory and no Python code run per triple:
Turtle of the union of all graphs, gzipped N-Triples of the same, TriG keeping one
named graph per article (plus the resolved and ontology graphs), and JSON-LD of the
dataset with its named graphs. Each is described by size and SHA-256 for the DCAT
record.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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


def _union(store: ox.Store) -> ox.QueryTriples:
    """The union of all named graphs, each triple once: Oxigraph's CONSTRUCT drops repeats.

    To bound its memory it remembers about a million triples at most, so on a larger
    store a triple held by several graphs may be written (and counted) twice: harmless
    to a loader, since a graph is a set."""
    return store.query(_UNION, use_default_graph_as_union=True)


class _LineCounter(io.RawIOBase):
    """A binary sink that passes bytes on and counts lines: N-Triples has one triple a line,
    so the union's size is known without iterating the triples in Python."""

    def __init__(self, out: BinaryIO):
        self.out, self.lines = out, 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.lines += bytes(data).count(b"\n")
        return self.out.write(data)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _union_dumps(store: ox.Store, folder: Path) -> list[tuple[str, str, str, str | None, int]]:
    # No name or time in the gzip header: the same dataset gives the same bytes (and checksum).
    with ((folder / "newsgraph.nt.gz").open("wb") as raw,
          gzip.GzipFile("", "wb", compresslevel=6, fileobj=raw, mtime=0) as out):
        counter = _LineCounter(out)
        _union(store).serialize(counter, ox.RdfFormat.N_TRIPLES)
    triples = counter.lines
    ox.serialize(_union(store), str(folder / "newsgraph.ttl"), ox.RdfFormat.TURTLE, prefixes=_prefixes())
    return [("newsgraph.ttl", "Turtle: union of all graphs", "text/turtle", None, triples),
            ("newsgraph.nt.gz", "N-Triples, gzip: union of all graphs", "application/n-triples",
             "application/gzip", triples)]


def _trig_dump(store: ox.Store, folder: Path) -> list[tuple[str, str, str, str | None, int]]:
    store.dump(str(folder / "newsgraph.trig"), ox.RdfFormat.TRIG, prefixes=_prefixes())
    return [("newsgraph.trig", "TriG: one named graph per article", "application/trig", None, len(store))]


def _jsonld_dump(store: ox.Store, folder: Path) -> list[tuple[str, str, str, str | None, int]]:
    store.dump(str(folder / "newsgraph.jsonld"), ox.RdfFormat.JSON_LD)
    return [("newsgraph.jsonld", "JSON-LD: all named graphs", "application/ld+json", None, len(store))]


# The dumps in the order they are listed, in parts that can be written in parallel (the Turtle
# and N-Triples dumps share their triple count).
PARTS = ("union", "trig", "jsonld")
_WRITERS = {"union": _union_dumps, "trig": _trig_dump, "jsonld": _jsonld_dump}


def write_part(store: ox.Store, folder: Path, part: str) -> list[Dump]:
    """Write one part of PARTS into `folder` (made if missing): its dumps."""
    folder.mkdir(parents=True, exist_ok=True)
    return [Dump(name, title, media, compression, (folder / name).stat().st_size, sha256_of(folder / name), n)
            for name, title, media, compression, n in _WRITERS[part](store, folder)]


def write_dumps(store: ox.Store, folder: Path) -> list[Dump]:
    """Write newsgraph.ttl, newsgraph.nt.gz, newsgraph.trig and newsgraph.jsonld into `folder`."""
    return [dump for part in PARTS for dump in write_part(store, folder, part)]
