"""Store: the named graphs in an on-disk Oxigraph store."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph
from rdflib import Graph, URIRef

from .publication import current


def write_store(path: Path, graphs: Iterable[tuple[URIRef, Graph]]) -> pyoxigraph.Store:
    """Create the store at `path` and load each graph into its named graph."""
    store = pyoxigraph.Store(str(path))
    for name, graph in graphs:
        data = graph.serialize(format="nt", encoding="utf-8")
        store.load(data, format=pyoxigraph.RdfFormat.N_TRIPLES, to_graph=pyoxigraph.NamedNode(str(name)))
    store.flush()
    return store


def open_read_only(out_dir: Path) -> pyoxigraph.Store:
    """The current publication's store, opened for reading only."""
    return pyoxigraph.Store.read_only(str(current(Path(out_dir)).store))
