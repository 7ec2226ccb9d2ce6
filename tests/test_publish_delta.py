"""An incremental publish takes the store writer's line differences instead of reading the changed
graphs again, and the previous release's first instances instead of querying the whole store:
adding, editing and removing articles gives the site a full publish gives, byte for byte."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from pipeline import publish as publish_module
from pipeline import reuse
from pipeline.publication import Publication
from pipeline.publish import first_instances, firsts_path, publish, updated_firsts
from pipeline.reuse import UnionChanges, read_changes
from pipeline.store import StoredGraphs, StoreWriter, write_digests
from test_site_incremental import ADDED, HAMA, RDFS_LABEL, files, without_article
from test_site_sample import BASE, NG, RDF_TYPE, sample_quads

EXTRA = ox.NamedNode(f"{BASE}graph/article/extra")
FIRST_PLACE = ox.Quad(ox.NamedNode(f"{BASE}id/actor/aaa"), RDF_TYPE, ox.NamedNode(f"{NG}Place"), EXTRA)


def graphs_of(quads) -> dict[str, bytes]:
    by_graph = defaultdict(list)
    for quad in quads:
        by_graph[quad.graph_name.value].append(quad.triple)
    return {name: ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) for name, triples in by_graph.items()}


def built(folder: Path, quads, previous: Path | None = None, limit: int = 300_000, workers: int = 1):
    """A release as the build makes it: the store written by a StoreWriter starting from the
    `previous` release's, its digests beside it, then published over the previous site."""
    release = Publication(folder)
    folder.mkdir(parents=True)
    writer = StoreWriter(release.store, StoredGraphs.of(Publication(previous)) if previous else None, limit)
    for name, ntriples in sorted(graphs_of(quads).items()):
        writer.add(name, ntriples)
    store = writer.close()
    write_digests(release, writer.digests)
    summary = publish(store, release.site, BASE, previous=previous / "site" if previous else None,
                      graph_digests=writer.digests, lines=writer.changes, workers=workers)
    return summary, writer


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The graphs page reuse reads from a store (none when it takes the writer's line differences)."""
    read: list[str] = []
    graph_lines = reuse.graph_lines

    def counted(store, graph):
        read.append(str(graph))
        return graph_lines(store, graph)

    monkeypatch.setattr(reuse, "graph_lines", counted)
    return read


@pytest.fixture
def queries(monkeypatch) -> list[tuple[str, ...] | None]:
    """The terms each first-instances query asked for (None: all of them, the whole-store query)."""
    asked: list[tuple[str, ...] | None] = []

    def recorded(store, base, only=None):
        asked.append(None if only is None else tuple(only))
        return first_instances(store, base, only)

    monkeypatch.setattr(publish_module, "first_instances", recorded)
    return asked


def edited(quads):
    """Hama renamed in the resolved graph, and a triple added that makes a smaller first Place."""
    return [ox.Quad(q.subject, q.predicate, ox.Literal("Hamah", language="en"), q.graph_name)
            if q.subject == HAMA and q.predicate == RDFS_LABEL else q for q in quads] + [FIRST_PLACE]


@pytest.mark.parametrize("before, after", [
    (without_article(ADDED), sample_quads()),  # an article added
    (sample_quads(), edited(sample_quads())),  # edited
    (sample_quads(), without_article("000-reuters")),  # removed: the first of many terms
], ids=["add", "edit", "remove"])
def test_an_incremental_publish_reads_no_graph_and_equals_a_full_publish(tmp_path, reads, queries, before, after):
    built(tmp_path / "earlier", before)
    assert queries == [None]  # a first publish queries the whole store
    reads.clear(), queries.clear()
    incremental, writer = built(tmp_path / "incremental", after, previous=tmp_path / "earlier")
    assert writer.changes is not None and reads == []  # the writer's differences, no graph read again
    assert None not in queries  # the previous firsts updated, at most some terms asked again
    full, _ = built(tmp_path / "full", after)
    assert files(tmp_path / "incremental" / "site") == files(tmp_path / "full" / "site")
    assert 0 < incremental.reused < incremental.pages == full.pages
    assert firsts_path(tmp_path / "incremental" / "site").read_bytes() == \
        firsts_path(tmp_path / "full" / "site").read_bytes()


def test_over_the_limit_the_writer_keeps_no_lines_and_reuse_reads_the_changed_graphs(tmp_path, reads):
    built(tmp_path / "earlier", without_article(ADDED))
    incremental, writer = built(tmp_path / "incremental", sample_quads(), previous=tmp_path / "earlier", limit=10)
    assert writer.changes is None
    # Of both stores, the graphs whose digests changed (here the new article's alone) and the default.
    assert sorted(reads) == sorted(["DEFAULT", f"<{BASE}graph/article/{ADDED}>"] * 2)
    built(tmp_path / "full", sample_quads())
    assert files(tmp_path / "incremental" / "site") == files(tmp_path / "full" / "site")
    assert 0 < incremental.reused < incremental.pages


def test_a_triple_moved_to_another_graph_is_no_union_change(tmp_path):
    """A line removed from one graph and still in another of the new store changes no page."""
    label = next(q for q in sample_quads() if q.subject == HAMA and q.predicate == RDFS_LABEL)
    built(tmp_path / "earlier", [*sample_quads(), ox.Quad(*label.triple, EXTRA)])
    moved = [q for q in sample_quads() if q != label] + [ox.Quad(*label.triple, EXTRA)]
    again, writer = built(tmp_path / "again", moved, previous=tmp_path / "earlier")
    # The label line left the resolved graph (lines spelled otherwise than Oxigraph writes them, as
    # "32"^^xsd:decimal, are removed and added again), and the extra graph is as it was.
    assert str(label.triple).encode() in b"".join(writer.changes.removed)
    changes = reuse.union_changes(tmp_path / "earlier" / "site", ox.Store.read_only(str(tmp_path / "again/store")),
                                  writer.digests, writer.changes)
    assert changes == UnionChanges((), ())
    resource_pages = sum(1 for kind in ("actor", "place", "event", "article")
                         for _ in (tmp_path / "earlier/site/id" / kind).glob("*.html"))
    assert again.reused == resource_pages


def test_an_incremental_publish_in_worker_processes_equals_a_full_one(tmp_path, reads):
    built(tmp_path / "earlier", without_article(ADDED), workers=2)
    incremental, _ = built(tmp_path / "incremental", sample_quads(), previous=tmp_path / "earlier", workers=2)
    built(tmp_path / "full", sample_quads())
    assert reads == [] and 0 < incremental.reused < incremental.pages
    assert files(tmp_path / "incremental" / "site") == files(tmp_path / "full" / "site")


def test_updated_first_instances_equal_the_whole_store_query(tmp_path):
    """Additions (one giving a smaller first) and removals (of many terms' firsts) at once."""
    old, new = ox.Store(), ox.Store()
    old.extend(without_article(ADDED))
    new.extend([*without_article("000-reuters"), FIRST_PLACE])
    before, after = first_instances(old, BASE), first_instances(new, BASE)
    changes = read_changes(old, new)
    assert changes.added and changes.removed
    assert before[f"{NG}Place"] != after[f"{NG}Place"] == FIRST_PLACE.subject.value
    assert before[f"{NG}Article"] == f"{BASE}id/article/000-reuters" != after[f"{NG}Article"]
    assert updated_firsts(new, BASE, before, changes) == after
    # Nothing changed: nothing asked, the same firsts.
    assert updated_firsts(new, BASE, after, UnionChanges((), ())) == after
