"""The dumps load in another tool (rdflib) as what the store holds; VoID and DCAT describe them;
they are made from per-graph pieces, the same bytes whether the pieces were cached or not."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import DCAT, DCTERMS, RDF, VOID

from pipeline import dumps
from pipeline.map import ntriples
from pipeline.publish import publish
from pipeline.store import graph_digest, kept_file
from test_site_sample import ARTICLES, BASE, sample_quads, sample_store

SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
CC_BY = rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    site_dir = tmp_path_factory.mktemp("dumps")
    store = sample_store()
    summary = publish(store, site_dir, BASE)
    union = {(q.subject.value, q.predicate.value, q.object.value) for q in store}
    return site_dir, summary, store, union


def content(path: Path) -> bytes:
    """A dump's bytes, unzipped when it is gzipped (all its members: the compressed dumps are several)."""
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def test_ntriples_dump_is_gzipped_union(published):
    site_dir, _, _, union = published
    with gzip.open(site_dir / "downloads/newsgraph.nt.gz", "rb") as f:
        graph = rdflib.Graph().parse(data=f.read(), format="nt")
    assert {(str(s), str(p), str(o)) for s, p, o in graph} == union


def test_trig_dump_keeps_one_named_graph_per_article(published):
    site_dir, _, store, _ = published
    dataset = rdflib.Dataset().parse(site_dir / "downloads/newsgraph.trig", format="trig")
    graphs = {str(g.identifier) for g in dataset.graphs() if len(g)}
    assert {f"{BASE}graph/article/{a}" for a in ARTICLES} <= graphs
    assert f"{BASE}graph/resolved" in graphs
    assert sum(len(g) for g in dataset.graphs()) == len(store)
    # The article's text is in its own graph and nowhere else.
    text = rdflib.URIRef("https://w3id.org/newsgraph/ns#text")
    reuters = dataset.graph(rdflib.URIRef(f"{BASE}graph/article/000-reuters"))
    assert str(reuters.value(rdflib.URIRef(f"{BASE}id/article/000-reuters"), text)).startswith("Rebels close in")


def test_jsonld_dump_holds_the_dataset(published):
    site_dir, _, store, _ = published
    dataset = rdflib.Dataset().parse(data=content(site_dir / "downloads/newsgraph.jsonld.gz"), format="json-ld")
    assert sum(len(g) for g in dataset.graphs()) == len(store)
    assert isinstance(json.loads(content(site_dir / "downloads/newsgraph.jsonld.gz")), list)


def test_dumps_are_as_readable_as_the_rest_of_the_site(tmp_path):
    """A dump gets the mode any file written there gets from the umask (a temporary file's is
    0600: a web server serving the site as another user could not read it)."""
    umask = os.umask(0o022)
    try:
        written = dumps.write_dumps(ox.Store(), tmp_path)
    finally:
        os.umask(umask)
    assert {d.file: (tmp_path / d.file).stat().st_mode & 0o777 for d in written} == {d.file: 0o644 for d in written}


