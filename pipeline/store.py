"""Store: the named graphs in an on-disk Oxigraph store."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph
from rdflib import Graph, URIRef

from .publication import current


def write_store(path: Path, graphs: Iterable[tuple[URIRef, Graph]]) -> pyoxigraph.Store:
    """Create the store at `path` and load each rdflib graph into its named graph."""
    return write_documents(path, ((name, graph.serialize(format="nt", encoding="utf-8")) for name, graph in graphs))


def write_documents(path: Path, documents: Iterable[tuple[URIRef, bytes]]) -> pyoxigraph.Store:
    """Create the store at `path` and bulk-load each N-Triples document into its named graph.

    The store is new and nobody reads it before the build promotes it, so the bulk
    loader (no transaction per graph) is safe and several times faster than `load`.
    """
    store = pyoxigraph.Store(str(path))
    for name, data in documents:
        store.bulk_load(data, format=pyoxigraph.RdfFormat.N_TRIPLES, to_graph=pyoxigraph.NamedNode(str(name)))
    store.flush()
    return store


def open_read_only(out_dir: Path) -> pyoxigraph.Store:
    """The current publication's store, opened for reading only."""
    return pyoxigraph.Store.read_only(str(current(Path(out_dir)).store))
