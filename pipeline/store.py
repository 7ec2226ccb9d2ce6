"""Store: the named graphs in an on-disk Oxigraph store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph
from rdflib import Graph, URIRef

from .publication import current

CHUNK_BYTES = 64 * 1024 * 1024  # N-Quads gathered before one bulk load


class StoreWriter:
    """Writes named graphs into a new on-disk store, in few large bulk loads.

    Oxigraph's bulk loader is several times faster than a transaction per graph, but
    has a fixed cost per call, so graphs are gathered as N-Quads and loaded a chunk at
    a time. It is safe because nobody reads the store before the build promotes it.
    """

    def __init__(self, path: Path):
        self.store = pyoxigraph.Store(str(path))
        self._chunk: list[bytes] = []
        self._size = 0

    def add(self, name: URIRef, ntriples: bytes) -> None:
        """Queue an N-Triples document (one triple a line, as rdflib and Oxigraph write it)."""
        # Every line ends " .\\n" (a literal's own line breaks are escaped), so this makes N-Quads.
        quads = ntriples.replace(b" .\n", f" <{name}> .\n".encode("utf-8"))
        self._chunk.append(quads)
        self._size += len(quads)
        if self._size >= CHUNK_BYTES:
            self._load()

    def clear(self) -> None:
        """Forget everything written so far, to start again in the same store."""
        self._chunk, self._size = [], 0
        self.store.clear()

    def close(self) -> pyoxigraph.Store:
        self._load()
        self.store.flush()
        return self.store

    def _load(self) -> None:
        if self._chunk:
            self.store.bulk_load(b"".join(self._chunk), format=pyoxigraph.RdfFormat.N_QUADS)
        self._chunk, self._size = [], 0


def write_store(path: Path, graphs: Iterable[tuple[URIRef, Graph]]) -> pyoxigraph.Store:
    """Create the store at `path` and load each rdflib graph into its named graph."""
    writer = StoreWriter(path)
    for name, graph in graphs:
        writer.add(name, graph.serialize(format="nt", encoding="utf-8"))
    return writer.close()


def graph_documents(store: pyoxigraph.Store) -> Iterator[tuple[str, bytes]]:
    """Each named graph of the store as N-Triples with sorted lines (equal graphs, equal bytes)."""
    for name in sorted(store.named_graphs(), key=lambda n: n.value):
        lines = store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=name).splitlines(keepends=True)
        yield name.value, b"".join(sorted(lines))


def open_read_only(out_dir: Path) -> pyoxigraph.Store:
    """The current publication's store, opened for reading only."""
    return pyoxigraph.Store.read_only(str(current(Path(out_dir)).store))