def test_dcat_record_gives_each_dump_type_size_checksum_licence_and_date(published):
    site_dir, summary, _, _ = published
    graph = rdflib.Graph().parse(site_dir / "downloads/dcat.ttl", format="turtle")
    dataset = rdflib.URIRef(f"{BASE}dataset")
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    distributions = list(graph.objects(dataset, DCAT.distribution))
    assert len(distributions) == len(summary.dumps) == 4
    for dist in distributions:
        name = str(graph.value(dist, DCAT.downloadURL)).removeprefix(f"{BASE}downloads/")
        data = (site_dir / "downloads" / name).read_bytes()
        assert int(graph.value(dist, DCAT.byteSize)) == len(data)
        checksum = graph.value(dist, SPDX.checksum)
        assert str(graph.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
        assert graph.value(dist, DCAT.mediaType) is not None
        gzipped = rdflib.URIRef("https://www.iana.org/assignments/media-types/application/gzip")
        assert (graph.value(dist, DCAT.compressFormat) == gzipped) == name.endswith(".gz") == (data[:2] == b"\x1f\x8b")
        assert (dist, DCTERMS.license, CC_BY) in graph
        assert graph.value(dist, DCTERMS.issued) is not None
    service = rdflib.URIRef(f"{BASE}sparql")
    assert (service, DCAT.servesDataset, dataset) in graph
    assert (service, RDF.type, DCAT.DataService) in graph
    examples = list(graph.objects(dataset, VOID.exampleResource))
    assert examples and all(str(e).startswith(f"{BASE}id/") for e in examples)
    # Each example resource has its page.
    for example in examples:
        assert (site_dir / (str(example).removeprefix(BASE) + ".html")).is_file()


def test_void_names_endpoint_dumps_size_and_uri_space(published):
    site_dir, summary, _, union = published
    graph = rdflib.Graph().parse(site_dir / "downloads/void.ttl", format="turtle")
    dataset = rdflib.URIRef(f"{BASE}dataset")
    assert int(graph.value(dataset, VOID.triples)) == len(union)
    assert {str(d) for d in graph.objects(dataset, VOID.dataDump)} == {
        f"{BASE}downloads/{d.file}" for d in summary.dumps}
    assert (dataset, VOID.sparqlEndpoint, rdflib.URIRef(f"{BASE}sparql")) in graph
    assert (site_dir / ".well-known/void").read_text() == (site_dir / "downloads/void.ttl").read_text()


def test_citation_line_is_given_in_the_downloads_and_on_pages(published):
    site_dir, _, _, _ = published
    citation = (site_dir / "downloads/CITATION.txt").read_text().strip()
    assert f"{BASE}dataset" in citation and "CC BY 4.0" in citation
    assert citation in (site_dir / "downloads/index.html").read_text()
    assert citation in (site_dir / "id/place/homs.html").read_text()


# The dumps are put together from per-graph pieces kept in a folder across publishes.

REUTERS = ox.NamedNode(f"{BASE}graph/article/000-reuters")
COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
DUMPS = ("newsgraph.ttl", "newsgraph.nt.gz", "newsgraph.trig", "newsgraph.jsonld.gz")
PIECE_FILES = [".json", ".jsonld.gz", ".nt.gz", ".parts.json", ".ttl"]  # a part's three pieces and record, a graph's record
TRICKY = [  # the default graph, literals Turtle escapes, a brace in a string, an IRI TriG's blocks must not break
    ox.Quad(ox.NamedNode(f"{BASE}id/x"), COMMENT, ox.Literal('a "quoted" }\nline, ünï'), ox.DefaultGraph()),
    ox.Quad(ox.NamedNode(f"{BASE}id/x"), COMMENT, ox.Literal("عربي", language="ar"), ox.NamedNode(f"{BASE}graph/b,c")),
]


def disk_store(folder, quads) -> ox.Store:
    folder.parent.mkdir(parents=True, exist_ok=True)
    store = ox.Store(str(folder))
    store.extend(quads)
    store.flush()
    return store


def graph_digests(store: ox.Store) -> dict[str, str]:
    """Each named graph's digest, as the build gives them."""
    return {g.value: graph_digest(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g))
            for g in store.named_graphs()}


def part_of(store: ox.Store, graph: ox.NamedNode) -> str:
    """The key of the pieces of a graph small enough to be one part."""
    return dumps.part_key(hashlib.sha256(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)).hexdigest())


def dumped(store: ox.Store, folder, pieces_folder=None, digests=None) -> dict[str, bytes]:
    pieces = dumps.Pieces.of(store, pieces_folder, digests) if pieces_folder is not None else None
    dumps.write_dumps(store, folder, pieces)
    return {name: (folder / name).read_bytes() for name in DUMPS}


def test_each_dump_parses_in_both_tools_to_exactly_the_store(tmp_path):
    store = disk_store(tmp_path / "store", sample_quads() + TRICKY)
    written = dumps.write_dumps(store, tmp_path / "out")
    out = tmp_path / "out"
    quads = set(store)
    union = {q.triple for q in quads}
    assert {q.triple for q in ox.parse(path=out / "newsgraph.ttl", format=ox.RdfFormat.TURTLE)} == union
    with gzip.open(out / "newsgraph.nt.gz", "rb") as f:
        assert {q.triple for q in ox.parse(f.read(), format=ox.RdfFormat.N_TRIPLES)} == union
    assert set(ox.parse(path=out / "newsgraph.trig", format=ox.RdfFormat.TRIG)) == quads
    assert set(ox.parse(content(out / "newsgraph.jsonld.gz"), format=ox.RdfFormat.JSON_LD)) == quads
    # rdflib reads them as what it reads from the store's own N-Quads.
    nquads = store.dump(format=ox.RdfFormat.N_QUADS)
    expected = set(rdflib.Dataset().parse(data=nquads, format="nquads").quads())
    assert set(rdflib.Graph().parse(out / "newsgraph.ttl", format="turtle")) == {(s, p, o) for s, p, o, _ in expected}
    for name, format in (("newsgraph.trig", "trig"), ("newsgraph.jsonld.gz", "json-ld")):
        assert set(rdflib.Dataset().parse(data=content(out / name), format=format).quads()) == expected, name
    assert [d.statements for d in written] == [len(store)] * 4


def test_an_empty_store_gives_empty_but_valid_dumps(tmp_path):
    out = tmp_path / "out"
    written = dumps.write_dumps(ox.Store(), out)
    with gzip.open(out / "newsgraph.nt.gz", "rb") as f:
        assert f.read() == b""
    assert json.loads(content(out / "newsgraph.jsonld.gz")) == []
    assert [d.statements for d in written] == [0] * 4


def test_the_same_data_gives_the_same_bytes_cached_or_not_digests_given_or_not(tmp_path):
    store = disk_store(tmp_path / "store", sample_quads() + TRICKY)
    fresh = dumped(store, tmp_path / "fresh")
    cache = tmp_path / "pieces"
    assert dumped(store, tmp_path / "first", cache, graph_digests(store)) == fresh
    assert dumped(store, tmp_path / "cached", cache, graph_digests(store)) == fresh
    assert dumped(store, tmp_path / "cached-no-digests", cache) == fresh
    # The same quads in another store, added in another order.
    again = disk_store(tmp_path / "again", list(reversed(sample_quads() + TRICKY)))
    assert dumped(again, tmp_path / "other-store", cache) == fresh


def test_publish_after_changing_one_graph_pieces_that_graph_only_and_equals_a_fresh_publish(tmp_path):
    cache = tmp_path / "pieces"
    store = disk_store(tmp_path / "one" / "store", sample_quads())
    publish(store, tmp_path / "one" / "site", BASE, pieces=cache, graph_digests=graph_digests(store))
    before = set(cache.iterdir())
    assert len(before) == 5 * len(list(store.named_graphs()))  # three pieces and two records per graph

    changed = sample_quads() + [ox.Quad(REUTERS, COMMENT, ox.Literal("corrected"), REUTERS)]
    store = disk_store(tmp_path / "two" / "store", changed)
    summary = publish(store, tmp_path / "two" / "site", BASE, pieces=cache, graph_digests=graph_digests(store))
    after = set(cache.iterdir())
    assert len(after - before) == 5 and len(before - after) == 5  # one graph's new pieces; its old ones pruned
    assert sorted("".join(p.suffixes) for p in after - before) == PIECE_FILES

    fresh = disk_store(tmp_path / "fresh" / "store", changed)
    full = publish(fresh, tmp_path / "fresh" / "site", BASE)
    for name in DUMPS:
        assert (tmp_path / "two/site/downloads" / name).read_bytes() == (tmp_path / "fresh/site/downloads" / name).read_bytes()
    assert summary.dumps == full.dumps
    assert [d.statements for d in summary.dumps] == [len(store)] * 4


def test_workers_write_the_pieces_and_the_same_dumps(tmp_path):
    store = disk_store(tmp_path / "one" / "store", sample_quads() + TRICKY)
    one = publish(store, tmp_path / "one" / "site", BASE)
    cache = tmp_path / "pieces"
    two = publish(store, tmp_path / "two" / "site", BASE, workers=2, pieces=cache)
    assert len(list(cache.glob("*.parts.json"))) == len(list(store.named_graphs())) + 1  # and the default graph's
    cached = publish(store, tmp_path / "cached" / "site", BASE, workers=2, pieces=cache)
    assert one.dumps == two.dumps == cached.dumps
    for name in DUMPS:
        assert len({(tmp_path / run / "site/downloads" / name).read_bytes() for run in ("one", "two", "cached")}) == 1


def test_a_partial_or_unrecorded_piece_is_not_used(tmp_path):
    store = disk_store(tmp_path / "store", sample_quads())
    fresh = dumped(store, tmp_path / "fresh")
    cache = tmp_path / "pieces"
    digests = graph_digests(store)
    dumped(store, tmp_path / "first", cache, digests)
    key = part_of(store, REUTERS)  # a small graph is one part
    truncated = cache / (key + ".ttl")
    truncated.write_bytes(truncated.read_bytes()[:100])  # as if a copy stopped half-way
    other = f"{BASE}graph/resolved"
    (cache / (dumps.piece_key(other, digests[other]) + ".parts.json")).unlink()  # as if stopped before recording
    (cache / (part_of(store, ox.NamedNode(other)) + ".jsonld.gz")).write_bytes(b"{")
    (cache / f".{key}.ttl.x.tmp").write_bytes(b"left by a stopped writer")
    pieces = dumps.Pieces.of(store, cache, digests)
    assert sorted(graph for graph, _ in pieces.todo) == sorted([REUTERS.value, f"{BASE}graph/resolved"])
    dumps.write_dumps(store, tmp_path / "again", pieces)
    assert {name: (tmp_path / "again" / name).read_bytes() for name in DUMPS} == fresh
    pieces.prune()
    assert not list(cache.glob(".*.tmp"))


@pytest.fixture
def small_parts(monkeypatch):
    """Graphs of more than 40 triples cut into parts of about 10: the sample's large graphs are split."""
    monkeypatch.setattr(dumps, "SPLIT_LINES", 40)
    monkeypatch.setattr(dumps, "PART_LINES", 10)


def test_a_large_graph_is_cut_by_subject_into_parts_and_its_dumps_are_exactly_the_store(tmp_path, small_parts):
    store = disk_store(tmp_path / "store", sample_quads() + TRICKY)
    cache = tmp_path / "pieces"
    pieces = dumps.Pieces.of(store, cache, graph_digests(store))
    dumps.write_dumps(store, tmp_path / "out", pieces)
    resolved = pieces.ready[f"{BASE}graph/resolved"]
    assert len(resolved.parts) > 4 and sum(dumps.found_part(cache, part) for part in resolved.parts) == \
        resolved.triples == len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(f"{BASE}graph/resolved"))))
    out, quads = tmp_path / "out", set(store)
    assert {q.triple for q in ox.parse(path=out / "newsgraph.ttl", format=ox.RdfFormat.TURTLE)} == {q.triple for q in quads}
    assert set(ox.parse(path=out / "newsgraph.trig", format=ox.RdfFormat.TRIG)) == quads
    assert set(ox.parse(content(out / "newsgraph.jsonld.gz"), format=ox.RdfFormat.JSON_LD)) == quads
    expected = set(rdflib.Dataset().parse(data=store.dump(format=ox.RdfFormat.N_QUADS), format="nquads").quads())
    for name, format in (("newsgraph.trig", "trig"), ("newsgraph.jsonld.gz", "json-ld")):
        assert set(rdflib.Dataset().parse(data=content(out / name), format=format).quads()) == expected, name
    # One block a graph in TriG, one node object a subject in JSON-LD: a subject's triples are in one part.
    assert (out / "newsgraph.trig").read_text().count(f"<{BASE}graph/resolved> {{") == 1
    nodes = [node["@id"] for graph in json.loads(content(out / "newsgraph.jsonld.gz"))
             if graph.get("@id") == f"{BASE}graph/resolved" for node in graph["@graph"]]
    assert len(nodes) == len(set(nodes)) > 0


def test_a_changed_subject_pieces_its_part_again_and_the_dumps_equal_a_fresh_publish(tmp_path, small_parts):
    cache = tmp_path / "pieces"
    store = disk_store(tmp_path / "one" / "store", sample_quads())
    publish(store, tmp_path / "one" / "site", BASE, pieces=cache, graph_digests=graph_digests(store))
    before = set(cache.iterdir())
    hama = ox.NamedNode(f"{BASE}id/place/hama")
    changed = sample_quads() + [ox.Quad(hama, COMMENT, ox.Literal("corrected"), ox.NamedNode(f"{BASE}graph/resolved"))]
    store = disk_store(tmp_path / "two" / "store", changed)
    summary = publish(store, tmp_path / "two" / "site", BASE, pieces=cache, graph_digests=graph_digests(store))
    made = set(cache.iterdir()) - before
    # Hama's part and the resolved graph's record: the other parts were found as they were.
    assert sorted("".join(p.suffixes) for p in made) == PIECE_FILES
    fresh = disk_store(tmp_path / "fresh" / "store", changed)
    full = publish(fresh, tmp_path / "fresh" / "site", BASE)
    for name in DUMPS:
        assert (tmp_path / "two/site/downloads" / name).read_bytes() == \
            (tmp_path / "fresh/site/downloads" / name).read_bytes()
    assert summary.dumps == full.dumps


class Watched:
    """A store that notes which graphs were dumped from it."""

    def __init__(self, store: ox.Store):
        self.store, self.dumped = store, []

    def __getattr__(self, name):
        return getattr(self.store, name)

    def dump(self, *args, from_graph=None, **kwargs):
        self.dumped.append(from_graph)
        return self.store.dump(*args, from_graph=from_graph, **kwargs)


def test_a_large_graph_cut_from_the_writers_kept_ntriples_gives_the_bytes_the_store_gives(tmp_path, small_parts):
    """The store writer keeps a large graph's N-Triples as rdflib wrote them (a tab or a control
    character otherwise than Oxigraph), in any order: the dumps cut from that file are the bytes
    cut from the store, which is not read for that graph."""
    resolved = ox.NamedNode(f"{BASE}graph/resolved")
    hama = ox.NamedNode(f"{BASE}id/place/hama")
    quads = sample_quads() + [ox.Quad(hama, COMMENT, ox.Literal("tab\there, bell\x07"), resolved)]
    store = disk_store(tmp_path / "store", quads)
    fresh = dumped(store, tmp_path / "fresh")
    as_stored = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=resolved).splitlines(keepends=True)
    as_kept = ntriples(rdflib.Graph().parse(data=b"".join(as_stored), format="nt")).splitlines(keepends=True)
    assert len(as_kept) == len(as_stored) > dumps.SPLIT_LINES and set(as_kept) != set(as_stored)
    digests = graph_digests(store)
    kept = tmp_path / "kept"
    kept.mkdir()
    kept_file(kept, digests[resolved.value]).write_bytes(b"".join(reversed(as_kept)))
    watched = Watched(store)
    pieces = dumps.Pieces.of(watched, tmp_path / "pieces", digests, kept)
    dumps.write_dumps(watched, tmp_path / "cut", pieces)
    assert {name: (tmp_path / "cut" / name).read_bytes() for name in DUMPS} == fresh
    assert resolved not in watched.dumped and len(watched.dumped) == len(pieces.order) - 1


def test_a_graph_cut_into_parts_by_workers_gives_the_dumps_one_process_gives(tmp_path):
    """At the real sizes (the workers run this module as it is): a graph over SPLIT_LINES triples."""
    large = ox.NamedNode(f"{BASE}graph/large")
    quads = [ox.Quad(ox.NamedNode(f"{BASE}id/x/{i // 3}"), COMMENT, ox.Literal(f"note {i}"), large)
             for i in range(dumps.SPLIT_LINES + 3000)]
    store = disk_store(tmp_path / "one" / "store", sample_quads() + quads)
    one = publish(store, tmp_path / "one" / "site", BASE)
    cache = tmp_path / "pieces"
    two = publish(store, tmp_path / "two" / "site", BASE, workers=2, pieces=cache, graph_digests=graph_digests(store))
    parts = dumps.Pieces.of(store, cache, graph_digests(store)).ready[large.value].parts
    assert len(parts) == 1 << (len(quads) // dumps.PART_LINES).bit_length()
    assert one.dumps == two.dumps
    for name in DUMPS:
        assert (tmp_path / "one/site/downloads" / name).read_bytes() == \
            (tmp_path / "two/site/downloads" / name).read_bytes()
    assert set(ox.parse(path=tmp_path / "two/site/downloads/newsgraph.trig", format=ox.RdfFormat.TRIG)) == set(store)


def test_a_large_graph_cut_a_few_lines_at_a_time_gives_the_same_parts_and_dumps(tmp_path, small_parts, monkeypatch):
    """The parts of a large graph are the same whether its lines are held all at once or appended
    to their files a few at a time; scratch files a stopped publish left are pruned."""
    store = disk_store(tmp_path / "store", sample_quads() + TRICKY)
    at_once = tmp_path / "at-once"
    fresh = dumped(store, tmp_path / "one", at_once, graph_digests(store))
    monkeypatch.setattr(dumps, "HELD_BYTES", 300)
    bit_by_bit = tmp_path / "bit-by-bit"
    assert dumped(store, tmp_path / "two", bit_by_bit, graph_digests(store)) == fresh
    assert sorted(p.name for p in at_once.iterdir()) == sorted(p.name for p in bit_by_bit.iterdir())
    (bit_by_bit / ".reading-stopped").mkdir()
    (bit_by_bit / ".reading-stopped" / "graph.nt").write_bytes(b"<a> <b> <c> .\n")
    pieces = dumps.Pieces.of(store, bit_by_bit, graph_digests(store))
    dumps.write_dumps(store, tmp_path / "three", pieces)
    pieces.prune()
    assert not (bit_by_bit / ".reading-stopped").exists()
